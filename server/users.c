/* users.c — the secretariat's user administration and invitations (docs/API.md §3):
 * POST/GET /api/v1/users, GET/PATCH /api/v1/users/{id}, POST /api/v1/users/{id}/invites, and
 * POST /api/v1/invites/{token}/accept (the new password is hashed on the helper pool). Also what
 * other features use (account.h): the name and e-mail checks and account_user_insert. */
#include "account.h"

#include "audit.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "server.h"
#include "session.h"
#include "text.h"
#include "util.h"
#include "view.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_BYTES 200
#define SPECIALTIES_MAX 20
#define SPECIALTY_MAX_BYTES 64

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
	if (n > ACCOUNT_EMAIL_MAX_BYTES || !at || at == e || strchr(at + 1, '@'))
		return false;
	const char *dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || !dot[1] || strstr(at + 1, ".."))
		return false;
	for (const unsigned char *p = (const unsigned char *)e; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("<>()[],;:\\\"", *p))
			return false;
	return true;
}

/* The declared specialties array: 1 when absent, -1 when malformed, 0 with *out a new JSON
 * array text (trimmed of duplicates, compared without ASCII case; caller frees). */
static int specialties_parse(struct req *r, char **out)
{
	json_t *v = req_field_json(r, "specialties");
	if (!v)
		return 1;
	if (json_array_size(v) > SPECIALTIES_MAX)
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

/* The shape of role r (ROLE_NONE's for an unknown one). */
static const struct role_shape *role_shape(enum role r)
{
	return &role_shapes[(unsigned)r < ARRAY_LEN(role_shapes) ? r : ROLE_NONE];
}

/* 200 {user} with the user as it is now, or 500 when it cannot be read. */
static int reply_user(struct req *r, int64_t id)
{
	json_t *u = view_user_json(r->db, id);
	return u ? req_reply(r, 200, json_pack("{s:o}", "user", u)) : req_internal(r, "user reload");
}

/* ---- creating users and invitations -------------------------------------------------------- */

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

/* Creates an invited user with a fresh invitation (account.h). */
int account_user_insert(struct req *r, const struct user_in *in, int64_t *id_out, char **token,
			int64_t *expires)
{
	assert(db_in_write_tx(r->db));
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
	int arc = *token ? audit_append_on(r->db, r->who->user_id, "user.create", "user", id, r->ip, detail)
			 : -1;
	json_decref(detail);
	if (arc < 0) {
		free(*token);
		*token = NULL;
		return -1;
	}
	*id_out = id;
	return 0;
}

/* POST /api/v1/users {email, name, role, company_id?, representative?, specialties?} —
 * secretariat: 201 {user, invite_token, invite_expires_at}; the user is `invited` until the
 * token is used. 422 invalid for bad fields (company_id is required for participants and only
 * for them, and must name a company); then the rules of account_user_insert (409 email_taken,
 * 409 company_full). */
static int handle_user_create(struct req *r)
{
	const char *email = req_field_str(r, "email"), *name = req_field_str(r, "name");
	if (!account_email_ok(email))
		return req_error(r, 422, "invalid", "email must be an e-mail address");
	enum role role = role_from_name(req_field_str(r, "role"));
	if (role == ROLE_NONE)
		return req_error(r, 422, "invalid", "role must be participant, expert or secretariat");
	const struct role_shape *sh = role_shape(role);
	if (sh->company != req_field_present(r, "company_id"))
		return req_error(r, 422, "invalid",
				 "company_id is required for participants and only for them");
	bool rep = req_field_bool(r, "representative", false);
	if (rep && !sh->company)
		return req_error(r, 422, "invalid", "representative is a boolean, for participants only");
	char *spec = NULL, *token = NULL;
	int sp = specialties_parse(r, &spec);
	if (sp < 0 || (sp == 0 && !sh->specialties && strcmp(spec, "[]") != 0)) {
		free(spec);
		return req_error(r, 422, "invalid",
				 "specialties is a list of up to %d short texts, for experts only",
				 SPECIALTIES_MAX);
	}
	if (req_tx(r) < 0) {
		free(spec);
		return req_internal(r, "begin");
	}
	struct user_in in = {email, name, role, req_field_int(r, "company_id", 0), rep, spec};
	int64_t id = 0, expires = 0;
	int rc = account_user_insert(r, &in, &id, &token, &expires);
	free(spec);
	if (rc != 0)
		return rc > 0 ? rc : req_internal(r, "user create");
	json_t *user = view_user_json(r->db, id);
	json_t *out = json_pack("{s:o,s:s,s:o}", "user", user ? user : json_null(), "invite_token", token,
				"invite_expires_at", json_time(expires));
	free(token);
	return req_reply(r, 201, out);
}

/* ---- reading and changing users ------------------------------------------------------------ */

static const char users_sql[] =
	"SELECT " VIEW_USER_COLUMNS " FROM users u WHERE (:role IS NULL OR u.role = :role)"
	" AND (:company IS NULL OR u.company_id = :company) AND (:status IS NULL OR u.status = :status)"
	" ORDER BY u.id";
static const char user_state_sql[] = "SELECT role, status, coalesce(company_id, 0) FROM users WHERE id = :id";
static const char user_update_sql[] =
	"UPDATE users SET name = coalesce(:name, name), status = coalesce(:status, status),"
	" representative = coalesce(:rep, representative), specialties = coalesce(:spec, specialties),"
	" totp_required = coalesce(:treq, totp_required),"
	" totp_secret = CASE WHEN :treset THEN NULL ELSE totp_secret END,"
	" totp_pending = CASE WHEN :treset THEN NULL ELSE totp_pending END,"
	" totp_last_step = CASE WHEN :treset THEN 0 ELSE totp_last_step END"
	" WHERE id = :id";
static const char device_forget_sql[] = "DELETE FROM trusted_devices WHERE user_id = :uid";

/* GET /api/v1/users?role=&company_id=&status= — secretariat: {users:[...]} by id. */
static int handle_user_list(struct req *r)
{
	sqlite3_stmt *st = db_stmt(r->db, users_sql);
	db_bind_text(st, ":role", req_query_str(r, "role"));
	db_bind_text(st, ":status", req_query_str(r, "status"));
	if (req_query_str(r, "company_id"))
		db_bind_int64(st, ":company", req_query_int(r, "company_id", 0));
	return req_reply(r, 200, json_pack("{s:o}", "users", view_rows(st, view_user_row)));
}

/* GET /api/v1/users/{id} — secretariat: {user}, or 404. */
static int handle_user_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	json_t *u = view_user_json(r->db, id);
	return u ? req_reply(r, 200, json_pack("{s:o}", "user", u)) : req_not_found(r);
}

