/*
 * Tests for src/base/pcapng.c and capture.c: the exact bytes of each block
 * the writer makes (SHB, IDB with if_name/if_description, EPB with
 * epb_flags and padding), the reader's round trip, its refusals of bad
 * input (each naming the offset of the block), the truncated-tail mode,
 * and a capture session: points, filters, a forked child's part and the
 * merge by timestamp with interfaces renumbered and joined by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/pcapng.h"

struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

static void mem_close(struct mem *m)
{
	assert_int_equal(fclose(m->f), 0);
}

static uint32_t u32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_shb_bytes(void **state)
{
	struct mem m;

	(void)state;
	/* without shb_userappl: 32 bytes, both lengths 32, opt_endofopt last */
	mem_open(&m);
	assert_int_equal(pcapng_write_shb(m.f, NULL), 0);
	mem_close(&m);
	assert_int_equal(m.len, 32);
	assert_int_equal(u32(m.buf), PCAPNG_BT_SHB);
	assert_int_equal(u32(m.buf + 4), 32);
	assert_int_equal(u32(m.buf + 24), 0);
	assert_int_equal(u32(m.buf + 28), 32);
	free(m.buf);
}

static void test_shb_exact(void **state)
{
	static const uint8_t want[40] = {
		0x0a, 0x0d, 0x0d, 0x0a, 40, 0, 0, 0,
		0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		4, 0, 2, 0, 'i', 'o', 0, 0,
		0, 0, 0, 0,
		40, 0, 0, 0,
	};
	struct mem m;

	(void)state;
	mem_open(&m);
	assert_int_equal(pcapng_write_shb(m.f, "io"), 0);
	mem_close(&m);
	assert_int_equal(m.len, sizeof(want));
	assert_memory_equal(m.buf, want, sizeof(want));
	free(m.buf);
}

static void test_idb_exact(void **state)
{
	static const uint8_t want[] = {
		1, 0, 0, 0, 44, 0, 0, 0,		/* IDB, 44 bytes */
		1, 0, 0, 0, 0xff, 0xff, 0, 0,		/* Ethernet, reserved, snaplen 65535 */
		2, 0, 5, 0, 'p', 'f', '0', ' ', 'P', 0, 0, 0,	/* if_name "pf0 P" padded to 8 */
		3, 0, 1, 0, 'd', 0, 0, 0,		/* if_description "d" */
		0, 0, 0, 0,				/* opt_endofopt */
		44, 0, 0, 0,
	};
	struct mem m;

	(void)state;
	mem_open(&m);
	assert_int_equal(pcapng_write_idb(m.f, PCAPNG_LINKTYPE_ETHERNET, 65535, "pf0 P", "d"), 0);
	mem_close(&m);
	assert_int_equal(m.len, sizeof(want));
	assert_memory_equal(m.buf, want, m.len);
	free(m.buf);
}

static void test_epb_exact(void **state)
{
	static const uint8_t frame[5] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };
	static const uint8_t want[] = {
		6, 0, 0, 0, 52, 0, 0, 0,		/* EPB, 52 bytes */
		3, 0, 0, 0,				/* interface 3 */
		0x01, 0, 0, 0, 0x02, 0, 0, 0,		/* ts high 1, low 2 */
		5, 0, 0, 0, 9, 0, 0, 0,			/* caplen 5, origlen 9 */
		0xde, 0xad, 0xbe, 0xef, 0x01, 0, 0, 0,	/* data padded to 8 */
		2, 0, 4, 0, 2, 0, 0, 0,			/* epb_flags: outbound */
		0, 0, 0, 0,
		52, 0, 0, 0,
	};
	struct mem m;

	(void)state;
	mem_open(&m);
	assert_int_equal(pcapng_write_epb(m.f, 3, (1ull << 32) | 2, frame, 5, 9, PCAPNG_EPB_OUTBOUND), 0);
	mem_close(&m);
	assert_int_equal(m.len, sizeof(want));
	assert_memory_equal(m.buf, want, sizeof(want));
	free(m.buf);
	/* no flags: no options at all, 36 bytes */
	mem_open(&m);
	assert_int_equal(pcapng_write_epb(m.f, 0, 0, frame, 4, 4, 0), 0);
	mem_close(&m);
	assert_int_equal(m.len, 36);
	free(m.buf);
	/* caplen above origlen is refused, nothing written */
	mem_open(&m);
	assert_int_equal(pcapng_write_epb(m.f, 0, 0, frame, 5, 4, 0), -EINVAL);
	mem_close(&m);
	assert_int_equal(m.len, 0);
	free(m.buf);
}

