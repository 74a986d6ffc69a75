/* session.c — cookie sessions and their CSRF tokens (docs/API.md §2). Tokens come from OpenSSL's
 * CSPRNG; only their hashes are stored, so a database leak yields no usable session. */
#include "session.h"

#include "cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "feature.h"
#include "http.h"
#include "util.h"

#include <assert.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#define TOUCH_EVERY_SECONDS 300

static const char load_sql[] = SESSION_LOAD_SQL;
static const char delete_sql[] = "DELETE FROM sessions WHERE token_hash = :h";
static const char touch_sql[] = "UPDATE sessions SET last_seen_at = :now WHERE token_hash = :h";
static const char insert_sql[] =
	"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent)"
	" VALUES (:h, :uid, :csrf, :now, :now, :ip, :ua)";
static const char delete_user_sql[] = "DELETE FROM sessions WHERE user_id = :uid";

char *session_cookie_value(const char *header)
{
	static const char name[] = SESSION_COOKIE "=";
	const char *p = header;
	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, sizeof name - 1) == 0) {
			p += sizeof name - 1;
			size_t n = strcspn(p, ";");
			return n ? xstrndup(p, n) : NULL;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static const char valid_sql[] =
	"SELECT s.created_at, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.token_hash = :h AND " AUTHZ_USER_ACTIVE;

bool session_cookie_valid(struct db *d, const struct config *cfg, const char *cookie_header)
{
	char *token = session_cookie_value(cookie_header);
	if (!token)
		return false;
	char hash[65];
	crypto_sha256_hex(token, strlen(token), hash);
	free(token);
	sqlite3_stmt *st = db_stmt(d, valid_sql);
	db_bind_text(st, ":h", hash);
	bool ok = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t now = now_unix(), created = sqlite3_column_int64(st, 0), seen = sqlite3_column_int64(st, 1);
		ok = now - seen <= cfg->session_idle_seconds && now - created <= cfg->session_max_seconds;
	}
	sqlite3_reset(st);
	return ok;
}

/* Runs sql (the delete or touch of session hash) in its own short write transaction; on failure
 * nothing changes and a later request tries again. */
static void write_once(struct db *d, const char *sql, const char *hash, int64_t now)
{
	if (db_tx_begin(d, "session_load") < 0)
		return;
	sqlite3_stmt *st = db_stmt(d, sql);
	db_bind_text(st, ":h", hash);
	db_bind_int64_opt(st, ":now", now); /* touch only */
	if (db_exec_stmt(d, st) < 0 || db_tx_commit(d) < 0)
		db_tx_rollback(d);
}

/* The session cache. A session's row, its user's and its company's (load_sql) are kept per thread
 * under the session epoch (schema/023_session_epoch.sql), which triggers move in the transaction
 * that changes any of them: a sign-out, a suspension, a password change (which ends the
 * sessions), a role, company, group or status change, a TOTP enrolment, by whichever worker or
 * by the command line. After any of them no entry answers, on any worker, and load_sql runs
 * again; posts, read marks, sign-ins and notifications leave the entries in use. The epoch is
 * read before load_sql (in the router's read transaction, or just before it for other
 * methods), so an entry is never stamped with an epoch newer than what it holds. Time is
 * judged on every request as load_sql's path does; an entry answers only while no touch is due. */
struct cached_session {
	char hash[64];
	int64_t created, seen;
	struct principal who; /* name and email NULL; their text follows, after the CSRF token's */
	size_t csrf_len, name_len, email_len;
};
/* The cache key of a session hash: its first 24 hex digits (the entry holds all 64). */
static void session_key(const char hash[65], int64_t k[3])
{
	memcpy(k, hash, 3 * sizeof *k);
}

static const char epoch_sql[] = "SELECT value FROM epochs WHERE name = 'session'";

/* The session epoch now, or INT64_MIN when nothing may be cached: d is routed to the writer or
 * inside its own write transaction (it may see writes not yet committed), or the read failed. */
static int64_t session_epoch(struct db *d)
{
	if (db_routed(d) || db_in_write_tx(d))
		return INT64_MIN;
	return db_one_int64(db_stmt(d, epoch_sql), INT64_MIN);
}

/* Fills r from the cached copy of session hash when there is one for the session epoch `at` and
 * neither an expiry nor a touch is due; true when it did. */
static bool session_from_cache(struct req *r, const char hash[65], int64_t at, int64_t now)
{
	int64_t k[3];
	session_key(hash, k);
	size_t len = 0;
	const char *v = cache_get_at(CACHE_SESSION, k[0], k[1], k[2], at, &len);
	struct cached_session c;
	if (!v || len < sizeof c)
		return false;
	memcpy(&c, v, sizeof c);
	if (memcmp(c.hash, hash, sizeof c.hash) != 0 || len != sizeof c + c.csrf_len + c.name_len + c.email_len + 3)
		return false;
	if (now - c.seen > TOUCH_EVERY_SECONDS || now - c.seen > r->cfg->session_idle_seconds ||
	    now - c.created > r->cfg->session_max_seconds)
		return false;
	const char *text = v + sizeof c;
	r->csrf = xstrndup(text, c.csrf_len);
	r->who_storage = c.who;
	r->who_storage.name = xstrndup(text + c.csrf_len + 1, c.name_len);
	r->who_storage.email = xstrndup(text + c.csrf_len + 1 + c.name_len + 1, c.email_len);
	r->who = &r->who_storage;
	r->session_hash = xstrdup(hash);
	return true;
}

