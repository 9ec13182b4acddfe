/*
 * The INF reader (see inf.h for the subset). Three passes over one file:
 *
 *   1. lex: physical lines -> logical lines (";" comments, "\" continuation,
 *      quoted strings with "" escapes) grouped into sections;
 *   2. strings: [Strings] collected, %key% substituted everywhere (%12%-style
 *      DIRIDs and %% kept);
 *   3. build: [Version], [Manufacturer] -> models -> DDInstall(.HW/.Services)
 *      and AddReg, each checked as the installer would, so that a package
 *      that loads here is one the framework can act on.
 *
 * The first problem ends the parse with "<file>:<line>: <reason>". All memory
 * hangs off one arena in struct ndis_inf, so refusal at any point is a single
 * free. Every limit below is there so that fuzzed input stays cheap.
 */
#include "ndis/inf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INF_MAX_SIZE (1u << 20)
#define INF_MAX_LINE 4096
#define INF_MAX_FIELDS 64
#define INF_MAX_SECTIONS 4096

/* ---- arena --------------------------------------------------------------- */
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

struct inf_line {
	int no;
	char *key;		/* NULL when the line has no '=' */
	char **fields;
	size_t n_fields;
};

struct inf_section {
	char *name;
	int no;
	struct inf_line *lines;
	size_t n_lines, cap_lines;
};

struct ndis_inf {
	char *name;
	struct arena_block *arena;
	struct inf_section *sections;
	size_t n_sections, cap_sections;

	enum ndis_inf_class cls;
	const char *provider;
	const char *driver_ver;
	struct ndis_inf_model *models;
	size_t n_models, cap_models;
	struct ndis_inf_install **installs;
	size_t n_installs, cap_installs;

	char *err;
	size_t errlen;
};

static void *arena_alloc(struct ndis_inf *inf, size_t size)
{
	struct arena_block *b = inf->arena;

	size = (size + 15) & ~(size_t)15;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > 16384 ? size : 16384;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = inf->arena;
		b->used = 0;
		b->cap = cap;
		inf->arena = b;
	}
	void *p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

static char *arena_strndup(struct ndis_inf *inf, const char *s, size_t n)
{
	char *p = arena_alloc(inf, n + 1);

	if (p)
		memcpy(p, s, n);
	return p;
}

/* Grow an arena-backed array (old contents copied, old block abandoned). */
static int arena_grow(struct ndis_inf *inf, void **arr, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *n = arena_alloc(inf, ncap * elem);

	if (!n)
		return -ENOMEM;
	if (*arr)
		memcpy(n, *arr, *cap * elem);
	*arr = n;
	*cap = ncap;
	return 0;
}

