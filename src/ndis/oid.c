/*
 * The OID path of one adapter, as NDIS runs it (spec 3.1):
 *
 *   issuer -> header check -> NDIS-only OID from an overlying driver? refuse
 *          -> NDIS-answered OID? answer from NDIS's cache (nicswitch.c)
 *          -> NDIS pre-processing (ids, validation) of forwarded SR-IOV OIDs
 *          -> OID not in SupportedOidList? NDIS_STATUS_INVALID_OID
 *          -> one request at a time at MiniportOidRequest, the rest queued
 *          -> SUCCESS/failure now, or PENDING then NdisMOidRequestComplete
 *          -> verifier checks (BytesNeeded, byte counts, completed twice)
 *          -> NDIS cache updates, trace line, issuer's completion.
 *
 * Choice documented in docs/ndis/oid-path.md: an OID missing from the
 * miniport's SupportedOidList is failed by NDIS with NDIS_STATUS_INVALID_OID
 * (what the miniport itself must answer for an OID it does not know); an
 * NDIS-only OID (CREATE_SWITCH, DELETE_SWITCH, PROBED_BARS, BAR_RESOURCES)
 * from an overlying driver with NDIS_STATUS_NOT_SUPPORTED.
 *
 * Every request leaves one line on lab.ndis.oid with the OID's name, the
 * status name and the byte counts, and one record in the adapter's history.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndis/internal.h"
#include "base/trace.h"

static const char *type_name(NDIS_REQUEST_TYPE t)
{
	switch (t) {
	case NdisRequestQueryInformation:
		return "query";
	case NdisRequestQueryStatistics:
		return "query-statistics";
	case NdisRequestSetInformation:
		return "set";
	case NdisRequestMethod:
		return "method";
	default:
		return "?";
	}
}

void ndis_oid_init(NDIS_OID_REQUEST *req, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buf, uint32_t len)
{
	memset(req, 0, sizeof(*req));
	req->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
	req->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
	req->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
	req->RequestType = type;
	if (type == NdisRequestMethod) {
		req->DATA.METHOD_INFORMATION.Oid = oid;
		req->DATA.METHOD_INFORMATION.InformationBuffer = buf;
		req->DATA.METHOD_INFORMATION.InputBufferLength = len;
		req->DATA.METHOD_INFORMATION.OutputBufferLength = len;
	} else {
		req->DATA.QUERY_INFORMATION.Oid = oid;
		req->DATA.QUERY_INFORMATION.InformationBuffer = buf;
		req->DATA.QUERY_INFORMATION.InformationBufferLength = len;
	}
}

/* The three DATA members start with Oid and InformationBuffer. */
static uint32_t oid_of(const NDIS_OID_REQUEST *r)
{
	return r->DATA.QUERY_INFORMATION.Oid;
}

void *ndis__oid_buffer(const NDIS_OID_REQUEST *r)
{
	return r->DATA.QUERY_INFORMATION.InformationBuffer;
}

uint32_t ndis__oid_buffer_len(const NDIS_OID_REQUEST *r)
{
	if (r->RequestType == NdisRequestMethod)
		return r->DATA.METHOD_INFORMATION.OutputBufferLength > r->DATA.METHOD_INFORMATION.InputBufferLength ?
			       r->DATA.METHOD_INFORMATION.OutputBufferLength : r->DATA.METHOD_INFORMATION.InputBufferLength;
	return r->DATA.QUERY_INFORMATION.InformationBufferLength;
}

void ndis__oid_set_needed(NDIS_OID_REQUEST *r, uint32_t n)
{
	if (r->RequestType == NdisRequestMethod)
		r->DATA.METHOD_INFORMATION.BytesNeeded = n;
	else if (r->RequestType == NdisRequestSetInformation)
		r->DATA.SET_INFORMATION.BytesNeeded = n;
	else
		r->DATA.QUERY_INFORMATION.BytesNeeded = n;
}

void ndis__oid_set_written(NDIS_OID_REQUEST *r, uint32_t n)
{
	if (r->RequestType == NdisRequestMethod)
		r->DATA.METHOD_INFORMATION.BytesWritten = n;
	else if (r->RequestType != NdisRequestSetInformation)
		r->DATA.QUERY_INFORMATION.BytesWritten = n;
}