/* A small file: SHB, two interfaces, three packets. */
static void sample(struct mem *m)
{
	uint8_t f1[60], f2[1514];

	memset(f1, 0x11, sizeof(f1));
	memset(f2, 0x22, sizeof(f2));
	mem_open(m);
	assert_int_equal(pcapng_write_shb(m->f, "iovlab"), 0);
	assert_int_equal(pcapng_write_idb(m->f, 1, 65535, "vm1 NetVsc", "the guest's edge"), 0);
	assert_int_equal(pcapng_write_idb(m->f, 1, 65535, "pf0 uplink", NULL), 0);
	assert_int_equal(pcapng_write_epb(m->f, 0, 1000, f1, 60, 60, PCAPNG_EPB_OUTBOUND), 0);
	assert_int_equal(pcapng_write_epb(m->f, 1, 2000, f2, 1514, 1514, PCAPNG_EPB_INBOUND), 0);
	assert_int_equal(pcapng_write_epb(m->f, 0, 3000, f1, 3, 60, 0), 0);
	mem_close(m);
}

static void test_round_trip(void **state)
{
	struct pcapng_file pf;
	struct mem m;
	char err[128];

	(void)state;
	sample(&m);
	assert_int_equal(pcapng_parse((uint8_t *)m.buf, m.len, 0, &pf, err, sizeof(err)), 0);
	assert_int_equal(pf.sections, 1);
	assert_int_equal(pf.nifaces, 2);
	assert_string_equal(pf.ifaces[0].name, "vm1 NetVsc");
	assert_string_equal(pf.ifaces[0].description, "the guest's edge");
	assert_string_equal(pf.ifaces[1].name, "pf0 uplink");
	assert_string_equal(pf.ifaces[1].description, "");
	assert_int_equal(pf.ifaces[1].tsresol, 6);
	assert_int_equal(pf.npkts, 3);
	assert_int_equal(pf.pkts[0].iface, 0);
	assert_int_equal(pf.pkts[0].ts_us, 1000);
	assert_int_equal(pf.pkts[0].flags, PCAPNG_EPB_OUTBOUND);
	assert_int_equal(pf.pkts[1].iface, 1);
	assert_int_equal(pf.pkts[1].caplen, 1514);
	assert_int_equal(pf.pkts[1].data[1513], 0x22);
	assert_int_equal(pf.pkts[1].flags, PCAPNG_EPB_INBOUND);
	assert_int_equal(pf.pkts[2].caplen, 3);
	assert_int_equal(pf.pkts[2].origlen, 60);
	assert_int_equal(pf.pkts[2].flags, 0);
	assert_false(pf.truncated);
	pcapng_file_fini(&pf);
	free(m.buf);
}

/* Parse buf and expect a refusal whose message starts with "offset AT: " and contains what. */
static void refused(const uint8_t *buf, size_t len, size_t at, const char *what)
{
	struct pcapng_file pf;
	char err[200], head[40];

	assert_int_equal(pcapng_parse(buf, len, 0, &pf, err, sizeof(err)), -EINVAL);
	snprintf(head, sizeof(head), "offset %zu: ", at);
	if (strncmp(err, head, strlen(head)) || !strstr(err, what))
		fail_msg("error '%s', want '%s...%s'", err, head, what);
	assert_null(pf.ifaces);
	assert_null(pf.pkts);
}

