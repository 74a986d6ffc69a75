/* case.c — the case collection (docs/API.md §11, docs/CASES.md). A case moves
 * draft → awaiting_approval (submit, only without findings) → approved (the representative
 * approves the exact text by its sha256) → published; any edit, a send-back or an unpublish
 * returns it to draft. Readability is AUTHZ_CASE_VISIBLE (authz.h), on every path; the public
 * routes read AUTHZ_CASE_PUBLIC and never show a company's name. Drafts are not indexed for
 * search and raise no events but the addressed notifications (docs/CASES.md). */
#include "case.h"

#include "audit.h"
#include "authz.h"
#include "crypto.h"
#include "db.h"
#include "findings.h"
#include "http.h"
#include "markdown.h"
#include "notify.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_TITLE_MAX 300
#define CASE_BODY_MAX 65536
#define CASE_REASON_MAX 4000

/* sha256 of what is approved: the title, a line feed, and the body (UTF-8). */
static void case_sha256(const char *title, const char *body, char hex[65])
{
	char *text = xasprintf("%s\n%s", title, body);
	crypto_sha256_hex(text, strlen(text), hex);
	free(text);
}

/* ---- reading ------------------------------------------------------------------------------- */

#define CASE_COLUMNS                                                                                         \
	"k.id, k.company_id, k.title, k.body, k.sha256, k.status, k.created_at, k.updated_at,"               \
	" k.submitted_at, k.approved_at, k.published_at, k.reject_reason, c.name, c.track, c.industry,"      \
	" (SELECT json_object('user_id', a.user_id, 'name', u.name, 'sha256', a.sha256, 'at', a.at)"         \
	"   FROM case_approvals a JOIN users u ON u.id = a.user_id"                                          \
	"   WHERE a.case_id = k.id AND a.action = 'approve' ORDER BY a.id DESC LIMIT 1),"                    \
	" " AUTHZ_CASE_COMPANY_READER
enum {
	K_ID,
	K_COMPANY,
	K_TITLE,
	K_BODY,
	K_SHA,
	K_STATUS,
	K_CREATED,
	K_UPDATED,
	K_SUBMITTED,
	K_APPROVED,
	K_PUBLISHED,
	K_REASON,
	K_CNAME,
	K_TRACK,
	K_INDUSTRY,
	K_APPROVAL,
	K_FULL
};

static const char case_get_sql[] = "SELECT " CASE_COLUMNS
				   " FROM cases k JOIN companies c ON c.id = k.company_id"
				   " WHERE k.id = :id AND " AUTHZ_CASE_VISIBLE;
static const char case_list_sql[] = "SELECT " CASE_COLUMNS
				    " FROM cases k JOIN companies c ON c.id = k.company_id"
				    " WHERE " AUTHZ_CASE_VISIBLE
				    " AND (:status IS NULL OR k.status = :status)"
				    " ORDER BY coalesce(k.published_at, 0) DESC, k.id DESC";
static const char public_get_sql[] = "SELECT " CASE_COLUMNS
				     " FROM cases k JOIN companies c ON c.id = k.company_id"
				     " WHERE k.id = :id AND " AUTHZ_CASE_PUBLIC;
static const char public_list_sql[] = "SELECT " CASE_COLUMNS
				      " FROM cases k JOIN companies c ON c.id = k.company_id"
				      " WHERE " AUTHZ_CASE_PUBLIC " ORDER BY k.published_at, k.id";

