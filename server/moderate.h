/* moderate.h — a post as moderation acts on it, for the moderation files (moderate.c, flag.c):
 * loading it as the caller may see it, hiding or showing it, resolving its open flags, and
 * answering with it. Other features use moderation.h (how a moderated post shows) instead. */
#ifndef MAMORI_MODERATE_H
#define MAMORI_MODERATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct req;

/* The most bytes of a flag's or a redaction's reason. */
#define MODERATION_REASON_MAX_BYTES 2000

/* A post as moderation handles it. */
struct mpost {
	int64_t id, thread_id, author_id, created_at;
	bool hidden, redacted, first; /* first: the thread's opening post */
	char *body, *title;           /* the stored text; the thread's title */
	json_t *json;                 /* the post as the caller sees it (moderation_post_view applied) */
};

/* Loads post id as r->who may see it into p. Returns 0, or -1 when missing or unreadable (the
 * handler answers 404). Free with mpost_clear. */
int mpost_load(struct req *r, int64_t id, struct mpost *p);
/* Frees what mpost_load allocated (p may be zeroed). */
void mpost_clear(struct mpost *p);

/* Hides or shows p inside the caller's write transaction: the hidden mark, the search index (a
 * hidden post is not indexed at all), queued mail quoting it (cancelled, on hide), its open flags
 * (resolved as `hidden`, on hide) and the post.hide / post.unhide audit entry. *changed is false
 * when it already was in that state (nothing written). Returns 0 or -1. */
int moderate_set_hidden(struct req *r, const struct mpost *p, bool hide, bool *changed);

/* Resolves every open flag of the post with `resolution` (hidden, redacted, purged) by r->who,
 * inside the caller's write transaction. Returns 0 or -1. */
int moderate_resolve_flags(struct req *r, int64_t post_id, const char *resolution);

#endif
