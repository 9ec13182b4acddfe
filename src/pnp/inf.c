/*
 * The WDM INF reader (inf.h): text -> sections of lines -> the package's
 * models, install sections, services and AddReg values. Two passes: the
 * tokenizer splits the file into sections and "key = value" lines with
 * comments removed (a ';' inside quotes is text), then the interpreter walks
 * [Version] -> [Manufacturer] -> models -> install sections, substituting
 * %strings% from [Strings]. Any input is either refused with a terminated
 * "<name>:<line>: <reason>" message or parsed (tests/fuzz/fuzz_pnp_inf.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pnp/inf.h"

#define INF_MAX_LINE 4096
#define INF_MAX_LINES 20000
#define INF_MAX_FIELDS 16
#define REG_SZ_TYPE 1u
#define REG_DWORD_TYPE 4u

struct line {
	char *key;		/* NULL: no '=' on the line */
	char *value;
	int no;
};

struct section {
	char *name;
	struct line *lines;
	size_t n, cap;
	int no;
};

struct pnp_inf {
	char *name;
	char *class_name;
	char *provider;
	struct section *sections;
	size_t n_sections, cap_sections;
	struct pnp_inf_model *models;
	size_t n_models, cap_models;
	struct pnp_inf_install **installs;
	size_t n_installs, cap_installs;
	char **strs;		/* every string handed out, freed at destroy */
	size_t n_strs, cap_strs;
	char *err;
	size_t errlen;
};

