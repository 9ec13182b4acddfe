/*
 * Values and the three renderers every view shares (view.h): Format-Table,
 * Format-List and JSON over one set of evaluated cells. The text rules are
 * PowerShell's (tools-and-views.md 1.1): True/False, {a, b} arrays, $null
 * as nothing, numbers right-aligned in a table, list labels padded to the
 * longest and long values wrapped under the value column; the table sizes
 * each column to its widest value (as Format-Table -AutoSize) and never
 * truncates. JSON keeps the property order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "views/view.h"

/* ---- values ------------------------------------------------------------------ */
void view_value_fini(struct view_value *v)
{
	free(v->s);
	for (size_t i = 0; v->sv && i < v->n; i++)
		free(v->sv[i]);
	free(v->sv);
	free(v->uv);
	memset(v, 0, sizeof(*v));
}

static void reset(struct view_value *v, enum view_type t)
{
	view_value_fini(v);
	v->type = t;
}

void view_set_bool(struct view_value *v, bool b)
{
	reset(v, VIEW_BOOL);
	v->b = b;
}

void view_set_int(struct view_value *v, int64_t i)
{
	reset(v, VIEW_INT);
	v->i = i;
}

void view_set_uint(struct view_value *v, uint64_t u)
{
	reset(v, VIEW_UINT);
	v->u = u;
}

void view_set_function(struct view_value *v, uint16_t id)
{
	reset(v, VIEW_FUNCTION);
	v->u = id;
}

void view_set_null(struct view_value *v)
{
	enum view_type t = v->type;

	reset(v, t);
	v->null = true;
}

void view_set_str(struct view_value *v, const char *fmt, ...)
{
	va_list ap;

	reset(v, VIEW_STRING);
	va_start(ap, fmt);
	if (vasprintf(&v->s, fmt, ap) < 0)
		v->s = NULL;
	va_end(ap);
	if (!v->s)
		v->null = true;
}

void view_set_enum(struct view_value *v, const char *name)
{
	reset(v, VIEW_ENUM);
	v->s = name ? strdup(name) : NULL;
	v->null = !v->s;
}

void view_set_strings(struct view_value *v)
{
	reset(v, VIEW_STRINGS);
}

void view_add_string(struct view_value *v, const char *s)
{
	char **n = realloc(v->sv, (v->n + 1) * sizeof(*n));

	if (!n)
		return;
	v->sv = n;
	if ((v->sv[v->n] = strdup(s ? s : "")))
		v->n++;
}

void view_set_uints(struct view_value *v)
{
	reset(v, VIEW_UINTS);
}

void view_add_uint(struct view_value *v, uint64_t u)
{
	uint64_t *n = realloc(v->uv, (v->n + 1) * sizeof(*n));

	if (!n)
		return;
	v->uv = n;
	v->uv[v->n++] = u;
}

bool view_value_numeric(const struct view_value *v)
{
	return v->type == VIEW_INT || v->type == VIEW_UINT;
}

char *view_value_text(const struct view_value *v, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	if (v->null)
		return buf;
	switch (v->type) {
	case VIEW_BOOL:
		snprintf(buf, len, "%s", v->b ? "True" : "False");
		break;
	case VIEW_INT:
		snprintf(buf, len, "%" PRId64, v->i);
		break;
	case VIEW_UINT:
		snprintf(buf, len, "%" PRIu64, v->u);
		break;
	case VIEW_FUNCTION:
		if (v->u == 0xffff)
			snprintf(buf, len, "PF");
		else
			snprintf(buf, len, "%" PRIu64, v->u);
		break;
	case VIEW_STRING:
	case VIEW_ENUM:
		snprintf(buf, len, "%s", v->s ? v->s : "");
		break;
	case VIEW_STRINGS:
	case VIEW_UINTS:
		at += (size_t)snprintf(buf, len, "{");
		for (size_t i = 0; i < v->n && at < len; i++) {
			if (v->type == VIEW_STRINGS)
				at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", v->sv[i]);
			else
				at += (size_t)snprintf(buf + at, len - at, "%s%" PRIu64, i ? ", " : "", v->uv[i]);
		}
		if (at < len)
			snprintf(buf + at, len - at, "}");
		break;
	}
	return buf;
}

json_t *view_value_json(const struct view_value *v)
{
	json_t *a;

	if (v->null)
		return json_null();
	switch (v->type) {
	case VIEW_BOOL:
		return json_boolean(v->b);
	case VIEW_INT:
		return json_integer((json_int_t)v->i);
	case VIEW_UINT:
	case VIEW_FUNCTION:
		return json_integer((json_int_t)v->u);
	case VIEW_STRING:
	case VIEW_ENUM:
		return json_string(v->s ? v->s : "");
	case VIEW_STRINGS:
	case VIEW_UINTS:
		a = json_array();
		for (size_t i = 0; a && i < v->n; i++)
			json_array_append_new(a, v->type == VIEW_STRINGS ? json_string(v->sv[i]) :
									 json_integer((json_int_t)v->uv[i]));
		return a;
	}
	return json_null();
}

