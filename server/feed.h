/* feed.h — each user's private calendar feed (docs/API.md §9): GET/DELETE /api/v1/me/calendar and
 * GET /calendar/{token}.ics, written with ics.h. The feed is the concatenation of its sources'
 * events; adding a kind of event (dispatch visits of §10) is one function with the signature
 * below and one line in feed.c's table. */
#ifndef MAMORI_FEED_H
#define MAMORI_FEED_H

#include "ics.h"
#include "util.h"

#include <stdint.h>

struct db;
struct principal;

/* struct feed_ctx and feed_source_fn, shared with the event sources (round.c...), are in ics.h. */

/* The feed token of (user_id, generation) under key: base64url of HMAC-SHA256 (43 characters),
 * written to out[64]. Pure. */
void feed_token(const unsigned char key[32], int64_t user_id, int64_t generation, char out[64]);

#endif