static int fail(struct pnp_inf *inf, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct pnp_inf *inf, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!inf->err || !inf->errlen)
		return -EINVAL;
	n = snprintf(inf->err, inf->errlen, "%s:%d: ", inf->name, line);
	if (n >= 0 && (size_t)n < inf->errlen) {
		va_start(ap, fmt);
		vsnprintf(inf->err + n, inf->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 8;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* Keep s (malloc'ed) for the life of inf. */
static char *keep(struct pnp_inf *inf, char *s)
{
	if (!s)
		return NULL;
	if (grow((void **)&inf->strs, &inf->cap_strs, inf->n_strs, sizeof(char *))) {
		free(s);
		return NULL;
	}
	inf->strs[inf->n_strs++] = s;
	return s;
}

static char *keep_n(struct pnp_inf *inf, const char *s, size_t n)
{
	char *c = malloc(n + 1);

	if (!c)
		return NULL;
	memcpy(c, s, n);
	c[n] = 0;
	return keep(inf, c);
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* ---- tokenizer ------------------------------------------------------------ */
static struct section *find_section(const struct pnp_inf *inf, const char *name)
{
	for (size_t i = 0; i < inf->n_sections; i++)
		if (!strcasecmp(inf->sections[i].name, name))
			return &inf->sections[i];
	return NULL;
}

static int add_line(struct pnp_inf *inf, struct section *sec, const char *s, size_t n, int no)
{
	struct line *l;
	const char *eq = NULL;
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '=' && !quoted) {
			eq = s + i;
			break;
		}
	}
	if (grow((void **)&sec->lines, &sec->cap, sec->n, sizeof(*sec->lines)))
		return -ENOMEM;
	l = &sec->lines[sec->n];
	l->no = no;
	l->key = NULL;
	if (eq) {
		const char *k = s, *v = eq + 1;
		size_t kn = (size_t)(eq - s), vn = n - kn - 1;

		trim(&k, &kn);
		trim(&v, &vn);
		if (!kn)
			return fail(inf, no, "a line starts with '='");
		if (!(l->key = keep_n(inf, k, kn)) || !(l->value = keep_n(inf, v, vn)))
			return -ENOMEM;
	} else if (!(l->value = keep_n(inf, s, n))) {
		return -ENOMEM;
	}
	sec->n++;
	return 0;
}

static int tokenize(struct pnp_inf *inf, const char *text, size_t len)
{
	struct section *cur = NULL;
	size_t pos = 0;
	int no = 0;

	while (pos < len) {
		const char *s = text + pos;
		size_t n = 0, end;
		bool quoted = false;

		while (pos + n < len && text[pos + n] != '\n')
			n++;
		end = pos + n + 1;
		no++;
		if (no > INF_MAX_LINES)
			return fail(inf, no, "more than %d lines", INF_MAX_LINES);
		if (n > INF_MAX_LINE)
			return fail(inf, no, "line longer than %d characters", INF_MAX_LINE);
		if (memchr(s, 0, n))
			return fail(inf, no, "NUL character in the text");
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '"')
				quoted = !quoted;
			else if (s[i] == ';' && !quoted) {
				n = i;
				break;
			}
		}
		if (quoted)
			return fail(inf, no, "unterminated quote");
		trim(&s, &n);
		pos = end;
		if (!n)
			continue;
		if (s[0] == '[') {
			const char *nm = s + 1;
			size_t nn;

			if (s[n - 1] != ']')
				return fail(inf, no, "section header without ']'");
			nn = n - 2;
			trim(&nm, &nn);
			if (!nn)
				return fail(inf, no, "empty section name");
			if (memchr(nm, '[', nn) || memchr(nm, ']', nn))
				return fail(inf, no, "bracket inside a section name");
			{
				char *name = keep_n(inf, nm, nn);

				if (!name)
					return -ENOMEM;
				cur = find_section(inf, name);
				if (!cur) {	/* a repeated section continues the first */
					if (grow((void **)&inf->sections, &inf->cap_sections, inf->n_sections,
						 sizeof(*inf->sections)))
						return -ENOMEM;
					cur = &inf->sections[inf->n_sections++];
					memset(cur, 0, sizeof(*cur));
					cur->name = name;
					cur->no = no;
				}
			}
			continue;
		}
		if (!cur)
			return fail(inf, no, "text before the first section");
		{
			int rc = add_line(inf, cur, s, n, no);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- values ------------------------------------------------------------------ */
static const char *directive(const struct section *sec, const char *key, int *no)
{
	for (size_t i = 0; i < sec->n; i++)
		if (sec->lines[i].key && !strcasecmp(sec->lines[i].key, key)) {
			if (no)
				*no = sec->lines[i].no;
			return sec->lines[i].value;
		}
	return NULL;
}

/* Substitute %strings% and drop quotes of one field. */
static int expand(struct pnp_inf *inf, const char *s, size_t n, int no, char **out)
{
	const struct section *strings = find_section(inf, "Strings");
	char buf[INF_MAX_LINE + 1];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			continue;
		if (s[i] == '%') {
			const char *e = memchr(s + i + 1, '%', n - i - 1);
			char key[128];
			const char *val;
			size_t kn;

			if (!e)
				return fail(inf, no, "unterminated %%string%%");
			kn = (size_t)(e - (s + i + 1));
			if (kn == 0) {
				val = "%";
			} else if (kn >= sizeof(key)) {
				return fail(inf, no, "%%string%% name too long");
			} else {
				memcpy(key, s + i + 1, kn);
				key[kn] = 0;
				val = strings ? directive(strings, key, NULL) : NULL;
				if (!val) {
					bool dirid = true;

					for (size_t k = 0; k < kn; k++)
						dirid = dirid && isdigit((unsigned char)key[k]);
					if (!dirid)
						return fail(inf, no, "%%%s%% is not defined in [Strings]", key);
					val = NULL;	/* a DIRID such as %12%: kept as written */
				}
			}
			if (val) {
				size_t vn = strlen(val);

				for (size_t k = 0; k < vn; k++)
					if (val[k] != '"') {
						if (o >= INF_MAX_LINE)
							return fail(inf, no, "value too long after %%string%% substitution");
						buf[o++] = val[k];
					}
			} else {
				if (o + kn + 2 > INF_MAX_LINE)
					return fail(inf, no, "value too long");
				buf[o++] = '%';
				memcpy(buf + o, key, kn);
				o += kn;
				buf[o++] = '%';
			}
			i += kn + 1;
			continue;
		}
		if (o >= INF_MAX_LINE)
			return fail(inf, no, "value too long");
		buf[o++] = s[i];
	}
	*out = keep_n(inf, buf, o);
	return *out ? 0 : -ENOMEM;
}

/* Split value on commas outside quotes; expand each field. */
static int fields(struct pnp_inf *inf, const char *value, int no, char **f, size_t *nf)
{
	size_t n = strlen(value), start = 0;
	bool quoted = false;

	*nf = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && value[i] == '"')
			quoted = !quoted;
		if (i == n || (value[i] == ',' && !quoted)) {
			const char *s = value + start;
			size_t fn = i - start;
			int rc;

			if (*nf == INF_MAX_FIELDS)
				return fail(inf, no, "more than %d fields", INF_MAX_FIELDS);
			trim(&s, &fn);
			if ((rc = expand(inf, s, fn, no, &f[*nf])))
				return rc;
			(*nf)++;
			start = i + 1;
		}
	}
	return 0;
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x > 0xffffffffull)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* ---- install sections ---------------------------------------------------------- */
static int addreg(struct pnp_inf *inf, const char *list, int no, struct pnp_inf_value **vals, size_t *nvals)
{
	char *names[INF_MAX_FIELDS];
	size_t nn, cap = *nvals;
	int rc;

	if ((rc = fields(inf, list, no, names, &nn)))
		return rc;
	for (size_t k = 0; k < nn; k++) {
		const struct section *sec;

		if (!names[k][0])
			continue;
		sec = find_section(inf, names[k]);
		if (!sec)
			return fail(inf, no, "AddReg section [%s] does not exist", names[k]);
		for (size_t i = 0; i < sec->n; i++) {
			const struct line *l = &sec->lines[i];
			struct pnp_inf_value *v;
			char *f[INF_MAX_FIELDS];
			size_t nf;
			uint32_t flags = 0, type;

			if (l->key)
				return fail(inf, l->no, "AddReg lines are HKR,<subkey>,<name>,<flags>,<value> (no '=')");
			if ((rc = fields(inf, l->value, l->no, f, &nf)))
				return rc;
			if (strcasecmp(f[0], "HKR"))
				return fail(inf, l->no, "only HKR is supported (got '%s')", f[0]);
			if (nf < 3)
				return fail(inf, l->no, "AddReg line needs at least HKR,<subkey>,<name>");
			if (nf >= 4 && f[3][0] && parse_u32(f[3], &flags))
				return fail(inf, l->no, "AddReg flags '%s' is not a number", f[3]);
			type = flags & 0xffff0001u;
			if (type != 0 && type != 0x00010001u)
				return fail(inf, l->no, "AddReg flags 0x%x: only REG_SZ (0) and REG_DWORD (0x10001) values",
					    flags);
			if (grow((void **)vals, &cap, *nvals, sizeof(**vals)))
				return -ENOMEM;
			v = &(*vals)[(*nvals)++];
			memset(v, 0, sizeof(*v));
			v->subkey = f[1];
			v->name = f[2];
			v->line = l->no;
			if (type == 0x00010001u) {
				v->type = REG_DWORD_TYPE;
				if (nf < 5 || parse_u32(f[4], &v->dword))
					return fail(inf, l->no, "REG_DWORD value of '%s' is not a number", v->name);
			} else {
				v->type = REG_SZ_TYPE;
				v->sz = nf >= 5 ? f[4] : "";
			}
		}
	}
	return 0;
}

