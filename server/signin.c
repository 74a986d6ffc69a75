/* signin.c — signing in and out (docs/API.md §2): POST and DELETE /api/v1/session, the sign-in
 * throttle per account, per address and per trusted browser (signin.h, also used by me.c when
 * a signed-in user proves their password again), the trusted-device cookie, and the TOTP code
 * check. Passwords are verified on the helper pool, never on an event loop; the decision is
 * taken in a transaction opened in the completion. */
#include "signin.h"

#include "account.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "server.h"
#include "session.h"
#include "util.h"
#include "view.h"

#include <arpa/inet.h>
#include <assert.h>
#include <event2/http.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Sign-in throttling ---------------------------------------------------------------------
 *
 * docs/API.md §2: after 10 failed sign-ins for one account or from one address within 15 minutes,
 * POST /api/v1/session answers 429 rate_limited with Retry-After. How it works here:
 *
 * - Every attempt that passes the check is written to login_failures as `pending` *before* its
 *   password is hashed, in the same write transaction as the check; it becomes a failure when
 *   the password (or TOTP code) is wrong and is deleted when the attempt succeeds. Pending
 *   attempts count toward the limit, so a burst of concurrent guesses cannot slip past it while
 *   the first ones are still being hashed; a success removes only its own row and never clears
 *   the counters of the account or the address.
 * - Retry-After: when 10 failures are in the window, the seconds until enough of them have left
 *   it for the next attempt to be allowed; when the limit is reached only because attempts are
 *   still being checked, 1 (they finish within milliseconds). A pending row older than
 *   PENDING_STALE (a crash mid-hash) counts as a failure.
 * - Throttled attempts are answered at once, are not recorded and do not extend the lockout:
 *   each failure ages out of the 15-minute window on its own.
 * - An address is an IPv4 address, or an IPv6 /64 (one host usually holds the whole /64).
 * - Trusted browsers. Aging out alone would let an attacker keep a user locked out for ever
 *   with 10 guesses every 15 minutes from anywhere, so a successful sign-in leaves a random
 *   device cookie (__Host-mamori-dev, 90 days, only its hash is stored). When an attempt comes
 *   with that user's device cookie, the per-account counter does not apply; failures made with
 *   the cookie count against the cookie instead (10 per 15 minutes), and the per-address
 *   counter applies as always. The real user's own browser thus keeps working while the
 *   account counter is full, and a distributed guesser still gets at most 10 guesses per 15
 *   minutes against the account. We do not exempt "any address that is not throttled": with
 *   many addresses, that would turn the per-account limit into 10 guesses per address.
 * - A correct password without the TOTP code of an enrolled user is not a failure (the normal
 *   first step of two-step sign-in); a wrong code is.
 */
#define THROTTLE_WINDOW 900
#define THROTTLE_MAX 10
#define PENDING_STALE 120
#define DEVICE_COOKIE "__Host-mamori-dev"
#define DEVICE_MAX_AGE (90 * 86400)

/* Rows of one key in the window: all of them, and the failures among them. */
#define FAIL_COUNT(col)                                                                                      \
	"SELECT count(*), coalesce(sum(pending = 0 OR at <= :stale), 0) FROM login_failures"                 \
	" WHERE " col " = :key AND at > :since"
#define FAIL_NTH(col)                                                                                        \
	"SELECT at FROM login_failures WHERE " col " = :key AND at > :since"                                 \
	" AND (pending = 0 OR at <= :stale) ORDER BY at LIMIT 1 OFFSET :off"
static const char fail_count_email_sql[] = FAIL_COUNT("email");
static const char fail_nth_email_sql[] = FAIL_NTH("email");
static const char fail_count_ip_sql[] = FAIL_COUNT("ip");
static const char fail_nth_ip_sql[] = FAIL_NTH("ip");
static const char fail_count_device_sql[] = FAIL_COUNT("device");
static const char fail_nth_device_sql[] = FAIL_NTH("device");
static const char fail_insert_sql[] =
	"INSERT INTO login_failures (email, ip, device, at, pending) VALUES (:email, :ip, :device, :now, 1)";
