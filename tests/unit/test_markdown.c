/* test_markdown.c — markdown_render() must never let a script, an event handler, a foreign tag
 * or a non-http(s)/mailto URL through, whatever the spelling; and must still render the Markdown
 * people write (Japanese text, tables, code, links). Also markdown_mentions_new(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "markdown.h"

/* ---- the oracle: a strict reader of the HTML subset markdown.h promises ---- */

static const char *const tags[] = {
	"p",  "h1", "h2",    "h3",    "h4",    "h5", "h6", "blockquote", "ul",     "ol",  "li",
	"hr", "pre", "code", "table", "thead", "tbody", "tr", "th",      "td",     "em",  "strong",
	"del", "br", "a",
};

static bool tag_allowed(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (strlen(tags[i]) == n && !memcmp(tags[i], name, n))
			return true;
	return false;
}

static bool is_name_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

/* Checks that the attribute name=value may appear on the tag; href values must be absolute
 * http, https or mailto URLs. */
static bool attr_allowed(const char *tag, size_t tn, const char *name, size_t nn, const char *v,
			 size_t vn)
{
	if (is_name_eq(tag, tn, "a") && is_name_eq(name, nn, "href"))
		return (vn >= 5 && !strncmp(v, "http:", 5)) || (vn >= 6 && !strncmp(v, "https:", 6)) ||
		       (vn >= 7 && !strncmp(v, "mailto:", 7));
	if (is_name_eq(tag, tn, "a") && is_name_eq(name, nn, "rel"))
		return is_name_eq(v, vn, "nofollow noopener noreferrer");
	if (is_name_eq(tag, tn, "ol") && is_name_eq(name, nn, "start"))
		return vn > 0 && strspn(v, "0123456789") >= vn;
	if ((is_name_eq(tag, tn, "th") || is_name_eq(tag, tn, "td")) && is_name_eq(name, nn, "align"))
		return is_name_eq(v, vn, "left") || is_name_eq(v, vn, "center") ||
		       is_name_eq(v, vn, "right");
	if (is_name_eq(tag, tn, "code") && is_name_eq(name, nn, "class"))
		return vn > 9 && !strncmp(v, "language-", 9);
	return false;
}

/* Returns NULL when html uses only the promised tags and attributes and has no unescaped '>'
 * or '"' in text, or a description of the first problem. */
static const char *html_problem(const char *html)
{
	const char *p = html;
	while (*p) {
		if (*p == '>' || *p == '"')
			return "unescaped > or \" in text";
		if (*p != '<') {
			p++;
			continue;
		}
		p++;
		if (*p == '/')
			p++;
		const char *tag = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			p++;
		size_t tn = (size_t)(p - tag);
		if (!tag_allowed(tag, tn))
			return "tag not in whitelist";
		for (;;) {
			if (*p == '>') {
				p++;
				break;
			}
			if (*p != ' ')
				return "malformed tag";
			p++;
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
			if (!attr_allowed(tag, tn, name, nn, v, (size_t)(p - v)))
				return "attribute or URL not allowed";
			p++;
		}
	}
	if (strcasestr(html, "<script"))
		return "<script";
	/* the brief's pattern <[^>]* on[a-z]+= */
	for (const char *t = strchr(html, '<'); t; t = strchr(t + 1, '<')) {
		const char *end = strchr(t, '>');
		for (const char *q = t; end && q < end; q++) {
			if (q[0] == ' ' && q[1] == 'o' && q[2] == 'n') {
				const char *r = q + 3;
				while (*r >= 'a' && *r <= 'z')
					r++;
				if (r > q + 3 && *r == '=')
					return "event handler attribute";
			}
		}
	}
	return NULL;
}

/* Renders md, asserts the result is safe and valid UTF-8, and returns it (caller frees). */
static char *render(const char *md)
{
	struct buf b = {0};
	assert_int_equal(markdown_render(md, strlen(md), &b), 0);
	char *html = xstrdup(buf_cstr(&b));
	buf_free(&b);
	const char *why = html_problem(html);
	if (why)
		fail_msg("%s in output for input [%s]:\n%s", why, md, html);
	assert_true(utf8_valid(html, strlen(html)));
	return html;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected [%s] in:\n%s", needle, hay);
}

static void assert_not_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect [%s] in:\n%s", needle, hay);
}

