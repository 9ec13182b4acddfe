/*
 * Keeps the reference parts of man/iovlab.lab.5 and docs/lab-format.md equal
 * to lab_schema_print()'s output. Between the lines
 *
 *     .\" BEGIN GENERATED ...      /  <!-- BEGIN GENERATED ... -->
 *     .\" END GENERATED            /  <!-- END GENERATED -->
 *
 * each file holds the generated text (roff for *.5, Markdown for *.md).
 *
 *     lab_docgen --check FILE...    exit 1 and say which file is stale
 *     lab_docgen --update FILE...   rewrite the generated part
 *
 * `meson test` runs --check; `ninja -C build lab-docs` runs --update.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab_schema.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 4096 > cap) {
			char *p = realloc(buf, cap = cap * 2 + 8192);
			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Start of the line after the first line that starts with prefix, or NULL. */
static char *after_line(char *text, const char *prefix, char **line_start)
{
	for (char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, prefix, strlen(prefix))) {
			char *nl = strchr(p, '\n');
			*line_start = p;
			return nl ? nl + 1 : p + strlen(p);
		}
	}
	return NULL;
}

static int process(const char *path, int update)
{
	size_t n = strlen(path), len, glen;
	int man = n > 2 && !strcmp(path + n - 2, ".5");
	const char *begin = man ? ".\\\" BEGIN GENERATED" : "<!-- BEGIN GENERATED";
	const char *end = man ? ".\\\" END GENERATED" : "<!-- END GENERATED";
	char *text = slurp(path, &len), *gen = NULL, *body, *tail, *dummy, *end_line;
	FILE *g;
	int rc = 1;

	if (!text) {
		fprintf(stderr, "lab_docgen: %s: cannot read\n", path);
		return 1;
	}
	body = after_line(text, begin, &dummy);
	tail = body ? after_line(body, end, &end_line) : NULL;
	if (!body || !tail) {
		fprintf(stderr, "lab_docgen: %s: no '%s' ... '%s' lines\n", path, begin, end);
		goto out;
	}
	g = open_memstream(&gen, &glen);
	if (!g)
		goto out;
	lab_schema_print(g, man ? LAB_SCHEMA_MAN : LAB_SCHEMA_MARKDOWN);
	fclose(g);
	if ((size_t)(end_line - body) == glen && !memcmp(body, gen, glen)) {
		rc = 0;
		goto out;
	}
	if (!update) {
		fprintf(stderr, "lab_docgen: %s is out of date with src/lab/schema.c; "
			"run: ninja -C build lab-docs\n", path);
		goto out;
	}
	g = fopen(path, "wb");
	if (!g)
		goto out;
	fwrite(text, 1, (size_t)(body - text), g);
	fwrite(gen, 1, glen, g);
	fwrite(end_line, 1, len - (size_t)(end_line - text), g);
	rc = fclose(g) ? 1 : 0;
	printf("lab_docgen: updated %s\n", path);
out:
	free(gen);
	free(text);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 3 || (strcmp(argv[1], "--check") && strcmp(argv[1], "--update"))) {
		fprintf(stderr, "usage: lab_docgen --check|--update FILE...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		rc |= process(argv[i], !strcmp(argv[1], "--update"));
	return rc;
}