static const char fail_delete_sql[] = "DELETE FROM login_failures WHERE id = :id";
static const char fail_settle_sql[] = "UPDATE login_failures SET pending = 0, at = :now WHERE id = :id";
static const char fail_prune_sql[] = "DELETE FROM login_failures WHERE at <= :cutoff";

static const char device_user_sql[] =
	"SELECT user_id FROM trusted_devices WHERE token_hash = :h AND created_at > :since";
static const char device_insert_sql[] =
	"INSERT INTO trusted_devices (token_hash, user_id, created_at, last_used_at) VALUES (:h, :uid, :now, :now)";
static const char device_touch_sql[] = "UPDATE trusted_devices SET last_used_at = :now WHERE token_hash = :h";
static const char device_prune_sql[] =
	"DELETE FROM trusted_devices WHERE user_id = :uid AND created_at <= :since";

static const char own_hash_sql[] = "SELECT password_hash, email FROM users WHERE id = :id";

/* Seconds until an attempt keyed by `key` in column count_sql/nth_sql would be allowed, or 0
 * when it is allowed now. With n >= THROTTLE_MAX failures in the window, the attempt becomes
 * allowed when the (n - THROTTLE_MAX + 1)th oldest leaves it; with fewer failures but as many
 * rows counting the pending ones, in a second. */
static int64_t throttle_wait(struct db *d, const char *count_sql, const char *nth_sql, const char *key,
			     int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, count_sql);
	db_bind_text(st, ":key", key);
	db_bind_int64(st, ":since", now - THROTTLE_WINDOW);
	db_bind_int64(st, ":stale", now - PENDING_STALE);
	int64_t all = 0, n = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		all = sqlite3_column_int64(st, 0);
		n = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (all < THROTTLE_MAX)
		return 0;
	if (n < THROTTLE_MAX)
		return 1;
	st = db_stmt(d, nth_sql);
	db_bind_text(st, ":key", key);
	db_bind_int64(st, ":since", now - THROTTLE_WINDOW);
	db_bind_int64(st, ":stale", now - PENDING_STALE);
	db_bind_int64(st, ":off", n - THROTTLE_MAX);
	int64_t wait = db_one_int64(st, now) + THROTTLE_WINDOW - now;
	return wait > 0 ? wait : 1;
}

/* The throttle key of a peer address: IPv4 as is, IPv6 as its /64. */
void account_ip_key(const char *ip, char out[64])
{
	struct in6_addr a;
	if (inet_pton(AF_INET6, ip, &a) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a)) {
			inet_ntop(AF_INET, &a.s6_addr[12], out, 64);
			return;
		}
		char buf[INET6_ADDRSTRLEN];
		memset(&a.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &a, buf, sizeof buf);
		snprintf(out, 64, "%s/64", buf);
		return;
	}
	snprintf(out, 64, "%s", ip);
}

/* The larger wait of the attempt's keys: the address, and the device cookie when it carries
 * one, else the e-mail. */
static int64_t attempt_wait(struct db *d, const struct attempt *a, int64_t now)
{
	int64_t w = throttle_wait(d, fail_count_ip_sql, fail_nth_ip_sql, a->ipkey, now), w2;
	if (a->device[0])
		w2 = throttle_wait(d, fail_count_device_sql, fail_nth_device_sql, a->device, now);
	else
		w2 = throttle_wait(d, fail_count_email_sql, fail_nth_email_sql, a->email, now);
	return w > w2 ? w : w2;
}

/* 429 rate_limited with Retry-After: wait seconds. */
static int rate_limited(struct req *r, int64_t wait)
{
	char v[24];
	snprintf(v, sizeof v, "%" PRId64, wait);
	req_header(r, "Retry-After", v);
	return req_error(r, 429, "rate_limited", "too many sign-in attempts; try again in %" PRId64 " s",
			 wait);
}

/* Inserts the attempt's pending row and prunes rows older than the window. Inside the
 * caller's transaction; returns 0 or -1. */