void ndis__oid_set_read(NDIS_OID_REQUEST *r, uint32_t n)
{
	if (r->RequestType == NdisRequestMethod)
		r->DATA.METHOD_INFORMATION.BytesRead = n;
	else if (r->RequestType == NdisRequestSetInformation)
		r->DATA.SET_INFORMATION.BytesRead = n;
}

static void counts(const NDIS_OID_REQUEST *r, uint32_t *written, uint32_t *read, uint32_t *needed)
{
	switch (r->RequestType) {
	case NdisRequestMethod:
		*written = r->DATA.METHOD_INFORMATION.BytesWritten;
		*read = r->DATA.METHOD_INFORMATION.BytesRead;
		*needed = r->DATA.METHOD_INFORMATION.BytesNeeded;
		break;
	case NdisRequestSetInformation:
		*written = 0;
		*read = r->DATA.SET_INFORMATION.BytesRead;
		*needed = r->DATA.SET_INFORMATION.BytesNeeded;
		break;
	default:
		*written = r->DATA.QUERY_INFORMATION.BytesWritten;
		*read = 0;
		*needed = r->DATA.QUERY_INFORMATION.BytesNeeded;
		break;
	}
}

bool ndis__oid_in_list(const struct ndis_adapter *ad, uint32_t oid)
{
	for (size_t i = 0; i < ad->n_oids; i++)
		if (ad->oid_list[i] == oid)
			return true;
	return false;
}

bool ndis__oid_idle(const struct ndis_adapter *ad)
{
	return !ad->oid_current && !ad->oid_head;
}

/* ---- records --------------------------------------------------------------- */
static size_t record_new(struct ndis_adapter *ad, const NDIS_OID_REQUEST *r, const char *issuer)
{
	struct ndis_oid_record *rec;

	if (!ad->records) {
		ad->records = calloc(NDIS_OID_RECORDS_MAX, sizeof(*ad->records));
		if (!ad->records)
			return (size_t)-1;
	}
	if (ad->n_records == NDIS_OID_RECORDS_MAX) {
		memmove(ad->records, ad->records + 1, (NDIS_OID_RECORDS_MAX - 1) * sizeof(*ad->records));
		ad->n_records--;
		ad->record_base++;
	}
	rec = &ad->records[ad->n_records++];
	memset(rec, 0, sizeof(*rec));
	rec->oid = oid_of(r);
	rec->type = r->RequestType;
	rec->pending = true;
	ndis__strlcpy(rec->issuer, issuer, sizeof(rec->issuer));
	return ad->record_base + ad->n_records - 1;
}

static struct ndis_oid_record *record_get(struct ndis_adapter *ad, size_t seq)
{
	if (seq == (size_t)-1 || seq < ad->record_base || seq - ad->record_base >= ad->n_records)
		return NULL;
	return &ad->records[seq - ad->record_base];
}

size_t ndis_adapter_oid_record_count(const struct ndis_adapter *ad)
{
	return ad->n_records;
}

const struct ndis_oid_record *ndis_adapter_oid_record_at(const struct ndis_adapter *ad, size_t i)
{
	return i < ad->n_records ? &ad->records[i] : NULL;
}

/* ---- completion ------------------------------------------------------------ */
static void trace(struct ndis_adapter *ad, const NDIS_OID_REQUEST *r, const char *issuer, uint32_t status,
		  bool by_ndis)
{
	uint32_t w, rd, n;

	counts(r, &w, &rd, &n);
	log_info(NDIS_LOG_OID, "'%s' <- %s %s from %s: %s, written %u read %u needed %u [%s]", ad->name,
		 ndis__oid_str(oid_of(r)), type_name(r->RequestType), issuer, ndis__status_str(status), w, rd, n,
		 by_ndis ? "NDIS" : ad->drv->name);
}

