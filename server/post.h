/* post.h — posts (docs/API.md §5): the one function that stores a new post, used by thread creation
 * (the first post) and by replies, so indexing, hooks and notifications happen on every path; and
 * the declaration of a post's text that both routes share. */
#ifndef MAMORI_POST_H
#define MAMORI_POST_H

#include <jansson.h>
#include <stdint.h>

struct req;
struct sqlite3_stmt;

/* The largest post body in bytes (docs/API.md §5); larger → 413 too_large. */
#define POST_MAX_BODY 65536

/* The declared body member holding a post's text (thread creation, reply, edit): a required,
 * non-blank string. Its size is checked by post_body_size, because docs/API.md §5 answers 413
 * too_large there where a declared limit would answer 422. */
#define POST_BODY_FIELD {"body", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK}

/* 0 when body is at most POST_MAX_BODY bytes, else 413 too_large set on r. */
int post_body_size(struct req *r, const char *body);

/* Stores a new post by r->who in thread_id inside the caller's write transaction: renders the
 * Markdown, inserts the row, bumps the thread's post_count and last_post_at, indexes it for
 * search (title: the thread's title when this is its first post, else NULL), runs every
 * feature's on_post hook, notifies followers and mentioned users who may read the thread, and
 * publishes a `post` event (sent after the commit). Returns 0 with *post_id, or -1 (the caller
 * rolls back and answers 500). Worker thread only. */
int post_insert(struct req *r, int64_t thread_id, const char *title, const char *body, int64_t *post_id);

#endif
