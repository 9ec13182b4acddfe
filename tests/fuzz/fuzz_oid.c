/*
 * Fuzz target for the OID path (src/ndis/oid.c, nicswitch.c): NDIS parses
 * the structures an overlying driver -- and, through the vPCI VSP, a guest --
 * hands it in SR-IOV and NIC-switch OIDs. Each input is one request (OID
 * chosen from the SR-IOV/NIC-switch/receive-filter set or taken raw, request
 * type, issuer, target adapter, input and output lengths, buffer bytes) sent
 * to a running fake PF in a parent instance or a fake VF in a child
 * instance. NDIS must answer, refuse or forward every one without crashing
 * or touching memory outside the buffer; state (VFs, vPorts, filters)
 * accumulates across inputs, as it would.
 *   input: sel u8 | type u8 | who u8 | in_len u16le | out_len u16le | oid u32le | bytes...
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "ndis/framework.h"
#include "../ndis/bus_double.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t oids[] = {
	OID_GEN_SUPPORTED_LIST, OID_GEN_VENDOR_DESCRIPTION,
	OID_RECEIVE_FILTER_HARDWARE_CAPABILITIES, OID_RECEIVE_FILTER_CURRENT_CAPABILITIES,
	OID_RECEIVE_FILTER_SET_FILTER, OID_RECEIVE_FILTER_CLEAR_FILTER, OID_RECEIVE_FILTER_ENUM_FILTERS,
	OID_RECEIVE_FILTER_PARAMETERS, OID_RECEIVE_FILTER_MOVE_FILTER,
	OID_NIC_SWITCH_HARDWARE_CAPABILITIES, OID_NIC_SWITCH_CURRENT_CAPABILITIES, OID_NIC_SWITCH_CREATE_SWITCH,
	OID_NIC_SWITCH_PARAMETERS, OID_NIC_SWITCH_DELETE_SWITCH, OID_NIC_SWITCH_ENUM_SWITCHES,
	OID_NIC_SWITCH_CREATE_VPORT, OID_NIC_SWITCH_VPORT_PARAMETERS, OID_NIC_SWITCH_ENUM_VPORTS,
	OID_NIC_SWITCH_DELETE_VPORT, OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_FREE_VF,
	OID_NIC_SWITCH_VF_PARAMETERS, OID_NIC_SWITCH_ENUM_VFS, OID_SRIOV_HARDWARE_CAPABILITIES,
	OID_SRIOV_CURRENT_CAPABILITIES, OID_SRIOV_READ_VF_CONFIG_SPACE, OID_SRIOV_WRITE_VF_CONFIG_SPACE,
	OID_SRIOV_READ_VF_CONFIG_BLOCK, OID_SRIOV_WRITE_VF_CONFIG_BLOCK, OID_SRIOV_RESET_VF,
	OID_SRIOV_SET_VF_POWER_STATE, OID_SRIOV_VF_VENDOR_DEVICE_ID, OID_SRIOV_PROBED_BARS,
	OID_SRIOV_BAR_RESOURCES, OID_SRIOV_PF_LUID, OID_SRIOV_VF_SERIAL_NUMBER,
	OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK,
};

static struct ndis_framework *host, *guest;
static struct ndis_adapter *pf, *vf;
static struct bus_double pf_bus, vf_bus;
static struct vpci_double vpci;

static struct ndis_adapter *bring_up(struct ndis_framework *fw, const char *name, const char *hwid,
				     struct bus_double *bus, struct vpci_double *v)
{
	static const char *const infs[] = { "fake_pf.inf", "fake_vf.inf" };
	struct ndis_adapter_params p;
	struct ndis_adapter *ad = NULL;
	char path[1024];

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", TEST_DRIVERS_BUILDDIR, infs[i]);
		ndis_framework_install_inf(fw, path, TEST_DRIVERS_BUILDDIR, NULL, 0);
	}
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.hardware_id = hwid;
	p.bus = &bus_double_ops;
	p.bus_ctx = bus;
	if (v) {
		p.vpci = &vpci_double_ops;
		p.vpci_ctx = v;
	}
	if (ndis_adapter_create(fw, &p, &ad) != 0)
		abort();	/* the fuzzer's own setup failed */
	return ad;
}

static void setup(void)
{
	log_configure("none", NULL, 0);
	bus_double_init(&pf_bus);
	bus_double_init(&vf_bus);
	vpci_double_init(&vpci, 7);
	host = ndis_framework_create("host", NDIS_PARTITION_PARENT);
	guest = ndis_framework_create("guest", NDIS_PARTITION_CHILD);
	pf = bring_up(host, "pf", "PCI\\VEN_1AB4&DEV_10ED", &pf_bus, NULL);
	vf = bring_up(guest, "vf", "PCI\\VEN_1AB4&DEV_10EF", &vf_bus, &vpci);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const NDIS_REQUEST_TYPE types[] = { NdisRequestQueryInformation, NdisRequestSetInformation,
						   NdisRequestMethod };
	struct ndis_issuer who;
	NDIS_OID_REQUEST req;
	uint32_t oid, in_len, out_len, st;
	uint8_t *buf;
	size_t blen;

	if (!host)
		setup();
	if (size < 11)
		return 0;
	memcpy(&oid, data + 7, 4);
	if (data[0] != 0xff)
		oid = oids[data[0] % (sizeof(oids) / sizeof(oids[0]))];
	in_len = (uint32_t)(data[3] | data[4] << 8) % 4096;
	out_len = (uint32_t)(data[5] | data[6] << 8) % 4096;
	who.kind = data[2] & 1 ? NDIS_ISSUER_NDIS : NDIS_ISSUER_OVERLYING;
	who.name = data[2] & 4 ? "OTHER" : "VMSP";
	blen = in_len > out_len ? in_len : out_len;
	buf = calloc(1, blen ? blen : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 11, size - 11 < blen ? size - 11 : blen);
	ndis_oid_init(&req, types[data[1] % 3], oid, blen ? buf : NULL, in_len);
	if (req.RequestType == NdisRequestMethod)
		req.DATA.METHOD_INFORMATION.OutputBufferLength = out_len;
	else if (req.RequestType == NdisRequestQueryInformation)
		req.DATA.QUERY_INFORMATION.InformationBufferLength = out_len;
	(void)ndis_oid_request(data[2] & 2 ? vf : pf, &who, &req, NULL, NULL, &st);
	free(buf);
	return 0;
}