/* name.NTamd64, name.NT, name: the section Windows would use. */
static const struct section *decorated(const struct pnp_inf *inf, const char *base, char *out, size_t outlen)
{
	static const char *const sfx[] = { ".NTamd64", ".NT", "" };

	for (size_t i = 0; i < 3; i++) {
		const struct section *s;

		snprintf(out, outlen, "%s%s", base, sfx[i]);
		if ((s = find_section(inf, out)))
			return s;
	}
	return NULL;
}

static int services(struct pnp_inf *inf, const struct section *svc, struct pnp_inf_install *inst)
{
	for (size_t i = 0; i < svc->n; i++) {
		const struct line *l = &svc->lines[i];
		char *f[INF_MAX_FIELDS];
		const struct section *ss;
		const char *bin;
		size_t nf;
		uint32_t flags = 0;
		int rc, bno = l->no;
		char *exp;

		if (!l->key || strcasecmp(l->key, "AddService"))
			continue;
		if ((rc = fields(inf, l->value, l->no, f, &nf)))
			return rc;
		if (nf < 3 || !f[0][0])
			return fail(inf, l->no, "AddService needs <name>,<flags>,<service section>");
		if (f[1][0] && parse_u32(f[1], &flags))
			return fail(inf, l->no, "AddService flags '%s' is not a number", f[1]);
		if (!(flags & 0x2))
			continue;	/* not the function driver (SPSVCINST_ASSOCSERVICE) */
		if (inst->service)
			return fail(inf, l->no, "two AddService lines with SPSVCINST_ASSOCSERVICE");
		ss = find_section(inf, f[2]);
		if (!ss)
			return fail(inf, l->no, "service section [%s] does not exist", f[2]);
		bin = directive(ss, "ServiceBinary", &bno);
		if (!bin)
			return fail(inf, ss->no, "[%s] has no ServiceBinary", f[2]);
		if ((rc = expand(inf, bin, strlen(bin), bno, &exp)))
			return rc;
		{
			const char *b = strrchr(exp, '\\');

			b = b ? b + 1 : exp;
			if (!b[0] || strchr(b, '/'))
				return fail(inf, bno, "ServiceBinary '%s' names no file", exp);
			inst->service_binary = b;
		}
		inst->service = f[0];
	}
	if (!inst->service)
		return fail(inf, svc->no, "[%s] has no AddService with flag 0x2 (SPSVCINST_ASSOCSERVICE)", svc->name);
	return 0;
}

