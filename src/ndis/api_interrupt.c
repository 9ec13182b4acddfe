/*
 * NdisMRegisterInterruptEx / NdisMDeregisterInterruptEx: a miniport's
 * interrupt, connected through the adapter's bus (struct
 * ndis_bus_ops.connect_interrupt -- the PCI bus driver programs the
 * function's MSI-X table and routes its messages here). Message based when
 * the miniport says MsiSupported, else every message goes to the line-based
 * handlers. A message runs the ISR and, if it asks, the DPC, inside a call
 * into the driver (so DbgPrintEx and the verifier know whose code runs).
 *
 * One processor, no preemption: a message that arrives while this thread is
 * running the adapter's miniport code (a doorbell written in
 * MiniportSendNetBufferLists completes synchronously and raises TX done) is
 * kept pending and delivered when that code returns (framework.c,
 * ndis__call_leave). Messages are also held while the adapter is Restarting
 * or Pausing and delivered once NDIS has finished the transition
 * (adapter.c), so a DPC never indicates receives into a half-restarted
 * stack. Messages pending at the same time are delivered in message order,
 * each once. NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS.
 * MsiSyncWithAllMessages and the Enable/Disable handlers are accepted and
 * not called: there is no second processor to synchronize with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ndis/internal.h"

#define MAX_MESSAGES 64

struct ndis_interrupt {
	struct ndis_adapter *ad;
	NDIS_HANDLE ctx;			/* MiniportInterruptContext */
	NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS chars;
	bool msi;
	unsigned messages;
	uint64_t pending;
	bool delivering;
	bool dead;			/* deregistered while delivering: freed after */
	PIO_INTERRUPT_MESSAGE_INFO info;
	uint64_t delivered;
};

/* Is this thread inside the adapter's miniport code? */
static bool in_miniport(const struct ndis_adapter *ad)
{
	for (struct ndis_call *c = ndis__call_current(); c; c = c->prev)
		if (c->ad == ad && c->drv == ad->drv)
			return true;
	return false;
}

static void service(struct ndis_interrupt *in, unsigned message)
{
	struct ndis_adapter *ad = in->ad;
	BOOLEAN queue_dpc = FALSE, claimed;
	ULONG target = 0;
	struct ndis_call call;

	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	if (in->msi)
		claimed = in->chars.MessageInterruptHandler(in->ctx, message, &queue_dpc, &target);
	else
		claimed = in->chars.InterruptHandler(in->ctx, &queue_dpc, &target);
	if (claimed && queue_dpc) {
		if (in->msi)
			in->chars.MessageInterruptDpcHandler(in->ctx, message, NULL, NULL, NULL);
		else
			in->chars.InterruptDpcHandler(in->ctx, NULL, NULL, NULL);
	}
	in->delivered++;
	ndis__call_leave(&call);	/* deliver() is busy: what came in waits for its loop */
}

static void deliver(struct ndis_interrupt *in)
{
	if (in->delivering)
		return;
	in->delivering = true;
	while (in->pending && !in->dead && !in_miniport(in->ad) && in->ad->state != NDIS_ADAPTER_RESTARTING &&
	       in->ad->state != NDIS_ADAPTER_PAUSING) {
		unsigned m = (unsigned)__builtin_ctzll(in->pending);

		in->pending &= ~(1ull << m);
		service(in, m);
	}
	in->delivering = false;
	if (in->dead) {
		free(in->info);
		free(in);
	}
}

/* The bus's upcall for a message of the connected function. */
static void isr_upcall(void *ctx, unsigned message)
{
	struct ndis_interrupt *in = ctx;

	if (message >= MAX_MESSAGES)
		return;
	in->pending |= 1ull << message;
	deliver(in);
}

void ndis__interrupt_run_pending(struct ndis_adapter *ad)
{
	if (ad->intr && ad->intr->pending)
		deliver(ad->intr);
}

static void interrupt_free(struct ndis_interrupt *in)
{
	struct ndis_adapter *ad = in->ad;

	if (ad->bus && ad->bus->disconnect_interrupt)
		ad->bus->disconnect_interrupt(ad->bus_ctx);
	if (ad->intr == in)
		ad->intr = NULL;
	ndis__handle_remove(in);
	if (in->delivering) {
		in->dead = true;	/* deregistered from its own DPC: deliver() frees it */
		return;
	}
	free(in->info);
	free(in);
}

