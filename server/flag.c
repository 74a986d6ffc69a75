/* flag.c — flags on posts and their review queue (docs/API.md §7): any gated writer who may read a
 * post flags it for the secretariat (told in the app, never the reason); the secretariat lists
 * the queue and resolves a flag by dismissing it or hiding the post (moderate.h).
 * Routes: POST /api/v1/posts/{id}/flags; GET /api/v1/flags; POST /api/v1/flags/{id}/resolve. */
#include "audit.h"
#include "authz.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "moderate.h"
#include "moderation.h"
#include "notify.h"
#include "ratelimit.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <assert.h>
#include <string.h>

#define FLAGS_PAGE_SIZE 50

/* The flagged post's opening characters, so the queue can be judged without opening each thread
 * (the queue is the secretariat's, who reads every thread anyway). */
#define FLAG_EXCERPT_CHARS "280"
#define FLAG_COLUMNS                                                                                         \
	"f.id, f.post_id, f.thread_id, t.title, f.reason, f.state, f.resolution, f.created_at,"              \
	" f.resolved_by, f.resolved_at, u.id, u.name, u.role, u.company_id, " MODERATION_POST_COLUMNS ","    \
	" p.author_id, (SELECT count(*) FROM flags o WHERE o.post_id = f.post_id AND o.state = 'open'),"     \
	" substr(p.body, 1, " FLAG_EXCERPT_CHARS ")"
#define FLAG_FROM                                                                                            \
	" FROM flags f JOIN users u ON u.id = f.reporter_id JOIN posts p ON p.id = f.post_id"                \
	" JOIN threads t ON t.id = f.thread_id"
static const char flags_open_sql[] = "SELECT " FLAG_COLUMNS FLAG_FROM
				     " WHERE f.state = 'open' AND " AUTHZ_THREAD_VISIBLE
				     " ORDER BY f.id LIMIT :lim OFFSET :off";
static const char flags_resolved_sql[] = "SELECT " FLAG_COLUMNS FLAG_FROM
					 " WHERE f.state = 'resolved' AND " AUTHZ_THREAD_VISIBLE
					 " ORDER BY f.id DESC LIMIT :lim OFFSET :off";
static const char flags_all_sql[] = "SELECT " FLAG_COLUMNS FLAG_FROM " WHERE " AUTHZ_THREAD_VISIBLE
				    " ORDER BY f.id DESC LIMIT :lim OFFSET :off";
static const char flag_one_sql[] = "SELECT " FLAG_COLUMNS FLAG_FROM
				   " WHERE f.id = :fid AND " AUTHZ_THREAD_VISIBLE;
static const char flag_own_open_sql[] =
	"SELECT id FROM flags WHERE post_id = :pid AND reporter_id = :uid AND state = 'open'";
static const char flag_insert_sql[] =
	"INSERT INTO flags (post_id, thread_id, reporter_id, reason, created_at) VALUES (:pid, :tid, :uid, :reason, :now)";
static const char flag_state_sql[] = "SELECT post_id, state FROM flags WHERE id = :fid";
static const char flag_dismiss_sql[] =
	"UPDATE flags SET state = 'resolved', resolution = 'dismissed', resolved_by = :uid, resolved_at = :now"
	" WHERE id = :fid AND state = 'open'";
static const char secretariat_sql[] =
	"SELECT id FROM users WHERE role = 'secretariat' AND status = 'active' ORDER BY id LIMIT 200";

/* One flag from FLAG_COLUMNS, as the secretariat sees it. */
static json_t *flag_json(sqlite3_stmt *st)
{
	return json_pack(
		"{s:I, s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:b, s:b, s:I, s:s}, s:I}", "id",
		(json_int_t)sqlite3_column_int64(st, 0), "post_id", (json_int_t)sqlite3_column_int64(st, 1),
		"thread_id", (json_int_t)sqlite3_column_int64(st, 2), "thread_title", db_col_text(st, 3),
		"reason", db_col_text(st, 4), "state", db_col_text(st, 5), "resolution",
		sqlite3_column_type(st, 6) == SQLITE_NULL ? json_null() : json_string(db_col_text(st, 6)),
		"created_at", json_time(sqlite3_column_int64(st, 7)), "resolved_by", view_col_int(st, 8),
		"resolved_at", json_time(sqlite3_column_int64(st, 9)), "reporter",
		moderation_user_json(st, 10), "post", "hidden", sqlite3_column_int(st, 14) != 0, "redacted",
		sqlite3_column_int(st, 15) != 0, "author_id", (json_int_t)sqlite3_column_int64(st, 16),
		"excerpt", db_col_text(st, 18), "open_flags_on_post",
		(json_int_t)sqlite3_column_int64(st, 17));
}

