/* view.c — the JSON shape of threads, posts, users and companies (view.h). */
#include "view.h"

#include "authz.h"
#include "db.h"
#include "http.h"
#include "util.h"

#include <string.h>

/* ---- columns -------------------------------------------------------------------------------- */

/* Column col as a JSON integer, or null (view.h). */
json_t *view_col_int(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, col));
}

/* Column col as a JSON string, or null (view.h). */
json_t *view_col_text(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() : json_string(db_col_text(st, col));
}

/* Column col as an RFC 3339 time, or null (view.h). */
json_t *view_col_time(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() : json_time(sqlite3_column_int64(st, col));
}

/* ---- lists --------------------------------------------------------------------------------- */

json_t *view_rows(sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *st))
{
	json_t *arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, row(st));
	sqlite3_reset(st);
	return arr;
}

/* ---- threads and posts ---------------------------------------------------------------------- */

/* A thread row of VIEW_THREAD_COLUMNS[ VIEW_THREAD_UNREAD] as JSON (view.h). */
json_t *view_thread_json(sqlite3_stmt *st)
{
	json_t *tags = json_loads(db_col_text(st, 17), 0, NULL);
	if (!json_is_array(tags)) {
		json_decref(tags);
		tags = json_array();
	}
	json_t *o = json_pack(
		"{s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:I, s:o, s:o, s:o, s:o}", "id",
		(json_int_t)sqlite3_column_int64(st, 0), "category_id",
		(json_int_t)sqlite3_column_int64(st, 1), "title", db_col_text(st, 2), "kind",
		db_col_text(st, 3), "visibility", db_col_text(st, 4), "company_id", view_col_int(st, 5),
		"group_id", view_col_int(st, 6), "status",
		sqlite3_column_type(st, 7) == SQLITE_NULL ? json_null() : json_string(db_col_text(st, 7)),
		"accepted_post_id", view_col_int(st, 8), "pinned", sqlite3_column_int(st, 9) != 0, "locked",
		sqlite3_column_int(st, 10) != 0, "post_count", (json_int_t)sqlite3_column_int64(st, 11),
		"created_at", json_time(sqlite3_column_int64(st, 12)), "last_post_at",
		json_time(sqlite3_column_int64(st, 13)), "author", view_user_ref(st, 14), "tags", tags);
	if (sqlite3_column_count(st) > VIEW_THREAD_NCOLS)
		json_object_set_new(o, "unread", json_integer(sqlite3_column_int64(st, VIEW_THREAD_NCOLS)));
	return o;
}

static const char thread_get_sql[] =
	"SELECT " VIEW_THREAD_COLUMNS
	" FROM threads t CROSS JOIN users u ON u.id = t.author_id WHERE t.id = :id";

/* Thread id as JSON without the caller's members, or NULL (view.h). */
json_t *view_thread_get(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, thread_get_sql);
	db_bind_int64(st, ":id", id);
	json_t *o = sqlite3_step(st) == SQLITE_ROW ? view_thread_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

/* The one shape of a reference to a user: {id, name, role} (view_user_ref). */
static json_t *user_ref_json(int64_t id, const char *name, const char *role)
{
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name, "role", role);
}

/* The one shape of a post (view_post_json, view_post_written_json); steals author. */
static json_t *post_json(int64_t id, int64_t thread_id, json_t *author, const char *body, const char *html,
			 int64_t created_at, int64_t edited_at)
{
	return json_pack("{s:I, s:I, s:o, s:s, s:s, s:o, s:o}", "id", (json_int_t)id, "thread_id",
			 (json_int_t)thread_id, "author", author, "body", body, "html", html, "created_at",
			 json_time(created_at), "edited_at", json_time(edited_at));
}

/* A post row of VIEW_POST_COLUMNS as JSON, before moderation_post_view (view.h). */
json_t *view_post_json(sqlite3_stmt *st)
{
	return post_json(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			 view_user_ref(st, VIEW_POST_AUTHOR), db_col_text(st, 2), db_col_text(st, 3),
			 sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5));
}

/* A post just written by author, from what was stored (view.h). */
json_t *view_post_written_json(int64_t id, int64_t thread_id, const struct principal *author,
			       const char *body, const char *html, int64_t created_at)
{
	return post_json(
		id, thread_id,
		user_ref_json(author->user_id, author->name ? author->name : "", role_name(author->role)),
		body, html, created_at, 0);
}

/* ---- users ---------------------------------------------------------------------------------- */

/* {id, name, role} from three columns at col (view.h). */
json_t *view_user_ref(sqlite3_stmt *st, int col)
{
	return user_ref_json(sqlite3_column_int64(st, col), db_col_text(st, col + 1),
			     db_col_text(st, col + 2));
}