static int attempt_record(struct db *d, struct attempt *a, int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, fail_insert_sql);
	db_bind_text(st, ":email", a->email);
	db_bind_text(st, ":ip", a->ipkey);
	db_bind_text(st, ":device", a->device[0] ? a->device : NULL);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(d, st) < 0)
		return -1;
	a->id = sqlite3_last_insert_rowid(db_handle(d));
	st = db_stmt(d, fail_prune_sql);
	db_bind_int64(st, ":cutoff", now - THROTTLE_WINDOW);
	return db_exec_stmt(d, st);
}

/* Opens the transaction in which an attempt is recorded or decided (after the hashing). Not
 * req_tx: it is kept when the answer is a refusal (401, 403, 422), since a failed attempt and
 * its audit record must be stored, and attempt_begin's must be committed before HTTP_ASYNC. */
static int attempt_tx(struct req *r)
{
	assert(!r->tx_open);
	return db_tx_begin(r->db, r->route && r->route->name ? r->route->name : __func__);
}

/* Commits attempt_tx's transaction unless status is a 5xx (or 0 is passed for "no answer
 * yet", which commits too); returns status, or 500 when the commit failed. */
static int attempt_tx_end(struct req *r, int status)
{
	if (status >= 500) {
		db_tx_rollback(r->db);
		return status;
	}
	if (db_tx_commit(r->db) == 0)
		return status;
	json_decref(r->out);
	r->out = NULL;
	return req_internal(r, "commit");
}

/* Checks the throttle and records the attempt as pending, atomically, committed before the
 * password is hashed so that it counts for concurrent attempts. Returns 0 (a->id set), or the
 * status answered (429 rate_limited with Retry-After, or 500). */
static int attempt_begin(struct req *r, struct attempt *a)
{
	int64_t now = now_unix(), wait = attempt_wait(r->db, a, now);
	if (wait) /* cheap refusal without taking the write lock */
		return rate_limited(r, wait);
	if (attempt_tx(r) < 0)
		return req_internal(r, "begin");
	wait = attempt_wait(r->db, a, now);
	if (wait) { /* nothing written: not even an empty commit, which would count as a write */
		db_tx_rollback(r->db);
		return rate_limited(r, wait);
	}
	int status = attempt_record(r->db, a, now) < 0 ? req_internal(r, "record sign-in attempt") : 0;
	return attempt_tx_end(r, status);
}

/* The attempt succeeded: deletes its row. Inside the caller's transaction. */
int attempt_forget(struct db *d, const struct attempt *a)
{
	sqlite3_stmt *st = db_stmt(d, fail_delete_sql);
	db_bind_int64(st, ":id", a->id);
	return db_exec_stmt(d, st);
}

/* The attempt failed: settles its row as a failure dated now. Inside the caller's transaction. */
int attempt_failed(struct db *d, const struct attempt *a)
{
	sqlite3_stmt *st = db_stmt(d, fail_settle_sql);
	db_bind_int64(st, ":id", a->id);
	db_bind_int64(st, ":now", now_unix());
	return db_exec_stmt(d, st);
}

/* Loads a signed-in user's password hash and throttle keys (their e-mail, the address). */
void attempt_reauth_load(struct req *r, struct attempt *a, char **stored)
{
	sqlite3_stmt *st = db_stmt(r->db, own_hash_sql);
	db_bind_int64(st, ":id", r->who->user_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*stored = db_col_dup(st, 0);
		a->email = db_col_dup(st, 1);
	}
	sqlite3_reset(st);
	if (!a->email)
		a->email = xstrdup("");
	account_ip_key(r->ip, a->ipkey);
}

/* The time step code matches for the base32 secret at now, or 0. */
int64_t signin_totp_step(const char *secret, const char *code, int64_t now)
{
	unsigned char key[64];
	size_t klen = 0;
	int64_t step = 0;
	if (secret && code && crypto_base32_decode(secret, key, sizeof key, &klen) == 0)
		step = crypto_totp_check(key, klen, code, now);
	explicit_bzero(key, sizeof key);
	return step;
}

