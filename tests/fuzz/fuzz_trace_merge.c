/*
 * Fuzz target: the merge of partition trace files (src/trace/merge.c), the
 * input a guest's process writes and the host reads. The input is split at
 * each 0xff byte into up to four files, merged, and written as the text
 * trace and the timeline. Oracles: nothing crashes or leaks, the timeline
 * is always JSON that jansson's strict decoder takes, with B/E events
 * properly nested per (pid, tid), and every text line starts with '['.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every E ends the innermost open B of its (pid, tid); nothing stays open. */
static void check_nesting(json_t *events)
{
	struct { json_int_t pid, tid; size_t depth; const char *open[TRACE_MERGE_MAX_DEPTH]; } tr[64];
	size_t ntr = 0, i, k;
	json_t *e;

	json_array_foreach(events, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		json_int_t pid = json_integer_value(json_object_get(e, "pid"));
		json_int_t tid = json_integer_value(json_object_get(e, "tid"));

		if (!ph)
			abort();
		if (strcmp(ph, "B") && strcmp(ph, "E"))
			continue;
		for (k = 0; k < ntr && (tr[k].pid != pid || tr[k].tid != tid); k++)
			;
		if (k == ntr) {
			if (ntr == 64)
				return;	/* more threads than this oracle follows */
			tr[ntr].pid = pid;
			tr[ntr].tid = tid;
			tr[ntr++].depth = 0;
		}
		if (!strcmp(ph, "B")) {
			if (tr[k].depth == TRACE_MERGE_MAX_DEPTH)
				abort();
			tr[k].open[tr[k].depth++] = json_string_value(json_object_get(e, "name"));
		} else if (!tr[k].depth || strcmp(tr[k].open[--tr[k].depth], json_string_value(json_object_get(e, "name")))) {
			abort();
		}
	}
	for (k = 0; k < ntr; k++)
		if (tr[k].depth)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_merge *m = trace_merge_create();
	char *text = NULL, *tl = NULL;
	size_t tlen = 0, jlen = 0, at = 0;
	FILE *ft, *fj;
	json_error_t err;
	json_t *j;

	if (!m)
		return 0;
	for (int n = 0; n < 4 && at <= size; n++) {
		const uint8_t *cut = memchr(data + at, 0xff, size - at);
		size_t len = cut ? (size_t)(cut - (data + at)) : size - at;
		char name[16];

		snprintf(name, sizeof(name), "%02d-fuzz.trace", n);
		(void)trace_merge_add_buffer(m, name, data + at, len);
		at += len + 1;
		if (!cut)
			break;
	}
	ft = open_memstream(&text, &tlen);
	fj = open_memstream(&tl, &jlen);
	if (!ft || !fj)
		abort();
	if (trace_merge_write_text(m, ft) || trace_merge_write_timeline(m, fj))
		abort();
	fclose(ft);
	fclose(fj);
	for (char *l = text; l && *l; l = strchr(l, '\n') + 1)
		if (*l != '[' || !strchr(l, '\n'))
			abort();
	j = json_loadb(tl, jlen, JSON_REJECT_DUPLICATES, &err);
	if (!j || !json_is_array(json_object_get(j, "traceEvents")))
		abort();
	check_nesting(json_object_get(j, "traceEvents"));
	json_decref(j);
	free(text);
	free(tl);
	trace_merge_destroy(m);
	return 0;
}