/* Flag fid as r->who may read it (its thread readable), or NULL. */
static json_t *flag_load(struct req *r, int64_t fid)
{
	sqlite3_stmt *st = db_stmt(r->db, flag_one_sql);
	db_bind_int64(st, ":fid", fid);
	authz_bind(st, r->who);
	json_t *f = sqlite3_step(st) == SQLITE_ROW ? flag_json(st) : NULL;
	sqlite3_reset(st);
	return f;
}

/* What the reporter gets back: their own flag, without the queue's details. */
static json_t *flag_receipt(int64_t fid, const struct mpost *p, const char *reason, const char *state,
			    int64_t at)
{
	return json_pack("{s:I, s:I, s:I, s:s, s:s, s:o}", "id", (json_int_t)fid, "post_id",
			 (json_int_t)p->id, "thread_id", (json_int_t)p->thread_id, "reason", reason, "state",
			 state, "created_at", json_time(at));
}

/* Tells every active secretariat member in the app that post p was flagged (kind "flag", never
 * the reason), inside the caller's transaction. Returns 0 or -1. */
static int notify_secretariat(struct req *r, const struct mpost *p)
{
	assert(db_in_write_tx(r->db));
	int64_t ids[200];
	int n = 0;
	sqlite3_stmt *st = db_stmt(r->db, secretariat_sql);
	while (n < (int)ARRAY_LEN(ids) && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (int i = 0; i < n; i++)
		if (notify_user(r->db, ids[i], "flag", p->thread_id, p->id, r->who->user_id, NULL) < 0)
			return -1;
	return 0;
}

/* Stores r->who's flag on p in the request's transaction; 201 the receipt, 409 conflict when the
 * same flag was stored meanwhile. */
static int flag_store(struct req *r, const struct mpost *p, const char *reason)
{
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, flag_insert_sql);
	db_bind_int64(st, ":pid", p->id);
	db_bind_int64(st, ":tid", p->thread_id);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_text(st, ":reason", reason);
	db_bind_int64(st, ":now", now);
	int w = db_exec_stmt(r->db, st);
	if (w == -2)
		return req_error(r, 409, "conflict", "flagged meanwhile; try again");
	int64_t fid = sqlite3_last_insert_rowid(db_handle(r->db));
	if (w < 0 || notify_secretariat(r, p) < 0)
		return req_internal(r, "flag");
	return req_reply(r, 201, flag_receipt(fid, p, reason, "open", now));
}

/* POST /api/v1/posts/{id}/flags {reason} — any gated writer who may read the post's thread;
 * 201 {id, post_id, thread_id, reason, state:"open", created_at}. The secretariat is told in
 * the app (kind "flag", without the reason). A reporter who already has an open flag on the
 * post gets it back with 200. reason missing, blank or over 2,000 bytes → 422 invalid
 * (declared); missing or unreadable post → 404; more than 20 flags a minute → 429
 * rate_limited. */
static int handle_flag_create(struct req *r)
{
	int64_t id;
	struct mpost p;
	if (req_path_id(r, 0, &id) < 0 || mpost_load(r, id, &p) < 0)
		return req_not_found(r);
	int status = ratelimit_check(r, RATELIMIT_FLAGS);
	if (status) {
		mpost_clear(&p);
		return status;
	}
	sqlite3_stmt *st = db_stmt(r->db, flag_own_open_sql);
	db_bind_int64(st, ":pid", id);
	db_bind_int64(st, ":uid", r->who->user_id);
	int64_t existing = db_one_int64(st, 0);
	if (existing)
		status = req_reply(r, 200,
				   json_pack("{s:I, s:I, s:I, s:s, s:b}", "id", (json_int_t)existing,
					     "post_id", (json_int_t)p.id, "thread_id",
					     (json_int_t)p.thread_id, "state", "open", "already_flagged", 1));
	else
		status = flag_store(r, &p, req_field_str(r, "reason"));
	mpost_clear(&p);
	return status;
}

/* GET /api/v1/flags?state=open|resolved|all&page= — secretariat; 200 {flags:[{id, post_id,
 * thread_id, thread_title, reason, state, resolution, created_at, resolved_by, resolved_at,
 * reporter:{id, name, role, company_id}, post:{hidden, redacted, author_id},
 * open_flags_on_post}], page}: open flags oldest first (a queue), others newest first, 50 a
 * page. state defaults to open; another value → 422 invalid. */