/* The HTML of a case's Markdown body as a JSON string ("" when it cannot be rendered). */
static json_t *rendered(const char *body)
{
	struct buf b = {0};
	json_t *s;
	if (markdown_render(body, strlen(body), &b) < 0)
		s = json_string("");
	else
		s = json_string(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* The case as its company, its experts and the secretariat see it (full), or as every other
 * reader sees a published case (no company id nor name: only its track and industry letter). */
static json_t *case_json(sqlite3_stmt *st, bool full)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, K_ID)));
	if (full) {
		json_object_set_new(o, "company_id", json_integer(sqlite3_column_int64(st, K_COMPANY)));
		json_object_set_new(o, "company_name", json_string(db_col_text(st, K_CNAME)));
	}
	json_object_set_new(o, "title", json_string(db_col_text(st, K_TITLE)));
	json_object_set_new(o, "body", json_string(db_col_text(st, K_BODY)));
	json_object_set_new(o, "html", rendered(db_col_text(st, K_BODY)));
	json_object_set_new(o, "sha256", json_string(db_col_text(st, K_SHA)));
	json_object_set_new(o, "status", json_string(db_col_text(st, K_STATUS)));
	json_object_set_new(o, "track", json_string(db_col_text(st, K_TRACK)));
	json_object_set_new(o, "industry", json_string(db_col_text(st, K_INDUSTRY)));
	json_object_set_new(o, "published_at", json_time(sqlite3_column_int64(st, K_PUBLISHED)));
	if (full) {
		json_object_set_new(o, "created_at", json_time(sqlite3_column_int64(st, K_CREATED)));
		json_object_set_new(o, "updated_at", json_time(sqlite3_column_int64(st, K_UPDATED)));
		json_object_set_new(o, "submitted_at", json_time(sqlite3_column_int64(st, K_SUBMITTED)));
		json_object_set_new(o, "approved_at", json_time(sqlite3_column_int64(st, K_APPROVED)));
		json_object_set_new(o, "reject_reason",
				    sqlite3_column_type(st, K_REASON) == SQLITE_NULL
					    ? json_null()
					    : json_string(db_col_text(st, K_REASON)));
		json_t *ap = NULL;
		if (sqlite3_column_type(st, K_APPROVAL) != SQLITE_NULL &&
		    strcmp(db_col_text(st, K_STATUS), "approved") == 0) {
			ap = json_loads(db_col_text(st, K_APPROVAL), 0, NULL);
			if (ap) {
				json_t *at = json_object_get(ap, "at");
				json_object_set_new(ap, "at", json_time(json_integer_value(at)));
			}
		}
		json_object_set_new(o, "approval", ap ? ap : json_null());
	}
	return o;
}

/* The public face: id, title, html, published_at, track, industry. */
static json_t *public_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, K_ID)));
	json_object_set_new(o, "title", json_string(db_col_text(st, K_TITLE)));
	json_object_set_new(o, "html", rendered(db_col_text(st, K_BODY)));
	json_object_set_new(o, "published_at", json_time(sqlite3_column_int64(st, K_PUBLISHED)));
	json_object_set_new(o, "track", json_string(db_col_text(st, K_TRACK)));
	json_object_set_new(o, "industry", json_string(db_col_text(st, K_INDUSTRY)));
	return o;
}

