/*
 * The SR-IOV and NIC-switch part of NDIS (spec 2.3-2.10, 3.2-3.3, 8.6):
 *
 * - the "N" OIDs NDIS answers itself, never reaching the miniport: the
 *   capability queries (from the attributes the miniport registered), the
 *   switch/vPort/VF/filter enumerations and parameter queries (from the cache
 *   below), OID_SRIOV_PF_LUID, and OID_SRIOV_VF_SERIAL_NUMBER from the vPCI
 *   interface captured at initialization -- NDIS_STATUS_NOT_SUPPORTED when
 *   none was captured (spec 6.5, the field report's failure);
 * - NDIS's work on the "P" OIDs it forwards: VPortId and FilterId assignment,
 *   ALLOCATE_VF pre-validation, ownership (only the allocator frees a VF,
 *   only the creator deletes a vPort or filters it), and FILE_NOT_FOUND for
 *   bad DELETE_SWITCH / FREE_VF parameters;
 * - the cache those answers come from, updated when the PF completes
 *   CREATE_SWITCH, ALLOCATE_VF, CREATE_VPORT, SET_FILTER ... successfully;
 * - NDIS issuing CREATE_SWITCH after a PF initializes with current SR-IOV
 *   capabilities (from *SwitchName / *NumVFs in NicSwitches\0) and
 *   DELETE_SWITCH before it halts.
 *
 * Length rule (spec 3.1): a buffer shorter than the structure's revision-1
 * size fails with NDIS_STATUS_INVALID_LENGTH and BytesNeeded = that size in
 * the member of the request type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ndis/internal.h"
#include "base/trace.h"

const uint32_t ndis__pf_mandatory_oids[] = {
	OID_NIC_SWITCH_CREATE_SWITCH, OID_NIC_SWITCH_PARAMETERS, OID_NIC_SWITCH_DELETE_SWITCH,
	OID_NIC_SWITCH_CREATE_VPORT, OID_NIC_SWITCH_VPORT_PARAMETERS, OID_NIC_SWITCH_DELETE_VPORT,
	OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_FREE_VF, OID_SRIOV_READ_VF_CONFIG_SPACE,
	OID_SRIOV_WRITE_VF_CONFIG_SPACE, OID_SRIOV_READ_VF_CONFIG_BLOCK, OID_SRIOV_WRITE_VF_CONFIG_BLOCK,
	OID_SRIOV_RESET_VF, OID_SRIOV_SET_VF_POWER_STATE, OID_SRIOV_VF_VENDOR_DEVICE_ID,
	OID_SRIOV_PROBED_BARS, OID_SRIOV_BAR_RESOURCES, OID_RECEIVE_FILTER_SET_FILTER,
	OID_RECEIVE_FILTER_CLEAR_FILTER, OID_RECEIVE_FILTER_MOVE_FILTER,
};
const size_t ndis__pf_mandatory_oid_count = sizeof(ndis__pf_mandatory_oids) / sizeof(ndis__pf_mandatory_oids[0]);

bool ndis__oid_is_ndis_only(uint32_t oid)
{
	return oid == OID_NIC_SWITCH_CREATE_SWITCH || oid == OID_NIC_SWITCH_DELETE_SWITCH ||
	       oid == OID_SRIOV_PROBED_BARS || oid == OID_SRIOV_BAR_RESOURCES;
}

#define ST(x) ((uint32_t)(x))

static uint32_t in_len(const NDIS_OID_REQUEST *r)
{
	if (r->RequestType == NdisRequestMethod)
		return r->DATA.METHOD_INFORMATION.InputBufferLength;
	if (r->RequestType == NdisRequestSetInformation)
		return r->DATA.SET_INFORMATION.InformationBufferLength;
	return 0;
}

static uint32_t out_len(const NDIS_OID_REQUEST *r)
{
	if (r->RequestType == NdisRequestMethod)
		return r->DATA.METHOD_INFORMATION.OutputBufferLength;
	if (r->RequestType == NdisRequestSetInformation)
		return 0;
	return r->DATA.QUERY_INFORMATION.InformationBufferLength;
}

static bool is_query(const NDIS_OID_REQUEST *r)
{
	return r->RequestType == NdisRequestQueryInformation || r->RequestType == NdisRequestQueryStatistics;
}

static enum ndis_oid_route answer(uint32_t *status, uint32_t st)
{
	*status = st;
	return NDIS_ROUTE_ANSWERED;
}

static enum ndis_oid_route too_short(NDIS_OID_REQUEST *r, uint32_t need, uint32_t *status)
{
	ndis__oid_set_needed(r, need);
	return answer(status, ST(NDIS_STATUS_INVALID_LENGTH));
}

/* The input structure's header: type DEFAULT, revision >= 1, size >= min. */
static bool header_ok(const void *buf, uint32_t min)
{
	const NDIS_OBJECT_HEADER *h = buf;
	return h->Type == NDIS_OBJECT_TYPE_DEFAULT && h->Revision >= 1 && h->Size >= min;
}

/* Copy a structure out as the answer to a query (or method) request. */
static enum ndis_oid_route answer_copy(NDIS_OID_REQUEST *r, const void *src, uint32_t n, uint32_t *status)
{
	if (out_len(r) < n)
		return too_short(r, n, status);
	memcpy(ndis__oid_buffer(r), src, n);
	ndis__oid_set_written(r, n);
	if (r->RequestType == NdisRequestMethod)
		ndis__oid_set_read(r, in_len(r));
	return answer(status, ST(NDIS_STATUS_SUCCESS));
}

static uint32_t caps_size(const NDIS_OBJECT_HEADER *h, size_t stored)
{
	return h->Size < stored ? h->Size : (uint32_t)stored;
}

static void counted_string(NDIS_IF_COUNTED_STRING *s, const char *text)
{
	memset(s, 0, sizeof(*s));
	s->Length = (USHORT)(ndis__ascii_to_utf16(s->String, IF_MAX_STRING_SIZE + 1, text, strlen(text)) * sizeof(WCHAR));
}

static void counted_to_ascii(const NDIS_IF_COUNTED_STRING *s, char *out, size_t len)
{
	size_t n = s->Length / sizeof(WCHAR);

	if (n > IF_MAX_STRING_SIZE)
		n = IF_MAX_STRING_SIZE;
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = s->String[i] > 0 && s->String[i] < 0x80 ? (char)s->String[i] : '?';
	out[n] = 0;
}

/* ---- cache lookups ----------------------------------------------------------- */
static struct ndis_vf_entry *find_vf(struct ndis_adapter *ad, uint16_t id)
{
	for (size_t i = 0; i < ad->n_vfs; i++)
		if (ad->vfs[i].vf_id == id)
			return &ad->vfs[i];
	return NULL;
}

