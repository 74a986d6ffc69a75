/* visit.c — expert dispatch (docs/API.md §10, docs/DISPATCH.md): scheduling a company's visits,
 * the visit's report and checklist, and the secretariat's dispatch report (JSON or CSV).
 * Every read embeds AUTHZ_VISIT_VISIBLE (the `company` visibility of §5, authz.h); an unreadable
 * company or visit answers 404. Every change is audited (`visit.create`, `visit.update`) and
 * tells the company's participants and the visit's expert in the app and by mail — the company,
 * the stage, the date and the mode, never the report or the checklist. */
#include "visit.h"

#include "audit.h"
#include "authz.h"
#include "calendar.h"
#include "config.h"
#include "consent.h"
#include "db.h"
#include "http.h"
#include "ics.h"
#include "mail.h"
#include "markdown.h"
#include "notify.h"
#include "post.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const checklist_keys[5][VISIT_CHECKLIST_KEYS] = {
	{NULL, NULL},
	{"problems_shared", "vision_aligned"},
	{"goals_set", "year_plan_clear"},
	{"learning_applied", "plan_reviewable"},
	{"next_year_clear", "plan_reflects_expert"},
};

const char *visit_checklist_key(int stage, int i)
{
	if (stage < 1 || stage > 4 || i < 0 || i >= VISIT_CHECKLIST_KEYS)
		return NULL;
	return checklist_keys[stage][i];
}

#define JST_OFFSET (9 * 3600)

/* Whether y is a Gregorian leap year. */
static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The end of the Japan-time day monthday in now's program year (visit.h). */
int64_t visit_due_end(int monthday, int64_t now)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	time_t t = (time_t)(now + JST_OFFSET);
	struct tm tm;
	gmtime_r(&t, &tm);
	int fy = tm.tm_mon + 1 >= 4 ? tm.tm_year + 1900 : tm.tm_year + 1900 - 1;
	int mo = monthday / 100, day = monthday % 100;
	int year = mo >= 4 ? fy : fy + 1;
	int last = mdays[mo - 1] + (mo == 2 && leap(year));
	if (day > last)
		day = last;
	struct tm d = {.tm_year = year - 1900, .tm_mon = mo - 1, .tm_mday = day + 1};
	return (int64_t)timegm(&d) - JST_OFFSET;
}

/* ---- loading --------------------------------------------------------------------------------- */

#define VISIT_COLUMNS                                                                              \
	"v.id, v.company_id, c.name, v.stage, v.scheduled_at, v.mode, v.expert_id, coalesce(u.name, ''),"  \
	" v.status, v.checklist, v.report, v.report_html, v.created_at, v.updated_at, v.done_at, v.revision"
#define VISIT_FROM " FROM visits v JOIN companies c ON c.id = v.company_id LEFT JOIN users u ON u.id = v.expert_id"

static const char get_sql[] = "SELECT " VISIT_COLUMNS VISIT_FROM " WHERE v.id = :id AND " AUTHZ_VISIT_VISIBLE;
static const char list_sql[] =
	"SELECT " VISIT_COLUMNS VISIT_FROM " WHERE v.company_id = :cid AND " AUTHZ_VISIT_VISIBLE
	" ORDER BY v.stage, v.id";

/* The stored checklist completed with every key of the stage (false when never set). */
static json_t *checklist_full(int stage, const char *stored)
{
	json_t *in = json_loads(stored ? stored : "{}", 0, NULL);
	json_t *out = json_object();
	for (int i = 0; i < VISIT_CHECKLIST_KEYS; i++) {
		const char *k = visit_checklist_key(stage, i);
		json_object_set_new(out, k, json_boolean(json_is_true(json_object_get(in, k))));
	}
	json_decref(in);
	return out;
}

/* A row of VISIT_COLUMNS as the visit's JSON. */
static json_t *visit_row_json(sqlite3_stmt *st)
{
	int stage = sqlite3_column_int(st, 3);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "company_id", json_integer(sqlite3_column_int64(st, 1)));
	json_object_set_new(o, "company_name", json_string(db_col_text(st, 2)));
	json_object_set_new(o, "stage", json_integer(stage));
	json_object_set_new(o, "scheduled_at", json_time(sqlite3_column_int64(st, 4)));
	json_object_set_new(o, "mode", json_string(db_col_text(st, 5)));
	json_object_set_new(o, "expert_id", json_integer(sqlite3_column_int64(st, 6)));
	json_object_set_new(o, "expert",
			    json_pack("{s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 6), "name",
				      db_col_text(st, 7)));
	json_object_set_new(o, "status", json_string(db_col_text(st, 8)));
	json_object_set_new(o, "checklist", checklist_full(stage, db_col_text(st, 9)));
	json_object_set_new(o, "report", view_col_text(st, 10));
	json_object_set_new(o, "report_html", view_col_text(st, 11));
	json_object_set_new(o, "created_at", json_time(sqlite3_column_int64(st, 12)));
	json_object_set_new(o, "updated_at", json_time(sqlite3_column_int64(st, 13)));
	json_object_set_new(o, "done_at", json_time(sqlite3_column_int64(st, 14)));
	json_object_set_new(o, "revision", json_integer(sqlite3_column_int64(st, 15)));
	return o;
}