static int install(struct pnp_inf *inf, const char *base, int no, const struct pnp_inf_install **out)
{
	char name[256], sub[300];
	const struct section *sec, *hw, *svc;
	struct pnp_inf_install *inst;
	struct pnp_inf_value *dv = NULL, *rv = NULL;
	size_t ndv = 0, nrv = 0;
	int rc;

	sec = decorated(inf, base, name, sizeof(name));
	if (!sec)
		return fail(inf, no, "install section [%s] does not exist", base);
	for (size_t i = 0; i < inf->n_installs; i++)
		if (!strcasecmp(inf->installs[i]->name, sec->name)) {
			*out = inf->installs[i];
			return 0;
		}
	if (grow((void **)&inf->installs, &inf->cap_installs, inf->n_installs, sizeof(*inf->installs)))
		return -ENOMEM;
	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return -ENOMEM;
	inf->installs[inf->n_installs++] = inst;
	inst->name = sec->name;
	inst->line = sec->no;
	for (size_t i = 0; i < sec->n; i++)
		if (sec->lines[i].key && !strcasecmp(sec->lines[i].key, "AddReg") &&
		    (rc = addreg(inf, sec->lines[i].value, sec->lines[i].no, &rv, &nrv)))
			goto out;
	snprintf(sub, sizeof(sub), "%s.HW", sec->name);
	if ((hw = find_section(inf, sub)))
		for (size_t i = 0; i < hw->n; i++)
			if (hw->lines[i].key && !strcasecmp(hw->lines[i].key, "AddReg") &&
			    (rc = addreg(inf, hw->lines[i].value, hw->lines[i].no, &dv, &ndv)))
				goto out;
	snprintf(sub, sizeof(sub), "%s.Services", sec->name);
	if (!(svc = find_section(inf, sub))) {
		rc = fail(inf, sec->no, "[%s] has no [%s] section", sec->name, sub);
		goto out;
	}
	rc = services(inf, svc, inst);
out:
	/* Values stay reachable from inst (freed by destroy) even on failure. */
	inst->dev_values = dv;
	inst->n_dev_values = ndv;
	inst->drv_values = rv;
	inst->n_drv_values = nrv;
	if (!rc)
		*out = inst;
	return rc;
}