static struct ndis_vport_entry *find_vport(struct ndis_adapter *ad, uint32_t id)
{
	for (size_t i = 0; i < ad->n_vports; i++)
		if (ad->vports[i].id == id)
			return &ad->vports[i];
	return NULL;
}

static struct ndis_filter_entry *find_filter(struct ndis_adapter *ad, uint32_t id)
{
	for (size_t i = 0; i < ad->n_filters; i++)
		if (ad->filters[i].id == id)
			return &ad->filters[i];
	return NULL;
}

static bool vport_exists(struct ndis_adapter *ad, uint32_t id)
{
	return id == NDIS_DEFAULT_VPORT_ID ? ad->switch_created : find_vport(ad, id) != NULL;
}

static size_t filters_on(struct ndis_adapter *ad, uint32_t vport)
{
	size_t n = 0;

	for (size_t i = 0; i < ad->n_filters; i++)
		if (ad->filters[i].vport == vport)
			n++;
	return n;
}

static bool vf_has_vport(struct ndis_adapter *ad, uint16_t vf)
{
	for (size_t i = 0; i < ad->n_vports; i++)
		if (ad->vports[i].params.AttachedFunctionId == vf)
			return true;
	return false;
}

#define GROW(arr, n, cap) \
	((n) < (cap) ? 0 : ndis__grow((void **)&(arr), &(cap), sizeof(*(arr))))

