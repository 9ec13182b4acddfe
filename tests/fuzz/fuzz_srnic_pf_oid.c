/*
 * Fuzz target: the srnic PF miniport's OID buffer checks
 * (drivers/srnic_pf/mp_parse.c) -- the BufferOffset/Length data areas of
 * the VF config-space and config-block OIDs, and SET_FILTER's parameters
 * with their issuer-placed field array. The first byte picks the parser;
 * the rest is the input (an exact-size heap copy, so ASan sees any read
 * past the buffer). Besides "no crash, no over-read", the verdicts must
 * hold what the driver relies on: an accepted data area lies inside the
 * buffer and the 4 KiB space, a "too short" names a larger size, an
 * accepted filter is one unicast MAC with a VLAN id below 4096.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srnic_pf.h"

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void data_area(const uint8_t *d, size_t n)
{
	ULONG f[7], needed = 0xdeadbeef;
	MP_PARSE_RESULT r;

	if (n < sizeof(f))
		return;
	for (int i = 0; i < 7; i++)
		f[i] = u32(d + 4 * i);
	/* FixedSize, BufferLength, BufferOffset, Length, MaxLength, Offset, SpaceSize */
	r = MPParseDataArea(f[0], f[1], f[2], f[3], f[4], f[5], f[6], &needed);
	if (r == MpParseOk) {
		if (f[2] < f[0] || (uint64_t)f[2] + f[3] > f[1] || f[3] == 0 || f[3] > f[4] ||
		    (f[6] && (uint64_t)f[5] + f[3] > f[6]))
			abort();
	} else if (r == MpParseTooShort) {
		if (needed <= f[1] || needed != (uint64_t)f[2] + f[3])
			abort();
	} else if (needed != 0) {
		abort();
	}
}

static void set_filter(const uint8_t *d, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	MP_FILTER_SPEC spec;
	ULONG needed = 0;
	MP_PARSE_RESULT r;

	if (!copy)
		return;
	memcpy(copy, d, n);
	r = MPParseSetFilter(copy, (ULONG)n, &spec, &needed);
	if (r == MpParseOk && ((spec.Mac[0] & 1) || spec.FilterId == 0 || spec.VlanId > 0xfff))
		abort();
	if (r == MpParseTooShort && needed <= n)
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		set_filter(data + 1, size - 1);
	else
		data_area(data + 1, size - 1);
	return 0;
}