/* The visit as p may see it, or NULL when p may not read it (or it does not exist). */
static json_t *visit_load(struct db *d, const struct principal *p, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, get_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, p);
	json_t *o = sqlite3_step(st) == SQLITE_ROW ? visit_row_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

/* ---- telling the company --------------------------------------------------------------------- */

/* Who is told about a visit: the company's active participants and the visit's expert. */
static const char concerned_sql[] =
	"SELECT id FROM users WHERE company_id = :cid AND role = 'participant' AND status = 'active'"
	" UNION SELECT expert_id FROM visits WHERE id = :vid ORDER BY 1";
static const char company_name_sql[] = "SELECT name FROM companies WHERE id = :id";

/* Notifies the company's active participants and the visit's expert who may read the visit
 * (app; never the actor), and mails those who also pass the consent gate. The notice (kind +
 * params, server/kinds.c) names the company, the stage and the date only, never the report. */
static int tell_concerned(struct req *r, int64_t visit_id, int64_t company_id, int stage, int64_t at,
			const char *mode, const char *kind)
{
	char when[32];
	calendar_format_jst(at, when);
	when[16] = 0; /* 2026-08-03T10:00 */
	when[10] = ' ';
	sqlite3_stmt *st = db_stmt(r->db, company_name_sql);
	db_bind_int64(st, ":id", company_id);
	char *company = sqlite3_step(st) == SQLITE_ROW ? db_col_dup(st, 0) : xstrdup("");
	sqlite3_reset(st);
	json_t *params = json_pack("{s:s, s:I, s:i, s:s, s:s}", "company", company, "company_id",
				   (json_int_t)company_id, "stage", stage, "when", when, "mode", mode);
	free(company);
	int rc = 0;
	st = db_stmt(r->db, concerned_sql);
	db_bind_int64(st, ":cid", company_id);
	db_bind_int64(st, ":vid", visit_id);
	size_t n = 0, cap = 8;
	int64_t *ids = xmalloc(cap * sizeof *ids);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (notify_user_visit(r->db, ids[i], kind, visit_id, r->who->user_id, params) < 0) {
			rc = -1;
			break;
		}
		struct principal p;
		if (ids[i] == r->who->user_id || authz_principal_load(r->db, ids[i], &p) < 0)
			continue;
		bool ok = authz_check_content(r->db, &p, ACCESS_CONTENT, NULL) == ACCESS_OK &&
			  authz_can_read_visit(r->db, &p, visit_id);
		principal_clear(&p);
		if (ok && mail_enqueue(r->db, ids[i], kind, 0, params, NULL) < 0)
			rc = -1;
	}
	free(ids);
	json_decref(params);
	return rc;
}

/* Audits action on visit:id by r's caller; takes detail's reference. */
static int audit_visit(struct req *r, const char *action, int64_t visit_id, json_t *detail)
{
	int rc = audit_append_on(r->db, r->who->user_id, action, "visit", visit_id, r->ip, detail);
	json_decref(detail);
	return rc;
}

/* ---- routes ---------------------------------------------------------------------------------- */

static const char company_status_sql[] = "SELECT status FROM companies WHERE id = :id";
static const char assigned_sql[] =
	"SELECT 1 FROM expert_assignments ea JOIN users u ON u.id = ea.expert_id"
	" WHERE ea.company_id = :cid AND ea.expert_id = :eid AND u.role = 'expert' AND u.status = 'active'";
static const char stage_taken_sql[] =
	"SELECT 1 FROM visits WHERE company_id = :cid AND stage = :stage AND status <> 'cancelled'";
static const char insert_sql[] =
	"INSERT INTO visits (company_id, stage, scheduled_at, mode, expert_id, created_by, created_at, updated_at)"
	" VALUES (:cid, :stage, :at, :mode, :eid, :by, :now, :now)";

/* Whether m is a visit's mode. */
static bool mode_ok(const char *m)
{
	return strcmp(m, "onsite") == 0 || strcmp(m, "online") == 0;
}

/* The declared time member name into *out: 0, 1 when absent, -1 when not RFC 3339. */
static int field_time(struct req *r, const char *name, int64_t *out)
{
	const char *s = req_field_str(r, name);
	if (!s)
		return 1;
	return time_parse_rfc3339(s, out) != 0 ? -1 : 0;
}

