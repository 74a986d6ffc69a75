/* markdown.c — renders user Markdown to safe HTML with our own md4c callbacks, and extracts
 * @mentions. md4c only parses; every byte of markup written here comes from a string literal in
 * this file, so user text can reach the output only through html_escape() or url_append(). That
 * is why md4c-html is not used: its output would need a sanitiser, ours cannot need one. */
#include "markdown.h"

#include <md4c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parser dialect: GitHub's extensions minus task lists (they would need <input>), raw HTML off. */
#define MARKDOWN_FLAGS                                                                           \
	(MD_FLAG_NOHTML | MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_PERMISSIVEAUTOLINKS)

/* md4c 0.4.8 reads a byte past the end of its input (valgrind shows it on ordinary text), and
 * with an unlucky byte there ("[a](b" followed by ')') reports text that runs past the end. So
 * md4c parses a private copy followed by this many NUL bytes, and text is clamped to the copy. */
#define INPUT_PAD 16

#define MENTION_MAX_LEN 64
#define MENTION_MAX_COUNT 100

static const char replacement_char[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Rendering state for one markdown_render() call. At most one <a> is open at a time: a link or
 * image nested in an emitted one is shown as text, so the HTML never nests anchors. */
struct render {
	struct buf *out;
	uintptr_t src, src_end; /* the padded copy md4c parses, for clamp_text() */
	unsigned link_depth; /* open A and IMG spans, emitted or not */
	unsigned emit_depth; /* link_depth at which the open <a> was emitted; 0 when none */
	size_t img_mark;     /* out->len just after an emitted image's <a ...> */
};

/* Appends s[0..n) escaped for HTML text and double- or single-quoted attribute values; NUL
 * becomes U+FFFD, as an HTML parser would make it. */
static void html_escape(struct buf *b, const char *s, size_t n)
{
	if (n == 0) /* s may be NULL */
		return;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\0': /* md4c passes NUL through in code; it must not cut the HTML short */
			rep = replacement_char;
			break;
		default:
			continue;
		}
		buf_append(b, s + run, i - run);
		buf_puts(b, rep);
		run = i + 1;
	}
	buf_append(b, s + run, n - run);
}

/* The few named entities whose meaning matters inside a URL; any other named entity in a URL
 * stays literal text (and is then escaped), which can only make a link fail, never pass. */
static const struct {
	const char *name;
	uint32_t cp;
} named_entities[] = {
	{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''},
	{"&nbsp;", 0xA0},
};

/* Decodes a numeric entity "&#123;" or "&#x7B;" (as md4c reports them, at most 7 digits).
 * Returns false when s is not one. */