NDIS_EXPORT NDIS_STATUS NdisMRegisterInterruptEx(NDIS_HANDLE MiniportAdapterHandle,
						 NDIS_HANDLE MiniportInterruptContext,
						 PNDIS_MINIPORT_INTERRUPT_CHARACTERISTICS MiniportInterruptCharacteristics,
						 PNDIS_HANDLE NdisInterruptHandle)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMRegisterInterruptEx");
	PNDIS_MINIPORT_INTERRUPT_CHARACTERISTICS c = MiniportInterruptCharacteristics;
	struct ndis_interrupt *in;
	unsigned n = 0;
	int rc;

	if (!ad || !c || !NdisInterruptHandle)
		return NDIS_STATUS_INVALID_PARAMETER;
	*NdisInterruptHandle = NULL;
	if (ad->state != NDIS_ADAPTER_INITIALIZING) {
		ndis__adapter_finding(ad, NDIS_RULE_STATE, "NdisMRegisterInterruptEx outside MiniportInitializeEx (adapter %s)",
				      ndis_adapter_state_name(ad->state));
		return NDIS_STATUS_FAILURE;
	}
	if (c->Header.Type != NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT || c->Header.Revision < NDIS_MINIPORT_INTERRUPT_REVISION_1 ||
	    c->Header.Size < NDIS_SIZEOF_MINIPORT_INTERRUPT_CHARACTERISTICS_REVISION_1) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMRegisterInterruptEx: header type 0x%x revision %u size %u", ad->name,
			 c->Header.Type, c->Header.Revision, c->Header.Size);
		return NDIS_STATUS_BAD_VERSION;
	}
	if (!c->InterruptHandler || !c->InterruptDpcHandler ||
	    (c->MsiSupported && (!c->MessageInterruptHandler || !c->MessageInterruptDpcHandler))) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMRegisterInterruptEx without the ISR/DPC handlers", ad->name);
		return NDIS_STATUS_BAD_CHARACTERISTICS;
	}
	if (ad->intr)
		return NDIS_STATUS_FAILURE;	/* one interrupt per adapter */
	if (!ad->bus || !ad->bus->connect_interrupt) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMRegisterInterruptEx: the bus connects no interrupts", ad->name);
		return NDIS_STATUS_NOT_SUPPORTED;
	}
	in = calloc(1, sizeof(*in));
	if (!in || ndis__handle_add(in, NDIS_H_INTERRUPT)) {
		free(in);
		return NDIS_STATUS_RESOURCES;
	}
	in->ad = ad;
	in->ctx = MiniportInterruptContext;
	in->chars = *c;
	in->msi = c->MsiSupported != 0;
	ad->intr = in;
	rc = ad->bus->connect_interrupt(ad->bus_ctx, isr_upcall, in, &n);
	if (rc < 0 || n == 0) {
		log_warn(NDIS_LOG, "adapter '%s': connecting the interrupt failed: %d", ad->name, rc);
		ad->intr = NULL;
		ndis__handle_remove(in);
		free(in);
		return NDIS_STATUS_RESOURCES;
	}
	in->messages = n < MAX_MESSAGES ? n : MAX_MESSAGES;
	in->info = calloc(1, sizeof(IO_INTERRUPT_MESSAGE_INFO) + in->messages * sizeof(IO_INTERRUPT_MESSAGE_INFO_ENTRY));
	if (!in->info) {
		interrupt_free(in);
		return NDIS_STATUS_RESOURCES;
	}
	in->info->MessageCount = in->messages;
	for (unsigned i = 0; i < in->messages; i++) {
		in->info->MessageInfo[i].MessageData = i;
		in->info->MessageInfo[i].Vector = i;
		in->info->MessageInfo[i].Mode = Latched;
		in->info->MessageInfo[i].Polarity = InterruptActiveHigh;
		in->info->MessageInfo[i].TargetProcessorSet = 1;
	}
	c->InterruptType = in->msi ? NDIS_CONNECT_MESSAGE_BASED : NDIS_CONNECT_LINE_BASED;
	c->MessageInfoTable = in->msi ? in->info : NULL;
	*NdisInterruptHandle = in;
	log_info(NDIS_LOG, "adapter '%s': interrupt connected, %s, %u message(s)", ad->name,
		 in->msi ? "message based" : "line based", in->messages);
	return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORT VOID NdisMDeregisterInterruptEx(NDIS_HANDLE NdisInterruptHandle)
{
	struct ndis_interrupt *in = ndis__api_handle(NdisInterruptHandle, NDIS_H_INTERRUPT, "NdisMDeregisterInterruptEx");

	if (!in)
		return;
	log_info(NDIS_LOG, "adapter '%s': interrupt disconnected after %llu message(s)", in->ad->name,
		 (unsigned long long)in->delivered);
	interrupt_free(in);
}

void ndis__interrupt_adapter_fini(struct ndis_adapter *ad)
{
	if (!ad->intr)
		return;
	log_warn(NDIS_LOG, "adapter '%s': MiniportHaltEx left its interrupt registered (NdisMDeregisterInterruptEx missing)",
		 ad->name);
	interrupt_free(ad->intr);
}
