/*
 * Fuzz target: the guest traffic frame parser and the sequence checker
 * (src/hv/guest_traffic.c). Frames reach the parser from the network (the
 * host, a VF), so any bytes must be refused or accounted for without
 * reading past the frame, and the checker's counters must stay consistent
 * whatever order numbers arrive in. The corpus replays in `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/guest_traffic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_traffic_seq s;
	uint32_t stream;
	uint64_t seq;
	uint8_t *copy;

	/* The whole input as one frame, in an exact-size block. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (size <= UINT32_MAX && guest_traffic_frame_parse(copy, (uint32_t)size, &stream, &seq) == 0 &&
	    size >= GUEST_TRAFFIC_HEADER) {
		uint8_t again[GUEST_TRAFFIC_FRAME_MAX + 4];

		/* A frame that parses is one the builder makes byte for byte. */
		if (size <= sizeof(again) &&
		    (guest_traffic_frame_build(again, (uint32_t)size, copy, copy + 6, stream, seq) != size ||
		     memcmp(again, copy, size) != 0))
			abort();
	}
	free(copy);

	/* The input as a sequence of 16-bit numbers around a moving base. */
	guest_traffic_seq_init(&s);
	for (size_t i = 0; i + 2 <= size; i += 2) {
		uint64_t n = (uint64_t)data[i] << 8 | data[i + 1];

		guest_traffic_seq_take(&s, n * (data[i] & 1 ? 1u : 3u));
		if (s.received > s.next || s.lost > s.next)
			abort();
	}
	return 0;
}
