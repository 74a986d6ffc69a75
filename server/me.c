/* me.c — the signed-in user's own account (docs/API.md §2, §3): GET and PATCH /api/v1/me,
 * POST /api/v1/me/password, and two-step sign-in (POST /api/v1/me/totp, POST
 * /api/v1/me/totp/confirm, DELETE /api/v1/me/totp). Also the password policy (account.h).
 * Proving the current password again (password change, TOTP removal) goes through the sign-in
 * throttle (signin.h) and scrypt on the helper pool; the decision is taken in a transaction
 * opened in the completion. */
#include "account.h"

#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "kinds.h"
#include "router.h"
#include "server.h"
#include "session.h"
#include "signin.h"
#include "util.h"
#include "view.h"

#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226's recommendation */

/* The password policy (account.h). */
int account_password_refused(struct req *r, const char *password, const char *email)
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

/* 200 {user} with the caller as they are now, or 500 when they cannot be read. */
static int reply_me(struct req *r)
{
	json_t *u = view_user_json(r->db, r->who->user_id);
	return u ? req_reply(r, 200, json_pack("{s:o}", "user", u)) : req_internal(r, "user reload");
}

/* ---- /me ------------------------------------------------------------------------------------- */

/* GET /api/v1/me — signed in (also while consent is pending): 200 {user, pending_consents,
 * csrf_token}. */
static int handle_me(struct req *r)
{
	json_t *user = view_user_json(r->db, r->who->user_id);
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
static int handle_me_update(struct req *r)
{
	const char *lang = req_field_str(r, "lang");
	if (!kinds_lang_valid(lang))
		return req_error(r, 422, "invalid", "lang must be \"ja\" or \"en\"");
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, lang_update_sql);
	db_bind_text(st, ":lang", lang);
	db_bind_int64(st, ":id", r->who->user_id);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "lang");
	return reply_me(r);
}

/* ---- password change ------------------------------------------------------------------------- */

static const char password_set_sql[] = "UPDATE users SET password_hash = :hash WHERE id = :id";

/* One password change across the helper pool. */
struct pwchange {
	struct proof p; /* the current password */
	char *next, *hash;
};

/* Frees a password change, wiping both passwords. */
static void pwchange_free(struct proof *p)
{
	struct pwchange *c = (struct pwchange *)p;
	proof_clear(&c->p);
	if (c->next)
		explicit_bzero(c->next, strlen(c->next));
	free(c->next);
	free(c->hash);
	free(c);
}

/* Helper thread, after the check of the current password: hashes the new one when it is right. */
static void pwchange_work(struct proof *p)
{
	struct pwchange *c = (struct pwchange *)p;
	if (c->p.verified)
		c->hash = crypto_password_hash_new(c->next);
}

/* Event loop, after hashing, inside the attempt's transaction: a wrong current password is a
 * failed sign-in (403 bad_credentials); a right one sets the new password, ends every session
 * of the user and opens a fresh one for this browser (200 {user, csrf_token}). */
static int pwchange_decide(struct proof *p)
{
	struct pwchange *c = (struct pwchange *)p;
	struct req *r = c->p.r;
	int64_t uid = r->who->user_id;
	if (c->p.verified && !c->hash)
		return req_internal(r, "password hash");
	if (!c->p.verified) {
		json_t *detail = json_pack("{s:s,s:s}", "email", c->p.a.email, "reason", "password_change");
		int arc = attempt_failed(r->db, &c->p.a) < 0
				  ? -1
				  : audit_append_on(r->db, uid, "session.login_failed", "user", uid, r->ip,
						    detail);
		json_decref(detail);
		if (arc < 0)
			return req_internal(r, "password change");
		return req_error(r, 403, "bad_credentials", "the current password is wrong");
	}
	sqlite3_stmt *st = db_stmt(r->db, password_set_sql);
	db_bind_text(st, ":hash", c->hash);
	db_bind_int64(st, ":id", uid);
	/* Every other session ends; this browser gets a fresh one. */
	if (attempt_forget(r->db, &c->p.a) < 0 || db_exec_stmt(r->db, st) < 0 ||
	    session_end_all(r->db, uid) < 0)
		return req_internal(r, "password change");
	char *csrf = session_create(r, uid);
	if (!csrf || audit_append_on(r->db, uid, "user.password_change", "user", uid, r->ip, NULL) < 0) {
		free(csrf);
		return req_internal(r, "password change");
	}
	json_t *u = view_user_json(r->db, uid);
	json_t *out = json_pack("{s:o,s:s}", "user", u ? u : json_null(), "csrf_token", csrf);
	free(csrf);
	return req_reply(r, 200, out);
}

