/*
 * Lab file loader: text -> struct lab. Called by lab_load_file/_buffer/
 * _string (and so by `iovlab run` and every later layer that needs a lab).
 * inih does the INI syntax -- comments, "key = value" splitting, blanks,
 * inline " ;" comments; this file does what Debian's inih build cannot:
 * it has no INI_HANDLER_LINENO and never reports a section without keys,
 * so a reader callback feeds inih one physical line at a time, counts lines,
 * and handles "[type name]" headers itself (an empty "[vm vm2]" is a VM with
 * every default). The reader also strips leading blanks, so an indented
 * line is never taken for one of inih's multi-line continuations.
 *
 * Then the loader applies the schema (schema.c): a key is looked up, its
 * value converted with the key's type and range (value.c), and stored at
 * the key's offset in the section's struct. After the last line, names are
 * resolved (a vmswitch's adapter must be a [nic], and so on), cross-object
 * rules are checked and script steps validated against the objects. The
 * first error stops the load and becomes "FILE:LINE: what was wrong".
 */
#include "lab/lab_private.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/log.h"

#define LAB_FILE_MAX (1u << 20)	/* a lab file is a page of text, not data */

/* One section as it appeared in the file. */
struct rec {
	enum lab_section type;
	size_t idx;		/* in its array; 0 for singletons */
	int line;
	int *key_lines;		/* per schema key: line it was set on, 0 = default */
};

struct ctx {
	struct lab *lab;
	const char *name;	/* for messages */
	const char *data;
	size_t len, pos;
	int line;		/* physical line inih is on */
	long cur;		/* index in recs of the current section, -1 = none */
	struct rec *recs;
	size_t nrecs;
	int rc;			/* 0, or the error: -EINVAL / -ENOMEM */
	int err_line;
	char *err;
	size_t errlen;
};

/*
 * Record an error. The one with the smallest line wins (loading stops at
 * the first syntax error; resolution checks everything and reports the
 * earliest line), so the message does not depend on check order.
 */
static void failf(struct ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void failf(struct ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (c->rc == -ENOMEM || (c->rc && line >= c->err_line))
		return;
	c->rc = -EINVAL;
	c->err_line = line;
	if (!c->err || !c->errlen)
		return;
	if (line > 0)
		n = snprintf(c->err, c->errlen, "%s:%d: ", c->name, line);
	else
		n = snprintf(c->err, c->errlen, "%s: ", c->name);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void oom(struct ctx *c)
{
	c->rc = -ENOMEM;
	c->err_line = 0;
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
}

/* --- objects ----------------------------------------------------------- */

struct objref {
	void *obj;
	char **name;		/* NULL for singletons */
	int *line;
};

static struct objref obj_ref(struct lab *lab, enum lab_section t, size_t i)
{
	struct objref r = { NULL, NULL, NULL };

	switch (t) {
	case LAB_SEC_LAB:
		r.obj = &lab->info;
		r.line = &lab->info.line;
		break;
	case LAB_SEC_HOST:
		r.obj = &lab->host;
		r.line = &lab->host.line;
		break;
	case LAB_SEC_NIC:
		r.obj = &lab->nics[i];
		r.name = &lab->nics[i].name;
		r.line = &lab->nics[i].line;
		break;
	case LAB_SEC_KEYWORDS:
		r.obj = &lab->keywords[i];
		r.name = &lab->keywords[i].name;
		r.line = &lab->keywords[i].line;
		break;
	case LAB_SEC_VMSWITCH:
		r.obj = &lab->vswitches[i];
		r.name = &lab->vswitches[i].name;
		r.line = &lab->vswitches[i].line;
		break;
	case LAB_SEC_VM:
		r.obj = &lab->vms[i];
		r.name = &lab->vms[i].name;
		r.line = &lab->vms[i].line;
		break;
	case LAB_SEC_VMNIC:
		r.obj = &lab->vmnics[i];
		r.name = &lab->vmnics[i].name;
		r.line = &lab->vmnics[i].line;
		break;
	case LAB_SEC_FAULT:
		r.obj = &lab->faults[i];
		r.name = &lab->faults[i].name;
		r.line = &lab->faults[i].line;
		break;
	case LAB_SEC_SCRIPT:
		r.obj = &lab->script;
		r.line = &lab->script.line;
		break;
	case LAB_SEC_COUNT:
		break;
	}
	return r;
}

static size_t obj_count(const struct lab *lab, enum lab_section t)
{
	switch (t) {
	case LAB_SEC_NIC:
		return lab->nnics;
	case LAB_SEC_KEYWORDS:
		return lab->nkeywords;
	case LAB_SEC_VMSWITCH:
		return lab->nvswitches;
	case LAB_SEC_VM:
		return lab->nvms;
	case LAB_SEC_VMNIC:
		return lab->nvmnics;
	case LAB_SEC_FAULT:
		return lab->nfaults;
	default:
		return 1;
	}
}

static struct lab_kvlist *obj_kvlist(struct lab *lab, enum lab_section t, size_t i)
{
	if (t == LAB_SEC_KEYWORDS)
		return &lab->keywords[i].kv;
	if (t == LAB_SEC_FAULT)
		return &lab->faults[i].kv;
	return NULL;
}

#define APPEND(arr, n, idx)						\
	do {								\
		void *p_ = realloc((arr), ((n) + 1) * sizeof(*(arr)));	\
		if (!p_)						\
			return -ENOMEM;					\
		(arr) = p_;						\
		memset(&(arr)[(n)], 0, sizeof(*(arr)));			\
		*(idx) = (n)++;						\
	} while (0)

static int obj_append(struct lab *lab, enum lab_section t, size_t *idx)
{
	*idx = 0;
	switch (t) {
	case LAB_SEC_NIC:
		APPEND(lab->nics, lab->nnics, idx);
		break;
	case LAB_SEC_KEYWORDS:
		APPEND(lab->keywords, lab->nkeywords, idx);
		break;
	case LAB_SEC_VMSWITCH:
		APPEND(lab->vswitches, lab->nvswitches, idx);
		break;
	case LAB_SEC_VM:
		APPEND(lab->vms, lab->nvms, idx);
		break;
	case LAB_SEC_VMNIC:
		APPEND(lab->vmnics, lab->nvmnics, idx);
		break;
	case LAB_SEC_FAULT:
		APPEND(lab->faults, lab->nfaults, idx);
		break;
	default:
		break;		/* singletons are embedded in struct lab */
	}
	return 0;
}

/* "[vm vm1]" / "[host]" */
static const char *label(struct lab *lab, const struct rec *r, char *buf, size_t len)
{
	struct objref o = obj_ref(lab, r->type, r->idx);

	if (o.name)
		snprintf(buf, len, "[%s %s]", lab_schema_section(r->type)->name, *o.name);
	else
		snprintf(buf, len, "[%s]", lab_schema_section(r->type)->name);
	return buf;
}

/*
 * The [lab] name's default: the file's base name without ".lab", made safe
 * to write back as a value (no control characters, no leading ';').
 */
static char *file_base_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name;
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".lab"))
		n -= 4;
	if (n > 64)
		n = 64;
	name = n ? strndup(base, n) : strdup("lab");
	for (char *p = name; p && *p; p++)
		if (lab__is_control((unsigned char)*p) || *p == '\t' || (p == name && *p == ';'))
			*p = '_';
	return name;
}

