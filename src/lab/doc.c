/*
 * lab_schema_print(): the schema table (schema.c) as text for a terminal
 * (`iovlab lab --schema`, like FreeBSD's `iovctl -S`), as roff for the
 * reference part of man/iovlab.lab.5, and as Markdown for the reference
 * part of docs/lab-format.md. The generated parts of both documents are
 * checked against this output by a test (tests/lab/test_docs.c), so the
 * documents cannot drift from the parser.
 */
#include "lab/lab_private.h"

#include <inttypes.h>
#include <string.h>

#define TEXT_WIDTH 78

/* "integer 0..100", "Default|Adaptive|...", "name of a [nic], or none" ... */
static void type_text(const struct lab_key *k, char *buf, size_t len)
{
	char lo[24], hi[24];
	union lab_value v;

	buf[0] = '\0';
	switch (k->type) {
	case LAB_T_U32:
		snprintf(buf, len, "integer %" PRIu64 "..%" PRIu64, k->min, k->max);
		break;
	case LAB_T_SIZE:
		v.u = k->min;
		lab_value_format(k, &v, lo, sizeof(lo));
		v.u = k->max;
		lab_value_format(k, &v, hi, sizeof(hi));
		snprintf(buf, len, "size %s..%s%s", lo, hi,
			 (k->flags & LAB_KF_POW2) ? ", a power of two" : "");
		break;
	case LAB_T_ENUM:
	case LAB_T_DRIVER:
		for (size_t i = 0; k->values[i].name; i++)
			lab__appendf(buf, len, "%s%s", i ? "|" : "", k->values[i].name);
		if (k->type == LAB_T_DRIVER)
			lab__appendf(buf, len, "%s|PATH.so", (k->flags & LAB_KF_NONE_OK) ? "|none" : "");
		break;
	case LAB_T_STRING:
		snprintf(buf, len, "string of at most %" PRIu64 "%s", k->max,
			 (k->flags & LAB_KF_EMPTY_OK) ? ", may be empty" : "");
		break;
	case LAB_T_NAME:
		if (k->ref == LAB_SEC_ANY)
			snprintf(buf, len, "name of a nic, vmswitch, vm or vmnetworkadapter");
		else
			snprintf(buf, len, "name of a [%s]", lab_schema_section(k->ref)->name);
		if (k->flags & LAB_KF_NONE_OK)
			lab__appendf(buf, len, ", or none");
		break;
	case LAB_T_MAC:
		snprintf(buf, len, "MAC%s", (k->flags & LAB_KF_AUTO_OK) ? " or auto" : "");
		break;
	case LAB_T_IPV4:
		snprintf(buf, len, "IPv4/prefix%s", (k->flags & LAB_KF_NONE_OK) ? " or none" : "");
		break;
	case LAB_T_STEP:
		snprintf(buf, len, "VERB ARGS...");
		break;
	default:
		snprintf(buf, len, "%s", lab_type_name(k->type));
		break;
	}
}

/* "F12 (= 0), F18" from "F12=0,F18". */
static void rows_text(const char *frows, char *buf, size_t len)
{
	const char *s = frows;

	buf[0] = '\0';
	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		const char *eq = memchr(s, '=', n);

		if (eq)
			lab__appendf(buf, len, "%s%.*s (= %.*s)", buf[0] ? ", " : "",
				     (int)(eq - s), s, (int)(n - (size_t)(eq - s) - 1), eq + 1);
		else
			lab__appendf(buf, len, "%s%.*s", buf[0] ? ", " : "", (int)n, s);
		s = comma ? comma + 1 : NULL;
	}
}

/* Does frows name row id? If so, copy the "=value" part (or "") to val. */
static bool rows_has(const char *frows, const char *id, char *val, size_t len, int *nth)
{
	const char *s = frows;
	int seen = 0;

	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);

		if (n >= 3 && !strncmp(s, id, 3) && (n == 3 || s[3] == '=')) {
			if (seen++ == *nth) {
				snprintf(val, len, "%.*s", n > 3 ? (int)(n - 4) : 0, s + 4);
				(*nth)++;
				return true;
			}
		}
		s = comma ? comma + 1 : NULL;
	}
	return false;
}

/* Word-wrap text at TEXT_WIDTH with an indent. */
static void put_wrapped(FILE *out, const char *text, int indent)
{
	int col = 0;

	while (*text) {
		size_t w = strcspn(text, " ");

		if (col && col + 1 + (int)w > TEXT_WIDTH) {
			fputc('\n', out);
			col = 0;
		}
		if (!col)
			col = fprintf(out, "%*s", indent, "");
		else
			col += fprintf(out, " ");
		col += fprintf(out, "%.*s", (int)w, text);
		text += w;
		while (*text == ' ')
			text++;
	}
	if (col)
		fputc('\n', out);
}