static int ndis__grow(void **arr, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *n = realloc(*arr, ncap * elem);

	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

void ndis__nicswitch_clear(struct ndis_adapter *ad)
{
	for (size_t i = 0; i < ad->n_filters; i++)
		free(ad->filters[i].params);
	ad->n_filters = 0;
	ad->n_vports = 0;
	ad->n_vfs = 0;
	ad->switch_created = false;
	ad->next_filter_id = 1;
	memset(&ad->switch_params, 0, sizeof(ad->switch_params));
}

/* ---- answers from the cache ---------------------------------------------------- */
static void fill_switch_info(struct ndis_adapter *ad, NDIS_NIC_SWITCH_INFO *info)
{
	memset(info, 0, sizeof(*info));
	info->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	info->Header.Revision = NDIS_NIC_SWITCH_INFO_REVISION_1;
	info->Header.Size = NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1;
	info->SwitchType = ad->switch_params.SwitchType;
	info->SwitchId = ad->switch_params.SwitchId;
	info->SwitchFriendlyName = ad->switch_params.SwitchFriendlyName;
	info->NumVFs = ad->switch_params.NumVFs;
	info->NumAllocatedVFs = (ULONG)ad->n_vfs;
	info->NumVPorts = ad->hw_switch.MaxNumVPorts;
	info->NumActiveVPorts = (ULONG)ad->n_vports + 1;
	info->NumQueuePairsForDefaultVPort = 1;
	for (size_t i = 0; i < ad->n_vports; i++)
		info->NumQueuePairsForNonDefaultVPorts += ad->vports[i].params.NumQueuePairs;
	for (size_t i = 0; i < ad->n_filters; i++) {
		const struct ndis_filter_entry *f = &ad->filters[i];
		const NDIS_RECEIVE_FILTER_PARAMETERS *p = (const void *)f->params;

		for (uint32_t k = 0; k < f->n_fields; k++) {
			NDIS_RECEIVE_FILTER_FIELD_PARAMETERS field;
			const NDIS_RECEIVE_FILTER_FIELD_PARAMETERS *fp = &field;
			bool def = f->vport == NDIS_DEFAULT_VPORT_ID;

			/* The issuer chose the array's offset: copy, do not cast. */
			memcpy(&field, f->params + p->FieldParametersArrayOffset + k * p->FieldParametersArrayElementSize,
			       sizeof(field));
			if (fp->FrameHeader != NdisFrameHeaderMac)
				continue;
			if (fp->HeaderField.MacHeaderField == NdisMacHeaderFieldDestinationAddress) {
				if (def)
					info->NumActiveDefaultVPortMacAddresses++;
				else
					info->NumActiveNonDefaultVPortMacAddresses++;
			} else if (fp->HeaderField.MacHeaderField == NdisMacHeaderFieldVlanId) {
				if (def)
					info->NumActiveDefaultVPortVlanIds++;
				else
					info->NumActiveNonDefaultVPortVlanIds++;
			}
		}
	}
}

int ndis__nicswitch_info_array(struct ndis_adapter *ad, void *buf, size_t len)
{
	const size_t need = NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1 + NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1;
	NDIS_NIC_SWITCH_INFO_ARRAY *arr = buf;
	NDIS_NIC_SWITCH_INFO info;

	if (len < need)
		return -ENOSPC;
	memset(buf, 0, need);
	arr->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	arr->Header.Revision = NDIS_NIC_SWITCH_INFO_ARRAY_REVISION_1;
	arr->Header.Size = NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1;
	arr->FirstElementOffset = NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1;
	arr->NumElements = ad->switch_created ? 1 : 0;
	arr->ElementSize = NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1;
	if (ad->switch_created) {
		fill_switch_info(ad, &info);
		memcpy((uint8_t *)buf + arr->FirstElementOffset, &info, NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1);
	}
	return (int)need;
}

static enum ndis_oid_route enum_switches(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	uint32_t n = ad->switch_created ? 1 : 0;
	uint32_t need = NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1 + n * NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1;
	NDIS_NIC_SWITCH_INFO_ARRAY *arr;

	if (!ad->has_cur_switch)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (out_len(r) < need)
		return too_short(r, need, status);
	arr = ndis__oid_buffer(r);
	memset(arr, 0, need);
	arr->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	arr->Header.Revision = NDIS_NIC_SWITCH_INFO_ARRAY_REVISION_1;
	arr->Header.Size = NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1;
	arr->FirstElementOffset = NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1;
	arr->NumElements = n;
	arr->ElementSize = NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1;
	if (n) {
		NDIS_NIC_SWITCH_INFO info;
		fill_switch_info(ad, &info);
		memcpy((uint8_t *)arr + arr->FirstElementOffset, &info, NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1);
	}
	ndis__oid_set_written(r, need);
	return answer(status, ST(NDIS_STATUS_SUCCESS));
}

static enum ndis_oid_route switch_parameters_query(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t need = NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_PARAMETERS *p = ndis__oid_buffer(r);

	if (!ad->has_cur_switch)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (out_len(r) < need || (r->RequestType == NdisRequestMethod && in_len(r) < need))
		return too_short(r, need, status);
	if (r->RequestType == NdisRequestMethod &&
	    (!header_ok(p, need) || p->SwitchId != NDIS_DEFAULT_SWITCH_ID || !ad->switch_created))
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	if (!ad->switch_created)
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	return answer_copy(r, &ad->switch_params, need, status);
}

static void fill_vport_info(const struct ndis_vport_entry *v, NDIS_NIC_SWITCH_VPORT_INFO *info, size_t filters)
{
	memset(info, 0, sizeof(*info));
	info->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	info->Header.Revision = NDIS_NIC_SWITCH_VPORT_INFO_REVISION_1;
	info->Header.Size = NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_REVISION_1;
	info->VPortId = v->id;
	info->Flags = v->params.Flags & 0xffff;
	info->SwitchId = v->params.SwitchId;
	info->VPortName = v->params.VPortName;
	info->AttachedFunctionId = v->params.AttachedFunctionId;
	info->NumQueuePairs = v->params.NumQueuePairs;
	info->InterruptModeration = v->params.InterruptModeration;
	info->VPortState = v->params.VPortState;
	info->ProcessorAffinity = v->params.ProcessorAffinity;
	info->LookaheadSize = v->params.LookaheadSize;
	info->NumFilters = (ULONG)filters;
}

/* The default vPort as a cache entry (created by CREATE_SWITCH, spec 8.2). */
static void default_vport(struct ndis_adapter *ad, struct ndis_vport_entry *v)
{
	memset(v, 0, sizeof(*v));
	v->id = NDIS_DEFAULT_VPORT_ID;
	v->params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	v->params.Header.Revision = NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	v->params.Header.Size = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	v->params.SwitchId = NDIS_DEFAULT_SWITCH_ID;
	v->params.VPortId = NDIS_DEFAULT_VPORT_ID;
	v->params.AttachedFunctionId = NDIS_PF_FUNCTION_ID;
	v->params.NumQueuePairs = 1;
	v->params.VPortState = NdisNicSwitchVPortStateActivated;
	counted_string(&v->params.VPortName, "Default VPort");
	(void)ad;
}

static enum ndis_oid_route enum_vports(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t hdr = NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1;
	const uint32_t el = NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_REVISION_1;
	NDIS_NIC_SWITCH_VPORT_INFO_ARRAY *arr = ndis__oid_buffer(r);
	ULONG flags = 0;
	USHORT fn = NDIS_PF_FUNCTION_ID;
	struct ndis_vport_entry def;
	uint32_t n = 0, need;
	uint8_t *out;

	if (!ad->has_cur_switch)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType == NdisRequestMethod) {
		if (in_len(r) < hdr)
			return too_short(r, hdr, status);
		if (!header_ok(arr, hdr))
			return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
		flags = arr->Flags;
		fn = arr->AttachedFunctionId;
		if ((flags & NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_SWITCH) && arr->SwitchId != NDIS_DEFAULT_SWITCH_ID)
			return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	if (!ad->switch_created)
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	default_vport(ad, &def);
	for (size_t i = 0; i <= ad->n_vports; i++) {
		const struct ndis_vport_entry *v = i == 0 ? &def : &ad->vports[i - 1];
		if ((flags & NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_FUNCTION) && v->params.AttachedFunctionId != fn)
			continue;
		n++;
	}
	need = hdr + n * el;
	if (out_len(r) < need)
		return too_short(r, need, status);
	memset(arr, 0, hdr);
	arr->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	arr->Header.Revision = NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1;
	arr->Header.Size = hdr;
	arr->Flags = flags;
	arr->AttachedFunctionId = fn;
	arr->FirstElementOffset = hdr;
	arr->NumElements = n;
	arr->ElementSize = el;
	out = (uint8_t *)arr + hdr;
	for (size_t i = 0; i <= ad->n_vports; i++) {
		const struct ndis_vport_entry *v = i == 0 ? &def : &ad->vports[i - 1];
		NDIS_NIC_SWITCH_VPORT_INFO info;

		if ((flags & NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_FUNCTION) && v->params.AttachedFunctionId != fn)
			continue;
		fill_vport_info(v, &info, filters_on(ad, v->id));
		memcpy(out, &info, el);
		out += el;
	}
	ndis__oid_set_written(r, need);
	ndis__oid_set_read(r, in_len(r));
	return answer(status, ST(NDIS_STATUS_SUCCESS));
}

static enum ndis_oid_route vport_parameters_query(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t need = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_VPORT_PARAMETERS *p = ndis__oid_buffer(r);
	struct ndis_vport_entry def, *v;

	if (!ad->has_cur_switch)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (out_len(r) < need || (r->RequestType == NdisRequestMethod && in_len(r) < need) ||
	    (is_query(r) && out_len(r) < need))
		return too_short(r, need, status);
	if (!header_ok(p, need) || p->SwitchId != NDIS_DEFAULT_SWITCH_ID || !ad->switch_created)
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	if (p->VPortId == NDIS_DEFAULT_VPORT_ID) {
		default_vport(ad, &def);
		v = &def;
	} else if (!(v = find_vport(ad, p->VPortId))) {
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	return answer_copy(r, &v->params, need, status);
}

static enum ndis_oid_route enum_vfs(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t hdr = NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1;
	const uint32_t el = NDIS_SIZEOF_NIC_SWITCH_VF_INFO_REVISION_1;
	NDIS_NIC_SWITCH_VF_INFO_ARRAY *arr = ndis__oid_buffer(r);
	uint32_t need = hdr + (uint32_t)ad->n_vfs * el;
	uint8_t *out;

	if (!ad->has_cur_sriov)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType == NdisRequestMethod) {
		if (in_len(r) < hdr)
			return too_short(r, hdr, status);
		if (!header_ok(arr, hdr) || arr->SwitchId != NDIS_DEFAULT_SWITCH_ID)
			return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	if (out_len(r) < need)
		return too_short(r, need, status);
	memset(arr, 0, hdr);
	arr->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	arr->Header.Revision = NDIS_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1;
	arr->Header.Size = hdr;
	arr->FirstElementOffset = hdr;
	arr->NumElements = (ULONG)ad->n_vfs;
	arr->ElementSize = el;
	out = (uint8_t *)arr + hdr;
	for (size_t i = 0; i < ad->n_vfs; i++) {
		NDIS_NIC_SWITCH_VF_INFO info;
		const NDIS_NIC_SWITCH_VF_PARAMETERS *p = &ad->vfs[i].params;

		memset(&info, 0, sizeof(info));
		info.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
		info.Header.Revision = NDIS_NIC_SWITCH_VF_INFO_REVISION_1;
		info.Header.Size = NDIS_SIZEOF_NIC_SWITCH_VF_INFO_REVISION_1;
		info.SwitchId = p->SwitchId;
		info.VMName = p->VMName;
		info.VMFriendlyName = p->VMFriendlyName;
		info.NicName = p->NicName;
		info.MacAddressLength = p->MacAddressLength;
		memcpy(info.PermanentMacAddress, p->PermanentMacAddress, sizeof(info.PermanentMacAddress));
		memcpy(info.CurrentMacAddress, p->CurrentMacAddress, sizeof(info.CurrentMacAddress));
		info.VFId = p->VFId;
		info.RequestorId = p->RequestorId;
		memcpy(out, &info, el);
		out += el;
	}
	ndis__oid_set_written(r, need);
	ndis__oid_set_read(r, in_len(r));
	return answer(status, ST(NDIS_STATUS_SUCCESS));
}

static enum ndis_oid_route vf_parameters_query(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t need = NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_VF_PARAMETERS *p = ndis__oid_buffer(r);
	struct ndis_vf_entry *vf;

	if (!ad->has_cur_sriov)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestMethod)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < need || out_len(r) < need)
		return too_short(r, need, status);
	if (!header_ok(p, need) || !(vf = find_vf(ad, p->VFId)))
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	return answer_copy(r, &vf->params, need, status);
}