/* Who schedules: the expert_id of a POST visits body, or for an expert themselves. 0, or the
 * error status (403 an expert for another, 422 the secretariat without expert_id). */
static int visit_expert(struct req *r, int64_t *eid)
{
	bool got = req_field_present(r, "expert_id");
	*eid = req_field_int(r, "expert_id", 0);
	if (authz_is_expert(r->who)) {
		if (!got)
			*eid = r->who->user_id;
		else if (*eid != r->who->user_id)
			return req_error(r, 403, "forbidden", "an expert schedules visits for themselves");
	} else if (!got) {
		return req_error(r, 422, "invalid", "expert_id is required");
	}
	return 0;
}

/* Whether company cid is active and expert eid an active expert assigned to it: 0, or 422
 * (invalid, expert_not_assigned). */
static int visit_company_check(struct req *r, int64_t cid, int64_t eid)
{
	sqlite3_stmt *st = db_stmt(r->db, company_status_sql);
	db_bind_int64(st, ":id", cid);
	char *status = sqlite3_step(st) == SQLITE_ROW ? db_col_dup(st, 0) : NULL;
	sqlite3_reset(st);
	bool active = status && strcmp(status, "active") == 0;
	free(status);
	if (!active)
		return req_error(r, 422, "invalid", "visits are scheduled for active companies only");
	st = db_stmt(r->db, assigned_sql);
	db_bind_int64(st, ":cid", cid);
	db_bind_int64(st, ":eid", eid);
	if (db_one_int64(st, 0) != 1)
		return req_error(r, 422, "expert_not_assigned", "the expert is not assigned to this company");
	return 0;
}

/* POST /api/v1/companies/{id}/visits {stage, scheduled_at, mode, expert_id} — secretariat, or an
 * expert assigned to the company for themselves (expert_id may then be left out). 201 the visit;
 * 404 when the caller may not read the company's content; 403 when an expert schedules another
 * expert; 422 invalid / expert_not_assigned; 409 stage_taken. */
static int handle_visit_create(struct req *r)
{
	int64_t cid, at = 0, eid = 0;
	if (req_path_id(r, 0, &cid) < 0 || !authz_can_read_company(r->db, r->who, cid))
		return req_not_found(r);
	int64_t stage = req_field_int(r, "stage", 0);
	const char *mode = req_field_str(r, "mode");
	if (field_time(r, "scheduled_at", &at) != 0)
		return req_error(r, 422, "invalid", "scheduled_at must be an RFC 3339 time");
	if (!mode_ok(mode))
		return req_error(r, 422, "invalid", "mode must be onsite or online");
	int status = visit_expert(r, &eid);
	if (!status)
		status = visit_company_check(r, cid, eid);
	if (status)
		return status;
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, stage_taken_sql); /* inside the transaction: two schedulers cannot both win */
	db_bind_int64(st, ":cid", cid);
	db_bind_int64(st, ":stage", stage);
	if (db_one_int64(st, 0) == 1)
		return req_error(r, 409, "stage_taken", "stage %d already has a visit that is not cancelled",
				 (int)stage);
	st = db_stmt(r->db, insert_sql);
	db_bind_int64(st, ":cid", cid);
	db_bind_int64(st, ":stage", stage);
	db_bind_int64(st, ":at", at);
	db_bind_text(st, ":mode", mode);
	db_bind_int64(st, ":eid", eid);
	db_bind_int64(st, ":by", r->who->user_id);
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) != 0)
		return req_internal(r, "visit create");
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (audit_visit(r, "visit.create", id,
			json_pack("{s:I, s:I, s:s, s:I, s:I}", "company_id", (json_int_t)cid, "stage",
				  (json_int_t)stage, "mode", mode, "expert_id", (json_int_t)eid, "scheduled_at",
				  (json_int_t)at)) != 0 ||
	    tell_concerned(r, id, cid, (int)stage, at, mode, "visit.scheduled") != 0)
		return req_internal(r, "visit create");
	json_t *o = visit_load(r->db, r->who, id);
	return o ? req_reply(r, 201, o) : req_internal(r, "visit reload");
}

/* GET /api/v1/companies/{id}/visits — the company's participants, its assigned experts, the
 * secretariat: 200 {visits:[...]} by stage (cancelled ones included, oldest first within a
 * stage); anyone else 404. */
static int handle_visit_list(struct req *r)
{
	int64_t cid;
	if (req_path_id(r, 0, &cid) < 0 || !authz_can_read_company(r->db, r->who, cid))
		return req_not_found(r);
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(r->db, list_sql);
	db_bind_int64(st, ":cid", cid);
	authz_bind(st, r->who);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, visit_row_json(st));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "visits", arr));
}

/* GET /api/v1/visits/{id} — as the list; 200 one visit. */
static int handle_visit_get(struct req *r)
{
	int64_t id;
	json_t *o = req_path_id(r, 0, &id) < 0 ? NULL : visit_load(r->db, r->who, id);
	return o ? req_reply(r, 200, o) : req_not_found(r);
}

