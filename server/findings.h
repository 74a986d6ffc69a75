/* findings.h — the identifying-terms check of the case collection (docs/API.md §11,
 * docs/CASES.md): company names, people's names and e-mail addresses given by the caller, and
 * any e-mail address, IPv4 address or Japanese phone number, found in a draft whatever its
 * widths and letter case. Pure functions over text: no database, no state; thread-safe. */
#ifndef MAMORI_FINDINGS_H
#define MAMORI_FINDINGS_H

#include <stddef.h>

/* Kinds, as the API spells them. */
#define FINDING_COMPANY_NAME "company_name"
#define FINDING_PERSON_NAME "person_name"
#define FINDING_EMAIL "email"
#define FINDING_IP "ip_address"
#define FINDING_PHONE "phone"

/* A growing dictionary of terms to look for. */
struct finding_terms {
	struct finding_term {
		char *term;       /* as the caller gave it (a name variant, an address) */
		char *folded;     /* text_fold_new(term) */
		const char *kind; /* one of the FINDING_* strings (static) */
	} *v;
	size_t n, cap;
};

/* Adds a company name: as written, and with the legal-form words removed (株式会社, (株), ㈱,
 * 有限会社, 合同会社, Co., Ltd., Inc., in either width and any case). */
void finding_terms_add_company(struct finding_terms *t, const char *name);
/* Adds a person's name: as written, without its spaces, and each space-separated part of at
 * least two characters (a family name alone still identifies someone). */
void finding_terms_add_person(struct finding_terms *t, const char *name);
/* Adds one term as it is. Terms shorter than two characters (after folding) are ignored: they
 * would match everywhere. */
void finding_terms_add(struct finding_terms *t, const char *term, const char *kind);
/* Frees t's terms and empties it. */
void finding_terms_free(struct finding_terms *t);

/* One hit: byte offsets [start, end) in the scanned text. */
struct finding_pos {
	const char *field; /* the caller's tag for the text (borrowed static string) */
	size_t start, end;
};
/* One finding: a term of one kind and every place it occurs. */
struct finding {
	char *term;       /* the dictionary term, or the text found for a pattern (e-mail, IP, phone) */
	const char *kind;
	struct finding_pos *pos;
	size_t npos, cap;
};
struct findings {
	struct finding *v;
	size_t n, cap;
};

/* Scans text[0..len) (UTF-8; invalid bytes are tolerated) for every term of t and every
 * pattern, appending to out, merged by (kind, term) so a term found twice is one finding with
 * two positions. A term made only of ASCII letters and digits must stand on its own (not inside
 * a longer ASCII word: "Alpha" is not found in "Alphabet"); other terms are found anywhere.
 * Each call's positions are offsets into its own text; `field` tags them (e.g. "title"). */
void findings_scan(struct findings *out, const char *field, const char *text, size_t len,
		   const struct finding_terms *t);
/* Frees f's findings and empties it. */
void findings_free(struct findings *f);

/* Converts byte offset off of text (UTF-8) into UTF-16 code units, as a browser counts. */
size_t findings_utf16_offset(const char *text, size_t off);

#endif
