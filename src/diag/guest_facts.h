/*
 * What a running guest says its half of the SR-IOV chain reached -- the
 * answer to the lab's VMCTL_MSG_DIAG_QUERY (include/wire/vmctl.h), JSON
 * text written by src/hv/guest_vm.c -- parsed on the host with strict
 * checks into fixed-size facts diagnose reads (checks.c). The text comes
 * from a guest, so it is untrusted: every key must be known and of its
 * type, numbers in range, strings bounded and printable, arrays no longer
 * than their rows; anything else refuses the whole answer with a reason.
 * Fuzzed by tests/fuzz/fuzz_diag_guest.c. The keys: docs/diagnose.md.
 */
#ifndef IOVLAB_DIAG_GUEST_FACTS_H
#define IOVLAB_DIAG_GUEST_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIAG_GUEST_STR 96		/* bytes of a name field, NUL included */
#define DIAG_GUEST_EVIDENCE 201		/* bytes of a finding's evidence, NUL included */
#define DIAG_GUEST_DEVICES 4
#define DIAG_GUEST_ADAPTERS 3
#define DIAG_GUEST_BINDINGS 4
#define DIAG_GUEST_FINDINGS 6

/* One protocol binding of a guest adapter (ndiskd -bindings). */
struct diag_guest_binding {
	char protocol[DIAG_GUEST_STR];	/* "NETVSCVFPP" */
	char state[DIAG_GUEST_STR];	/* ndis_binding_state_name(): "Bound", "Declined" ... */
	uint32_t status;		/* Declined: the NDIS_STATUS ProtocolBindAdapterEx failed with */
};

/* One adapter of the guest's NDIS. */
struct diag_guest_adapter {
	char name[DIAG_GUEST_STR], driver[DIAG_GUEST_STR];
	char state[DIAG_GUEST_STR];	/* ndis_adapter_state_name(): "Running" ... */
	bool synthetic;			/* NetVsc's adapter */
	bool pnp;			/* on NDIS's PnP edge (a vPCI PDO or a VBD's child): a VF */
	uint32_t init_status;		/* MiniportInitializeEx's NDIS_STATUS */
	bool has_hw_caps, has_cur_caps;
	uint32_t hw_caps, cur_caps;	/* NDIS_SRIOV_CAPS_* */
	bool switch_caps;		/* NIC-switch capabilities registered */
	bool rcv_filter_caps;		/* receive-filter (VMQ) capabilities registered */
	bool vmq_enabled;
	bool hypervisor_checked;	/* NdisGetHypervisorInfo called during initialization */
	uint32_t media_connect;		/* NDIS_MEDIA_CONNECT_STATE registered, 0 unknown */
	bool vpci;			/* NDIS captured GUID_VPCI_INTERFACE_STANDARD */
	uint32_t serial;		/* the serial number read through it, 0: none */
	bool over_vbd;			/* its PDO is an IHV virtual bus driver's child */
	bool has_iface_status;
	uint32_t iface_status;		/* NTSTATUS of the last IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD) */
	bool has_serial_oid;		/* an OID_SRIOV_VF_SERIAL_NUMBER was answered */
	uint32_t serial_oid_status;
	bool serial_oid_by_ndis;
	char serial_oid_issuer[DIAG_GUEST_STR];
	size_t nbindings;
	uint64_t bindings_total;
	struct diag_guest_binding bindings[DIAG_GUEST_BINDINGS];
};

/* A device node the vPCI bus reported (and a VBD's children). */
struct diag_guest_device {
	char hwid[DIAG_GUEST_STR];
	char service[DIAG_GUEST_STR];	/* "" when no function driver was found */
	char state[DIAG_GUEST_STR];	/* pnp_dn_state_name(): "Started", "StartFailed" ... */
	uint32_t problem;		/* NTSTATUS START (or AddDevice) failed with */
	bool vbd_child;
};

/* One finding of the guest NDIS's verifier. */
struct diag_guest_finding {
	char rule[DIAG_GUEST_STR];	/* "NDIS-VF-CAPS" */
	char driver[DIAG_GUEST_STR], adapter[DIAG_GUEST_STR];
	char evidence[DIAG_GUEST_EVIDENCE];
};

struct diag_guest_facts {
	bool has_error;			/* the guest could not describe itself: error says why */
	char error[DIAG_GUEST_STR];
	/* NetVsc */
	bool has_netvsc;
	char netvsc_state[DIAG_GUEST_STR];	/* netvsc_dp_state_name(): "Synthetic", "VF" ... */
	bool link_up;
	uint32_t host_serial;		/* the VF association NetVSP sent, 0: none */
	uint64_t tx_synthetic, tx_vf, switches, associations;
	/* vPCI */
	bool vpci_bus;
	uint64_t pdos;
	bool has_sized_bars;
	uint32_t sized_bars;		/* the VF's BARs with a size from the probe, when known */
	size_t ndevices;
	struct diag_guest_device devices[DIAG_GUEST_DEVICES];
	/* NDIS */
	size_t nadapters;
	uint64_t adapters_total;
	struct diag_guest_adapter adapters[DIAG_GUEST_ADAPTERS];
	size_t nfindings;
	uint64_t findings_total;
	struct diag_guest_finding findings[DIAG_GUEST_FINDINGS];
	/* the lab's traffic source */
	uint64_t tx_frames, tx_completed, tx_failed;
};

/*
 * Parse len bytes of the guest's answer (need not be NUL-terminated).
 * 0 and *out; -EBADMSG with why (one line: which key and what is wrong).
 */
int diag_guest_facts_parse(const char *text, size_t len, struct diag_guest_facts *out, char *why, size_t whylen);

#endif /* IOVLAB_DIAG_GUEST_FACTS_H */
