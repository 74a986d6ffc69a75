/* findings.c — the identifying-terms check of the case collection (docs/CASES.md). The draft and
 * every term are folded by text_fold_map_new (the search index's folding: widths, ASCII case),
 * so ＡＬＰＨＡ is found by Alpha; the map from folded bytes back to the draft gives positions. */
#include "findings.h"

#include "text.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- the dictionary ------------------------------------------------------------------------ */

void finding_terms_add(struct finding_terms *t, const char *term, const char *kind)
{
	char *folded = text_fold_new(term, strlen(term));
	/* trim folded spaces */
	size_t a = 0, b = strlen(folded);
	while (a < b && folded[a] == ' ')
		a++;
	while (b > a && folded[b - 1] == ' ')
		b--;
	if (text_codepoints(folded + a, b - a) < 2) {
		free(folded);
		return;
	}
	memmove(folded, folded + a, b - a);
	folded[b - a] = '\0';
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].kind, kind) == 0 && strcmp(t->v[i].folded, folded) == 0) {
			free(folded);
			return;
		}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
	}
	/* The term as shown: the caller's text, trimmed of spaces. */
	const char *s = term;
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	t->v[t->n++] = (struct finding_term){.term = xstrndup(s, n), .folded = folded, .kind = kind};
}

/* Legal-form words, folded (text_fold_new turns （株） into (株) and ＩＮＣ． into inc.). Longer
 * forms first so "co., ltd." goes before "co.". */
static const char *const legal_forms[] = {
	"株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)", "(同)", "\xe3\x88\xb1", /* ㈱ */
	"\xe3\x88\xb2", /* ㈲ */
	"co., ltd.", "co.,ltd.", "co. ltd.", "co.ltd.", "co., ltd", "co.,ltd", "ltd.", "ltd", "inc.", "inc",
	"corporation", "corp.", "llc", "co.",
};

/* True for an ASCII letter or digit. */
static bool ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Trims ASCII and full-width spaces, commas and dots from both ends of s (in place); the
 * leading side keeps dots (".NET"). */
static void trim_name(char *s)
{
	static const char *const junk[] = {" ", ",", ".", "\xe3\x80\x80", "\xef\xbc\x8c", "\xef\xbc\x8e", "\xe3\x83\xbb"};
	bool again = true;
	while (again) {
		again = false;
		size_t n = strlen(s);
		for (size_t k = 0; k < ARRAY_LEN(junk); k++) {
			size_t jl = strlen(junk[k]);
			if (n >= jl && memcmp(s + n - jl, junk[k], jl) == 0) {
				s[n - jl] = '\0';
				again = true;
				break;
			}
			if (k != 2 && n >= jl && memcmp(s, junk[k], jl) == 0) {
				memmove(s, s + jl, n - jl + 1);
				again = true;
				break;
			}
		}
	}
}

/* Returns name (caller frees) without its legal-form words, found in the folded name (so any
 * width and case) and cut from the name as written; ASCII words are cut whole only ("inc" in
 * "incubator" stays). */
static char *strip_legal_forms_new(const char *name)
{
	size_t len = strlen(name), *map = NULL;
	char *f = text_fold_map_new(name, len, &map);
	size_t n = strlen(f);
	bool *cut = xcalloc(n + 1, sizeof *cut);
	for (size_t k = 0; k < ARRAY_LEN(legal_forms); k++) {
		const char *w = legal_forms[k];
		size_t wl = strlen(w);
		bool ascii = ascii_alnum((unsigned char)w[0]);
		for (const char *hit = strstr(f, w); hit; hit = strstr(hit + 1, w)) {
			size_t at = (size_t)(hit - f);
			if (ascii && ((at > 0 && ascii_alnum((unsigned char)f[at - 1])) ||
				      ascii_alnum((unsigned char)f[at + wl])))
				continue;
			for (size_t j = at; j < at + wl; j++)
				cut[j] = true;
		}
	}
	/* Keep each source code point none of whose folded bytes was cut. */
	struct buf out = {0};
	buf_append(&out, "", 0);
	for (size_t j = 0; j < n;) {
		size_t e = j;
		bool keep = true;
		for (; e < n && map[e] == map[j]; e++)
			if (cut[e])
				keep = false;
		if (keep)
			buf_append(&out, name + map[j], map[e] - map[j]);
		j = e;
	}
	free(cut);
	free(map);
	free(f);
	trim_name(out.data);
	return out.data;
}

void finding_terms_add_company(struct finding_terms *t, const char *name)
{
	finding_terms_add(t, name, FINDING_COMPANY_NAME);
	char *bare = strip_legal_forms_new(name);
	finding_terms_add(t, bare, FINDING_COMPANY_NAME);
	free(bare);
}