/* Loads case id as r's caller may read it: a new JSON object, or NULL (unreadable or absent). */
static json_t *case_load(struct req *r, int64_t id)
{
	sqlite3_stmt *st = db_stmt(r->db, case_get_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	json_t *o = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		o = case_json(st, sqlite3_column_int(st, K_FULL) != 0);
	sqlite3_reset(st);
	return o;
}

/* The bits of a case a write needs. */
struct case_row {
	int64_t id, company_id;
	char status[24], sha256[65];
	char *title, *body;
};

static const char case_row_sql[] =
	"SELECT id, company_id, status, sha256, title, body FROM cases WHERE id = :id";

/* Loads case id for a write by r's caller: 0, or -1 when it does not exist or the caller may not
 * read it (the handler answers 404). Free with case_row_clear. */
static int case_row_load(struct req *r, int64_t id, struct case_row *k)
{
	memset(k, 0, sizeof *k);
	if (!authz_can_read_case(r->db, r->who, id))
		return -1;
	sqlite3_stmt *st = db_stmt(r->db, case_row_sql);
	db_bind_int64(st, ":id", id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		k->id = sqlite3_column_int64(st, 0);
		k->company_id = sqlite3_column_int64(st, 1);
		snprintf(k->status, sizeof k->status, "%s", db_col_text(st, 2));
		snprintf(k->sha256, sizeof k->sha256, "%s", db_col_text(st, 3));
		k->title = db_col_dup(st, 4);
		k->body = db_col_dup(st, 5);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* Frees what case_row_load allocated and zeroes k. */
static void case_row_clear(struct case_row *k)
{
	free(k->title);
	free(k->body);
	memset(k, 0, sizeof *k);
}

/* ---- findings ------------------------------------------------------------------------------ */

static const char names_companies_sql[] = "SELECT name FROM companies ORDER BY id";
static const char names_users_sql[] =
	"SELECT name, email FROM users WHERE role = 'participant' AND company_id = :c ORDER BY id";

/* Every identifying term of case k's text, as a JSON array of {term, kind, positions}. */
static json_t *case_findings(struct db *d, const struct case_row *k)
{
	struct finding_terms t = {0};
	sqlite3_stmt *st = db_stmt(d, names_companies_sql);
	while (sqlite3_step(st) == SQLITE_ROW)
		finding_terms_add_company(&t, db_col_text(st, 0));
	sqlite3_reset(st);
	st = db_stmt(d, names_users_sql);
	db_bind_int64(st, ":c", k->company_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		finding_terms_add_person(&t, db_col_text(st, 0));
		finding_terms_add(&t, db_col_text(st, 1), FINDING_EMAIL);
	}
	sqlite3_reset(st);
	struct findings f = {0};
	findings_scan(&f, "title", k->title, strlen(k->title), &t);
	findings_scan(&f, "body", k->body, strlen(k->body), &t);
	json_t *arr = json_array();
	for (size_t i = 0; i < f.n; i++) {
		json_t *pos = json_array();
		for (size_t j = 0; j < f.v[i].npos; j++) {
			const struct finding_pos *p = &f.v[i].pos[j];
			const char *text = strcmp(p->field, "title") == 0 ? k->title : k->body;
			json_array_append_new(
				pos, json_pack("{s:s, s:I, s:I}", "field", p->field, "start",
					       (json_int_t)findings_utf16_offset(text, p->start), "end",
					       (json_int_t)findings_utf16_offset(text, p->end)));
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "term", f.v[i].term, "kind",
						     f.v[i].kind, "positions", pos));
	}
	findings_free(&f);
	finding_terms_free(&t);
	return arr;
}

/* ---- writing helpers ----------------------------------------------------------------------- */

/* Audits action on case id; takes detail's reference. */
static int audit_case(struct db *d, int64_t actor, const char *action, int64_t id, const char *ip,
		      json_t *detail)
{
	int rc = audit_append_on(d, actor, action, "case", id, ip, detail);
	json_decref(detail);
	return rc;
}

static const char representatives_sql[] =
	"SELECT id FROM users WHERE role = 'participant' AND company_id = :c AND representative <> 0"
	" AND status = 'active' ORDER BY id";
static const char secretariat_sql[] = "SELECT id FROM users WHERE role = 'secretariat' AND status = 'active'"
				      " ORDER BY id";

/* Reads up to max ids (the first column) of sql bound with :c = company_id into ids; returns
 * how many. The statement is reset before returning, so the caller may write meanwhile. */
static int select_ids(struct db *d, const char *sql, int64_t company_id, int64_t *ids, int max)
{
	int n = 0;
	sqlite3_stmt *st = db_stmt(d, sql);
	db_bind_int64_opt(st, ":c", company_id); /* the secretariat list has none */
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* Notifies everyone selected by sql (bound :c) in the app: kind (server/kinds.c) and the case's
 * id as the only param, never its title or text; the event stream tells only the addressee. */
static int notify_all(struct db *d, const char *sql, int64_t company_id, const char *kind, int64_t case_id,
		      int64_t actor)
{
	int64_t ids[256];
	int n = select_ids(d, sql, company_id, ids, (int)ARRAY_LEN(ids));
	json_t *params = json_pack("{s:I}", "case_id", (json_int_t)case_id);
	if (!params)
		return -1;
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++)
		if (notify_user(d, ids[i], kind, 0, 0, actor, params) < 0)
			rc = -1;
	json_decref(params);
	return rc;
}

/* The body limit, beyond the declared shape (which answers 422): a case's body over
 * CASE_BODY_MAX is 413 too_large, as a post's. 0, or the error status. */
static int check_body_size(struct req *r, const char *body)
{
	if (body && strlen(body) > CASE_BODY_MAX)
		return req_error(r, 413, "too_large", "a case's body is at most %d bytes", CASE_BODY_MAX);
	return 0;
}

/* Answers case id as r's caller reads it, with status. */
static int reply_case(struct req *r, int64_t id, int status)
{
	json_t *o = case_load(r, id);
	return o ? req_reply(r, status, o) : req_internal(r, "case reload");
}

/* Runs fn on the case the path names ({id}), loaded for r's caller — 404 when it is missing or
 * the caller may not read it — and frees the row after, whatever fn answered. */
static int with_case(struct req *r, int (*fn)(struct req *r, const struct case_row *k))
{
	int64_t id;
	struct case_row k;
	if (req_path_id(r, 0, &id) < 0 || case_row_load(r, id, &k) < 0)
		return req_not_found(r);
	int status = fn(r, &k);
	case_row_clear(&k);
	return status;
}

/* ---- handlers ------------------------------------------------------------------------------ */

static const char company_exists_sql[] = "SELECT 1 FROM companies WHERE id = :id";
static const char case_insert_sql[] =
	"INSERT INTO cases (company_id, title, body, sha256, status, author_id, created_at, updated_at)"
	" VALUES (:c, :title, :body, :sha, 'draft', :author, :now, :now)";

/* POST /api/v1/cases {company_id, title, body} — secretariat. */
static int handle_case_create(struct req *r)
{
	int64_t company = req_field_int(r, "company_id", 0);
	const char *title = req_field_str(r, "title"), *body = req_field_str(r, "body");
	int bad = check_body_size(r, body);
	if (bad)
		return bad;
	sqlite3_stmt *st = db_stmt(r->db, company_exists_sql);
	db_bind_int64(st, ":id", company);
	if (db_one_int64(st, 0) != 1)
		return req_error(r, 422, "invalid", "no company %lld", (long long)company);
	char sha[65];
	case_sha256(title, body, sha);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	st = db_stmt(r->db, case_insert_sql);
	db_bind_int64(st, ":c", company);
	db_bind_text(st, ":title", title);
	db_bind_text(st, ":body", body);
	db_bind_text(st, ":sha", sha);
	db_bind_int64(st, ":author", r->who->user_id);
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) != 0)
		return req_internal(r, "case create");
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (audit_case(r->db, r->who->user_id, "case.create", id, r->ip,
		       json_pack("{s:I, s:s}", "company_id", (json_int_t)company, "sha256", sha)) != 0)
		return req_internal(r, "case create");
	return reply_case(r, id, 201);
}