static void check_completion(struct ndis_adapter *ad, const struct ndis_oid_entry *e, uint32_t status)
{
	const NDIS_OID_REQUEST *r = e->req;
	uint32_t w, rd, n;

	counts(r, &w, &rd, &n);
	if ((status == (uint32_t)NDIS_STATUS_INVALID_LENGTH || status == (uint32_t)NDIS_STATUS_BUFFER_TOO_SHORT) && n == 0)
		ndis__adapter_finding(ad, NDIS_RULE_OID_BYTES_NEEDED, "%s %s completed with %s and BytesNeeded 0 (buffer %u bytes)",
				      ndis__oid_str(oid_of(r)), type_name(r->RequestType), ndis__status_str(status),
				      ndis__oid_buffer_len(r));
	if (status != (uint32_t)NDIS_STATUS_SUCCESS)
		return;
	switch (r->RequestType) {
	case NdisRequestMethod:
		if (w > r->DATA.METHOD_INFORMATION.OutputBufferLength || rd > r->DATA.METHOD_INFORMATION.InputBufferLength)
			ndis__adapter_finding(ad, NDIS_RULE_OID_BYTE_COUNTS,
					      "%s method: BytesWritten %u / BytesRead %u beyond OutputBufferLength %u / InputBufferLength %u",
					      ndis__oid_str(oid_of(r)), w, rd, r->DATA.METHOD_INFORMATION.OutputBufferLength,
					      r->DATA.METHOD_INFORMATION.InputBufferLength);
		break;
	case NdisRequestSetInformation:
		if (rd > r->DATA.SET_INFORMATION.InformationBufferLength)
			ndis__adapter_finding(ad, NDIS_RULE_OID_BYTE_COUNTS, "%s set: BytesRead %u beyond InformationBufferLength %u",
					      ndis__oid_str(oid_of(r)), rd, r->DATA.SET_INFORMATION.InformationBufferLength);
		break;
	default:
		if (w > r->DATA.QUERY_INFORMATION.InformationBufferLength)
			ndis__adapter_finding(ad, NDIS_RULE_OID_BYTE_COUNTS, "%s query: BytesWritten %u beyond InformationBufferLength %u",
					      ndis__oid_str(oid_of(r)), w, r->DATA.QUERY_INFORMATION.InformationBufferLength);
		break;
	}
}

/*
 * Final step for every request. by_miniport: the status came from the
 * miniport. async: the issuer was told -EINPROGRESS and gets done().
 */
static void finish(struct ndis_adapter *ad, struct ndis_oid_entry *e, uint32_t status, bool by_miniport, bool async)
{
	struct ndis_oid_record *rec = record_get(ad, e->record);

	if (by_miniport) {
		check_completion(ad, e, status);
		ndis__nicswitch_post(ad, &e->who, e->req, status);
	}
	trace(ad, e->req, e->who_name, status, !by_miniport);
	if (rec) {
		rec->pending = false;
		rec->by_ndis = !by_miniport;
		rec->status = status;
		counts(e->req, &rec->bytes_written, &rec->bytes_read, &rec->bytes_needed);
	}
	if (async)
		trace_instant("oid", "OID complete", "adapter=%s oid=%s status=0x%08x", ad->name,
			      ndis_oid_name(oid_of(e->req)) ? ndis_oid_name(oid_of(e->req)) : "?", status);
	if (async && e->done)
		e->done(e->ctx, e->req, status);
	free(e);
}

static void dispatch(struct ndis_adapter *ad);

/* Hand e to MiniportOidRequest. 0 (*status) if it completed, -EINPROGRESS if pended. */
static int call_miniport(struct ndis_adapter *ad, struct ndis_oid_entry *e, uint32_t *status)
{
	struct ndis_call call;
	NDIS_STATUS st;

	ad->oid_current = e;
	e->at_miniport = true;
	e->in_handler = true;
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	st = ad->drv->mchars.OidRequestHandler(ad->ctx, e->req);
	ndis__call_leave(&call);
	e->in_handler = false;
	if (st == NDIS_STATUS_PENDING && !e->completed_in_handler)
		return -EINPROGRESS;
	if (st != NDIS_STATUS_PENDING && e->completed_in_handler)
		ndis__adapter_finding(ad, NDIS_RULE_OID_COMPLETE_TWICE,
				      "%s: MiniportOidRequest returned %s and also called NdisMOidRequestComplete",
				      ndis__oid_str(oid_of(e->req)), ndis__status_str((uint32_t)st));
	if (st == NDIS_STATUS_PENDING)
		st = (NDIS_STATUS)e->early_status;
	ad->oid_current = NULL;
	*status = (uint32_t)st;
	return 0;
}