/* The positions of VIEW_USER_COLUMNS. */
enum {
	U_ID,
	U_EMAIL,
	U_NAME,
	U_ROLE,
	U_COMPANY,
	U_REP,
	U_SPEC,
	U_STATUS,
	U_TOTP,
	U_TOTP_REQ,
	U_CREATED,
	U_CNAME,
	U_LANG
};

static const char view_user_sql[] = "SELECT " VIEW_USER_COLUMNS " FROM users u WHERE u.id = :id";

/* The full user from a row of VIEW_USER_COLUMNS (view.h). */
json_t *view_user_row(sqlite3_stmt *st)
{
	json_t *u = json_object();
	json_object_set_new(u, "id", json_integer(sqlite3_column_int64(st, U_ID)));
	json_object_set_new(u, "email", json_string(db_col_text(st, U_EMAIL)));
	json_object_set_new(u, "name", json_string(db_col_text(st, U_NAME)));
	json_object_set_new(u, "role", json_string(db_col_text(st, U_ROLE)));
	json_object_set_new(u, "company_id",
			    sqlite3_column_type(st, U_COMPANY) == SQLITE_NULL
				    ? json_null()
				    : json_integer(sqlite3_column_int64(st, U_COMPANY)));
	json_object_set_new(u, "company_name",
			    sqlite3_column_type(st, U_CNAME) == SQLITE_NULL
				    ? json_null()
				    : json_string(db_col_text(st, U_CNAME)));
	json_object_set_new(u, "representative", json_boolean(sqlite3_column_int(st, U_REP)));
	json_t *spec = json_loads(db_col_text(st, U_SPEC), 0, NULL);
	if (!json_is_array(spec)) {
		json_decref(spec);
		spec = json_array();
	}
	json_object_set_new(u, "specialties", spec);
	json_object_set_new(u, "status", json_string(db_col_text(st, U_STATUS)));
	bool enabled = sqlite3_column_int(st, U_TOTP), required = sqlite3_column_int(st, U_TOTP_REQ);
	json_object_set_new(u, "totp_enabled", json_boolean(enabled));
	json_object_set_new(u, "totp_required", json_boolean(required));
	json_object_set_new(u, "totp_setup_required", json_boolean(required && !enabled));
	json_object_set_new(u, "created_at", json_time(sqlite3_column_int64(st, U_CREATED)));
	json_object_set_new(u, "lang", json_string(db_col_text(st, U_LANG)));
	return u;
}

/* User id as view_user_row shows it, or NULL (view.h). */
json_t *view_user_json(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, view_user_sql);
	db_bind_int64(st, ":id", id);
	json_t *u = sqlite3_step(st) == SQLITE_ROW ? view_user_row(st) : NULL;
	sqlite3_reset(st);
	return u;
}

/* ---- companies ------------------------------------------------------------------------------ */

static const char company_by_id_sql[] = "SELECT " VIEW_COMPANY_COLUMNS VIEW_COMPANY_FROM " WHERE c.id = :id";

/* A company row of VIEW_COMPANY_COLUMNS as JSON (view.h). */
json_t *view_company_row(sqlite3_stmt *st)
{
	json_t *c = json_object();
	json_object_set_new(c, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(c, "name", json_string(db_col_text(st, 1)));
	json_object_set_new(c, "industry", json_string(db_col_text(st, 2)));
	json_object_set_new(c, "sme_class", json_string(db_col_text(st, 3)));
	json_object_set_new(c, "capital_yen", json_integer(sqlite3_column_int64(st, 4)));
	json_object_set_new(c, "employees", json_integer(sqlite3_column_int64(st, 5)));
	json_object_set_new(c, "track", json_string(db_col_text(st, 6)));
	json_object_set_new(c, "status", json_string(db_col_text(st, 7)));
	bool grouped = sqlite3_column_type(st, 8) != SQLITE_NULL;
	json_object_set_new(c, "group_id", grouped ? json_integer(sqlite3_column_int64(st, 8)) : json_null());
	json_object_set_new(c, "group_name", grouped ? json_string(db_col_text(st, 10)) : json_null());
	json_object_set_new(c, "created_at", json_time(sqlite3_column_int64(st, 9)));
	json_object_set_new(c, "participants", json_integer(sqlite3_column_int64(st, 11)));
	json_t *experts = json_loads(db_col_text(st, 12), 0, NULL);
	json_object_set_new(c, "expert_ids", experts ? experts : json_array());
	return c;
}

/* Company id as JSON, or NULL (view.h). */
json_t *view_company_json(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, company_by_id_sql);
	db_bind_int64(st, ":id", id);
	json_t *c = sqlite3_step(st) == SQLITE_ROW ? view_company_row(st) : NULL;
	sqlite3_reset(st);
	return c;
}
