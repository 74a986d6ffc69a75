/* text.h — search text normalisation for Japanese and English, and building FTS5 MATCH and LIKE
 * arguments that user input cannot turn into query syntax. Pure functions, no state, safe to
 * call from any thread. The index and the query go through the same text_fold_new(). */
#ifndef MAMORI_TEXT_H
#define MAMORI_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Returns a new string (caller frees) with s[0..len) folded for search, NFKC-like for widths:
 * full-width ASCII U+FF01..U+FF5E → ASCII; ideographic space U+3000 → ' '; half-width katakana
 * and punctuation U+FF61..U+FF9F → full-width; a katakana (either width) followed by a voiced
 * or semi-voiced sound mark (U+FF9E/U+FF9F or U+3099/U+309A) → the precomposed kana (ｶﾞ → ガ,
 * ﾊﾟ → パ, ｳﾞ → ヴ); a half-width mark that cannot compose → U+3099/U+309A as in NFKC; ASCII letters
 * lowercased (also those from full width). Everything else is copied unchanged, except that each
 * byte that is not part of valid UTF-8 becomes U+FFFD and NUL bytes become U+FFFD too (so the
 * result is a C string carrying all of the input). */
char *text_fold_new(const char *s, size_t len);

/* text_fold_new, and when map is not NULL also *map (caller frees): for each byte j of the
 * result, map[j] is the offset in s of the code point it came from, and map[strlen(result)] is
 * len — so a match in folded text points back at the source (findings.c highlights drafts). */
char *text_fold_map_new(const char *s, size_t len, size_t **map);

/* Builds an FTS5 MATCH expression from user input q for a table using the trigram tokenizer.
 * q is folded, split on ASCII whitespace (U+3000 counts, being folded to a space), and each term
 * of at least 3 code points becomes an FTS5 string "..." (embedded '"' doubled); the strings are
 * joined by spaces, i.e. AND. No character of q can act as FTS5 syntax (no OR, NEAR, *, ^,
 * column filters or parentheses).
 *
 * Terms of 1 or 2 code points cannot match through a trigram index (and would make an AND with
 * them match nothing), so they are left out of the expression and reported instead: when
 * short_terms is not NULL, *short_terms receives a NULL-terminated array (never NULL, possibly
 * empty) of those folded terms, which the caller frees with text_terms_free and matches with
 * LIKE or instr() on folded text.
 *
 * Returns the new expression (caller frees), or NULL when q has no term of 3 or more code points
 * (then only *short_terms, if anything, is left to search for). */
char *text_fts_query_new(const char *q, char ***short_terms);

/* Frees an array from text_fts_query_new; accepts NULL. */
void text_terms_free(char **terms);

/* Returns a new string (caller frees): s with '\', '%' and '_' each preceded by '\', for use as
 * a LIKE pattern with ESCAPE '\'. The caller adds any wildcards of its own, e.g. '%' x '%'. */
char *text_like_escape_new(const char *s);

/* Counts the code points of s[0..len), an invalid byte counting as one (as text_fold_new
 * replaces it by one U+FFFD). */
size_t text_codepoints(const char *s, size_t len);

/* True when s holds no visible character: empty, or only Unicode White_Space (U+0009-U+000D,
 * U+0020, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 — the
 * full-width space a Japanese keyboard types) and the invisible U+200B, U+2060, U+FEFF. The one
 * blank rule: every field that refuses blank input (titles, bodies, names, reasons...) asks
 * this (docs/DECISIONS.md, "Blank input"). Invalid UTF-8 is not blank. */
bool text_blank(const char *s);

/* A one-line display text (a name, a title, a venue): non-empty, at most max bytes, no control
 * characters, not blank (text_blank). */
bool text_line_ok(const char *s, size_t max);

#endif