/* Fill obj with the section's defaults (everything a later key may override). */
static int obj_defaults(struct ctx *c, enum lab_section t, void *obj, const char *instance)
{
	const struct lab_section_schema *sec = lab_schema_section(t);
	char msg[160];

	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct lab_key *k = &sec->keys[i];
		union lab_value v;
		int rc;

		if (k->flags & (LAB_KF_CONVENTION | LAB_KF_MULTI | LAB_KF_DEF_ONLY))
			continue;
		memset(&v, 0, sizeof(v));
		if (k->flags & LAB_KF_DEF_INSTANCE) {
			if (!(v.s = strdup(instance)))
				return -ENOMEM;
		} else if (k->flags & LAB_KF_DEF_FILE) {
			if (!(v.s = file_base_name(c->name)))
				return -ENOMEM;
		} else if ((rc = lab_value_parse(k, k->def, &v, msg, sizeof(msg)))) {
			if (rc == -EINVAL)	/* a schema bug; tests load the empty lab */
				failf(c, 0, "internal: default '%s' of [%s] %s: %s",
				      k->def, sec->name, k->name, msg);
			return rc;
		}
		lab__value_store(k, obj, &v);
	}
	return 0;
}

static struct rec *rec_add(struct ctx *c, enum lab_section t, size_t idx, int line)
{
	const struct lab_section_schema *sec = lab_schema_section(t);
	struct rec *recs = realloc(c->recs, (c->nrecs + 1) * sizeof(*recs));
	struct rec *r;

	if (!recs)
		return NULL;
	c->recs = recs;
	r = &recs[c->nrecs];
	r->type = t;
	r->idx = idx;
	r->line = line;
	r->key_lines = calloc(sec->nkeys ? sec->nkeys : 1, sizeof(int));
	if (!r->key_lines)
		return NULL;
	c->nrecs++;
	return r;
}

static const struct rec *rec_find(const struct ctx *c, enum lab_section t, const char *name)
{
	for (size_t i = 0; i < c->nrecs; i++) {
		const struct rec *r = &c->recs[i];
		struct objref o;

		if (r->type != t)
			continue;
		o = obj_ref(c->lab, t, r->idx);
		if (!name || (o.name && !strcasecmp(*o.name, name)))
			return r;
	}
	return NULL;
}

/* Line the key was set on, or 0. */
static int key_line(const struct rec *r, const char *key)
{
	const struct lab_section_schema *sec = lab_schema_section(r->type);
	const struct lab_key *k = lab__key_find_file(sec, key);

	return k ? r->key_lines[k - sec->keys] : 0;
}

/* --- section headers --------------------------------------------------- */

static void section_begin(struct ctx *c, char *text)
{
	const struct lab_section_schema *sec;
	struct lab__suggest sg;
	const struct rec *dup;
	char *close = strchr(text, ']'), *rest, *type, *name, *extra, *save;
	char hint[64];
	struct objref o;
	struct rec *r;
	size_t idx;
	int rc;

	c->cur = -1;
	if (!close) {
		failf(c, c->line, "section header has no closing ']'");
		return;
	}
	for (rest = close + 1; *rest == ' ' || *rest == '\t'; rest++)
		;
	if (*rest && *rest != ';' && *rest != '#') {
		failf(c, c->line, "text after the section header's ']'");
		return;
	}
	*close = '\0';
	type = strtok_r(text + 1, " \t", &save);
	name = type ? strtok_r(NULL, " \t", &save) : NULL;
	extra = name ? strtok_r(NULL, " \t", &save) : NULL;
	if (!type) {
		failf(c, c->line, "empty section header []");
		return;
	}
	sec = lab_schema_section_find(type, false);
	if (!sec) {
		lab__suggest_init(&sg, type);
		for (int i = 0; i < LAB_SEC_COUNT; i++)
			lab__suggest_add(&sg, lab_schema_section(i)->name, lab_schema_section(i)->name);
		failf(c, c->line, "unknown section type [%s]%s", type,
		      lab__suggest_text(&sg, hint, sizeof(hint)));
		return;
	}
	if (!sec->instance && name) {
		failf(c, c->line, "[%s] takes no name: write [%s]", sec->name, sec->name);
		return;
	}
	if (sec->instance && !name) {
		failf(c, c->line, "[%s] needs a name: [%s NAME], NAME being %s",
		      sec->name, sec->name, sec->instance);
		return;
	}
	if (extra) {
		failf(c, c->line, "a section header is [type name]; '%s' is one word too many", extra);
		return;
	}
	if (name && lab__name_reserved(name)) {
		failf(c, c->line, "'%s' is a reserved word (none, auto, host, peer), not a name",
		      name);
		return;
	}
	if (name && !lab_name_valid(name)) {
		failf(c, c->line, "'%s' is not a valid name (letters, digits, '_', '-', '.', "
		      "at most %d characters)", name, LAB_NAME_MAX);
		return;
	}
	dup = rec_find(c, sec->id, name);
	if (dup) {
		if (name)
			failf(c, c->line, "duplicate section [%s %s] (first at line %d)",
			      sec->name, name, dup->line);
		else
			failf(c, c->line, "duplicate section [%s] (first at line %d)",
			      sec->name, dup->line);
		return;
	}
	if (obj_append(c->lab, sec->id, &idx))
		goto nomem;
	o = obj_ref(c->lab, sec->id, idx);
	if (o.name && !(*o.name = strdup(name)))
		goto nomem;
	*o.line = c->line;
	/* [lab] and [host] were filled with defaults before the first line. */
	if (o.name && (rc = obj_defaults(c, sec->id, o.obj, name))) {
		if (rc == -ENOMEM)
			goto nomem;
		return;
	}
	r = rec_add(c, sec->id, idx, c->line);
	if (!r)
		goto nomem;
	c->cur = (long)(r - c->recs);
	return;
nomem:
	oom(c);
}

