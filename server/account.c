/* account.c — accounts and signing in (docs/API.md §2, §3): sign-in and sign-out, /me, the
 * secretariat's user administration and invitations, the password policy, password change,
 * TOTP two-step sign-in, and sign-in throttling per account, per address and per trusted
 * browser. Passwords are hashed and verified on the helper pool, never on an event loop. */
#include "account.h"
#include "audit.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "kinds.h"
#include "router.h"
#include "server.h"
#include "session.h"
#include "text.h"
#include "util.h"

#include <arpa/inet.h>
#include <event2/http.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EMAIL_MAX_BYTES 254
#define NAME_MAX_BYTES 200
#define SPECIALTIES_MAX 20
#define SPECIALTY_MAX_BYTES 64
#define SIGNIN_PASSWORD_MAX_BYTES 4096 /* longer is refused before any hashing */
#define TOTP_SECRET_BYTES 20           /* 160 bits, RFC 4226's recommendation */

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
static const char device_forget_sql[] = "DELETE FROM trusted_devices WHERE user_id = :uid";

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

/* An attempt's throttle keys: the e-mail as typed, the address, and the hash of the user's
 * trusted-device cookie when the attempt carries one ("" otherwise). */
struct attempt {
	char *email;
	char ipkey[64];
	char device[65];
	int64_t id; /* its row in login_failures */
};

static int64_t attempt_wait(struct db *d, const struct attempt *a, int64_t now)
{
	int64_t w = throttle_wait(d, fail_count_ip_sql, fail_nth_ip_sql, a->ipkey, now), w2;
	if (a->device[0])
		w2 = throttle_wait(d, fail_count_device_sql, fail_nth_device_sql, a->device, now);
	else
		w2 = throttle_wait(d, fail_count_email_sql, fail_nth_email_sql, a->email, now);
	return w > w2 ? w : w2;
}

static int rate_limited(struct req *r, int64_t wait)
{
	char v[24];
	snprintf(v, sizeof v, "%" PRId64, wait);
	req_header(r, "Retry-After", v);
	return req_error(r, 429, "rate_limited", "too many sign-in attempts; try again in %" PRId64 " s",
			 wait);
}

/* Checks the throttle and records the attempt as a failure, atomically. Returns 0 (a->id set),
 * or a status to answer with (429 or 500). */
static int attempt_begin(struct req *r, struct attempt *a)
{
	int64_t now = now_unix(), wait = attempt_wait(r->db, a, now);
	if (wait) /* cheap refusal without taking the write lock */
		return rate_limited(r, wait);
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	wait = attempt_wait(r->db, a, now);
	if (wait) {
		db_tx_rollback(r->db);
		return rate_limited(r, wait);
	}
	sqlite3_stmt *st = db_stmt(r->db, fail_insert_sql);
	db_bind_text(st, ":email", a->email);
	db_bind_text(st, ":ip", a->ipkey);
	db_bind_text(st, ":device", a->device[0] ? a->device : NULL);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0)
		goto fail;
	a->id = sqlite3_last_insert_rowid(db_handle(r->db));
	st = db_stmt(r->db, fail_prune_sql);
	db_bind_int64(st, ":cutoff", now - THROTTLE_WINDOW);
	if (db_exec_stmt(r->db, st) < 0 || db_tx_commit(r->db) < 0)
		goto fail;
	return 0;
fail:
	db_tx_rollback(r->db);
	return req_internal(r, "record sign-in attempt");
}

/* The attempt succeeded: it is not a failure after all. Inside the caller's transaction. */
static int attempt_forget(struct db *d, const struct attempt *a)
{
	sqlite3_stmt *st = db_stmt(d, fail_delete_sql);
	db_bind_int64(st, ":id", a->id);
	return db_exec_stmt(d, st);
}

/* The attempt failed: its row becomes a failure dated now. Inside the caller's transaction. */
static int attempt_failed(struct db *d, const struct attempt *a)
{
	sqlite3_stmt *st = db_stmt(d, fail_settle_sql);
	db_bind_int64(st, ":id", a->id);
	db_bind_int64(st, ":now", now_unix());
	return db_exec_stmt(d, st);
}

/* ---- small helpers -------------------------------------------------------------------------- */

static bool body_has(struct req *r, const char *name)
{
	return r->body && json_object_get(r->body, name) != NULL;
}

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

/* A display name: non-empty, at most max bytes, no control characters, not blank (text_blank). */
bool account_text_ok(const char *s, size_t max)
{
	return text_line_ok(s, max);
}

/* A deliberately plain e-mail check: one @ with something before it, a dotted domain after it,
 * no spaces, controls or the characters that need quoting in RFC 5322. */
bool account_email_ok(const char *e)
{
	size_t n = strlen(e);
	const char *at = strchr(e, '@');
	if (n > EMAIL_MAX_BYTES || !at || at == e || strchr(at + 1, '@'))
		return false;
	const char *dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || !dot[1] || strstr(at + 1, ".."))
		return false;
	for (const unsigned char *p = (const unsigned char *)e; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("<>()[],;:\\\"", *p))
			return false;
	return true;
}

/* specialties from the body: 1 when absent, -1 when malformed, 0 with *out a new JSON array
 * text (trimmed of duplicates, compared without ASCII case; caller frees). */
static int specialties_parse(struct req *r, char **out)
{
	json_t *v = r->body ? json_object_get(r->body, "specialties") : NULL;
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_array(v) || json_array_size(v) > SPECIALTIES_MAX)
		return -1;
	json_t *norm = json_array(), *item;
	size_t i, j;
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item) || !account_text_ok(json_string_value(item), SPECIALTY_MAX_BYTES)) {
			json_decref(norm);
			return -1;
		}
		bool dup = false;
		for (j = 0; j < json_array_size(norm); j++)
			dup |= strcasecmp(json_string_value(json_array_get(norm, j)),
					  json_string_value(item)) == 0;
		if (!dup)
			json_array_append(norm, item);
	}
	*out = json_dumps(norm, JSON_COMPACT);
	json_decref(norm);
	return 0;
}

static int audit_user(struct req *r, int64_t actor, const char *action, int64_t user_id, json_t *detail)
{
	char *t = user_id ? xasprintf("user:%" PRId64, user_id) : xstrdup("");
	int rc = audit_append(r->db, actor, action, t, r->ip, detail);
	free(t);
	return rc;
}

/* The password policy of docs/API.md §3 plus one contextual rule (NIST SP 800-63B 5.1.1.2): the
 * password may not contain the local part of the user's e-mail address. Returns 0 when
 * acceptable, else 422 weak_password with the reason. */