/* Whether s is empty or only ASCII white space. */
static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* The report's HTML (new string), or NULL when it cannot be rendered. */
static char *render_report(const char *src)
{
	struct buf b = {0};
	if (markdown_render(src, strlen(src), &b) < 0) {
		buf_free(&b);
		return NULL;
	}
	char *html = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return html;
}

static const char update_sql[] =
	"UPDATE visits SET scheduled_at = :at, mode = :mode, status = :status, checklist = :checklist,"
	" report = :report, report_html = :html, updated_at = :now, revision = revision + 1,"
	" done_at = CASE WHEN :status = 'done' AND done_at IS NULL THEN :now ELSE done_at END,"
	" cancelled_at = CASE WHEN :status = 'cancelled' THEN :now ELSE cancelled_at END"
	" WHERE id = :id AND revision = :revision";

/* A PATCH of a visit: the visit as it was (v) and what it becomes. Strings but the two new ones
 * are borrowed from v or the body. */
struct visit_change {
	json_t *v;
	int stage;
	int64_t old_at, at;
	const char *old_status, *old_mode, *status, *mode, *report;
	bool got_at, got_mode, got_status, got_report, got_checklist;
	char *checklist_text, *html; /* new strings */
};

/* Merges the body's checklist (keys of the visit's stage, booleans) into the stored one, as
 * c->checklist_text. 0, or 422 invalid. */
static int change_checklist(struct req *r, struct visit_change *c)
{
	json_t *merged = json_deep_copy(json_object_get(c->v, "checklist"));
	json_t *cl = req_field_json(r, "checklist");
	const char *k;
	json_t *val;
	json_object_foreach(cl, k, val)
	{
		if (!json_object_get(merged, k) || !json_is_boolean(val)) {
			json_decref(merged);
			return req_error(r, 422, "invalid", "checklist key %.40s is not one of stage %d's, or not a boolean",
					 k, c->stage);
		}
		json_object_set(merged, k, val);
	}
	c->checklist_text = json_dumps(merged, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(merged);
	return 0;
}

/* Reads the PATCH body over visit v into c. 0, or the error status (422 invalid, 413 too_large:
 * kept here, as a post's body limit). */
static int change_read(struct req *r, json_t *v, struct visit_change *c)
{
	c->v = v;
	c->stage = (int)json_integer_value(json_object_get(v, "stage"));
	c->old_status = c->status = json_string_value(json_object_get(v, "status"));
	c->old_mode = c->mode = json_string_value(json_object_get(v, "mode"));
	time_parse_rfc3339(json_string_value(json_object_get(v, "scheduled_at")), &c->old_at);
	c->at = c->old_at;
	json_t *jr = json_object_get(v, "report");
	c->report = json_is_string(jr) ? json_string_value(jr) : NULL;
	int got = field_time(r, "scheduled_at", &c->at);
	if (got < 0)
		return req_error(r, 422, "invalid", "scheduled_at must be an RFC 3339 time");
	c->got_at = got == 0;
	const char *s = req_field_str(r, "mode");
	if ((c->got_mode = s != NULL) && !mode_ok(s))
		return req_error(r, 422, "invalid", "mode must be onsite or online");
	c->mode = s ? s : c->mode;
	s = req_field_str(r, "status");
	if ((c->got_status = s != NULL) && strcmp(s, "scheduled") != 0 && strcmp(s, "done") != 0 &&
	    strcmp(s, "cancelled") != 0)
		return req_error(r, 422, "invalid", "status must be scheduled, done or cancelled");
	c->status = s ? s : c->status;
	s = req_field_str(r, "report");
	if ((c->got_report = s != NULL) && strlen(s) > POST_MAX_BODY)
		return req_error(r, 413, "too_large", "a report is at most %d bytes", POST_MAX_BODY);
	c->report = s ? s : c->report;
	c->got_checklist = req_field_present(r, "checklist");
	return change_checklist(r, c);
}

/* The visit's life cycle over c: 0, or 409 conflict / 422 report_required. */
static int change_check(struct req *r, const struct visit_change *c)
{
	bool changes_status = strcmp(c->status, c->old_status) != 0;
	if (strcmp(c->old_status, "cancelled") == 0 &&
	    (changes_status || c->got_at || c->got_mode || c->got_report || c->got_checklist))
		return req_error(r, 409, "conflict", "a cancelled visit does not change; schedule the stage again");
	if (changes_status && strcmp(c->old_status, "scheduled") != 0)
		return req_error(r, 409, "conflict", "status moves from scheduled to done or cancelled only");
	if (strcmp(c->old_status, "done") == 0 &&
	    ((c->got_at && c->at != c->old_at) || strcmp(c->mode, c->old_mode) != 0))
		return req_error(r, 409, "conflict", "a done visit keeps its date and mode");
	if (strcmp(c->status, "done") == 0 && blank(c->report))
		return req_error(r, 422, "report_required", "a done visit needs a report");
	return 0;
}

/* The notice kind a change tells the concerned of, or NULL. */
static const char *change_kind(const struct visit_change *c)
{
	bool changes_status = strcmp(c->status, c->old_status) != 0;
	if (changes_status && strcmp(c->status, "done") == 0)
		return "visit.reported";
	if (changes_status && strcmp(c->status, "cancelled") == 0)
		return "visit.cancelled";
	if (strcmp(c->status, "scheduled") == 0 && c->at != c->old_at)
		return "visit.rescheduled";
	return NULL;
}

/* Audits visit.update for c: the fields changed and the status before and after, never the
 * report's text. 0 or -1. */
static int change_audit(struct req *r, int64_t id, const struct visit_change *c)
{
	json_t *fields = json_array();
	if (c->got_at && c->at != c->old_at)
		json_array_append_new(fields, json_string("scheduled_at"));
	if (c->got_mode)
		json_array_append_new(fields, json_string("mode"));
	if (c->got_status)
		json_array_append_new(fields, json_string("status"));
	if (c->got_report)
		json_array_append_new(fields, json_string("report"));
	if (c->got_checklist)
		json_array_append_new(fields, json_string("checklist"));
	return audit_visit(r, "visit.update", id,
			   json_pack("{s:I, s:I, s:o, s:s, s:s}", "company_id",
				     (json_int_t)json_integer_value(json_object_get(c->v, "company_id")), "stage",
				     (json_int_t)c->stage, "fields", fields, "from", c->old_status, "to", c->status));
}

/* Writes c over visit id in the request's transaction, only over the revision it was decided on
 * (a change meanwhile: 409 conflict), audits and tells the concerned. 0, or the error status. */
static int change_store(struct req *r, int64_t id, const struct visit_change *c)
{
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, update_sql);
	db_bind_int64(st, ":at", c->at);
	db_bind_text(st, ":mode", c->mode);
	db_bind_text(st, ":status", c->status);
	db_bind_text(st, ":checklist", c->checklist_text);
	if (c->report) {
		db_bind_text(st, ":report", c->report);
		db_bind_text(st, ":html", c->html);
	}
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":revision", json_integer_value(json_object_get(c->v, "revision")));
	if (db_exec_stmt(r->db, st) != 0)
		return req_internal(r, "visit update");
	if (sqlite3_changes(db_handle(r->db)) != 1)
		return req_error(r, 409, "conflict", "the visit changed meanwhile; reload it");
	const char *kind = change_kind(c);
	if (change_audit(r, id, c) != 0 ||
	    (kind && tell_concerned(r, id, json_integer_value(json_object_get(c->v, "company_id")), c->stage, c->at,
				    c->mode, kind) != 0))
		return req_internal(r, "visit update");
	return 0;
}