/* A user's role, status and company, read inside the caller's transaction. */
struct user_state {
	const struct role_shape *shape;
	bool suspended;
	int64_t company;
};

/* Reads user id's state into *s; returns 0, or -1 when there is no such user. */
static int user_state_load(struct db *d, int64_t id, struct user_state *s)
{
	sqlite3_stmt *st = db_stmt(d, user_state_sql);
	db_bind_int64(st, ":id", id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->shape = role_shape(role_from_name(db_col_text(st, 0)));
		s->suspended = strcmp(db_col_text(st, 1), "suspended") == 0;
		s->company = sqlite3_column_int64(st, 2);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* The PATCH /api/v1/users/{id} members, in the order the audit detail lists them. */
static const char *const user_patch_fields[] = {"status",      "name",          "representative",
						"specialties", "totp_required", "totp_reset"};

/* Why the PATCH cannot apply to a user in state s (answered on r), or 0. spec is the parsed
 * specialties or NULL. */
static int user_patch_refused(struct req *r, int64_t id, const struct user_state *s, const char *spec)
{
	const char *status = req_field_str(r, "status");
	bool suspend = status && strcmp(status, "suspended") == 0;
	if (suspend && id == r->who->user_id)
		return req_error(r, 403, "forbidden", "you cannot suspend your own account");
	if (req_field_present(r, "totp_required") && !s->shape->totp_requirable)
		return req_error(r, 422, "invalid", "totp_required applies to experts and the secretariat");
	if (req_field_present(r, "representative") && !s->shape->company)
		return req_error(r, 422, "invalid", "representative applies to participants");
	if (spec && !s->shape->specialties && strcmp(spec, "[]") != 0)
		return req_error(r, 422, "invalid", "specialties apply to experts");
	if (status && !suspend && s->suspended && s->shape->company &&
	    company_seats(r->db, s->company, id) >= r->cfg->participants_per_company)
		return req_error(r, 409, "company_full", "the company already has %d participant(s)",
				 r->cfg->participants_per_company);
	return 0;
}

/* Writes the PATCH to user id, ends a suspended user's sessions and trusted browsers, and
 * audits user.update. Inside the request's transaction; returns 0 or -1. */
static int user_patch_apply(struct req *r, int64_t id, const char *spec)
{
	const char *status = req_field_str(r, "status");
	sqlite3_stmt *st = db_stmt(r->db, user_update_sql);
	db_bind_int64(st, ":id", id);
	db_bind_text(st, ":name", req_field_str(r, "name"));
	db_bind_text(st, ":status", status);
	if (req_field_present(r, "representative"))
		db_bind_int64(st, ":rep", req_field_bool(r, "representative", false));
	db_bind_text(st, ":spec", spec);
	if (req_field_present(r, "totp_required"))
		db_bind_int64(st, ":treq", req_field_bool(r, "totp_required", false));
	db_bind_int64(st, ":treset", req_field_bool(r, "totp_reset", false));
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	if (status && strcmp(status, "suspended") == 0) {
		st = db_stmt(r->db, device_forget_sql);
		db_bind_int64(st, ":uid", id);
		if (session_end_all(r->db, id) < 0 || db_exec_stmt(r->db, st) < 0)
			return -1;
	}
	json_t *detail = json_object();
	for (size_t i = 0; i < ARRAY_LEN(user_patch_fields); i++)
		if (req_field_present(r, user_patch_fields[i]))
			json_object_set(detail, user_patch_fields[i],
					req_field_json(r, user_patch_fields[i]));
	int rc = audit_append_on(r->db, r->who->user_id, "user.update", "user", id, r->ip, detail);
	json_decref(detail);
	return rc;
}

/* PATCH /api/v1/users/{id} {status?, name?, representative?, specialties?, totp_required?,
 * totp_reset?} — secretariat: 200 {user}. status is active or suspended; suspending ends all
 * the user's sessions in the same transaction (and forgets their trusted browsers), and the
 * secretariat cannot suspend itself (403). Reactivating a participant counts against the
 * company's participants (409 company_full). totp_required (experts and secretariat) makes the
 * user enrol TOTP; totp_reset:true removes an enrolment (a lost phone). */
static int handle_user_update(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	const char *status = req_field_str(r, "status");
	if (status && strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0)
		return req_error(r, 422, "invalid", "status must be active or suspended");
	char *spec = NULL;
	int sp = specialties_parse(r, &spec);
	if (sp < 0)
		return req_error(r, 422, "invalid", "specialties is a list of up to %d short texts",
				 SPECIALTIES_MAX);
	bool any = false;
	for (size_t i = 0; i < ARRAY_LEN(user_patch_fields); i++)
		any |= req_field_present(r, user_patch_fields[i]);
	if (!any)
		return req_error(r, 422, "invalid", "nothing to change");
	/* The state is read in the transaction: a reactivation's seat count must hold. */
	struct user_state s;
	int rc;
	if (req_tx(r) < 0)
		rc = req_internal(r, "begin");
	else if (user_state_load(r->db, id, &s) < 0)
		rc = req_not_found(r);
	else if ((rc = user_patch_refused(r, id, &s, spec)) == 0)
		rc = user_patch_apply(r, id, spec) < 0 ? req_internal(r, "user update") : reply_user(r, id);
	free(spec);
	return rc;
}

/* POST /api/v1/users/{id}/invites — secretariat: 201 {user_id, invite_token,
 * invite_expires_at}, a new one-time token replacing any unused one: for an invitation that
 * expired, or as a password reset for an active user (accepting it ends their sessions). A
 * suspended user gets none (409 user_suspended). */
static int handle_invite_reissue(struct req *r)
{
	int64_t id, expires = 0;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	struct user_state s;
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	if (user_state_load(r->db, id, &s) < 0)
		return req_not_found(r);
	if (s.suspended)
		return req_error(r, 409, "user_suspended", "the user is suspended");
	char *token = invite_issue_new(r, id, &expires);
	if (!token || audit_append_on(r->db, r->who->user_id, "user.invite", "user", id, r->ip, NULL) < 0) {
		free(token);
		return req_internal(r, "invite");
	}
	json_t *out = json_pack("{s:I,s:s,s:o}", "user_id", (json_int_t)id, "invite_token", token,
				"invite_expires_at", json_time(expires));
	free(token);
	return req_reply(r, 201, out);
}

/* ---- accepting an invitation --------------------------------------------------------------- */

static const char invite_find_sql[] =
	"SELECT i.user_id, u.email FROM invites i JOIN users u ON u.id = i.user_id"
	" WHERE i.token_hash = :h AND i.used_at IS NULL AND i.expires_at > :now AND u.status != 'suspended'";
static const char invite_use_sql[] =
	"UPDATE invites SET used_at = :now WHERE token_hash = :h AND used_at IS NULL AND expires_at > :now";
static const char user_status_sql[] = "SELECT status FROM users WHERE id = :id";
static const char user_activate_sql[] =
	"UPDATE users SET password_hash = :hash, status = 'active' WHERE id = :id AND status != 'suspended'";

/* One acceptance across the helper pool. */
struct accept {
	struct req *r;
	char token_hash[65];
	char *password;
	char *hash;
	int64_t user_id;
};

/* Helper thread: hashes the new password, then wipes it. */
static void accept_work(void *arg)
{
	struct accept *a = arg;
	a->hash = crypto_password_hash_new(a->password);
	explicit_bzero(a->password, strlen(a->password));
}

/* Event loop, after hashing: spends the token and activates the account in the request's
 * transaction (opened here, after the pool). 200 {user}, or 404 when the token was spent or the
 * user suspended meanwhile. */
static int accept_finish(struct accept *a)
{
	struct req *r = a->r;
	int64_t now = now_unix();
	if (!a->hash)
		return req_internal(r, "password hash");
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	/* The token is spent here, so of two concurrent acceptances only one wins. */
	sqlite3_stmt *st = db_stmt(r->db, invite_use_sql);
	db_bind_text(st, ":h", a->token_hash);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "invite use");
	if (sqlite3_changes(db_handle(r->db)) != 1)
		return req_not_found(r);
	st = db_stmt(r->db, user_status_sql);
	db_bind_int64(st, ":id", a->user_id);
	bool was_active = sqlite3_step(st) == SQLITE_ROW && strcmp(db_col_text(st, 0), "active") == 0;
	sqlite3_reset(st);
	st = db_stmt(r->db, user_activate_sql);
	db_bind_text(st, ":hash", a->hash);
	db_bind_int64(st, ":id", a->user_id);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "activate");
	if (sqlite3_changes(db_handle(r->db)) != 1) /* suspended meanwhile */
		return req_not_found(r);
	/* A new password ends every session made with the old one. */
	if (session_end_all(r->db, a->user_id) < 0 ||
	    audit_append_on(r->db, a->user_id, was_active ? "user.password_reset" : "user.activate", "user",
			    a->user_id, r->ip, NULL) < 0)
		return req_internal(r, "activate");
	return reply_user(r, a->user_id);
}

