/*
 * NDIS read the way the NetAdapter cmdlets' WMI provider and any overlying
 * driver read it: the OIDs NDIS answers from its own cache without reaching
 * the miniport (ndis-sriov-spec.md 3.3 "N" OIDs: ENUM_SWITCHES, ENUM_VFS,
 * ENUM_VPORTS, ENUM_FILTERS, RECEIVE_FILTER_PARAMETERS and the capability
 * queries). The views never keep a copy of this state; every rendering asks
 * again. Each query shows in the adapter's OID history as issuer "WMI".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "views/view.h"

const struct ndis_issuer view_issuer = { NDIS_ISSUER_OVERLYING, "WMI" };

#define ST(x) ((uint32_t)(x))

static uint32_t request(struct ndis_adapter *ad, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buf, uint32_t len)
{
	NDIS_OID_REQUEST r;
	uint32_t st = ST(NDIS_STATUS_FAILURE);

	ndis_oid_init(&r, type, oid, buf, len);
	/* NDIS answers these itself, at once; anything else is a failure to the view. */
	if (ndis_oid_request(ad, &view_issuer, &r, NULL, NULL, &st))
		return ST(NDIS_STATUS_FAILURE);
	return st;
}

static void header(void *p, uint8_t rev, uint16_t size)
{
	NDIS_OBJECT_HEADER *h = p;

	h->Type = NDIS_OBJECT_TYPE_DEFAULT;
	h->Revision = rev;
	h->Size = size;
}

int ndisq_switch(struct ndis_adapter *ad, NDIS_NIC_SWITCH_INFO *out)
{
	struct {
		NDIS_NIC_SWITCH_INFO_ARRAY a;
		NDIS_NIC_SWITCH_INFO i;
	} b;

	memset(out, 0, sizeof(*out));
	if (!ad)
		return -ENOENT;
	memset(&b, 0, sizeof(b));
	if (request(ad, NdisRequestQueryInformation, OID_NIC_SWITCH_ENUM_SWITCHES, &b, sizeof(b)) != ST(NDIS_STATUS_SUCCESS) ||
	    b.a.NumElements < 1 || b.a.FirstElementOffset > sizeof(b) - NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1)
		return -ENOENT;
	memcpy(out, (uint8_t *)&b + b.a.FirstElementOffset, NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1);
	return 0;
}

int ndisq_switch_caps(struct ndis_adapter *ad, bool current, NDIS_NIC_SWITCH_CAPABILITIES *out)
{
	memset(out, 0, sizeof(*out));
	if (!ad)
		return -ENOENT;
	return request(ad, NdisRequestQueryInformation,
		       current ? OID_NIC_SWITCH_CURRENT_CAPABILITIES : OID_NIC_SWITCH_HARDWARE_CAPABILITIES, out,
		       sizeof(*out)) == ST(NDIS_STATUS_SUCCESS) ? 0 : -ENOENT;
}

int ndisq_sriov_caps(struct ndis_adapter *ad, bool current, NDIS_SRIOV_CAPABILITIES *out)
{
	memset(out, 0, sizeof(*out));
	if (!ad)
		return -ENOENT;
	return request(ad, NdisRequestQueryInformation,
		       current ? OID_SRIOV_CURRENT_CAPABILITIES : OID_SRIOV_HARDWARE_CAPABILITIES, out,
		       sizeof(*out)) == ST(NDIS_STATUS_SUCCESS) ? 0 : -ENOENT;
}

/* A method enumeration: header in, header + n elements out, sized from a first guess and BytesNeeded. */
static int enumerate(struct ndis_adapter *ad, NDIS_OID oid, const void *hdr, size_t hdr_len, size_t guess,
		     void **buf, size_t *len)
{
	for (int tries = 0; tries < 3; tries++) {
		NDIS_OID_REQUEST r;
		uint32_t st = 0;
		uint8_t *b = calloc(1, guess);

		if (!b)
			return -ENOMEM;
		memcpy(b, hdr, hdr_len);
		ndis_oid_init(&r, NdisRequestMethod, oid, b, (uint32_t)guess);
		r.DATA.METHOD_INFORMATION.InputBufferLength = (uint32_t)hdr_len;
		if (ndis_oid_request(ad, &view_issuer, &r, NULL, NULL, &st)) {
			free(b);
			return -EIO;
		}
		if (st == ST(NDIS_STATUS_SUCCESS)) {
			*buf = b;
			*len = guess;
			return 0;
		}
		free(b);
		if ((st != ST(NDIS_STATUS_INVALID_LENGTH) && st != ST(NDIS_STATUS_BUFFER_TOO_SHORT)) ||
		    r.DATA.METHOD_INFORMATION.BytesNeeded <= guess)
			return -ENOENT;
		guess = r.DATA.METHOD_INFORMATION.BytesNeeded;
	}
	return -EIO;
}

/* Copy n elements of size el out of an NDIS array (offsets chosen by NDIS: copy, do not cast). */
static int elements(const uint8_t *b, size_t blen, uint32_t first, uint32_t n, uint32_t el, size_t out_el,
		    void **out)
{
	uint8_t *o;

	if (n == 0) {
		*out = NULL;
		return 0;
	}
	if (first > blen || (uint64_t)n * el > blen - first)
		return -EIO;
	o = calloc(n, out_el);
	if (!o)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		memcpy(o + i * out_el, b + first + (size_t)i * el, el < out_el ? el : out_el);
	*out = o;
	return 0;
}