static int fail(struct ndis_inf *inf, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ndis_inf *inf, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (inf->err && inf->errlen) {
		if (line > 0)
			n = snprintf(inf->err, inf->errlen, "%s:%d: ", inf->name, line);
		else
			n = snprintf(inf->err, inf->errlen, "%s: ", inf->name);
		if (n < 0 || (size_t)n >= inf->errlen)
			return -EINVAL;
		va_start(ap, fmt);
		vsnprintf(inf->err + n, inf->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- pass 1: lexing ------------------------------------------------------ */
static struct inf_section *section_find(const struct ndis_inf *inf, const char *name)
{
	for (size_t i = 0; i < inf->n_sections; i++)
		if (strcasecmp(inf->sections[i].name, name) == 0)
			return &inf->sections[i];
	return NULL;
}

static int section_open(struct ndis_inf *inf, const char *name, size_t len, int no,
			struct inf_section **out)
{
	char *n = arena_strndup(inf, name, len);
	struct inf_section *s;

	if (!n)
		return -ENOMEM;
	/* Sections of the same name merge, as in setupapi. */
	s = section_find(inf, n);
	if (s) {
		*out = s;
		return 0;
	}
	if (inf->n_sections >= INF_MAX_SECTIONS)
		return fail(inf, no, "more than %d sections", INF_MAX_SECTIONS);
	if (inf->n_sections == inf->cap_sections &&
	    arena_grow(inf, (void **)&inf->sections, &inf->cap_sections, sizeof(*s)))
		return -ENOMEM;
	s = &inf->sections[inf->n_sections++];
	s->name = n;
	s->no = no;
	*out = s;
	return 0;
}

/*
 * One field or key: [start, end) of the logical line, with quotes removed,
 * "" inside quotes as a literal quote and unquoted edges trimmed.
 */
static char *unquote(struct ndis_inf *inf, const char *s, const char *end)
{
	char *out = arena_alloc(inf, (size_t)(end - s) + 1);
	size_t n = 0, keep = 0;		/* keep: length that trimming may not cut */
	int q = 0;

	if (!out)
		return NULL;
	while (s < end && !q && isspace((unsigned char)*s))
		s++;
	for (; s < end; s++) {
		if (*s == '"') {
			if (q && s + 1 < end && s[1] == '"') {
				out[n++] = '"';
				s++;
				keep = n;
				continue;
			}
			q = !q;
			keep = n;
			continue;
		}
		out[n++] = *s;
		if (q || !isspace((unsigned char)*s))
			keep = n;
	}
	out[keep] = 0;
	return out;
}

static int add_entry(struct ndis_inf *inf, struct inf_section *sec, int no,
		     const char *s, const char *end)
{
	const char *eq = NULL, *p;
	const char *starts[INF_MAX_FIELDS + 1];
	size_t nf = 0;
	struct inf_line *l;
	int q = 0;

	for (p = s; p < end; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == '=' && !q) {
			eq = p;
			break;
		}
	}
	if (sec->n_lines == sec->cap_lines &&
	    arena_grow(inf, (void **)&sec->lines, &sec->cap_lines, sizeof(*l)))
		return -ENOMEM;
	l = &sec->lines[sec->n_lines];
	memset(l, 0, sizeof(*l));
	l->no = no;
	if (eq) {
		l->key = unquote(inf, s, eq);
		if (!l->key)
			return -ENOMEM;
		if (!l->key[0])
			return fail(inf, no, "'=' without a name before it");
		s = eq + 1;
	}
	/* Fields: split on commas outside quotes. */
	starts[nf++] = s;
	q = 0;
	for (p = s; p < end; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == ',' && !q) {
			if (nf >= INF_MAX_FIELDS)
				return fail(inf, no, "more than %d fields", INF_MAX_FIELDS);
			starts[nf++] = p + 1;
		}
	}
	l->fields = arena_alloc(inf, nf * sizeof(char *));
	if (!l->fields)
		return -ENOMEM;
	for (size_t i = 0; i < nf; i++) {
		const char *fe = i + 1 < nf ? starts[i + 1] - 1 : end;
		l->fields[i] = unquote(inf, starts[i], fe);
		if (!l->fields[i])
			return -ENOMEM;
	}
	l->n_fields = nf;
	/* "key =" with nothing after it is one empty field; keep it that way. */
	sec->n_lines++;
	return 0;
}

static int lex(struct ndis_inf *inf, const char *text, size_t len)
{
	struct inf_section *sec = NULL;
	char *buf = malloc(INF_MAX_LINE + 1);
	size_t pos = 0;
	int no = 0, rc = 0;

	if (!buf)
		return -ENOMEM;
	while (pos < len && !rc) {
		size_t n = 0;
		int first = no + 1, q = 0, more;

		/* Assemble one logical line (continuations joined). */
		do {
			size_t eol = pos, stop;
			int comment = 0;

			no++;
			more = 0;
			while (eol < len && text[eol] != '\n')
				eol++;
			stop = eol;
			if (stop > pos && text[stop - 1] == '\r')
				stop--;
			for (size_t i = pos; i < stop; i++) {
				char c = text[i];
				if (c == 0) {
					rc = fail(inf, no, "NUL byte in the file");
					goto out;
				}
				if (c == '"')
					q = !q;
				if (c == ';' && !q) {
					comment = 1;
					break;
				}
				if (n >= INF_MAX_LINE) {
					rc = fail(inf, first, "line longer than %d characters", INF_MAX_LINE);
					goto out;
				}
				buf[n++] = c;
			}
			(void)comment;
			while (n > 0 && !q && isspace((unsigned char)buf[n - 1]))
				n--;
			if (n > 0 && !q && buf[n - 1] == '\\' && eol < len) {
				n--;	/* continuation: join the next physical line */
				more = 1;
			}
			pos = eol < len ? eol + 1 : eol;
		} while (more && pos < len);
		buf[n] = 0;
		if (q) {
			rc = fail(inf, first, "unterminated quoted string");
			break;
		}
		{
			const char *s = buf, *e = buf + n;
			while (s < e && isspace((unsigned char)*s))
				s++;
			if (s == e)
				continue;
			if (*s == '[') {
				const char *close = memchr(s, ']', (size_t)(e - s));
				const char *ns, *ne, *t;
				if (!close) {
					rc = fail(inf, first, "section header without ']'");
					break;
				}
				for (t = close + 1; t < e; t++)
					if (!isspace((unsigned char)*t)) {
						rc = fail(inf, first, "text after the section header");
						goto out;
					}
				ns = s + 1;
				ne = close;
				while (ns < ne && isspace((unsigned char)*ns))
					ns++;
				while (ne > ns && isspace((unsigned char)ne[-1]))
					ne--;
				if (ns == ne) {
					rc = fail(inf, first, "empty section name");
					break;
				}
				for (t = ns; t < ne; t++)
					if (*t == '[' || *t == '"') {
						rc = fail(inf, first, "'%c' in a section name", *t);
						goto out;
					}
				rc = section_open(inf, ns, (size_t)(ne - ns), first, &sec);
				continue;
			}
			if (!sec) {
				rc = fail(inf, first, "entry before the first section");
				break;
			}
			rc = add_entry(inf, sec, first, s, e);
		}
	}
out:
	free(buf);
	return rc;
}

/* ---- pass 2: [Strings] ---------------------------------------------------- */
static const char *string_lookup(const struct inf_section *strings, const char *key, size_t n)
{
	if (!strings)
		return NULL;
	for (size_t i = 0; i < strings->n_lines; i++) {
		const struct inf_line *l = &strings->lines[i];
		if (l->key && strlen(l->key) == n && strncasecmp(l->key, key, n) == 0)
			return l->fields[0];
	}
	return NULL;
}

static int substitute(struct ndis_inf *inf, const struct inf_section *strings,
		      int no, char **text)
{
	const char *s = *text;
	char out[INF_MAX_LINE + 1];
	size_t n = 0;

	if (!strchr(s, '%'))
		return 0;
	while (*s) {
		const char *close, *val;
		size_t klen, vlen;
		int dirid = 1;

		if (*s != '%') {
			if (n >= INF_MAX_LINE)
				return fail(inf, no, "line longer than %d characters after %%string%% substitution",
					    INF_MAX_LINE);
			out[n++] = *s++;
			continue;
		}
		close = strchr(s + 1, '%');
		if (!close)
			return fail(inf, no, "unmatched '%%' (write %%%% for a literal percent sign)");
		klen = (size_t)(close - s - 1);
		for (size_t i = 0; i < klen; i++)
			if (!isdigit((unsigned char)s[1 + i]))
				dirid = 0;
		if (klen == 0) {
			val = "%";
			vlen = 1;
		} else if (dirid) {
			val = s;		/* %12%: a directory id, kept for ServiceBinary */
			vlen = klen + 2;
		} else {
			val = string_lookup(strings, s + 1, klen);
			if (!val)
				return fail(inf, no, "%%%.*s%% is not defined in [Strings]", (int)klen, s + 1);
			vlen = strlen(val);
		}
		if (n + vlen > INF_MAX_LINE)
			return fail(inf, no, "line longer than %d characters after %%string%% substitution",
				    INF_MAX_LINE);
		memcpy(out + n, val, vlen);
		n += vlen;
		s = close + 1;
	}
	*text = arena_strndup(inf, out, n);
	return *text ? 0 : -ENOMEM;
}

static int strings_pass(struct ndis_inf *inf)
{
	const struct inf_section *strings = section_find(inf, "Strings");
	int rc;

	if (strings)
		for (size_t i = 0; i < strings->n_lines; i++) {
			const struct inf_line *l = &strings->lines[i];
			if (!l->key)
				return fail(inf, l->no, "[Strings] entry without a name");
			if (l->n_fields != 1)
				return fail(inf, l->no, "string %s has %zu comma-separated parts; quote it",
					    l->key, l->n_fields);
		}
	for (size_t i = 0; i < inf->n_sections; i++) {
		struct inf_section *sec = &inf->sections[i];

		if (sec == strings || strncasecmp(sec->name, "Strings.", 8) == 0)
			continue;
		for (size_t j = 0; j < sec->n_lines; j++) {
			struct inf_line *l = &sec->lines[j];
			if (l->key && (rc = substitute(inf, strings, l->no, &l->key)))
				return rc;
			for (size_t f = 0; f < l->n_fields; f++)
				if ((rc = substitute(inf, strings, l->no, &l->fields[f])))
					return rc;
		}
	}
	return 0;
}

/* ---- pass 3: helpers ------------------------------------------------------ */
static const struct inf_line *directive(const struct inf_section *sec, const char *key)
{
	for (size_t i = 0; sec && i < sec->n_lines; i++)
		if (sec->lines[i].key && strcasecmp(sec->lines[i].key, key) == 0)
			return &sec->lines[i];
	return NULL;
}

static int parse_number(const char *s, uint32_t *out)
{
	return ndis_reg_parse_uint(s, 0, out);
}

/* Signed, for int/long keyword ranges; base 16 when hex. */
static int parse_long(const char *s, int hex, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, hex ? 16 : 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int ndis_inf_pci_id_valid(const char *id)
{
	static const struct {
		const char *tag;
		int digits;
		int required;
	} parts[] = {
		{ "VEN_", 4, 1 }, { "DEV_", 4, 1 }, { "SUBSYS_", 8, 0 }, { "REV_", 2, 0 },
	};
	const char *p = id;

	if (strncasecmp(p, "PCI\\", 4) != 0)
		return 0;
	p += 4;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t tl = strlen(parts[i].tag);

		if (i > 0) {
			if (*p != '&') {
				if (parts[i].required)
					return 0;
				continue;
			}
			if (strncasecmp(p + 1, parts[i].tag, tl) != 0) {
				if (parts[i].required)
					return 0;
				continue;
			}
			p++;
		} else if (strncasecmp(p, parts[i].tag, tl) != 0) {
			return 0;
		}
		p += tl;
		for (int d = 0; d < parts[i].digits; d++, p++)
			if (!isxdigit((unsigned char)*p))
				return 0;
	}
	return *p == 0;
}

/* ---- AddReg ---------------------------------------------------------------- */
static int subkey_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0)
		return 1;
	if (k[0] == '\\' || k[n - 1] == '\\' || strstr(k, "\\\\"))
		return 0;
	return 1;
}