static const char case_update_sql[] =
	"UPDATE cases SET title = :title, body = :body, sha256 = :sha, status = 'draft', updated_at = :now,"
	" submitted_at = NULL, approved_at = NULL, published_at = NULL WHERE id = :id";

/* Applies a PATCH's title and body to case k (see handle_case_update). */
static int case_update(struct req *r, const struct case_row *k)
{
	const char *title = req_field_str(r, "title"), *body = req_field_str(r, "body");
	const char *nt = title ? title : k->title, *nb = body ? body : k->body;
	if (strcmp(nt, k->title) == 0 && strcmp(nb, k->body) == 0)
		return reply_case(r, k->id, 200); /* no change, nothing voided */
	char sha[65];
	case_sha256(nt, nb, sha);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, case_update_sql);
	db_bind_text(st, ":title", nt);
	db_bind_text(st, ":body", nb);
	db_bind_text(st, ":sha", sha);
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":id", k->id);
	bool ok = db_exec_stmt(r->db, st) == 0;
	ok = ok && audit_case(r->db, r->who->user_id, "case.update", k->id, r->ip,
			      json_pack("{s:s, s:s, s:s}", "from_status", k->status, "from_sha256", k->sha256,
					"sha256", sha)) == 0;
	if (ok && strcmp(k->status, "published") == 0)
		ok = audit_case(r->db, r->who->user_id, "case.unpublish", k->id, r->ip,
				json_pack("{s:s}", "reason", "edited")) == 0;
	return ok ? reply_case(r, k->id, 200) : req_internal(r, "case update");
}

