/* moderation.h — what other features call from moderation (docs/API.md §7): how a post's
 * moderation state shows to a viewer (hidden and redacted posts). The posting rate limit is
 * ratelimit.h, the thread.read audit audit.h; the routes live in moderation.c (the
 * secretariat's views), moderate.c (hide, redact, purge) and flag.c (flags). */
#ifndef MAMORI_MODERATION_H
#define MAMORI_MODERATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct principal;
struct sqlite3_stmt;

/* The text a redacted post shows to everyone (its html is this, rendered). */
#define MODERATION_PLACEHOLDER "このメッセージは事務局により削除されました"

/* Two columns a post query selects for moderation_post_view, over posts aliased p:
 * hidden (0/1) and redacted (0/1). */
#define MODERATION_POST_COLUMNS "p.hidden_at IS NOT NULL, p.redacted_at IS NOT NULL"

/* Applies a post's moderation state to its JSON as `viewer` sees it: sets `hidden` and
 * `redacted`, and for a hidden post blanks `body` and `html` ("") unless the viewer is the
 * secretariat. Use it on every JSON object that carries a post's (or one of its revisions')
 * text. post is modified in place (borrowed). */
void moderation_post_view(json_t *post, const struct principal *viewer, bool hidden, bool redacted);

/* True when viewer may not see the text of a post in this state (hidden, viewer not the
 * secretariat): callers that quote post text elsewhere (search snippets, exports) skip it. */
bool moderation_post_text_withheld(const struct principal *viewer, bool hidden);

/* {id, name, role, company_id} of a user from four columns of st starting at col (company_id
 * may be NULL): the shape of a user in the secretariat's moderation views (a flag's reporter, a
 * thread's readers). */
json_t *moderation_user_json(struct sqlite3_stmt *st, int col);

#endif
