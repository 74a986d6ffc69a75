/* category.c — forum categories (docs/API.md §5): the list every gated reader sees and their creation
 * by the secretariat. Categories carry no confidential content of their own; what they hold is
 * filtered thread by thread in thread.c. */
#include "audit.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "util.h"

#include <string.h>

static const char list_sql[] =
	"SELECT id, slug, name, description, position, created_at FROM categories ORDER BY position, id";
static const char insert_sql[] = "INSERT INTO categories (slug, name, description, position, created_at)"
				 " VALUES (:slug, :name, :description, :position, :now)";

/* One category row of list_sql as JSON. */
static json_t *category_json(sqlite3_stmt *st)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "slug", db_col_text(st, 1), "name", db_col_text(st, 2), "description",
			 db_col_text(st, 3), "position", (json_int_t)sqlite3_column_int64(st, 4),
			 "created_at", json_time(sqlite3_column_int64(st, 5)));
}

/* GET /api/v1/categories — gated readers; 200 {categories:[{id, slug, name, description,
 * position, created_at}]} ordered by position. */
static int handle_category_list(struct req *r)
{
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(r->db, list_sql);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, category_json(st));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "categories", arr));
}

/* True when s is a slug: 1-64 characters of a-z, 0-9, - and _. */
static bool slug_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* POST /api/v1/categories {slug, name, description?, position?} — secretariat; 201 the
 * category; slug [a-z0-9_-]{1,64} and name of 1..200 bytes (not blank) else 422 invalid; a slug
 * in use → 409 conflict. */
static int handle_category_create(struct req *r)
{
	const char *slug = req_field_str(r, "slug"), *name = req_field_str(r, "name");
	const char *desc = req_field_str(r, "description");
	if (!desc)
		desc = "";
	int64_t position = req_field_int(r, "position", 0);
	if (!slug_ok(slug))
		return req_error(r, 422, "invalid", "slug must be 1-64 characters of a-z, 0-9, - and _");
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, insert_sql);
	db_bind_text(st, ":slug", slug);
	db_bind_text(st, ":name", name);
	db_bind_text(st, ":description", desc);
	db_bind_int64(st, ":position", position);
	int64_t now = now_unix();
	db_bind_int64(st, ":now", now);
	int rc = db_exec_stmt(r->db, st);
	if (rc < 0)
		return rc == -2 ? req_error(r, 409, "conflict", "slug already in use")
				: req_internal(r, "insert");
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (audit_append_on(r->db, r->who->user_id, "category.create", "category", id, r->ip, NULL) < 0)
		return req_internal(r, "audit");
	return req_reply(r, 201,
			 json_pack("{s:I, s:s, s:s, s:s, s:I, s:o}", "id", (json_int_t)id, "slug", slug,
				   "name", name, "description", desc, "position", (json_int_t)position,
				   "created_at", json_time(now)));
}

const struct route category_routes[] = {
	ROUTE(GET, "/api/v1/categories", ACCESS_CONTENT, handle_category_list),
	ROUTE(POST, "/api/v1/categories", ACCESS_CONTENT | ACCESS_SECRETARIAT, handle_category_create,
	      .body = {{"slug", BODY_STR, BODY_REQUIRED, 64},
		       {"name", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK, 200},
		       {"description", BODY_STR, 0, 4000},
		       {"position", BODY_INT}}),
	{0},
};