static int parse_addreg_line(struct ndis_inf *inf, const struct inf_line *l,
			     struct ndis_inf_addreg *r)
{
	uint32_t flags = 0, type_bits, mod_bits;

	if (l->key)
		return fail(inf, l->no, "AddReg line with '=' (expected HKR, subkey, name, flags, value)");
	if (strcasecmp(l->fields[0], "HKR") != 0)
		return fail(inf, l->no, "registry root '%s' not supported (only HKR, the adapter's driver key)",
			    l->fields[0]);
	if (l->n_fields < 2)
		return fail(inf, l->no, "AddReg line without a subkey field");
	if (!subkey_ok(l->fields[1]))
		return fail(inf, l->no, "malformed subkey '%s'", l->fields[1]);
	r->line = l->no;
	r->subkey = l->fields[1];
	r->name = l->n_fields > 2 ? l->fields[2] : "";
	if (l->n_fields > 3 && l->fields[3][0] && parse_number(l->fields[3], &flags))
		return fail(inf, l->no, "AddReg flags '%s' is not a number", l->fields[3]);
	type_bits = flags & (NDIS_INF_FLG_TYPE_MULTI_SZ | NDIS_INF_FLG_TYPE_EXPAND_SZ |
			     NDIS_INF_FLG_BINVALUETYPE);
	mod_bits = flags & ~(type_bits | 0xfffe0000u);
	if (flags & 0xfffc0000u)
		return fail(inf, l->no, "AddReg flags 0x%08x: unsupported type bits", flags);
	if (mod_bits & ~(NDIS_INF_FLG_NOCLOBBER | NDIS_INF_FLG_KEYONLY))
		return fail(inf, l->no, "AddReg flags 0x%08x: only NOCLOBBER (0x2) and KEYONLY (0x10) are supported",
			    flags);
	r->noclobber = !!(mod_bits & NDIS_INF_FLG_NOCLOBBER);
	r->keyonly = !!(mod_bits & NDIS_INF_FLG_KEYONLY);
	if (r->keyonly) {
		if (l->n_fields > 4)
			return fail(inf, l->no, "KEYONLY AddReg line with a value");
		r->type = NDIS_REG_SZ;
		return 0;
	}
	if (!r->name[0] && l->n_fields <= 2)
		return fail(inf, l->no, "AddReg line without a value name or value");
	switch (type_bits) {
	case 0:
	case NDIS_INF_FLG_TYPE_EXPAND_SZ:
		r->type = type_bits ? NDIS_REG_EXPAND_SZ : NDIS_REG_SZ;
		if (l->n_fields < 5)
			return fail(inf, l->no, "AddReg string value missing");
		if (l->n_fields > 5)
			return fail(inf, l->no, "AddReg string value has %zu parts; quote values containing commas",
				    l->n_fields - 4);
		r->text = l->fields[4];
		r->text_len = strlen(r->text);
		return 0;
	case NDIS_INF_FLG_TYPE_MULTI_SZ: {
		size_t total = 0;
		char *p;

		r->type = NDIS_REG_MULTI_SZ;
		for (size_t i = 4; i < l->n_fields; i++)
			total += strlen(l->fields[i]) + 1;
		p = arena_alloc(inf, total + 1);
		if (!p)
			return -ENOMEM;
		r->text = p;
		for (size_t i = 4; i < l->n_fields; i++) {
			size_t n = strlen(l->fields[i]);
			memcpy(p, l->fields[i], n + 1);
			p += n + 1;
		}
		r->text_len = total;
		return 0;
	}
	case NDIS_INF_FLG_TYPE_DWORD:
		r->type = NDIS_REG_DWORD;
		if (l->n_fields != 5)
			return fail(inf, l->no, "REG_DWORD AddReg line needs exactly one value");
		if (parse_number(l->fields[4], &r->dword))
			return fail(inf, l->no, "REG_DWORD value '%s' is not a 32-bit number", l->fields[4]);
		return 0;
	case NDIS_INF_FLG_BINVALUETYPE: {
		uint8_t *b;

		r->type = NDIS_REG_BINARY;
		r->n_bytes = l->n_fields > 4 ? l->n_fields - 4 : 0;
		b = arena_alloc(inf, r->n_bytes + 1);
		if (!b)
			return -ENOMEM;
		for (size_t i = 0; i < r->n_bytes; i++) {
			uint32_t v;
			if (ndis_reg_parse_uint(l->fields[4 + i], 1, &v) || v > 0xff)
				return fail(inf, l->no, "REG_BINARY byte '%s' is not a hex byte", l->fields[4 + i]);
			b[i] = (uint8_t)v;
		}
		r->bytes = b;
		return 0;
	}
	default:
		return fail(inf, l->no, "AddReg flags 0x%08x: unsupported value type", flags);
	}
}

