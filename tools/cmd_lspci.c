/*
 * `iovlab lspci`: the lab's PCI functions printed the way pciutils' lspci
 * prints them, so a Linux user reads the emulated SR-IOV NIC with habits they
 * already have (tools-and-views.md 3.3). -x/-xxx/-xxxx hex dumps use exactly
 * the layout `lspci -F FILE` reads back, so the real lspci can decode the
 * emulated config space. Until lab files exist it builds a default srnic
 * host (PF at 0000:03:00.0, TotalVFs 64); --num-vfs N enables N VFs through
 * config space as a PF driver would (NumVFs, then VF Enable + VF MSE).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "commands.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "pcie/pcie.h"
#include "wire/srnic_regs.h"

#define SRIOV_OFF 0x160	/* where srnic's PF carries the SR-IOV capability */

static uint32_t rd(struct pcie_function *fn, unsigned off, unsigned len)
{
	uint32_t v = 0;

	pcie_cfg_read(fn, off, len, &v);
	return v;
}

static void print_name(struct pcie_function *fn, int numeric)
{
	uint16_t rid = pcie_fn_rid(fn);
	bool vf = pcie_fn_is_vf(fn);
	uint16_t vendor = vf ? SRNIC_VENDOR_ID : (uint16_t)rd(fn, PCI_VENDOR_ID, 2);
	uint16_t device = vf ? (uint16_t)rd(pcie_fn_pf(fn), SRIOV_OFF + PCI_SRIOV_VF_DID, 2)
			     : (uint16_t)rd(fn, PCI_DEVICE_ID, 2);

	printf("%02x:%02x.%x ", PCIE_RID_BUS(rid), PCIE_RID_DEV(rid), PCIE_RID_FN(rid));
	/* lspci: -n numbers only, -nn names with [class] and [vendor:device]. */
	if (numeric == 1)
		printf("%04x: %04x:%04x", rd(fn, PCI_CLASS_DEVICE, 2), vendor, device);
	else if (numeric >= 2)
		printf("Ethernet controller [%04x]: Contoso (lab) srnic %s [%04x:%04x]",
		       rd(fn, PCI_CLASS_DEVICE, 2), vf ? "Virtual Function" : "SR-IOV Ethernet Adapter",
		       vendor, device);
	else
		printf("Ethernet controller: Contoso (lab) srnic %s",
		       vf ? "Virtual Function" : "SR-IOV Ethernet Adapter");
	printf(" (rev %02x)\n", rd(fn, PCI_REVISION_ID, 1));
}

static const char *pm(bool b)
{
	return b ? "+" : "-";
}

static void print_verbose(struct pcie_function *fn, int verbose)
{
	uint32_t cmd = rd(fn, PCI_COMMAND, 2);

	printf("\tSubsystem: Contoso (lab) [%04x:%04x]\n", rd(fn, PCI_SUBSYSTEM_VENDOR_ID, 2),
	       rd(fn, PCI_SUBSYSTEM_ID, 2));
	if (verbose > 1)
		printf("\tControl: I/O%s Mem%s BusMaster%s DisINTx%s\n", pm(cmd & PCI_COMMAND_IO),
		       pm(cmd & PCI_COMMAND_MEMORY), pm(cmd & PCI_COMMAND_MASTER),
		       pm(cmd & PCI_COMMAND_INTX_DISABLE));
	for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
		uint64_t size = pcie_fn_bar_size(fn, b), addr = pcie_fn_bar_addr(fn, b);
		if (!size)
			continue;
		if (pcie_fn_is_vf(fn))
			printf("\tRegion %u: Memory at %016llx (64-bit, prefetchable) [virtual] [size=%lluK]\n", b,
			       (unsigned long long)addr, (unsigned long long)size >> 10);
		else
			printf("\tRegion %u: Memory at %llx (64-bit, non-prefetchable) [size=%lluK]\n", b,
			       (unsigned long long)addr, (unsigned long long)size >> 10);
	}
	printf("\tCapabilities: [40] Power Management version 3\n");
	printf("\tCapabilities: [50] MSI-X: Enable%s Count=%u Masked-\n",
	       pm(rd(fn, 0x52, 2) & PCI_MSIX_FLAGS_ENABLE), (rd(fn, 0x52, 2) & PCI_MSIX_FLAGS_QSIZE) + 1);
	printf("\tCapabilities: [60] Express (v2) Endpoint, MSI 00\n");
	if (verbose > 1)
		printf("\t\tDevCap:\tFLReset+\n");
	printf("\tCapabilities: [100%s] Alternative Routing-ID Interpretation (ARI)\n", verbose > 1 ? " v1" : "");
	if (pcie_fn_is_vf(fn) || !pcie_pf_total_vfs(fn))
		return;
	printf("\tCapabilities: [160%s] Single Root I/O Virtualization (SR-IOV)\n", verbose > 1 ? " v1" : "");
	if (verbose > 1) {
		uint32_t ctl = rd(fn, SRIOV_OFF + PCI_SRIOV_CTRL, 2);
		printf("\t\tIOVCap:\tMigration- 10BitTagReq- Interrupt Message Number: 000\n");
		printf("\t\tIOVCtl:\tEnable%s Migration- Interrupt- MSE%s ARIHierarchy%s 10BitTagReq-\n",
		       pm(ctl & PCI_SRIOV_CTRL_VFE), pm(ctl & PCI_SRIOV_CTRL_MSE), pm(ctl & PCI_SRIOV_CTRL_ARI));
		printf("\t\tIOVSta:\tMigration-\n");
		printf("\t\tInitial VFs: %u, Total VFs: %u, Number of VFs: %u, Function Dependency Link: %02x\n",
		       rd(fn, SRIOV_OFF + PCI_SRIOV_INITIAL_VF, 2), rd(fn, SRIOV_OFF + PCI_SRIOV_TOTAL_VF, 2),
		       rd(fn, SRIOV_OFF + PCI_SRIOV_NUM_VF, 2), rd(fn, SRIOV_OFF + PCI_SRIOV_FUNC_LINK, 1));
		printf("\t\tVF offset: %u, stride: %u, Device ID: %04x\n", rd(fn, SRIOV_OFF + PCI_SRIOV_VF_OFFSET, 2),
		       rd(fn, SRIOV_OFF + PCI_SRIOV_VF_STRIDE, 2), rd(fn, SRIOV_OFF + PCI_SRIOV_VF_DID, 2));
		printf("\t\tSupported Page Size: %08x, System Page Size: %08x\n",
		       rd(fn, SRIOV_OFF + PCI_SRIOV_SUP_PGSIZE, 4), rd(fn, SRIOV_OFF + PCI_SRIOV_SYS_PGSIZE, 4));
		for (unsigned b = 0; b < PCI_NUM_BARS; b += 2) {
			uint64_t a = (rd(fn, SRIOV_OFF + PCI_SRIOV_BAR + 4 * b, 4) & ~0xfull) |
				     (uint64_t)rd(fn, SRIOV_OFF + PCI_SRIOV_BAR + 4 * b + 4, 4) << 32;
			if (rd(fn, SRIOV_OFF + PCI_SRIOV_BAR + 4 * b, 4) & PCI_BASE_ADDRESS_MEM_TYPE_64)
				printf("\t\tRegion %u: Memory at %016llx (64-bit, prefetchable)\n", b,
				       (unsigned long long)a);
		}
		printf("\t\tVF Migration: offset: 00000000, BIR: 0\n");
	}
	printf("\tSriovSupport: %s\n", pcie_sriov_support_name(pcie_host_sriov_support(pcie_fn_host(fn), fn)));
}