/* Renders md, which must give no link at all but must still show visible_text. */
static void assert_no_link(const char *md, const char *visible_text)
{
	char *html = render(md);
	assert_not_contains(html, "<a");
	assert_not_contains(html, "href");
	assert_contains(html, visible_text);
	free(html);
}

/* ---- tests ---- */

static void test_oracle_rejects_bad_html(void **state)
{
	(void)state;
	/* the safety assertions above are only worth something if they can fail */
	assert_non_null(html_problem("<p><script>alert(1)</script></p>"));
	assert_non_null(html_problem("<img src=\"x\">"));
	assert_non_null(html_problem("<p onclick=\"x\">a</p>"));
	assert_non_null(html_problem("<a href=\"javascript:alert(1)\">x</a>"));
	assert_non_null(html_problem("<a href=\"/relative\">x</a>"));
	assert_non_null(html_problem("<a href=\"http://x\" rel=\"nofollow noopener noreferrer\" "
				     "onmouseover=\"x\">x</a>"));
	assert_non_null(html_problem("<p>a\"b</p>"));
	assert_null(html_problem("<p>a &amp; <a href=\"https://x/\" rel=\"nofollow noopener "
				 "noreferrer\">b</a></p>\n"));
}

static void test_script_is_text(void **state)
{
	(void)state;
	char *html = render("<script>alert(1)</script>\n\ntext <script src=//evil></script> "
			    "<SCRIPT>x</SCRIPT> <scr<script>ipt>");
	assert_contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_contains(html, "&lt;SCRIPT&gt;");
	free(html);
}

static void test_raw_html_is_text(void **state)
{
	(void)state;
	char *html = render("<img src=x onerror=alert(1)>\n\n"
			    "a <img src=\"x\" onerror=\"alert(1)\"> b <a href=\"javascript:x\">c</a>\n\n"
			    "<div onmouseover='x'>\n\n<iframe src=http://evil></iframe>\n\n"
			    "<!-- comment --> <?php x ?> <![CDATA[x]]>");
	assert_contains(html, "&lt;img src=x onerror=alert(1)&gt;");
	assert_contains(html, "&lt;img src=&quot;x&quot; onerror=&quot;alert(1)&quot;&gt;");
	assert_contains(html, "&lt;div onmouseover=&#39;x&#39;&gt;");
	assert_contains(html, "&lt;iframe");
	assert_contains(html, "&lt;!-- comment --&gt;");
	free(html);
}

static void test_javascript_links_all_spellings(void **state)
{
	(void)state;
	assert_no_link("[x](javascript:alert(1))", "x");
	assert_no_link("[x](JaVaScRiPt:alert(1))", "x");
	assert_no_link("[x](JAVASCRIPT:alert(1))", "x");
	assert_no_link("[x](<java\tscript:alert(1)>)", "x");
	assert_no_link("[x](java&#9;script:alert(1))", "x");
	assert_no_link("[x](java&#10;script:alert(1))", "x");
	assert_no_link("[x](java&#x0A;script:alert(1))", "x");
	assert_no_link("[x](&#106;avascript:alert(1))", "x");
	assert_no_link("[x](&#x6A;avascript:alert(1))", "x");
	assert_no_link("[x](&#0000106;avascript:alert(1))", "x");
	assert_no_link("[x](javascript&#58;alert(1))", "x");
	assert_no_link("[x](javascript&colon;alert(1))", "x");
	assert_no_link("[x](   javascript:alert(1))", "x");
	assert_no_link("[x](&#32;javascript:alert(1))", "x");
	assert_no_link("[x](&#x20;&#x20;javascript:alert(1))", "x");
	assert_no_link("[x](\x01javascript:alert(1))", "x");
	assert_no_link("[x](%6Aavascript:alert(1))", "x");
	assert_no_link("[x](<javascript:alert(1)>)", "x");
	assert_no_link("<javascript:alert(1)>", "javascript:alert(1)");
	assert_no_link("[x][r]\n\n[r]: javascript:alert(1)", "x");
	assert_no_link("[x][r]\n\n[r]: <JavaScript:alert(1)> \"title\"", "x");
	assert_no_link("[x](javascript:alert(1) \"http://ok\")", "x");
	assert_no_link("[x](javascript://%0Aalert(1))", "x");
}