static int password_refused(struct req *r, const char *password, const char *email)
{
	switch (crypto_password_policy(password)) {
	case CRYPTO_POLICY_OK: break;
	case CRYPTO_POLICY_TOO_SHORT:
		return req_error(r, 422, "weak_password", "the password must have at least %d characters",
				 CRYPTO_PASSWORD_MIN_CHARS);
	case CRYPTO_POLICY_TOO_LONG:
		return req_error(r, 422, "weak_password", "the password may have at most %d bytes",
				 CRYPTO_PASSWORD_MAX_BYTES);
	case CRYPTO_POLICY_COMMON:
		return req_error(
			r, 422, "weak_password",
			"this password is one of the most common passwords (or one with digits or "
			"symbols added, or a keyboard or alphabet sequence), which attackers try first");
	case CRYPTO_POLICY_REPEATED:
		return req_error(r, 422, "weak_password", "the password is one character repeated");
	default: return req_error(r, 422, "weak_password", "the password is not acceptable");
	}
	const char *at = email ? strchr(email, '@') : NULL;
	if (at && at - email >= 4) {
		char *local = xstrndup(email, (size_t)(at - email));
		bool contains = strcasestr(password, local) != NULL;
		free(local);
		if (contains)
			return req_error(r, 422, "weak_password",
					 "the password contains your e-mail address");
	}
	return 0;
}

/* ---- users as JSON ---------------------------------------------------------------------------- */

/* What an account of each role carries (docs/API.md §3): a participant belongs to exactly one
 * company, takes one of its seats and may be its representative; an expert has specialties;
 * the secretariat can require TOTP of experts and of itself. This is the shape of the data,
 * not an access decision (those are authz.c's alone). */
struct role_shape {
	bool company; /* company_id required, a seat counted, representative allowed */
	bool specialties;
	bool totp_requirable;
};
static const struct role_shape role_shapes[] = {
	[ROLE_NONE] = {0},
	[ROLE_PARTICIPANT] = {.company = true},
	[ROLE_EXPERT] = {.specialties = true, .totp_requirable = true},
	[ROLE_SECRETARIAT] = {.totp_requirable = true},
};

static const struct role_shape *role_shape(enum role r)
{
	return &role_shapes[(unsigned)r < ARRAY_LEN(role_shapes) ? r : ROLE_NONE];
}

#define USER_COLUMNS                                                                                         \
	"u.id, u.email, u.name, u.role, u.company_id, u.representative, u.specialties, u.status,"            \
	" u.totp_secret IS NOT NULL, u.totp_required, u.created_at,"                                         \
	" (SELECT c.name FROM companies c WHERE c.id = u.company_id), u.lang"
static const char user_sql[] = "SELECT " USER_COLUMNS " FROM users u WHERE u.id = :id";
static const char users_sql[] =
	"SELECT " USER_COLUMNS " FROM users u WHERE (:role IS NULL OR u.role = :role)"
	" AND (:company IS NULL OR u.company_id = :company) AND (:status IS NULL OR u.status = :status)"
	" ORDER BY u.id";

/* {id, email, name, role, company_id, company_name, representative, specialties, status,
 * totp_enabled, totp_required, totp_setup_required, created_at, lang} from a row of USER_COLUMNS
 * (company_name null when company_id is). */
static json_t *user_json(sqlite3_stmt *st)
{
	json_t *u = json_object();
	json_object_set_new(u, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(u, "email", json_string(db_col_text(st, 1)));
	json_object_set_new(u, "name", json_string(db_col_text(st, 2)));
	json_object_set_new(u, "role", json_string(db_col_text(st, 3)));
	json_object_set_new(u, "company_id",
			    sqlite3_column_type(st, 4) == SQLITE_NULL
				    ? json_null()
				    : json_integer(sqlite3_column_int64(st, 4)));
	json_object_set_new(u, "company_name",
			    sqlite3_column_type(st, 11) == SQLITE_NULL ? json_null()
								       : json_string(db_col_text(st, 11)));
	json_object_set_new(u, "representative", json_boolean(sqlite3_column_int(st, 5)));
	json_t *spec = json_loads(db_col_text(st, 6), 0, NULL);
	if (!json_is_array(spec)) {
		json_decref(spec);
		spec = json_array();
	}
	json_object_set_new(u, "specialties", spec);
	json_object_set_new(u, "status", json_string(db_col_text(st, 7)));
	bool enabled = sqlite3_column_int(st, 8), required = sqlite3_column_int(st, 9);
	json_object_set_new(u, "totp_enabled", json_boolean(enabled));
	json_object_set_new(u, "totp_required", json_boolean(required));
	json_object_set_new(u, "totp_setup_required", json_boolean(required && !enabled));
	json_object_set_new(u, "created_at", json_time(sqlite3_column_int64(st, 10)));
	json_object_set_new(u, "lang", json_string(db_col_text(st, 12)));
	return u;
}

/* The user as JSON (new reference), or NULL when there is none. */
static json_t *user_load(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, user_sql);
	db_bind_int64(st, ":id", id);
	json_t *u = sqlite3_step(st) == SQLITE_ROW ? user_json(st) : NULL;
	sqlite3_reset(st);
	return u;
}

/* ---- sign-in ------------------------------------------------------------------------------------ */

static const char signin_user_sql[] = "SELECT id, password_hash FROM users WHERE email = :email";
static const char signin_recheck_sql[] =
	"SELECT status, totp_secret, totp_last_step FROM users WHERE id = :id";
static const char totp_step_sql[] = "UPDATE users SET totp_last_step = :step WHERE id = :id";
static const char password_set_sql[] = "UPDATE users SET password_hash = :hash WHERE id = :id";

/* One sign-in across the helper pool. */
struct signin {
	struct req *r;
	struct attempt a;
	char *password;
	char *totp;      /* the code given, or NULL */
	char *stored;    /* the user's password hash, NULL to verify against the dummy */
	char *rehash;    /* a fresh hash when stored used older parameters (helper thread) */
	int64_t user_id; /* 0 when no user has this e-mail */
	bool verified;
};

static void signin_free(struct signin *s)
{
	if (s->password)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	free(s->totp);
	free(s->stored);
	free(s->rehash);
	free(s->a.email);
	free(s);
}

/* Helper thread: an unknown e-mail (or an account without a password yet) verifies against
 * the dummy hash, so every answer costs one scrypt. The dummy is fetched in every case, so the
 * one-time cost of computing it falls on the process's first sign-in whatever its e-mail. */
static void signin_work(void *arg)
{
	struct signin *s = arg;
	const char *dummy = crypto_password_dummy();
	s->verified = crypto_password_verify(s->password, s->stored ? s->stored : dummy) == 1;
	if (s->verified && s->stored && crypto_password_needs_rehash(s->stored))
		s->rehash = crypto_password_hash_new(s->password);
}

/* Remembers the browser as trusted for the user (see the throttling notes): refreshes the
 * cookie it came with, or issues one. Inside the caller's transaction. */
