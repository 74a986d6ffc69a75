/* moderation.h — what other features call from moderation (docs/API.md §7): the posting rate limit
 * checked before a post or thread is stored, how a post's moderation state shows to a viewer
 * (hidden and redacted posts), and the thread.read audit of a company thread read by someone
 * outside that company. The routes themselves live in moderation.c. */
#ifndef MAMORI_MODERATION_H
#define MAMORI_MODERATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct req;
struct principal;
struct worker;

/* The text a redacted post shows to everyone (its html is this, rendered). */
#define MODERATION_PLACEHOLDER "このメッセージは事務局により削除されました"

/* Two columns a post query selects for moderation_post_view, over posts aliased p:
 * hidden (0/1) and redacted (0/1). */
#define MODERATION_POST_COLUMNS "p.hidden_at IS NOT NULL, p.redacted_at IS NOT NULL"

/* The posting rate limit: call before storing a new post or thread by r->who (outside the write
 * transaction). A user other than the secretariat may store cfg->post_rate_per_minute posts (a
 * thread's first post included; default 10, 0: no limit) in any rolling minute. Returns 0 when
 * allowed, or 429 rate_limited set on r with a Retry-After header (seconds until the oldest post
 * of the full window leaves it). */
int moderation_rate_check(struct req *r);

/* Applies a post's moderation state to its JSON as `viewer` sees it: sets `hidden` and
 * `redacted`, and for a hidden post blanks `body` and `html` ("") unless the viewer is the
 * secretariat. Use it on every JSON object that carries a post's (or one of its revisions')
 * text. post is modified in place (borrowed). */
void moderation_post_view(json_t *post, const struct principal *viewer, bool hidden, bool redacted);

/* True when viewer may not see the text of a post in this state (hidden, viewer not the
 * secretariat): callers that quote post text elsewhere (search snippets, exports) skip it. */
bool moderation_post_text_withheld(const struct principal *viewer, bool hidden);

/* The thread.read audit moved to audit.h (audit_thread_read); the old names stay for callers
 * written before (remove once none is left). */
#define moderation_audit_read audit_thread_read
#define moderation_audit_outsider_read audit_thread_outsider_read

#endif
