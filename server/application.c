/* application.c — applications (docs/API.md §8; docs/APPLICATIONS.md): the public form, the
 * secretariat's list, contact, decline and admission, the overdue items of the triage list and
 * the retention purge. Routes: POST /api/v1/applications, GET /api/v1/application-form, GET
 * /api/v1/applications[/{id}], POST /api/v1/applications/{id}/contact|decline|admit. The lottery
 * (draw, waitlist promotion) is lottery.c's.
 *
 * Companies apply on a public form (no session, no CSRF header): the form's fields are checked
 * (422 invalid), then eligibility in the contract's order, then the application is stored as
 * `received` with the time the secretariat must have called by (contact_due_at). The
 * secretariat alone reads applications — every other caller gets 404, as for any resource it
 * may not see — contacts, declines and admits (after the lottery, lottery.c). Admission creates the company
 * and its representative through registry.c's and users.c's own rules.
 *
 * Application rows are personal data. Audit entries about them carry ids and statuses only, so
 * that deleting a row (the retention purge on worker 0's tick) deletes the personal data with
 * it; secure_delete (db.c) and a WAL checkpoint leave no copy in the database files. */
#include "application.h"

#include "account.h"
#include "audit.h"
#include "calendar.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "mail.h"
#include "registry.h"
#include "router.h"
#include "server.h"
#include "text.h"
#include "util.h"
#include "view.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX_BYTES 200     /* company and contact names */
#define PHONE_MAX_BYTES 30
#define NOTE_MAX_BYTES 4000    /* contact notes and decline reasons */
#define CAPITAL_MAX 1000000000000000LL /* 1,000 trillion yen: beyond any company */
#define EMPLOYEES_MAX 10000000
#define RATE_WINDOW 3600
#define PURGE_INTERVAL 10  /* seconds between retention scans on worker 0 */
#define PURGE_BATCH 500
#define CHECKPOINT_DEADLINE_US (10 * 1000 * 1000)
#define CHECKPOINT_BUSY_MS 200
#define JST_OFFSET (9 * 3600)
#define DAY 86400

/* ---- contact_due_at ------------------------------------------------------------------------ */

/* 17:00 Tokyo on the third business day after received (application.h). */
int64_t application_contact_due(int64_t received)
{
	/* Tokyo has no DST: the Tokyo day of t is floor((t + 9 h) / 1 day). */
	int64_t day = (received + JST_OFFSET) / DAY - ((received + JST_OFFSET) % DAY < 0);
	for (int found = 0; found < 3;) {
		day++;
		time_t t = (time_t)(day * DAY);
		struct tm tm;
		gmtime_r(&t, &tm);
		if (calendar_is_business_day(&calendar_default_hours, tm.tm_year + 1900, tm.tm_mon + 1,
					     tm.tm_mday))
			found++;
	}
	return day * DAY + 17 * 3600 - JST_OFFSET;
}

/* ---- SQL ------------------------------------------------------------------------------------ */

#define APP_COLUMNS                                                                                     \
	"a.id, a.company_name, a.industry, a.sme_class, a.capital_yen, a.employees, a.tokyo_office,"    \
	" a.has_security_devices, a.has_security_policy, a.contact_name, a.contact_email,"              \
	" a.contact_phone, a.track, a.status, a.received_at, a.contact_due_at, a.contacted_at,"        \
	" a.contact_note, a.declined_at, a.decline_reason, a.draw_id, a.draw_rank, a.draw_hash,"       \
	" a.selected_at, a.admitted_at, a.company_id, a.user_id, a.closed_at,"                         \
	" (SELECT json_group_array(o.id) FROM applications o WHERE o.id != a.id"                       \
	"   AND (lower(o.contact_email) = lower(a.contact_email) OR o.company_name = a.company_name))"
static const char app_sql[] = "SELECT " APP_COLUMNS " FROM applications a WHERE a.id = :id";
static const char apps_sql[] =
	"SELECT " APP_COLUMNS " FROM applications a WHERE (:status IS NULL OR a.status = :status)"
	" AND (:track IS NULL OR a.track = :track) ORDER BY a.id";
static const char attempts_count_sql[] =
	"SELECT count(*), min(at) FROM application_attempts WHERE ipkey = :ip AND at > :since";
static const char attempt_oldest_sql[] =
	"SELECT at FROM application_attempts WHERE ipkey = :ip AND at > :since ORDER BY at LIMIT 1 OFFSET :off";
