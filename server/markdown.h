/* markdown.h — user Markdown to safe HTML, and @mention extraction. Pure functions over md4c:
 * no database, no network, no global state; safe to call from any thread.
 * The HTML is built from a fixed whitelist of tags and attributes, so no tag, attribute or URL
 * scheme can come from user text (docs/API.md §5). */
#ifndef MAMORI_MARKDOWN_H
#define MAMORI_MARKDOWN_H

#include <stddef.h>

#include "util.h"

/* Renders Markdown src[0..len) (CommonMark with GitHub tables, strikethrough and permissive
 * autolinks; raw HTML is shown as text) to safe HTML appended to out. Returns 0, or -1 when md4c
 * fails (out may then hold a partial rendering; the caller discards it).
 *
 * Output contract:
 *  - tags come only from: p h1-h6 blockquote ul ol li hr pre code table thead tbody tr th td em
 *    strong del br a; the only attributes are ol start (a number), th/td align (left, center,
 *    right), code class "language-X" (X from [A-Za-z0-9_+#.-]) and a href/rel;
 *  - a link is emitted only when its target, after HTML entities are decoded and ASCII control
 *    characters and surrounding spaces are removed, starts with http:, https: or mailto:
 *    (any case). Relative, fragment-only and every other scheme (javascript:, data:, vbscript:,
 *    file: ...) are rendered as their plain text without an <a>. Emitted links carry
 *    rel="nofollow noopener noreferrer"; link titles are dropped;
 *  - images never load: an image becomes a link to its source (same scheme rule) whose text is
 *    the alt text, or the source URL when the alt text is empty; inside a link, or with a
 *    refused source, only the alt text is shown;
 *  - all text is escaped; the appended bytes are valid UTF-8 without NUL (invalid input bytes
 *    and NUL become U+FFFD), so the result can be used as a C string.
 * Thread-safe. */
int markdown_render(const char *src, size_t len, struct buf *out);

/* Returns the distinct @mentions of src[0..len) in order of first appearance: a name is the run
 * of ASCII letters, digits, '.', '_' and '-' after an '@' that does not follow such a character
 * (so e-mail addresses do not count), with trailing '.' removed, 1 to 64 characters long. Text
 * in code spans and code blocks is ignored. At most 100 names are returned. The result is a
 * NULL-terminated array of new strings (never NULL itself, possibly empty) that the caller frees
 * with markdown_mentions_free. Thread-safe. */
char **markdown_mentions_new(const char *src, size_t len);

/* Frees an array from markdown_mentions_new; accepts NULL. */
void markdown_mentions_free(char **names);

#endif