static enum ndis_oid_route enum_filters(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t hdr = NDIS_SIZEOF_RECEIVE_FILTER_INFO_ARRAY_REVISION_2;
	const uint32_t el = NDIS_SIZEOF_RECEIVE_FILTER_INFO_REVISION_1;
	NDIS_RECEIVE_FILTER_INFO_ARRAY *arr = ndis__oid_buffer(r);
	bool one = false;
	uint32_t vport = 0, n = 0, need;
	uint8_t *out;

	if (!ad->has_cur_rcv)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestMethod)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < hdr)
		return too_short(r, hdr, status);
	if (!header_ok(arr, hdr) || arr->QueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID)
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	if (arr->Flags & NDIS_RECEIVE_FILTER_INFO_ARRAY_VPORT_ID_SPECIFIED) {
		one = true;
		vport = arr->VPortId;
		if (!vport_exists(ad, vport))
			return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	for (size_t i = 0; i < ad->n_filters; i++)
		if (!one || ad->filters[i].vport == vport)
			n++;
	need = hdr + n * el;
	if (out_len(r) < need)
		return too_short(r, need, status);
	arr->FirstElementOffset = hdr;
	arr->NumElements = n;
	arr->ElementSize = el;
	out = (uint8_t *)arr + hdr;
	for (size_t i = 0; i < ad->n_filters; i++) {
		NDIS_RECEIVE_FILTER_INFO info;

		if (one && ad->filters[i].vport != vport)
			continue;
		memset(&info, 0, sizeof(info));
		info.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
		info.Header.Revision = NDIS_RECEIVE_FILTER_INFO_REVISION_1;
		info.Header.Size = el;
		info.FilterType = NdisReceiveFilterTypeVMQueue;
		info.FilterId = ad->filters[i].id;
		memcpy(out, &info, el);
		out += el;
	}
	ndis__oid_set_written(r, need);
	ndis__oid_set_read(r, in_len(r));
	return answer(status, ST(NDIS_STATUS_SUCCESS));
}

static enum ndis_oid_route filter_parameters_query(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t min = NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2;
	NDIS_RECEIVE_FILTER_PARAMETERS *p = ndis__oid_buffer(r);
	struct ndis_filter_entry *f;

	if (!ad->has_cur_rcv)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestMethod)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < min)
		return too_short(r, min, status);
	if (!header_ok(p, min) || p->FilterId == NDIS_DEFAULT_RECEIVE_FILTER_ID ||
	    p->QueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID || !(f = find_filter(ad, p->FilterId)))
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	return answer_copy(r, f->params, f->params_len, status);
}

/* ---- NDIS's work on forwarded OIDs ---------------------------------------------- */
static enum ndis_oid_route pre_allocate_vf(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t need = NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_VF_PARAMETERS *p = ndis__oid_buffer(r);

	if (!ad->has_cur_sriov || !ad->switch_created)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestMethod)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < need || out_len(r) < need)
		return too_short(r, need, status);
	/* spec 2.6: NDIS pre-validates and fails without calling the PF. */
	if (!header_ok(p, need) || p->SwitchId != NDIS_DEFAULT_SWITCH_ID || p->VFId != NDIS_INVALID_VF_FUNCTION_ID ||
	    p->RequestorId != NDIS_INVALID_RID || p->MacAddressLength > NDIS_MAX_PHYS_ADDRESS_LENGTH) {
		log_warn(NDIS_LOG_OID, "'%s': ALLOCATE_VF parameters refused by NDIS (SwitchId %u, VFId 0x%x, RequestorId 0x%x, "
			 "MacAddressLength %u)", ad->name, p->SwitchId, p->VFId, p->RequestorId, p->MacAddressLength);
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	return NDIS_ROUTE_MINIPORT;
}

static enum ndis_oid_route pre_free_vf(struct ndis_adapter *ad, const struct ndis_issuer *who,
				       NDIS_OID_REQUEST *r, uint32_t *status)
{
	NDIS_NIC_SWITCH_FREE_VF_PARAMETERS *p = ndis__oid_buffer(r);
	struct ndis_vf_entry *vf;

	if (!ad->has_cur_sriov)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestSetInformation)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1)
		return too_short(r, sizeof(NDIS_NIC_SWITCH_FREE_VF_PARAMETERS), status);
	vf = find_vf(ad, p->VFId);
	if (!header_ok(p, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1) || !vf || vf_has_vport(ad, p->VFId))
		return answer(status, ST(NDIS_STATUS_FILE_NOT_FOUND));
	if (strcmp(vf->owner, who->name) != 0) {
		log_warn(NDIS_LOG_OID, "'%s': VF %u was allocated by %s; %s may not free it", ad->name, p->VFId, vf->owner,
			 who->name);
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	return NDIS_ROUTE_MINIPORT;
}

