/*
 * NET_BUFFER_LISTs: pools, allocation, and the ownership NDIS enforces on the
 * data path (net:send-and-receive-operations). An NBL is with its allocator,
 * at the miniport (a protocol sent it; NdisMSendNetBufferListsComplete gives
 * it back to that protocol), or indicated (the miniport indicated it; every
 * bound protocol that got it returns it, then NDIS calls
 * MiniportReturnNetBufferLists -- unless it was indicated with
 * NDIS_RECEIVE_FLAGS_RESOURCES, which returns it when the indication
 * returns). The receive OOB vPort id (NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID)
 * travels untouched and is traced.
 *
 * Every NBL comes from an NDIS pool (the handle table knows it), so the
 * tracking lives in the allocation next to it. A completion or return by a
 * driver that does not own the NBL is reported (NDIS-NBL-RETURN-TWICE) and
 * ignored; an NBL kept past close, pause or halt is reported
 * (NDIS-NBL-NEVER-RETURNED) and, where NDIS can, reclaimed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ndis/internal.h"

struct nbl_block;

struct nbl_pool {
	char owner[48];
	struct ndis_framework *fw;
	NET_BUFFER_LIST_POOL_PARAMETERS params;
	size_t outstanding;
	bool freed;
	struct nbl_block *spare;	/* freed blocks kept for the next allocation (see ndis__nbl_free) */
};

struct nbl_block {
	struct nbl_pool *pool;
	struct nbl_block *next_spare;
	size_t data_size;		/* bytes of data[] */
	struct ndis_nbl_track track;
	NET_BUFFER_LIST nbl;
	NET_BUFFER nb;
	MDL mdl;
	_Alignas(16) uint8_t data[];
};

#define NBL_BLOCK(nbl) ((struct nbl_block *)((char *)(nbl) - offsetof(struct nbl_block, nbl)))

/*
 * A live NBL carries a token in NdisReserved[0] (the field real NDIS keeps
 * for itself): its own address mixed with a per-process key. The data path
 * asks "is this a live NBL from a pool?" several times per frame; with the
 * token it reads the NBL it is about to use anyway instead of a slot of
 * the process-wide handle table, which was a cache miss per question (a
 * fifth of a guest's cycles under iovlab bench). No token -- a stack NBL, a
 * copy, a freed one -- falls back to the table, so every finding stays.
 * Freed blocks are kept by their pool until it goes, so reading a freed
 * NBL's token is no use-after-free while its pool lives.
 */
static uintptr_t token_key;

static uint64_t now_key(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 30) ^ (uint64_t)getpid();
}

static void *nbl_token(const NET_BUFFER_LIST *nbl)
{
	return (void *)((uintptr_t)nbl ^ token_key);
}

/* ---- pools ------------------------------------------------------------------- */
static const char *owner_name(NDIS_HANDLE h, struct ndis_framework **fw)
{
	switch (ndis__handle_kind(h)) {
	case NDIS_H_ADAPTER:
		*fw = ((struct ndis_adapter *)h)->fw;
		return ((struct ndis_adapter *)h)->drv->name;
	case NDIS_H_DRIVER:
		*fw = ((struct ndis_driver *)h)->fw;
		return ((struct ndis_driver *)h)->name;
	case NDIS_H_PROTOCOL:
		*fw = ((struct ndis_protocol *)h)->fw;
		return ((struct ndis_protocol *)h)->name;
	case NDIS_H_BINDING:
		*fw = ((struct ndis_binding *)h)->proto->fw;
		return ((struct ndis_binding *)h)->proto->name;
	default:
		return NULL;
	}
}

