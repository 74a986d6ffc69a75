/* fuzz_markdown.c — libFuzzer target for markdown_render() and markdown_mentions_new(). Aborts
 * when the HTML breaks the promise of markdown.h: a tag or attribute outside the whitelist
 * (so any <script>, <img> or on...= handler), an href that is not http:, https: or mailto:,
 * an unescaped '>' or '"' in text, or invalid UTF-8 out of valid UTF-8 in. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "markdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const tags[] = {
	"p",  "h1", "h2",   "h3",    "h4",    "h5",    "h6", "blockquote", "ul", "ol", "li", "hr",
	"pre", "code", "table", "thead", "tbody", "tr", "th", "td", "em", "strong", "del", "br", "a",
};

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

static bool attr_ok(const char *tag, size_t tn, const char *name, size_t nn, const char *v, size_t vn)
{
	if (eq(tag, tn, "a") && eq(name, nn, "href"))
		return (vn >= 5 && !strncmp(v, "http:", 5)) || (vn >= 6 && !strncmp(v, "https:", 6)) ||
		       (vn >= 7 && !strncmp(v, "mailto:", 7));
	if (eq(tag, tn, "a") && eq(name, nn, "rel"))
		return eq(v, vn, "nofollow noopener noreferrer");
	if (eq(tag, tn, "ol") && eq(name, nn, "start"))
		return vn > 0 && strspn(v, "0123456789") >= vn;
	if ((eq(tag, tn, "th") || eq(tag, tn, "td")) && eq(name, nn, "align"))
		return eq(v, vn, "left") || eq(v, vn, "center") || eq(v, vn, "right");
	if (eq(tag, tn, "code") && eq(name, nn, "class"))
		return vn > 9 && !strncmp(v, "language-", 9);
	return false;
}

/* Returns NULL when html keeps to the whitelist, else what is wrong. */
static const char *html_problem(const char *html)
{
	const char *p = html;
	while (*p) {
		if (*p == '>' || *p == '"')
			return "unescaped > or \" in text";
		if (*p++ != '<')
			continue;
		if (*p == '/')
			p++;
		const char *tag = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			p++;
		size_t tn = (size_t)(p - tag);
		bool known = false;
		for (size_t i = 0; i < sizeof tags / sizeof tags[0] && !known; i++)
			known = eq(tag, tn, tags[i]);
		if (!known)
			return "tag not in whitelist";
		while (*p != '>') {
			if (*p++ != ' ')
				return "malformed tag";
			const char *name = p;
			while (*p >= 'a' && *p <= 'z')
				p++;
			size_t nn = (size_t)(p - name);
			if (p[0] != '=' || p[1] != '"')
				return "attribute without quoted value";
			p += 2;
			const char *v = p;
			while (*p && *p != '"' && *p != '<' && *p != '>')
				p++;
			if (*p != '"')
				return "attribute value not closed";
			if (!attr_ok(tag, tn, name, nn, v, (size_t)(p - v)))
				return "attribute or URL not allowed";
			p++;
		}
		p++;
	}
	if (strcasestr(html, "<script"))
		return "<script";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct buf out = {0};
	buf_puts(&out, "<p>"); /* markdown_render appends: keep what was there */
	if (markdown_render(src, size, &out) != 0)
		abort();
	const char *html = buf_cstr(&out);
	if (strncmp(html, "<p>", 3))
		abort();
	if (strlen(html) != out.len) {
		fprintf(stderr, "NUL byte in output\n");
		abort();
	}
	const char *why = html_problem(html);
	if (why) {
		fprintf(stderr, "unsafe output (%s):\n%s\n", why, html);
		abort();
	}
	if (utf8_valid(src, size) && !utf8_valid(out.data, out.len)) {
		fprintf(stderr, "invalid UTF-8 out of valid input:\n%s\n", html);
		abort();
	}
	buf_free(&out);

	char **names = markdown_mentions_new(src, size);
	for (char **n = names; *n; n++) {
		size_t len = strlen(*n);
		if (len == 0 || len > 64 || strspn(*n, "abcdefghijklmnopqrstuvwxyz"
						       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len)
			abort();
	}
	markdown_mentions_free(names);
	return 0;
}
