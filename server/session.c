/* session.c — cookie sessions and their CSRF tokens (docs/API.md §2). Tokens come from OpenSSL's
 * CSPRNG; only their hashes are stored, so a database leak yields no usable session. */
#include "session.h"

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "feature.h"
#include "http.h"
#include "util.h"

#include <assert.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TOUCH_EVERY_SECONDS 300

static const char load_sql[] =
	"SELECT s.csrf_token, s.created_at, s.last_seen_at, " AUTHZ_PRINCIPAL_COLUMNS
	" FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN companies c ON c.id = u.company_id"
	" WHERE s.token_hash = :h AND u.status = 'active'";
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
	" WHERE s.token_hash = :h AND u.status = 'active'";

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

static EVP_MD *token_md;
static pthread_once_t token_md_once = PTHREAD_ONCE_INIT;

/* Fetches SHA-256 once for token_hash (aborts when OpenSSL has none: nothing could sign in). */
static void token_md_fetch(void)
{
	token_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!token_md)
		abort();
}

static _Thread_local EVP_MD_CTX *ctx; /* token_hash's, per thread */

/* hex receives the SHA-256 of the token, as crypto_sha256_hex writes it, with the digest fetched
 * once and a context per thread: EVP_Digest with EVP_sha256() looks the algorithm up by name on
 * every call, 6,100 instructions a request against 1,900 this way. */
static void token_hash(const char *token, char hex[65])
{
	pthread_once(&token_md_once, token_md_fetch);
	if (!ctx)
		ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int n = 0;
	if (!ctx || EVP_DigestInit_ex2(ctx, token_md, NULL) != 1 || EVP_DigestUpdate(ctx, token, strlen(token)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != sizeof md) {
		crypto_sha256_hex(token, strlen(token), hex); /* the slow way, which aborts on failure */
		return;
	}
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof md; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = 0;
}

/* Frees this thread's hashing context (session.h). */
void session_thread_free(void)
{
	EVP_MD_CTX_free(ctx);
	ctx = NULL;
}

/* Resolves r's cookie to r->who, r->session_hash and r->csrf (session.h); 0, or -1 on error. */
int session_load(struct req *r)
{
	const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Cookie");
	char *token = hdr ? session_cookie_value(hdr) : NULL;
	if (!token)
		return 0;
	char hash[65];
	token_hash(token, hash);
	free(token);
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