/* ---- models --------------------------------------------------------------------- */
static int models(struct pnp_inf *inf, const struct section *sec)
{
	for (size_t i = 0; i < sec->n; i++) {
		const struct line *l = &sec->lines[i];
		char *f[INF_MAX_FIELDS], *desc;
		struct pnp_inf_model *m;
		size_t nf;
		int rc;

		if (!l->key)
			return fail(inf, l->no, "model lines are <description> = <install section>, <hardware ID>");
		if ((rc = fields(inf, l->value, l->no, f, &nf)))
			return rc;
		if (nf < 2 || !f[0][0] || !f[1][0])
			return fail(inf, l->no, "model needs an install section and a hardware ID");
		if ((rc = expand(inf, l->key, strlen(l->key), l->no, &desc)))
			return rc;
		for (size_t k = 1; k < nf; k++) {
			if (strpbrk(f[k], " \t"))
				return fail(inf, l->no, "space in hardware ID '%s'", f[k]);
			if (!strchr(f[k], '\\'))
				return fail(inf, l->no, "hardware ID '%s' has no enumerator (e.g. PCI\\...)", f[k]);
			if (pnp_inf_find_model(inf, f[k]))
				return fail(inf, l->no, "hardware ID '%s' is listed twice", f[k]);
			if (grow((void **)&inf->models, &inf->cap_models, inf->n_models, sizeof(*inf->models)))
				return -ENOMEM;
			m = &inf->models[inf->n_models];
			m->description = desc;
			m->id = f[k];
			m->line = l->no;
			if ((rc = install(inf, f[0], l->no, &m->install)))
				return rc;
			inf->n_models++;
		}
	}
	return 0;
}

static bool network_class(const char *cls)
{
	return !strcasecmp(cls, "Net") || !strcasecmp(cls, "NetTrans") || !strcasecmp(cls, "NetService") ||
	       !strcasecmp(cls, "NetClient");
}

static int interpret(struct pnp_inf *inf)
{
	const struct section *ver = find_section(inf, "Version"), *mfg;
	const char *sig, *cls;
	int no = 1, rc;

	if (!ver)
		return fail(inf, 1, "no [Version] section");
	sig = directive(ver, "Signature", &no);
	if (!sig)
		return fail(inf, ver->no, "[Version] has no Signature");
	if (strcasecmp(sig, "\"$WINDOWS NT$\"") && strcasecmp(sig, "$WINDOWS NT$") &&
	    strcasecmp(sig, "\"$Chicago$\"") && strcasecmp(sig, "$Chicago$"))
		return fail(inf, no, "Signature must be \"$WINDOWS NT$\"");
	cls = directive(ver, "Class", &no);
	if (!cls || !cls[0])
		return fail(inf, ver->no, "[Version] has no Class");
	if ((rc = expand(inf, cls, strlen(cls), no, &inf->class_name)))
		return rc;
	if (network_class(inf->class_name))
		return fail(inf, no, "Class %s is a network class: install it into NDIS", inf->class_name);
	inf->provider = "";
	if ((cls = directive(ver, "Provider", &no)) && (rc = expand(inf, cls, strlen(cls), no, &inf->provider)))
		return rc;
	mfg = find_section(inf, "Manufacturer");
	if (!mfg)
		return fail(inf, 1, "no [Manufacturer] section");
	for (size_t i = 0; i < mfg->n; i++) {
		const struct line *l = &mfg->lines[i];
		char *f[INF_MAX_FIELDS], name[300];
		const struct section *msec = NULL;
		size_t nf;

		if (!l->key)
			return fail(inf, l->no, "manufacturer lines are %%Mfg%% = <models section>[, NTamd64]");
		if ((rc = fields(inf, l->value, l->no, f, &nf)))
			return rc;
		if (!f[0][0])
			return fail(inf, l->no, "no models section named");
		for (size_t k = 1; k < nf && !msec; k++) {
			if (strncasecmp(f[k], "NTamd64", 7) && strcasecmp(f[k], "NT"))
				continue;
			snprintf(name, sizeof(name), "%s.%s", f[0], f[k]);
			msec = find_section(inf, name);
		}
		if (!msec)
			msec = find_section(inf, f[0]);
		if (!msec)
			return fail(inf, l->no, "models section [%s] does not exist (for NTamd64)", f[0]);
		if ((rc = models(inf, msec)))
			return rc;
	}
	if (!inf->n_models)
		return fail(inf, mfg->no, "the package serves no hardware ID");
	return 0;
}