static void hexdump(struct pcie_function *fn, unsigned n)
{
	uint8_t buf[PCI_CFG_SIZE];

	pcie_cfg_dump(fn, 0, buf, n);
	for (unsigned i = 0; i < n; i += 16) {
		printf("%02x:", i);
		for (unsigned j = 0; j < 16; j++)
			printf(" %02x", buf[i + j]);
		printf("\n");
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: iovlab lspci [-n|-nn] [-v|-vv|-vvv] [-x|-xxx|-xxxx] [--num-vfs N]\n");
	return 2;
}

int cmd_lspci(int argc, char **argv)
{
	int verbose = 0, hex = 0, rc = 0;
	int numeric = 0;
	long num_vfs = 0;
	struct pcie_host *host;
	struct srnic *nic;
	struct pcie_function *list[1 + SRNIC_TOTAL_VFS], *pf;
	size_t n;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--num-vfs") == 0 && i + 1 < argc) {
			char *end;
			num_vfs = strtol(argv[++i], &end, 0);
			if (*end || num_vfs < 0 || num_vfs > SRNIC_TOTAL_VFS) {
				fprintf(stderr, "iovlab lspci: --num-vfs takes 0..%u\n", SRNIC_TOTAL_VFS);
				return 2;
			}
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "-nn") == 0) {
			numeric = (int)strlen(a) - 1;
		} else if (a[0] == '-' && (a[1] == 'v' || a[1] == 'x')) {
			size_t k = strspn(a + 1, a[1] == 'v' ? "v" : "x");
			if (a[1 + k])
				return usage();
			if (a[1] == 'v')
				verbose = (int)k;
			else
				hex = (int)k;
		} else {
			return usage();
		}
	}
	/* Building the host logs at info level; the view is the output. */
	if (!getenv("IOVLAB_LOG"))
		log_configure("warn", NULL, 0);
	host = pcie_host_create();
	if (!host)
		return 1;
	nic = srnic_create(host, 3, 0);
	if (!nic) {
		fprintf(stderr, "iovlab lspci: cannot create the srnic device: %s\n", strerror(errno));
		pcie_host_destroy(host);
		return 1;
	}
	pcie_host_assign_bars(host);
	pf = srnic_function(nic, 0);
	if (num_vfs) {
		/* What a PF driver does (ndis-sriov-spec.md 8.5): NumVFs, then
		 * VF Enable with VF MSE; the bus sets ARI Capable Hierarchy. */
		if (pcie_cfg_write(pf, SRIOV_OFF + PCI_SRIOV_NUM_VF, 2, (uint32_t)num_vfs) ||
		    pcie_cfg_write(pf, SRIOV_OFF + PCI_SRIOV_CTRL, 2,
				   PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI)) {
			fprintf(stderr, "iovlab lspci: enabling %ld VFs failed\n", num_vfs);
			rc = 1;
		}
	}
	n = pcie_host_list(host, list, sizeof(list) / sizeof(list[0]));
	for (size_t i = 0; i < n && i < sizeof(list) / sizeof(list[0]); i++) {
		print_name(list[i], numeric);
		if (verbose)
			print_verbose(list[i], verbose);
		if (hex)
			hexdump(list[i], hex >= 4 ? PCI_CFG_SIZE : hex >= 3 ? PCI_CFG_LEGACY_SIZE : 64);
		if (verbose || hex)
			printf("\n");
	}
	srnic_destroy(nic);
	pcie_host_destroy(host);
	return rc;
}
