/* notify.c — in-app notifications (docs/API.md §5): notify_user for every feature, and the list and
 * mark-read routes. The list re-applies the visibility rule, so a notification about a thread
 * the user can no longer read disappears from it (and from its counts). */
#include "notify.h"

#include "authz.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 50
#define MAX_READ_IDS 1000

static const char insert_sql[] =
	"INSERT INTO notifications (user_id, kind, thread_id, post_id, visit_id, actor_id, params, created_at)"
	" VALUES (:uid, :kind, :tid, :pid, :vid, :actor, :params, :now)";

/* Whether user_id may be told about thread_id / visit_id (each 0 for none) by actor_id now: an
 * active user other than the actor who may read them. */
static bool notify_allowed(struct db *d, int64_t user_id, int64_t thread_id, int64_t visit_id, int64_t actor_id)
{
	if (user_id <= 0 || user_id == actor_id)
		return false;
	struct principal p;
	if (authz_principal_load(d, user_id, &p) < 0)
		return false; /* not an active user */
	bool ok = (!thread_id || authz_can_read_thread(d, &p, thread_id)) &&
		  (!visit_id || authz_can_read_visit(d, &p, visit_id));
	principal_clear(&p);
	return ok;
}

/* Inserts the notification row and tells the recipient's streams (notify_store without the
 * check). Returns 1, or -1 on a database error. */
static int notify_insert(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, int64_t post_id,
			 int64_t visit_id, int64_t actor_id, const json_t *params)
{
	assert(db_in_write_tx(d));
	sqlite3_stmt *st = db_stmt(d, insert_sql);
	db_bind_int64(st, ":uid", user_id);
	db_bind_text(st, ":kind", kind);
	if (thread_id)
		db_bind_int64(st, ":tid", thread_id);
	if (post_id)
		db_bind_int64(st, ":pid", post_id);
	if (visit_id)
		db_bind_int64(st, ":vid", visit_id);
	if (actor_id)
		db_bind_int64(st, ":actor", actor_id);
	char *ptext = params ? json_dumps(params, JSON_COMPACT) : NULL;
	db_bind_text(st, ":params", ptext ? ptext : "{}");
	db_bind_int64(st, ":now", now_unix());
	int rc = db_exec_stmt(d, st);
	free(ptext);
	if (rc < 0)
		return -1;
	events_publish_notification(d, sqlite3_last_insert_rowid(db_handle(d)), user_id, thread_id);
	return 1;
}

/* Stores one notification about a thread (thread_id), a visit (visit_id) or neither, when
 * user_id is an active user other than the actor who may read that thread or visit now, and tells
 * the recipient's event stream (the event carries only the id, to its own recipient). Returns 1
 * stored, 0 skipped, -1 database error. */
static int notify_store(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, int64_t post_id,
			int64_t visit_id, int64_t actor_id, const json_t *params)
{
	assert(db_in_write_tx(d));
	if (!notify_allowed(d, user_id, thread_id, visit_id, actor_id))
		return 0;
	return notify_insert(d, user_id, kind, thread_id, post_id, visit_id, actor_id, params);
}

/* notify.h */
bool notify_may_tell(struct db *d, int64_t user_id, int64_t thread_id, int64_t actor_id)
{
	return notify_allowed(d, user_id, thread_id, 0, actor_id);
}

/* notify.h */
int notify_user_told(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, int64_t post_id,
		     int64_t actor_id)
{
	return notify_insert(d, user_id, kind, thread_id, post_id, 0, actor_id, NULL);
}

/* notify.h */
int notify_user(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, int64_t post_id,
		int64_t actor_id, const json_t *params)
{
	return notify_store(d, user_id, kind, thread_id, post_id, 0, actor_id, params);
}

/* notify.h */
int notify_user_visit(struct db *d, int64_t user_id, const char *kind, int64_t visit_id, int64_t actor_id,
		      const json_t *params)
{
	return notify_store(d, user_id, kind, 0, 0, visit_id, actor_id, params);
}

/* The caller's notifications whose thread or visit (if any) they may still read; while the caller does
 * not pass the consent gate (:gated = 1) only those about no thread (e.g. a new consent
 * version), since a thread's title is content. */
#define NOTIFY_READABLE                                                                                      \
	" n.user_id = :p_uid AND (n.thread_id IS NULL OR (:gated = 0 AND EXISTS (SELECT 1 FROM threads t"    \
	" WHERE t.id = n.thread_id AND " AUTHZ_THREAD_VISIBLE ")))"                                          \
	" AND (n.visit_id IS NULL OR (:gated = 0 AND EXISTS (SELECT 1 FROM visits v"                         \
	" WHERE v.id = n.visit_id AND " AUTHZ_VISIT_VISIBLE ")))"

static const char list_sql[] =
	"SELECT n.id, n.kind, n.thread_id, n.post_id, n.actor_id, coalesce(a.name, ''), n.params, n.created_at,"
	" n.read_at, th.title, n.visit_id FROM notifications n LEFT JOIN users a ON a.id = n.actor_id"
	" LEFT JOIN threads th ON th.id = n.thread_id"
	" WHERE" NOTIFY_READABLE " AND (:unread = 0 OR n.read_at IS NULL)"
	" ORDER BY n.id DESC LIMIT :lim OFFSET :off";