static const char attempt_insert_sql[] = "INSERT INTO application_attempts (ipkey, at) VALUES (:ip, :now)";
static const char attempts_prune_sql[] = "DELETE FROM application_attempts WHERE at <= :cutoff";
static const char app_insert_sql[] =
	"INSERT INTO applications (company_name, industry, sme_class, capital_yen, employees, tokyo_office,"
	" has_security_devices, has_security_policy, contact_name, contact_email, contact_phone, track,"
	" status, received_at, contact_due_at) VALUES (:company_name, :industry, :sme_class, :capital,"
	" :employees, 1, 1, 1, :contact_name, :contact_email, :contact_phone, :track, 'received', :now, :due)";
static const char app_status_sql[] = "SELECT status, track FROM applications WHERE id = :id";
static const char contact_sql[] =
	"UPDATE applications SET status = 'contacted', contacted_at = :now, contacted_by = :uid,"
	" contact_note = :note WHERE id = :id AND status = 'received'";
static const char decline_sql[] =
	"UPDATE applications SET status = 'declined', declined_at = :now, declined_by = :uid,"
	" decline_reason = :reason, closed_at = :now WHERE id = :id";
static const char admit_sql[] =
	"UPDATE applications SET status = 'admitted', admitted_at = :now, company_id = :company,"
	" user_id = :user, closed_at = NULL WHERE id = :id AND status = 'selected'";
static const char overdue_sql[] =
	"SELECT id, company_name, contact_due_at, received_at FROM applications"
	" WHERE status = 'received' AND contact_due_at < :now ORDER BY contact_due_at, id";
static const char expired_sql[] =
	"SELECT id, status FROM applications WHERE closed_at IS NOT NULL AND closed_at <= :cutoff"
	" AND status IN ('declined','waitlisted') ORDER BY id LIMIT :limit";
static const char app_delete_sql[] = "DELETE FROM applications WHERE id = :id";

/* ---- helpers -------------------------------------------------------------------------------- */

/* An application row of APP_COLUMNS as the secretariat sees it. */
static json_t *app_json(sqlite3_stmt *st, int64_t now)
{
	json_t *a = json_object();
	const char *status = db_col_text(st, 13);
	int64_t due = sqlite3_column_int64(st, 15);
	json_object_set_new(a, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(a, "company_name", json_string(db_col_text(st, 1)));
	json_object_set_new(a, "industry", json_string(db_col_text(st, 2)));
	json_object_set_new(a, "sme_class", json_string(db_col_text(st, 3)));
	json_object_set_new(a, "capital_yen", json_integer(sqlite3_column_int64(st, 4)));
	json_object_set_new(a, "employees", json_integer(sqlite3_column_int64(st, 5)));
	json_object_set_new(a, "tokyo_office", json_boolean(sqlite3_column_int(st, 6)));
	json_object_set_new(a, "has_security_devices", json_boolean(sqlite3_column_int(st, 7)));
	json_object_set_new(a, "has_security_policy", json_boolean(sqlite3_column_int(st, 8)));
	json_object_set_new(a, "contact_name", json_string(db_col_text(st, 9)));
	json_object_set_new(a, "contact_email", json_string(db_col_text(st, 10)));
	json_object_set_new(a, "contact_phone", json_string(db_col_text(st, 11)));
	json_object_set_new(a, "track", json_string(db_col_text(st, 12)));
	json_object_set_new(a, "status", json_string(status));
	json_object_set_new(a, "received_at", json_time(sqlite3_column_int64(st, 14)));
	json_object_set_new(a, "contact_due_at", json_time(due));
	json_object_set_new(a, "contacted_at", view_col_time(st, 16));
	json_object_set_new(a, "overdue", json_boolean(strcmp(status, "received") == 0 && now > due));
	json_object_set_new(a, "contact_note", view_col_text(st, 17));
	json_object_set_new(a, "declined_at", view_col_time(st, 18));
	json_object_set_new(a, "decline_reason", view_col_text(st, 19));
	json_object_set_new(a, "draw_id", view_col_int(st, 20));
	json_object_set_new(a, "draw_rank", view_col_int(st, 21));
	json_object_set_new(a, "draw_hash", view_col_text(st, 22));
	json_object_set_new(a, "selected_at", view_col_time(st, 23));
	json_object_set_new(a, "admitted_at", view_col_time(st, 24));
	json_object_set_new(a, "company_id", view_col_int(st, 25));
	json_object_set_new(a, "user_id", view_col_int(st, 26));
	json_object_set_new(a, "closed_at", view_col_time(st, 27));
	json_t *dups = json_loads(db_col_text(st, 28), 0, NULL);
	json_object_set_new(a, "duplicates", json_is_array(dups) ? dups : json_array());
	if (!json_is_array(dups))
		json_decref(dups);
	return a;
}

/* Application id as the secretariat sees it, or NULL. */
static json_t *app_load(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, app_sql);
	db_bind_int64(st, ":id", id);
	json_t *a = sqlite3_step(st) == SQLITE_ROW ? app_json(st, now_unix()) : NULL;
	sqlite3_reset(st);
	return a;
}