/* ---- keyword checks (spec 2.2; docs/ndis/inf.md) --------------------------- */
struct kw_group {
	const char *kw;
	int line;
	const struct ndis_inf_addreg *type, *def, *desc, *min, *max, *base, *optional;
	size_t n_enum;
	const struct ndis_inf_addreg *enums[64];
};

static const char *const enum01_keywords[] = {
	"*SRIOV", "*VMQ", "*RSS", "*VMQVlanFiltering", "*VMQLookaheadSplit", "*RssOnHostVPorts",
};
static const char *const hidden_keywords[] = { "*SriovPreferred", "*RssOrVmqPreference" };

static int is_params_key(const char *subkey, const char **kw, int *is_enum)
{
	const char *rest, *sep;

	if (strncasecmp(subkey, "Ndi\\params\\", 11) != 0)
		return 0;
	rest = subkey + 11;
	sep = strchr(rest, '\\');
	*is_enum = 0;
	if (sep) {
		if (strcasecmp(sep + 1, "enum") != 0)
			return 0;
		*is_enum = 1;
	}
	*kw = rest;
	return 1;
}

static size_t kw_len(const char *kw)
{
	const char *sep = strchr(kw, '\\');
	return sep ? (size_t)(sep - kw) : strlen(kw);
}

static const char *reg_text(const struct ndis_inf_addreg *r)
{
	return r && (r->type == NDIS_REG_SZ || r->type == NDIS_REG_EXPAND_SZ) ? r->text : NULL;
}

static int check_group(struct ndis_inf *inf, struct kw_group *g)
{
	const char *type = reg_text(g->type), *def = reg_text(g->def);
	int optional = g->optional && reg_text(g->optional) && strcmp(reg_text(g->optional), "1") == 0;

	for (size_t i = 0; i < sizeof(hidden_keywords) / sizeof(hidden_keywords[0]); i++)
		if (strcasecmp(g->kw, hidden_keywords[i]) == 0)
			return fail(inf, g->line,
				    "%s is a hidden keyword: it must not appear under Ndi\\params (no Advanced page entry)",
				    g->kw);
	if (!g->desc)
		return fail(inf, g->line, "Ndi\\params\\%s has no ParamDesc", g->kw);
	if (!type)
		return fail(inf, g->line, "Ndi\\params\\%s has no type", g->kw);
	if (!def && !optional)
		return fail(inf, g->line, "Ndi\\params\\%s has no default", g->kw);
	if (strcasecmp(type, "enum") == 0) {
		int found = 0;

		if (!g->n_enum)
			return fail(inf, g->line, "Ndi\\params\\%s is an enum without values (Ndi\\params\\%s\\enum)",
				    g->kw, g->kw);
		for (size_t i = 0; i < g->n_enum; i++)
			if (def && strcmp(g->enums[i]->name, def) == 0)
				found = 1;
		if (def && !found)
			return fail(inf, g->def->line, "Ndi\\params\\%s default \"%s\" is not one of its enum values",
				    g->kw, def);
		for (size_t k = 0; k < sizeof(enum01_keywords) / sizeof(enum01_keywords[0]); k++) {
			if (strcasecmp(g->kw, enum01_keywords[k]) != 0)
				continue;
			for (size_t i = 0; i < g->n_enum; i++)
				if (strcmp(g->enums[i]->name, "0") != 0 && strcmp(g->enums[i]->name, "1") != 0)
					return fail(inf, g->enums[i]->line,
						    "standardized keyword %s takes only the values 0 and 1, not \"%s\"",
						    g->kw, g->enums[i]->name);
		}
		return 0;
	}
	if (!strcasecmp(type, "int") || !strcasecmp(type, "long") ||
	    !strcasecmp(type, "word") || !strcasecmp(type, "dword")) {
		int hex = g->base && reg_text(g->base) && strcmp(reg_text(g->base), "16") == 0;
		long long d = 0, mn = 0, mx = 0;

		for (size_t k = 0; k < sizeof(enum01_keywords) / sizeof(enum01_keywords[0]); k++)
			if (strcasecmp(g->kw, enum01_keywords[k]) == 0)
				return fail(inf, g->type->line, "standardized keyword %s must be of type enum", g->kw);
		if (def && parse_long(def, hex, &d))
			return fail(inf, g->def->line, "Ndi\\params\\%s default \"%s\" is not a number", g->kw, def);
		if (g->min && (!reg_text(g->min) || parse_long(reg_text(g->min), hex, &mn)))
			return fail(inf, g->min->line, "Ndi\\params\\%s min is not a number", g->kw);
		if (g->max && (!reg_text(g->max) || parse_long(reg_text(g->max), hex, &mx)))
			return fail(inf, g->max->line, "Ndi\\params\\%s max is not a number", g->kw);
		if (g->min && g->max && mn > mx)
			return fail(inf, g->max->line, "Ndi\\params\\%s max %lld is below min %lld", g->kw, mx, mn);
		if (def && g->min && d < mn)
			return fail(inf, g->def->line, "Ndi\\params\\%s default %lld is below min %lld", g->kw, d, mn);
		if (def && g->max && d > mx)
			return fail(inf, g->def->line, "Ndi\\params\\%s default %lld is above max %lld", g->kw, d, mx);
		return 0;
	}
	if (!strcasecmp(type, "edit"))
		return 0;
	return fail(inf, g->type->line,
		    "Ndi\\params\\%s type \"%s\" unknown (int, long, word, dword, enum or edit)", g->kw, type);
}