/* PATCH /api/v1/cases/{id} {title?, body?} — secretariat. A change returns the case to draft
 * (voiding an approval, taking a published case off the public site). */
static int handle_case_update(struct req *r)
{
	int bad = check_body_size(r, req_field_str(r, "body"));
	return bad ? bad : with_case(r, case_update);
}

/* GET /api/v1/cases?status= — what the caller may read. */
static int handle_case_list(struct req *r)
{
	const char *status = req_query_str(r, "status");
	if (status && strcmp(status, "draft") != 0 && strcmp(status, "awaiting_approval") != 0 &&
	    strcmp(status, "approved") != 0 && strcmp(status, "published") != 0)
		return req_error(r, 422, "invalid",
				 "status is draft, awaiting_approval, approved or published");
	sqlite3_stmt *st = db_stmt(r->db, case_list_sql);
	authz_bind(st, r->who);
	db_bind_text(st, ":status", status);
	json_t *arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, case_json(st, sqlite3_column_int(st, K_FULL) != 0));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "cases", arr));
}

/* GET /api/v1/cases/{id} */
static int handle_case_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	json_t *o = case_load(r, id);
	return o ? req_reply(r, 200, o) : req_not_found(r);
}

/* The findings of case k with the text's sha256 (see handle_case_findings). */
static int case_findings_reply(struct req *r, const struct case_row *k)
{
	return req_reply(r, 200,
			 json_pack("{s:o, s:s}", "findings", case_findings(r->db, k), "sha256", k->sha256));
}

/* GET /api/v1/cases/{id}/findings — secretariat. */
static int handle_case_findings(struct req *r)
{
	return with_case(r, case_findings_reply);
}

static const char set_status_sql[] =
	"UPDATE cases SET status = :status, updated_at = :now,"
	" submitted_at = CASE WHEN :status = 'awaiting_approval' THEN :now ELSE submitted_at END,"
	" approved_at = CASE WHEN :status IN ('approved','published') THEN coalesce(approved_at, :now) ELSE NULL END,"
	" published_at = CASE WHEN :status = 'published' THEN :now ELSE NULL END,"
	" reject_reason = CASE WHEN :status = 'draft' THEN coalesce(:reason, reject_reason)"
	"   WHEN :status = 'awaiting_approval' THEN NULL ELSE reject_reason END"
	" WHERE id = :id AND (:from IS NULL OR status = :from) AND (:from_sha IS NULL OR sha256 = :from_sha)";

/* Moves case id to status inside the caller's transaction — only while it is still in state
 * `from` with text `from_sha` (NULL: any), as the handler read it before the transaction: a
 * concurrent edit or decision in between makes this a conflict, never a decision on text nobody
 * saw. Returns 0 (moved), 1 (the case moved on meanwhile) or -1 (database error). */
static int set_status(struct db *d, int64_t id, const char *status, const char *reason, const char *from,
		      const char *from_sha)
{
	sqlite3_stmt *st = db_stmt(d, set_status_sql);
	db_bind_text(st, ":status", status);
	db_bind_int64(st, ":now", now_unix());
	db_bind_text(st, ":reason", reason);
	db_bind_int64(st, ":id", id);
	db_bind_text(st, ":from", from);
	db_bind_text(st, ":from_sha", from_sha);
	if (db_exec_stmt(d, st) != 0)
		return -1;
	return sqlite3_changes(db_handle(d)) == 1 ? 0 : 1;
}

