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

/* The thread.read audit (docs/API.md §7): when thread_id is a `company` thread and r->who is outside
 * its company (an expert, the secretariat, an escalated expert), appends a thread.read entry in
 * its own short write transaction (group commit makes it cheap). via (may be NULL) names the
 * path ("post:12", "attachment:3") and goes into the entry's detail. Returns 0 (also when
 * nothing needed writing) or -1 on a database error. Call it after the read succeeded, outside
 * any transaction. Worker thread only. */
int moderation_audit_read(struct req *r, int64_t thread_id, const char *via);
/* The same for a caller that already knows the thread is another company's (one query less on
 * the thread view's hot path). */
int moderation_audit_outsider_read(struct req *r, int64_t thread_id, const char *via);

#endif