static int device_remember(struct req *r, struct signin *s, int64_t now)
{
	sqlite3_stmt *st = db_stmt(r->db, device_prune_sql);
	db_bind_int64(st, ":uid", s->user_id);
	db_bind_int64(st, ":since", now - DEVICE_MAX_AGE);
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	if (s->a.device[0]) {
		st = db_stmt(r->db, device_touch_sql);
		db_bind_text(st, ":h", s->a.device);
		db_bind_int64(st, ":now", now);
		return db_exec_stmt(r->db, st);
	}
	char *token = crypto_token_new(), hash[65];
	crypto_sha256_hex(token, strlen(token), hash);
	st = db_stmt(r->db, device_insert_sql);
	db_bind_text(st, ":h", hash);
	db_bind_int64(st, ":uid", s->user_id);
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

/* Event loop, after hashing: decides the outcome inside one write transaction, re-reading the
 * account so a suspension or TOTP use during the hashing counts. */
static int signin_finish(struct signin *s)
{
	struct req *r = s->r;
	struct db *d = r->db;
	int64_t now = now_unix(), step = 0, last_step = 0;
	const char *reason = NULL;
	char status[16] = "", *secret = NULL, *csrf = NULL;
	bool need_totp = false;
	json_t *detail = NULL;
	int rc;

	if (db_tx_begin(d, __func__) < 0)
		return req_internal(r, "begin");
	if (s->user_id) {
		sqlite3_stmt *st = db_stmt(d, signin_recheck_sql);
		db_bind_int64(st, ":id", s->user_id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(status, sizeof status, "%s", db_col_text(st, 0));
			secret = db_col_dup(st, 1);
			last_step = sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
	}
	if (!*status)
		reason = "unknown_email";
	else if (strcmp(status, "invited") == 0)
		reason = "not_activated"; /* no password yet: it was checked against the dummy */
	else if (!s->verified)
		reason = "wrong_password";
	else if (strcmp(status, "active") != 0)
		reason = "suspended";
	else if (secret && !s->totp)
		need_totp = true;
	else if (secret) {
		unsigned char key[64];
		size_t klen = 0;
		if (crypto_base32_decode(secret, key, sizeof key, &klen) == 0)
			step = crypto_totp_check(key, klen, s->totp, now);
		explicit_bzero(key, sizeof key);
		if (step <= last_step) /* no match (0), or a code whose time step was used already */
			reason = "wrong_totp";
	}
	free(secret);

	if (reason) {
		detail = json_pack("{s:s,s:s}", "email", s->a.email, "reason", reason);
		if (attempt_failed(d, &s->a) < 0 ||
		    audit_user(r, s->user_id, "session.login_failed", *status ? s->user_id : 0, detail) < 0 ||
		    db_tx_commit(d) < 0)
			goto fail;
		json_decref(detail);
		return req_error(r, 401, "bad_credentials", "wrong e-mail or password");
	}
	if (attempt_forget(d, &s->a) < 0)
		goto fail;
	if (need_totp) {
		if (db_tx_commit(d) < 0)
			goto fail;
		return req_error(r, 401, "totp_required",
				 "enter the 6-digit code from your authenticator app");
	}
	sqlite3_stmt *st;
	if (step) {
		st = db_stmt(d, totp_step_sql);
		db_bind_int64(st, ":step", step);
		db_bind_int64(st, ":id", s->user_id);
		if (db_exec_stmt(d, st) < 0)
			goto fail;
	}
	if (s->rehash) {
		st = db_stmt(d, password_set_sql);
		db_bind_text(st, ":hash", s->rehash);
		db_bind_int64(st, ":id", s->user_id);
		if (db_exec_stmt(d, st) < 0)
			goto fail;
	}
	csrf = session_create(r, s->user_id);
	if (!csrf || device_remember(r, s, now) < 0)
		goto fail;
	detail = json_pack("{s:b,s:b}", "totp", step != 0, "trusted_device", s->a.device[0] != 0);
	if (audit_user(r, s->user_id, "session.login", s->user_id, detail) < 0 || db_tx_commit(d) < 0)
		goto fail;
	json_decref(detail);
	json_t *user = user_load(d, s->user_id);
	if (!user) {
		free(csrf);
		return req_internal(r, "user reload");
	}
	json_t *out = json_pack("{s:o,s:s}", "user", user, "csrf_token", csrf);
	free(csrf);
	return req_reply(r, 200, out);
fail:
	json_decref(detail);
	free(csrf);
	db_tx_rollback(d);
	rc = req_internal(r, "sign-in");
	return rc;
}

static void signin_done(void *arg)
{
	struct signin *s = arg;
	struct req *r = s->r;
	int status = signin_finish(s);
	signin_free(s);
	req_finish(r, status);
}

/* POST /api/v1/session {email, password, totp?} — public, no CSRF (there is no session yet):
 * 200 {user, csrf_token} and the session cookie. A wrong password, an unknown e-mail, an
 * account not yet activated or suspended, and a wrong or reused TOTP code all answer 401
 * bad_credentials, with the same body after the same work (one scrypt). An enrolled user
 * without a code gets 401 totp_required once the password is right. 429 rate_limited with
 * Retry-After per the throttling notes above, decided before any hashing. */
static int handle_account_signin(struct req *r)
{
	const char *email = NULL, *password = NULL, *totp = NULL;
	if (req_body_str(r, "email", &email) != 0 || req_body_str(r, "password", &password) != 0)
		return req_error(r, 422, "invalid", "email and password are required");
	if (req_body_str(r, "totp", &totp) < 0)
		return req_error(r, 422, "invalid", "totp must be a string of 6 digits");
	if (strlen(email) > EMAIL_MAX_BYTES || strlen(password) > SIGNIN_PASSWORD_MAX_BYTES)
		return req_error(r, 422, "invalid", "email or password too long");

	struct signin *s = xcalloc(1, sizeof *s);
	s->r = r;
	s->a.email = xstrdup(email);
	account_ip_key(r->ip, s->a.ipkey);
	sqlite3_stmt *st = db_stmt(r->db, signin_user_sql);
	db_bind_text(st, ":email", email);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->user_id = sqlite3_column_int64(st, 0);
		s->stored = db_col_dup(st, 1);
	}
	sqlite3_reset(st);
	char *device = cookie_new(r, DEVICE_COOKIE);
	if (device && s->user_id) {
		char hash[65];
		crypto_sha256_hex(device, strlen(device), hash);
		st = db_stmt(r->db, device_user_sql);
		db_bind_text(st, ":h", hash);
		db_bind_int64(st, ":since", now_unix() - DEVICE_MAX_AGE);
		if (db_one_int64(st, 0) == s->user_id)
			memcpy(s->a.device, hash, sizeof hash);
	}
	free(device);
	int rc = attempt_begin(r, &s->a);
	if (rc) {
		signin_free(s);
		return rc;
	}
	s->password = xstrdup(password);
	s->totp = totp ? xstrdup(totp) : NULL;
	r->async_ctx = s;
	pool_submit(r->w, signin_work, signin_done, s);
	return HTTP_ASYNC;
}

/* DELETE /api/v1/session — signed in: 204; the session is deleted server-side, so the old
 * cookie no longer works anywhere. */
static int handle_account_signout(struct req *r)
{
	int64_t uid = r->who->user_id;
	if (session_end(r) < 0)
		return req_internal(r, "session end");
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	if (audit_user(r, uid, "session.logout", uid, NULL) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "audit");
	}
	return 204;
}

/* GET /api/v1/me — signed in (also while consent is pending): 200 {user, pending_consents,
 * csrf_token}. */
static int handle_account_me(struct req *r)
{
	json_t *user = user_load(r->db, r->who->user_id);
	if (!user)
		return req_internal(r, "user load");
	return req_reply(r, 200,
			 json_pack("{s:o,s:o,s:s}", "user", user, "pending_consents",
				   authz_pending_consents(r->db, r->who), "csrf_token",
				   r->csrf ? r->csrf : ""));
}