/* Event loop: answers the acceptance once the password is hashed. */
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
static int handle_invite_accept(struct req *r)
{
	const char *token = req_path_str(r, 0), *password = req_field_str(r, "password");
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
	int rc = a->user_id ? account_password_refused(r, password, email) : req_not_found(r);
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

#define SECRETARIAT (ACCESS_SESSION | ACCESS_SECRETARIAT)

const struct route users_routes[] = {
	ROUTE(POST, "/api/v1/users", SECRETARIAT, handle_user_create,
	      .body = {{"email", BODY_STR, BODY_REQUIRED, ACCOUNT_EMAIL_MAX_BYTES},
		       {"name", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK | BODY_LINE, NAME_MAX_BYTES},
		       {"role", BODY_STR, BODY_REQUIRED},
		       {"company_id", BODY_INT, BODY_POSITIVE},
		       {"representative", BODY_BOOL},
		       {"specialties", BODY_ARRAY}}),
	ROUTE(GET, "/api/v1/users", SECRETARIAT, handle_user_list,
	      .params = {{"role", PARAM_STR}, {"company_id", PARAM_INT}, {"status", PARAM_STR}}),
	ROUTE(GET, "/api/v1/users/{id}", SECRETARIAT, handle_user_get),
	ROUTE(PATCH, "/api/v1/users/{id}", SECRETARIAT, handle_user_update,
	      .body = {{"status", BODY_STR},
		       {"name", BODY_STR, BODY_NOT_BLANK | BODY_LINE, NAME_MAX_BYTES},
		       {"representative", BODY_BOOL},
		       {"specialties", BODY_ARRAY},
		       {"totp_required", BODY_BOOL},
		       {"totp_reset", BODY_BOOL}}),
	ROUTE(POST, "/api/v1/users/{id}/invites", SECRETARIAT, handle_invite_reissue),
	ROUTE(POST, "/api/v1/invites/{token}/accept", ACCESS_PUBLIC, handle_invite_accept, .max_body = 16384,
	      .flags = ROUTE_NO_CSRF, .body = {{"password", BODY_STR, BODY_REQUIRED}}),
	{0},
};