static bool entity_numeric(const char *s, size_t n, uint32_t *cp)
{
	if (n < 4 || s[0] != '&' || s[1] != '#' || s[n - 1] != ';')
		return false;
	bool hex = s[2] == 'x' || s[2] == 'X';
	size_t i = hex ? 3 : 2;
	if (i >= n - 1 || n - 1 - i > 8)
		return false;
	uint32_t v = 0;
	for (; i < n - 1; i++) {
		unsigned c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (hex && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (hex && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v * (hex ? 16 : 10) + d;
	}
	*cp = v;
	return true;
}

/* Appends the decoded value of entity s[0..n) to b (unescaped); unknown ones stay literal. */
static void entity_decode(struct buf *b, const char *s, size_t n)
{
	uint32_t cp;
	if (entity_numeric(s, n, &cp)) {
		buf_put_codepoint(b, cp);
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(named_entities); i++) {
		if (strlen(named_entities[i].name) == n && !memcmp(named_entities[i].name, s, n)) {
			buf_put_codepoint(b, named_entities[i].cp);
			return;
		}
	}
	buf_append(b, s, n);
}

/* True when s[0..n) is "&name;" with an ASCII alphanumeric name starting with a letter: inert
 * in HTML text, so it may be passed through for the browser to decode. */
static bool entity_named_syntax(const char *s, size_t n)
{
	if (n < 3 || s[0] != '&' || s[n - 1] != ';')
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
		if (!alpha && !(i > 1 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

/* Writes an entity reported in text: numeric and well-known ones decoded and re-escaped (so the
 * output never carries an invalid code point), other named ones as written by the user. */
static void entity_text(struct buf *b, const char *s, size_t n)
{
	uint32_t cp;
	bool known = entity_numeric(s, n, &cp);
	for (size_t i = 0; !known && i < ARRAY_LEN(named_entities); i++)
		known = strlen(named_entities[i].name) == n && !memcmp(named_entities[i].name, s, n);
	if (known) {
		struct buf tmp = {0};
		entity_decode(&tmp, s, n);
		html_escape(b, tmp.data, tmp.len);
		buf_free(&tmp);
	} else if (entity_named_syntax(s, n)) {
		buf_append(b, s, n);
	} else {
		html_escape(b, s, n);
	}
}

/* Appends the decoded value of an md4c attribute (entities resolved, NUL → U+FFFD) to b. */
static void attr_decode(struct buf *b, const MD_ATTRIBUTE *a)
{
	if (a->size == 0) /* md4c then passes text == NULL, which memcpy must not see */
		return;
	if (!a->substr_offsets) {
		buf_append(b, a->text, a->size);
		return;
	}
	for (size_t i = 0; a->substr_offsets[i] < a->size; i++) {
		const char *s = a->text + a->substr_offsets[i];
		size_t n = a->substr_offsets[i + 1] - a->substr_offsets[i];
		if (a->substr_types[i] == MD_TEXT_ENTITY)
			entity_decode(b, s, n);
		else if (a->substr_types[i] == MD_TEXT_NULLCHAR)
			buf_puts(b, replacement_char);
		else
			buf_append(b, s, n);
	}
}

static const char *const allowed_schemes[] = {"http:", "https:", "mailto:"};

/* Appends the safe form of URL attribute a to out, ready for a double-quoted attribute and for
 * HTML text, and returns true; returns false (appending nothing) when the URL is refused.
 *
 * The check runs on what a browser would see: entities decoded, then every ASCII control
 * character removed (browsers drop tab and newline anywhere, so "java\tscript:" is
 * "javascript:") and surrounding spaces trimmed. The result must begin with an allowed scheme;
 * that is also how it is written, scheme lowercased, so the check and the href cannot differ.
 * Relative and fragment-only URLs are refused: a post's links must say where they go. Non-ASCII
 * bytes and characters not allowed in URLs are percent-encoded. */
static bool url_append(struct buf *out, const MD_ATTRIBUTE *a)
{
	struct buf raw = {0}, clean = {0};
	attr_decode(&raw, a);
	for (size_t i = 0; i < raw.len; i++) {
		unsigned char c = (unsigned char)raw.data[i];
		if (c >= 0x20 && c != 0x7F)
			buf_append(&clean, &raw.data[i], 1);
	}
	buf_free(&raw);
	const char *s = buf_cstr(&clean);
	size_t n = clean.len;
	while (n && *s == ' ') {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;

	size_t scheme_len = 0;
	for (size_t i = 0; i < ARRAY_LEN(allowed_schemes) && !scheme_len; i++) {
		size_t k = strlen(allowed_schemes[i]);
		if (n >= k && !strncasecmp(s, allowed_schemes[i], k)) {
			scheme_len = k;
			buf_puts(out, allowed_schemes[i]);
		}
	}
	if (!scheme_len) {
		buf_free(&clean);
		return false;
	}
	for (size_t i = scheme_len; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || (c && strchr(" \"<>\\^`{|}", c))) {
			buf_printf(out, "%%%02X", c);
		} else if (c == '&') {
			buf_puts(out, "&amp;");
		} else if (c == '\'') {
			buf_puts(out, "&#39;");
		} else {
			buf_append(out, &s[i], 1);
		}
	}
	buf_free(&clean);
	return true;
}

/* Opens <a> for a link or image span unless one is already open or the URL is refused. */
static void anchor_enter(struct render *r, const MD_ATTRIBUTE *url, bool is_image)
{
	r->link_depth++;
	if (r->emit_depth)
		return;
	size_t start = r->out->len;
	buf_puts(r->out, "<a href=\"");
	if (!url_append(r->out, url)) {
		r->out->len = start;
		r->out->data[start] = 0;
		return;
	}
	buf_puts(r->out, "\" rel=\"nofollow noopener noreferrer\">");
	r->emit_depth = r->link_depth;
	r->img_mark = is_image ? r->out->len : SIZE_MAX;
}

/* Closes the <a> opened at this depth; an image link with no alt text shows its URL. */
static void anchor_leave(struct render *r, const MD_ATTRIBUTE *url)
{
	if (r->emit_depth && r->emit_depth == r->link_depth) {
		if (r->img_mark == r->out->len)
			url_append(r->out, url);
		buf_puts(r->out, "</a>");
		r->emit_depth = 0;
	}
	r->link_depth--;
}

/* The align attribute of a table cell for md4c's alignment, or "" for none. */
static const char *align_attr(MD_ALIGN align)
{
	switch (align) {
	case MD_ALIGN_LEFT:
		return " align=\"left\"";
	case MD_ALIGN_CENTER:
		return " align=\"center\"";
	case MD_ALIGN_RIGHT:
		return " align=\"right\"";
	default:
		return "";
	}
}

/* Writes <pre><code>, with class="language-X" when the fence's language is a plain word. */
static void code_block_enter(struct buf *out, const MD_BLOCK_CODE_DETAIL *d)
{
	struct buf lang = {0};
	attr_decode(&lang, &d->lang);
	bool ok = lang.len > 0 && lang.len <= 32;
	for (size_t i = 0; ok && i < lang.len; i++) {
		unsigned char c = (unsigned char)lang.data[i];
		ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
		     (c && strchr("_+#.-", c));
	}
	if (ok) {
		buf_puts(out, "<pre><code class=\"language-");
		buf_append(out, lang.data, lang.len);
		buf_puts(out, "\">");
	} else {
		buf_puts(out, "<pre><code>");
	}
	buf_free(&lang);
}

/* md4c enter_block: writes a block's opening tag (only numbers and fixed words in attributes). */
static int cb_enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct render *r = userdata;
	struct buf *out = r->out;
	switch (type) {
	case MD_BLOCK_QUOTE:
		buf_puts(out, "<blockquote>\n");
		break;
	case MD_BLOCK_UL:
		buf_puts(out, "<ul>\n");
		break;
	case MD_BLOCK_OL: {
		const MD_BLOCK_OL_DETAIL *d = detail;
		if (d->start == 1)
			buf_puts(out, "<ol>\n");
		else
			buf_printf(out, "<ol start=\"%u\">\n", d->start);
		break;
	}
	case MD_BLOCK_LI:
		buf_puts(out, "<li>");
		break;
	case MD_BLOCK_HR:
		buf_puts(out, "<hr>\n");
		break;
	case MD_BLOCK_H: {
		const MD_BLOCK_H_DETAIL *d = detail;
		buf_printf(out, "<h%u>", d->level >= 1 && d->level <= 6 ? d->level : 6);
		break;
	}
	case MD_BLOCK_CODE:
		code_block_enter(out, detail);
		break;
	case MD_BLOCK_P:
		buf_puts(out, "<p>");
		break;
	case MD_BLOCK_TABLE:
		buf_puts(out, "<table>\n");
		break;
	case MD_BLOCK_THEAD:
		buf_puts(out, "<thead>\n");
		break;
	case MD_BLOCK_TBODY:
		buf_puts(out, "<tbody>\n");
		break;
	case MD_BLOCK_TR:
		buf_puts(out, "<tr>\n");
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD: {
		const MD_BLOCK_TD_DETAIL *d = detail;
		buf_printf(out, "<%s%s>", type == MD_BLOCK_TH ? "th" : "td", align_attr(d->align));
		break;
	}
	default: /* MD_BLOCK_DOC; MD_BLOCK_HTML cannot occur with MD_FLAG_NOHTML */
		break;
	}
	return 0;
}

/* md4c leave_block: writes a block's closing tag. */
static int cb_leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct render *r = userdata;
	struct buf *out = r->out;
	switch (type) {
	case MD_BLOCK_QUOTE:
		buf_puts(out, "</blockquote>\n");
		break;
	case MD_BLOCK_UL:
		buf_puts(out, "</ul>\n");
		break;
	case MD_BLOCK_OL:
		buf_puts(out, "</ol>\n");
		break;
	case MD_BLOCK_LI:
		buf_puts(out, "</li>\n");
		break;
	case MD_BLOCK_H: {
		const MD_BLOCK_H_DETAIL *d = detail;
		buf_printf(out, "</h%u>\n", d->level >= 1 && d->level <= 6 ? d->level : 6);
		break;
	}
	case MD_BLOCK_CODE:
		buf_puts(out, "</code></pre>\n");
		break;
	case MD_BLOCK_P:
		buf_puts(out, "</p>\n");
		break;
	case MD_BLOCK_TABLE:
		buf_puts(out, "</table>\n");
		break;
	case MD_BLOCK_THEAD:
		buf_puts(out, "</thead>\n");
		break;
	case MD_BLOCK_TBODY:
		buf_puts(out, "</tbody>\n");
		break;
	case MD_BLOCK_TR:
		buf_puts(out, "</tr>\n");
		break;
	case MD_BLOCK_TH:
		buf_puts(out, "</th>\n");
		break;
	case MD_BLOCK_TD:
		buf_puts(out, "</td>\n");
		break;
	default:
		break;
	}
	return 0;
}

/* md4c enter_span: writes an inline span's opening tag; links and images go to anchor_enter. */
static int cb_enter_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct render *r = userdata;
	switch (type) {
	case MD_SPAN_EM:
		buf_puts(r->out, "<em>");
		break;
	case MD_SPAN_STRONG:
		buf_puts(r->out, "<strong>");
		break;
	case MD_SPAN_CODE:
		buf_puts(r->out, "<code>");
		break;
	case MD_SPAN_DEL:
		buf_puts(r->out, "<del>");
		break;
	case MD_SPAN_A:
		anchor_enter(r, &((const MD_SPAN_A_DETAIL *)detail)->href, false);
		break;
	case MD_SPAN_IMG:
		anchor_enter(r, &((const MD_SPAN_IMG_DETAIL *)detail)->src, true);
		break;
	default: /* extensions not enabled in MARKDOWN_FLAGS */
		break;
	}
	return 0;
}

/* md4c leave_span: writes an inline span's closing tag; links and images go to anchor_leave. */
static int cb_leave_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct render *r = userdata;
	switch (type) {
	case MD_SPAN_EM:
		buf_puts(r->out, "</em>");
		break;
	case MD_SPAN_STRONG:
		buf_puts(r->out, "</strong>");
		break;
	case MD_SPAN_CODE:
		buf_puts(r->out, "</code>");
		break;
	case MD_SPAN_DEL:
		buf_puts(r->out, "</del>");
		break;
	case MD_SPAN_A:
		anchor_leave(r, &((const MD_SPAN_A_DETAIL *)detail)->href);
		break;
	case MD_SPAN_IMG:
		anchor_leave(r, &((const MD_SPAN_IMG_DETAIL *)detail)->src);
		break;
	default:
		break;
	}
	return 0;
}

/* Returns a new copy of src[0..len) followed by INPUT_PAD NUL bytes (see INPUT_PAD). */
static char *input_copy_new(const char *src, size_t len)
{
	char *copy = xmalloc(len + INPUT_PAD);
	if (len)
		memcpy(copy, src, len);
	memset(copy + len, 0, INPUT_PAD);
	return copy;
}

/* Returns size cut so that text, when it points into the input copy [src, src_end + INPUT_PAD),
 * does not reach beyond src_end. Text elsewhere (md4c's own constants) is left alone. */
static MD_SIZE clamp_text(uintptr_t src, uintptr_t src_end, const MD_CHAR *text, MD_SIZE size)
{
	uintptr_t t = (uintptr_t)text;
	if (t < src || t >= src_end + INPUT_PAD || t + size <= src_end)
		return size;
	return t < src_end ? (MD_SIZE)(src_end - t) : 0;
}

/* md4c text: writes a run of text, clamped to the input, escaped; entities through entity_text, NUL
 * as U+FFFD, hard breaks as <br>. */
static int cb_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *userdata)
{
	struct render *r = userdata;
	size = clamp_text(r->src, r->src_end, text, size);
	switch (type) {
	case MD_TEXT_NULLCHAR:
		buf_puts(r->out, replacement_char);
		break;
	case MD_TEXT_BR:
		buf_puts(r->out, "<br>\n");
		break;
	case MD_TEXT_SOFTBR:
		buf_puts(r->out, "\n");
		break;
	case MD_TEXT_ENTITY:
		entity_text(r->out, text, size);
		break;
	default: /* NORMAL, CODE, and HTML/LATEXMATH should they ever appear: all plain text */
		html_escape(r->out, text, size);
		break;
	}
	return 0;
}