/* The answer when set_status found the case moved on: 409 case_changed (the router rolls the
 * transaction back). */
static int moved_on(struct req *r)
{
	return req_error(r, 409, "case_changed", "the case changed meanwhile; read it again");
}

/* Submits draft k to its company's representatives (see handle_case_submit). */
static int case_submit(struct req *r, const struct case_row *k)
{
	if (strcmp(k->status, "draft") != 0)
		return req_error(r, 409, "not_draft", "the case is %s; only a draft is submitted", k->status);
	json_t *f = case_findings(r->db, k);
	if (json_array_size(f) > 0) {
		int s = req_error(r, 409, "identifying_terms",
				  "the draft still names companies, people or addresses");
		r->err_extra = json_pack("{s:o}", "findings", f);
		return s;
	}
	json_decref(f);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int moved = set_status(r->db, k->id, "awaiting_approval", NULL, "draft", k->sha256);
	if (moved == 1)
		return moved_on(r);
	bool ok = moved == 0;
	ok = ok && audit_case(r->db, r->who->user_id, "case.submit", k->id, r->ip,
			      json_pack("{s:s}", "sha256", k->sha256)) == 0;
	ok = ok && notify_all(r->db, representatives_sql, k->company_id, "case.awaiting_approval", k->id,
			      r->who->user_id) == 0;
	return ok ? reply_case(r, k->id, 200) : req_internal(r, "case submit");
}

/* POST /api/v1/cases/{id}/submit — secretariat: to the representative, only without findings. */
static int handle_case_submit(struct req *r)
{
	return with_case(r, case_submit);
}

static const char approval_insert_sql[] =
	"INSERT INTO case_approvals (case_id, user_id, action, sha256, reason, at, ip)"
	" VALUES (:case, :user, :action, :sha, :reason, :at, :ip)";

/* The representative's decision on case k: approve (sha256 of the text they saw, in the body)
 * or reject (reason). */
static int case_decide(struct req *r, const struct case_row *k, bool approve)
{
	const char *sha = approve ? req_field_str(r, "sha256") : NULL;
	const char *reason = approve ? NULL : req_field_str(r, "reason");
	if (!authz_is_company_representative(r->who, k->company_id))
		return req_error(r, 403, "forbidden",
				 "only a representative of the company decides on its case");
	if (approve && strcmp(sha, k->sha256) != 0)
		return req_error(r, 409, "case_changed", "the case's text changed; read it again");
	if (strcmp(k->status, "draft") == 0)
		return req_error(r, 409, "case_changed",
				 "the case was changed or sent back and is not awaiting approval");
	if (strcmp(k->status, "awaiting_approval") != 0)
		return req_error(r, 409, "not_awaiting_approval", "the case is already %s", k->status);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int moved = set_status(r->db, k->id, approve ? "approved" : "draft", reason, "awaiting_approval",
			       k->sha256);
	if (moved == 1)
		return moved_on(r);
	sqlite3_stmt *st = db_stmt(r->db, approval_insert_sql);
	db_bind_int64(st, ":case", k->id);
	db_bind_int64(st, ":user", r->who->user_id);
	db_bind_text(st, ":action", approve ? "approve" : "reject");
	db_bind_text(st, ":sha", k->sha256);
	db_bind_text(st, ":reason", reason);
	db_bind_int64(st, ":at", now_unix());
	db_bind_text(st, ":ip", r->ip);
	bool ok = moved == 0 && db_exec_stmt(r->db, st) == 0;
	ok = ok && audit_case(r->db, r->who->user_id, approve ? "case.approve" : "case.reject", k->id, r->ip,
			      approve ? json_pack("{s:s}", "sha256", k->sha256)
				      : json_pack("{s:s, s:s}", "sha256", k->sha256, "reason", reason)) == 0;
	ok = ok && notify_all(r->db, secretariat_sql, 0, approve ? "case.approved" : "case.rejected", k->id,
			      r->who->user_id) == 0;
	return ok ? reply_case(r, k->id, 200) : req_internal(r, "case decision");
}