static int handle_flag_list(struct req *r)
{
	const char *state = req_query_str(r, "state");
	const char *sql = flags_open_sql;
	if (state && strcmp(state, "resolved") == 0)
		sql = flags_resolved_sql;
	else if (state && strcmp(state, "all") == 0)
		sql = flags_all_sql;
	else if (state && strcmp(state, "open") != 0)
		return req_error(r, 422, "invalid", "state must be open, resolved or all");
	int64_t page = req_query_int(r, "page", 1);
	if (page < 1)
		page = 1;
	sqlite3_stmt *st = db_stmt(r->db, sql);
	authz_bind(st, r->who);
	db_bind_int64(st, ":lim", FLAGS_PAGE_SIZE);
	db_bind_int64(st, ":off", (page - 1) * FLAGS_PAGE_SIZE);
	json_t *arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, flag_json(st));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o, s:I}", "flags", arr, "page", (json_int_t)page));
}

/* Resolves open flag fid on p as `action` (dismiss: this flag; hide: p hidden, which resolves
 * all its open flags) in the request's transaction, with the flag.resolve audit entry. Returns 0
 * or -1. */
static int flag_resolve(struct req *r, int64_t fid, const struct mpost *p, const char *action)
{
	if (req_tx(r) < 0)
		return -1;
	int rc;
	if (strcmp(action, "hide") == 0) {
		bool changed = false;
		rc = moderate_set_hidden(r, p, true, &changed);
		if (rc == 0) /* already hidden: the flag is still answered */
			rc = moderate_resolve_flags(r, p->id, "hidden");
		if (rc == 0 && changed)
			events_publish_post(r->db, p->thread_id, p->id);
	} else {
		sqlite3_stmt *st = db_stmt(r->db, flag_dismiss_sql);
		db_bind_int64(st, ":uid", r->who->user_id);
		db_bind_int64(st, ":now", now_unix());
		db_bind_int64(st, ":fid", fid);
		rc = db_exec_stmt(r->db, st) < 0 ? -1 : 0;
	}
	if (rc < 0)
		return -1;
	json_t *detail = json_pack("{s:I, s:I, s:s}", "post_id", (json_int_t)p->id, "thread_id",
				   (json_int_t)p->thread_id, "action", action);
	rc = audit_append_on(r->db, r->who->user_id, "flag.resolve", "flag", fid, r->ip, detail);
	json_decref(detail);
	return rc;
}

/* POST /api/v1/flags/{id}/resolve {action?} — secretariat; 200 the flag. action `dismiss`
 * (the default: reviewed, nothing to do; this flag only) or `hide` (hides the post as
 * POST /posts/{id}/hide does, which resolves every open flag of the post as `hidden`). Hiding
 * and redacting a post resolve its open flags too. Audited as flag.resolve. Another action →
 * 422 invalid; missing → 404; a resolved flag → 409 already_resolved. */
static int handle_flag_resolve(struct req *r)
{
	int64_t fid;
	if (req_path_id(r, 0, &fid) < 0)
		return req_not_found(r);
	const char *action = req_field_str(r, "action");
	if (!action)
		action = "dismiss";
	if (strcmp(action, "dismiss") != 0 && strcmp(action, "hide") != 0)
		return req_error(r, 422, "invalid", "action must be dismiss or hide");
	sqlite3_stmt *st = db_stmt(r->db, flag_state_sql);
	db_bind_int64(st, ":fid", fid);
	int64_t post_id = 0;
	bool open = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		post_id = sqlite3_column_int64(st, 0);
		open = strcmp(db_col_text(st, 1), "open") == 0;
	}
	sqlite3_reset(st);
	struct mpost p;
	if (!post_id || mpost_load(r, post_id, &p) < 0)
		return req_not_found(r);
	int rc = open ? flag_resolve(r, fid, &p, action) : 1;
	mpost_clear(&p);
	if (rc > 0)
		return req_error(r, 409, "already_resolved", "the flag is already resolved");
	if (rc < 0)
		return req_internal(r, "resolve flag");
	json_t *f = flag_load(r, fid);
	return f ? req_reply(r, 200, f) : req_not_found(r);
}

const struct route flag_routes[] = {
	ROUTE(POST, "/api/v1/posts/{id}/flags", ACCESS_WRITE, handle_flag_create,
	      .body = {{"reason", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK, MODERATION_REASON_MAX_BYTES}}),
	ROUTE(GET, "/api/v1/flags", ACCESS_CONTENT | ACCESS_SECRETARIAT, handle_flag_list,
	      .params = {{"state", PARAM_STR}, {"page", PARAM_INT}}),
	ROUTE(POST, "/api/v1/flags/{id}/resolve", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_flag_resolve,
	      .body = {{"action", BODY_STR}}),
	{0},
};