/* The application's status and track (copied into the buffers); 0, or -1 when there is none. */
static int app_state(struct db *d, int64_t id, char status[16], char track[16])
{
	sqlite3_stmt *st = db_stmt(d, app_status_sql);
	db_bind_int64(st, ":id", id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(status, 16, "%s", db_col_text(st, 0));
		snprintf(track, 16, "%s", db_col_text(st, 1));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* Audits action on application id by the caller; detail borrowed. Returns 0 or -1. */
static int audit_app(struct req *r, const char *action, int64_t id, json_t *detail)
{
	return audit_append_on(r->db, r->who ? r->who->user_id : 0, action, "application", id, r->ip, detail);
}

/* 422 invalid naming the field (application.h). */
int application_invalid(struct req *r, const char *field, const char *what)
{
	int s = req_error(r, 422, "invalid", "%s %s", field, what);
	json_decref(r->err_extra);
	r->err_extra = json_pack("{s:s}", "field", field);
	return s;
}

/* 409 wrong_status naming the application's status. */
static int wrong_status(struct req *r, const char *status, const char *what)
{
	int s = req_error(r, 409, "wrong_status", "the application is %s; %s", status, what);
	json_decref(r->err_extra);
	r->err_extra = json_pack("{s:s}", "status", status);
	return s;
}

/* Applications are the secretariat's alone: for anyone else they do not exist (application.h). */
bool application_may_read(struct req *r)
{
	return r->who && authz_is_secretariat(r->who);
}

/* A telephone number: 6 or more digits among + - ( ) and spaces, at most PHONE_MAX_BYTES. */
static bool phone_ok(const char *s)
{
	size_t n = strlen(s), digits = 0;
	if (n == 0 || n > PHONE_MAX_BYTES)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr("+-() ", *p))
			return false;
	}
	return digits >= 6;
}

/* A free text (note, reason): a string of at most NOTE_MAX_BYTES without control characters
 * other than newlines and tabs. */
