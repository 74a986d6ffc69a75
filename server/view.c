/* view.c — the JSON shape of threads, posts, users and companies (view.h). */
#include "view.h"

#include "db.h"
#include "http.h"
#include "util.h"

#include <string.h>

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

/* ---- users ---------------------------------------------------------------------------------- */

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
json_t *view_user_json(sqlite3_stmt *st)
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

/* The full user id, or NULL (view.h). */
json_t *view_user_load(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, view_user_sql);
	db_bind_int64(st, ":id", id);
	json_t *u = sqlite3_step(st) == SQLITE_ROW ? view_user_json(st) : NULL;
	sqlite3_reset(st);
	return u;
}

/* ---- companies ------------------------------------------------------------------------------ */