void *ndis__nbl_pool_create(NDIS_HANDLE owner, const NET_BUFFER_LIST_POOL_PARAMETERS *p)
{
	struct ndis_framework *fw = NULL;
	const char *name = owner_name(owner, &fw);
	struct nbl_pool *pool;

	if (!name) {
		log_error(NDIS_LOG_DATA, "NdisAllocateNetBufferListPool: %p is %s", owner,
			  ndis__handle_kind_name(ndis__handle_kind(owner)));
		return NULL;
	}
	if (!p || p->Header.Type != NDIS_OBJECT_TYPE_DEFAULT ||
	    p->Header.Revision < NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 ||
	    p->Header.Size < NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1) {
		log_error(NDIS_LOG_DATA, "NdisAllocateNetBufferListPool from %s: bad NET_BUFFER_LIST_POOL_PARAMETERS header",
			  name);
		return NULL;
	}
	if (p->ContextSize) {
		log_error(NDIS_LOG_DATA, "NdisAllocateNetBufferListPool from %s: ContextSize %u (NET_BUFFER_LIST_CONTEXT is "
			  "not modelled)", name, p->ContextSize);
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	ndis__strlcpy(pool->owner, name, sizeof(pool->owner));
	pool->fw = fw;
	pool->params = *p;
	if (ndis__handle_add(pool, NDIS_H_NBL_POOL)) {
		free(pool);
		return NULL;
	}
	return pool;
}

static void pool_release(struct nbl_pool *pool)
{
	if (pool->freed && pool->outstanding == 0) {
		while (pool->spare) {
			struct nbl_block *b = pool->spare;

			pool->spare = b->next_spare;
			free(b);
		}
		ndis__handle_remove(pool);
		free(pool);
	}
}

void ndis__nbl_pool_destroy(void *p)
{
	struct nbl_pool *pool = p;

	if (pool->outstanding)
		log_warn(NDIS_LOG_DATA, "%s frees an NBL pool with %zu NBL(s) still allocated", pool->owner,
			 pool->outstanding);
	pool->freed = true;
	pool_release(pool);
}

PNET_BUFFER_LIST ndis__nbl_alloc(void *p, bool with_nb, PMDL chain, ULONG offset, SIZE_T length)
{
	struct nbl_pool *pool = p;
	size_t data = with_nb && !chain ? pool->params.DataSize : 0;
	struct nbl_block *b;

	if (pool->freed)
		return NULL;
	if (with_nb && !pool->params.fAllocateNetBuffer) {
		log_error(NDIS_LOG_DATA, "%s: NdisAllocateNetBufferAndNetBufferList from a pool without fAllocateNetBuffer",
			  pool->owner);
		return NULL;
	}
	if (with_nb && !chain && (uint64_t)offset + length > pool->params.DataSize) {
		log_error(NDIS_LOG_DATA, "%s: DataOffset %u + DataLength %zu exceed the pool's DataSize %u", pool->owner,
			  offset, (size_t)length, pool->params.DataSize);
		return NULL;
	}
	if (pool->spare && pool->spare->data_size == data) {
		/* Reuse: the header is cleared, the data is not (NDIS does not zero it either). */
		b = pool->spare;
		pool->spare = b->next_spare;
		memset(b, 0, offsetof(struct nbl_block, data));
	} else {
		b = calloc(1, sizeof(*b) + data);
		if (!b)
			return NULL;
	}
	b->data_size = data;
	b->pool = pool;
	b->track.where = NDIS_NBL_OWNED;
	b->nbl.NdisPoolHandle = pool;
	if (with_nb) {
		if (data) {
			b->mdl.MappedSystemVa = b->data;
			b->mdl.StartVa = b->data;
			b->mdl.ByteCount = (ULONG)data;
			b->mdl.MdlFlags = MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL;
			chain = &b->mdl;
		}
		b->nb.MdlChain = chain;
		b->nb.CurrentMdl = chain;
		b->nb.DataOffset = offset;
		b->nb.CurrentMdlOffset = offset;
		b->nb.DataLength = (ULONG)length;
		b->nb.NdisPoolHandle = pool;
		b->nbl.FirstNetBuffer = &b->nb;
	}
	if (ndis__handle_add(&b->nbl, NDIS_H_NBL)) {
		free(b);
		return NULL;
	}
	while (!token_key)
		token_key = ((uintptr_t)&token_key * 0x9e3779b97f4a7c15ull) ^ (uintptr_t)now_key();
	b->nbl.NdisReserved[0] = nbl_token(&b->nbl);
	pool->outstanding++;
	return &b->nbl;
}

void ndis__nbl_free(PNET_BUFFER_LIST nbl)
{
	struct nbl_block *b;
	struct nbl_pool *pool;

	if (ndis__handle_kind(nbl) != NDIS_H_NBL) {
		log_error(NDIS_LOG_DATA, "NdisFreeNetBufferList(%p): not an NBL from an NDIS pool, or freed twice", (void *)nbl);
		return;
	}
	b = NBL_BLOCK(nbl);
	pool = b->pool;
	if (b->track.where != NDIS_NBL_OWNED) {
		/* Freeing what another driver owns: report, and leak it rather
		 * than free memory someone else still uses. */
		ndis__finding(pool->fw, NDIS_RULE_NBL_RETURN_TWICE, pool->owner, b->track.ad ? b->track.ad->name : "",
			      "%s freed NBL %p while it is %s", pool->owner, (void *)nbl,
			      b->track.where == NDIS_NBL_AT_MINIPORT ? "at the miniport (not send-completed)" :
									"indicated (not returned)");
		return;
	}
	ndis__handle_remove(nbl);
	b->nbl.NdisReserved[0] = NULL;
	pool->outstanding--;
	b->next_spare = pool->spare;
	pool->spare = b;
	pool_release(pool);
}

struct ndis_nbl_track *ndis__nbl_track(PNET_BUFFER_LIST nbl)
{
	if (nbl && token_key && nbl->NdisReserved[0] == nbl_token(nbl))
		return &NBL_BLOCK(nbl)->track;
	return ndis__handle_kind(nbl) == NDIS_H_NBL ? &NBL_BLOCK(nbl)->track : NULL;
}

/* ---- the adapter's in-flight lists --------------------------------------------- */
static void list_add(struct ndis_nbl_track **head, struct ndis_nbl_track *t)
{
	t->prev = NULL;
	t->next = *head;
	if (*head)
		(*head)->prev = t;
	*head = t;
}

static void list_del(struct ndis_nbl_track **head, struct ndis_nbl_track *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else if (*head == t)
		*head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
}

static PNET_BUFFER_LIST nbl_of(struct ndis_nbl_track *t)
{
	return &((struct nbl_block *)((char *)t - offsetof(struct nbl_block, track)))->nbl;
}

static const char *mp_name(struct ndis_adapter *ad)
{
	return ad->drv ? ad->drv->name : "";
}

/* ---- send ----------------------------------------------------------------------- */
static void complete_to_protocol(struct ndis_binding *b, PNET_BUFFER_LIST chain, ULONG flags)
{
	struct ndis_call call;

	if (!chain)
		return;
	ndis__call_enter(&call, b->proto->fw, b->proto->drv, NULL);
	b->proto->chars.SendNetBufferListsCompleteHandler(b->proto_ctx, chain, flags);
	ndis__call_leave(&call);
}

/* ---- capture at the miniport edge (base/capture.h) ---- */
void ndis_adapter_set_capture(struct ndis_adapter *ad, const char *name, const char *description)
{
	if (ad)
		ad->capture = capture_point_get(name, description);
}

/* Each NET_BUFFER of the chain as one frame: its data from CurrentMdl + CurrentMdlOffset, DataLength bytes. */
static void capture_nbls(struct ndis_adapter *ad, PNET_BUFFER_LIST chain, enum capture_dir dir)
{
	for (PNET_BUFFER_LIST l = chain; l; l = l->Next)
		for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(l); nb; nb = NET_BUFFER_NEXT_NB(nb)) {
			const void *segs[16];
			uint32_t lens[16], left = NET_BUFFER_DATA_LENGTH(nb), off = NET_BUFFER_CURRENT_MDL_OFFSET(nb);
			unsigned n = 0;

			for (PMDL m = NET_BUFFER_CURRENT_MDL(nb); m && left && n < 16; m = m->Next, off = 0) {
				uint32_t take;

				if (off >= m->ByteCount || !m->MappedSystemVa)
					continue;
				take = m->ByteCount - off < left ? m->ByteCount - off : left;
				segs[n] = (const uint8_t *)m->MappedSystemVa + off;
				lens[n++] = take;
				left -= take;
			}
			capture_frame_gather(ad->capture, dir, segs, lens, n);
		}
}