/* Audits a sign-in event of user uid (0: no such user) on target user:target (none when 0). */
static int signin_audit(struct req *r, int64_t uid, const char *action, int64_t target, json_t *detail)
{
	if (!target)
		return audit_append(r->db, uid, action, "", r->ip, detail);
	return audit_append_on(r->db, uid, action, "user", target, r->ip, detail);
}

/* ---- the trusted-device cookie ------------------------------------------------------------- */

/* A cookie's value from the request (new string), or NULL. */
static char *cookie_new(struct req *r, const char *name)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Cookie");
	size_t nlen = strlen(name);
	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		if (strncmp(h, name, nlen) == 0 && h[nlen] == '=') {
			h += nlen + 1;
			size_t n = strcspn(h, ";");
			return n ? xstrndup(h, n) : NULL;
		}
		h = strchr(h, ';');
	}
	return NULL;
}

/* Sets a->device to the hash of the request's device cookie when it is user_id's and current. */
static void device_recognise(struct req *r, struct attempt *a, int64_t user_id)
{
	char *device = cookie_new(r, DEVICE_COOKIE);
	if (device && user_id) {
		char hash[65];
		crypto_sha256_hex(device, strlen(device), hash);
		sqlite3_stmt *st = db_stmt(r->db, device_user_sql);
		db_bind_text(st, ":h", hash);
		db_bind_int64(st, ":since", now_unix() - DEVICE_MAX_AGE);
		if (db_one_int64(st, 0) == user_id)
			memcpy(a->device, hash, sizeof hash);
	}
	free(device);
}

/* Remembers the browser as trusted for user_id (see the throttling notes): refreshes the
 * cookie it came with, or issues one. Inside the caller's transaction. */
static int device_remember(struct req *r, const struct attempt *a, int64_t user_id, int64_t now)
{
	sqlite3_stmt *st = db_stmt(r->db, device_prune_sql);
	db_bind_int64(st, ":uid", user_id);
	db_bind_int64(st, ":since", now - DEVICE_MAX_AGE);
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	if (a->device[0]) {
		st = db_stmt(r->db, device_touch_sql);
		db_bind_text(st, ":h", a->device);
		db_bind_int64(st, ":now", now);
		return db_exec_stmt(r->db, st);
	}
	char *token = crypto_token_new(), hash[65];
	crypto_sha256_hex(token, strlen(token), hash);
	st = db_stmt(r->db, device_insert_sql);
	db_bind_text(st, ":h", hash);
	db_bind_int64(st, ":uid", user_id);
	db_bind_int64(st, ":now", now);
	int rc = db_exec_stmt(r->db, st);
	if (rc == 0) {
		char *cookie = xasprintf(DEVICE_COOKIE
					 "=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%d",
					 token, DEVICE_MAX_AGE);
		req_header(r, "Set-Cookie", cookie);
		free(cookie);
	}
	free(token);
	return rc;
}

/* ---- sign-in ------------------------------------------------------------------------------- */

static const char signin_user_sql[] = "SELECT id, password_hash FROM users WHERE email = :email";
static const char signin_recheck_sql[] =
	"SELECT status, totp_secret, totp_last_step FROM users WHERE id = :id";
static const char totp_step_sql[] = "UPDATE users SET totp_last_step = :step WHERE id = :id";
static const char rehash_sql[] = "UPDATE users SET password_hash = :hash WHERE id = :id";

/* One sign-in across the helper pool. */
struct signin {
	struct proof p;
	char *totp;      /* the code given, or NULL */
	char *rehash;    /* a fresh hash when stored used older parameters (helper thread) */
	int64_t user_id; /* 0 when no user has this e-mail */
};

/* Helper thread: the password check, then the caller's own work. The dummy is fetched in every
 * case, so the one-time cost of computing it falls on the process's first check. */
static void proof_work(void *arg)
{
	struct proof *p = arg;
	const char *dummy = crypto_password_dummy();
	p->verified = crypto_password_verify(p->password, p->stored ? p->stored : dummy) == 1;
	if (p->work)
		p->work(p);
}

