/* moderation.c — how a moderated post shows to other features (moderation.h: hidden and redacted
 * posts) and the secretariat's moderation views: the recent moderation actions and who can read
 * / has read a thread. The actions themselves live in moderate.c (hide, redact, purge) and
 * flag.c (flags); the posting rate limit in ratelimit.c; the thread.read audit in audit.c. Thread
 * settings (lock, pin, move, visibility) are PATCH /api/v1/threads/{id} in thread.c.
 * Routes: GET /api/v1/moderation/actions; GET /api/v1/threads/{id}/readers. */
#include "moderation.h"

#include "audit.h"
#include "authz.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <stdint.h>

#define ACTIONS_PAGE_SIZE 100
#define ACTIONS_MAX_PAGE_SIZE 500

static const char actions_sql[] =
	"SELECT a.id, a.at, a.actor_id, coalesce(u.name, ''), a.action, a.target, a.ip, a.detail FROM audit_log a"
	" LEFT JOIN users u ON u.id = a.actor_id"
	" WHERE a.action IN ('post.hide', 'post.unhide', 'post.redact', 'thread.update', 'flag.resolve', 'user.update',"
	" 'attachment.purge')"
	" AND (a.action != 'user.update' OR json_extract(a.detail, '$.status') IS NOT NULL)"
	" AND a.id < :before ORDER BY a.id DESC LIMIT :lim";

static const char thread_exists_sql[] = "SELECT 1 FROM threads t WHERE t.id = :id AND " AUTHZ_THREAD_VISIBLE;
static const char active_users_sql[] = "SELECT id FROM users WHERE status = 'active' ORDER BY id LIMIT 10000";
/* Who has read the thread: the thread.read audit entries (outsiders of a company thread, at
 * every read) and the forum's read state (everyone, the latest read that saw new posts). */
static const char has_read_sql[] =
	"SELECT u.id, u.name, u.role, u.company_id, max(x.at), sum(x.audited) FROM ("
	" SELECT actor_id AS uid, at, 1 AS audited FROM audit_log WHERE action = 'thread.read' AND target = :target"
	" UNION ALL SELECT user_id, read_at, 0 FROM thread_reads WHERE thread_id = :tid) x"
	" JOIN users u ON u.id = x.uid GROUP BY u.id ORDER BY max(x.at) DESC, u.id";
static const char user_sql[] = "SELECT id, name, role, company_id FROM users WHERE id = :id";

/* ---- what other features call (moderation.h) ------------------------------------------------ */

/* moderation.h */
json_t *moderation_user_json(sqlite3_stmt *st, int col)
{
	return json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)sqlite3_column_int64(st, col), "name",
			 db_col_text(st, col + 1), "role", db_col_text(st, col + 2), "company_id",
			 view_col_int(st, col + 3));
}

/* moderation.h */
bool moderation_post_text_withheld(const struct principal *viewer, bool hidden)
{
	return hidden && !authz_is_secretariat(viewer);
}

/* moderation.h */
void moderation_post_view(json_t *post, const struct principal *viewer, bool hidden, bool redacted)
{
	json_object_set_new(post, "hidden", json_boolean(hidden));
	json_object_set_new(post, "redacted", json_boolean(redacted));
	if (moderation_post_text_withheld(viewer, hidden)) {
		json_object_set_new(post, "body", json_string(""));
		json_object_set_new(post, "html", json_string(""));
	}
}

/* ---- the secretariat's views ----------------------------------------------------------------- */

/* GET /api/v1/moderation/actions?before=&limit= — secretariat; 200 {actions:[{id, at, actor:{id,
 * name}|null, action, target, ip, detail}], next_before}: the audit entries of moderation —
 * post.hide, post.unhide, post.redact, attachment.purge, thread.update, flag.resolve and
 * user.update entries that change a status (suspensions) — newest first, 100 a page (limit up to 500); pass next_before
 * as before for the next page (null at the end). */