/* roff: escape backslashes, keep a leading '.' or '\'' from being a request. */
static void put_roff(FILE *out, const char *text)
{
	if (*text == '.' || *text == '\'')
		fputs("\\&", out);
	for (; *text; text++) {
		if (*text == '\\')
			fputs("\\e", out);
		else if (*text == '-')
			fputs("\\-", out);
		else
			fputc(*text, out);
	}
}

/* Markdown table cell: escape '|'. */
static void put_md(FILE *out, const char *text)
{
	for (; *text; text++) {
		if (*text == '|')
			fputs("\\|", out);
		else
			fputc(*text, out);
	}
}

static void section_title(const struct lab_section_schema *sec, char *buf, size_t len)
{
	snprintf(buf, len, sec->instance ? "[%s NAME]" : "[%s]", sec->name);
}

static void print_key(FILE *out, enum lab_schema_style style, const struct lab_key *k)
{
	const char *def = k->def[0] ? k->def : "(empty)";
	char type[160], rows[160];

	type_text(k, type, sizeof(type));
	rows_text(k->frows, rows, sizeof(rows));
	switch (style) {
	case LAB_SCHEMA_TEXT:
		fprintf(out, "  %s = %s; default %s", k->name, type, def);
		if (k->ps_name)
			fprintf(out, "; PowerShell %s", k->ps_name);
		if (rows[0])
			fprintf(out, "; %s", rows);
		fputc('\n', out);
		put_wrapped(out, k->doc, 6);
		break;
	case LAB_SCHEMA_MAN:
		fputs(".TP\n.B ", out);
		put_roff(out, k->name);
		fputs("\n\\fI", out);
		put_roff(out, type);
		fputs("\\fR; default ", out);
		put_roff(out, def);
		if (k->ps_name) {
			fputs("; PowerShell ", out);
			put_roff(out, k->ps_name);
		}
		if (rows[0]) {
			fputs("; ", out);
			put_roff(out, rows);
		}
		fputs(".\n.br\n", out);
		put_roff(out, k->doc);
		fputc('\n', out);
		break;
	case LAB_SCHEMA_MARKDOWN:
		fprintf(out, "| `%s` | ", k->name);
		put_md(out, type);
		fputs(" | ", out);
		put_md(out, def);
		fprintf(out, " | %s | %s | ", k->ps_name ? k->ps_name : "", rows);
		put_md(out, k->doc);
		fputs(" |\n", out);
		break;
	}
}

static void print_sections(FILE *out, enum lab_schema_style style)
{
	char title[64];

	if (style == LAB_SCHEMA_MAN)
		fputs(".SH SECTIONS\n", out);
	else if (style == LAB_SCHEMA_MARKDOWN)
		fputs("## Reference: sections and keys\n", out);
	for (int s = 0; s < LAB_SEC_COUNT; s++) {
		const struct lab_section_schema *sec = lab_schema_section(s);

		section_title(sec, title, sizeof(title));
		switch (style) {
		case LAB_SCHEMA_TEXT:
			fprintf(out, "%s%s\n", s ? "\n" : "", title);
			put_wrapped(out, sec->doc, 2);
			if (sec->instance)
				fprintf(out, "  NAME: %s.\n", sec->instance);
			break;
		case LAB_SCHEMA_MAN:
			fputs(".SS ", out);
			put_roff(out, title);
			fputc('\n', out);
			put_roff(out, sec->doc);
			if (sec->instance) {
				fputs("\n.I NAME\nis ", out);
				put_roff(out, sec->instance);
				fputc('.', out);
			}
			fputc('\n', out);
			break;
		case LAB_SCHEMA_MARKDOWN:
			fprintf(out, "\n### `%s`\n\n%s", title, sec->doc);
			if (sec->instance)
				fprintf(out, " NAME is %s.", sec->instance);
			fputs("\n\n| key | type | default | PowerShell | catalogue | meaning |\n"
			      "|---|---|---|---|---|---|\n", out);
			break;
		}
		for (size_t i = 0; i < sec->nkeys; i++)
			print_key(out, style, &sec->keys[i]);
	}
}