/* Event loop: answers once the password is checked, deciding in the attempt's transaction. */
static void proof_done(void *arg)
{
	struct proof *p = arg;
	struct req *r = p->r;
	int status = attempt_tx(r) < 0 ? req_internal(r, "begin") : attempt_tx_end(r, p->decide(p));
	p->destroy(p);
	req_finish(r, status);
}

/* Throttle, then the pool (signin.h). */
int proof_submit(struct proof *p, const char *password)
{
	struct req *r = p->r;
	int rc = attempt_begin(r, &p->a);
	if (rc) {
		p->destroy(p);
		return rc;
	}
	p->password = xstrdup(password);
	r->async_ctx = p;
	pool_submit(r->w, proof_work, proof_done, p);
	return HTTP_ASYNC;
}

/* Frees a proof's strings (signin.h). */
void proof_clear(struct proof *p)
{
	if (p->password)
		explicit_bzero(p->password, strlen(p->password));
	free(p->password);
	free(p->stored);
	free(p->a.email);
}

/* Frees a sign-in. */
static void signin_free(struct proof *p)
{
	struct signin *s = (struct signin *)p;
	proof_clear(&s->p);
	free(s->totp);
	free(s->rehash);
	free(s);
}

/* Helper thread, after the check (an unknown e-mail, or an account without a password yet,
 * was checked against the dummy): a right password stored with older parameters is hashed
 * again. */
static void signin_work(struct proof *p)
{
	struct signin *s = (struct signin *)p;
	if (s->p.verified && s->p.stored && crypto_password_needs_rehash(s->p.stored))
		s->rehash = crypto_password_hash_new(s->p.password);
}

/* Why the sign-in fails (NULL: it does not), from the account re-read now so that a
 * suspension or a TOTP code used during the hashing counts; *need_totp when the password is
 * right but the enrolled user gave no code, *step the time step of a right code. */