/* Keeps r's freshly loaded session (hash, times) for the next requests of session epoch `at`
 * (read before the session was). */
static void session_to_cache(struct req *r, const char hash[65], int64_t at, int64_t created, int64_t seen)
{
	struct cached_session c;
	memset(&c, 0, sizeof c);
	memcpy(c.hash, hash, sizeof c.hash);
	c.created = created;
	c.seen = seen;
	c.who = *r->who;
	c.who.name = c.who.email = NULL;
	const char *name = r->who->name ? r->who->name : "", *email = r->who->email ? r->who->email : "";
	c.csrf_len = r->csrf ? strlen(r->csrf) : 0;
	c.name_len = strlen(name);
	c.email_len = strlen(email);
	struct buf b = {0};
	buf_append(&b, &c, sizeof c);
	buf_append(&b, r->csrf ? r->csrf : "", c.csrf_len + 1);
	buf_append(&b, name, c.name_len + 1);
	buf_append(&b, email, c.email_len + 1);
	int64_t k[3];
	session_key(hash, k);
	cache_put_at(CACHE_SESSION, k[0], k[1], k[2], at, b.data, b.len);
	buf_free(&b);
}

/* Resolves r's cookie to r->who, r->session_hash and r->csrf (session.h); 0, or -1 on error. */
int session_load(struct req *r)
{
	const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Cookie");
	char *token = hdr ? session_cookie_value(hdr) : NULL;
	if (!token)
		return 0;
	char hash[65];
	crypto_sha256_hex(token, strlen(token), hash);
	free(token);
	int64_t at = session_epoch(r->db);
	bool cacheable = at != INT64_MIN;
	if (cacheable && session_from_cache(r, hash, at, now_unix()))
		return 0;
	sqlite3_stmt *st = db_stmt(r->db, load_sql);
	db_bind_text(st, ":h", hash);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	int64_t now = now_unix(), created = sqlite3_column_int64(st, 1), seen = sqlite3_column_int64(st, 2);
	if (now - seen > r->cfg->session_idle_seconds || now - created > r->cfg->session_max_seconds) {
		sqlite3_reset(st);
		write_once(r->db, delete_sql, hash, now);
		return 0;
	}
	r->csrf = db_col_dup(st, 0);
	authz_principal_fill(st, 3, &r->who_storage);
	r->who = &r->who_storage;
	r->session_hash = xstrdup(hash);
	sqlite3_reset(st);
	if (now - seen > TOUCH_EVERY_SECONDS)
		write_once(r->db, touch_sql, hash, now);
	else if (cacheable)
		session_to_cache(r, hash, at, created, seen);
	return 0;
}

/* Stores a session for user_id in the caller's write transaction and sets its cookie; returns the
 * CSRF token (caller frees) or NULL. */
char *session_create(struct req *r, int64_t user_id)
{
	assert(db_in_write_tx(r->db));
	char *token = crypto_token_new(), *csrf = crypto_token_new();
	char hash[65];
	crypto_sha256_hex(token, strlen(token), hash);
	sqlite3_stmt *st = db_stmt(r->db, insert_sql);
	db_bind_text(st, ":h", hash);
	db_bind_int64(st, ":uid", user_id);
	db_bind_text(st, ":csrf", csrf);
	db_bind_int64(st, ":now", now_unix());
	db_bind_text(st, ":ip", r->ip);
	db_bind_text(st, ":ua", r->user_agent);
	if (db_exec_stmt(r->db, st) < 0) {
		free(token);
		free(csrf);
		return NULL;
	}
	char *cookie = xasprintf(SESSION_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%d",
				 token, r->cfg->session_max_seconds);
	req_header(r, "Set-Cookie", cookie);
	free(cookie);
	free(token);
	return csrf;
}

int session_end(struct req *r)
{
	req_header(r, "Set-Cookie", SESSION_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
	if (!r->session_hash)
		return 0;
	if (db_tx_begin(r->db, "session_end") < 0)
		return -1;
	sqlite3_stmt *st = db_stmt(r->db, delete_sql);
	db_bind_text(st, ":h", r->session_hash);
	if (r->who)
		features_access_changed(r->db, r->who->user_id, 0); /* its event streams end */
	if (db_exec_stmt(r->db, st) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return -1;
	}
	return 0;
}

int session_end_all(struct db *d, int64_t user_id)
{
	assert(db_in_write_tx(d));
	sqlite3_stmt *st = db_stmt(d, delete_user_sql);
	db_bind_int64(st, ":uid", user_id);
	features_access_changed(d, user_id, 0);
	return db_exec_stmt(d, st);
}