/* Approves case k (see handle_case_approve). */
static int case_approve(struct req *r, const struct case_row *k)
{
	return case_decide(r, k, true);
}

/* Sends case k back to draft with a reason (see handle_case_reject). */
static int case_reject(struct req *r, const struct case_row *k)
{
	return case_decide(r, k, false);
}

/* POST /api/v1/cases/{id}/approve {sha256} — a representative of the company. */
static int handle_case_approve(struct req *r)
{
	return with_case(r, case_approve);
}

/* POST /api/v1/cases/{id}/reject {reason} — a representative of the company. */
static int handle_case_reject(struct req *r)
{
	return with_case(r, case_reject);
}

/* What the company still has to consent to for the case collection, as the gate lists it
 * (docs/API.md §4): its company-scope participation document. */
static json_t *company_pending(struct db *d, int64_t company_id)
{
	struct principal p = {.role = ROLE_PARTICIPANT, .company_id = company_id};
	json_t *all = authz_pending_consents(d, &p), *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(all, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "scope")), "company") == 0 &&
		    strcmp(json_string_value(json_object_get(v, "kind")), "participation") == 0)
			json_array_append(out, v);
	}
	json_decref(all);
	return out;
}

/* Publishes approved case k, behind its company's participation consent (see
 * handle_case_publish). */
static int case_publish(struct req *r, const struct case_row *k)
{
	if (strcmp(k->status, "approved") != 0)
		return req_error(r, 409, "not_approved", "the case is %s; only an approved case is published",
				 k->status);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	/* Asked inside the transaction, so a withdrawal committing meanwhile cannot be missed (it
	 * unpublishes what is published; this must not publish after it). */
	if (!authz_company_consent_in_effect(r->db, k->company_id, "participation")) {
		json_t *pending = company_pending(r->db, k->company_id);
		int status = req_error(
			r, 409, "consent_required",
			"the company's participation consent (which covers the case collection) is not in effect");
		r->err_extra = json_pack("{s:o}", "pending", pending);
		return status;
	}
	int moved = set_status(r->db, k->id, "published", NULL, "approved", k->sha256);
	if (moved == 1)
		return moved_on(r);
	bool ok = moved == 0 && audit_case(r->db, r->who->user_id, "case.publish", k->id, r->ip,
					   json_pack("{s:s}", "sha256", k->sha256)) == 0;
	return ok ? reply_case(r, k->id, 200) : req_internal(r, "case publish");
}

/* POST /api/v1/cases/{id}/publish — secretariat. */
static int handle_case_publish(struct req *r)
{
	return with_case(r, case_publish);
}

/* Takes published case k off the public pages (see handle_case_unpublish). */
static int case_unpublish(struct req *r, const struct case_row *k)
{
	bool rep = authz_is_company_representative(r->who, k->company_id);
	if (!authz_is_secretariat(r->who) && !rep)
		return req_forbidden(r);
	if (strcmp(k->status, "published") != 0)
		return req_error(r, 409, "not_published", "the case is %s", k->status);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int moved = set_status(r->db, k->id, "draft", NULL, "published", NULL);
	if (moved == 1)
		return moved_on(r);
	bool ok = moved == 0;
	ok = ok && audit_case(r->db, r->who->user_id, "case.unpublish", k->id, r->ip,
			      json_pack("{s:s}", "reason", rep ? "representative" : "secretariat")) == 0;
	if (ok && rep)
		ok = notify_all(r->db, secretariat_sql, 0, "case.unpublished", k->id, r->who->user_id) == 0;
	return ok ? reply_case(r, k->id, 200) : req_internal(r, "case unpublish");
}