/* ---- API ------------------------------------------------------------------------------ */
void pnp_inf_destroy(struct pnp_inf *inf)
{
	if (!inf)
		return;
	for (size_t i = 0; i < inf->n_installs; i++) {
		free((void *)inf->installs[i]->dev_values);
		free((void *)inf->installs[i]->drv_values);
		free(inf->installs[i]);
	}
	free(inf->installs);
	for (size_t i = 0; i < inf->n_sections; i++)
		free(inf->sections[i].lines);
	free(inf->sections);
	free(inf->models);
	for (size_t i = 0; i < inf->n_strs; i++)
		free(inf->strs[i]);
	free(inf->strs);
	free(inf->name);
	free(inf);
}

int pnp_inf_parse(const char *name, const char *text, size_t len, struct pnp_inf **out, char *err,
		  size_t errlen)
{
	struct pnp_inf *inf;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	inf = calloc(1, sizeof(*inf));
	if (!inf || !(inf->name = strdup(name ? name : "(inf)"))) {
		free(inf);
		return -ENOMEM;
	}
	inf->err = err;
	inf->errlen = errlen;
	/* A UTF-8 byte order mark is allowed, as SetupAPI allows it. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	rc = tokenize(inf, text, len);
	if (!rc)
		rc = interpret(inf);
	if (rc) {
		if (rc == -ENOMEM && err && errlen)
			snprintf(err, errlen, "%s: out of memory", inf->name);
		pnp_inf_destroy(inf);
		return rc;
	}
	inf->err = NULL;
	inf->errlen = 0;
	*out = inf;
	return 0;
}

int pnp_inf_load(const char *path, struct pnp_inf **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	if (!f) {
		rc = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb = cap < (1u << 24) ? realloc(buf, cap ? cap * 2 : 4096) : NULL;

			if (!nb) {
				free(buf);
				fclose(f);
				if (err && errlen)
					snprintf(err, errlen, "%s: too large or out of memory", path);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	rc = pnp_inf_parse(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

const char *pnp_inf_name(const struct pnp_inf *inf)
{
	return inf->name;
}

const char *pnp_inf_class(const struct pnp_inf *inf)
{
	return inf->class_name;
}

const char *pnp_inf_provider(const struct pnp_inf *inf)
{
	return inf->provider;
}

size_t pnp_inf_model_count(const struct pnp_inf *inf)
{
	return inf->n_models;
}

const struct pnp_inf_model *pnp_inf_model_at(const struct pnp_inf *inf, size_t i)
{
	return i < inf->n_models ? &inf->models[i] : NULL;
}

const struct pnp_inf_model *pnp_inf_find_model(const struct pnp_inf *inf, const char *id)
{
	for (size_t i = 0; i < inf->n_models; i++)
		if (!strcasecmp(inf->models[i].id, id))
			return &inf->models[i];
	return NULL;
}