static const char unread_sql[] = "SELECT count(*) FROM notifications n WHERE" NOTIFY_READABLE
				 " AND n.read_at IS NULL";
static const char mark_sql[] =
	"UPDATE notifications SET read_at = :now WHERE id = :id AND user_id = :uid AND read_at IS NULL";
static const char mark_all_sql[] =
	"UPDATE notifications SET read_at = :now WHERE user_id = :uid AND read_at IS NULL";

/* Whether a content route would hold the caller right now: consent gate, company status, or
 * two-step sign-in to enrol first (authz_check_content, the router's own decision). */
static int caller_gated(struct req *r)
{
	return authz_check_content(r->db, r->who, ACCESS_CONTENT, NULL) != ACCESS_OK;
}

/* The stored params of the row's column 6 plus, for a notification about a thread, its current
 * title (column 9): the row is only listed while the caller may read the thread, so the title is
 * never one the reader may not see. */
static json_t *params_json(sqlite3_stmt *st)
{
	json_t *params = json_loads(db_col_text(st, 6), 0, NULL);
	if (!json_is_object(params)) {
		json_decref(params);
		params = json_object();
	}
	if (sqlite3_column_type(st, 2) != SQLITE_NULL && sqlite3_column_type(st, 9) != SQLITE_NULL)
		json_object_set_new(params, "title", json_string(db_col_text(st, 9)));
	return params;
}

/* GET /api/v1/notifications?page=&unread= — signed in (docs/API.md §5); a caller held at the gate (or who must
 * enrol two-step sign-in first) sees only notifications about no thread (consent versions), since titles are content; 200
 * {notifications:[{id, kind, params, thread_id, post_id, actor:{id,name}|null, created_at,
 * read_at}], unread_count}, newest first, 50 a page, only about threads the caller may read now.
 * The client renders kind + params in the reader's language (kinds.h, docs/FORUM.md). */
static int handle_notification_list(struct req *r)
{
	int64_t page = req_query_int(r, "page", 1);
	if (page < 1)
		page = 1;
	json_t *arr = json_array();
	int gated = caller_gated(r);
	sqlite3_stmt *st = db_stmt(r->db, list_sql);
	authz_bind(st, r->who);
	db_bind_int64(st, ":gated", gated);
	db_bind_int64(st, ":unread", req_query_int(r, "unread", 0) ? 1 : 0);
	db_bind_int64(st, ":lim", PAGE_SIZE);
	db_bind_int64(st, ":off", (page - 1) * PAGE_SIZE);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *actor = json_null();
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			actor = json_pack("{s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 4), "name",
					  db_col_text(st, 5));
		json_t *item = json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
					 (json_int_t)sqlite3_column_int64(st, 0), "kind", db_col_text(st, 1),
					 "params", params_json(st), "thread_id", view_col_int(st, 2), "post_id",
					 view_col_int(st, 3), "actor", actor, "created_at",
					 json_time(sqlite3_column_int64(st, 7)), "read_at",
					 json_time(sqlite3_column_int64(st, 8)));
		if (sqlite3_column_type(st, 10) != SQLITE_NULL)
			json_object_set_new(item, "visit_id", json_integer(sqlite3_column_int64(st, 10)));
		json_array_append_new(arr, item);
	}
	sqlite3_reset(st);
	st = db_stmt(r->db, unread_sql);
	authz_bind(st, r->who);
	db_bind_int64(st, ":gated", gated);
	int64_t unread = db_one_int64(st, 0);
	return req_reply(r, 200,
			 json_pack("{s:o, s:I}", "notifications", arr, "unread_count", (json_int_t)unread));
}

/* POST /api/v1/notifications/read {ids:[...]} or {all:true} — signed in; 204. Ids that are not
 * the caller's are ignored; without all, ids missing, more than 1000 ids or a non-integer → 422
 * invalid (types declared; the count and the items checked here). */
static int handle_notification_read(struct req *r)
{
	bool all = req_field_bool(r, "all", false);
	json_t *ids = req_field_json(r, "ids");
	if (!all && (!ids || json_array_size(ids) > MAX_READ_IDS))
		return req_error(r, 422, "invalid", "ids must be an array of at most %d ids", MAX_READ_IDS);
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		if (!json_is_integer(v))
			return req_error(r, 422, "invalid", "ids must be integers");
	}
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int64_t now = now_unix();
	size_t n = all ? 1 : json_array_size(ids);
	for (i = 0; i < n; i++) {
		sqlite3_stmt *st = db_stmt(r->db, all ? mark_all_sql : mark_sql);
		db_bind_int64(st, ":now", now);
		db_bind_int64(st, ":uid", r->who->user_id);
		if (!all)
			db_bind_int64(st, ":id", json_integer_value(json_array_get(ids, i)));
		if (db_exec_stmt(r->db, st) < 0)
			return req_internal(r, "mark read");
	}
	return 204;
}

const struct route notify_routes[] = {
	ROUTE(GET, "/api/v1/notifications", ACCESS_SESSION, handle_notification_list,
	      .params = {{"page", PARAM_INT}, {"unread", PARAM_INT}}),
	ROUTE(POST, "/api/v1/notifications/read", ACCESS_SESSION, handle_notification_read,
	      .body = {{"ids", BODY_ARRAY}, {"all", BODY_BOOL}}),
	{0},
};