/* POST /api/v1/cases/{id}/unpublish — secretariat, or a representative of the company. */
static int handle_case_unpublish(struct req *r)
{
	return with_case(r, case_unpublish);
}

/* GET /api/v1/public/cases — no session. */
static int handle_case_public_list(struct req *r)
{
	return req_reply(
		r, 200, json_pack("{s:o}", "cases", view_rows(db_stmt(r->db, public_list_sql), public_json)));
}

/* GET /api/v1/public/cases/{id} — no session; anything but a published case → 404. */
static int handle_case_public_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, public_get_sql);
	db_bind_int64(st, ":id", id);
	json_t *o = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		o = public_json(st);
	sqlite3_reset(st);
	return o ? req_reply(r, 200, o) : req_not_found(r);
}

static const char published_of_company_sql[] =
	"SELECT id FROM cases WHERE company_id = :c AND status = 'published' ORDER BY id";

int case_consent_withdrawn(struct db *d, int64_t company_id, int64_t actor_id, const char *ip)
{
	/* In rounds of up to 64: each case handled leaves the query, so this ends with none left. */
	for (;;) {
		int64_t ids[64];
		int n = select_ids(d, published_of_company_sql, company_id, ids, (int)ARRAY_LEN(ids));
		if (n == 0)
			return 0;
		for (int i = 0; i < n; i++) {
			if (set_status(d, ids[i], "draft", NULL, "published", NULL) < 0)
				return -1;
			if (audit_case(d, actor_id, "case.unpublish", ids[i], ip ? ip : "",
				       json_pack("{s:s}", "reason", "consent_withdrawn")) != 0)
				return -1;
		}
	}
}

#define CASE_TEXT(req)                                                                                       \
	{"title", BODY_STR, (req) | BODY_NOT_BLANK, CASE_TITLE_MAX},                                         \
	{                                                                                                    \
		"body", BODY_STR, (req) | BODY_NOT_BLANK                                                     \
	}

const struct route case_routes[] = {
	ROUTE(POST, "/api/v1/cases", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_case_create,
	      .body = {{"company_id", BODY_INT, BODY_REQUIRED | BODY_POSITIVE}, CASE_TEXT(BODY_REQUIRED)}),
	ROUTE(GET, "/api/v1/cases", ACCESS_CONTENT, handle_case_list, .params = {{"status", PARAM_STR}}),
	ROUTE(GET, "/api/v1/cases/{id}", ACCESS_CONTENT, handle_case_get),
	ROUTE(PATCH, "/api/v1/cases/{id}", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_case_update,
	      .body = {CASE_TEXT(0)}),
	ROUTE(GET, "/api/v1/cases/{id}/findings", ACCESS_CONTENT | ACCESS_SECRETARIAT, handle_case_findings),
	ROUTE(POST, "/api/v1/cases/{id}/submit", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_case_submit),
	ROUTE(POST, "/api/v1/cases/{id}/approve", ACCESS_CONTENT | ACCESS_PARTICIPANT, handle_case_approve,
	      .body = {{"sha256", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK}}),
	ROUTE(POST, "/api/v1/cases/{id}/reject", ACCESS_CONTENT | ACCESS_PARTICIPANT, handle_case_reject,
	      .body = {{"reason", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK, CASE_REASON_MAX}}),
	ROUTE(POST, "/api/v1/cases/{id}/publish", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_case_publish),
	/* Approving, sending back and unpublishing the company's own case are not community writes: a
	 * `completed` company (read-only in the forum, docs/API.md §3) still decides on its case. */
	ROUTE(POST, "/api/v1/cases/{id}/unpublish", ACCESS_CONTENT | ACCESS_PARTICIPANT | ACCESS_SECRETARIAT,
	      handle_case_unpublish),
	ROUTE(GET, "/api/v1/public/cases", ACCESS_PUBLIC, handle_case_public_list),
	ROUTE(GET, "/api/v1/public/cases/{id}", ACCESS_PUBLIC, handle_case_public_get),
	{0},
};