/* POST /api/v1/me/password {current_password, new_password} — signed in: 200 {user,
 * csrf_token}. Every session of the user ends and this one is replaced by a new one. A wrong
 * current password is 403 bad_credentials and counts as a failed sign-in (same throttle and
 * audit), so a stolen session cookie cannot be used to guess the password quickly. 422
 * weak_password for a new password the policy refuses. */
static int handle_me_password(struct req *r)
{
	const char *cur = req_field_str(r, "current_password"), *next = req_field_str(r, "new_password");
	struct pwchange *c = xcalloc(1, sizeof *c);
	c->p = (struct proof){
		.r = r, .work = pwchange_work, .decide = pwchange_decide, .destroy = pwchange_free};
	attempt_reauth_load(r, &c->p.a, &c->p.stored);
	int rc = account_password_refused(r, next, c->p.a.email);
	if (rc) {
		pwchange_free(&c->p);
		return rc;
	}
	c->next = xstrdup(next);
	return proof_submit(&c->p, cur);
}

/* ---- TOTP ------------------------------------------------------------------------------------ */

static const char totp_state_sql[] =
	"SELECT totp_secret, totp_pending, totp_last_step, totp_required FROM users WHERE id = :id";
static const char totp_pending_sql[] = "UPDATE users SET totp_pending = :secret WHERE id = :id";
static const char totp_enable_sql[] =
	"UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = :step WHERE id = :id";
static const char totp_disable_sql[] =
	"UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0 WHERE id = :id";

/* The caller's TOTP enrolment. */
struct totp_state {
	char *secret;  /* confirmed secret, or NULL */
	char *pending; /* started, unconfirmed secret, or NULL */
	int64_t last_step;
	bool required;
};

/* Reads the caller's enrolment into *t (caller frees the strings). */
static void totp_state_load(struct req *r, struct totp_state *t)
{
	memset(t, 0, sizeof *t);
	sqlite3_stmt *st = db_stmt(r->db, totp_state_sql);
	db_bind_int64(st, ":id", r->who->user_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t->secret = db_col_dup(st, 0);
		t->pending = db_col_dup(st, 1);
		t->last_step = sqlite3_column_int64(st, 2);
		t->required = sqlite3_column_int(st, 3) != 0;
	}
	sqlite3_reset(st);
}

/* Frees the strings of t. */
static void totp_state_clear(struct totp_state *t)
{
	free(t->secret);
	free(t->pending);
}

/* The otpauth:// URI an authenticator app reads for secret (new string). */
static char *totp_uri_new(struct req *r, const char *secret)
{
	char *label = evhttp_encode_uri(r->who->email ? r->who->email : "");
	char *uri = xasprintf(
		"otpauth://totp/mamori:%s?secret=%s&issuer=mamori&algorithm=SHA1&digits=6&period=30",
		label ? label : "", secret);
	free(label);
	return uri;
}

/* POST /api/v1/me/totp — signed in: starts enrolment. 200 {secret (base32), otpauth_uri} for
 * the authenticator app; nothing changes at sign-in until /me/totp/confirm. Starting again
 * replaces an unconfirmed secret. 409 totp_enabled when already enrolled. */