/* --- keys -------------------------------------------------------------- */

static bool open_key_valid(enum lab_open open, const char *key)
{
	const char *s = key;

	if (strlen(key) > LAB_KEY_MAX)
		return false;
	if (open == LAB_OPEN_KEYWORD && *s == '*')
		s++;
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* How open-section values (keywords, fault keys) are checked. */
static const struct lab_key text_key = { .name = "text", .type = LAB_T_TEXT };

static void open_key_add(struct ctx *c, struct rec *r, const struct lab_section_schema *sec,
			 const char *key, const char *value)
{
	struct lab_kvlist *kv = obj_kvlist(c->lab, r->type, r->idx);
	const struct lab_key *known = lab__key_find_file(sec, key);
	char lbl[80], msg[160];
	union lab_value v;
	struct lab_kv *items;
	int rc;

	if (!open_key_valid(sec->open, key)) {
		if (sec->open == LAB_OPEN_KEYWORD)
			failf(c, c->line, "%s '%s' is not a keyword name (an optional '*', then "
			      "letters, digits and '_', at most %d)", label(c->lab, r, lbl, sizeof(lbl)),
			      key, LAB_KEY_MAX);
		else
			failf(c, c->line, "%s '%s' is not a fault key (letters, digits and '_', "
			      "starting with a letter, at most %d)", label(c->lab, r, lbl, sizeof(lbl)),
			      key, LAB_KEY_MAX);
		return;
	}
	/* Registry value names are case-insensitive: *sriov is *SRIOV. */
	if (known)
		key = known->name;
	for (size_t i = 0; i < kv->count; i++) {
		if (!strcasecmp(kv->items[i].key, key)) {
			failf(c, c->line, "%s %s is set twice (first at line %d)",
			      label(c->lab, r, lbl, sizeof(lbl)), key, kv->items[i].line);
			return;
		}
	}
	rc = lab_value_parse(&text_key, value, &v, msg, sizeof(msg));
	if (rc == -ENOMEM)
		goto nomem;
	if (rc) {
		failf(c, c->line, "%s %s: %s", label(c->lab, r, lbl, sizeof(lbl)), key, msg);
		return;
	}
	items = realloc(kv->items, (kv->count + 1) * sizeof(*items));
	if (!items) {
		free(v.s);
		goto nomem;
	}
	kv->items = items;
	items[kv->count].value = v.s;
	items[kv->count].line = c->line;
	if (!(items[kv->count].key = strdup(key))) {
		free(v.s);
		goto nomem;
	}
	kv->count++;
	return;
nomem:
	oom(c);
}

static void step_add(struct ctx *c, const char *text)
{
	struct lab_script *s = &c->lab->script;
	const struct lab_verb *verb;
	struct lab__suggest sg;
	struct lab_step step, *steps;
	char msg[160], hint[64];
	int rc;

	rc = lab__step_split(text, &step, msg, sizeof(msg));
	if (rc == -ENOMEM) {
		oom(c);
		return;
	}
	if (rc) {
		failf(c, c->line, "[script] step %s", msg);
		return;
	}
	verb = lab_schema_verb_find(step.verb);
	if (!verb) {
		lab__suggest_init(&sg, step.verb);
		for (size_t i = 0; lab_schema_verb(i); i++)
			lab__suggest_add(&sg, lab_schema_verb(i)->name, lab_schema_verb(i)->name);
		failf(c, c->line, "[script] unknown step '%s'%s", step.verb,
		      lab__suggest_text(&sg, hint, sizeof(hint)));
		goto drop;
	}
	if (step.argc < verb->min_args || step.argc > verb->max_args) {
		if (verb->min_args == verb->max_args)
			failf(c, c->line, "[script] step %s takes %d argument%s, not %d: %s",
			      verb->name, verb->min_args, verb->min_args == 1 ? "" : "s",
			      step.argc, verb->usage);
		else
			failf(c, c->line, "[script] step %s takes %d to %d arguments, not %d: %s",
			      verb->name, verb->min_args, verb->max_args, step.argc, verb->usage);
		goto drop;
	}
	/* Canonical lowercase verb: "Wait" is "wait". */
	strcpy(step.verb, verb->name);
	step.line = c->line;
	steps = realloc(s->steps, (s->count + 1) * sizeof(*steps));
	if (!steps) {
		oom(c);
		goto drop;
	}
	s->steps = steps;
	steps[s->count++] = step;
	return;
drop:
	lab__step_fini(&step);
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct ctx *c = user;
	const struct lab_section_schema *sec;
	const struct lab_key *k;
	struct lab__suggest sg;
	struct objref o;
	union lab_value v;
	struct rec *r;
	char lbl[80], msg[160], hint[64];
	int rc;

	(void)section;		/* ours comes from section_begin (see the top) */
	if (c->rc)
		return 1;
	if (c->cur < 0) {
		failf(c, c->line, "'%s' comes before any [section]", key);
		return 1;
	}
	r = &c->recs[c->cur];
	sec = lab_schema_section(r->type);
	o = obj_ref(c->lab, r->type, r->idx);
	if (!*key) {
		failf(c, c->line, "a line starts with '=': the key is missing");
		return 1;
	}
	/*
	 * inih takes ';' as a comment only after a blank: "key =;note" sets key
	 * to ";note", which lab_dump would write back as "key = ;note", a
	 * comment. Such a value is never meant, so it is refused.
	 */
	if (*value == ';') {
		failf(c, c->line, "%s %s: a value may not start with ';' (for a comment, put a "
		      "blank before it)", label(c->lab, r, lbl, sizeof(lbl)), key);
		return 1;
	}
	k = lab__key_find_file(sec, key);
	if (k && !(k->flags & LAB_KF_CONVENTION)) {
		int *seen = &r->key_lines[k - sec->keys];

		if (*seen && !(k->flags & LAB_KF_MULTI)) {
			failf(c, c->line, "%s %s is set twice (first at line %d)",
			      label(c->lab, r, lbl, sizeof(lbl)), k->name, *seen);
			return 1;
		}
		if (!*seen)
			*seen = c->line;
		if (k->type == LAB_T_STEP) {
			step_add(c, value);
			return 1;
		}
		rc = lab_value_parse(k, value, &v, msg, sizeof(msg));
		if (rc == -ENOMEM) {
			oom(c);
			return 1;
		}
		if (rc) {
			failf(c, c->line, "%s %s: %s", label(c->lab, r, lbl, sizeof(lbl)), k->name, msg);
			return 1;
		}
		lab__value_store(k, o.obj, &v);
		return 1;
	}
	if (sec->open != LAB_OPEN_NONE) {
		open_key_add(c, r, sec, key, value);
		return 1;
	}
	lab__suggest_init(&sg, key);
	for (size_t i = 0; i < sec->nkeys; i++) {
		lab__suggest_add(&sg, sec->keys[i].name, sec->keys[i].name);
		if (sec->keys[i].ps_name)
			lab__suggest_add(&sg, sec->keys[i].ps_name, sec->keys[i].name);
	}
	failf(c, c->line, "unknown key '%s' in %s%s", key, label(c->lab, r, lbl, sizeof(lbl)),
	      lab__suggest_text(&sg, hint, sizeof(hint)));
	return 1;
}

/* --- the line reader inih pulls from ------------------------------------ */

static char *read_line(char *str, int num, void *stream)
{
	struct ctx *c = stream;
	const char *start, *nl;
	char header[LAB_LINE_MAX + 1];
	size_t n;

	if (c->rc || c->pos >= c->len)
		return NULL;	/* stop inih at the first error */
	start = c->data + c->pos;
	nl = memchr(start, '\n', c->len - c->pos);
	n = nl ? (size_t)(nl - start) : c->len - c->pos;
	c->pos += n + (nl ? 1 : 0);
	c->line++;
	if (n && start[n - 1] == '\r')
		n--;
	if (c->line == 1 && n >= 3 && !memcmp(start, "\xEF\xBB\xBF", 3)) {
		start += 3;	/* UTF-8 byte order mark, as Notepad writes it */
		n -= 3;
	}
	while (n && (*start == ' ' || *start == '\t')) {
		start++;
		n--;
	}
	/* Bytes, not a C string: a NUL is refused here too. */
	for (size_t i = 0; i < n; i++) {
		if (lab__is_control((unsigned char)start[i])) {
			failf(c, c->line, "control character 0x%02x in the line",
			      (unsigned char)start[i]);
			return NULL;
		}
	}
	if (n > LAB_LINE_MAX || n + 2 > (size_t)num) {
		failf(c, c->line, "line is longer than %d characters", LAB_LINE_MAX);
		return NULL;
	}
	if (n && start[0] == '[') {
		memcpy(header, start, n);
		header[n] = '\0';
		section_begin(c, header);
		if (c->rc)
			return NULL;
		n = 0;		/* inih sees a blank line: the section is ours */
	}
	memcpy(str, start, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* --- after the last line: names, cross-object rules, steps --------------- */

static const char *suggest_name(struct lab *lab, enum lab_section t, const char *word,
				char *buf, size_t len)
{
	struct lab__suggest sg;

	lab__suggest_init(&sg, word);
	for (int s = 0; s < LAB_SEC_COUNT; s++) {
		if (t != LAB_SEC_ANY && s != (int)t)
			continue;
		if (s != LAB_SEC_NIC && s != LAB_SEC_VMSWITCH && s != LAB_SEC_VM &&
		    s != LAB_SEC_VMNIC && s != LAB_SEC_FAULT)
			continue;
		for (size_t i = 0; i < obj_count(lab, s); i++) {
			struct objref o = obj_ref(lab, s, i);
			lab__suggest_add(&sg, *o.name, *o.name);
		}
	}
	return lab__suggest_text(&sg, buf, len);
}

/* Which kind of object a name is: nic, vmswitch, vm, vmnetworkadapter, fault. */
static bool any_find(const struct lab *lab, const char *name, enum lab_section *type)
{
	static const enum lab_section order[] = {
		LAB_SEC_NIC, LAB_SEC_VMSWITCH, LAB_SEC_VM, LAB_SEC_VMNIC, LAB_SEC_FAULT,
	};
	const void *found[] = {
		lab_nic_find(lab, name), lab_vswitch_find(lab, name), lab_vm_find(lab, name),
		lab_vmnic_find(lab, name), lab_fault_find(lab, name),
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (found[i]) {
			if (type)
				*type = order[i];
			return true;
		}
	}
	return false;
}

static bool object_exists(const struct lab *lab, enum lab_section t, const char *name)
{
	switch (t) {
	case LAB_SEC_NIC:
		return lab_nic_find(lab, name);
	case LAB_SEC_VMSWITCH:
		return lab_vswitch_find(lab, name);
	case LAB_SEC_VM:
		return lab_vm_find(lab, name);
	case LAB_SEC_VMNIC:
		return lab_vmnic_find(lab, name);
	case LAB_SEC_FAULT:
		return lab_fault_find(lab, name);
	case LAB_SEC_ANY:
		return any_find(lab, name, NULL);
	default:
		return false;
	}
}

static void check_ref(struct ctx *c, const struct rec *r, const char *keyname,
		      enum lab_section t, const char *name)
{
	char lbl[80], hint[64];

	int line = key_line(r, keyname) ? key_line(r, keyname) : r->line;

	if (!name || object_exists(c->lab, t, name))
		return;
	if (t == LAB_SEC_ANY)
		failf(c, line, "%s %s: no nic, vmswitch, vm or vmnetworkadapter "
		      "named '%s' in this lab%s", label(c->lab, r, lbl, sizeof(lbl)), keyname, name,
		      suggest_name(c->lab, t, name, hint, sizeof(hint)));
	else
		failf(c, line, "%s %s: there is no [%s %s] in this lab%s", label(c->lab, r, lbl, sizeof(lbl)),
		      keyname, lab_schema_section(t)->name, name,
		      suggest_name(c->lab, t, name, hint, sizeof(hint)));
}

static char *only_name(struct lab *lab, enum lab_section t)
{
	return strdup(*obj_ref(lab, t, 0).name);
}

static void resolve_vswitch(struct ctx *c, const struct rec *r)
{
	struct lab_vswitch *sw = &c->lab->vswitches[r->idx];
	char lbl[80];

	label(c->lab, r, lbl, sizeof(lbl));
	if (!key_line(r, "adapter") && sw->type == LAB_VSWITCH_EXTERNAL) {
		if (c->lab->nnics == 1) {
			if (!(sw->adapter = only_name(c->lab, LAB_SEC_NIC)))
				oom(c);
		} else if (c->lab->nnics == 0) {
			failf(c, r->line, "%s: an External switch needs a [nic], and this lab has none",
			      lbl);
		} else {
			failf(c, r->line, "%s: set adapter, the lab has %zu [nic] sections",
			      lbl, c->lab->nnics);
		}
	} else if (sw->adapter && sw->type != LAB_VSWITCH_EXTERNAL) {
		failf(c, key_line(r, "adapter"), "%s adapter: only an External switch has one", lbl);
	} else if (!sw->adapter && sw->type == LAB_VSWITCH_EXTERNAL) {
		failf(c, key_line(r, "adapter"), "%s adapter: an External switch needs one", lbl);
	} else {
		check_ref(c, r, "adapter", LAB_SEC_NIC, sw->adapter);
	}
	if (sw->iov && sw->type != LAB_VSWITCH_EXTERNAL)
		failf(c, key_line(r, "iov"), "%s iov: true needs type = External "
		      "(New-VMSwitch -EnableIov goes with -NetAdapterName)", lbl);
	if (sw->teaming != LAB_TEAMING_NONE && sw->type != LAB_VSWITCH_EXTERNAL)
		failf(c, key_line(r, "teaming"), "%s teaming: needs type = External", lbl);
	for (size_t i = 0; i < r->idx && sw->adapter; i++) {
		const struct lab_vswitch *o = &c->lab->vswitches[i];
		if (o->adapter && !strcasecmp(o->adapter, sw->adapter)) {
			int line = key_line(r, "adapter");
			failf(c, line ? line : r->line, "%s adapter: [nic %s] is already the adapter of "
			      "[vmswitch %s] (line %d); a NIC serves one switch",
			      lbl, o->adapter, o->name, o->line);
		}
	}
}

static void resolve_vmnic(struct ctx *c, const struct rec *r)
{
	struct lab_vmnic *n = &c->lab->vmnics[r->idx];
	char lbl[80], a[24], b[24];

	label(c->lab, r, lbl, sizeof(lbl));
	if (!key_line(r, "vm") && !lab_vm_find(c->lab, n->vm_name))
		failf(c, r->line, "%s: there is no [vm %s]; name the VM with vm = NAME",
		      lbl, n->vm_name);
	else
		check_ref(c, r, "vm", LAB_SEC_VM, n->vm_name);
	if (!key_line(r, "switch")) {
		if (c->lab->nvswitches == 1) {
			if (!(n->switch_name = only_name(c->lab, LAB_SEC_VMSWITCH)))
				oom(c);
		} else if (c->lab->nvswitches > 1) {
			failf(c, r->line, "%s: set switch (or switch = none), the lab has %zu "
			      "[vmswitch] sections", lbl, c->lab->nvswitches);
		}
	} else {
		check_ref(c, r, "switch", LAB_SEC_VMSWITCH, n->switch_name);
	}
	for (size_t i = 0; i < r->idx; i++) {
		const struct lab_vmnic *o = &c->lab->vmnics[i];
		if (!n->mac.is_auto && !o->mac.is_auto && !memcmp(n->mac.b, o->mac.b, 6)) {
			union lab_value v = { .mac = n->mac };
			lab_value_format(lab_schema_key_find(lab_schema_section(LAB_SEC_VMNIC), "mac"),
					 &v, a, sizeof(a));
			failf(c, key_line(r, "mac"), "%s mac %s is also [vmnetworkadapter %s]'s "
			      "(line %d)", lbl, a, o->name, o->line);
		}
		if (n->ip.is_set && o->ip.is_set && n->ip.addr == o->ip.addr) {
			union lab_value v = { .ip = n->ip };
			lab_value_format(lab_schema_key_find(lab_schema_section(LAB_SEC_VMNIC), "ip"),
					 &v, b, sizeof(b));
			*strchr(b, '/') = '\0';
			failf(c, key_line(r, "ip"), "%s ip %s is also [vmnetworkadapter %s]'s "
			      "(line %d)", lbl, b, o->name, o->line);
		}
	}
	for (size_t i = 0; i < c->lab->nnics; i++) {
		const struct lab_nic *o = &c->lab->nics[i];
		if (!n->mac.is_auto && !o->mac.is_auto && !memcmp(n->mac.b, o->mac.b, 6))
			failf(c, key_line(r, "mac"), "%s mac is also [nic %s]'s (line %d)",
			      lbl, o->name, o->line);
	}
}

static void resolve_nic(struct ctx *c, const struct rec *r)
{
	const struct lab_nic *n = &c->lab->nics[r->idx];
	char lbl[80];

	/* SR-IOV 1.1 section 3.3.10/11: routing IDs are 16 bits. */
	if (n->total_vfs &&
	    n->first_vf_offset + (uint64_t)(n->total_vfs - 1) * n->vf_stride > 0xffff)
		failf(c, r->line, "%s: VF routing IDs run past 0xffff, first_vf_offset + "
		      "(total_vfs - 1) x vf_stride = %" PRIu64, label(c->lab, r, lbl, sizeof(lbl)),
		      n->first_vf_offset + (uint64_t)(n->total_vfs - 1) * n->vf_stride);
}

static void resolve_fault(struct ctx *c, const struct rec *r)
{
	struct lab_fault *f = &c->lab->faults[r->idx];

	if (!f->target)
		return;
	if (!any_find(c->lab, f->target, &f->target_type))
		check_ref(c, r, "target", LAB_SEC_ANY, f->target);
	else if (f->target_type == LAB_SEC_FAULT)
		failf(c, key_line(r, "target"), "[fault %s] target: [fault %s] is a fault; a fault "
		      "targets a nic, vmswitch, vm or vmnetworkadapter", f->name, f->target);
}

/* --- steps ------------------------------------------------------------- */

static void step_fail(struct ctx *c, const struct lab_step *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void step_fail(struct ctx *c, const struct lab_step *s, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	failf(c, s->line, "[script] step %s: %s", s->verb, msg);
}

static bool check_adapter(struct ctx *c, const struct lab_step *s, const char *a)
{
	const struct lab_vm *vm;
	size_t n = 0;
	char hint[64];

	if (lab_vmnic_find(c->lab, a))
		return true;
	vm = lab_vm_find(c->lab, a);
	if (!vm) {
		step_fail(c, s, "no [vmnetworkadapter %s] or [vm %s] in this lab%s", a, a,
			  suggest_name(c->lab, LAB_SEC_ANY, a, hint, sizeof(hint)));
		return false;
	}
	for (size_t i = 0; i < c->lab->nvmnics; i++)
		n += !strcasecmp(c->lab->vmnics[i].vm_name, vm->name);
	if (n == 1)
		return true;
	if (n == 0)
		step_fail(c, s, "[vm %s] has no [vmnetworkadapter]", a);
	else
		step_fail(c, s, "[vm %s] has %zu network adapters; name one", a, n);
	return false;
}

int lab_bytes_arg_parse(const char *a, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!a || !isdigit((unsigned char)a[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(a, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mul = 1ull << 10; break;
		case 'm': case 'M': mul = 1ull << 20; break;
		case 'g': case 'G': mul = 1ull << 30; break;
		default: return -EINVAL;
		}
		if (end[1] && strcasecmp(end + 1, "iB") && strcasecmp(end + 1, "B"))
			return -EINVAL;
	}
	if (!v || v > (1ull << 32) / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

int lab_addr_arg_parse(const char *a, bool with_port, uint32_t *addr, uint16_t *port, const char **name)
{
	char buf[64];
	const char *colon = strrchr(a, ':');
	size_t n = with_port ? (colon ? (size_t)(colon - a) : 0) : strlen(a);
	unsigned part[4];
	char *end;
	int used = 0;

	*addr = 0;
	*name = NULL;
	if (port)
		*port = 0;
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, a, n);
	buf[n] = '\0';
	if (with_port) {
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (!isdigit((unsigned char)colon[1]) || *end || !p || p > 65535)
			return -EINVAL;
		*port = (uint16_t)p;
	}
	if (sscanf(buf, "%3u.%3u.%3u.%3u%n", &part[0], &part[1], &part[2], &part[3], &used) == 4 &&
	    (size_t)used == n) {
		if (part[0] > 255 || part[1] > 255 || part[2] > 255 || part[3] > 255)
			return -EINVAL;
		*addr = part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3];
		return *addr && *addr != 0xffffffffu ? 0 : -EINVAL;
	}
	*name = a;	/* an adapter's name: the caller looks it up (n bytes of a) */
	return (int)n;
}

/* ADDR or ADDR:PORT: an IPv4 address, or an adapter (or one-adapter VM) with an ip. */
static void check_addr(struct ctx *c, const struct lab_step *s, const char *a, bool with_port)
{
	uint32_t addr;
	uint16_t port;
	const char *name;
	char nm[64];
	int rc = lab_addr_arg_parse(a, with_port, &addr, &port, &name);
	const struct lab_vmnic *n;
	const struct lab_vm *vm;

	if (rc < 0) {
		step_fail(c, s, "'%s' is not %s", a,
			  with_port ? "ADDR:PORT (e.g. 10.0.0.22:7 or vm2:7, port 1..65535)"
				    : "an IPv4 address or a VM network adapter with an ip");
		return;
	}
	if (!name)
		return;
	snprintf(nm, sizeof(nm), "%.*s", rc, name);
	n = lab_vmnic_find(c->lab, nm);
	if (!n && (vm = lab_vm_find(c->lab, nm)))
		for (size_t i = 0; i < c->lab->nvmnics; i++)
			if (!strcasecmp(c->lab->vmnics[i].vm_name, vm->name))
				n = n ? NULL : &c->lab->vmnics[i];
	if (!n) {
		step_fail(c, s, "'%s' is neither an IPv4 address nor a VM network adapter (or a VM with one)", nm);
		return;
	}
	if (!n->ip.is_set)
		step_fail(c, s, "[vmnetworkadapter %s] has no ip to reach it by", n->name);
}

/* set CLASS OBJECT PROPERTY VALUE: the same rules as the file's key. */
static void check_set(struct ctx *c, const struct lab_step *s)
{
	const struct lab_section_schema *sec = lab_schema_section_find(s->argv[0], true);
	const char *obj = s->argv[1], *prop = s->argv[2], *val = s->argv[3];
	enum lab_section objtype;
	const struct lab_key *k;
	struct lab__suggest sg;
	char msg[160], hint[64];
	union lab_value v;
	int rc;

	if (!sec || (sec->id != LAB_SEC_NIC && sec->id != LAB_SEC_KEYWORDS &&
		     sec->id != LAB_SEC_VMSWITCH && sec->id != LAB_SEC_VM &&
		     sec->id != LAB_SEC_VMNIC)) {
		step_fail(c, s, "'%s' is not something set can change (nic, keywords, vmswitch, "
			  "vm, vmnetworkadapter, or their PowerShell classes)", s->argv[0]);
		return;
	}
	objtype = sec->id == LAB_SEC_KEYWORDS ? LAB_SEC_NIC : sec->id;
	if (!object_exists(c->lab, objtype, obj)) {
		step_fail(c, s, "there is no [%s %s] in this lab%s",
			  lab_schema_section(objtype)->name, obj,
			  suggest_name(c->lab, objtype, obj, hint, sizeof(hint)));
		return;
	}
	if (sec->id == LAB_SEC_KEYWORDS) {
		if (!open_key_valid(LAB_OPEN_KEYWORD, prop))
			step_fail(c, s, "'%s' is not a keyword name", prop);
		else if ((rc = lab_value_parse(&text_key, val, &v, msg, sizeof(msg))) == -ENOMEM)
			oom(c);
		else if (rc)
			step_fail(c, s, "%s: %s", prop, msg);
		else
			free(v.s);
		return;
	}
	k = lab_schema_key_find(sec, prop);
	if (!k) {
		lab__suggest_init(&sg, prop);
		for (size_t i = 0; i < sec->nkeys; i++) {
			if (sec->keys[i].ps_name)
				lab__suggest_add(&sg, sec->keys[i].ps_name, sec->keys[i].ps_name);
			lab__suggest_add(&sg, sec->keys[i].name, sec->keys[i].name);
		}
		step_fail(c, s, "[%s] has no property '%s'%s", sec->name, prop,
			  lab__suggest_text(&sg, hint, sizeof(hint)));
		return;
	}
	rc = lab_value_parse(k, val, &v, msg, sizeof(msg));
	if (rc == -ENOMEM) {
		oom(c);
		return;
	}
	if (rc) {
		step_fail(c, s, "%s: %s", prop, msg);
		return;
	}
	if (k->type == LAB_T_NAME && v.s && !object_exists(c->lab, k->ref, v.s))
		step_fail(c, s, "%s: there is no [%s %s] in this lab", prop,
			  lab_schema_section(k->ref)->name, v.s);
	lab_value_fini(k, &v);
}

/* "peer" (the only nic's uplink peer) or "peer:NIC". */
static void check_peer(struct ctx *c, const struct lab_step *s, const char *a)
{
	char hint[64];

	if (!strcasecmp(a, "peer")) {
		if (c->lab->nnics != 1)
			step_fail(c, s, "'peer' needs exactly one [nic] (the lab has %zu); "
				  "write peer:NIC", c->lab->nnics);
		return;
	}
	if (!lab_nic_find(c->lab, a + 5))
		step_fail(c, s, "there is no [nic %s] in this lab%s", a + 5,
			  suggest_name(c->lab, LAB_SEC_NIC, a + 5, hint, sizeof(hint)));
}

static void check_step(struct ctx *c, const struct lab_step *s)
{
	const struct lab_verb *verb = lab_schema_verb_find(s->verb);
	char msg[160], hint[64];
	uint64_t u;

	if (verb->args[0] == LAB_ARG_CLASS) {
		check_set(c, s);
		return;
	}
	for (int i = 0; i < s->argc; i++) {
		enum lab_arg kind = i < 6 ? verb->args[i] : LAB_ARG_WORD;
		const char *a = s->argv[i];

		switch (kind) {
		case LAB_ARG_OBJECT:
			if (!any_find(c->lab, a, NULL))
				step_fail(c, s, "no object named '%s' in this lab%s", a,
					  suggest_name(c->lab, LAB_SEC_ANY, a, hint, sizeof(hint)));
			break;
		case LAB_ARG_SUBJECT:
			if (!strcasecmp(a, "host") || !strcasecmp(a, c->lab->host.computer_name))
				break;
			if (!strcasecmp(a, "peer") || !strncasecmp(a, "peer:", 5)) {
				check_peer(c, s, a);
				break;
			}
			if (!any_find(c->lab, a, NULL))
				step_fail(c, s, "no object named '%s' in this lab%s", a,
					  suggest_name(c->lab, LAB_SEC_ANY, a, hint, sizeof(hint)));
			break;
		case LAB_ARG_VM:
		case LAB_ARG_NIC:
		case LAB_ARG_FAULT: {
			enum lab_section t = kind == LAB_ARG_VM ? LAB_SEC_VM
					     : kind == LAB_ARG_NIC ? LAB_SEC_NIC : LAB_SEC_FAULT;
			if (!object_exists(c->lab, t, a))
				step_fail(c, s, "there is no [%s %s] in this lab%s",
					  lab_schema_section(t)->name, a,
					  suggest_name(c->lab, t, a, hint, sizeof(hint)));
			break;
		}
		case LAB_ARG_ENDPOINT:
			if (!strcasecmp(a, "peer") || !strncasecmp(a, "peer:", 5)) {
				check_peer(c, s, a);
				break;
			}
			/* fall through */
		case LAB_ARG_ADAPTER:
			check_adapter(c, s, a);
			break;
		case LAB_ARG_COUNT:
		case LAB_ARG_FRAME_SIZE: {
			/* The file's integer rules, with the step's range. */
			static const struct lab_key count = { .name = "frame count",
				.type = LAB_T_U32, .min = 1, .max = 1000000 };
			static const struct lab_key size = { .name = "frame size in bytes",
				.type = LAB_T_U32, .min = 60, .max = 9018 };
			const struct lab_key *k = kind == LAB_ARG_COUNT ? &count : &size;
			union lab_value v;

			if (lab_value_parse(k, a, &v, NULL, 0))
				step_fail(c, s, "'%s' is not a %s (%" PRIu64 "..%" PRIu64 ")", a,
					  k->name, k->min, k->max);
			break;
		}
		case LAB_ARG_DURATION:
			if (lab_duration_parse(a, &u, msg, sizeof(msg)))
				step_fail(c, s, "%s", msg);
			break;
		case LAB_ARG_UPDOWN:
			if (strcasecmp(a, "up") && strcasecmp(a, "down"))
				step_fail(c, s, "'%s' is not up or down", a);
			break;
		case LAB_ARG_ADDR:
		case LAB_ARG_ADDR_PORT:
			check_addr(c, s, a, kind == LAB_ARG_ADDR_PORT);
			break;
		case LAB_ARG_BYTES:
			if (lab_bytes_arg_parse(a, &u))
				step_fail(c, s, "'%s' is not a byte count (1..4294967296, e.g. 65536, 64K, 1M)", a);
			break;
		case LAB_ARG_PAYLOAD: {
			char *end;
			unsigned long v = strtoul(a, &end, 10);

			if (!*a || *end || v > 1472 || a[0] == '-')
				step_fail(c, s, "'%s' is not a payload size in bytes (0..1472)", a);
			break;
		}
		case LAB_ARG_WORD:
			if (i == 3 && !strcmp(s->verb, "tcp") && strcasecmp(a, "background"))
				step_fail(c, s, "'%s': the only word after BYTES is background", a);
			break;
		default:
			break;
		}
	}
}

static void resolve(struct ctx *c)
{
	struct lab *lab = c->lab;

	for (size_t i = 0; i < c->nrecs && c->rc != -ENOMEM; i++) {
		const struct rec *r = &c->recs[i];

		switch (r->type) {
		case LAB_SEC_KEYWORDS: {
			const char *nic = lab->keywords[r->idx].name;
			char hint[64];

			if (!lab_nic_find(lab, nic))
				failf(c, r->line, "[keywords %s]: there is no [nic %s] in this lab%s", nic, nic,
				      suggest_name(lab, LAB_SEC_NIC, nic, hint, sizeof(hint)));
			break;
		}
		case LAB_SEC_NIC:
			resolve_nic(c, r);
			break;
		case LAB_SEC_VMSWITCH:
			resolve_vswitch(c, r);
			break;
		case LAB_SEC_VM:
			if (!lab->vms[r->idx].vbd_forward_vpci && !lab->vms[r->idx].vbd)
				failf(c, key_line(r, "vbd_forward_vpci"), "[vm %s] vbd_forward_vpci: "
				      "false needs a vbd (e.g. vbd = srnic_vbd)", lab->vms[r->idx].name);
			break;
		case LAB_SEC_VMNIC:
			resolve_vmnic(c, r);
			break;
		case LAB_SEC_FAULT:
			resolve_fault(c, r);
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < lab->script.count && c->rc != -ENOMEM; i++)
		check_step(c, &lab->script.steps[i]);
	if (c->rc)
		return;
	/* Everything exists: link the objects (arrays no longer move). */
	for (size_t i = 0; i < lab->nkeywords; i++) {
		struct lab_nic *nic = (struct lab_nic *)lab_nic_find(lab, lab->keywords[i].name);
		lab->keywords[i].nic = nic;
		nic->keywords = &lab->keywords[i];
	}
	for (size_t i = 0; i < lab->nvswitches; i++)
		if (lab->vswitches[i].adapter)
			lab->vswitches[i].nic = lab_nic_find(lab, lab->vswitches[i].adapter);
	for (size_t i = 0; i < lab->nvmnics; i++) {
		lab->vmnics[i].vm = lab_vm_find(lab, lab->vmnics[i].vm_name);
		if (lab->vmnics[i].switch_name)
			lab->vmnics[i].vswitch = lab_vswitch_find(lab, lab->vmnics[i].switch_name);
	}
}

/* --- entry points -------------------------------------------------------- */

int lab_load_buffer(const char *data, size_t len, const char *name,
		    struct lab **out, char *err, size_t errlen)
{
	struct ctx c = {
		.name = name ? name : "<lab>", .data = data, .len = len, .cur = -1,
		.err = err, .errlen = errlen,
	};
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	c.lab = calloc(1, sizeof(*c.lab));
	if (!c.lab || !(c.lab->file = strdup(c.name))) {
		oom(&c);
		goto done;
	}
	if ((rc = obj_defaults(&c, LAB_SEC_LAB, &c.lab->info, NULL)) ||
	    (rc = obj_defaults(&c, LAB_SEC_HOST, &c.lab->host, NULL))) {
		if (rc == -ENOMEM)
			oom(&c);
		goto done;
	}
	rc = ini_parse_stream(read_line, &c, on_key, &c);
	if (rc > 0)
		failf(&c, rc, "expected 'key = value', a [section] header or a comment");
	else if (rc < 0 && !c.rc)
		oom(&c);
	if (!c.rc)
		resolve(&c);
done:
	for (size_t i = 0; i < c.nrecs; i++)
		free(c.recs[i].key_lines);
	free(c.recs);
	if (c.rc) {
		lab_free(c.lab);
		return c.rc;
	}
	log_debug("lab.file", "%s: %zu nic, %zu vmswitch, %zu vm, %zu vmnetworkadapter, "
		  "%zu fault, %zu steps", c.name, c.lab->nnics, c.lab->nvswitches, c.lab->nvms,
		  c.lab->nvmnics, c.lab->nfaults, c.lab->script.count);
	*out = c.lab;
	return 0;
}

int lab_load_string(const char *text, const char *name,
		    struct lab **out, char *err, size_t errlen)
{
	return lab_load_buffer(text, strlen(text), name, out, err, errlen);
}

int lab_load_file(const char *path, struct lab **out, char *err, size_t errlen)
{
	FILE *f;
	struct stat st;
	char *buf = NULL;
	size_t n;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		goto fail_open;
	}
	if (fstat(fileno(f), &st)) {
		rc = -errno;
		goto fail_read;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: not a regular file", path);
		goto fail_read;
	}
	if (st.st_size > (off_t)LAB_FILE_MAX) {
		rc = -EFBIG;
		if (err && errlen)
			snprintf(err, errlen, "%s: larger than %u bytes; a lab file is a page of text",
				 path, LAB_FILE_MAX);
		goto fail_read;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto fail_read;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = -EIO;
		goto fail_read;
	}
	fclose(f);
	rc = lab_load_buffer(buf, n, path, out, err, errlen);
	free(buf);
	return rc;

fail_read:
	free(buf);
	fclose(f);
	if (rc == -EINVAL || rc == -EFBIG)
		return rc;
fail_open:
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}