/* Adds a person's name as written, without spaces, and by its parts (findings.h). */
void finding_terms_add_person(struct finding_terms *t, const char *name)
{
	finding_terms_add(t, name, FINDING_PERSON_NAME);
	char *f = text_fold_new(name, strlen(name));
	size_t n = strlen(f);
	char *joined = xmalloc(n + 1), *o = joined;
	for (size_t i = 0; i < n; i++)
		if (f[i] != ' ')
			*o++ = f[i];
	*o = '\0';
	finding_terms_add(t, joined, FINDING_PERSON_NAME);
	free(joined);
	char *save = NULL;
	for (char *part = strtok_r(f, " ", &save); part; part = strtok_r(NULL, " ", &save))
		finding_terms_add(t, part, FINDING_PERSON_NAME);
	free(f);
}

void finding_terms_free(struct finding_terms *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].term);
		free(t->v[i].folded);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

/* ---- results ------------------------------------------------------------------------------- */

/* Records in out a hit of term (of kind) at [start, end) of field: merged into the finding of the
 * same kind and term, one position per (field, start). */
static void add_hit(struct findings *out, const char *kind, const char *term, size_t termlen, const char *field,
		    size_t start, size_t end)
{
	struct finding *f = NULL;
	for (size_t i = 0; i < out->n && !f; i++)
		if (strcmp(out->v[i].kind, kind) == 0 && strlen(out->v[i].term) == termlen &&
		    memcmp(out->v[i].term, term, termlen) == 0)
			f = &out->v[i];
	if (!f) {
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 8;
			out->v = xrealloc(out->v, out->cap * sizeof *out->v);
		}
		f = &out->v[out->n++];
		*f = (struct finding){.term = xstrndup(term, termlen), .kind = kind};
	}
	for (size_t i = 0; i < f->npos; i++)
		if (f->pos[i].field == field && f->pos[i].start == start)
			return;
	if (f->npos == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		f->pos = xrealloc(f->pos, f->cap * sizeof *f->pos);
	}
	f->pos[f->npos++] = (struct finding_pos){.field = field, .start = start, .end = end};
}

void findings_free(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].term);
		free(f->v[i].pos);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* ---- patterns over folded text ------------------------------------------------------------- */

/* True for an ASCII digit. */
static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* True for a character of an e-mail address's local part: letters, digits and . _ % + -. */
static bool email_local(unsigned char c)
{
	return ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* True for a character of an e-mail address's domain: letters, digits, '-' and '.'. */
static bool email_domain(unsigned char c)
{
	return ascii_alnum(c) || c == '-' || c == '.';
}

/* An e-mail address around the '@' at f[at]: sets [*s, *e) and returns true. The domain needs a
 * dot and a final label of two or more letters. */
static bool match_email(const char *f, size_t n, size_t at, size_t *s, size_t *e)
{
	size_t a = at;
	while (a > 0 && email_local((unsigned char)f[a - 1]))
		a--;
	while (a < at && f[a] == '.')
		a++;
	if (a == at)
		return false;
	size_t b = at + 1;
	while (b < n && email_domain((unsigned char)f[b]))
		b++;
	while (b > at + 1 && (f[b - 1] == '.' || f[b - 1] == '-'))
		b--;
	/* the last label: letters only, at least two */
	size_t dot = b;
	while (dot > at + 1 && f[dot - 1] != '.')
		dot--;
	if (dot <= at + 2 || b - dot < 2)
		return false;
	for (size_t i = dot; i < b; i++)
		if (!(f[i] >= 'a' && f[i] <= 'z'))
			return false;
	*s = a;
	*e = b;
	return true;
}

/* An IPv4 address starting at f[i] (a digit not preceded by a digit or "digit."): exactly four
 * decimal groups of 1-3 digits, each at most 255, not followed by a digit or ".digit" (so
 * versions 1.2.3 and 1.2.3.4.5 are not addresses). */
static bool match_ipv4(const char *f, size_t n, size_t i, size_t *e)
{
	size_t p = i;
	for (int g = 0; g < 4; g++) {
		if (g > 0) {
			if (p >= n || f[p] != '.')
				return false;
			p++;
		}
		size_t d = p;
		unsigned v = 0;
		while (p < n && is_digit((unsigned char)f[p]) && p - d < 4)
			v = v * 10 + (unsigned)(f[p++] - '0');
		if (p == d || p - d > 3 || v > 255)
			return false;
	}
	if (p < n && (is_digit((unsigned char)f[p]) || (f[p] == '.' && p + 1 < n && is_digit((unsigned char)f[p + 1]))))
		return false;
	*e = p;
	return true;
}

/* A Japanese phone number starting at f[i]: "0" then groups of digits separated by '-' or
 * written 03(1234)5678, 10 or 11 digits in all, 2 or 3 groups, the first of 2-5 digits; or 10-11
 * digits in one run starting with 0; or +81 followed by such a number without its 0. */
static bool match_phone(const char *f, size_t n, size_t i, size_t *e)
{
	size_t p = i;
	bool intl = false;
	if (f[p] == '+') {
		if (!(p + 3 < n && f[p + 1] == '8' && f[p + 2] == '1'))
			return false;
		p += 3;
		if (p < n && (f[p] == '-' || f[p] == ' '))
			p++;
		intl = true;
	} else if (f[p] != '0') {
		return false;
	}
	int digits = intl ? 1 : 0, groups = 0, first = 0;
	bool paren = false;
	while (p < n) {
		size_t d = p;
		while (p < n && is_digit((unsigned char)f[p]))
			p++;
		size_t len = p - d;
		if (len == 0 || len > 11)
			return false;
		if (groups == 0)
			first = (int)len;
		else if (len > 4 && groups > 0)
			return false;
		digits += (int)len;
		groups++;
		if (p < n && (f[p] == '-' || (f[p] == '(' && groups == 1 && !paren) || (f[p] == ')' && paren)) &&
		    p + 1 < n && is_digit((unsigned char)f[p + 1])) {
			if (f[p] == '(')
				paren = true;
			p++;
			continue;
		}
		break;
	}
	if (p < n && (is_digit((unsigned char)f[p]) || f[p] == '.' || f[p] == ',' || f[p] == '-' ||
		      ascii_alnum((unsigned char)f[p])))
		return false;
	if (digits < 10 || digits > 11)
		return false;
	if (groups == 1) {
		if (intl)
			return false; /* +81 and one run: ambiguous, leave it */
	} else {
		if (groups > 3 || (!intl && (first < 2 || first > 5)) || (intl && first > 4))
			return false;
	}
	*e = p;
	return true;
}

/* Adds to out every e-mail address, IPv4 address and Japanese phone number of folded text f[0..n),
 * each starting on a boundary; map takes folded offsets back to src (an e-mail address is
 * reported as folded, an IP or a phone number as written in src). */
static void scan_patterns(struct findings *out, const char *field, const char *src, const char *f, size_t n,
			  const size_t *map)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f[i];
		size_t s, e;
		if (c == '@' && match_email(f, n, i, &s, &e)) {
			add_hit(out, FINDING_EMAIL, f + s, e - s, field, map[s], map[e]);
			i = e - 1;
			continue;
		}
		bool boundary = i == 0 || !(ascii_alnum((unsigned char)f[i - 1]) || f[i - 1] == '.' ||
					    f[i - 1] == '-' || f[i - 1] == ',' || f[i - 1] == '+' || f[i - 1] == '@');
		if (!boundary)
			continue;
		if (is_digit(c) && match_ipv4(f, n, i, &e)) {
			add_hit(out, FINDING_IP, src + map[i], map[e] - map[i], field, map[i], map[e]);
			i = e - 1;
			continue;
		}
		if ((c == '0' || c == '+') && match_phone(f, n, i, &e)) {
			add_hit(out, FINDING_PHONE, src + map[i], map[e] - map[i], field, map[i], map[e]);
			i = e - 1;
			continue;
		}
	}
}