/* Replaces every byte of b->data[from..] that is not part of valid UTF-8 with U+FFFD. */
static void utf8_repair(struct buf *b, size_t from)
{
	if (utf8_valid(b->data + from, b->len - from))
		return;
	struct buf fixed = {0};
	const unsigned char *p = (const unsigned char *)b->data + from;
	size_t n = b->len - from;
	while (n) {
		uint32_t cp;
		size_t k = utf8_decode((const char *)p, n, &cp);
		if (k) {
			buf_append(&fixed, p, k);
		} else {
			buf_puts(&fixed, replacement_char);
			k = 1;
		}
		p += k;
		n -= k;
	}
	b->len = from;
	buf_append(b, fixed.data, fixed.len);
	buf_free(&fixed);
}

int markdown_render(const char *src, size_t len, struct buf *out)
{
	if (len > UINT32_MAX)
		return -1;
	MD_PARSER parser = {
		.flags = MARKDOWN_FLAGS,
		.enter_block = cb_enter_block,
		.leave_block = cb_leave_block,
		.enter_span = cb_enter_span,
		.leave_span = cb_leave_span,
		.text = cb_text,
	};
	char *copy = input_copy_new(src, len);
	struct render r = {.out = out, .src = (uintptr_t)copy, .src_end = (uintptr_t)copy + len};
	size_t start = out->len;
	buf_append(out, "", 0); /* so anchor_enter may always write out->data[start] */
	int rc = md_parse(copy, (MD_SIZE)len, &parser, &r) != 0 ? -1 : 0;
	free(copy);
	if (rc == 0)
		utf8_repair(out, start);
	return rc;
}