static const char lang_update_sql[] = "UPDATE users SET lang = :lang WHERE id = :id";

/* PATCH /api/v1/me {lang} — signed in (also while consent is pending): the caller's own
 * settings; today only lang, the language mamori's mails to them are written in ("ja", the
 * default, or "en"; the web front end's language switch sets it). 200 {user}; 422 invalid for
 * another value or an empty body. */
static int handle_account_me_update(struct req *r)
{
	const char *lang = NULL;
	if (req_body_str(r, "lang", &lang) != 0 || !kinds_lang_valid(lang))
		return req_error(r, 422, "invalid", "lang must be \"ja\" or \"en\"");
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, lang_update_sql);
	db_bind_text(st, ":lang", lang);
	db_bind_int64(st, ":id", r->who->user_id);
	if (db_exec_stmt(r->db, st) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "lang");
	}
	json_t *user = user_load(r->db, r->who->user_id);
	if (!user)
		return req_internal(r, "user load");
	return req_reply(r, 200, json_pack("{s:o}", "user", user));
}

/* ---- invitations and user administration ------------------------------------------------------- */

static const char email_taken_sql[] = "SELECT count(*) FROM users WHERE email = :email";
static const char company_exists_sql[] = "SELECT count(*) FROM companies WHERE id = :id";
static const char company_seats_sql[] =
	"SELECT count(*) FROM users WHERE company_id = :company AND role = 'participant'"
	" AND status IN ('invited','active') AND id != :except";
static const char user_insert_sql[] =
	"INSERT INTO users (email, name, role, company_id, representative, specialties, status, created_at)"
	" VALUES (:email, :name, :role, :company, :rep, :spec, 'invited', :now)";
static const char invite_clear_sql[] = "DELETE FROM invites WHERE user_id = :uid AND used_at IS NULL";
static const char invite_insert_sql[] =
	"INSERT INTO invites (token_hash, user_id, expires_at) VALUES (:h, :uid, :exp)";
static const char user_state_sql[] = "SELECT role, status, coalesce(company_id, 0) FROM users WHERE id = :id";
static const char user_update_sql[] =
	"UPDATE users SET name = coalesce(:name, name), status = coalesce(:status, status),"
	" representative = coalesce(:rep, representative), specialties = coalesce(:spec, specialties),"
	" totp_required = coalesce(:treq, totp_required),"
	" totp_secret = CASE WHEN :treset THEN NULL ELSE totp_secret END,"
	" totp_pending = CASE WHEN :treset THEN NULL ELSE totp_pending END,"
	" totp_last_step = CASE WHEN :treset THEN 0 ELSE totp_last_step END"
	" WHERE id = :id";

/* Participants a company holds (invited or active), not counting user `except`. */
static int64_t company_seats(struct db *d, int64_t company, int64_t except)
{
	sqlite3_stmt *st = db_stmt(d, company_seats_sql);
	db_bind_int64(st, ":company", company);
	db_bind_int64(st, ":except", except);
	return db_one_int64(st, 0);
}

/* Issues a new invitation for user_id, replacing any unused one, inside the caller's
 * transaction. Returns the token (caller frees; only its SHA-256 is stored) or NULL. */
static char *invite_issue_new(struct req *r, int64_t user_id, int64_t *expires)
{
	sqlite3_stmt *st = db_stmt(r->db, invite_clear_sql);
	db_bind_int64(st, ":uid", user_id);
	if (db_exec_stmt(r->db, st) < 0)
		return NULL;
	char *token = crypto_token_new(), hash[65];
	crypto_sha256_hex(token, strlen(token), hash);
	*expires = now_unix() + (int64_t)r->cfg->invite_days * 86400;
	st = db_stmt(r->db, invite_insert_sql);
	db_bind_text(st, ":h", hash);
	db_bind_int64(st, ":uid", user_id);
	db_bind_int64(st, ":exp", *expires);
	if (db_exec_stmt(r->db, st) < 0) {
		free(token);
		return NULL;
	}
	return token;
}

int account_user_insert(struct req *r, const struct user_in *in, int64_t *id_out, char **token,
			int64_t *expires)
{
	const struct role_shape *sh = role_shape(in->role);
	sqlite3_stmt *st;
	*token = NULL;
	if (sh->company) {
		st = db_stmt(r->db, company_exists_sql);
		db_bind_int64(st, ":id", in->company_id);
		if (db_one_int64(st, 0) != 1)
			return req_error(r, 422, "invalid", "no company %" PRId64, in->company_id);
	}
	st = db_stmt(r->db, email_taken_sql);
	db_bind_text(st, ":email", in->email);
	if (db_one_int64(st, 0) != 0)
		return req_error(r, 409, "email_taken", "an account with this e-mail address exists");
	if (sh->company && company_seats(r->db, in->company_id, 0) >= r->cfg->participants_per_company)
		return req_error(r, 409, "company_full", "the company already has %d participant(s)",
				 r->cfg->participants_per_company);
	st = db_stmt(r->db, user_insert_sql);
	db_bind_text(st, ":email", in->email);
	db_bind_text(st, ":name", in->name);
	db_bind_text(st, ":role", role_name(in->role));
	if (sh->company)
		db_bind_int64(st, ":company", in->company_id);
	db_bind_int64(st, ":rep", in->representative);
	db_bind_text(st, ":spec", in->specialties ? in->specialties : "[]");
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	*token = invite_issue_new(r, id, expires);
	json_t *detail = json_pack("{s:s,s:s,s:o}", "email", in->email, "role", role_name(in->role),
				   "company_id", sh->company ? json_integer(in->company_id) : json_null());
	int arc = *token ? audit_user(r, r->who->user_id, "user.create", id, detail) : -1;
	json_decref(detail);
	if (arc < 0) {
		free(*token);
		*token = NULL;
		return -1;
	}
	*id_out = id;
	return 0;
}

json_t *account_user_json(struct db *d, int64_t id)
{
	return user_load(d, id);
}

/* POST /api/v1/users {email, name, role, company_id?, representative?, specialties?} —
 * secretariat: 201 {user, invite_token, invite_expires_at}; the user is `invited` until the
 * token is used. 422 invalid for bad fields (company_id is required for participants and only
 * for them, and must name a company); then the rules of account_user_insert (409 email_taken,
 * 409 company_full). */