static void test_bad_input(void **state)
{
	struct mem m;
	uint8_t *b;
	size_t idb1 = 44, idb2, epb1;	/* offsets in sample(): SHB 44 bytes (userappl "iovlab") */
	uint32_t v;

	(void)state;
	sample(&m);
	b = (uint8_t *)m.buf;
	idb2 = idb1 + u32(b + idb1 + 4);
	epb1 = idb2 + u32(b + idb2 + 4);

	refused(b, 0, 0, "empty file");
	refused(b, 8, 0, "less than a block header");
	refused(b + idb1, m.len - idb1, 0, "not a pcapng file");
	/* a block length that is not a multiple of 4 */
	v = u32(b + idb1 + 4);
	memcpy(b + idb1 + 4, &(uint32_t){ 41 }, 4);
	refused(b, m.len, idb1, "multiple of 4");
	/* longer than the file */
	memcpy(b + idb1 + 4, &(uint32_t){ 0x100000 }, 4);
	refused(b, m.len, idb1, "only");
	memcpy(b + idb1 + 4, &v, 4);
	/* trailer differs */
	memcpy(b + idb1 + v - 4, &(uint32_t){ v + 4 }, 4);
	refused(b, m.len, idb1, "trailing length");
	memcpy(b + idb1 + v - 4, &v, 4);
	/* an option running past its block */
	memcpy(b + idb1 + 18, &(uint16_t){ 200 }, 2);
	refused(b, m.len, idb1 + 16, "runs past the end of the block");
	memcpy(b + idb1 + 18, &(uint16_t){ 10 }, 2);
	/* a packet on an interface the section does not have */
	memcpy(b + epb1 + 8, &(uint32_t){ 2 }, 4);
	refused(b, m.len, epb1, "interface 2");
	memcpy(b + epb1 + 8, &(uint32_t){ 0 }, 4);
	/* captured length past the block, and above the original length */
	memcpy(b + epb1 + 20, &(uint32_t){ 0xfffffff0 }, 4);
	refused(b, m.len, epb1, "does not fit");
	memcpy(b + epb1 + 20, &(uint32_t){ 60 }, 4);
	memcpy(b + epb1 + 24, &(uint32_t){ 59 }, 4);
	refused(b, m.len, epb1, "larger than the original");
	memcpy(b + epb1 + 24, &(uint32_t){ 60 }, 4);
	/* the other byte order */
	memcpy(b + 8, &(uint32_t){ 0x4d3c2b1a }, 4);
	refused(b, m.len, 0, "other byte order");
	memcpy(b + 8, &(uint32_t){ PCAPNG_BYTE_ORDER_MAGIC }, 4);
	/* restored: parses again */
	{
		struct pcapng_file pf;

		assert_int_equal(pcapng_parse(b, m.len, 0, &pf, NULL, 0), 0);
		assert_int_equal(pf.npkts, 3);
		pcapng_file_fini(&pf);
	}
	free(m.buf);
}

static void test_truncated_tail(void **state)
{
	struct pcapng_file pf;
	struct mem m;
	char err[160];

	(void)state;
	sample(&m);
	/* cut inside the last packet: refused without the flag, kept up to it with */
	refused((uint8_t *)m.buf, m.len - 5, m.len - 36, "only");
	assert_int_equal(pcapng_parse((uint8_t *)m.buf, m.len - 5, PCAPNG_PARSE_TRUNCATED_TAIL, &pf, err, sizeof(err)),
			 0);
	assert_true(pf.truncated);
	assert_int_equal(pf.truncated_at, m.len - 36);
	assert_int_equal(pf.npkts, 2);
	pcapng_file_fini(&pf);
	free(m.buf);
}

/* ---- the capture session ---- */
static char dir[64];

