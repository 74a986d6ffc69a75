/* view.c — the JSON shape of threads, posts, users and companies (view.h). */
#include "view.h"

#include "db.h"
#include "http.h"
#include "util.h"

#include <string.h>

/* ---- threads and posts ---------------------------------------------------------------------- */

/* The integer in column col, or JSON null. */
static json_t *int_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
							   : json_integer(sqlite3_column_int64(st, col));
}

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
		db_col_text(st, 3), "visibility", db_col_text(st, 4), "company_id", int_or_null(st, 5),
		"group_id", int_or_null(st, 6), "status",
		sqlite3_column_type(st, 7) == SQLITE_NULL ? json_null() : json_string(db_col_text(st, 7)),
		"accepted_post_id", int_or_null(st, 8), "pinned", sqlite3_column_int(st, 9) != 0, "locked",
		sqlite3_column_int(st, 10) != 0, "post_count", (json_int_t)sqlite3_column_int64(st, 11),
		"created_at", json_time(sqlite3_column_int64(st, 12)), "last_post_at",
		json_time(sqlite3_column_int64(st, 13)), "author", post_author_json(st, 14), "tags", tags);
	if (sqlite3_column_count(st) > VIEW_THREAD_NCOLS)
		json_object_set_new(o, "unread", json_integer(sqlite3_column_int64(st, VIEW_THREAD_NCOLS)));
	return o;
}

static const char thread_get_sql[] =
	"SELECT " VIEW_THREAD_COLUMNS
	" FROM threads t CROSS JOIN users u ON u.id = t.author_id WHERE t.id = :id";

json_t *view_thread_get(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, thread_get_sql);
	db_bind_int64(st, ":id", id);
	json_t *o = sqlite3_step(st) == SQLITE_ROW ? view_thread_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

json_t *view_post_json(sqlite3_stmt *st)
{
	return json_pack("{s:I, s:I, s:o, s:s, s:s, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "thread_id", (json_int_t)sqlite3_column_int64(st, 1), "author",
			 post_author_json(st, VIEW_POST_AUTHOR), "body", db_col_text(st, 2), "html",
			 db_col_text(st, 3), "created_at", json_time(sqlite3_column_int64(st, 4)),
			 "edited_at", json_time(sqlite3_column_int64(st, 5)));
}

/* ---- users ---------------------------------------------------------------------------------- */

/* ---- companies ------------------------------------------------------------------------------ */
