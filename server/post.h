/* post.h — posts (docs/API.md §5): the one function that stores a new post, used by thread creation
 * (the first post) and by replies, so indexing, hooks and notifications happen on every path. */
#ifndef MAMORI_POST_H
#define MAMORI_POST_H

#include <jansson.h>
#include <stdint.h>

struct req;
struct sqlite3_stmt;

/* The largest post body in bytes (docs/API.md §5); larger → 413 too_large. */
#define POST_MAX_BODY 65536

/* Checks the body member of the request: returns 0 and *body (borrowed from r->body), or an
 * error status already set on r (422 invalid when missing, not a string or blank, 413 too_large
 * when over POST_MAX_BODY bytes). */
int post_body_from_request(struct req *r, const char **body);

/* Stores a new post by r->who in thread_id inside the caller's write transaction: renders the
 * Markdown, inserts the row, bumps the thread's post_count and last_post_at, indexes it for
 * search (title: the thread's title when this is its first post, else NULL), runs every
 * feature's on_post hook, notifies followers and mentioned users who may read the thread, and
 * publishes a `post` event (sent after the commit). Returns 0 with *post_id, or -1 (the caller
 * rolls back and answers 500). Worker thread only. */
int post_insert(struct req *r, int64_t thread_id, const char *title, const char *body, int64_t *post_id);

/* {id, name, role} of a user from three columns of st starting at col. New reference. */
json_t *post_author_json(struct sqlite3_stmt *st, int col);

#endif