static int handle_account_user_create(struct req *r)
{
	const char *email = NULL, *name = NULL, *role_s = NULL;
	int64_t company = 0;
	bool rep = false;
	char *spec = NULL, *token = NULL;
	if (req_body_str(r, "email", &email) != 0 || !account_email_ok(email))
		return req_error(r, 422, "invalid", "email must be an e-mail address");
	if (req_body_str(r, "name", &name) != 0 || !account_text_ok(name, NAME_MAX_BYTES))
		return req_error(r, 422, "invalid", "name must be a non-empty text of at most %d bytes",
				 NAME_MAX_BYTES);
	enum role role = req_body_str(r, "role", &role_s) == 0 ? role_from_name(role_s) : ROLE_NONE;
	if (role == ROLE_NONE)
		return req_error(r, 422, "invalid", "role must be participant, expert or secretariat");
	const struct role_shape *sh = role_shape(role);
	int c = req_body_int(r, "company_id", &company);
	if (c < 0 || (c == 0 && company <= 0))
		return req_error(r, 422, "invalid", "company_id must be a company's id");
	if (sh->company != (c == 0))
		return req_error(r, 422, "invalid",
				 "company_id is required for participants and only for them");
	if (req_body_bool(r, "representative", &rep) < 0 || (rep && !sh->company))
		return req_error(r, 422, "invalid", "representative is a boolean, for participants only");
	int sp = specialties_parse(r, &spec);
	if (sp < 0 || (sp == 0 && !sh->specialties && strcmp(spec, "[]") != 0)) {
		free(spec);
		return req_error(r, 422, "invalid",
				 "specialties is a list of up to %d short texts, for experts only",
				 SPECIALTIES_MAX);
	}

	if (db_tx_begin(r->db, __func__) < 0) {
		free(spec);
		return req_internal(r, "begin");
	}
	struct user_in in = {email, name, role, sh->company ? company : 0, rep, spec};
	int64_t id = 0, expires = 0;
	int rc = account_user_insert(r, &in, &id, &token, &expires);
	free(spec);
	if (rc != 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		free(token);
		return rc > 0 ? rc : req_internal(r, "user create");
	}
	json_t *user = user_load(r->db, id);
	json_t *out = json_pack("{s:o,s:s,s:o}", "user", user ? user : json_null(), "invite_token", token,
				"invite_expires_at", json_time(expires));
	free(token);
	return req_reply(r, 201, out);
}

/* GET /api/v1/users?role=&company_id=&status= — secretariat: {users:[...]} by id. */
static int handle_account_user_list(struct req *r)
{
	sqlite3_stmt *st = db_stmt(r->db, users_sql);
	db_bind_text(st, ":role", req_query_str(r, "role"));
	db_bind_text(st, ":status", req_query_str(r, "status"));
	if (req_query_str(r, "company_id"))
		db_bind_int64(st, ":company", req_query_int(r, "company_id", 0));
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, user_json(st));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "users", list));
}

/* GET /api/v1/users/{id} — secretariat: {user}, or 404. */
static int handle_account_user_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	json_t *u = user_load(r->db, id);
	return u ? req_reply(r, 200, json_pack("{s:o}", "user", u)) : req_not_found(r);
}

/* PATCH /api/v1/users/{id} {status?, name?, representative?, specialties?, totp_required?,
 * totp_reset?} — secretariat: 200 {user}. status is active or suspended; suspending ends all
 * the user's sessions in the same transaction (and forgets their trusted browsers), and the
 * secretariat cannot suspend itself (403). Reactivating a participant counts against the
 * company's participants (409 company_full). totp_required (experts and secretariat) makes the
 * user enrol TOTP; totp_reset:true removes an enrolment (a lost phone). */
static int handle_account_user_update(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	const char *status = NULL, *name = NULL;
	bool rep = false, treq = false, treset = false;
	char *spec = NULL;
	int s = req_body_str(r, "status", &status);
	if (s < 0 || (s == 0 && strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0))
		return req_error(r, 422, "invalid", "status must be active or suspended");
	int n = req_body_str(r, "name", &name);
	if (n < 0 || (n == 0 && !account_text_ok(name, NAME_MAX_BYTES)))
		return req_error(r, 422, "invalid", "name must be a non-empty text of at most %d bytes",
				 NAME_MAX_BYTES);
	int rp = req_body_bool(r, "representative", &rep), tq = req_body_bool(r, "totp_required", &treq),
	    tr = req_body_bool(r, "totp_reset", &treset);
	if (rp < 0 || tq < 0 || tr < 0)
		return req_error(r, 422, "invalid",
				 "representative, totp_required and totp_reset are booleans");
	int sp = specialties_parse(r, &spec);
	if (sp < 0)
		return req_error(r, 422, "invalid", "specialties is a list of up to %d short texts",
				 SPECIALTIES_MAX);
	if (s && n && rp && tq && tr && sp) {
		free(spec);
		return req_error(r, 422, "invalid", "nothing to change");
	}

	int rc;
	if (db_tx_begin(r->db, __func__) < 0) {
		free(spec);
		return req_internal(r, "begin");
	}
	sqlite3_stmt *st = db_stmt(r->db, user_state_sql);
	db_bind_int64(st, ":id", id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		rc = req_not_found(r);
		goto rollback;
	}
	const struct role_shape *sh = role_shape(role_from_name(db_col_text(st, 0)));
	bool was_suspended = strcmp(db_col_text(st, 1), "suspended") == 0;
	int64_t company = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	bool suspend = s == 0 && strcmp(status, "suspended") == 0;
	if (suspend && id == r->who->user_id) {
		rc = req_error(r, 403, "forbidden", "you cannot suspend your own account");
		goto rollback;
	}
	if (tq == 0 && !sh->totp_requirable) {
		rc = req_error(r, 422, "invalid", "totp_required applies to experts and the secretariat");
		goto rollback;
	}
	if (rp == 0 && !sh->company) {
		rc = req_error(r, 422, "invalid", "representative applies to participants");
		goto rollback;
	}
	if (sp == 0 && !sh->specialties && strcmp(spec, "[]") != 0) {
		rc = req_error(r, 422, "invalid", "specialties apply to experts");
		goto rollback;
	}
	if (s == 0 && !suspend && was_suspended && sh->company &&
	    company_seats(r->db, company, id) >= r->cfg->participants_per_company) {
		rc = req_error(r, 409, "company_full", "the company already has %d participant(s)",
			       r->cfg->participants_per_company);
		goto rollback;
	}
	st = db_stmt(r->db, user_update_sql);
	db_bind_int64(st, ":id", id);
	db_bind_text(st, ":name", n == 0 ? name : NULL);
	db_bind_text(st, ":status", s == 0 ? status : NULL);
	if (rp == 0)
		db_bind_int64(st, ":rep", rep);
	db_bind_text(st, ":spec", sp == 0 ? spec : NULL);
	if (tq == 0)
		db_bind_int64(st, ":treq", treq);
	db_bind_int64(st, ":treset", tr == 0 && treset);
	if (db_exec_stmt(r->db, st) < 0) {
		rc = req_internal(r, "user update");
		goto rollback;
	}
	if (suspend) {
		st = db_stmt(r->db, device_forget_sql);
		db_bind_int64(st, ":uid", id);
		if (session_end_all(r->db, id) < 0 || db_exec_stmt(r->db, st) < 0) {
			rc = req_internal(r, "end sessions");
			goto rollback;
		}
	}
	json_t *detail = json_object();
	static const char *const fields[] = {"status",      "name",          "representative",
					     "specialties", "totp_required", "totp_reset"};
	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		if (body_has(r, fields[i]))
			json_object_set(detail, fields[i], json_object_get(r->body, fields[i]));
	int arc = audit_user(r, r->who->user_id, "user.update", id, detail);
	json_decref(detail);
	if (arc < 0 || db_tx_commit(r->db) < 0) {
		rc = req_internal(r, "user update");
		goto rollback;
	}
	free(spec);
	json_t *u = user_load(r->db, id);
	return u ? req_reply(r, 200, json_pack("{s:o}", "user", u)) : req_internal(r, "user reload");
rollback:
	db_tx_rollback(r->db);
	free(spec);
	return rc;
}