int ndisq_vfs(struct ndis_adapter *ad, NDIS_NIC_SWITCH_VF_INFO **out, size_t *n)
{
	NDIS_NIC_SWITCH_VF_INFO_ARRAY h, *a;
	void *buf;
	size_t len;
	int rc;

	*out = NULL;
	*n = 0;
	if (!ad)
		return -ENOENT;
	memset(&h, 0, sizeof(h));
	header(&h, NDIS_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1);
	h.SwitchId = NDIS_DEFAULT_SWITCH_ID;
	rc = enumerate(ad, OID_NIC_SWITCH_ENUM_VFS, &h, NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1,
		       NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1 + 8 * sizeof(NDIS_NIC_SWITCH_VF_INFO), &buf, &len);
	if (rc)
		return rc;
	a = buf;
	rc = elements(buf, len, a->FirstElementOffset, a->NumElements, a->ElementSize, sizeof(**out), (void **)out);
	if (!rc)
		*n = a->NumElements;
	free(buf);
	return rc;
}

int ndisq_vports(struct ndis_adapter *ad, NDIS_NIC_SWITCH_VPORT_INFO **out, size_t *n)
{
	NDIS_NIC_SWITCH_VPORT_INFO_ARRAY h, *a;
	void *buf;
	size_t len;
	int rc;

	*out = NULL;
	*n = 0;
	if (!ad)
		return -ENOENT;
	memset(&h, 0, sizeof(h));
	header(&h, NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1);
	rc = enumerate(ad, OID_NIC_SWITCH_ENUM_VPORTS, &h, NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1,
		       NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1 + 8 * sizeof(NDIS_NIC_SWITCH_VPORT_INFO), &buf,
		       &len);
	if (rc)
		return rc;
	a = buf;
	rc = elements(buf, len, a->FirstElementOffset, a->NumElements, a->ElementSize, sizeof(**out), (void **)out);
	if (!rc)
		*n = a->NumElements;
	free(buf);
	return rc;
}

/* OID_RECEIVE_FILTER_PARAMETERS for one filter: its vPort and its MAC / VLAN field tests. */
static int filter_params(struct ndis_adapter *ad, uint32_t id, struct ndisq_filter *f)
{
	uint8_t buf[sizeof(NDIS_RECEIVE_FILTER_PARAMETERS) + 8 * sizeof(NDIS_RECEIVE_FILTER_FIELD_PARAMETERS)];
	NDIS_RECEIVE_FILTER_PARAMETERS p;

	memset(buf, 0, sizeof(buf));
	memset(&p, 0, sizeof(p));
	header(&p, NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2, NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
	p.FilterId = id;
	memcpy(buf, &p, sizeof(p));
	if (request(ad, NdisRequestMethod, OID_RECEIVE_FILTER_PARAMETERS, buf, sizeof(buf)) != ST(NDIS_STATUS_SUCCESS))
		return -ENOENT;
	memcpy(&p, buf, sizeof(p));
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->vport = p.VPortId;
	for (uint32_t k = 0; k < p.FieldParametersArrayNumElements; k++) {
		NDIS_RECEIVE_FILTER_FIELD_PARAMETERS fp;
		uint64_t at = p.FieldParametersArrayOffset + (uint64_t)k * p.FieldParametersArrayElementSize;

		if (at + sizeof(fp) > sizeof(buf))
			break;
		memcpy(&fp, buf + at, sizeof(fp));
		if (fp.FrameHeader != NdisFrameHeaderMac)
			continue;
		if (fp.HeaderField.MacHeaderField == NdisMacHeaderFieldDestinationAddress) {
			f->has_mac = true;
			memcpy(f->mac, fp.FieldValue.FieldByteArrayValue, 6);
		} else if (fp.HeaderField.MacHeaderField == NdisMacHeaderFieldVlanId) {
			f->has_vlan = true;
			f->vlan = fp.FieldValue.FieldShortValue;
		}
	}
	return 0;
}

int ndisq_filters(struct ndis_adapter *ad, struct ndisq_filter **out, size_t *n)
{
	NDIS_RECEIVE_FILTER_INFO_ARRAY h, *a;
	NDIS_RECEIVE_FILTER_INFO *infos = NULL;
	void *buf;
	size_t len, k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!ad)
		return -ENOENT;
	memset(&h, 0, sizeof(h));
	header(&h, NDIS_RECEIVE_FILTER_INFO_ARRAY_REVISION_2, NDIS_SIZEOF_RECEIVE_FILTER_INFO_ARRAY_REVISION_2);
	rc = enumerate(ad, OID_RECEIVE_FILTER_ENUM_FILTERS, &h, NDIS_SIZEOF_RECEIVE_FILTER_INFO_ARRAY_REVISION_2,
		       NDIS_SIZEOF_RECEIVE_FILTER_INFO_ARRAY_REVISION_2 + 16 * sizeof(NDIS_RECEIVE_FILTER_INFO), &buf, &len);
	if (rc)
		return rc;
	a = buf;
	rc = elements(buf, len, a->FirstElementOffset, a->NumElements, a->ElementSize, sizeof(*infos), (void **)&infos);
	if (!rc && a->NumElements) {
		*out = calloc(a->NumElements, sizeof(**out));
		if (!*out)
			rc = -ENOMEM;
		for (uint32_t i = 0; !rc && i < a->NumElements; i++)
			if (filter_params(ad, infos[i].FilterId, &(*out)[k]) == 0)
				k++;
		*n = k;
	}
	free(infos);
	free(buf);
	return rc;
}

char *ndisq_string(const NDIS_IF_COUNTED_STRING *s, char *buf, size_t len)
{
	size_t n = s->Length / sizeof(WCHAR);

	if (n > IF_MAX_STRING_SIZE)
		n = IF_MAX_STRING_SIZE;
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = s->String[i] > 0 && s->String[i] < 0x80 ? (char)s->String[i] : '?';
	buf[n] = 0;
	return buf;
}
