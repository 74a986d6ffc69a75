/* ratelimit.h — the per-user write rate limits (docs/API.md §7): how many posts (a thread's first
 * post included) and how many flags a user may store in any rolling minute. Other features call
 * ratelimit_check before storing such a write; the secretariat is never limited. */
#ifndef MAMORI_RATELIMIT_H
#define MAMORI_RATELIMIT_H

struct req;

/* What a limit counts: a user's own recent rows of one kind. */
enum ratelimit_kind {
	RATELIMIT_POSTS, /* posts and threads: cfg->post_rate_per_minute a minute (default 10, 0: none) */
	RATELIMIT_FLAGS, /* flags on posts: RATELIMIT_FLAGS_PER_MINUTE a minute */
};
#define RATELIMIT_FLAGS_PER_MINUTE 20

/* Checks r->who's limit of `kind` before a new write (outside the write transaction). Returns 0
 * when allowed (also without a user, or for the secretariat), or 429 rate_limited set on r with a
 * Retry-After header: the seconds until the oldest write of the full window leaves it. */
int ratelimit_check(struct req *r, enum ratelimit_kind kind);

#endif
