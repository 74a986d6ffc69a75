/* session.h — sign-in sessions and CSRF tokens. The cookie carries a 256-bit random token;
 * the database keeps only its SHA-256. Sessions expire when idle and at an absolute age. */
#ifndef MAMORI_SESSION_H
#define MAMORI_SESSION_H

#include "authz.h"

#include <stdint.h>

struct req;
struct db;

#define SESSION_COOKIE "__Host-mamori"

/* What a cookie's hash :h resolves to: the CSRF token, the times, then the principal
 * (authz_principal_fill). Cached per worker under the session epoch (schema/023), which every
 * column read here but s.last_seen_at moves (tests/unit/test_cache.c walks this text). */
#define SESSION_LOAD_SQL                                                                                     \
	"SELECT s.csrf_token, s.created_at, s.last_seen_at, " AUTHZ_PRINCIPAL_COLUMNS                        \
	" FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN companies c ON c.id = u.company_id"     \
	" WHERE s.token_hash = :h AND " AUTHZ_USER_ACTIVE

/* Our cookie's value in a Cookie header (the first __Host-mamori=, at the start of a cookie),
 * as a new string, or NULL when there is none or it is empty. Pure; fuzzed by
 * tests/fuzz/fuzz_cookie.c. */
char *session_cookie_value(const char *header);
/* Resolves the request's cookie to r->who, r->session_hash and r->csrf (all NULL when there is
 * no valid session). Expired sessions are deleted. Returns 0, or -1 on a database error. */
int session_load(struct req *r);
/* True when the Cookie header value carries a session that session_load would accept (read
 * only: nothing is touched or deleted). For decisions before a request is parsed (bodylimit.c). */
#include <stdbool.h>
struct config;
bool session_cookie_valid(struct db *d, const struct config *cfg, const char *cookie_header);
/* Creates a session for user_id inside the caller's write transaction, sets the cookie on the
 * response, and returns the CSRF token (caller frees) or NULL on a database error. */
char *session_create(struct req *r, int64_t user_id);
/* Ends the request's session (server-side) and clears the cookie. Returns 0 or -1. */
int session_end(struct req *r);
/* Ends every session of a user (suspension), inside the caller's transaction. Returns 0 or -1. */
int session_end_all(struct db *d, int64_t user_id);

#endif