static int handle_me_totp_start(struct req *r)
{
	struct totp_state t;
	totp_state_load(r, &t);
	bool enabled = t.secret != NULL;
	totp_state_clear(&t);
	if (enabled)
		return req_error(r, 409, "totp_enabled", "two-step sign-in is already set up");
	unsigned char raw[TOTP_SECRET_BYTES];
	crypto_random(raw, sizeof raw);
	char *secret = crypto_base32_encode_new(raw, sizeof raw);
	explicit_bzero(raw, sizeof raw);
	/* Only the pending secret is written: an enrolment confirmed meanwhile is not touched. */
	if (req_tx(r) < 0) {
		free(secret);
		return req_internal(r, "begin");
	}
	sqlite3_stmt *st = db_stmt(r->db, totp_pending_sql);
	db_bind_text(st, ":secret", secret);
	db_bind_int64(st, ":id", r->who->user_id);
	if (db_exec_stmt(r->db, st) < 0) {
		free(secret);
		return req_internal(r, "totp start");
	}
	char *uri = totp_uri_new(r, secret);
	json_t *out = json_pack("{s:s,s:s}", "secret", secret, "otpauth_uri", uri);
	free(uri);
	free(secret);
	return req_reply(r, 200, out);
}

/* POST /api/v1/me/totp/confirm {code} — signed in: 200 {user} with totp_enabled, once the code
 * from the app matches the secret from /me/totp (422 bad_code otherwise; 409
 * totp_not_started without one). From then on sign-in needs a code. */
static int handle_me_totp_confirm(struct req *r)
{
	int64_t uid = r->who->user_id;
	if (req_tx(r) < 0) /* the enrolment is read and replaced atomically */
		return req_internal(r, "begin");
	struct totp_state t;
	totp_state_load(r, &t);
	int64_t step = t.secret || !t.pending
			       ? 0
			       : signin_totp_step(t.pending, req_field_str(r, "code"), now_unix());
	int rc = 0;
	if (t.secret)
		rc = req_error(r, 409, "totp_enabled", "two-step sign-in is already set up");
	else if (!t.pending)
		rc = req_error(r, 409, "totp_not_started", "start with POST /api/v1/me/totp");
	else if (!step)
		rc = req_error(r, 422, "bad_code",
			       "the code does not match; check the app and the device's clock");
	totp_state_clear(&t);
	if (rc)
		return rc;
	sqlite3_stmt *st = db_stmt(r->db, totp_enable_sql);
	db_bind_int64(st, ":step", step);
	db_bind_int64(st, ":id", uid);
	if (db_exec_stmt(r->db, st) < 0 ||
	    audit_append_on(r->db, uid, "user.totp_enable", "user", uid, r->ip, NULL) < 0)
		return req_internal(r, "totp confirm");
	return reply_me(r);
}

/* Removing two-step sign-in (DELETE /api/v1/me/totp) across the helper pool: the current
 * password is checked with scrypt there, never on the event loop. */
struct totp_off {
	struct proof p;
	char *code;
};

/* Frees a TOTP removal, wiping the password. */
static void totp_off_free(struct proof *p)
{
	struct totp_off *o = (struct totp_off *)p;
	proof_clear(&o->p);
	free(o->code);
	free(o);
}

/* Event loop, after hashing, inside the attempt's transaction: re-reads the enrolment (it may
 * have changed meanwhile) and decides. A wrong password or code is a failed attempt (the
 * sign-in throttle), audited as user.totp_disable_failed with the reason. */