/* Decides and writes the PATCH of visit id (v, as the caller reads it) into c: 0, or the error
 * status. */
static int visit_change(struct req *r, int64_t id, json_t *v, struct visit_change *c)
{
	int64_t expert_id = json_integer_value(json_object_get(v, "expert_id"));
	if (!authz_is_secretariat(r->who) && r->who->user_id != expert_id)
		return req_error(r, 403, "forbidden", "only the visit's expert or the secretariat changes a visit");
	int status = change_read(r, v, c);
	if (!status)
		status = change_check(r, c);
	if (status)
		return status;
	if (c->report && !(c->html = render_report(c->report)))
		return req_internal(r, "render");
	return change_store(r, id, c);
}

/* PATCH /api/v1/visits/{id} {scheduled_at?, mode?, status?, report?, checklist?} — the visit's
 * expert, the secretariat (another reader: 403; anyone else: 404). status moves scheduled →
 * done | cancelled only (else 409 conflict); done needs a non-blank report (422
 * report_required); a done visit keeps its date and mode but its report and checklist may be
 * corrected; a cancelled visit changes no more (409 conflict). checklist keys are the stage's
 * (else 422 invalid) and merge into the stored ones. 200 the visit. */
static int handle_visit_update(struct req *r)
{
	int64_t id;
	json_t *v = req_path_id(r, 0, &id) < 0 ? NULL : visit_load(r->db, r->who, id);
	if (!v)
		return req_not_found(r);
	struct visit_change c = {0};
	int status = visit_change(r, id, v, &c);
	free(c.html);
	free(c.checklist_text);
	json_decref(v);
	if (status)
		return status;
	json_t *o = visit_load(r->db, r->who, id);
	return o ? req_reply(r, 200, o) : req_internal(r, "visit reload");
}