static void dispatch(struct ndis_adapter *ad)
{
	while (!ad->oid_current && ad->oid_head) {
		struct ndis_oid_entry *e = ad->oid_head;
		uint32_t st;

		ad->oid_head = e->next;
		if (!ad->oid_head)
			ad->oid_tail = NULL;
		e->next = NULL;
		if (call_miniport(ad, e, &st) == 0)
			finish(ad, e, st, true, true);
	}
}

void ndis__oid_complete_from_miniport(struct ndis_adapter *ad, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct ndis_oid_entry *e = ad->oid_current;

	if (!e || e->req != req) {
		ndis__adapter_finding(ad, NDIS_RULE_OID_COMPLETE_TWICE,
				      "NdisMOidRequestComplete(%s, %s) for a request that is not pending at the miniport "
				      "(completed already, or never pended)", req ? ndis__oid_str(oid_of(req)) : "NULL",
				      ndis__status_str(status));
		return;
	}
	if (status == (uint32_t)NDIS_STATUS_PENDING) {
		ndis__adapter_finding(ad, NDIS_RULE_OID_COMPLETE_TWICE, "%s completed with NDIS_STATUS_PENDING",
				      ndis__oid_str(oid_of(req)));
		status = (uint32_t)NDIS_STATUS_FAILURE;
	}
	if (e->in_handler) {
		if (e->completed_in_handler) {
			ndis__adapter_finding(ad, NDIS_RULE_OID_COMPLETE_TWICE, "%s: NdisMOidRequestComplete called twice",
					      ndis__oid_str(oid_of(req)));
			return;
		}
		e->completed_in_handler = true;
		e->early_status = status;
		return;
	}
	ad->oid_current = NULL;
	finish(ad, e, status, true, true);
	dispatch(ad);
	ndis__adapter_progress(ad);
}

void ndis__oid_abort_all(struct ndis_adapter *ad, bool report)
{
	struct ndis_oid_entry *e = ad->oid_current;

	if (e && ad->drv && ad->drv->mchars.CancelOidRequestHandler && !e->in_handler) {
		struct ndis_call call;

		/* NDIS asks the miniport first (MiniportCancelOidRequest). */
		ndis__call_enter(&call, ad->fw, ad->drv, ad);
		ad->drv->mchars.CancelOidRequestHandler(ad->ctx, e->req->RequestId);
		ndis__call_leave(&call);
	}
	e = ad->oid_current;
	if (e) {
		if (report)
			ndis__adapter_finding(ad, NDIS_RULE_OID_NEVER_COMPLETED,
					      "%s %s from %s pended at the miniport and was never completed",
					      ndis__oid_str(oid_of(e->req)), type_name(e->req->RequestType), e->who_name);
		ad->oid_current = NULL;
		finish(ad, e, (uint32_t)NDIS_STATUS_REQUEST_ABORTED, false, true);
	}
	while ((e = ad->oid_head)) {
		ad->oid_head = e->next;
		finish(ad, e, (uint32_t)NDIS_STATUS_REQUEST_ABORTED, false, true);
	}
	ad->oid_tail = NULL;
}

/* ---- NDIS's own answers that are not SR-IOV -------------------------------- */
static bool answer_generic(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	if (oid_of(r) == OID_GEN_SUPPORTED_LIST && r->RequestType == NdisRequestQueryInformation) {
		uint32_t need = (uint32_t)(ad->n_oids * sizeof(NDIS_OID));

		if (r->DATA.QUERY_INFORMATION.InformationBufferLength < need) {
			r->DATA.QUERY_INFORMATION.BytesNeeded = need;
			*status = (uint32_t)NDIS_STATUS_INVALID_LENGTH;
			return true;
		}
		if (need)
			memcpy(r->DATA.QUERY_INFORMATION.InformationBuffer, ad->oid_list, need);
		r->DATA.QUERY_INFORMATION.BytesWritten = need;
		*status = (uint32_t)NDIS_STATUS_SUCCESS;
		return true;
	}
	return false;
}