void ndis__nbl_send(struct ndis_binding *b, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER port, ULONG flags)
{
	struct ndis_adapter *ad = b->ad;
	PNET_BUFFER_LIST head = NULL, *tail = &head, refused = NULL, *rtail = &refused, next;
	struct ndis_call call;

	for (PNET_BUFFER_LIST n = nbls; n; n = next) {
		struct ndis_nbl_track *t = ndis__nbl_track(n);

		if (!t) {
			/* Not a live NBL: its Next cannot be trusted either. */
			ndis__finding(ad->fw, NDIS_RULE_HANDLE, b->proto->name, ad->name,
				      "NdisSendNetBufferLists: %p is not a live NBL from an NDIS pool (freed?); "
				      "the rest of the chain is dropped", (void *)n);
			break;
		}
		next = n->Next;
		n->Next = NULL;
		if (t->where != NDIS_NBL_OWNED) {
			ndis__finding(ad->fw, NDIS_RULE_NBL_RETURN_TWICE, b->proto->name, ad->name,
				      "%s sent NBL %p that is %s", b->proto->name, (void *)n,
				      t->where == NDIS_NBL_AT_MINIPORT ? "already at the miniport" : "indicated to it, not its own");
			continue;
		}
		if (ad->state != NDIS_ADAPTER_RUNNING) {
			/* NDIS fails sends on a paused stack itself. */
			n->Status = NDIS_STATUS_PAUSED;
			*rtail = n;
			rtail = &n->Next;
			continue;
		}
		t->where = NDIS_NBL_AT_MINIPORT;
		t->ad = ad;
		t->sender = b;
		list_add(&ad->sends, t);
		*tail = n;
		tail = &n->Next;
	}
	complete_to_protocol(b, refused, 0);
	if (!head)
		return;
	log_trace(NDIS_LOG_DATA, "'%s' <- send from %s", ad->name, b->proto->name);
	if (capture_on() && ad->capture)
		capture_nbls(ad, head, CAPTURE_OUT);
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	ad->drv->mchars.SendNetBufferListsHandler(ad->ctx, head, port, flags);
	ndis__call_leave(&call);
}