static bool note_ok(const char *s)
{
	if (strlen(s) > NOTE_MAX_BYTES)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

/* ---- the public form ------------------------------------------------------------------------ */

/* The public form's fields as read (strings borrowed from the body). */
struct form {
	const char *company_name, *industry, *sme_class, *contact_name, *contact_email, *contact_phone;
	int64_t capital_yen, employees;
	bool tokyo_office, has_security_devices, has_security_policy;
};

/* Every field present and of its type (422 invalid naming the first that is not); 0 when fine. */
static int form_read(struct req *r, struct form *f)
{
	if (req_body_str(r, "company_name", &f->company_name) != 0 ||
	    !account_text_ok(f->company_name, TEXT_MAX_BYTES))
		return application_invalid(r, "company_name", "must be a non-empty text of at most 200 bytes");
	if (req_body_str(r, "industry", &f->industry) != 0 || !registry_division_ok(f->industry))
		return application_invalid(r, "industry", "must be one JSIC division letter");
	if (req_body_str(r, "sme_class", &f->sme_class) != 0 || registry_is_sme(f->sme_class, 0, 0) < 0)
		return application_invalid(r, "sme_class", "must be manufacturing_other, wholesale, service or retail");
	if (req_body_int(r, "capital_yen", &f->capital_yen) != 0 || f->capital_yen < 0 ||
	    f->capital_yen > CAPITAL_MAX)
		return application_invalid(r, "capital_yen", "must be a non-negative integer (yen)");
	if (req_body_int(r, "employees", &f->employees) != 0 || f->employees < 0 ||
	    f->employees > EMPLOYEES_MAX)
		return application_invalid(r, "employees", "must be a non-negative integer");
	if (req_body_bool(r, "tokyo_office", &f->tokyo_office) != 0)
		return application_invalid(r, "tokyo_office", "must be true or false");
	if (req_body_bool(r, "has_security_devices", &f->has_security_devices) != 0)
		return application_invalid(r, "has_security_devices", "must be true or false");
	if (req_body_bool(r, "has_security_policy", &f->has_security_policy) != 0)
		return application_invalid(r, "has_security_policy", "must be true or false");
	if (req_body_str(r, "contact_name", &f->contact_name) != 0 ||
	    !account_text_ok(f->contact_name, TEXT_MAX_BYTES))
		return application_invalid(r, "contact_name", "must be a non-empty text of at most 200 bytes");
	if (req_body_str(r, "contact_email", &f->contact_email) != 0 || !account_email_ok(f->contact_email))
		return application_invalid(r, "contact_email", "must be an e-mail address");
	if (req_body_str(r, "contact_phone", &f->contact_phone) != 0 || !phone_ok(f->contact_phone))
		return application_invalid(r, "contact_phone", "must be a telephone number (digits, + - ( ) and spaces)");
	return 0;
}

/* Eligibility in the contract's order (docs/API.md §8); 0 when eligible. */
static int form_eligible(struct req *r, const struct form *f, const char **track)
{
	char division = (char)(*f->industry & ~0x20);
	*track = registry_track(division);
	if (!*track)
		return req_error(r, 422, "industry_not_eligible",
				 "JSIC division %c is outside both tracks (eligible: D-P, R-T except Q)", division);
	if (registry_is_sme(f->sme_class, f->capital_yen, f->employees) != 1)
		return req_error(r, 422, "not_sme",
				 "over the %s ceilings for both capital and employees (中小企業基本法)", f->sme_class);
	if (!f->tokyo_office)
		return req_error(r, 422, "not_tokyo", "the program is for companies with their main office in Tokyo");
	if (!f->has_security_devices || !f->has_security_policy)
		return req_error(r, 422, "prerequisites_unmet",
				 "UTM-class security equipment and a security policy are prerequisites");
	return 0;
}

/* The rate limit: at most application_rate_per_hour attempts per address per hour. Inside the
 * attempt's transaction; records this attempt. Returns 0, 429 (Retry-After set) or -1. */
static int rate_check(struct req *r, int64_t now)
{
	int limit = r->cfg->application_rate_per_hour;
	if (limit <= 0)
		return 0;
	char ipkey[64];
	account_ip_key(r->ip, ipkey);
	sqlite3_stmt *st = db_stmt(r->db, attempts_count_sql);
	db_bind_text(st, ":ip", ipkey);
	db_bind_int64(st, ":since", now - RATE_WINDOW);
	int64_t n = db_one_int64(st, 0);
	if (n >= limit) {
		/* Free again when the attempt that would be the limit-th most recent leaves the hour. */
		st = db_stmt(r->db, attempt_oldest_sql);
		db_bind_text(st, ":ip", ipkey);
		db_bind_int64(st, ":since", now - RATE_WINDOW);
		db_bind_int64(st, ":off", n - limit);
		int64_t wait = db_one_int64(st, now) + RATE_WINDOW - now;
		char v[24];
		snprintf(v, sizeof v, "%" PRId64, wait > 0 ? wait : 1);
		req_header(r, "Retry-After", v);
		return req_error(r, 429, "rate_limited", "too many applications from this address; try later");
	}
	st = db_stmt(r->db, attempts_prune_sql);
	db_bind_int64(st, ":cutoff", now - RATE_WINDOW);
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	st = db_stmt(r->db, attempt_insert_sql);
	db_bind_text(st, ":ip", ipkey);
	db_bind_int64(st, ":now", now);
	return db_exec_stmt(r->db, st) < 0 ? -1 : 0;
}

/* Counts this attempt against the address's limit (rate_check). The attempt counts whatever the
 * answer, a refusal too, while the router's transaction (req_tx) is rolled back on a refusal:
 * so the attempt has its own short transaction, committed before the form is read. Returns 0,
 * or the status answered (429, 500). */
static int attempt_count(struct req *r, int64_t now)
{
	if (r->cfg->application_rate_per_hour <= 0)
		return 0; /* no limit: nothing to count */
	if (db_tx_begin(r->db, "application attempt") < 0)
		return req_internal(r, "begin");
	int rc = rate_check(r, now);
	if (rc != 0) {
		db_tx_rollback(r->db);
		return rc > 0 ? rc : req_internal(r, "attempt");
	}
	return db_tx_commit(r->db) < 0 ? req_internal(r, "attempt commit") : 0;
}

/* POST /api/v1/applications — anyone, no session, no CSRF header. In order: the rate limit
 * (429), the deadline (409 applications_closed), the fields (422 invalid with `field`),
 * eligibility (422 industry_not_eligible, not_sme, not_tokyo, prerequisites_unmet). 201 {id,
 * status:"received", track, received_at, contact_due_at}. Every attempt counts toward the
 * address's limit, refused ones too; nothing else of a refused attempt is stored. */
static int handle_application_apply(struct req *r)
{
	int64_t now = now_unix();
	int rc = attempt_count(r, now);
	if (rc)
		return rc;
	if (now > r->cfg->application_deadline) {
		char dl[32];
		time_format_utc(r->cfg->application_deadline, dl);
		return req_error(r, 409, "applications_closed", "applications closed at %s", dl);
	}
	/* The fields are read here, not declared on the route: the rate limit and the deadline come
	 * first (docs/APPLICATIONS.md), and each `invalid` names its field for the web form. */
	struct form f = {0};
	const char *track = NULL;
	if ((rc = form_read(r, &f)) != 0 || (rc = form_eligible(r, &f, &track)) != 0)
		return rc;
	int64_t due = application_contact_due(now);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	char div[2] = {(char)(*f.industry & ~0x20), 0};
	sqlite3_stmt *st = db_stmt(r->db, app_insert_sql);
	db_bind_text(st, ":company_name", f.company_name);
	db_bind_text(st, ":industry", div);
	db_bind_text(st, ":sme_class", f.sme_class);
	db_bind_int64(st, ":capital", f.capital_yen);
	db_bind_int64(st, ":employees", f.employees);
	db_bind_text(st, ":contact_name", f.contact_name);
	db_bind_text(st, ":contact_email", f.contact_email);
	db_bind_text(st, ":contact_phone", f.contact_phone);
	db_bind_text(st, ":track", track);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":due", due);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "application insert");
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	/* No personal data (nor the applicant's address) in the audit chain: it outlives the row. */
	json_t *detail = json_pack("{s:s}", "track", track);
	int arc = audit_append_on(r->db, 0, "application.receive", "application", id, "", detail);
	json_decref(detail);
	if (arc < 0)
		return req_internal(r, "application audit");
	return req_reply(r, 201, json_pack("{s:I,s:s,s:s,s:o,s:o}", "id", (json_int_t)id, "status", "received",
					   "track", track, "received_at", json_time(now), "contact_due_at",
					   json_time(due)));
}