/* ---- the dispatch report --------------------------------------------------------------------- */

static const char report_companies_sql[] =
	"SELECT c.id, c.name, c.track,"
	" coalesce((SELECT group_concat(u.name, '、') FROM expert_assignments ea JOIN users u ON u.id = ea.expert_id"
	"   WHERE ea.company_id = c.id), '')"
	" FROM companies c WHERE c.status = 'active' ORDER BY c.id";
/* Per company and stage the visit that counts: the one not cancelled, else the latest cancelled. */
static const char report_visits_sql[] =
	"SELECT v.company_id, v.stage, v.status, v.scheduled_at, v.checklist FROM visits v"
	" JOIN companies c ON c.id = v.company_id WHERE c.status = 'active'"
	" ORDER BY v.company_id, v.stage, v.status <> 'cancelled', v.id";

/* The last Japan-time day (YYYY-MM-DD) a stage due on monthday may be done in now's program year. */
static void due_day(int monthday, int64_t now, char out[32])
{
	int64_t end = visit_due_end(monthday, now) - 1 + JST_OFFSET;
	time_t t = (time_t)end;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday);
}

/* The dispatch report: {due:{"1", "4"}, companies:[a row per active company]}. */
static json_t *report_json(struct req *r)
{
	int64_t now = now_unix();
	int64_t due_end[5] = {0, visit_due_end(r->cfg->dispatch_stage1_due, now), 0, 0,
			      visit_due_end(r->cfg->dispatch_stage4_due, now)};
	char d1[32], d4[32];
	due_day(r->cfg->dispatch_stage1_due, now, d1);
	due_day(r->cfg->dispatch_stage4_due, now, d4);
	json_t *rows = json_array();
	json_t *by_id = json_object();
	sqlite3_stmt *st = db_stmt(r->db, report_companies_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *stages = json_pack("{s:s, s:s, s:s, s:s}", "1", "none", "2", "none", "3", "none", "4", "none");
		json_t *when = json_pack("{s:n, s:n, s:n, s:n}", "1", "2", "3", "4");
		json_t *checklist = json_object();
		for (int s = 1; s <= 4; s++)
			for (int i = 0; i < VISIT_CHECKLIST_KEYS; i++)
				json_object_set_new(checklist, visit_checklist_key(s, i), json_false());
		json_t *row = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:[]}", "company_id",
					(json_int_t)sqlite3_column_int64(st, 0), "company_name", db_col_text(st, 1),
					"track", db_col_text(st, 2), "experts", db_col_text(st, 3), "stages", stages,
					"scheduled_at", when, "checklist", checklist, "checklist_met", 0,
					"checklist_total", 4 * VISIT_CHECKLIST_KEYS, "behind");
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(st, 0));
		json_object_set(by_id, key, row);
		json_array_append_new(rows, row);
	}
	sqlite3_reset(st);
	/* The visit that counts per stage comes first in each (company, stage) run. */
	st = db_stmt(r->db, report_visits_sql);
	int64_t last_c = 0, last_s = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t c = sqlite3_column_int64(st, 0), s = sqlite3_column_int64(st, 1);
		if (c == last_c && s == last_s)
			continue;
		last_c = c;
		last_s = s;
		char key[24], sk[2] = {(char)('0' + s), 0};
		snprintf(key, sizeof key, "%lld", (long long)c);
		json_t *row = json_object_get(by_id, key);
		if (!row)
			continue;
		const char *status = db_col_text(st, 2);
		json_object_set_new(json_object_get(row, "stages"), sk, json_string(status));
		json_object_set_new(json_object_get(row, "scheduled_at"), sk, json_time(sqlite3_column_int64(st, 3)));
		if (strcmp(status, "cancelled") == 0)
			continue;
		json_t *cl = checklist_full((int)s, db_col_text(st, 4));
		const char *k;
		json_t *val;
		json_object_foreach(cl, k, val) if (json_is_true(val))
		{
			json_object_set_new(json_object_get(row, "checklist"), k, json_true());
			json_object_set_new(row, "checklist_met",
					    json_integer(json_integer_value(json_object_get(row, "checklist_met")) + 1));
		}
		json_decref(cl);
	}
	sqlite3_reset(st);
	/* behind: a stage with a due day that is not done, and either the day has passed or its
	 * visit is scheduled after it. */
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		for (int s = 1; s <= 4; s += 3) {
			char sk[2] = {(char)('0' + s), 0};
			const char *status = json_string_value(json_object_get(json_object_get(row, "stages"), sk));
			if (strcmp(status, "done") == 0)
				continue;
			int64_t at = 0;
			json_t *w = json_object_get(json_object_get(row, "scheduled_at"), sk);
			bool late = strcmp(status, "scheduled") == 0 && json_is_string(w) &&
				    time_parse_rfc3339(json_string_value(w), &at) == 0 && at >= due_end[s];
			if (now >= due_end[s] || late)
				json_array_append_new(json_object_get(row, "behind"), json_integer(s));
		}
	}
	json_decref(by_id);
	return json_pack("{s:{s:s, s:s}, s:o}", "due", "1", d1, "4", d4, "companies", rows);
}