static void test_other_schemes_dropped(void **state)
{
	(void)state;
	assert_no_link("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "x");
	assert_no_link("[x](DATA:text/html,<script>alert(1)</script>)", "x");
	assert_no_link("[x](vbscript:msgbox(1))", "x");
	assert_no_link("[x](file:///etc/passwd)", "x");
	assert_no_link("[x](ftp://example.com/)", "x");
	assert_no_link("<data:text/html,x>", "data:text/html,x");
	/* relative and fragment-only links are refused too (documented in markdown.h) */
	assert_no_link("[x](/threads/1)", "x");
	assert_no_link("[x](#top)", "x");
	assert_no_link("[x](//evil.example/)", "x");
	assert_no_link("[x](http//missing-colon)", "x");
	assert_no_link("[x]()", "x");
}

static void test_allowed_links(void **state)
{
	(void)state;
	char *html = render("[a](http://example.com/) [b](HTTPS://Example.com/p?q=1&r=2) "
			    "[c](mailto:someone@example.com) [d]( https://x.example/ \"title\")");
	assert_contains(html, "<a href=\"http://example.com/\" rel=\"nofollow noopener "
			      "noreferrer\">a</a>");
	assert_contains(html, "<a href=\"https://Example.com/p?q=1&amp;r=2\" rel=\"nofollow "
			      "noopener noreferrer\">b</a>");
	assert_contains(html, "<a href=\"mailto:someone@example.com\" rel=\"nofollow noopener "
			      "noreferrer\">c</a>");
	assert_contains(html, "<a href=\"https://x.example/\" rel=\"nofollow noopener "
			      "noreferrer\">d</a>");
	assert_not_contains(html, "title");
	free(html);

	/* entities in URLs are decoded before the check, so an encoded allowed scheme still works */
	html = render("[e](&#104;ttps://x.example/?a=1&amp;b=2)");
	assert_contains(html, "href=\"https://x.example/?a=1&amp;b=2\"");
	free(html);

	/* control characters are removed before the check and from the href, as a browser would */
	html = render("[f](&#10;ht&#9;tps://y.example/a&#13;b) [g](<\x01mailto:m@example.com>)");
	assert_contains(html, "href=\"https://y.example/ab\"");
	assert_contains(html, "href=\"mailto:m@example.com\"");
	free(html);
}

static void test_autolinks(void **state)
{
	(void)state;
	char *html = render("<https://example.com/a> and https://example.org/b?x=1 and "
			    "www.example.net and mail bob@example.com or <mailto:al@example.com>");
	assert_contains(html, "<a href=\"https://example.com/a\" rel=\"nofollow noopener "
			      "noreferrer\">https://example.com/a</a>");
	assert_contains(html, "href=\"https://example.org/b?x=1\"");
	assert_contains(html, "href=\"http://www.example.net\"");
	assert_contains(html, "href=\"mailto:bob@example.com\"");
	assert_contains(html, "href=\"mailto:al@example.com\"");
	free(html);
}

static void test_attribute_quotes(void **state)
{
	(void)state;
	char *html = render("[x](http://a.example/\"onmouseover=\"alert(1)) "
			    "[y](<http://b.example/\" onclick=\"x>) [z](http://c.example/'x'>)");
	assert_contains(html, "href=\"http://a.example/%22onmouseover=%22alert(1)\"");
	assert_contains(html, "href=\"http://b.example/%22%20onclick=%22x\"");
	assert_contains(html, "href=\"http://c.example/&#39;x&#39;%3E\"");
	free(html);

	/* non-ASCII in a URL is percent-encoded, its text shown as written */
	html = render("<https://例え.jp/パス>");
	assert_contains(html, "href=\"https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9\"");
	assert_contains(html, ">https://例え.jp/パス</a>");
	free(html);
}

static void test_images_never_load(void **state)
{
	(void)state;
	char *html = render("![a cat](https://img.example/cat.png \"t\")");
	assert_not_contains(html, "<img");
	assert_contains(html, "<a href=\"https://img.example/cat.png\" rel=\"nofollow noopener "
			      "noreferrer\">a cat</a>");
	free(html);

	html = render("![](https://img.example/x.png)");
	assert_contains(html, ">https://img.example/x.png</a>");
	free(html);

	assert_no_link("![alt text](javascript:alert(1))", "alt text");
	assert_no_link("![alt text](data:image/png;base64,AAAA)", "alt text");
	assert_no_link("![alt text](/local.png)", "alt text");

	/* an image inside a link: one anchor only, the image reduced to its alt text */
	html = render("[![logo](https://img.example/l.png)](https://site.example/)");
	assert_contains(html, "<a href=\"https://site.example/\" rel=\"nofollow noopener "
			      "noreferrer\">logo</a>");
	assert_not_contains(html, "img.example");
	free(html);

	html = render("![x ![y](http://b.example/)](http://a.example/)");
	assert_contains(html, "href=\"http://a.example/\"");
	assert_not_contains(html, "b.example");
	free(html);
}

static void test_nested_emphasis_and_blocks(void **state)
{
	(void)state;
	char *html = render("***both** then em* ~~gone~~ `co<de>`\n\n# Title\n\n> quote **b**\n\n"
			    "- a\n- b\n\n3. three\n4. four\n\n---\nline  \nbreak");
	assert_contains(html, "<em><strong>both</strong> then em</em>");
	assert_contains(html, "<del>gone</del>");
	assert_contains(html, "<code>co&lt;de&gt;</code>");
	assert_contains(html, "<h1>Title</h1>");
	assert_contains(html, "<blockquote>\n<p>quote <strong>b</strong></p>\n</blockquote>");
	assert_contains(html, "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
	assert_contains(html, "<ol start=\"3\">\n<li>three</li>");
	assert_contains(html, "<hr>");
	assert_contains(html, "line<br>\nbreak");
	free(html);
}

static void test_code_blocks_escape(void **state)
{
	(void)state;
	char *html = render("```c\nif (a < b && c > d) puts(\"<script>\");\n```\n\n"
			    "    <b>indented</b>\n\n```\"onclick=x\n<i>\n```");
	assert_contains(html, "<pre><code class=\"language-c\">if (a &lt; b &amp;&amp; c &gt; d) "
			      "puts(&quot;&lt;script&gt;&quot;);\n</code></pre>");
	assert_contains(html, "<pre><code>&lt;b&gt;indented&lt;/b&gt;\n</code></pre>");
	assert_contains(html, "<pre><code>&lt;i&gt;\n</code></pre>");
	free(html);
}

static void test_japanese_passes_through(void **state)
{
	(void)state;
	const char *ja = "日本語のテキスト、「引用」と半角ｶﾀｶﾅ、絵文字😀も。";
	char buf[512];
	snprintf(buf, sizeof buf, "%s\n\n**強調**と*斜体*", ja);
	char *html = render(buf);
	assert_contains(html, ja);
	assert_contains(html, "<strong>強調</strong>と<em>斜体</em>");
	free(html);
}

static void test_tables(void **state)
{
	(void)state;
	char *html = render("| 名前 | 数 | 備考 |\n|:---|---:|:---:|\n| りんご | 3 | <b>x</b> |\n");
	assert_contains(html, "<table>\n<thead>\n<tr>\n<th align=\"left\">名前</th>\n"
			      "<th align=\"right\">数</th>\n<th align=\"center\">備考</th>\n");
	assert_contains(html, "<tbody>\n<tr>\n<td align=\"left\">りんご</td>");
	assert_contains(html, "<td align=\"center\">&lt;b&gt;x&lt;/b&gt;</td>");
	free(html);
}

static void test_entities_and_bytes(void **state)
{
	(void)state;
	char *html = render("&amp; &lt;script&gt; &#60;script&#62; &hellip; &#0; &#x110000; &#xD800; "
			    "&#x3042; &bogus");
	assert_contains(html, "&amp; &lt;script&gt; &lt;script&gt; &hellip; \xEF\xBF\xBD "
			      "\xEF\xBF\xBD \xEF\xBF\xBD あ &amp;bogus");
	free(html);

	/* invalid UTF-8 and NUL in the input still give valid UTF-8 out */
	const char bad[] = "a\xFF\xC0\x80 b\xE3\x81 \xF0\x9F\x98\x80 c\0d";
	struct buf b = {0};
	assert_int_equal(markdown_render(bad, sizeof bad - 1, &b), 0);
	assert_true(utf8_valid(b.data, b.len));
	assert_null(html_problem(buf_cstr(&b)));
	assert_non_null(memmem(b.data, b.len, "\xF0\x9F\x98\x80", 4));
	assert_non_null(memmem(b.data, b.len, "c\xEF\xBF\xBD" "d", 5));
	buf_free(&b);

	/* NUL inside code reaches the renderer raw; it must not cut the HTML short */
	const char code[] = "```\na\0b\n```\n`c\0d` e";
	assert_int_equal(markdown_render(code, sizeof code - 1, &b), 0);
	assert_int_equal(strlen(buf_cstr(&b)), b.len);
	/* (md4c 0.4.8 reports a NUL in a code block twice, hence one or two U+FFFD) */
	assert_true(strstr(b.data, "<pre><code>a\xEF\xBF\xBD" "b\n</code></pre>\n") ||
		    strstr(b.data, "<pre><code>a\xEF\xBF\xBD\xEF\xBF\xBD" "b\n</code></pre>\n"));
	assert_non_null(strstr(b.data, "<p><code>c\xEF\xBF\xBD" "d</code> e</p>\n"));
	buf_free(&b);
}

static void test_input_not_read_past_len(void **state)
{
	(void)state;
	/* md4c 0.4.8 reads the byte after its input; when that byte is ')' after an unclosed link
	 * it runs off the end and crashes. markdown_render must look only at src[0..len). */
	const char *const cases[][2] = {
		{"[a](b)", "<p>[a](b</p>\n"},
		{"[in](htt%o)", "<p>[in](htt%o</p>\n"},
		{"x [a](b \"t\")", "<p>x [a](b &quot;t&quot;</p>\n"},
		{"![i](https://x/)", "<p>![i](https://x/</p>\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0};
		assert_int_equal(markdown_render(cases[i][0], strlen(cases[i][0]) - 1, &b), 0);
		assert_string_equal(buf_cstr(&b), cases[i][1]);
		buf_free(&b);
		char **m = markdown_mentions_new(cases[i][0], strlen(cases[i][0]) - 1);
		assert_null(m[0]);
		markdown_mentions_free(m);
	}
}

static void test_appends_to_buffer(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_puts(&b, "<div>");
	assert_int_equal(markdown_render("[x](javascript:y)", 17, &b), 0);
	assert_int_equal(markdown_render("", 0, &b), 0);
	assert_string_equal(buf_cstr(&b), "<div><p>x</p>\n");
	buf_free(&b);
}

static void assert_mentions(const char *md, const char *const *want, size_t n)
{
	char **got = markdown_mentions_new(md, strlen(md));
	size_t i = 0;
	for (; got[i]; i++) {
		if (i >= n)
			fail_msg("unexpected mention @%s in [%s]", got[i], md);
		assert_string_equal(got[i], want[i]);
	}
	assert_int_equal(i, n);
	markdown_mentions_free(got);
}

static void test_mentions(void **state)
{
	(void)state;
	const char *const a[] = {"alice", "bob.k", "c_d-e"};
	assert_mentions("hi @alice, @bob.k. and (@c_d-e) @alice again", a, 3);
	assert_mentions("mail bob@example.com or `@code` or\n\n```\n@block\n```\n", NULL, 0);
	const char *const b[] = {"x"};
	assert_mentions("**@x** @ @. @@x 山田@例", b, 1);
	char long_name[80];
	memset(long_name, 'a', sizeof long_name);
	long_name[0] = '@';
	long_name[sizeof long_name - 1] = 0;
	assert_mentions(long_name, NULL, 0);
	markdown_mentions_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_rejects_bad_html),
		cmocka_unit_test(test_script_is_text),
		cmocka_unit_test(test_raw_html_is_text),
		cmocka_unit_test(test_javascript_links_all_spellings),
		cmocka_unit_test(test_other_schemes_dropped),
		cmocka_unit_test(test_allowed_links),
		cmocka_unit_test(test_autolinks),
		cmocka_unit_test(test_attribute_quotes),
		cmocka_unit_test(test_images_never_load),
		cmocka_unit_test(test_nested_emphasis_and_blocks),
		cmocka_unit_test(test_code_blocks_escape),
		cmocka_unit_test(test_japanese_passes_through),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_entities_and_bytes),
		cmocka_unit_test(test_input_not_read_past_len),
		cmocka_unit_test(test_appends_to_buffer),
		cmocka_unit_test(test_mentions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