static void print_verbs(FILE *out, enum lab_schema_style style)
{
	char rows[64];

	switch (style) {
	case LAB_SCHEMA_TEXT:
		fputs("\nScript steps (step = VERB ARGS...)\n", out);
		break;
	case LAB_SCHEMA_MAN:
		fputs(".SH SCRIPT STEPS\n", out);
		break;
	case LAB_SCHEMA_MARKDOWN:
		fputs("\n## Reference: script steps\n\n| step | meaning | catalogue |\n"
		      "|---|---|---|\n", out);
		break;
	}
	for (size_t i = 0; lab_schema_verb(i); i++) {
		const struct lab_verb *v = lab_schema_verb(i);

		rows_text(v->frows, rows, sizeof(rows));
		switch (style) {
		case LAB_SCHEMA_TEXT:
			fprintf(out, "  %s\n", v->usage);
			put_wrapped(out, v->doc, 6);
			break;
		case LAB_SCHEMA_MAN:
			fputs(".TP\n.B ", out);
			put_roff(out, v->usage);
			fputc('\n', out);
			put_roff(out, v->doc);
			fputc('\n', out);
			break;
		case LAB_SCHEMA_MARKDOWN:
			fputs("| `", out);
			put_md(out, v->usage);
			fputs("` | ", out);
			put_md(out, v->doc);
			fprintf(out, " | %s |\n", rows);
			break;
		}
	}
}

/* One "how to produce it" item: [host] acs = false, step migrate ... */
static void put_how(FILE *out, enum lab_schema_style style, bool first, const char *what)
{
	switch (style) {
	case LAB_SCHEMA_TEXT:
		fprintf(out, "%s%s", first ? "" : "; ", what);
		break;
	case LAB_SCHEMA_MAN:
		fputs(first ? "" : "; ", out);
		put_roff(out, what);
		break;
	case LAB_SCHEMA_MARKDOWN:
		fprintf(out, "%s`", first ? "" : ", ");
		put_md(out, what);
		fputc('`', out);
		break;
	}
}

static void print_rows(FILE *out, enum lab_schema_style style)
{
	switch (style) {
	case LAB_SCHEMA_TEXT:
		fputs("\nFailure catalogue rows and the settings that produce them\n", out);
		break;
	case LAB_SCHEMA_MAN:
		fputs(".SH FAILURE CATALOGUE\n"
		      "Each row of the failure catalogue and what in a lab file produces it.\n", out);
		break;
	case LAB_SCHEMA_MARKDOWN:
		fputs("\n## Reference: failure catalogue rows F01-F32\n\n"
		      "| row | cause | produced by |\n|---|---|---|\n", out);
		break;
	}
	for (size_t r = 0; lab__frows[r].id; r++) {
		const char *id = lab__frows[r].id;
		bool first = true;
		char what[160], val[64];

		switch (style) {
		case LAB_SCHEMA_TEXT:
			fprintf(out, "  %s  %s\n      ", id, lab__frows[r].cause);
			break;
		case LAB_SCHEMA_MAN:
			fprintf(out, ".TP\n.B %s\n", id);
			put_roff(out, lab__frows[r].cause);
			fputs(":\n", out);
			break;
		case LAB_SCHEMA_MARKDOWN:
			fprintf(out, "| %s | ", id);
			put_md(out, lab__frows[r].cause);
			fputs(" | ", out);
			break;
		}
		for (int s = 0; s < LAB_SEC_COUNT; s++) {
			const struct lab_section_schema *sec = lab_schema_section(s);

			for (size_t i = 0; i < sec->nkeys; i++) {
				const struct lab_key *k = &sec->keys[i];
				int nth = 0;

				while (rows_has(k->frows, id, val, sizeof(val), &nth)) {
					if (val[0])
						snprintf(what, sizeof(what), "[%s] %s = %s",
							 sec->name, k->name, val);
					else
						snprintf(what, sizeof(what), "[%s] %s", sec->name, k->name);
					put_how(out, style, first, what);
					first = false;
				}
			}
		}
		for (size_t i = 0; lab_schema_verb(i); i++) {
			int nth = 0;

			if (rows_has(lab_schema_verb(i)->frows, id, val, sizeof(val), &nth)) {
				snprintf(what, sizeof(what), "step %s", lab_schema_verb(i)->name);
				put_how(out, style, first, what);
				first = false;
			}
		}
		fputs(style == LAB_SCHEMA_MARKDOWN ? " |\n" : "\n", out);
	}
}

void lab_schema_print(FILE *out, enum lab_schema_style style)
{
	print_sections(out, style);
	print_verbs(out, style);
	print_rows(out, style);
}