static const char *signin_refusal(struct signin *s, int64_t now, char status[16], bool *need_totp,
				  int64_t *step)
{
	char *secret = NULL;
	int64_t last_step = 0;
	if (s->user_id) {
		sqlite3_stmt *st = db_stmt(s->p.r->db, signin_recheck_sql);
		db_bind_int64(st, ":id", s->user_id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(status, 16, "%s", db_col_text(st, 0));
			secret = db_col_dup(st, 1);
			last_step = sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
	}
	const char *reason = NULL;
	if (!*status)
		reason = "unknown_email";
	else if (strcmp(status, "invited") == 0)
		reason = "not_activated"; /* no password yet: it was checked against the dummy */
	else if (!s->p.verified)
		reason = "wrong_password";
	else if (strcmp(status, "active") != 0)
		reason = "suspended";
	else if (secret && !s->totp)
		*need_totp = true;
	else if (secret && (*step = signin_totp_step(secret, s->totp, now)) <= last_step)
		reason = "wrong_totp"; /* no match (0), or a code whose time step was used already */
	free(secret);
	return reason;
}

/* Signs the verified user in: stores the TOTP step and a rehash, opens the session, trusts the
 * browser, audits. Inside the attempt's transaction; 200 {user, csrf_token}. */
static int signin_accept(struct signin *s, int64_t now, int64_t step)
{
	struct req *r = s->p.r;
	struct db *d = r->db;
	sqlite3_stmt *st;
	if (step) {
		st = db_stmt(d, totp_step_sql);
		db_bind_int64(st, ":step", step);
		db_bind_int64(st, ":id", s->user_id);
		if (db_exec_stmt(d, st) < 0)
			return req_internal(r, "totp step");
	}
	if (s->rehash) {
		st = db_stmt(d, rehash_sql);
		db_bind_text(st, ":hash", s->rehash);
		db_bind_int64(st, ":id", s->user_id);
		if (db_exec_stmt(d, st) < 0)
			return req_internal(r, "rehash");
	}
	char *csrf = session_create(r, s->user_id);
	if (!csrf)
		return req_internal(r, "session");
	json_t *detail = json_pack("{s:b,s:b}", "totp", step != 0, "trusted_device", s->p.a.device[0] != 0);
	int rc = device_remember(r, &s->p.a, s->user_id, now) < 0
			 ? -1
			 : signin_audit(r, s->user_id, "session.login", s->user_id, detail);
	json_decref(detail);
	json_t *user = rc < 0 ? NULL : view_user_json(d, s->user_id);
	json_t *out = user ? json_pack("{s:o,s:s}", "user", user, "csrf_token", csrf) : NULL;
	free(csrf);
	return out ? req_reply(r, 200, out) : req_internal(r, "sign-in");
}

/* Event loop, after hashing: decides the outcome inside the attempt's transaction. */
static int signin_decide(struct proof *p)
{
	struct signin *s = (struct signin *)p;
	struct req *r = s->p.r;
	int64_t now = now_unix(), step = 0;
	char status[16] = "";
	bool need_totp = false;
	const char *reason = signin_refusal(s, now, status, &need_totp, &step);
	if (reason) {
		json_t *detail = json_pack("{s:s,s:s}", "email", s->p.a.email, "reason", reason);
		int rc = attempt_failed(r->db, &s->p.a) < 0
				 ? -1
				 : signin_audit(r, s->user_id, "session.login_failed",
						*status ? s->user_id : 0, detail);
		json_decref(detail);
		if (rc < 0)
			return req_internal(r, "sign-in failure");
		return req_error(r, 401, "bad_credentials", "wrong e-mail or password");
	}
	if (attempt_forget(r->db, &s->p.a) < 0)
		return req_internal(r, "sign-in");
	if (need_totp)
		return req_error(r, 401, "totp_required",
				 "enter the 6-digit code from your authenticator app");
	return signin_accept(s, now, step);
}

/* POST /api/v1/session {email, password, totp?} — public, no CSRF (there is no session yet):
 * 200 {user, csrf_token} and the session cookie. A wrong password, an unknown e-mail, an
 * account not yet activated or suspended, and a wrong or reused TOTP code all answer 401
 * bad_credentials, with the same body after the same work (one scrypt). An enrolled user
 * without a code gets 401 totp_required once the password is right. 429 rate_limited with
 * Retry-After per the throttling notes above, decided before any hashing. */
static int handle_signin(struct req *r)
{
	const char *email = req_field_str(r, "email"), *password = req_field_str(r, "password");
	struct signin *s = xcalloc(1, sizeof *s);
	s->p = (struct proof){.r = r, .work = signin_work, .decide = signin_decide, .destroy = signin_free};
	s->p.a.email = xstrdup(email);
	account_ip_key(r->ip, s->p.a.ipkey);
	sqlite3_stmt *st = db_stmt(r->db, signin_user_sql);
	db_bind_text(st, ":email", email);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->user_id = sqlite3_column_int64(st, 0);
		s->p.stored = db_col_dup(st, 1);
	}
	sqlite3_reset(st);
	device_recognise(r, &s->p.a, s->user_id);
	const char *totp = req_field_str(r, "totp");
	s->totp = totp ? xstrdup(totp) : NULL;
	return proof_submit(&s->p, password);
}

/* DELETE /api/v1/session — signed in: 204; the session is deleted server-side, so the old
 * cookie no longer works anywhere. */
static int handle_signout(struct req *r)
{
	int64_t uid = r->who->user_id;
	if (session_end(r) < 0) /* its own transaction (session.c) */
		return req_internal(r, "session end");
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	if (audit_append_on(r->db, uid, "session.logout", "user", uid, r->ip, NULL) < 0)
		return req_internal(r, "audit");
	return 204;
}

const struct route signin_routes[] = {
	ROUTE(POST, "/api/v1/session", ACCESS_PUBLIC, handle_signin, .max_body = 16384,
	      .flags = ROUTE_NO_CSRF,
	      .body = {{"email", BODY_STR, BODY_REQUIRED, ACCOUNT_EMAIL_MAX_BYTES},
		       {"password", BODY_STR, BODY_REQUIRED, SIGNIN_PASSWORD_MAX_BYTES},
		       {"totp", BODY_STR}}),
	ROUTE(DELETE, "/api/v1/session", ACCESS_SESSION, handle_signout),
	{0},
};
