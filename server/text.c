/* text.c — folds Japanese and English text for the trigram search index and builds FTS5 MATCH
 * and LIKE arguments from user input. Indexed text and queries are folded by the same function,
 * so a half-width ｶﾞｲﾄﾞ in a post is found by a query for ガイド and the other way round. */
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define REPLACEMENT_CHAR 0xFFFDu
#define VOICED_MARK 0x3099u      /* combining katakana-hiragana voiced sound mark */
#define SEMI_VOICED_MARK 0x309Au /* combining katakana-hiragana semi-voiced sound mark */

/* Decodes one code point from s[0..n) (n > 0) into *cp and returns the bytes used. A byte that
 * does not begin a valid sequence (overlong, surrogate, above U+10FFFF, truncated) gives
 * U+FFFD and uses that one byte, so decoding always makes progress. */
static size_t decode_or_replace(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k = utf8_decode((const char *)s, n, cp);
	if (k)
		return k;
	*cp = REPLACEMENT_CHAR;
	return 1;
}

/* Full-width forms of U+FF61..U+FF9F (the compatibility decompositions of the Unicode data). */
static const uint16_t halfwidth_kana[] = {
	0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, /* ｡｢｣､･ｦｧｨ */
	0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, /* ｩｪｫｬｭｮｯｰ */
	0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF, /* ｱｲｳｴｵｶｷｸ */
	0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, /* ｹｺｻｼｽｾｿﾀ */
	0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD, /* ﾁﾂﾃﾄﾅﾆﾇﾈ */
	0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF, /* ﾉﾊﾋﾌﾍﾎﾏﾐ */
	0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA, /* ﾑﾒﾓﾔﾕﾖﾗﾘ */
	0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, VOICED_MARK, SEMI_VOICED_MARK, /* ﾙﾚﾛﾜﾝﾞﾟ */
};

/* Returns the precomposed kana for katakana k followed by combining mark m, or 0 when Unicode
 * has none (canonical compositions of the Katakana block). */
static uint32_t kana_compose(uint32_t k, uint32_t m)
{
	bool hagyo = k == 0x30CF || k == 0x30D2 || k == 0x30D5 || k == 0x30D8 || k == 0x30DB;
	if (m == SEMI_VOICED_MARK)
		return hagyo ? k + 2 : 0;
	if (m != VOICED_MARK)
		return 0;
	if (hagyo)
		return k + 1;
	/* カキクケコサシスセソタチ: every other code point from カ to チ; then ツテト */
	if (k >= 0x30AB && k <= 0x30C1 && (k - 0x30AB) % 2 == 0)
		return k + 1;
	if (k == 0x30C4 || k == 0x30C6 || k == 0x30C8)
		return k + 1;
	switch (k) {
	case 0x30A6: /* ウ → ヴ */
		return 0x30F4;
	case 0x30EF: /* ワ → ヷ */
		return 0x30F7;
	case 0x30F2: /* ヲ → ヺ */
		return 0x30FA;
	default:
		return 0;
	}
}

/* Maps U+FF9E/U+FF9F to the combining marks and returns other code points unchanged. */
static uint32_t sound_mark(uint32_t cp)
{
	if (cp == 0xFF9E)
		return VOICED_MARK;
	if (cp == 0xFF9F)
		return SEMI_VOICED_MARK;
	return cp;
}

/* text_fold_map_new without the map (text.h); the caller frees the result. */
char *text_fold_new(const char *s, size_t len)
{
	return text_fold_map_new(s, len, NULL);
}

char *text_fold_map_new(const char *s, size_t len, size_t **map)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf out = {0};
	struct buf offs = {0};
	buf_append(&out, "", 0);
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t start = i;
		i += decode_or_replace(p + i, len - i, &cp);
		if (cp == 0) {
			cp = REPLACEMENT_CHAR;
		} else if (cp >= 0xFF01 && cp <= 0xFF5E) {
			cp -= 0xFEE0;
		} else if (cp == 0x3000) {
			cp = ' ';
		} else if (cp >= 0xFF61 && cp <= 0xFF9F) {
			cp = halfwidth_kana[cp - 0xFF61];
		}
		if (cp >= 0x30A1 && cp <= 0x30FA && i < len) {
			/* a katakana, full-width or just widened, takes a following sound mark */
			uint32_t next;
			size_t k = decode_or_replace(p + i, len - i, &next);
			uint32_t composed = kana_compose(cp, sound_mark(next));
			if (composed) {
				cp = composed;
				i += k;
			}
		}
		if (cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		size_t before = out.len;
		buf_put_codepoint(&out, cp);
		if (map)
			for (size_t j = before; j < out.len; j++)
				buf_append(&offs, &start, sizeof start);
	}
	if (map) {
		buf_append(&offs, &len, sizeof len);
		*map = (size_t *)(void *)offs.data;
	}
	return out.data;
}

size_t text_codepoints(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t count = 0;
	for (size_t i = 0; i < len; count++) {
		uint32_t cp;
		i += decode_or_replace(p + i, len - i, &cp);
	}
	return count;
}

/* True for ASCII whitespace, which separates search terms. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char *text_fts_query_new(const char *q, char ***short_terms)
{
	char *folded = text_fold_new(q, strlen(q));
	struct buf expr = {0};
	char **shorts = xcalloc(1, sizeof *shorts);
	size_t nshort = 0;

	for (const char *t = folded; *t;) {
		while (is_space(*t))
			t++;
		size_t n = 0;
		while (t[n] && !is_space(t[n]))
			n++;
		if (n == 0)
			break;
		if (text_codepoints(t, n) < 3) {
			shorts = xrealloc(shorts, (nshort + 2) * sizeof *shorts);
			shorts[nshort++] = xstrndup(t, n);
			shorts[nshort] = NULL;
		} else {
			if (expr.len)
				buf_puts(&expr, " ");
			buf_puts(&expr, "\"");
			for (size_t i = 0; i < n; i++) {
				if (t[i] == '"')
					buf_puts(&expr, "\"\"");
				else
					buf_append(&expr, &t[i], 1);
			}
			buf_puts(&expr, "\"");
		}
		t += n;
	}
	free(folded);
	if (short_terms)
		*short_terms = shorts;
	else
		text_terms_free(shorts);
	return expr.data; /* NULL when no term was added */
}

void text_terms_free(char **terms)
{
	if (!terms)
		return;
	for (char **p = terms; *p; p++)
		free(*p);
	free(terms);
}

char *text_like_escape_new(const char *s)
{
	struct buf out = {0};
	buf_append(&out, "", 0);
	for (; *s; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			buf_append(&out, "\\", 1);
		buf_append(&out, s, 1);
	}
	return out.data;
}

/* True for a code point text_blank ignores: Unicode White_Space and U+200B, U+2060, U+FEFF. */
static bool blank_cp(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
	       c == 0x205F || c == 0x2060 || c == 0x3000 || c == 0xFEFF;
}

bool text_blank(const char *s)
{
	size_t n = strlen(s);
	uint32_t cp;
	for (size_t i = 0, k; i < n; i += k)
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0 || !blank_cp(cp))
			return false;
	return true;
}

bool text_line_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return !text_blank(s);
}