/* GET /api/v1/application-form — anyone: 200 {open, deadline, retention_days}, what the public
 * page says before the applicant fills it in (deadline null when there is none). */
static int handle_application_form_info(struct req *r)
{
	int64_t dl = r->cfg->application_deadline;
	bool has = dl != CONFIG_NO_DEADLINE;
	return req_reply(r, 200, json_pack("{s:b,s:o,s:i}", "open", !has || now_unix() <= dl, "deadline",
					   has ? json_time(dl) : json_null(), "retention_days",
					   r->cfg->application_retention_days));
}

/* ---- the secretariat's list and actions ------------------------------------------------------ */

/* True when s is an application status. */
static bool status_ok(const char *s)
{
	static const char *const all[] = {"received", "contacted", "selected", "waitlisted", "declined", "admitted"};
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		if (strcmp(s, all[i]) == 0)
			return true;
	return false;
}

/* GET /api/v1/applications?status=&track= — secretariat: 200 {applications:[...]} by id, each
 * with every field of the form plus status, contacted_at, overdue and the rest of its history;
 * `duplicates` lists other applications with the same e-mail address or company name. */
static int handle_application_list(struct req *r)
{
	if (!application_may_read(r))
		return req_not_found(r);
	const char *status = req_query_str(r, "status"), *track = req_query_str(r, "track");
	if (status && *status && !status_ok(status))
		return req_error(r, 400, "bad_request",
				 "status must be received, contacted, selected, waitlisted, declined or admitted");
	if (track && *track && !registry_is_track(track))
		return req_error(r, 400, "bad_request", "track must be monozukuri or service");
	sqlite3_stmt *st = db_stmt(r->db, apps_sql);
	db_bind_text(st, ":status", status && *status ? status : NULL);
	db_bind_text(st, ":track", track && *track ? track : NULL);
	int64_t now = now_unix();
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, app_json(st, now));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "applications", list));
}