static int check_keywords(struct ndis_inf *inf, const struct ndis_inf_install *inst)
{
	/* Group AddReg lines by keyword, in first-seen order. */
	for (size_t i = 0; i < inst->n_addreg; i++) {
		const struct ndis_inf_addreg *r = &inst->addreg[i];
		const char *kw;
		int is_enum, seen = 0;
		struct kw_group *g;
		int rc;

		if (!is_params_key(r->subkey, &kw, &is_enum))
			continue;
		for (size_t j = 0; j < i; j++) {
			const char *k2;
			int e2;
			if (is_params_key(inst->addreg[j].subkey, &k2, &e2) && kw_len(k2) == kw_len(kw) &&
			    strncasecmp(k2, kw, kw_len(kw)) == 0)
				seen = 1;
		}
		if (seen)
			continue;
		g = calloc(1, sizeof(*g));
		if (!g)
			return -ENOMEM;
		g->kw = arena_strndup(inf, kw, kw_len(kw));
		if (!g->kw) {
			free(g);
			return -ENOMEM;
		}
		g->line = r->line;
		for (size_t j = i; j < inst->n_addreg; j++) {
			const struct ndis_inf_addreg *x = &inst->addreg[j];
			const char *k2;
			int e2;

			if (!is_params_key(x->subkey, &k2, &e2) || kw_len(k2) != kw_len(kw) ||
			    strncasecmp(k2, kw, kw_len(kw)) != 0 || x->keyonly)
				continue;
			if (e2) {
				if (g->n_enum < sizeof(g->enums) / sizeof(g->enums[0]))
					g->enums[g->n_enum++] = x;
				continue;
			}
			if (!strcasecmp(x->name, "type"))
				g->type = x;
			else if (!strcasecmp(x->name, "default"))
				g->def = x;
			else if (!strcasecmp(x->name, "ParamDesc"))
				g->desc = x;
			else if (!strcasecmp(x->name, "min"))
				g->min = x;
			else if (!strcasecmp(x->name, "max"))
				g->max = x;
			else if (!strcasecmp(x->name, "base"))
				g->base = x;
			else if (!strcasecmp(x->name, "optional"))
				g->optional = x;
		}
		rc = check_group(inf, g);
		free(g);
		if (rc)
			return rc;
	}
	/* NicSwitches\0 and Ndi\Interfaces values. */
	for (size_t i = 0; i < inst->n_addreg; i++) {
		const struct ndis_inf_addreg *r = &inst->addreg[i];

		if (r->keyonly)
			continue;
		if (!strcasecmp(r->subkey, "NicSwitches\\0")) {
			static const struct {
				const char *name;
				int dword;
				int fixed;
				uint32_t value;
			} sw[] = {
				{ "*Flags", 1, 1, 0 }, { "*SwitchType", 1, 1, 1 }, { "*SwitchId", 1, 1, 0 },
				{ "*NumVFs", 1, 0, 0 }, { "*SwitchName", 0, 0, 0 },
			};
			for (size_t k = 0; k < sizeof(sw) / sizeof(sw[0]); k++) {
				if (strcasecmp(r->name, sw[k].name) != 0)
					continue;
				if (sw[k].dword && r->type != NDIS_REG_DWORD)
					return fail(inf, r->line, "NicSwitches\\0 %s must be REG_DWORD (flags 0x00010001)",
						    sw[k].name);
				if (!sw[k].dword && r->type != NDIS_REG_SZ)
					return fail(inf, r->line, "NicSwitches\\0 %s must be REG_SZ (flags 0)", sw[k].name);
				if (sw[k].fixed && r->dword != sw[k].value)
					return fail(inf, r->line, "NicSwitches\\0 %s must be %u, not %u", sw[k].name,
						    sw[k].value, r->dword);
			}
		}
		if (!strcasecmp(r->subkey, "Ndi\\Interfaces") &&
		    (!strcasecmp(r->name, "UpperRange") || !strcasecmp(r->name, "LowerRange"))) {
			const char *t = reg_text(r), *p;
			int token = 0;

			if (!t)
				return fail(inf, r->line, "Ndi\\Interfaces %s must be a REG_SZ list", r->name);
			for (p = t;; p++) {
				if (*p == ',' || *p == 0) {
					if (!token)
						return fail(inf, r->line, "Ndi\\Interfaces %s \"%s\" has an empty entry",
							    r->name, t);
					token = 0;
					if (!*p)
						break;
				} else if (!isspace((unsigned char)*p)) {
					token = 1;
				}
			}
		}
	}
	return 0;
}

/* ---- install sections ------------------------------------------------------ */
static const char *platform_decoration = "NTamd64";

static struct inf_section *decorated(struct ndis_inf *inf, const char *base, const char **name)
{
	char buf[512];
	struct inf_section *s;

	snprintf(buf, sizeof(buf), "%s.%s", base, platform_decoration);
	s = section_find(inf, buf);
	if (s) {
		*name = s->name;
		return s;
	}
	s = section_find(inf, base);
	if (s)
		*name = s->name;
	return s;
}

static int add_addreg_sections(struct ndis_inf *inf, const struct inf_line *l,
			       struct ndis_inf_addreg **arr, size_t *n, size_t *cap)
{
	int rc;