int ndis_oid_request(struct ndis_adapter *ad, const struct ndis_issuer *who, NDIS_OID_REQUEST *req,
		     ndis_oid_done_fn *done, void *ctx, uint32_t *status)
{
	struct ndis_oid_entry *e;
	uint32_t st = 0;
	size_t min;

	if (!ad || !who || !req || !status)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->req = req;
	e->who = *who;
	ndis__strlcpy(e->who_name, who->name ? who->name : (who->kind == NDIS_ISSUER_NDIS ? "NDIS" : "?"),
		      sizeof(e->who_name));
	e->who.name = e->who_name;
	e->done = done;
	e->ctx = ctx;
	e->record = record_new(ad, req, e->who_name);
	/* The timeline: every OID as a span named after it, inside its sequence's step. */
	TRACE_SCOPE("oid", ndis_oid_name(oid_of(req)) ? ndis_oid_name(oid_of(req)) : "OID", "adapter=%s from=%s oid=0x%08x",
		    ad->name, e->who_name, oid_of(req));

	/* NDIS's own checks, answers and refusals complete synchronously. */
	min = req->Header.Revision >= NDIS_OID_REQUEST_REVISION_2 ? NDIS_SIZEOF_OID_REQUEST_REVISION_2 :
								   NDIS_SIZEOF_OID_REQUEST_REVISION_1;
	if (req->Header.Type != NDIS_OBJECT_TYPE_OID_REQUEST || req->Header.Revision < 1 ||
	    req->Header.Revision > NDIS_OID_REQUEST_REVISION_2 || req->Header.Size < min) {
		log_error(NDIS_LOG_OID, "'%s': OID request from %s has a bad header (type 0x%x rev %u size %u)",
			  ad->name, e->who_name, req->Header.Type, req->Header.Revision, req->Header.Size);
		st = (uint32_t)NDIS_STATUS_INVALID_PARAMETER;
		goto answered;
	}
	if (req->RequestType != NdisRequestQueryInformation && req->RequestType != NdisRequestSetInformation &&
	    req->RequestType != NdisRequestMethod && req->RequestType != NdisRequestQueryStatistics) {
		st = (uint32_t)NDIS_STATUS_INVALID_PARAMETER;
		goto answered;
	}
	if (ad->state != NDIS_ADAPTER_PAUSED && ad->state != NDIS_ADAPTER_RUNNING &&
	    ad->state != NDIS_ADAPTER_PAUSING && ad->state != NDIS_ADAPTER_RESTARTING) {
		st = (uint32_t)NDIS_STATUS_ADAPTER_NOT_READY;
		goto answered;
	}
	if (ndis__oid_is_ndis_only(oid_of(req)) && who->kind != NDIS_ISSUER_NDIS) {
		log_warn(NDIS_LOG_OID, "'%s': %s is issued only by NDIS; refused from %s", ad->name,
			 ndis__oid_str(oid_of(req)), e->who_name);
		st = (uint32_t)NDIS_STATUS_NOT_SUPPORTED;
		goto answered;
	}
	if (answer_generic(ad, req, &st) || ndis__nicswitch_pre(ad, &e->who, req, &st) == NDIS_ROUTE_ANSWERED)
		goto answered;
	if (!ndis__oid_in_list(ad, oid_of(req))) {
		st = (uint32_t)NDIS_STATUS_INVALID_OID;
		log_info(NDIS_LOG_OID, "'%s': %s is not in %s's SupportedOidList; NDIS fails it", ad->name,
			 ndis__oid_str(oid_of(req)), ad->drv->name);
		goto answered;
	}
	if (ad->oid_current || ad->oid_head) {
		/* One request at a time at the miniport; the others wait. */
		if (ad->oid_tail)
			ad->oid_tail->next = e;
		else
			ad->oid_head = e;
		ad->oid_tail = e;
		log_debug(NDIS_LOG_OID, "'%s': %s from %s queued behind %s", ad->name, ndis__oid_str(oid_of(req)),
			  e->who_name, ad->oid_current ? ndis__oid_str(oid_of(ad->oid_current->req)) : "queued requests");
		return -EINPROGRESS;
	}
	if (call_miniport(ad, e, &st) == -EINPROGRESS) {
		log_debug(NDIS_LOG_OID, "'%s': %s from %s pended by %s", ad->name, ndis__oid_str(oid_of(req)),
			  e->who_name, ad->drv->name);
		return -EINPROGRESS;
	}
	finish(ad, e, st, true, false);
	*status = st;
	dispatch(ad);
	return 0;
answered:
	finish(ad, e, st, false, false);
	*status = st;
	return 0;
}