/* POST /api/v1/users/{id}/invites — secretariat: 201 {user_id, invite_token,
 * invite_expires_at}, a new one-time token replacing any unused one: for an invitation that
 * expired, or as a password reset for an active user (accepting it ends their sessions). A
 * suspended user gets none (409 user_suspended). */
static int handle_account_invite_reissue(struct req *r)
{
	int64_t id, expires = 0;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	int rc;
	sqlite3_stmt *st = db_stmt(r->db, user_state_sql);
	db_bind_int64(st, ":id", id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		rc = req_not_found(r);
		goto rollback;
	}
	bool suspended = strcmp(db_col_text(st, 1), "suspended") == 0;
	sqlite3_reset(st);
	if (suspended) {
		rc = req_error(r, 409, "user_suspended", "the user is suspended");
		goto rollback;
	}
	char *token = invite_issue_new(r, id, &expires);
	if (!token || audit_user(r, r->who->user_id, "user.invite", id, NULL) < 0 ||
	    db_tx_commit(r->db) < 0) {
		free(token);
		rc = req_internal(r, "invite");
		goto rollback;
	}
	json_t *out = json_pack("{s:I,s:s,s:o}", "user_id", (json_int_t)id, "invite_token", token,
				"invite_expires_at", json_time(expires));
	free(token);
	return req_reply(r, 201, out);
rollback:
	db_tx_rollback(r->db);
	return rc;
}

static const char invite_find_sql[] =
	"SELECT i.user_id, u.email FROM invites i JOIN users u ON u.id = i.user_id"
	" WHERE i.token_hash = :h AND i.used_at IS NULL AND i.expires_at > :now AND u.status != 'suspended'";
static const char invite_use_sql[] =
	"UPDATE invites SET used_at = :now WHERE token_hash = :h AND used_at IS NULL AND expires_at > :now";
static const char user_status_sql[] = "SELECT status FROM users WHERE id = :id";
static const char user_activate_sql[] =
	"UPDATE users SET password_hash = :hash, status = 'active' WHERE id = :id AND status != 'suspended'";

struct accept {
	struct req *r;
	char token_hash[65];
	char *password;
	char *hash;
	int64_t user_id;
};

static void accept_work(void *arg)
{
	struct accept *a = arg;
	a->hash = crypto_password_hash_new(a->password);
	explicit_bzero(a->password, strlen(a->password));
}

static int accept_finish(struct accept *a)
{
	struct req *r = a->r;
	int64_t now = now_unix();
	if (!a->hash)
		return req_internal(r, "password hash");
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	int rc;
	/* The token is spent here, so of two concurrent acceptances only one wins. */
	sqlite3_stmt *st = db_stmt(r->db, invite_use_sql);
	db_bind_text(st, ":h", a->token_hash);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0) {
		rc = req_internal(r, "invite use");
		goto rollback;
	}
	if (sqlite3_changes(db_handle(r->db)) != 1) {
		rc = req_not_found(r);
		goto rollback;
	}
	st = db_stmt(r->db, user_status_sql);
	db_bind_int64(st, ":id", a->user_id);
	bool was_active = sqlite3_step(st) == SQLITE_ROW && strcmp(db_col_text(st, 0), "active") == 0;
	sqlite3_reset(st);
	st = db_stmt(r->db, user_activate_sql);
	db_bind_text(st, ":hash", a->hash);
	db_bind_int64(st, ":id", a->user_id);
	if (db_exec_stmt(r->db, st) < 0) {
		rc = req_internal(r, "activate");
		goto rollback;
	}
	if (sqlite3_changes(db_handle(r->db)) != 1) { /* suspended meanwhile */
		rc = req_not_found(r);
		goto rollback;
	}
	/* A new password ends every session made with the old one. */
	if (session_end_all(r->db, a->user_id) < 0 ||
	    audit_user(r, a->user_id, was_active ? "user.password_reset" : "user.activate", a->user_id,
		       NULL) < 0 ||
	    db_tx_commit(r->db) < 0) {
		rc = req_internal(r, "activate");
		goto rollback;
	}
	json_t *u = user_load(r->db, a->user_id);
	return u ? req_reply(r, 200, json_pack("{s:o}", "user", u)) : req_internal(r, "user reload");
rollback:
	db_tx_rollback(r->db);
	return rc;
}

static void accept_done(void *arg)
{
	struct accept *a = arg;
	struct req *r = a->r;
	int status = accept_finish(a);
	free(a->password);
	free(a->hash);
	free(a);
	req_finish(r, status);
}

/* POST /api/v1/invites/{token}/accept {password} — anyone with the token, no CSRF: 200 {user}
 * with the account active and the password set. The token works once; a used, expired,
 * replaced or unknown token, or one for a suspended user, is 404 not_found (no distinction,
 * so the answer reveals nothing about tokens). 422 weak_password with the reason. */
static int handle_account_invite_accept(struct req *r)
{
	const char *token = req_path_str(r, 0), *password = NULL;
	if (!token || strlen(token) != CRYPTO_TOKEN_LEN)
		return req_not_found(r);
	struct accept *a = xcalloc(1, sizeof *a);
	a->r = r;
	crypto_sha256_hex(token, strlen(token), a->token_hash);
	sqlite3_stmt *st = db_stmt(r->db, invite_find_sql);
	db_bind_text(st, ":h", a->token_hash);
	db_bind_int64(st, ":now", now_unix());
	char *email = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		a->user_id = sqlite3_column_int64(st, 0);
		email = db_col_dup(st, 1);
	}
	sqlite3_reset(st);
	int rc = 0;
	if (!a->user_id)
		rc = req_not_found(r);
	else if (req_body_str(r, "password", &password) != 0)
		rc = req_error(r, 422, "invalid", "password is required");
	else
		rc = password_refused(r, password, email);
	free(email);
	if (rc) {
		free(a);
		return rc;
	}
	a->password = xstrdup(password);
	r->async_ctx = a;
	pool_submit(r->w, accept_work, accept_done, a);
	return HTTP_ASYNC;
}

/* ---- password change ------------------------------------------------------------------------------ */

static const char own_hash_sql[] = "SELECT password_hash, email FROM users WHERE id = :id";

/* For a signed-in user proving their password again (password change, TOTP removal): their
 * hash into *stored and the throttle keys (their e-mail, the address) into a. */
static void reauth_load(struct req *r, struct attempt *a, char **stored)
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

struct pwchange {
	struct req *r;
	struct attempt a;
	char *current, *next, *stored, *hash;
	bool verified;
};

static void pwchange_free(struct pwchange *p)
{
	if (p->current)
		explicit_bzero(p->current, strlen(p->current));
	if (p->next)
		explicit_bzero(p->next, strlen(p->next));
	free(p->current);
	free(p->next);
	free(p->stored);
	free(p->hash);
	free(p->a.email);
	free(p);
}

static void pwchange_work(void *arg)
{
	struct pwchange *p = arg;
	p->verified = crypto_password_verify(p->current, p->stored ? p->stored : crypto_password_dummy()) ==
		      1;
	if (p->verified)
		p->hash = crypto_password_hash_new(p->next);
}