static enum ndis_oid_route pre_create_vport(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t min = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_VPORT_PARAMETERS *p = ndis__oid_buffer(r);
	uint32_t pool = ad->hw_switch.MaxNumVPorts;

	if (!ad->has_cur_switch || !ad->switch_created)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestMethod)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < min || out_len(r) < min)
		return too_short(r, sizeof(NDIS_NIC_SWITCH_VPORT_PARAMETERS), status);
	if (!header_ok(p, min) || p->SwitchId != NDIS_DEFAULT_SWITCH_ID || p->NumQueuePairs < 1 || p->LookaheadSize != 0)
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	if (p->AttachedFunctionId == NDIS_PF_FUNCTION_ID) {
		if (p->VPortState != NdisNicSwitchVPortStateDeactivated)
			return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	} else {
		/* One vPort per VF, created activated (spec 2.7). */
		if (!find_vf(ad, p->AttachedFunctionId) || vf_has_vport(ad, p->AttachedFunctionId) ||
		    p->VPortState != NdisNicSwitchVPortStateActivated)
			return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	/* NDIS assigns the id, 1 .. NumVPorts-1. */
	for (uint32_t id = 1; id < pool; id++)
		if (!find_vport(ad, id)) {
			p->VPortId = id;
			return NDIS_ROUTE_MINIPORT;
		}
	log_warn(NDIS_LOG_OID, "'%s': vPort pool exhausted (%u)", ad->name, pool);
	return answer(status, ST(NDIS_STATUS_FAILURE));
}

static enum ndis_oid_route pre_delete_vport(struct ndis_adapter *ad, const struct ndis_issuer *who,
					    NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t min = NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS *p = ndis__oid_buffer(r);
	struct ndis_vport_entry *v;

	if (!ad->has_cur_switch)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestSetInformation)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < min)
		return too_short(r, min, status);
	if (!header_ok(p, min) || p->VPortId == NDIS_DEFAULT_VPORT_ID || !(v = find_vport(ad, p->VPortId)) ||
	    filters_on(ad, p->VPortId) || strcmp(v->owner, who->name) != 0)
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	return NDIS_ROUTE_MINIPORT;
}

static enum ndis_oid_route pre_vport_set(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t min = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_VPORT_PARAMETERS *p = ndis__oid_buffer(r);

	if (!ad->has_cur_switch)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < min)
		return too_short(r, min, status);
	if (!header_ok(p, min) || p->SwitchId != NDIS_DEFAULT_SWITCH_ID || !vport_exists(ad, p->VPortId))
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	return NDIS_ROUTE_MINIPORT;
}

static enum ndis_oid_route pre_set_filter(struct ndis_adapter *ad, const struct ndis_issuer *who,
					  NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t min = NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2;
	NDIS_RECEIVE_FILTER_PARAMETERS *p = ndis__oid_buffer(r);
	uint64_t need;
	struct ndis_vport_entry *v;

	if (!ad->has_cur_rcv)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestMethod)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < min)
		return too_short(r, min, status);
	need = (uint64_t)p->FieldParametersArrayOffset +
	       (uint64_t)p->FieldParametersArrayNumElements * p->FieldParametersArrayElementSize;
	if (need > in_len(r))
		return too_short(r, need > UINT32_MAX ? UINT32_MAX : (uint32_t)need, status);
	if (!header_ok(p, min) || p->QueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID ||
	    p->FieldParametersArrayOffset < min || p->FieldParametersArrayNumElements == 0 ||
	    p->FieldParametersArrayElementSize < NDIS_SIZEOF_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1 ||
	    p->FilterType != NdisReceiveFilterTypeVMQueue || !vport_exists(ad, p->VPortId) ||
	    (!ad->switch_created && p->VPortId != NDIS_DEFAULT_VPORT_ID))
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	/* Only the creator filters a non-default vPort (spec 2.10). */
	if (p->VPortId != NDIS_DEFAULT_VPORT_ID && (v = find_vport(ad, p->VPortId)) && strcmp(v->owner, who->name)) {
		log_warn(NDIS_LOG_OID, "'%s': vPort %u belongs to %s; %s may not set filters on it", ad->name, p->VPortId,
			 v->owner, who->name);
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	p->FilterId = ad->next_filter_id++;
	return NDIS_ROUTE_MINIPORT;
}

static enum ndis_oid_route pre_clear_filter(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t min = NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1;
	NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS *p = ndis__oid_buffer(r);

	if (!ad->has_cur_rcv)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestSetInformation)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < min)
		return too_short(r, min, status);
	if (!header_ok(p, min) || p->QueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID || !find_filter(ad, p->FilterId))
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	return NDIS_ROUTE_MINIPORT;
}

static enum ndis_oid_route pre_move_filter(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t min = NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1;
	NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS *p = ndis__oid_buffer(r);
	struct ndis_filter_entry *f;

	if (!ad->has_cur_rcv)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (r->RequestType != NdisRequestSetInformation)
		return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
	if (in_len(r) < min)
		return too_short(r, min, status);
	if (!header_ok(p, min) || !(f = find_filter(ad, p->FilterId)) || f->vport != p->SourceVPortId ||
	    p->SourceQueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID || p->DestQueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID ||
	    !vport_exists(ad, p->DestVPortId))
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	return NDIS_ROUTE_MINIPORT;
}

static enum ndis_oid_route pre_delete_switch(struct ndis_adapter *ad, NDIS_OID_REQUEST *r, uint32_t *status)
{
	const uint32_t min = NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_DELETE_SWITCH_PARAMETERS *p = ndis__oid_buffer(r);

	if (in_len(r) < min)
		return too_short(r, min, status);
	if (!header_ok(p, min) || p->SwitchId != NDIS_DEFAULT_SWITCH_ID || !ad->switch_created)
		return answer(status, ST(NDIS_STATUS_FILE_NOT_FOUND));
	return NDIS_ROUTE_MINIPORT;
}