/* Only ASCII letters and digits (and inner spaces, dots, hyphens, '&' and commas): such a term
 * must not be part of a longer ASCII word. */
static bool ascii_word(const char *t)
{
	for (; *t; t++)
		if (!(ascii_alnum((unsigned char)*t) || *t == ' ' || *t == '.' || *t == '-' || *t == '&' || *t == ','))
			return false;
	return true;
}

void findings_scan(struct findings *out, const char *field, const char *text, size_t len,
		   const struct finding_terms *t)
{
	size_t *map = NULL;
	char *f = text_fold_map_new(text, len, &map);
	size_t n = strlen(f);
	/* e-mail addresses first: a user's address is reported as the pattern finds it */
	scan_patterns(out, field, text, f, n, map);
	for (size_t k = 0; t && k < t->n; k++) {
		const struct finding_term *ft = &t->v[k];
		size_t tl = strlen(ft->folded);
		bool word = ascii_word(ft->folded);
		for (const char *hit = strstr(f, ft->folded); hit; hit = strstr(hit + 1, ft->folded)) {
			size_t s = (size_t)(hit - f), e = s + tl;
			if (word && ((s > 0 && ascii_alnum((unsigned char)f[s - 1])) ||
				     (e < n && ascii_alnum((unsigned char)f[e]))))
				continue;
			if (strcmp(ft->kind, FINDING_EMAIL) == 0)
				add_hit(out, FINDING_EMAIL, f + s, tl, field, map[s], map[e]);
			else
				add_hit(out, ft->kind, ft->term, strlen(ft->term), field, map[s], map[e]);
		}
	}
	free(f);
	free(map);
}

size_t findings_utf16_offset(const char *text, size_t off)
{
	size_t units = 0;
	const unsigned char *p = (const unsigned char *)text;
	for (size_t i = 0; i < off && p[i]; i++) {
		unsigned char c = p[i];
		if ((c & 0xC0) == 0x80)
			continue; /* continuation byte */
		units += c >= 0xF0 ? 2 : 1;
	}
	return units;
}