static int pwchange_finish(struct pwchange *p)
{
	struct req *r = p->r;
	int64_t uid = r->who->user_id;
	char *csrf = NULL;
	if (p->verified && !p->hash)
		return req_internal(r, "password hash");
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	if (!p->verified) {
		json_t *detail = json_pack("{s:s,s:s}", "email", p->a.email, "reason", "password_change");
		int arc = attempt_failed(r->db, &p->a) < 0
				  ? -1
				  : audit_user(r, uid, "session.login_failed", uid, detail);
		json_decref(detail);
		if (arc < 0 || db_tx_commit(r->db) < 0)
			goto fail;
		return req_error(r, 403, "bad_credentials", "the current password is wrong");
	}
	sqlite3_stmt *st = db_stmt(r->db, password_set_sql);
	db_bind_text(st, ":hash", p->hash);
	db_bind_int64(st, ":id", uid);
	/* Every other session ends; this browser gets a fresh one. */
	if (attempt_forget(r->db, &p->a) < 0 || db_exec_stmt(r->db, st) < 0 ||
	    session_end_all(r->db, uid) < 0)
		goto fail;
	csrf = session_create(r, uid);
	if (!csrf || audit_user(r, uid, "user.password_change", uid, NULL) < 0 || db_tx_commit(r->db) < 0)
		goto fail;
	json_t *u = user_load(r->db, uid);
	json_t *out = json_pack("{s:o,s:s}", "user", u ? u : json_null(), "csrf_token", csrf);
	free(csrf);
	return req_reply(r, 200, out);
fail:
	free(csrf);
	db_tx_rollback(r->db);
	return req_internal(r, "password change");
}

static void pwchange_done(void *arg)
{
	struct pwchange *p = arg;
	struct req *r = p->r;
	int status = pwchange_finish(p);
	pwchange_free(p);
	req_finish(r, status);
}

/* POST /api/v1/me/password {current_password, new_password} — signed in: 200 {user,
 * csrf_token}. Every session of the user ends and this one is replaced by a new one. A wrong
 * current password is 403 bad_credentials and counts as a failed sign-in (same throttle and
 * audit), so a stolen session cookie cannot be used to guess the password quickly. */
static int handle_account_password_change(struct req *r)
{
	const char *cur = NULL, *next = NULL;
	if (req_body_str(r, "current_password", &cur) != 0 || req_body_str(r, "new_password", &next) != 0)
		return req_error(r, 422, "invalid", "current_password and new_password are required");
	if (strlen(cur) > SIGNIN_PASSWORD_MAX_BYTES)
		return req_error(r, 422, "invalid", "current_password too long");
	struct pwchange *p = xcalloc(1, sizeof *p);
	p->r = r;
	reauth_load(r, &p->a, &p->stored);
	int rc = password_refused(r, next, p->a.email);
	if (!rc)
		rc = attempt_begin(r, &p->a);
	if (rc) {
		pwchange_free(p);
		return rc;
	}
	p->current = xstrdup(cur);
	p->next = xstrdup(next);
	r->async_ctx = p;
	pool_submit(r->w, pwchange_work, pwchange_done, p);
	return HTTP_ASYNC;
}

/* ---- TOTP ---------------------------------------------------------------------------------------------- */

static const char totp_state_sql[] =
	"SELECT totp_secret, totp_pending, totp_last_step, totp_required, email FROM users WHERE id = :id";
static const char totp_pending_sql[] = "UPDATE users SET totp_pending = :secret WHERE id = :id";
static const char totp_enable_sql[] =
	"UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = :step WHERE id = :id";
static const char totp_disable_sql[] =
	"UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0 WHERE id = :id";

/* The time step code matches for the base32 secret, or 0. */
static int64_t totp_match(const char *secret, const char *code)
{
	unsigned char key[64];
	size_t klen = 0;
	int64_t step = 0;
	if (secret && code && crypto_base32_decode(secret, key, sizeof key, &klen) == 0)
		step = crypto_totp_check(key, klen, code, now_unix());
	explicit_bzero(key, sizeof key);
	return step;
}

/* POST /api/v1/me/totp — signed in: starts enrolment. 200 {secret (base32), otpauth_uri} for
 * the authenticator app; nothing changes at sign-in until /me/totp/confirm. Starting again
 * replaces an unconfirmed secret. 409 totp_enabled when already enrolled. */
static int handle_account_totp_start(struct req *r)
{
	int64_t uid = r->who->user_id;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, totp_state_sql);
	db_bind_int64(st, ":id", uid);
	bool enabled = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	sqlite3_reset(st);
	if (enabled) {
		db_tx_rollback(r->db);
		return req_error(r, 409, "totp_enabled", "two-step sign-in is already set up");
	}
	unsigned char raw[TOTP_SECRET_BYTES];
	crypto_random(raw, sizeof raw);
	char *secret = crypto_base32_encode_new(raw, sizeof raw);
	explicit_bzero(raw, sizeof raw);
	st = db_stmt(r->db, totp_pending_sql);
	db_bind_text(st, ":secret", secret);
	db_bind_int64(st, ":id", uid);
	if (db_exec_stmt(r->db, st) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		free(secret);
		return req_internal(r, "totp start");
	}
	char *label = evhttp_encode_uri(r->who->email ? r->who->email : "");
	char *uri = xasprintf(
		"otpauth://totp/mamori:%s?secret=%s&issuer=mamori&algorithm=SHA1&digits=6&period=30",
		label ? label : "", secret);
	free(label);
	json_t *out = json_pack("{s:s,s:s}", "secret", secret, "otpauth_uri", uri);
	free(uri);
	free(secret);
	return req_reply(r, 200, out);
}

/* POST /api/v1/me/totp/confirm {code} — signed in: 200 {user} with totp_enabled, once the code
 * from the app matches the secret from /me/totp (422 bad_code otherwise; 409
 * totp_not_started without one). From then on sign-in needs a code. */
static int handle_account_totp_confirm(struct req *r)
{
	int64_t uid = r->who->user_id;
	const char *code = NULL;
	if (req_body_str(r, "code", &code) != 0)
		return req_error(r, 422, "invalid", "code is required");
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	int rc;
	sqlite3_stmt *st = db_stmt(r->db, totp_state_sql);
	db_bind_int64(st, ":id", uid);
	char *pending = NULL;
	bool enabled = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		enabled = sqlite3_column_type(st, 0) != SQLITE_NULL;
		pending = db_col_dup(st, 1);
	}
	sqlite3_reset(st);
	if (enabled) {
		rc = req_error(r, 409, "totp_enabled", "two-step sign-in is already set up");
		goto rollback;
	}
	if (!pending) {
		rc = req_error(r, 409, "totp_not_started", "start with POST /api/v1/me/totp");
		goto rollback;
	}
	int64_t step = totp_match(pending, code);
	if (!step) {
		rc = req_error(r, 422, "bad_code",
			       "the code does not match; check the app and the device's clock");
		goto rollback;
	}
	st = db_stmt(r->db, totp_enable_sql);
	db_bind_int64(st, ":step", step);
	db_bind_int64(st, ":id", uid);
	if (db_exec_stmt(r->db, st) < 0 || audit_user(r, uid, "user.totp_enable", uid, NULL) < 0 ||
	    db_tx_commit(r->db) < 0) {
		rc = req_internal(r, "totp confirm");
		goto rollback;
	}
	free(pending);
	json_t *u = user_load(r->db, uid);
	return u ? req_reply(r, 200, json_pack("{s:o}", "user", u)) : req_internal(r, "user reload");
