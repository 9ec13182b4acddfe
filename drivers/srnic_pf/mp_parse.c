/*
 * mp_parse.c -- the checks of the variable-length OID buffers the srnic PF
 * receives, kept pure (no NDIS calls, no adapter) so a fuzz target can run
 * them on arbitrary bytes (tests/fuzz/fuzz_srnic_pf_oid.c). Two shapes:
 *
 *  - a fixed structure followed by a data area it points to with
 *    BufferOffset/Length (READ/WRITE_VF_CONFIG_SPACE and _BLOCK, spec 3.3):
 *    the area must begin after the structure, fit the buffer and, for config
 *    space, [Offset, Offset + Length) must lie in the 4 KiB space -- every
 *    sum computed in 64 bits so a wrapped ULONG cannot pass;
 *  - NDIS_RECEIVE_FILTER_PARAMETERS with its array of
 *    NDIS_RECEIVE_FILTER_FIELD_PARAMETERS at an issuer-chosen offset (spec
 *    2.10), each element copied out rather than cast in place (the offset
 *    need not be aligned), reduced to the MAC (+ VLAN) srnic steers on.
 */
#include "srnic_pf.h"

MP_PARSE_RESULT MPParseDataArea(ULONG FixedSize, ULONG BufferLength, ULONG BufferOffset, ULONG Length,
				ULONG MaxLength, ULONG Offset, ULONG SpaceSize, _Out_ PULONG Needed)
{
	ULONG64 end = (ULONG64)BufferOffset + Length;

	*Needed = 0;
	if (Length == 0 || Length > MaxLength || BufferOffset < FixedSize)
		return MpParseInvalid;
	if (SpaceSize && ((ULONG64)Offset + Length > SpaceSize))
		return MpParseInvalid;
	if (end > 0xffffffffull)
		return MpParseInvalid;	/* no buffer can be that long: the fields are bad */
	if (end > BufferLength) {
		*Needed = (ULONG)end;
		return MpParseTooShort;
	}
	return MpParseOk;
}

MP_PARSE_RESULT MPParseSetFilter(_In_reads_bytes_(Length) const VOID *Buffer, ULONG Length,
				 _Out_ PMP_FILTER_SPEC Spec, _Out_ PULONG Needed)
{
	const ULONG fixed = NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2;
	NDIS_RECEIVE_FILTER_PARAMETERS p;
	ULONG64 end;
	BOOLEAN have_mac = FALSE, have_vlan = FALSE, untagged_flag = FALSE;

	NdisZeroMemory(Spec, sizeof(*Spec));
	*Needed = 0;
	if (Length < fixed) {
		*Needed = fixed;
		return MpParseTooShort;
	}
	NdisMoveMemory(&p, Buffer, fixed);
	/* Revision 2 carries VPortId: an SR-IOV filter needs it. */
	if (p.Header.Type != NDIS_OBJECT_TYPE_DEFAULT || p.Header.Revision < NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2 ||
	    p.Header.Size < fixed)
		return MpParseInvalid;
	if (p.FilterType != NdisReceiveFilterTypeVMQueue || p.QueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID ||
	    p.FilterId == NDIS_DEFAULT_RECEIVE_FILTER_ID)
		return MpParseInvalid;
	if (p.FieldParametersArrayNumElements == 0 ||
	    p.FieldParametersArrayElementSize < NDIS_SIZEOF_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1 ||
	    p.FieldParametersArrayOffset < fixed)
		return MpParseInvalid;
	end = (ULONG64)p.FieldParametersArrayOffset +
	      (ULONG64)p.FieldParametersArrayNumElements * p.FieldParametersArrayElementSize;
	if (end > 0xffffffffull)
		return MpParseInvalid;
	if (end > Length) {
		*Needed = (ULONG)end;
		return MpParseTooShort;
	}
	if (p.FieldParametersArrayNumElements > MP_MAX_FILTER_FIELDS)
		return MpParseUnsupported;
	for (ULONG i = 0; i < p.FieldParametersArrayNumElements; i++) {
		NDIS_RECEIVE_FILTER_FIELD_PARAMETERS f;

		NdisMoveMemory(&f, (const UCHAR *)Buffer + p.FieldParametersArrayOffset +
				       (ULONG64)i * p.FieldParametersArrayElementSize, sizeof(f));
		if (f.Header.Type != NDIS_OBJECT_TYPE_DEFAULT || f.Header.Revision < 1 ||
		    f.Header.Size < NDIS_SIZEOF_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1)
			return MpParseInvalid;
		/* srnic filters: destination MAC equal, optionally VLAN id equal. */
		if (f.FrameHeader != NdisFrameHeaderMac || f.ReceiveFilterTest != NdisReceiveFilterTestEqual)
			return MpParseUnsupported;
		switch (f.HeaderField.MacHeaderField) {
		case NdisMacHeaderFieldDestinationAddress:
			if (have_mac)
				return MpParseInvalid;
			have_mac = TRUE;
			NdisMoveMemory(Spec->Mac, f.FieldValue.FieldByteArrayValue, 6);
			untagged_flag = (f.Flags & NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO) != 0;
			break;
		case NdisMacHeaderFieldVlanId:
			if (have_vlan || f.FieldValue.FieldShortValue > 0xfff)
				return MpParseInvalid;
			have_vlan = TRUE;
			Spec->VlanId = f.FieldValue.FieldShortValue;
			break;
		default:
			return MpParseUnsupported;
		}
	}
	/* Filters match one unicast MAC. */
	if (!have_mac || (Spec->Mac[0] & 1))
		return MpParseInvalid;
	/*
	 * A MAC test with neither a VLAN test nor UNTAGGED_OR_ZERO asks for the
	 * MAC on any VLAN; srnic cannot match "any VLAN", and the spec lets the
	 * PF fail such a filter rather than strip tags (spec 2.10).
	 */
	if (!have_vlan && !untagged_flag)
		return MpParseUnsupported;
	if (have_vlan && untagged_flag && Spec->VlanId != 0)
		return MpParseInvalid;
	Spec->FilterId = p.FilterId;
	Spec->VPortId = p.VPortId;
	return MpParseOk;
}
