/*
 * The control block of the fake VF NIC miniport (fake_vf_nic.c), exported
 * as "FakeVfNic": a VF miniport with a data path the NetVsc tests can see.
 * Every frame it is sent goes to tx_hook (the test forwards it to the
 * host over a stand-in "VF wire" channel); with hold_sends it keeps the
 * NBLs until the test completes them (FakeVfNicCompleteSends), as a VF
 * completes a send when its hardware has put the frame on the NIC switch.
 * Receives come from FakeVfNicIndicate. Up to four VF adapters at once,
 * each in the first free slot in creation order.
 */
#ifndef IOVLAB_TESTS_FAKE_VF_NIC_H
#define IOVLAB_TESTS_FAKE_VF_NIC_H

#include <ndis/ndis.h>

#define FAKE_VF_NIC_SLOTS 4

typedef void (*fake_vf_nic_tx_fn)(void *ctx, unsigned slot, const void *data, ULONG len);

struct fake_vf_nic_slot {
	NDIS_HANDLE adapter;		/* MiniportAdapterHandle, NULL when free */
	BOOLEAN running, surprise_removed, link_up;
	ULONG sends;			/* frames sent to it */
	ULONG completed;		/* frames it send-completed */
	ULONG held;			/* frames held (hold_sends) */
	ULONG indicated;		/* frames it indicated up */
	ULONG sends_refused;		/* sends after surprise removal (failed) */
	ULONG pause_calls, restart_calls;
	ULONG pause_held;		/* frames still held when MiniportPause came */
	ULONG packet_filter;		/* last OID_GEN_CURRENT_PACKET_FILTER set */
	ULONG filter_sets;
	PNET_BUFFER_LIST held_head, held_tail;
	BOOLEAN pause_pending;
};

struct fake_vf_nic_control {
	/* knobs */
	fake_vf_nic_tx_fn tx_hook;
	void *tx_ctx;
	int hold_sends;
	/* what it saw */
	unsigned driver_entry_calls, init_calls, halt_calls;
	NDIS_STATUS hv_status;
	struct fake_vf_nic_slot slot[FAKE_VF_NIC_SLOTS];
};

extern struct fake_vf_nic_control FakeVfNic;
void FakeVfNicReset(void);
/* Complete the oldest count held sends of slot (all: count = ~0u). Returns how many. */
ULONG FakeVfNicCompleteSends(unsigned slot, ULONG count);
/* Indicate frames up from slot. Returns how many; 0 unless the adapter runs. */
ULONG FakeVfNicIndicate(unsigned slot, const VOID *const *frames, const ULONG *lens, ULONG n);
/* Media connect state change (NDIS_STATUS_MEDIA_CONNECT / _DISCONNECT). */
VOID FakeVfNicSetLink(unsigned slot, BOOLEAN up);

#endif /* IOVLAB_TESTS_FAKE_VF_NIC_H */