static int totp_off_decide(struct proof *p)
{
	struct totp_off *o = (struct totp_off *)p;
	struct req *r = o->p.r;
	int64_t uid = r->who->user_id;
	struct totp_state t;
	totp_state_load(r, &t);
	int rc = 204;
	const char *reason = NULL;
	if (!t.secret) {
		rc = req_error(r, 409, "totp_not_enabled", "two-step sign-in is not set up");
	} else if (t.required) {
		rc = req_error(r, 403, "forbidden",
			       "the secretariat requires two-step sign-in for this account");
	} else if (!o->p.verified) {
		reason = "wrong_password";
		rc = req_error(r, 403, "bad_credentials", "the password is wrong");
	} else if (signin_totp_step(t.secret, o->code, now_unix()) <= t.last_step) {
		reason = "wrong_totp";
		rc = req_error(r, 422, "bad_code", "the code does not match");
	}
	totp_state_clear(&t);
	if (reason) {
		json_t *detail = json_pack("{s:s}", "reason", reason);
		int arc = attempt_failed(r->db, &o->p.a) < 0
				  ? -1
				  : audit_append_on(r->db, uid, "user.totp_disable_failed", "user", uid,
						    r->ip, detail);
		json_decref(detail);
		return arc < 0 ? req_internal(r, "totp disable") : rc;
	}
	if (attempt_forget(r->db, &o->p.a) < 0) /* nothing was guessed: not an attempt */
		return req_internal(r, "totp disable");
	if (rc != 204)
		return rc;
	sqlite3_stmt *st = db_stmt(r->db, totp_disable_sql);
	db_bind_int64(st, ":id", uid);
	if (db_exec_stmt(r->db, st) < 0 ||
	    audit_append_on(r->db, uid, "user.totp_disable", "user", uid, r->ip, NULL) < 0)
		return req_internal(r, "totp disable");
	return 204;
}

/* DELETE /api/v1/me/totp {password, code} — signed in: 204, two-step sign-in removed, with the
 * current password and a current code as proof (a stolen session alone cannot remove it).
 * 403 forbidden when the secretariat requires TOTP for the account; 409 totp_not_enabled; 403
 * bad_credentials for a wrong password, 422 bad_code for a wrong or already used code; both
 * count as failed sign-ins, so 429 rate_limited with Retry-After after 10 in 15 minutes (the
 * sign-in throttle, per account and per address, decided before any hashing). Audited as
 * user.totp_disable and user.totp_disable_failed. */
static int handle_me_totp_disable(struct req *r)
{
	struct totp_off *o = xcalloc(1, sizeof *o);
	o->p = (struct proof){.r = r, .decide = totp_off_decide, .destroy = totp_off_free};
	attempt_reauth_load(r, &o->p.a, &o->p.stored);
	o->code = xstrdup(req_field_str(r, "code"));
	return proof_submit(&o->p, req_field_str(r, "password"));
}

const struct route me_routes[] = {
	ROUTE(GET, "/api/v1/me", ACCESS_SESSION, handle_me),
	ROUTE(PATCH, "/api/v1/me", ACCESS_SESSION, handle_me_update,
	      .body = {{"lang", BODY_STR, BODY_REQUIRED}}),
	ROUTE(POST, "/api/v1/me/password", ACCESS_SESSION, handle_me_password, .max_body = 16384,
	      .body = {{"current_password", BODY_STR, BODY_REQUIRED, SIGNIN_PASSWORD_MAX_BYTES},
		       {"new_password", BODY_STR, BODY_REQUIRED}}),
	ROUTE(POST, "/api/v1/me/totp", ACCESS_SESSION, handle_me_totp_start),
	ROUTE(POST, "/api/v1/me/totp/confirm", ACCESS_SESSION, handle_me_totp_confirm,
	      .body = {{"code", BODY_STR, BODY_REQUIRED}}),
	ROUTE(DELETE, "/api/v1/me/totp", ACCESS_SESSION, handle_me_totp_disable, .max_body = 16384,
	      .body = {{"password", BODY_STR, BODY_REQUIRED, SIGNIN_PASSWORD_MAX_BYTES},
		       {"code", BODY_STR, BODY_REQUIRED}}),
	{0},
};