rollback:
	db_tx_rollback(r->db);
	free(pending);
	return rc;
}

/* Removing two-step sign-in (DELETE /api/v1/me/totp) across the helper pool: the current
 * password is checked with scrypt there, never on the event loop. */
struct totp_off {
	struct req *r;
	struct attempt a;
	char *password, *stored, *code;
	bool verified;
};

static void totp_off_free(struct totp_off *o)
{
	if (o->password)
		explicit_bzero(o->password, strlen(o->password));
	free(o->password);
	free(o->stored);
	free(o->code);
	free(o->a.email);
	free(o);
}

static void totp_off_work(void *arg)
{
	struct totp_off *o = arg;
	o->verified = crypto_password_verify(o->password, o->stored ? o->stored : crypto_password_dummy()) == 1;
}

/* Event loop, after hashing: re-reads the enrolment (it may have changed meanwhile) and
 * decides inside one write transaction. A wrong password or code is a failed attempt (the
 * sign-in throttle) and audited as user.totp_disable_failed with the reason. */
static int totp_off_finish(struct totp_off *o)
{
	struct req *r = o->r;
	int64_t uid = r->who->user_id;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, totp_state_sql);
	db_bind_int64(st, ":id", uid);
	char *secret = NULL;
	int64_t last = 0;
	bool required = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		secret = db_col_dup(st, 0);
		last = sqlite3_column_int64(st, 2);
		required = sqlite3_column_int(st, 3) != 0;
	}
	sqlite3_reset(st);
	int rc;
	const char *reason = NULL;
	if (!secret) {
		rc = req_error(r, 409, "totp_not_enabled", "two-step sign-in is not set up");
	} else if (required) {
		rc = req_error(r, 403, "forbidden", "the secretariat requires two-step sign-in for this account");
	} else if (!o->verified) {
		reason = "wrong_password";
		rc = req_error(r, 403, "bad_credentials", "the password is wrong");
	} else if (totp_match(secret, o->code) <= last) {
		reason = "wrong_totp";
		rc = req_error(r, 422, "bad_code", "the code does not match");
	} else {
		rc = 204;
	}
	free(secret);
	if (reason) {
		json_t *detail = json_pack("{s:s}", "reason", reason);
		int arc = attempt_failed(r->db, &o->a) < 0 ? -1
							   : audit_user(r, uid, "user.totp_disable_failed", uid, detail);
		json_decref(detail);
		if (arc < 0 || db_tx_commit(r->db) < 0)
			goto fail;
		return rc;
	}
	if (rc != 204) { /* nothing to guess: not an attempt */
		if (attempt_forget(r->db, &o->a) < 0 || db_tx_commit(r->db) < 0)
			goto fail;
		return rc;
	}
	st = db_stmt(r->db, totp_disable_sql);
	db_bind_int64(st, ":id", uid);
	if (attempt_forget(r->db, &o->a) < 0 || db_exec_stmt(r->db, st) < 0 ||
	    audit_user(r, uid, "user.totp_disable", uid, NULL) < 0 || db_tx_commit(r->db) < 0)
		goto fail;
	return 204;
fail:
	db_tx_rollback(r->db);
	return req_internal(r, "totp disable");
}

static void totp_off_done(void *arg)
{
	struct totp_off *o = arg;
	struct req *r = o->r;
	int status = totp_off_finish(o);
	totp_off_free(o);
	req_finish(r, status);
}

/* DELETE /api/v1/me/totp {password, code} — signed in: 204, two-step sign-in removed, with the
 * current password and a current code as proof (a stolen session alone cannot remove it).
 * 403 forbidden when the secretariat requires TOTP for the account; 409 totp_not_enabled; 403
 * bad_credentials for a wrong password, 422 bad_code for a wrong or already used code; both
 * count as failed sign-ins, so 429 rate_limited with Retry-After after 10 in 15 minutes (the
 * sign-in throttle, per account and per address, decided before any hashing). Audited as
 * user.totp_disable and user.totp_disable_failed. */
static int handle_account_totp_disable(struct req *r)
{
	const char *password = NULL, *code = NULL;
	if (req_body_str(r, "password", &password) != 0 || req_body_str(r, "code", &code) != 0)
		return req_error(r, 422, "invalid", "password and code are required");
	if (strlen(password) > SIGNIN_PASSWORD_MAX_BYTES)
		return req_error(r, 422, "invalid", "password too long");
	struct totp_off *o = xcalloc(1, sizeof *o);
	o->r = r;
	reauth_load(r, &o->a, &o->stored);
	int rc = attempt_begin(r, &o->a);
	if (rc) {
		totp_off_free(o);
		return rc;
	}
	o->password = xstrdup(password);
	o->code = xstrdup(code);
	r->async_ctx = o;
	pool_submit(r->w, totp_off_work, totp_off_done, o);
	return HTTP_ASYNC;
}

#define SECRETARIAT (ACCESS_SESSION | ACCESS_SECRETARIAT)

const struct route account_routes[] = {
	ROUTE(POST, "/api/v1/session", ACCESS_PUBLIC, handle_account_signin, .max_body = 16384,
	      .flags = ROUTE_NO_CSRF),
	ROUTE(DELETE, "/api/v1/session", ACCESS_SESSION, handle_account_signout),
	ROUTE(GET, "/api/v1/me", ACCESS_SESSION, handle_account_me),
	ROUTE(PATCH, "/api/v1/me", ACCESS_SESSION, handle_account_me_update),
	ROUTE(POST, "/api/v1/me/password", ACCESS_SESSION, handle_account_password_change, .max_body = 16384),
	ROUTE(POST, "/api/v1/me/totp", ACCESS_SESSION, handle_account_totp_start),
	ROUTE(POST, "/api/v1/me/totp/confirm", ACCESS_SESSION, handle_account_totp_confirm),
	ROUTE(DELETE, "/api/v1/me/totp", ACCESS_SESSION, handle_account_totp_disable, .max_body = 16384),
	ROUTE(POST, "/api/v1/users", SECRETARIAT, handle_account_user_create),
	ROUTE(GET, "/api/v1/users", SECRETARIAT, handle_account_user_list,
	      .params = {{"role", PARAM_STR}, {"company_id", PARAM_INT}, {"status", PARAM_STR}}),
	ROUTE(GET, "/api/v1/users/{id}", SECRETARIAT, handle_account_user_get),
	ROUTE(PATCH, "/api/v1/users/{id}", SECRETARIAT, handle_account_user_update),
	ROUTE(POST, "/api/v1/users/{id}/invites", SECRETARIAT, handle_account_invite_reissue),
	ROUTE(POST, "/api/v1/invites/{token}/accept", ACCESS_PUBLIC, handle_account_invite_accept,
	      .max_body = 16384, .flags = ROUTE_NO_CSRF),
	{0},
};