enum ndis_oid_route ndis__nicswitch_pre(struct ndis_adapter *ad, const struct ndis_issuer *who,
					NDIS_OID_REQUEST *r, uint32_t *status)
{
	uint32_t oid = r->DATA.QUERY_INFORMATION.Oid;
	bool set = r->RequestType == NdisRequestSetInformation;
	bool query = is_query(r);

	/* The receive-filter, NIC-switch and SR-IOV OIDs (0x00010221..0x00010269)
	 * all carry a structure: a length without a buffer is malformed. */
	if ((out_len(r) || in_len(r)) && !ndis__oid_buffer(r) &&
	    oid >= OID_RECEIVE_FILTER_HARDWARE_CAPABILITIES && oid <= OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK)
		return answer(status, ST(NDIS_STATUS_INVALID_PARAMETER));
	switch (oid) {
	case OID_SRIOV_HARDWARE_CAPABILITIES:
	case OID_SRIOV_CURRENT_CAPABILITIES: {
		bool hw = oid == OID_SRIOV_HARDWARE_CAPABILITIES;
		if (!query)
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		if (!(hw ? ad->has_hw_sriov : ad->has_cur_sriov))
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		return answer_copy(r, hw ? &ad->hw_sriov : &ad->cur_sriov, NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1, status);
	}
	case OID_NIC_SWITCH_HARDWARE_CAPABILITIES:
	case OID_NIC_SWITCH_CURRENT_CAPABILITIES: {
		bool hw = oid == OID_NIC_SWITCH_HARDWARE_CAPABILITIES;
		const NDIS_NIC_SWITCH_CAPABILITIES *c = hw ? &ad->hw_switch : &ad->cur_switch;
		if (!query || !(hw ? ad->has_hw_switch : ad->has_cur_switch))
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		return answer_copy(r, c, caps_size(&c->Header, sizeof(*c)), status);
	}
	case OID_RECEIVE_FILTER_HARDWARE_CAPABILITIES:
	case OID_RECEIVE_FILTER_CURRENT_CAPABILITIES: {
		bool hw = oid == OID_RECEIVE_FILTER_HARDWARE_CAPABILITIES;
		const NDIS_RECEIVE_FILTER_CAPABILITIES *c = hw ? &ad->hw_rcv : &ad->cur_rcv;
		if (!query || !(hw ? ad->has_hw_rcv : ad->has_cur_rcv))
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		return answer_copy(r, c, caps_size(&c->Header, sizeof(*c)), status);
	}
	case OID_SRIOV_PF_LUID: {
		NDIS_SRIOV_PF_LUID_INFO info;
		if (!query || !ad->has_cur_sriov || !(ad->cur_sriov.SriovCapabilities & NDIS_SRIOV_CAPS_PF_MINIPORT))
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		memset(&info, 0, sizeof(info));
		info.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
		info.Header.Revision = NDIS_SRIOV_PF_LUID_INFO_REVISION_1;
		info.Header.Size = NDIS_SIZEOF_SRIOV_PF_LUID_INFO_REVISION_1;
		info.Luid = ad->pf_luid;
		return answer_copy(r, &info, NDIS_SIZEOF_SRIOV_PF_LUID_INFO_REVISION_1, status);
	}
	case OID_SRIOV_VF_SERIAL_NUMBER: {
		NDIS_SRIOV_VF_SERIAL_NUMBER_INFO info;
		if (!query)
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		/* spec 6.5: the trace NDIS writes is ndisOidPreIovVfSerialNumber. */
		if (!ad->has_cur_sriov || !(ad->cur_sriov.SriovCapabilities & NDIS_SRIOV_CAPS_VF_MINIPORT)) {
			log_warn(NDIS_LOG_OID, "'%s': ndisOidPreIovVfSerialNumber: the miniport has no current VF SR-IOV "
				 "capabilities; OID_SRIOV_VF_SERIAL_NUMBER -> NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)", ad->name);
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		}
		if (!ad->vpci_iface_valid) {
			log_warn(NDIS_LOG_OID, "'%s': ndisOidPreIovVfSerialNumber: no GUID_VPCI_INTERFACE_STANDARD was "
				 "captured at initialization; OID_SRIOV_VF_SERIAL_NUMBER -> NDIS_STATUS_NOT_SUPPORTED "
				 "(0xc00000bb)", ad->name);
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		}
		memset(&info, 0, sizeof(info));
		info.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
		info.Header.Revision = NDIS_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1;
		info.Header.Size = NDIS_SIZEOF_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1;
		info.SerialNumber = ad->vpci_iface.SerialNumber;
		return answer_copy(r, &info, NDIS_SIZEOF_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1, status);
	}
	case OID_NIC_SWITCH_ENUM_SWITCHES:
		if (!query)
			return answer(status, ST(NDIS_STATUS_NOT_SUPPORTED));
		return enum_switches(ad, r, status);
	case OID_NIC_SWITCH_PARAMETERS:
		if (set)
			return NDIS_ROUTE_MINIPORT;	/* the PF changes the name; post updates the registry */
		return switch_parameters_query(ad, r, status);
	case OID_NIC_SWITCH_ENUM_VPORTS:
		return enum_vports(ad, r, status);
	case OID_NIC_SWITCH_VPORT_PARAMETERS:
		if (set)
			return pre_vport_set(ad, r, status);
		return vport_parameters_query(ad, r, status);
	case OID_NIC_SWITCH_ENUM_VFS:
		return enum_vfs(ad, r, status);
	case OID_NIC_SWITCH_VF_PARAMETERS:
		return vf_parameters_query(ad, r, status);
	case OID_RECEIVE_FILTER_ENUM_FILTERS:
		return enum_filters(ad, r, status);
	case OID_RECEIVE_FILTER_PARAMETERS:
		return filter_parameters_query(ad, r, status);
	case OID_NIC_SWITCH_ALLOCATE_VF:
		return pre_allocate_vf(ad, r, status);
	case OID_NIC_SWITCH_FREE_VF:
		return pre_free_vf(ad, who, r, status);
	case OID_NIC_SWITCH_CREATE_VPORT:
		return pre_create_vport(ad, r, status);
	case OID_NIC_SWITCH_DELETE_VPORT:
		return pre_delete_vport(ad, who, r, status);
	case OID_RECEIVE_FILTER_SET_FILTER:
		return pre_set_filter(ad, who, r, status);
	case OID_RECEIVE_FILTER_CLEAR_FILTER:
		return pre_clear_filter(ad, r, status);
	case OID_RECEIVE_FILTER_MOVE_FILTER:
		return pre_move_filter(ad, r, status);
	case OID_NIC_SWITCH_DELETE_SWITCH:
		return pre_delete_switch(ad, r, status);
	default:
		return NDIS_ROUTE_MINIPORT;
	}
}