	for (size_t f = 0; f < l->n_fields; f++) {
		const struct inf_section *sec;

		if (!l->fields[f][0])
			continue;
		sec = section_find(inf, l->fields[f]);
		if (!sec)
			return fail(inf, l->no, "AddReg section [%s] not found", l->fields[f]);
		for (size_t i = 0; i < sec->n_lines; i++) {
			if (*n == *cap && arena_grow(inf, (void **)arr, cap, sizeof(**arr)))
				return -ENOMEM;
			if ((rc = parse_addreg_line(inf, &sec->lines[i], &(*arr)[*n])))
				return rc;
			(*n)++;
		}
	}
	return 0;
}

static int service_binary(struct ndis_inf *inf, int no, const char *path, const char **out)
{
	const char *base = strrchr(path, '\\');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n <= 4 || strcasecmp(base + n - 4, ".sys") != 0)
		return fail(inf, no, "ServiceBinary '%s' is not a .sys file", path);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)base[i]) && base[i] != '_' && base[i] != '-' && base[i] != '.')
			return fail(inf, no, "ServiceBinary '%s': unexpected character '%c'", path, base[i]);
	*out = base;
	return 0;
}

static int build_services(struct ndis_inf *inf, struct ndis_inf_install *inst)
{
	char buf[512];
	const struct inf_section *svcs, *svc;
	const struct inf_line *chosen = NULL, *bin, *type;
	uint32_t flags;
	int assoc = 0;

	snprintf(buf, sizeof(buf), "%s.Services", inst->name);
	svcs = section_find(inf, buf);
	if (!svcs)
		return fail(inf, inst->line, "install section [%s] has no [%s] section", inst->name, buf);
	for (size_t i = 0; i < svcs->n_lines; i++) {
		const struct inf_line *l = &svcs->lines[i];

		if (!l->key || strcasecmp(l->key, "AddService") != 0)
			continue;
		if (l->n_fields < 3 || !l->fields[0][0] || !l->fields[2][0])
			return fail(inf, l->no, "AddService needs name, flags, service-install-section");
		if (parse_number(l->fields[1], &flags))
			return fail(inf, l->no, "AddService flags '%s' is not a number", l->fields[1]);
		/* SPSVCINST_ASSOCSERVICE (0x2) names the function driver; a
		 * protocol package may name its service without it. */
		if ((flags & 0x2) && !assoc) {
			chosen = l;
			assoc = 1;
		} else if (!chosen && inf->cls != NDIS_INF_CLASS_NET) {
			chosen = l;
		}
	}
	if (!chosen)
		return fail(inf, svcs->no, "[%s] has no AddService with flag 0x2 (SPSVCINST_ASSOCSERVICE)", buf);
	svc = section_find(inf, chosen->fields[2]);
	if (!svc)
		return fail(inf, chosen->no, "service install section [%s] not found", chosen->fields[2]);
	type = directive(svc, "ServiceType");
	if (type && (type->n_fields != 1 || parse_number(type->fields[0], &flags) || flags != 1))
		return fail(inf, type->no, "ServiceType must be 1 (SERVICE_KERNEL_DRIVER)");
	bin = directive(svc, "ServiceBinary");
	if (!bin || bin->n_fields != 1 || !bin->fields[0][0])
		return fail(inf, svc->no, "[%s] has no ServiceBinary", svc->name);
	inst->service = chosen->fields[0];
	inst->service_line = chosen->no;
	return service_binary(inf, bin->no, bin->fields[0], &inst->service_binary);
}

static int build_install(struct ndis_inf *inf, const char *base, int ref_line,
			 const struct ndis_inf_install **out)
{
	struct ndis_inf_install *inst;
	const struct inf_section *sec, *hw;
	const char *name = NULL;
	struct ndis_inf_addreg *regs = NULL;
	size_t n_regs = 0, cap_regs = 0;
	const char **needs = NULL;
	size_t n_needs = 0, cap_needs = 0;
	char buf[512];
	int rc;

	sec = decorated(inf, base, &name);
	if (!sec)
		return fail(inf, ref_line, "install section [%s] not found", base);
	for (size_t i = 0; i < inf->n_installs; i++)
		if (strcasecmp(inf->installs[i]->name, name) == 0) {
			*out = inf->installs[i];
			return 0;
		}
	inst = arena_alloc(inf, sizeof(*inst));
	if (!inst)
		return -ENOMEM;
	inst->name = name;
	inst->line = sec->no;
	for (size_t i = 0; i < sec->n_lines; i++) {
		const struct inf_line *l = &sec->lines[i];

		if (!l->key)
			continue;
		if (!strcasecmp(l->key, "Characteristics")) {
			if (l->n_fields != 1 || parse_number(l->fields[0], &inst->characteristics))
				return fail(inf, l->no, "Characteristics must be one number (NCF_* flags)");
			inst->has_characteristics = 1;
		} else if (!strcasecmp(l->key, "BusType")) {
			if (l->n_fields != 1 || parse_number(l->fields[0], &inst->bus_type))
				return fail(inf, l->no, "BusType must be one number");
			inst->has_bus_type = 1;
		} else if (!strcasecmp(l->key, "AddReg")) {
			if ((rc = add_addreg_sections(inf, l, &regs, &n_regs, &cap_regs)))
				return rc;
		}
	}
	if (inf->cls == NDIS_INF_CLASS_NET && !inst->has_characteristics)
		return fail(inf, sec->no, "install section [%s] has no Characteristics", name);
	snprintf(buf, sizeof(buf), "%s.HW", name);
	hw = section_find(inf, buf);
	for (size_t i = 0; hw && i < hw->n_lines; i++) {
		const struct inf_line *l = &hw->lines[i];

		if (!l->key)
			continue;
		if (!strcasecmp(l->key, "Needs")) {
			for (size_t f = 0; f < l->n_fields; f++) {
				if (!l->fields[f][0])
					return fail(inf, l->no, "empty entry in Needs");
				if (n_needs == cap_needs &&
				    arena_grow(inf, (void **)&needs, &cap_needs, sizeof(*needs)))
					return -ENOMEM;
				needs[n_needs++] = l->fields[f];
			}
		} else if (!strcasecmp(l->key, "AddReg")) {
			/* .HW AddReg writes the device (hardware) key: checked, not
			 * applied to the driver key NdisReadConfiguration reads. */
			struct ndis_inf_addreg *hwregs = NULL;
			size_t nh = 0, ch = 0;
			if ((rc = add_addreg_sections(inf, l, &hwregs, &nh, &ch)))
				return rc;
		}
	}
	inst->addreg = regs;
	inst->n_addreg = n_regs;
	inst->needs = needs;
	inst->n_needs = n_needs;
	if ((rc = check_keywords(inf, inst)))
		return rc;
	if ((rc = build_services(inf, inst)))
		return rc;
	if (inf->n_installs == inf->cap_installs &&
	    arena_grow(inf, (void **)&inf->installs, &inf->cap_installs, sizeof(inst)))
		return -ENOMEM;
	inf->installs[inf->n_installs++] = inst;
	*out = inst;
	return 0;
}

