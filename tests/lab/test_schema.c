/*
 * The schema as documentation: every failure-catalogue row F01-F32 is
 * produced by at least one setting, step or fault key (the requirement of
 * architecture.md 4.5 and failure-catalogue.md), and the printed schema
 * names every section, key and step in each style.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab_schema.h"

/* The caller's buf receives the text (kept in the caller's frame for open_memstream). */
static void print(enum lab_schema_style style, char **buf)
{
	size_t len;
	FILE *f = open_memstream(buf, &len);

	assert_non_null(f);
	lab_schema_print(f, style);
	fclose(f);
}

static void test_every_catalogue_row_is_expressible(void **state)
{
	char *md = NULL;

	(void)state;
	print(LAB_SCHEMA_MARKDOWN, &md);
	for (int row = 1; row <= 32; row++) {
		char id[16], *line, *cell;
		int bars = 0;

		snprintf(id, sizeof(id), "\n| F%02d | ", row);
		line = strstr(md, id);
		if (!line)
			fail_msg("F%02d is missing from the catalogue table", row);
		/* | Fnn | cause | produced by | : the third cell holds a setting. */
		for (cell = line + 1; *cell && *cell != '\n' && bars < 3; cell++)
			bars += *cell == '|' && cell[-1] != '\\';
		if (strncmp(cell, " `", 2))
			fail_msg("F%02d has no setting that produces it", row);
	}
	assert_null(strstr(md, "\n| F33 | "));
	free(md);
}

static void test_print_names_everything(void **state)
{
	const enum lab_schema_style styles[] = {
		LAB_SCHEMA_TEXT, LAB_SCHEMA_MAN, LAB_SCHEMA_MARKDOWN,
	};

	(void)state;
	for (size_t st = 0; st < 3; st++) {
		char *out = NULL;

		print(styles[st], &out);

		for (int s = 0; s < LAB_SEC_COUNT; s++) {
			const struct lab_section_schema *sec = lab_schema_section(s);
			char title[64];

			snprintf(title, sizeof(title), sec->instance ? "[%s NAME]" : "[%s]", sec->name);
			if (!strstr(out, title))
				fail_msg("style %zu: no %s", st, title);
			for (size_t k = 0; k < sec->nkeys; k++) {
				/* roff escapes '-' and '\'; key names have neither. */
				if (!strstr(out, sec->keys[k].name))
					fail_msg("style %zu: no key %s", st, sec->keys[k].name);
				if (!sec->keys[k].doc || !sec->keys[k].doc[0])
					fail_msg("[%s] %s has no doc", sec->name, sec->keys[k].name);
			}
		}
		for (size_t v = 0; lab_schema_verb(v); v++) {
			const struct lab_verb *verb = lab_schema_verb(v);
			if (!strstr(out, verb->name))
				fail_msg("style %zu: no step %s", st, verb->name);
			assert_true(verb->min_args <= verb->max_args);
			assert_true(verb->max_args <= LAB_VERB_MAX_ARGS);
		}
		free(out);
	}
}

static void test_text_style(void **state)
{
	char *txt = NULL;

	(void)state;
	print(LAB_SCHEMA_TEXT, &txt);
	assert_non_null(strstr(txt, "  iov_weight = integer 0..100; default 0; PowerShell "
				    "IovWeight; F17 (= 0), F29\n"));
	assert_non_null(strstr(txt, "  acs = bool; default true; F09 (= false)\n"));
	assert_non_null(strstr(txt, "  F09  No ACS on the root port or upstream path\n"
				    "      [host] acs = false\n"));
	/* Doc text is wrapped for a terminal (the catalogue lists settings on one line). */
	char *stop = strstr(txt, "\nFailure catalogue rows");
	assert_non_null(stop);
	for (char *line = txt; line && line < stop;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t n = strcspn(line, "\n");
		if (!strncmp(line, "      ", 6) && n > 78)
			fail_msg("doc line longer than 78: %.*s", (int)n, line);
	}
	free(txt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_catalogue_row_is_expressible),
		cmocka_unit_test(test_print_names_everything),
		cmocka_unit_test(test_text_style),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