/* Appends n as a CSV field. */
static void csv_int(struct buf *b, json_int_t n)
{
	char num[32];
	snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, n);
	consent_csv_field(b, num);
}

/* The report as CSV after a UTF-8 BOM, CRLF line ends, one row per company (consent_csv_field
 * guards every field against formulas). */
static void report_csv(json_t *rep, struct buf *b)
{
	buf_puts(b, "\xEF\xBB\xBF");
	buf_puts(b, "company_id,company,track,experts,stage_1,stage_2,stage_3,stage_4,"
		    "scheduled_1,scheduled_2,scheduled_3,scheduled_4,checklist_met,checklist_total,"
		    "behind_1,behind_4\r\n");
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(rep, "companies"), i, o)
	{
		csv_int(b, json_integer_value(json_object_get(o, "company_id")));
		static const char *const cols[] = {"company_name", "track", "experts"};
		for (unsigned c = 0; c < ARRAY_LEN(cols); c++) {
			buf_puts(b, ",");
			consent_csv_field(b, json_string_value(json_object_get(o, cols[c])));
		}
		static const char *const stages[] = {"1", "2", "3", "4"};
		for (unsigned s = 0; s < 4; s++) {
			buf_puts(b, ",");
			consent_csv_field(b, json_string_value(json_object_get(json_object_get(o, "stages"), stages[s])));
		}
		for (unsigned s = 0; s < 4; s++) {
			buf_puts(b, ",");
			consent_csv_field(b, json_string_value(json_object_get(json_object_get(o, "scheduled_at"), stages[s])));
		}
		buf_puts(b, ",");
		csv_int(b, json_integer_value(json_object_get(o, "checklist_met")));
		buf_puts(b, ",");
		csv_int(b, json_integer_value(json_object_get(o, "checklist_total")));
		bool b1 = false, b4 = false;
		size_t j;
		json_t *s;
		json_array_foreach(json_object_get(o, "behind"), j, s)
		{
			b1 = b1 || json_integer_value(s) == 1;
			b4 = b4 || json_integer_value(s) == 4;
		}
		buf_puts(b, b1 ? ",true" : ",false");
		buf_puts(b, b4 ? ",true\r\n" : ",false\r\n");
	}
}

/* GET /api/v1/dispatch/report?format=json|csv — secretariat: one row per active company with
 * its four stages (none, scheduled, done, cancelled), the checklist items met, and `behind`
 * (docs/DISPATCH.md); csv as the consent report (UTF-8 with BOM, dispatch-report.csv). */
static int handle_dispatch_report(struct req *r)
{
	const char *format = req_query_str(r, "format");
	bool csv = format && strcmp(format, "csv") == 0;
	if (format && !csv && strcmp(format, "json") != 0)
		return req_error(r, 400, "bad_request", "format must be json or csv");
	json_t *rep = report_json(r);
	if (!csv)
		return req_reply(r, 200, rep);
	struct buf b = {0};
	report_csv(rep, &b);
	json_decref(rep);
	r->raw_out = evbuffer_new();
	evbuffer_add(r->raw_out, b.data, b.len);
	buf_free(&b);
	req_header(r, "Content-Type", "text/csv; charset=utf-8");
	req_header(r, "Content-Disposition", "attachment; filename=\"dispatch-report.csv\"");
	return 200;
}

static const char my_companies_sql[] =
	"SELECT c.id, c.name, c.status,"
	" (SELECT group_concat(v.stage || ':' || v.status) FROM visits v WHERE v.company_id = c.id)"
	" FROM companies c WHERE c.status <> 'withdrawn' AND " AUTHZ_COMPANY_VISIBLE("c.id") " ORDER BY c.name, c.id";

/* GET /api/v1/dispatch/companies — gated reader: the companies whose visits the caller may read
 * (a participant's own, an expert's assigned ones, every company for the secretariat; withdrawn
 * ones left out), each {id, name, status, stages:{"1".."4": none|scheduled|done|cancelled}}:
 * where the web front end's 専門家派遣 page starts. */