/* ---- [Version], [Manufacturer], models ------------------------------------ */
static const struct {
	const char *name;
	enum ndis_inf_class cls;
	const char *guid;
} classes[] = {
	{ "Net", NDIS_INF_CLASS_NET, "{4d36e972-e325-11ce-bfc1-08002be10318}" },
	{ "NetTrans", NDIS_INF_CLASS_NETTRANS, "{4d36e975-e325-11ce-bfc1-08002be10318}" },
	{ "NetService", NDIS_INF_CLASS_NETSERVICE, "{4d36e974-e325-11ce-bfc1-08002be10318}" },
	{ "NetClient", NDIS_INF_CLASS_NETCLIENT, "{4d36e973-e325-11ce-bfc1-08002be10318}" },
};

const char *ndis_inf_class_name(enum ndis_inf_class cls)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].cls == cls)
			return classes[i].name;
	return "?";
}

static int one_field(struct ndis_inf *inf, const struct inf_line *l, const char *what)
{
	if (l->n_fields != 1 || !l->fields[0][0])
		return fail(inf, l->no, "%s must be a single non-empty value", what);
	return 0;
}

static int build_version(struct ndis_inf *inf)
{
	const struct inf_section *v = section_find(inf, "Version");
	const struct inf_line *sig, *cls, *guid, *prov, *ver;
	unsigned mm, dd, yyyy;
	char tail;
	int found = 0, rc;

	if (!v)
		return fail(inf, 0, "no [Version] section");
	sig = directive(v, "Signature");
	if (!sig)
		return fail(inf, v->no, "[Version] has no Signature");
	if ((rc = one_field(inf, sig, "Signature")))
		return rc;
	if (strcasecmp(sig->fields[0], "$Windows NT$") != 0 && strcasecmp(sig->fields[0], "$Chicago$") != 0)
		return fail(inf, sig->no, "Signature \"%s\" is neither \"$Windows NT$\" nor \"$Chicago$\"",
			    sig->fields[0]);
	cls = directive(v, "Class");
	if (!cls)
		return fail(inf, v->no, "[Version] has no Class");
	if ((rc = one_field(inf, cls, "Class")))
		return rc;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcasecmp(cls->fields[0], classes[i].name)) {
			inf->cls = classes[i].cls;
			found = 1;
			guid = directive(v, "ClassGuid");
			if (guid && (guid->n_fields != 1 || strcasecmp(guid->fields[0], classes[i].guid) != 0))
				return fail(inf, guid->no, "ClassGuid does not match Class %s (%s)",
					    classes[i].name, classes[i].guid);
		}
	if (!found)
		return fail(inf, cls->no, "Class %s is not a network class (Net, NetTrans, NetService, NetClient)",
			    cls->fields[0]);
	prov = directive(v, "Provider");
	if (!prov)
		return fail(inf, v->no, "[Version] has no Provider");
	if ((rc = one_field(inf, prov, "Provider")))
		return rc;
	inf->provider = prov->fields[0];
	ver = directive(v, "DriverVer");
	if (!ver)
		return fail(inf, v->no, "[Version] has no DriverVer");
	if (ver->n_fields < 1 || ver->n_fields > 2 ||
	    sscanf(ver->fields[0], "%2u/%2u/%4u%c", &mm, &dd, &yyyy, &tail) != 3 ||
	    mm < 1 || mm > 12 || dd < 1 || dd > 31 || yyyy < 1980)
		return fail(inf, ver->no, "DriverVer must be mm/dd/yyyy[,w.x.y.z]");
	inf->driver_ver = ver->n_fields == 2 ? ver->fields[1] : ver->fields[0];
	return 0;
}

static int build_models(struct ndis_inf *inf)
{
	const struct inf_section *mfg = section_find(inf, "Manufacturer");
	int rc;

	if (!mfg)
		return fail(inf, 0, "no [Manufacturer] section");
	if (!mfg->n_lines)
		return fail(inf, mfg->no, "[Manufacturer] is empty");
	for (size_t i = 0; i < mfg->n_lines; i++) {
		const struct inf_line *l = &mfg->lines[i];
		const struct inf_section *models;
		char buf[512];

		if (!l->key || !l->fields[0][0])
			return fail(inf, l->no, "[Manufacturer] entry must be name = models-section[,decorations]");
		if (l->n_fields > 1) {
			int have = 0;
			for (size_t f = 1; f < l->n_fields; f++)
				if (!strncasecmp(l->fields[f], platform_decoration, strlen(platform_decoration)))
					have = 1;
			if (!have)
				return fail(inf, l->no, "no %s decoration for models section %s (iovlab is x64)",
					    platform_decoration, l->fields[0]);
			snprintf(buf, sizeof(buf), "%s.%s", l->fields[0], platform_decoration);
		} else {
			snprintf(buf, sizeof(buf), "%s", l->fields[0]);
		}
		models = section_find(inf, buf);
		if (!models)
			return fail(inf, l->no, "models section [%s] not found", buf);
		for (size_t j = 0; j < models->n_lines; j++) {
			const struct inf_line *m = &models->lines[j];
			struct ndis_inf_model *mod;
			const char *id;

			if (!m->key || m->n_fields < 2 || !m->fields[0][0] || !m->fields[1][0])
				return fail(inf, m->no, "model must be description = install-section, hardware-id");
			id = m->fields[1];
			if (!strncasecmp(id, "PCI\\", 4) && !ndis_inf_pci_id_valid(id))
				return fail(inf, m->no,
					    "hardware ID '%s' is not PCI\\VEN_xxxx&DEV_yyyy[&SUBSYS_ssssssss][&REV_rr]", id);
			if (inf->cls == NDIS_INF_CLASS_NET && !strchr(id, '\\'))
				return fail(inf, m->no, "hardware ID '%s' has no enumerator (e.g. PCI\\...)", id);
			for (const char *p = id; *p; p++)
				if (isspace((unsigned char)*p))
					return fail(inf, m->no, "space in hardware ID '%s'", id);
			if (ndis_inf_find_model(inf, id))
				return fail(inf, m->no, "hardware ID '%s' is listed twice", id);
			if (inf->n_models == inf->cap_models &&
			    arena_grow(inf, (void **)&inf->models, &inf->cap_models, sizeof(*mod)))
				return -ENOMEM;
			mod = &inf->models[inf->n_models];
			mod->description = m->key;
			mod->id = id;
			mod->line = m->no;
			if ((rc = build_install(inf, m->fields[0], m->no, &mod->install)))
				return rc;
			inf->n_models++;
		}
	}
	if (!inf->n_models)
		return fail(inf, mfg->no, "no models: the package serves no device");
	return 0;
}