static void read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*buf = malloc((size_t)n + 1);
	assert_non_null(*buf);
	assert_int_equal(fread(*buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
}

static void test_session_merge(void **state)
{
	static const char *const filters[] = { "pf0*", "*NetVsc" };
	char path[128], err[256];
	uint8_t frame[64] = { 0x00, 0x15, 0x5d }, *buf;
	struct capture_summary sum;
	struct capture_point *pf, *vsw;
	struct pcapng_file out;
	size_t len;
	pid_t pid;
	int st;

	(void)state;
	snprintf(path, sizeof(path), "%s/all.pcapng", dir);
	assert_false(capture_on());
	assert_null(capture_point_get("pf0 PF", NULL));
	assert_int_equal(capture_start(path, filters, 2, err, sizeof(err)), 0);
	assert_true(capture_on());
	assert_int_equal(capture_start(path, NULL, 0, err, sizeof(err)), -EBUSY);
	pf = capture_point_get("pf0 PF", "the PF");
	vsw = capture_point_get("vSwitch ext port vm1", NULL);	/* filtered out */
	assert_ptr_equal(capture_point_get("pf0 PF", NULL), pf);
	assert_true(capture_point_enabled(pf));
	assert_false(capture_point_enabled(vsw));
	frame[63] = 1;
	capture_frame(pf, CAPTURE_OUT, frame, sizeof(frame));
	capture_frame(vsw, CAPTURE_IN, frame, sizeof(frame));

	capture_fork_prepare("vm1");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct capture_point *nv;

		if (capture_fork_child())
			_exit(3);
		nv = capture_point_get("vm1 NetVsc", "guest");
		usleep(2000);
		frame[63] = 2;
		capture_frame(nv, CAPTURE_OUT, frame, sizeof(frame));
		/* the same name as the host's: joined in the merged file */
		capture_frame(capture_point_get("pf0 PF", NULL), CAPTURE_IN, frame, 20);
		capture_stop();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	usleep(2000);
	frame[63] = 3;
	capture_frame(pf, CAPTURE_IN, frame, sizeof(frame));
	capture_fork_prepare("vm2");	/* a VM that never wrote: no part, not an error */

	assert_int_equal(capture_finish(&sum, err, sizeof(err)), 0);
	assert_false(capture_on());
	assert_int_equal(sum.interfaces, 2);
	assert_int_equal(sum.frames, 4);
	assert_int_equal(sum.parts, 3);
	assert_int_equal(sum.truncated, 0);

	read_file(path, &buf, &len);
	assert_int_equal(pcapng_parse(buf, len, 0, &out, err, sizeof(err)), 0);
	assert_int_equal(out.nifaces, 2);
	assert_string_equal(out.ifaces[0].name, "pf0 PF");
	assert_string_equal(out.ifaces[0].description, "the PF");
	assert_string_equal(out.ifaces[1].name, "vm1 NetVsc");
	assert_int_equal(out.npkts, 4);
	/* in time order: host, child (NetVsc, PF), host */
	assert_int_equal(out.pkts[0].iface, 0);
	assert_int_equal(out.pkts[0].data[63], 1);
	assert_int_equal(out.pkts[1].iface, 1);
	assert_int_equal(out.pkts[1].data[63], 2);
	assert_int_equal(out.pkts[1].flags, PCAPNG_EPB_OUTBOUND);
	assert_int_equal(out.pkts[2].iface, 0);
	assert_int_equal(out.pkts[2].caplen, 20);
	assert_int_equal(out.pkts[2].flags, PCAPNG_EPB_INBOUND);
	assert_int_equal(out.pkts[3].data[63], 3);
	for (size_t i = 1; i < out.npkts; i++)
		assert_true(out.pkts[i].ts_us >= out.pkts[i - 1].ts_us);
	pcapng_file_fini(&out);
	free(buf);
	/* the parts are gone */
	snprintf(path, sizeof(path), "%s/all.pcapng.host.part", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/all.pcapng.vm1.1.part", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/all.pcapng", dir);
	unlink(path);
}

static void test_session_bad_part(void **state)
{
	char path[128], part[160], err[256];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.pcapng", dir);
	assert_int_equal(capture_start(path, NULL, 0, err, sizeof(err)), 0);
	capture_fork_prepare("vm9");
	/* a hostile guest part: refused with its name and the offset */
	snprintf(part, sizeof(part), "%s.vm9.1.part", path);
	f = fopen(part, "wb");
	assert_non_null(f);
	assert_int_equal(pcapng_write_shb(f, NULL), 0);
	fwrite("\x06\0\0\0\x0d\0\0\0", 1, 8, f);
	for (int i = 0; i < 8; i++)
		fputc(0, f);
	fclose(f);
	assert_int_equal(capture_finish(NULL, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "vm9.1.part: offset 32: ") || !strstr(err, "multiple of 4"))
		fail_msg("error '%s'", err);
	assert_false(capture_on());
	unlink(part);
	snprintf(part, sizeof(part), "%s.host.part", path);
	unlink(part);
	/* a path that cannot be created */
	assert_true(capture_start("/nonexistent-dir/x.pcapng", NULL, 0, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot create /nonexistent-dir/x.pcapng.host.part"));
	assert_false(capture_on());
}

/*
 * Live capture: a process that already runs opens the part the host named
 * (capture_start_part), closes it with its frame count (capture_stop_part);
 * a point cached in one session is bound again in the next; an abandoned
 * session leaves no file behind.
 */
static void test_session_live(void **state)
{
	static const char *const vm1_only[] = { "vm1*" };
	char path[128], part[256], err[256];
	uint8_t frame[64] = { 0x00, 0x15, 0x5d }, *buf;
	struct capture_summary sum;
	struct capture_point *pf;
	struct pcapng_file out;
	size_t len;
	pid_t pid;
	int st;

	(void)state;
	snprintf(path, sizeof(path), "%s/live.pcapng", dir);
	assert_null(capture_path());
	assert_int_equal(capture_add_part("vm1", part, sizeof(part)), -EINVAL);	/* no session */
	assert_int_equal(capture_stop_part(NULL), -ENOENT);
	assert_int_equal(capture_start(path, NULL, 0, err, sizeof(err)), 0);
	assert_string_equal(capture_path(), path);
	pf = capture_point_get("pf0 PF", "the PF");
	capture_frame(pf, CAPTURE_OUT, frame, sizeof(frame));
	assert_int_equal(capture_add_part("vm1", part, 8), -ENAMETOOLONG);
	assert_int_equal(capture_add_part("vm1", part, sizeof(part)), 0);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s.vm1.1.part", path);	/* the refused name used no number */
		assert_string_equal(part, want);
	}
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a VM process that was forked without a capture: it has no session of its own */
		uint64_t frames = 99;

		capture_stop();
		if (capture_start_part("relative.part", NULL, 0, err, sizeof(err)) != -EINVAL)
			_exit(10);
		if (capture_start_part(part, vm1_only, 1, err, sizeof(err)))
			_exit(11);
		if (capture_start_part(part, NULL, 0, err, sizeof(err)) != -EBUSY)
			_exit(12);
		frame[63] = 7;
		capture_frame(capture_point_get("vm1 NetVsc", "guest"), CAPTURE_OUT, frame, sizeof(frame));
		capture_frame(capture_point_get("vm2 NetVsc", "guest"), CAPTURE_OUT, frame, sizeof(frame)); /* filtered */
		capture_frame(pf, CAPTURE_IN, frame, sizeof(frame));	/* inherited, cached: bound again, filtered */
		if (capture_stop_part(&frames) || frames != 1)
			_exit(13);
		if (capture_on() || capture_stop_part(&frames) != -ENOENT || frames != 0)
			_exit(14);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(capture_finish(&sum, err, sizeof(err)), 0);
	assert_int_equal(sum.parts, 2);	/* host, vm1 */
	assert_int_equal(sum.interfaces, 2);
	assert_int_equal(sum.frames, 2);
	read_file(path, &buf, &len);
	assert_int_equal(pcapng_parse(buf, len, 0, &out, err, sizeof(err)), 0);
	assert_int_equal(out.nifaces, 2);
	assert_string_equal(out.ifaces[1].name, "vm1 NetVsc");
	assert_int_equal(out.pkts[1].data[63], 7);
	pcapng_file_fini(&out);
	free(buf);
	assert_int_equal(access(part, F_OK), -1);

	/* the next session in the same process: the cached point is bound to it on first use */
	assert_int_equal(capture_start(path, NULL, 0, err, sizeof(err)), 0);
	assert_false(capture_point_enabled(pf));	/* not bound yet */
	frame[63] = 9;
	capture_frame(pf, CAPTURE_IN, frame, sizeof(frame));
	assert_true(capture_point_enabled(pf));
	assert_int_equal(capture_finish(&sum, err, sizeof(err)), 0);
	assert_int_equal(sum.interfaces, 1);
	assert_int_equal(sum.frames, 1);
	read_file(path, &buf, &len);
	assert_int_equal(pcapng_parse(buf, len, 0, &out, err, sizeof(err)), 0);
	assert_int_equal(out.nifaces, 1);
	assert_string_equal(out.ifaces[0].name, "pf0 PF");
	assert_string_equal(out.ifaces[0].description, "the PF");
	assert_int_equal(out.npkts, 1);
	assert_int_equal(out.pkts[0].data[63], 9);
	pcapng_file_fini(&out);
	free(buf);
	unlink(path);

	/* abandoned: every part is removed, no merged file */
	assert_int_equal(capture_start(path, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(capture_add_part("vm2", part, sizeof(part)), 0);
	assert_int_equal(capture_start_part(part, NULL, 0, err, sizeof(err)), -EBUSY);	/* the host's session */
	fclose(fopen(part, "wb"));
	capture_abandon();
	assert_false(capture_on());
	assert_int_equal(access(part, F_OK), -1);
	snprintf(part, sizeof(part), "%s.host.part", path);
	assert_int_equal(access(part, F_OK), -1);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shb_bytes),
		cmocka_unit_test(test_shb_exact),
		cmocka_unit_test(test_idb_exact),
		cmocka_unit_test(test_epb_exact),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_truncated_tail),
		cmocka_unit_test(test_session_merge),
		cmocka_unit_test(test_session_bad_part),
		cmocka_unit_test(test_session_live),
	};
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/iovlab-pcapng-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