void ndis__nbl_send_complete(struct ndis_adapter *ad, PNET_BUFFER_LIST nbls, ULONG flags)
{
	PNET_BUFFER_LIST next;

	/* Complete to each sender in turn, keeping the miniport's order. */
	while (nbls) {
		struct ndis_binding *sender = NULL;
		PNET_BUFFER_LIST chain = NULL, *tail = &chain, rest = NULL, *rtail = &rest;

		for (PNET_BUFFER_LIST n = nbls; n; n = next) {
			struct ndis_nbl_track *t = ndis__nbl_track(n);

			if (!t) {
				ndis__finding(ad->fw, NDIS_RULE_NBL_RETURN_TWICE, mp_name(ad), ad->name,
					      "NdisMSendNetBufferListsComplete(%p): not a live NBL (completed twice and "
					      "freed by its owner?); the rest of the chain is dropped", (void *)n);
				break;
			}
			next = n->Next;
			n->Next = NULL;
			if (t->where != NDIS_NBL_AT_MINIPORT || t->ad != ad) {
				ndis__finding(ad->fw, NDIS_RULE_NBL_RETURN_TWICE, mp_name(ad), ad->name,
					      "NdisMSendNetBufferListsComplete(%p): the NBL is not at this miniport (completed "
					      "twice, or never sent)", (void *)n);
				continue;
			}
			if (!sender)
				sender = t->sender ? t->sender : (struct ndis_binding *)-1;
			if ((t->sender ? t->sender : (struct ndis_binding *)-1) != sender) {
				*rtail = n;
				rtail = &n->Next;
				continue;
			}
			list_del(&ad->sends, t);
			t->where = NDIS_NBL_OWNED;
			t->sender = NULL;
			*tail = n;
			tail = &n->Next;
		}
		if (chain && sender != (struct ndis_binding *)-1)
			complete_to_protocol(sender, chain, flags);
		else if (chain)
			log_warn(NDIS_LOG_DATA, "'%s': send completion for a binding that closed; dropped", ad->name);
		nbls = rest;
	}
}

/* ---- receive -------------------------------------------------------------------- */
static void return_to_miniport(struct ndis_adapter *ad, PNET_BUFFER_LIST chain)
{
	struct ndis_call call;

	if (!chain)
		return;
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	ad->drv->mchars.ReturnNetBufferListsHandler(ad->ctx, chain, 0);
	ndis__call_leave(&call);
}