/* Mention extraction: md4c flattens the document to the text a reader sees, with a separator at
 * every block, code span and entity boundary, so code and markup never join into a name. */
struct flatten {
	struct buf text;
	uintptr_t src, src_end;
};

/* md4c enter_block and leave_block for mentions: a block boundary separates (a newline). */
static int cb_mention_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct flatten *f = userdata;
	(void)type;
	(void)detail;
	buf_puts(&f->text, "\n");
	return 0;
}

/* md4c enter_span and leave_span for mentions: a code span's edges separate, so no name runs into
 * or out of it. */
static int cb_mention_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct flatten *f = userdata;
	(void)detail;
	if (type == MD_SPAN_CODE)
		buf_puts(&f->text, "\n");
	return 0;
}

/* md4c text for mentions: appends normal text to the flattened document; any other text (code,
 * entities, breaks, NUL) becomes a separator. */
static int cb_mention_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *userdata)
{
	struct flatten *f = userdata;
	size = clamp_text(f->src, f->src_end, text, size);
	if (type != MD_TEXT_NORMAL)
		buf_puts(&f->text, "\n");
	else if (size > 0) /* text may be NULL when size is 0 */
		buf_append(&f->text, text, size);
	return 0;
}

/* True for a character of a mention's name: an ASCII letter or digit, '.', '_' or '-'. */
static bool mention_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

