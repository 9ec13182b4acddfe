/*
 * Internals shared by the files of src/lab (schema.c, value.c, load.c,
 * dump.c, doc.c). Never included from outside src/lab.
 */
#ifndef IOVLAB_LAB_LAB_PRIVATE_H
#define IOVLAB_LAB_LAB_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "lab/lab.h"
#include "lab/lab_schema.h"

/* Longest line the lab reads (after leading blanks): inih's buffer is 200 bytes. */
#define LAB_LINE_MAX 196

/*
 * Longest key and value in an open section, and longest step. Chosen so
 * that lab_dump()'s "key = value" (it adds blanks) still fits LAB_LINE_MAX.
 */
#define LAB_KEY_MAX 40
#define LAB_TEXT_MAX 120
#define LAB_STEP_MAX 160

struct lab__frow {
	const char *id;		/* "F09" */
	const char *cause;
};

/* F01..F32, then { NULL, NULL }. */
extern const struct lab__frow lab__frows[];

/* A control character the lab file refuses: below 0x20 except tab, and DEL. */
static inline bool lab__is_control(unsigned char ch)
{
	return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

/* none, auto, host, peer: never instance names. */
bool lab__name_reserved(const char *name);

/* Key by its file spelling only (case-insensitive). */
const struct lab_key *lab__key_find_file(const struct lab_section_schema *sec,
					 const char *name);

/* True if the key's default is a real value to parse (not computed, not a note). */
bool lab__key_has_literal_default(const struct lab_key *key);

/*
 * Move a parsed value into the field of obj (the section's struct) that
 * key describes; frees what the field held. v is consumed.
 */
void lab__value_store(const struct lab_key *key, void *obj, union lab_value *v);

/* A borrowed view of the field (strings are not copied: do not fini). */
void lab__value_load(const struct lab_key *key, const void *obj, union lab_value *v);

/* Free what the field owns and set it to NULL (strings only). */
void lab__value_clear(const struct lab_key *key, void *obj);

/*
 * "Did you mean" for a misspelt word: feed every candidate, then read best.
 * Words are compared lowercase without '_', '-' and '*', so IovWeight
 * suggests iov_weight.
 */
struct lab__suggest {
	const char *word;
	const char *best;
	int best_dist;
};

void lab__suggest_init(struct lab__suggest *s, const char *word);
/* Compare word with compare; if it is the best so far, report answer. */
void lab__suggest_add(struct lab__suggest *s, const char *compare, const char *answer);
/* " (did you mean X?)" or "" -- a static string or one in buf. */
const char *lab__suggest_text(const struct lab__suggest *s, char *buf, size_t len);

/* Split a step's text into verb and arguments ('"' quotes a word). 0 or -EINVAL/-ENOMEM with err. */
int lab__step_split(const char *text, struct lab_step *step, char *err, size_t errlen);
void lab__step_fini(struct lab_step *step);

/* snprintf that appends at strlen(buf). */
void lab__appendf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* IOVLAB_LAB_LAB_PRIVATE_H */