void ndis__nbl_indicate(struct ndis_adapter *ad, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER port, ULONG n, ULONG flags)
{
	struct ndis_binding *to[NDIS_NBL_MAX_HOLDERS];
	unsigned n_to = 0, count = 0;
	bool resources = flags & NDIS_RECEIVE_FLAGS_RESOURCES, trace;
	PNET_BUFFER_LIST head = NULL, *tail = &head, next;

	if (ad->state != NDIS_ADAPTER_RUNNING) {
		ndis__adapter_finding(ad, NDIS_RULE_STATE, "NdisMIndicateReceiveNetBufferLists while the adapter is %s",
				      ndis_adapter_state_name(ad->state));
		if (!resources)
			return_to_miniport(ad, nbls);
		return;
	}
	for (struct ndis_binding *b = ad->bindings; b; b = b->next)
		if (b->state == NDIS_BINDING_BOUND && b->opened && n_to < NDIS_NBL_MAX_HOLDERS)
			to[n_to++] = b;
	/* Asked once per indication: the logger's topic match was 5% of a receiving guest, per NBL. */
	trace = log_enabled(NDIS_LOG_DATA, LOG_TRACE);
	for (PNET_BUFFER_LIST l = nbls; l; l = next) {
		struct ndis_nbl_track *t = ndis__nbl_track(l);

		if (!t) {
			ndis__adapter_finding(ad, NDIS_RULE_HANDLE, "NdisMIndicateReceiveNetBufferLists: %p is not a live "
					      "NBL from an NDIS pool; the rest of the chain is dropped", (void *)l);
			break;
		}
		next = l->Next;
		if (t->where != NDIS_NBL_OWNED) {
			ndis__adapter_finding(ad, NDIS_RULE_NBL_RETURN_TWICE, "NdisMIndicateReceiveNetBufferLists: NBL %p "
					      "is already indicated or sent, not the miniport's", (void *)l);
			l->Next = NULL;
			continue;
		}
		t->where = NDIS_NBL_INDICATED;
		t->ad = ad;
		t->resources = resources;
		t->n_holders = n_to;
		memcpy(t->holders, to, n_to * sizeof(to[0]));
		list_add(&ad->receives, t);
		*tail = l;
		tail = &l->Next;
		count++;
		if (trace)
			log_trace(NDIS_LOG_DATA, "'%s' -> receive NBL %p on vPort %u", ad->name, (void *)l,
				  NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(l));
	}
	*tail = NULL;
	if (!head)
		return;
	if (count != n)
		log_warn(NDIS_LOG_DATA, "'%s': NumberOfNetBufferLists %u but the chain holds %u", ad->name, n, count);
	if (n_to == 0) {
		/* Nobody bound: NDIS hands them straight back. */
		for (PNET_BUFFER_LIST l = head; l; l = l->Next) {
			struct ndis_nbl_track *t = ndis__nbl_track(l);
			list_del(&ad->receives, t);
			t->where = NDIS_NBL_OWNED;
		}
		if (!resources)
			return_to_miniport(ad, head);
		return;
	}
	if (capture_on() && ad->capture)
		capture_nbls(ad, head, CAPTURE_IN);
	for (unsigned i = 0; i < n_to; i++) {
		struct ndis_binding *b = to[i];
		struct ndis_call call;

		ndis__call_enter(&call, b->proto->fw, b->proto->drv, NULL);
		b->proto->chars.ReceiveNetBufferListsHandler(b->proto_ctx, head, port, count, flags);
		ndis__call_leave(&call);
	}
	/*
	 * Without RESOURCES the NBLs now belong to the protocols, which may
	 * already have returned them (and the miniport freed them): NDIS does
	 * not touch them again. With RESOURCES nobody could return them, and
	 * they are the miniport's once this call returns.
	 */
	if (resources)
		for (PNET_BUFFER_LIST l = head; l; l = next) {
			struct ndis_nbl_track *t = ndis__nbl_track(l);

			next = l->Next;
			if (!t || t->where != NDIS_NBL_INDICATED)
				continue;
			t->n_holders = 0;
			list_del(&ad->receives, t);
			t->where = NDIS_NBL_OWNED;
		}
}