/* ---- cache updates after the miniport succeeded --------------------------------- */
void ndis__nicswitch_post(struct ndis_adapter *ad, const struct ndis_issuer *who, NDIS_OID_REQUEST *r, uint32_t status)
{
	uint32_t oid = r->DATA.QUERY_INFORMATION.Oid;
	void *buf = ndis__oid_buffer(r);
	char name[IF_MAX_STRING_SIZE + 1];

	if (oid == OID_NIC_SWITCH_PARAMETERS && r->RequestType == NdisRequestSetInformation &&
	    (status == ST(NDIS_STATUS_SUCCESS) || status == ST(NDIS_STATUS_REINIT_REQUIRED))) {
		const NDIS_NIC_SWITCH_PARAMETERS *p = buf;
		/* spec 2.4: NDIS writes the new name to the registry even when
		 * the PF needs a restart to apply it. */
		if (in_len(r) >= NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1 &&
		    (p->Flags & NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED)) {
			counted_to_ascii(&p->SwitchFriendlyName, name, sizeof(name));
			ad->switch_params.SwitchFriendlyName = p->SwitchFriendlyName;
			ndis_reg_set_sz(ndis_reg_open(ad->reg, "NicSwitches\\0", 1), "*SwitchName", name);
			log_info(NDIS_LOG, "adapter '%s': *SwitchName = \"%s\"", ad->name, name);
		}
		return;
	}
	if (status != ST(NDIS_STATUS_SUCCESS))
		return;
	switch (oid) {
	case OID_NIC_SWITCH_CREATE_SWITCH:
		if (in_len(r) >= NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1) {
			memset(&ad->switch_params, 0, sizeof(ad->switch_params));
			memcpy(&ad->switch_params, buf, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
			ad->switch_created = true;
			log_info(NDIS_LOG, "adapter '%s': NIC switch %u created (NumVFs %u, default vPort 0)", ad->name,
				 ad->switch_params.SwitchId, ad->switch_params.NumVFs);
		}
		break;
	case OID_NIC_SWITCH_DELETE_SWITCH:
		ndis__nicswitch_clear(ad);
		log_info(NDIS_LOG, "adapter '%s': NIC switch deleted", ad->name);
		break;
	case OID_NIC_SWITCH_ALLOCATE_VF: {
		const NDIS_NIC_SWITCH_VF_PARAMETERS *p = buf;
		struct ndis_vf_entry *vf;

		if (find_vf(ad, p->VFId) || p->VFId == NDIS_INVALID_VF_FUNCTION_ID) {
			log_error(NDIS_LOG, "adapter '%s': the PF returned VFId 0x%x from ALLOCATE_VF, which is in use or invalid",
				  ad->name, p->VFId);
			break;
		}
		if (GROW(ad->vfs, ad->n_vfs, ad->cap_vfs))
			break;
		vf = &ad->vfs[ad->n_vfs++];
		memset(vf, 0, sizeof(*vf));
		vf->vf_id = p->VFId;
		vf->params = *p;
		ndis__strlcpy(vf->owner, who->name, sizeof(vf->owner));
		log_info(NDIS_LOG, "adapter '%s': VF %u allocated by %s (RID 0x%x)", ad->name, p->VFId, who->name,
			 p->RequestorId);
		break;
	}
	case OID_NIC_SWITCH_FREE_VF: {
		const NDIS_NIC_SWITCH_FREE_VF_PARAMETERS *p = buf;
		for (size_t i = 0; i < ad->n_vfs; i++)
			if (ad->vfs[i].vf_id == p->VFId) {
				ad->vfs[i] = ad->vfs[--ad->n_vfs];
				log_info(NDIS_LOG, "adapter '%s': VF %u freed", ad->name, p->VFId);
				break;
			}
		break;
	}
	case OID_NIC_SWITCH_CREATE_VPORT: {
		const NDIS_NIC_SWITCH_VPORT_PARAMETERS *p = buf;
		struct ndis_vport_entry *v;

		if (GROW(ad->vports, ad->n_vports, ad->cap_vports))
			break;
		v = &ad->vports[ad->n_vports++];
		memset(v, 0, sizeof(*v));
		v->id = p->VPortId;
		memcpy(&v->params, p, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
		ndis__strlcpy(v->owner, who->name, sizeof(v->owner));
		log_info(NDIS_LOG, "adapter '%s': vPort %u created by %s on function 0x%x", ad->name, v->id, who->name,
			 p->AttachedFunctionId);
		break;
	}
	case OID_NIC_SWITCH_DELETE_VPORT: {
		const NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS *p = buf;
		for (size_t i = 0; i < ad->n_vports; i++)
			if (ad->vports[i].id == p->VPortId) {
				ad->vports[i] = ad->vports[--ad->n_vports];
				log_info(NDIS_LOG, "adapter '%s': vPort %u deleted", ad->name, p->VPortId);
				break;
			}
		break;
	}
	case OID_NIC_SWITCH_VPORT_PARAMETERS: {
		const NDIS_NIC_SWITCH_VPORT_PARAMETERS *p = buf;
		struct ndis_vport_entry *v = find_vport(ad, p->VPortId);

		if (!v || r->RequestType != NdisRequestSetInformation)
			break;
		if (p->Flags & NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED)
			v->params.VPortName = p->VPortName;
		if (p->Flags & NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED)
			v->params.InterruptModeration = p->InterruptModeration;
		if (p->Flags & NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED)
			v->params.VPortState = p->VPortState;
		if (p->Flags & NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED)
			v->params.ProcessorAffinity = p->ProcessorAffinity;
		break;
	}
	case OID_RECEIVE_FILTER_SET_FILTER: {
		const NDIS_RECEIVE_FILTER_PARAMETERS *p = buf;
		uint32_t len = (uint32_t)(p->FieldParametersArrayOffset +
					  p->FieldParametersArrayNumElements * p->FieldParametersArrayElementSize);
		struct ndis_filter_entry *f;

		if (GROW(ad->filters, ad->n_filters, ad->cap_filters))
			break;
		f = &ad->filters[ad->n_filters];
		memset(f, 0, sizeof(*f));
		f->params = malloc(len);
		if (!f->params)
			break;
		memcpy(f->params, p, len);
		f->params_len = len;
		f->n_fields = p->FieldParametersArrayNumElements;
		f->id = p->FilterId;
		f->vport = p->VPortId;
		ndis__strlcpy(f->owner, who->name, sizeof(f->owner));
		ad->n_filters++;
		log_info(NDIS_LOG, "adapter '%s': filter %u set on vPort %u by %s", ad->name, f->id, f->vport, who->name);
		break;
	}
	case OID_RECEIVE_FILTER_CLEAR_FILTER: {
		const NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS *p = buf;
		for (size_t i = 0; i < ad->n_filters; i++)
			if (ad->filters[i].id == p->FilterId) {
				free(ad->filters[i].params);
				ad->filters[i] = ad->filters[--ad->n_filters];
				break;
			}
		break;
	}
	case OID_RECEIVE_FILTER_MOVE_FILTER: {
		const NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS *p = buf;
		struct ndis_filter_entry *f = find_filter(ad, p->FilterId);
		if (f) {
			f->vport = p->DestVPortId;
			((NDIS_RECEIVE_FILTER_PARAMETERS *)f->params)->VPortId = p->DestVPortId;
			log_info(NDIS_LOG, "adapter '%s': filter %u moved vPort %u -> %u", ad->name, p->FilterId,
				 p->SourceVPortId, p->DestVPortId);
		}
		break;
	}
	default:
		break;
	}
}

/* ---- NDIS issuing CREATE_SWITCH / DELETE_SWITCH ------------------------------------ */
struct ndis_own_request {
	NDIS_OID_REQUEST req;
	struct ndis_adapter *ad;
	union {
		NDIS_NIC_SWITCH_PARAMETERS create;
		NDIS_NIC_SWITCH_DELETE_SWITCH_PARAMETERS del;
		NDIS_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO inval;
	} u;
};

static const struct ndis_issuer ndis_itself = { NDIS_ISSUER_NDIS, "NDIS" };

static void create_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct ndis_own_request *o = ctx;

	(void)req;
	if (status != ST(NDIS_STATUS_SUCCESS))
		log_error(NDIS_LOG, "adapter '%s': the PF failed OID_NIC_SWITCH_CREATE_SWITCH with %s; no VFs",
			  o->ad->name, ndis__status_str(status));
	free(o);
}

void ndis__nicswitch_create(struct ndis_adapter *ad)
{
	const struct ndis_reg_key *sw = ndis_reg_open_const(ad->reg, "NicSwitches\\0");
	struct ndis_own_request *o;
	uint32_t num_vfs = 0, type = 1, id = 0, status;
	const struct ndis_reg_value *name;
	char text[IF_MAX_STRING_SIZE + 1];

	if (!ad->has_cur_sriov || !(ad->cur_sriov.SriovCapabilities & NDIS_SRIOV_CAPS_PF_MINIPORT))
		return;
	if (!ad->has_cur_switch) {
		log_warn(NDIS_LOG, "adapter '%s': current SR-IOV capabilities without current NIC-switch capabilities; "
			 "NDIS creates no switch", ad->name);
		return;
	}
	if (!sw || ndis_reg_get_uint(sw, "*NumVFs", 0, &num_vfs)) {
		log_warn(NDIS_LOG, "adapter '%s': no NicSwitches\\0\\*NumVFs in the registry; NDIS creates no switch", ad->name);
		return;
	}
	(void)ndis_reg_get_uint(sw, "*SwitchType", 0, &type);
	(void)ndis_reg_get_uint(sw, "*SwitchId", 0, &id);
	if (type != NdisNicSwitchTypeExternal || id != NDIS_DEFAULT_SWITCH_ID) {
		log_warn(NDIS_LOG, "adapter '%s': NicSwitches\\0 has *SwitchType %u *SwitchId %u; NDIS creates no switch",
			 ad->name, type, id);
		return;
	}
	name = ndis_reg_get(sw, "*SwitchName");
	ndis_reg_value_format(name, text, sizeof(text));
	o = calloc(1, sizeof(*o));
	if (!o)
		return;
	o->ad = ad;
	o->u.create.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	o->u.create.Header.Revision = NDIS_NIC_SWITCH_PARAMETERS_REVISION_1;
	o->u.create.Header.Size = NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
	o->u.create.SwitchType = NdisNicSwitchTypeExternal;
	o->u.create.SwitchId = NDIS_DEFAULT_SWITCH_ID;
	counted_string(&o->u.create.SwitchFriendlyName, text);
	o->u.create.NumVFs = num_vfs;
	ndis_oid_init(&o->req, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, &o->u.create,
		      NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
	log_info(NDIS_LOG, "adapter '%s': NDIS creates the default NIC switch \"%s\" with %u VFs", ad->name, text, num_vfs);
	trace_span_begin("host-boot", "NIC switch create", "adapter=%s num_vfs=%u", ad->name, num_vfs);
	if (ndis_oid_request(ad, &ndis_itself, &o->req, create_done, o, &status) == 0)
		create_done(o, &o->req, status);
	trace_span_end();
}

static void delete_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct ndis_own_request *o = ctx;
	struct ndis_adapter *ad = o->ad;

	(void)req;
	if (status != ST(NDIS_STATUS_SUCCESS)) {
		log_error(NDIS_LOG, "adapter '%s': OID_NIC_SWITCH_DELETE_SWITCH failed with %s; halting anyway",
			  ad->name, ndis__status_str(status));
		ndis__nicswitch_clear(ad);
	}
	free(o);
}

int ndis__nicswitch_delete(struct ndis_adapter *ad)
{
	struct ndis_own_request *o;
	uint32_t status;

	ad->delete_switch_issued = true;
	if (ad->n_vfs || ad->n_vports || ad->n_filters) {
		/* spec 2.5: overlying drivers clean up before NDIS deletes the switch. */
		log_warn(NDIS_LOG, "adapter '%s': %zu VF(s), %zu vPort(s), %zu filter(s) left by overlying drivers before "
			 "DELETE_SWITCH", ad->name, ad->n_vfs, ad->n_vports, ad->n_filters);
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		ndis__nicswitch_clear(ad);
		return 0;
	}
	o->ad = ad;
	o->u.del.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	o->u.del.Header.Revision = NDIS_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1;
	o->u.del.Header.Size = NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1;
	o->u.del.SwitchId = NDIS_DEFAULT_SWITCH_ID;
	ndis_oid_init(&o->req, NdisRequestSetInformation, OID_NIC_SWITCH_DELETE_SWITCH, &o->u.del,
		      NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1);
	if (ndis_oid_request(ad, &ndis_itself, &o->req, delete_done, o, &status) == 0) {
		delete_done(o, &o->req, status);
		return 0;
	}
	return -EINPROGRESS;
}

static void inval_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct ndis_own_request *o = ctx;

	(void)req;
	if (status != ST(NDIS_STATUS_SUCCESS))
		log_warn(NDIS_LOG, "adapter '%s': OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK failed with %s", o->ad->name,
			 ndis__status_str(status));
	free(o);
}

int ndis_adapter_vf_config_invalidated(struct ndis_adapter *ad, uint64_t block_mask)
{
	struct ndis_own_request *o;
	uint32_t status;

	if (ad->state != NDIS_ADAPTER_RUNNING && ad->state != NDIS_ADAPTER_PAUSED)
		return -ENODEV;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->ad = ad;
	o->u.inval.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	o->u.inval.Header.Revision = NDIS_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1;
	o->u.inval.Header.Size = NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1;
	o->u.inval.BlockMask = block_mask;
	ndis_oid_init(&o->req, NdisRequestMethod, OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK, &o->u.inval,
		      NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1);
	log_info(NDIS_LOG, "adapter '%s': config blocks invalidated (mask 0x%llx); NDIS tells the VF miniport",
		 ad->name, (unsigned long long)block_mask);
	if (ndis_oid_request(ad, &ndis_itself, &o->req, inval_done, o, &status) == 0)
		inval_done(o, &o->req, status);
	return 0;
}
