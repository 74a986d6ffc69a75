/* ratelimit.c — the per-user write rate limits (ratelimit.h): a rolling one-minute window over
 * the user's own posts or flags, answered as 429 rate_limited with Retry-After. No routes. */
#include "ratelimit.h"

#include "authz.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>

#define RATE_WINDOW_SECONDS 60

/* The created_at of the user's max-th newest row of a kind within the window (none: no row). */
static const char posts_sql[] = "SELECT created_at FROM posts WHERE author_id = :uid AND created_at > :since"
				" ORDER BY created_at DESC LIMIT 1 OFFSET :n";
static const char flags_sql[] =
	"SELECT created_at FROM flags WHERE reporter_id = :uid AND created_at > :since"
	" ORDER BY created_at DESC LIMIT 1 OFFSET :n";

/* 0 when fewer than max rows of sql (the user's recent writes) fall in the window, else the
 * seconds until the oldest of the newest max leaves it. */
static int64_t window_wait(struct req *r, const char *sql, int max)
{
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, sql);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":since", now - RATE_WINDOW_SECONDS);
	db_bind_int64(st, ":n", max - 1);
	int64_t oldest = db_one_int64(st, -1);
	return oldest < 0 ? 0 : oldest + RATE_WINDOW_SECONDS - now;
}

/* ratelimit.h */
int ratelimit_check(struct req *r, enum ratelimit_kind kind)
{
	if (!r->who || authz_is_secretariat(r->who))
		return 0;
	bool posts = kind == RATELIMIT_POSTS;
	int max = posts ? r->cfg->post_rate_per_minute : RATELIMIT_FLAGS_PER_MINUTE;
	if (max <= 0)
		return 0;
	int64_t wait = window_wait(r, posts ? posts_sql : flags_sql, max);
	if (!wait)
		return 0;
	if (wait < 1)
		wait = 1;
	char v[24];
	snprintf(v, sizeof v, "%" PRId64, wait);
	req_header(r, "Retry-After", v);
	return req_error(r, 429, "rate_limited", "too many %s; try again in %" PRId64 " s",
			 posts ? "posts" : "flags", wait);
}