void ndis__nbl_return(struct ndis_binding *b, PNET_BUFFER_LIST nbls, ULONG flags)
{
	struct ndis_adapter *ad = b->ad;
	PNET_BUFFER_LIST back = NULL, *tail = &back, next;

	(void)flags;
	for (PNET_BUFFER_LIST l = nbls; l; l = next) {
		struct ndis_nbl_track *t = ndis__nbl_track(l);
		bool held = false;

		if (!t) {
			ndis__finding(ad->fw, NDIS_RULE_NBL_RETURN_TWICE, b->proto->name, ad->name,
				      "%s returned %p, which is not a live NBL (returned twice and freed by the miniport?); "
				      "the rest of the chain is dropped", b->proto->name, (void *)l);
			break;
		}
		next = l->Next;
		if (t->where == NDIS_NBL_INDICATED && t->ad == ad && !t->resources)
			for (unsigned i = 0; i < t->n_holders; i++)
				if (t->holders[i] == b) {
					t->holders[i] = t->holders[--t->n_holders];
					held = true;
					break;
				}
		if (!held) {
			ndis__finding(ad->fw, NDIS_RULE_NBL_RETURN_TWICE, b->proto->name, ad->name,
				      "%s returned NBL %p it does not hold (returned twice, indicated with "
				      "NDIS_RECEIVE_FLAGS_RESOURCES, or never indicated to it)", b->proto->name, (void *)l);
			continue;
		}
		if (t->n_holders)
			continue;
		list_del(&ad->receives, t);
		t->where = NDIS_NBL_OWNED;
		*tail = l;
		tail = &l->Next;
	}
	*tail = NULL;
	return_to_miniport(ad, back);
}

void ndis__nbl_binding_closed(struct ndis_binding *b, bool do_report)
{
	struct ndis_adapter *ad = b->ad;
	PNET_BUFFER_LIST back = NULL, *tail = &back;
	unsigned kept = 0;

	for (struct ndis_nbl_track *t = ad->receives, *next; t; t = next) {
		next = t->next;
		for (unsigned i = 0; i < t->n_holders; i++)
			if (t->holders[i] == b) {
				t->holders[i] = t->holders[--t->n_holders];
				kept++;
				break;
			}
		if (t->n_holders == 0 && t->where == NDIS_NBL_INDICATED) {
			list_del(&ad->receives, t);
			t->where = NDIS_NBL_OWNED;
			*tail = nbl_of(t);
			tail = &nbl_of(t)->Next;
		}
	}
	*tail = NULL;
	if (kept && do_report)
		ndis__finding(ad->fw, NDIS_RULE_NBL_NEVER_RETURNED, b->proto->name, ad->name,
			      "%s closed its binding with %u indicated NBL(s) never returned; NDIS returns them to %s",
			      b->proto->name, kept, mp_name(ad));
	/* Sends still at the miniport complete to nobody once the binding is gone. */
	for (struct ndis_nbl_track *t = ad->sends; t; t = t->next)
		if (t->sender == b)
			t->sender = NULL;
	return_to_miniport(ad, back);
}

void ndis__nbl_check_quiesced(struct ndis_adapter *ad, const char *when)
{
	unsigned sends = 0;

	for (struct ndis_nbl_track *t = ad->sends; t; t = t->next)
		sends++;
	if (sends)
		ndis__adapter_finding(ad, NDIS_RULE_NBL_NEVER_RETURNED,
				      "%s completed with %u sent NBL(s) not send-completed", when, sends);
	for (struct ndis_nbl_track *t = ad->receives; t; t = t->next)
		for (unsigned i = 0; i < t->n_holders; i++)
			ndis__finding(ad->fw, NDIS_RULE_NBL_NEVER_RETURNED, t->holders[i]->proto->name, ad->name,
				      "NBL %p indicated by %s still held by %s at %s", (void *)nbl_of(t), mp_name(ad),
				      t->holders[i]->proto->name, when);
}

void ndis__nbl_adapter_fini(struct ndis_adapter *ad)
{
	/* After MiniportHaltEx nothing comes back: forget the tracking. */
	while (ad->sends) {
		struct ndis_nbl_track *t = ad->sends;
		list_del(&ad->sends, t);
		t->where = NDIS_NBL_OWNED;
		t->sender = NULL;
	}
	while (ad->receives) {
		struct ndis_nbl_track *t = ad->receives;
		list_del(&ad->receives, t);
		t->where = NDIS_NBL_OWNED;
		t->n_holders = 0;
	}
}