static int handle_moderation_actions(struct req *r)
{
	int64_t before = req_query_int(r, "before", INT64_MAX),
		lim = req_query_int(r, "limit", ACTIONS_PAGE_SIZE);
	if (lim < 1 || lim > ACTIONS_MAX_PAGE_SIZE)
		lim = ACTIONS_PAGE_SIZE;
	sqlite3_stmt *st = db_stmt(r->db, actions_sql);
	db_bind_int64(st, ":before", before > 0 ? before : INT64_MAX);
	db_bind_int64(st, ":lim", lim);
	json_t *arr = json_array();
	int64_t last = 0, n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *actor = sqlite3_column_type(st, 2) == SQLITE_NULL
					? json_null()
					: json_pack("{s:I, s:s}", "id",
						    (json_int_t)sqlite3_column_int64(st, 2), "name",
						    db_col_text(st, 3));
		json_t *detail = json_loads(db_col_text(st, 7), 0, NULL);
		last = sqlite3_column_int64(st, 0);
		n++;
		json_array_append_new(
			arr, json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:o}", "id", (json_int_t)last, "at",
				       json_time(sqlite3_column_int64(st, 1)), "actor", actor, "action",
				       db_col_text(st, 4), "target", db_col_text(st, 5), "ip",
				       db_col_text(st, 6), "detail", detail ? detail : json_object()));
	}
	sqlite3_reset(st);
	return req_reply(r, 200,
			 json_pack("{s:o, s:o}", "actions", arr, "next_before",
				   n == lim ? json_integer(last) : json_null()));
}

/* GET /api/v1/threads/{id}/readers — secretariat; 200 {thread_id, can_read_now:[user],
 * blocked_by_gate:[{user, reason}], has_read:[{user, at, audited_reads}]} where user is {id,
 * name, role, company_id}. can_read_now: every active user the visibility rule lets read the
 * thread now and whose company status and consent let them reach content; blocked_by_gate: the
 * rule allows them but the gate does not (yet) — reason consent_required, company_inactive.
 * has_read: everyone recorded reading it — thread.read audit entries (outsiders of a company
 * thread, every read) and the forum's read state — latest read first, whether or not they can
 * still read it. Missing → 404. */
static int handle_thread_readers(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, thread_exists_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	if (db_one_int64(st, 0) != 1)
		return req_not_found(r);
	size_t n = 0, cap = 64;
	int64_t *ids = xmalloc(cap * sizeof *ids);
	st = db_stmt(r->db, active_users_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	json_t *now = json_array(), *gated = json_array();
	for (size_t i = 0; i < n; i++) {
		struct principal p;
		if (authz_principal_load(r->db, ids[i], &p) < 0)
			continue;
		if (authz_can_read_thread(r->db, &p, id)) {
			json_t *pending = NULL;
			enum access_result ar = authz_check_gate(r->db, &p, ACCESS_CONTENT, &pending);
			json_decref(pending);
			st = db_stmt(r->db, user_sql);
			db_bind_int64(st, ":id", ids[i]);
			json_t *u = sqlite3_step(st) == SQLITE_ROW ? moderation_user_json(st, 0) : NULL;
			sqlite3_reset(st);
			if (u && ar == ACCESS_OK)
				json_array_append_new(now, u);
			else if (u)
				json_array_append_new(gated, json_pack("{s:o, s:s}", "user", u, "reason",
								       ar == ACCESS_DENIED_CONSENT
									       ? "consent_required"
									       : "company_inactive"));
		}
		principal_clear(&p);
	}
	free(ids);
	json_t *read = json_array();
	char target[AUDIT_TARGET_MAX];
	audit_target(target, "thread", id);
	st = db_stmt(r->db, has_read_sql);
	db_bind_text(st, ":target", target);
	db_bind_int64(st, ":tid", id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(read,
				      json_pack("{s:o, s:o, s:I}", "user", moderation_user_json(st, 0), "at",
						json_time(sqlite3_column_int64(st, 4)), "audited_reads",
						(json_int_t)sqlite3_column_int64(st, 5)));
	sqlite3_reset(st);
	return req_reply(r, 200,
			 json_pack("{s:I, s:o, s:o, s:o}", "thread_id", (json_int_t)id, "can_read_now", now,
				   "blocked_by_gate", gated, "has_read", read));
}

const struct route moderation_routes[] = {
	ROUTE(GET, "/api/v1/moderation/actions", ACCESS_SESSION | ACCESS_SECRETARIAT,
	      handle_moderation_actions, .params = {{"before", PARAM_INT}, {"limit", PARAM_INT}}),
	ROUTE(GET, "/api/v1/threads/{id}/readers", ACCESS_CONTENT | ACCESS_SECRETARIAT,
	      handle_thread_readers),
	{0},
};