char *view_mac_vm(const uint8_t m[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02X%02X%02X%02X%02X%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

char *view_mac_net(const uint8_t m[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* ---- rows and results --------------------------------------------------------- */
int view_rows_add(struct view_rows *rows, const void *obj)
{
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 8;
		unsigned char *p = realloc(rows->objs, cap * rows->obj_size);
		if (!p)
			return -ENOMEM;
		rows->objs = p;
		rows->cap = cap;
	}
	memcpy(rows->objs + rows->n * rows->obj_size, obj, rows->obj_size);
	rows->n++;
	return 0;
}

const void *view_rows_at(const struct view_rows *rows, size_t i)
{
	return rows->objs + i * rows->obj_size;
}

const struct view_value *view_cell(const struct view_result *r, size_t obj, size_t prop)
{
	return &r->cells[obj * r->cls->nprops + prop];
}

void view_result_fini(struct view_result *r)
{
	for (size_t i = 0; r->cells && i < r->nobjs * r->cls->nprops; i++)
		view_value_fini(&r->cells[i]);
	free(r->cells);
	free(r->selected);
	memset(r, 0, sizeof(*r));
}

/* ---- Format-Table ---------------------------------------------------------------- */
#define CELL_MAX 4096

static void trim_print(FILE *out, char *line)
{
	size_t n = strlen(line);

	while (n && line[n - 1] == ' ')
		line[--n] = 0;
	fprintf(out, "%s\n", line);
}

void view_render_table(FILE *out, const struct view_result *r)
{
	const struct view_class *c = r->cls;
	size_t *w = calloc(c->nprops, sizeof(*w)), linecap = 0;
	bool *right = calloc(c->nprops, sizeof(*right));
	char cell[CELL_MAX], *line = NULL;

	if (!w || !right)
		goto out;
	for (size_t p = 0; p < c->nprops; p++) {
		const char *label = r->labels && c->props[p].label ? c->props[p].label : c->props[p].name;
		if (!r->selected[p])
			continue;
		w[p] = strlen(label);
		right[p] = c->props[p].type == VIEW_INT || c->props[p].type == VIEW_UINT;
		for (size_t o = 0; o < r->nobjs; o++) {
			size_t k = strlen(view_value_text(view_cell(r, o, p), cell, sizeof(cell)));
			if (k > w[p])
				w[p] = k;
		}
		linecap += w[p] + 1;
	}
	line = malloc(linecap + 1);
	if (!line)
		goto out;
	fprintf(out, "\n");
	for (int pass = 0; pass < 2 + (int)r->nobjs; pass++) {
		size_t at = 0;
		for (size_t p = 0; p < c->nprops; p++) {
			const char *label = r->labels && c->props[p].label ? c->props[p].label : c->props[p].name;
			const char *text;
			char dashes[CELL_MAX];

			if (!r->selected[p])
				continue;
			if (pass == 0) {
				text = label;
			} else if (pass == 1) {
				size_t k = strlen(label) < sizeof(dashes) ? strlen(label) : sizeof(dashes) - 1;
				memset(dashes, '-', k);
				dashes[k] = 0;
				text = dashes;
			} else {
				text = view_value_text(view_cell(r, (size_t)pass - 2, p), cell, sizeof(cell));
			}
			at += (size_t)sprintf(line + at, right[p] ? "%*s " : "%-*s ", (int)w[p], text);
		}
		line[at] = 0;
		trim_print(out, line);
	}
	fprintf(out, "\n");
out:
	free(line);
	free(w);
	free(right);
}

/* ---- Format-List ------------------------------------------------------------------ */
/* Print text after the label, wrapping at width with continuation lines under the value column. */
static void wrapped(FILE *out, const char *text, size_t indent, unsigned width)
{
	size_t room = width > indent + 20 ? width - indent : 60;
	const char *p = text;
	bool first = true;

	while (*p) {
		size_t n = strlen(p), cut = n;

		if (n > room) {
			cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = room;
		}
		if (!first)
			fprintf(out, "%*s", (int)indent, "");
		fprintf(out, "%.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		first = false;
	}
}

void view_render_list(FILE *out, const struct view_result *r, unsigned width)
{
	const struct view_class *c = r->cls;
	size_t lw = 0;
	char cell[CELL_MAX];

	for (size_t p = 0; p < c->nprops; p++)
		if (r->selected[p] && strlen(c->props[p].name) > lw)
			lw = strlen(c->props[p].name);
	fprintf(out, "\n");
	for (size_t o = 0; o < r->nobjs; o++) {
		for (size_t p = 0; p < c->nprops; p++) {
			if (!r->selected[p])
				continue;
			view_value_text(view_cell(r, o, p), cell, sizeof(cell));
			/* An empty value is nothing after the colon. */
			fprintf(out, "%-*s :%s", (int)lw, c->props[p].name, *cell ? " " : "\n");
			if (*cell)
				wrapped(out, cell, lw + 3, width);
		}
		fprintf(out, "\n");
	}
}

/* ---- JSON --------------------------------------------------------------------------- */
json_t *view_render_json(const struct view_result *r)
{
	json_t *arr = json_array();

	for (size_t o = 0; arr && o < r->nobjs; o++) {
		json_t *obj = json_object();
		for (size_t p = 0; obj && p < r->cls->nprops; p++)
			if (r->selected[p])
				json_object_set_new(obj, r->cls->props[p].name, view_value_json(view_cell(r, o, p)));
		json_array_append_new(arr, obj);
	}
	return arr;
}