static int handle_dispatch_companies(struct req *r)
{
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(r->db, my_companies_sql);
	authz_bind(st, r->who);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *stages = json_pack("{s:s, s:s, s:s, s:s}", "1", "none", "2", "none", "3", "none", "4", "none");
		/* "stage:status" pairs; a live visit wins over a cancelled one. */
		const char *p = db_col_text(st, 3);
		while (p && *p) {
			char sk[2] = {p[0], 0};
			const char *colon = strchr(p, ':');
			if (!colon)
				break;
			const char *end = strchr(colon, ',');
			size_t n = end ? (size_t)(end - colon - 1) : strlen(colon + 1);
			char status[16];
			snprintf(status, sizeof status, "%.*s", (int)(n < 15 ? n : 15), colon + 1);
			const char *have = json_string_value(json_object_get(stages, sk));
			if (have && (strcmp(status, "cancelled") != 0 || strcmp(have, "none") == 0))
				json_object_set_new(stages, sk, json_string(status));
			p = end ? end + 1 : NULL;
		}
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
						     "name", db_col_text(st, 1), "status", db_col_text(st, 2), "stages",
						     stages));
	}
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "companies", arr));
}

const struct route visit_routes[] = {
	/* expert_id is any integer: one that is no assigned expert answers 422 expert_not_assigned. */
	ROUTE(POST, "/api/v1/companies/{id}/visits", ACCESS_WRITE | ACCESS_EXPERT | ACCESS_SECRETARIAT,
	      handle_visit_create,
	      .body = {{"stage", BODY_INT, BODY_REQUIRED | BODY_POSITIVE, 4},
		       {"scheduled_at", BODY_STR, BODY_REQUIRED},
		       {"mode", BODY_STR, BODY_REQUIRED},
		       {"expert_id", BODY_INT}}),
	ROUTE(GET, "/api/v1/companies/{id}/visits", ACCESS_CONTENT, handle_visit_list),
	ROUTE(GET, "/api/v1/visits/{id}", ACCESS_CONTENT, handle_visit_get),
	/* report has no declared limit: over POST_MAX_BODY it is 413 too_large (change_read), and a
	 * blank one 422 report_required only when the visit is done (change_check). */
	ROUTE(PATCH, "/api/v1/visits/{id}", ACCESS_WRITE, handle_visit_update,
	      .body = {{"scheduled_at", BODY_STR},
		       {"mode", BODY_STR},
		       {"status", BODY_STR},
		       {"report", BODY_STR},
		       {"checklist", BODY_OBJECT}}),
	ROUTE(GET, "/api/v1/dispatch/companies", ACCESS_CONTENT, handle_dispatch_companies),
	ROUTE(GET, "/api/v1/dispatch/report", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_dispatch_report,
	      .params = {{"format", PARAM_STR}}),
	{0},
};

/* ---- the calendar feed (docs/API.md §9) ------------------------------------------------------ */

/* The caller's visits for the feed: a participant's own company's, an expert's own (as the
 * visit's expert, while they may read it), every visit for the secretariat; never cancelled
 * ones. The same rule as every read (AUTHZ_VISIT_VISIBLE). */
static const char feed_sql[] =
	"SELECT v.id, v.stage, v.scheduled_at, c.name, v.created_at, v.updated_at, v.revision, v.company_id"
	" FROM visits v JOIN companies c ON c.id = v.company_id"
	" WHERE v.status <> 'cancelled' AND " AUTHZ_VISIT_VISIBLE
	" AND (:p_role <> 'expert' OR v.expert_id = :p_uid) ORDER BY v.scheduled_at, v.id";

#define VISIT_FEED_SECONDS (2 * 3600) /* about two hours each (the brochure) */

int visit_feed_events(struct db *d, const struct principal *p, const struct feed_ctx *ctx, struct buf *b)
{
	/* A feed has no session: the consent gate and company status are checked here, as a
	 * content request would be. */
	json_t *pending = NULL;
	bool gated = authz_check_gate(d, p, ACCESS_CONTENT, &pending) != ACCESS_OK;
	json_decref(pending);
	if (gated)
		return 0;
	sqlite3_stmt *st = db_stmt(d, feed_sql);
	authz_bind(st, p);
	bool named = authz_is_staff(p); /* experts and the secretariat see the company's name */
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 2);
		char *uid = xasprintf("visit-%lld@%s", (long long)id, ctx->uid_host);
		char *summary = named ? xasprintf("専門家派遣（第%d回） %s", sqlite3_column_int(st, 1), db_col_text(st, 3))
				      : xasprintf("専門家派遣（第%d回）", sqlite3_column_int(st, 1));
		char *url = xasprintf("%s/#/companies/%lld/visits", ctx->base_url, (long long)sqlite3_column_int64(st, 7));
		struct ics_event e = {.uid = uid,
				      .start = at,
				      .end = at + VISIT_FEED_SECONDS,
				      .created = sqlite3_column_int64(st, 4),
				      .last_modified = sqlite3_column_int64(st, 5),
				      .sequence = sqlite3_column_int(st, 6) - 1,
				      .summary = summary,
				      .url = url};
		ics_event(b, &e, ctx->dtstamp);
		free(uid);
		free(summary);
		free(url);
	}
	sqlite3_reset(st);
	return 0;
}
