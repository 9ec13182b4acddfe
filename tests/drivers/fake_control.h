/*
 * The control block every fake miniport in tests/drivers exports as
 * "FakeControl": tests set knobs (pend the next OIDs, fail initialization)
 * and read what the driver saw, through dlopen() of the same .so the
 * framework loads (the same path returns the same instance). A test resets
 * it with FakeReset() before use.
 */
#ifndef IOVLAB_TESTS_FAKE_CONTROL_H
#define IOVLAB_TESTS_FAKE_CONTROL_H

#include <ndis.h>

/* A vendor-private method OID the fakes answer (echo of the input). */
#define OID_FAKE_ECHO 0xFF010001u

struct fake_control {
	/* knobs */
	int pend_oids;			/* MPOidRequest pends every request */
	int pend_pause;			/* MPPause returns NDIS_STATUS_PENDING */
	int pend_restart;		/* MPRestart returns NDIS_STATUS_PENDING */
	NDIS_STATUS init_status;	/* nonzero: MPInitializeEx fails with it */
	NDIS_STATUS restart_status;	/* nonzero: MPRestart fails with it */
	int hold_sends;			/* MPSendNetBufferLists keeps the NBLs (FakeCompleteSends) */
	PVOID extra_attr;		/* set with NdisMSetMiniportAttributes after registration */
	NDIS_STATUS extra_attr_status;

	/* what the driver saw */
	unsigned driver_entry_calls, unload_calls;
	unsigned init_calls, halt_calls, pause_calls, restart_calls, shutdown_calls;
	unsigned pnp_calls, cancel_oid_calls, cancel_send_calls, oid_calls;
	NDIS_HALT_ACTION last_halt_action;
	NDIS_DEVICE_PNP_EVENT last_pnp_event;
	ULONG last_pause_reason;
	NDIS_STATUS register_status;	/* NdisMRegisterMiniportDriver's answer */
	NDIS_STATUS attr_status[4];	/* NdisMSetMiniportAttributes answers, in call order */
	unsigned n_attr;
	NDIS_STATUS hv_status;		/* NdisGetHypervisorInfo */
	NDIS_HYPERVISOR_INFO hv;
	NDIS_STATUS enable_virt_status;	/* last NdisMEnableVirtualization */
	NDIS_STATUS config_block_status;	/* last NdisMReadConfigBlock */
	UCHAR config_block[16];
	ULONG64 invalidated_mask;
	ULONG vf_bus_bytes;		/* last NdisMGetVirtualFunctionBusData */
	ULONG bus_bytes;		/* last NdisMGetBusData */
	ULONG reg_value;		/* register read back after init */
	ULONG sriov_keyword;		/* *SRIOV as the PF read it */
	NDIS_OID oids[64];		/* OIDs that reached MPOidRequest */
	NDIS_REQUEST_TYPE oid_types[64];
	unsigned n_oids;
	PNDIS_OID_REQUEST pending;	/* the request the driver pended */
	NDIS_HANDLE adapter;		/* MiniportAdapterHandle of the last adapter */
	unsigned sends, returns;	/* NBLs sent to / returned to the driver */
	PNET_BUFFER_LIST held_sends;	/* sends not yet completed (chain) */
	NDIS_HANDLE rx_pool;
};

/* Exported by every fake miniport. */
extern struct fake_control FakeControl;
void FakeReset(void);
/* Complete the pended OID with status (the mutants complete twice / never). */
void FakeCompletePending(NDIS_STATUS status);
/* Indicate n receive NBLs (64 bytes each) with this vPort id in the OOB. */
void FakeIndicateReceive(unsigned n, USHORT vport, ULONG flags);
/* Send-complete the NBLs the driver holds. */
void FakeCompleteSends(void);

#endif /* IOVLAB_TESTS_FAKE_CONTROL_H */