int ndis_inf_parse(const char *name, const char *text, size_t len,
		   struct ndis_inf **out, char *err, size_t errlen)
{
	struct ndis_inf *inf;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return -ENOMEM;
	inf->err = err;
	inf->errlen = errlen;
	inf->name = strdup(name ? name : "<inf>");
	if (!inf->name) {
		free(inf);
		return -ENOMEM;
	}
	if (len > INF_MAX_SIZE)
		rc = fail(inf, 0, "file larger than %u bytes", INF_MAX_SIZE);
	else if ((rc = lex(inf, text, len)) == 0 && (rc = strings_pass(inf)) == 0 &&
		 (rc = build_version(inf)) == 0)
		rc = build_models(inf);
	if (rc == -ENOMEM)
		fail(inf, 0, "out of memory");
	if (rc) {
		ndis_inf_destroy(inf);
		return rc;
	}
	inf->err = NULL;
	inf->errlen = 0;
	*out = inf;
	return 0;
}

int ndis_inf_load(const char *path, struct ndis_inf **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	if (!f) {
		rc = -errno;
		if (err)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	buf = malloc(INF_MAX_SIZE + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, INF_MAX_SIZE + 1, f);
	fclose(f);
	rc = ndis_inf_parse(path, buf, n, out, err, errlen);
	free(buf);
	return rc;
}

void ndis_inf_destroy(struct ndis_inf *inf)
{
	struct arena_block *b, *next;

	if (!inf)
		return;
	for (b = inf->arena; b; b = next) {
		next = b->next;
		free(b);
	}
	free(inf->name);
	free(inf);
}

const char *ndis_inf_name(const struct ndis_inf *inf) { return inf->name; }
enum ndis_inf_class ndis_inf_class(const struct ndis_inf *inf) { return inf->cls; }
const char *ndis_inf_provider(const struct ndis_inf *inf) { return inf->provider; }
const char *ndis_inf_driver_ver(const struct ndis_inf *inf) { return inf->driver_ver; }
size_t ndis_inf_model_count(const struct ndis_inf *inf) { return inf->n_models; }

const struct ndis_inf_model *ndis_inf_model_at(const struct ndis_inf *inf, size_t i)
{
	return i < inf->n_models ? &inf->models[i] : NULL;
}

const struct ndis_inf_model *ndis_inf_find_model(const struct ndis_inf *inf, const char *id)
{
	for (size_t i = 0; i < inf->n_models; i++)
		if (strcasecmp(inf->models[i].id, id) == 0)
			return &inf->models[i];
	return NULL;
}

int ndis_inf_install_needs(const struct ndis_inf_install *inst, const char *what)
{
	for (size_t i = 0; i < inst->n_needs; i++)
		if (strcasecmp(inst->needs[i], what) == 0)
			return 1;
	return 0;
}

int ndis_inf_apply(const struct ndis_inf_install *inst, struct ndis_reg_key *root)
{
	struct ndis_reg_key *params;
	int rc;

	for (size_t i = 0; i < inst->n_addreg; i++) {
		const struct ndis_inf_addreg *r = &inst->addreg[i];
		struct ndis_reg_key *k = ndis_reg_open(root, r->subkey, 1);

		if (!k)
			return -ENOMEM;
		if (r->keyonly || (r->noclobber && ndis_reg_get(k, r->name)))
			continue;
		switch (r->type) {
		case NDIS_REG_DWORD:
			rc = ndis_reg_set_dword(k, r->name, r->dword);
			break;
		case NDIS_REG_BINARY:
			rc = ndis_reg_set_binary(k, r->name, r->bytes, r->n_bytes);
			break;
		default:
			rc = ndis_reg_set_typed_sz(k, r->name, r->type, r->text, r->text_len);
			break;
		}
		if (rc)
			return rc;
	}
	/* The installer writes each keyword's default as the keyword's value. */
	params = ndis_reg_open(root, "Ndi\\params", 0);
	for (size_t i = 0; params && ndis_reg_subkey_at(params, i); i++) {
		const struct ndis_reg_key *kw = ndis_reg_subkey_at(params, i);
		const struct ndis_reg_value *def = ndis_reg_get(kw, "default");

		if (!def || ndis_reg_get(root, ndis_reg_key_name(kw)))
			continue;
		if (def->type == NDIS_REG_DWORD)
			rc = ndis_reg_set_dword(root, ndis_reg_key_name(kw), def->dword);
		else if (def->type == NDIS_REG_SZ || def->type == NDIS_REG_EXPAND_SZ)
			rc = ndis_reg_set_sz(root, ndis_reg_key_name(kw), (const char *)def->data);
		else
			rc = 0;
		if (rc)
			return rc;
	}
	return 0;
}