char **markdown_mentions_new(const char *src, size_t len)
{
	char **names = xcalloc(MENTION_MAX_COUNT + 1, sizeof *names);
	size_t count = 0;
	char *copy = NULL;
	struct flatten f = {0};
	MD_PARSER parser = {
		.flags = MARKDOWN_FLAGS,
		.enter_block = cb_mention_block,
		.leave_block = cb_mention_block,
		.enter_span = cb_mention_span,
		.leave_span = cb_mention_span,
		.text = cb_mention_text,
	};
	if (len > UINT32_MAX)
		goto out;
	copy = input_copy_new(src, len);
	f.src = (uintptr_t)copy;
	f.src_end = (uintptr_t)copy + len;
	if (md_parse(copy, (MD_SIZE)len, &parser, &f) != 0)
		goto out;

	const char *s = buf_cstr(&f.text);
	size_t flat_len = f.text.len;
	for (size_t i = 0; i < flat_len && count < MENTION_MAX_COUNT; i++) {
		if (s[i] != '@' || (i > 0 && mention_char(s[i - 1])))
			continue;
		const char *name = s + i + 1;
		size_t n = 0;
		while (i + 1 + n < flat_len && mention_char(name[n]))
			n++;
		i += n; /* the loop's i++ then lands on the character after the name */
		while (n && name[n - 1] == '.')
			n--;
		if (n == 0 || n > MENTION_MAX_LEN)
			continue;
		bool dup = false;
		for (size_t k = 0; k < count && !dup; k++)
			dup = strlen(names[k]) == n && !memcmp(names[k], name, n);
		if (!dup)
			names[count++] = xstrndup(name, n);
	}
out:
	buf_free(&f.text);
	free(copy);
	return names;
}

void markdown_mentions_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}