/* GET /api/v1/applications/{id} — secretariat: 200 the application. */
static int handle_application_get(struct req *r)
{
	int64_t id;
	if (!application_may_read(r) || req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	json_t *a = app_load(r->db, id);
	return a ? req_reply(r, 200, a) : req_not_found(r);
}

/* Opens the transaction of an action on application {id} (path parameter 0): 0 with its
 * status and track filled, or the status answered (404 for anyone but the secretariat and for a
 * missing application). The state is read inside the transaction, so the action decides on
 * what it changes. */
static int action_begin(struct req *r, int64_t *id, char status[16], char track[16])
{
	if (!application_may_read(r) || req_path_id(r, 0, id) < 0)
		return req_not_found(r);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	if (app_state(r->db, *id, status, track) < 0)
		return req_not_found(r);
	return 0;
}

/* Answers an action with the application (plus extra members, stolen) and status. */
static int action_reply(struct req *r, int64_t id, int status, json_t *extra)
{
	json_t *a = app_load(r->db, id);
	if (!a) {
		json_decref(extra);
		return req_internal(r, "application reload");
	}
	if (extra) {
		json_object_update(a, extra);
		json_decref(extra);
	}
	return req_reply(r, status, a);
}

/* The secretariat's actions read their text members here rather than declaring them: for
 * anyone else the route answers 404 before any 422 (applications do not exist for them,
 * docs/API.md §2), and each `invalid` names its field for the web form. */

/* POST /api/v1/applications/{id}/contact {note} — secretariat: 200 the application, status
 * contacted, contacted_at set. Only a `received` application (else 409 wrong_status); the call
 * cannot be undone (decline instead). The note stays with the application, not in the audit. */
static int handle_application_contact(struct req *r)
{
	const char *note = NULL;
	int64_t id;
	char status[16], track[16];
	if (!application_may_read(r))
		return req_not_found(r);
	if (req_body_str(r, "note", &note) != 0 || !note_ok(note))
		return application_invalid(r, "note", "must be a text of at most 4000 bytes");
	int rc = action_begin(r, &id, status, track);
	if (rc)
		return rc;
	if (strcmp(status, "received") != 0)
		return wrong_status(r, status, "only a received application can be marked contacted");
	sqlite3_stmt *st = db_stmt(r->db, contact_sql);
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_text(st, ":note", note);
	db_bind_int64(st, ":id", id);
	if (db_exec_stmt(r->db, st) < 0 || audit_app(r, "application.contact", id, NULL) < 0)
		return req_internal(r, "contact");
	return action_reply(r, id, 200, NULL);
}

/* POST /api/v1/applications/{id}/decline {reason} — secretariat: 200 the application, status
 * declined, with `promoted`: the application that took its place (declining a `selected` one
 * makes the first `waitlisted` of its track, in draw order, `selected`: lottery_promote_next),
 * or null. Not for an admitted or already declined application (409 wrong_status). */
static int handle_application_decline(struct req *r)
{
	const char *reason = NULL;
	int64_t id, promoted = 0, now = now_unix();
	char status[16], track[16];
	if (!application_may_read(r))
		return req_not_found(r);
	if (req_body_str(r, "reason", &reason) != 0 || !note_ok(reason) || text_blank(reason))
		return application_invalid(r, "reason", "must be a non-empty text of at most 4000 bytes");
	int rc = action_begin(r, &id, status, track);
	if (rc)
		return rc;
	if (strcmp(status, "declined") == 0 || strcmp(status, "admitted") == 0)
		return wrong_status(r, status, "it can no longer be declined");
	sqlite3_stmt *st = db_stmt(r->db, decline_sql);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_text(st, ":reason", reason);
	db_bind_int64(st, ":id", id);
	if (db_exec_stmt(r->db, st) != 0)
		return req_internal(r, "decline");
	if (strcmp(status, "selected") == 0 && lottery_promote_next(r->db, track, now, &promoted) < 0)
		return req_internal(r, "promote");
	json_t *detail = json_pack("{s:s,s:o}", "from", status, "promoted",
				   promoted ? json_integer(promoted) : json_null());
	bool ok = audit_app(r, "application.decline", id, detail) == 0;
	json_decref(detail);
	if (ok && promoted) {
		detail = json_pack("{s:I}", "replacing", (json_int_t)id);
		ok = audit_app(r, "application.promote", promoted, detail) == 0;
		json_decref(detail);
	}
	if (!ok)
		return req_internal(r, "decline audit");
	return action_reply(r, id, 200, json_pack("{s:o}", "promoted", promoted ? json_integer(promoted) : json_null()));
}

/* The invitation mail of an admitted representative (Japanese first, then English). */
static char *invite_body_new(const struct config *cfg, const char *company, const char *token, int64_t expires)
{
	char exp[32];
	calendar_format_jst(expires, exp);
	return xasprintf("中小企業サイバーセキュリティ支援事業へのご参加が決まりました（%s）。\n"
			 "次のリンクからパスワードを設定して、フォーラム mamori にサインインしてください。\n\n"
			 "%s/#/invite/%s\n\n"
			 "リンクの有効期限: %s（一度だけ使えます）\n\n"
			 "You have been admitted to the SME cybersecurity support program (%s).\n"
			 "Set your password at the link above to sign in to the mamori forum.\n"
			 "The link works once and expires at %s.\n",
			 company, cfg->base_url, token, exp, company, exp);
}

/* POST /api/v1/applications/{id}/admit — secretariat: 201 {company, user, invite_token,
 * invite_expires_at, application}. Only a `selected` application (else 409 not_selected). Creates
 * the company by registry.c's rules (409 track_full, ...) and its representative participant, the
 * contact person, invited by users.c's rules (409 email_taken, company_full), queues the
 * invitation mail, and audits application.admit; all in one transaction. */
static int handle_application_admit(struct req *r)
{
	int64_t id, company = 0, user = 0, expires = 0;
	char status[16], track[16], *token = NULL;
	int rc = action_begin(r, &id, status, track);
	if (rc)
		return rc;
	if (strcmp(status, "selected") != 0) {
		int s = req_error(r, 409, "not_selected", "only a selected application can be admitted (it is %s)",
				  status);
		r->err_extra = json_pack("{s:s}", "status", status);
		return s;
	}
	json_t *a = app_load(r->db, id);
	if (!a)
		return req_internal(r, "application load");
	const char *name = json_string_value(json_object_get(a, "company_name"));
	struct company_in cin = {name, *json_string_value(json_object_get(a, "industry")),
				 json_string_value(json_object_get(a, "sme_class")),
				 json_integer_value(json_object_get(a, "capital_yen")),
				 json_integer_value(json_object_get(a, "employees")), 0};
	rc = registry_company_insert(r, &cin, &company);
	if (rc == 0) {
		struct user_in uin = {json_string_value(json_object_get(a, "contact_email")),
				      json_string_value(json_object_get(a, "contact_name")),
				      ROLE_PARTICIPANT,
				      company,
				      true,
				      NULL};
		rc = account_user_insert(r, &uin, &user, &token, &expires);
	}
	if (rc == 0) {
		char *subject = xasprintf("[mamori] 参加のご案内 / Your invitation: %s", name);
		char *body = invite_body_new(r->cfg, name, token, expires);
		rc = mail_enqueue_invitation(r->db, user, subject, body) < 0 ? -1 : 0;
		free(subject);
		free(body);
	}
	json_decref(a);
	if (rc == 0) {
		sqlite3_stmt *st = db_stmt(r->db, admit_sql);
		db_bind_int64(st, ":now", now_unix());
		db_bind_int64(st, ":company", company);
		db_bind_int64(st, ":user", user);
		db_bind_int64(st, ":id", id);
		json_t *detail = json_pack("{s:I,s:I}", "company_id", (json_int_t)company, "user_id", (json_int_t)user);
		rc = db_exec_stmt(r->db, st) < 0 || audit_app(r, "application.admit", id, detail) < 0 ? -1 : 0;
		json_decref(detail);
	}
	if (rc != 0) {
		free(token);
		return rc > 0 ? rc : req_internal(r, "admit");
	}
	json_t *c = view_company_json(r->db, company), *u = view_user_json(r->db, user),
	       *app = app_load(r->db, id);
	json_t *out = json_pack("{s:o,s:o,s:s,s:o,s:o}", "company", c ? c : json_null(), "user",
				u ? u : json_null(), "invite_token", token, "invite_expires_at", json_time(expires),
				"application", app ? app : json_null());
	free(token);
	return req_reply(r, 201, out);
}

/* ---- triage ------------------------------------------------------------------------------------ */

/* Adds the overdue applications to the triage list (application.h). */
void application_triage(struct db *d, int64_t now, application_triage_fn add, void *ctx)
{
	sqlite3_stmt *st = db_stmt(d, overdue_sql);
	db_bind_int64(st, ":now", now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t due = sqlite3_column_int64(st, 2);
		add(ctx,
		    json_pack("{s:I,s:s,s:s,s:o,s:o,s:o}", "application_id", (json_int_t)sqlite3_column_int64(st, 0),
			      "title", db_col_text(st, 1), "reason", "application_overdue", "since", json_time(due),
			      "due_at", json_time(due), "received_at", json_time(sqlite3_column_int64(st, 3))),
		    due);
	}
	sqlite3_reset(st);
}

/* ---- retention --------------------------------------------------------------------------------- */

/* A committed purge on its way to the WAL checkpoint (helper pool) and the log line. */
struct purge_ctx {
	char *data_dir;
	int n;
	bool checkpointed;
};

/* Helper pool: checkpoints the WAL on a connection of its own, so no deleted row stays in it. */
static void purge_checkpoint_work(void *arg)
{
	struct purge_ctx *p = arg;
	struct db *d = NULL;
	if (db_open(p->data_dir, false, &d) < 0)
		return;
	p->checkpointed = db_checkpoint_truncate(d, CHECKPOINT_BUSY_MS, CHECKPOINT_DEADLINE_US);
	db_close(d);
}

/* Worker 0: logs the purge and frees its context. */
static void purge_checkpoint_done(void *arg)
{
	struct purge_ctx *p = arg;
	log_info("applications: %d purged after their retention period%s", p->n,
		 p->checkpointed ? "" : " (WAL checkpoint pending)");
	free(p->data_dir);
	free(p);
}

/* After the purge's commit: hands the checkpoint to the helper pool (or logs the failure). */
static void purge_committed(void *arg, bool committed)
{
	struct purge_ctx *p = arg;
	if (!committed) {
		log_error("applications: the retention purge could not be stored; it runs again");
		free(p->data_dir);
		free(p);
		return;
	}
	pool_submit(server_worker(0), purge_checkpoint_work, purge_checkpoint_done, p);
}

/* One retention scan: deletes (with an audit entry each, ids only) the declined and waitlisted
 * applications closed at least application_retention_days ago, and the form's attempt counters
 * older than the rate window. Returns the number deleted, or -1. */
static int purge_scan(struct worker *w, int64_t now)
{
	struct db *d = w->db;
	int64_t ids[PURGE_BATCH];
	char statuses[PURGE_BATCH][12];
	int n = 0;
	sqlite3_stmt *st = db_stmt(d, expired_sql);
	db_bind_int64(st, ":cutoff", now - (int64_t)w->cfg->application_retention_days * DAY);
	db_bind_int64(st, ":limit", PURGE_BATCH);
	while (n < PURGE_BATCH && sqlite3_step(st) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(st, 0);
		snprintf(statuses[n], sizeof statuses[n], "%s", db_col_text(st, 1));
		n++;
	}
	sqlite3_reset(st);
	if (!n)
		return 0;
	if (db_tx_begin(d, __func__) < 0)
		return -1;
	bool ok = true;
	for (int i = 0; i < n && ok; i++) {
		st = db_stmt(d, app_delete_sql);
		db_bind_int64(st, ":id", ids[i]);
		ok = db_exec_stmt(d, st) == 0;
		json_t *detail = json_pack("{s:s,s:I}", "status", statuses[i], "retention_days",
					   (json_int_t)w->cfg->application_retention_days);
		ok = ok && audit_append_on(d, 0, "application.purge", "application", ids[i], "", detail) == 0;
		json_decref(detail);
	}
	st = db_stmt(d, attempts_prune_sql);
	db_bind_int64(st, ":cutoff", now - RATE_WINDOW);
	ok = ok && db_exec_stmt(d, st) == 0;
	if (!ok || db_tx_commit(d) < 0) {
		db_tx_rollback(d);
		return -1;
	}
	return n;
}

/* Worker 0's retention purge, every PURGE_INTERVAL seconds (application.h). */
void application_tick(struct worker *w)
{
	static int64_t last_scan; /* worker 0's thread only */
	if (w->index != 0 || server_stopping())
		return;
	int64_t now = now_unix();
	if (now - last_scan < PURGE_INTERVAL)
		return;
	last_scan = now;
	int n = purge_scan(w, now);
	if (n < 0) {
		log_error("applications: retention scan failed; it runs again in %d s", PURGE_INTERVAL);
		return;
	}
	if (n == 0)
		return;
	struct purge_ctx *p = xcalloc(1, sizeof *p);
	p->data_dir = xstrdup(w->cfg->data_dir);
	p->n = n;
	worker_after_commit(w, purge_committed, p);
}

/* ---- routes ------------------------------------------------------------------------------------ */

/* Reads and actions are ACCESS_CONTENT without a role bit, so that a participant or an expert
 * gets 404 (the handlers' may_read), not 403: applications do not exist for them. */
const struct route application_routes[] = {
	/* No declared body: the rate limit and the deadline come before the fields (handler). */
	ROUTE(POST, "/api/v1/applications", ACCESS_PUBLIC, handle_application_apply, .max_body = 16384,
	      .flags = ROUTE_NO_CSRF),
	ROUTE(GET, "/api/v1/application-form", ACCESS_PUBLIC, handle_application_form_info),
	ROUTE(GET, "/api/v1/applications", ACCESS_CONTENT, handle_application_list,
	      .params = {{"status", PARAM_STR}, {"track", PARAM_STR}}),
	ROUTE(GET, "/api/v1/applications/{id}", ACCESS_CONTENT, handle_application_get),
	ROUTE(POST, "/api/v1/applications/{id}/contact", ACCESS_CONTENT, handle_application_contact),
	ROUTE(POST, "/api/v1/applications/{id}/decline", ACCESS_CONTENT, handle_application_decline),
	ROUTE(POST, "/api/v1/applications/{id}/admit", ACCESS_CONTENT, handle_application_admit),
	{0},
};
