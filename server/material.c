/* material.c — round materials (docs/API.md §9, docs/CALENDAR.md "Materials"): files in the
 * attachment store, one row each, invisible to everyone but the secretariat until published.
 * Routes (material_routes): POST /api/v1/rounds/{id}/materials (upload), POST
 * /api/v1/materials/{id}/publish, GET /api/v1/materials/{id} (download), DELETE
 * /api/v1/materials/{id}; and material_attach, the `materials` of a round's JSON (round.c). */
#include "attachment.h"
#include "authz.h"
#include "db.h"
#include "http.h"
#include "mail.h"
#include "notify.h"
#include "round.h"
#include "router.h"
#include "util.h"

#include <stdlib.h>

#define MATERIAL_COLUMNS "m.id, m.round_id, m.filename, m.size, m.sha256, m.created_at, m.published_at"
/* Materials of one round (or of every round when :rid is NULL), unpublished ones only for the
 * secretariat (:all = 1). */
static const char materials_sql[] = "SELECT " MATERIAL_COLUMNS " FROM materials m"
				    " WHERE (:rid IS NULL OR m.round_id = :rid) AND (:all = 1 OR m.published_at IS NOT NULL)"
				    " ORDER BY m.round_id, m.id";
static const char material_sql[] = "SELECT " MATERIAL_COLUMNS " FROM materials m"
				   " WHERE m.id = :id AND (:all = 1 OR m.published_at IS NOT NULL)";
static const char material_insert_sql[] =
	"INSERT INTO materials (round_id, filename, size, sha256, uploader_id, created_at)"
	" VALUES (:rid, :name, :size, :sha, :uid, :now)";
static const char material_publish_sql[] =
	"UPDATE materials SET published_at = :now, published_by = :uid WHERE id = :id AND published_at IS NULL";
static const char material_delete_sql[] = "DELETE FROM materials WHERE id = :id AND published_at IS NULL";
/* Who hears of a published material: participants who are active users of a company still in
 * the program (active or completed). */
static const char material_audience_sql[] =
	"SELECT u.id FROM users u JOIN companies c ON c.id = u.company_id"
	" WHERE u.role = 'participant' AND u.status = 'active' AND c.status IN ('active','completed')"
	" ORDER BY u.id";

/* A material row (MATERIAL_COLUMNS) as JSON: {id, round_id, filename, size, sha256, created_at,
 * published_at}. */
static json_t *material_json(sqlite3_stmt *st)
{
	return json_pack("{s:I, s:I, s:s, s:I, s:s, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "round_id", (json_int_t)sqlite3_column_int64(st, 1), "filename", db_col_text(st, 2), "size",
			 (json_int_t)sqlite3_column_int64(st, 3), "sha256", db_col_text(st, 4), "created_at",
			 json_time(sqlite3_column_int64(st, 5)), "published_at",
			 json_time(sqlite3_column_int64(st, 6)));
}

/* Appends the materials the caller may see to the rounds of `rounds` (see round.h). */
void material_attach(struct req *r, json_t *rounds, int64_t rid)
{
	sqlite3_stmt *st = db_stmt(r->db, materials_sql);
	if (rid)
		db_bind_int64(st, ":rid", rid);
	db_bind_int64(st, ":all", authz_is_secretariat(r->who) ? 1 : 0);
	size_t n = json_array_size(rounds);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t mr = sqlite3_column_int64(st, 1);
		for (size_t i = 0; i < n; i++) {
			json_t *rd = json_array_get(rounds, i);
			if (json_integer_value(json_object_get(rd, "id")) == mr) {
				json_array_append_new(json_object_get(rd, "materials"), material_json(st));
				break;
			}
		}
	}
	sqlite3_reset(st);
}

/* Material id as the secretariat sees it (JSON), or NULL when there is none. */
static json_t *material_load(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, material_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":all", 1);
	json_t *o = sqlite3_step(st) == SQLITE_ROW ? material_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

/* The file of an upload to round rid is durable (the store's completion, before req_finish):
 * write its row in the request's transaction and reply. */
static int material_commit(struct req *r, int64_t rid, const char *filename, const char *sha)
{
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	if (!round_exists(r->db, rid))
		return req_not_found(r); /* the round went meanwhile */
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, material_insert_sql);
	db_bind_int64(st, ":rid", rid);
	db_bind_text(st, ":name", filename);
	db_bind_int64(st, ":size", (int64_t)r->raw_len);
	db_bind_text(st, ":sha", sha);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "insert material");
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (round_audit(r, "material.upload", "material", id,
			json_pack("{s:I, s:s, s:s}", "round_id", (json_int_t)rid, "filename", filename, "sha256",
				  sha)) < 0)
		return req_internal(r, "insert material");
	return req_reply(r, 201, json_pack("{s:I, s:I, s:s, s:I, s:s, s:o, s:n}", "id", (json_int_t)id, "round_id",
					   (json_int_t)rid, "filename", filename, "size", (json_int_t)r->raw_len,
					   "sha256", sha, "created_at", json_time(now), "published_at"));
}

/* POST /api/v1/rounds/{id}/materials?filename=NAME (raw bytes) — secretariat: 201 {id, round_id,
 * filename, size, sha256, created_at, published_at:null}. No round → 404; bad filename or no bytes →
 * 422 invalid; over max_attachment_bytes → 413 too_large. The file is durable before the row. */
static int handle_material_upload(struct req *r)
{
	int64_t rid;
	if (req_path_id(r, 0, &rid) < 0 || !round_exists(r->db, rid))
		return req_not_found(r);
	return attachment_store_async(r, material_commit, rid);
}

/* Tells every participant that round rr has a new material: in the app and by mail, with the
 * round's number, title and link only. Inside the request's transaction; 0 or -1. */
static int material_announce(struct req *r, const struct round_row *rr)
{
	assert(db_in_write_tx(r->db));
	/* kind material.published (server/kinds.c): rendered in each reader's language. */
	json_t *params = json_pack("{s:I, s:I, s:s}", "round_id", (json_int_t)rr->id, "number", (json_int_t)rr->number,
				   "round_title", rr->title);
	int rc = 0;
	sqlite3_stmt *st = db_stmt(r->db, material_audience_sql);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap = cap ? cap * 2 : 64) * sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (notify_user(r->db, ids[i], "material.published", 0, 0, r->who->user_id, params) < 0 ||
		    mail_enqueue(r->db, ids[i], "material.published", 0, params, NULL) < 0)
			rc = -1;
	}
	free(ids);
	json_decref(params);
	return rc;
}

enum material_state { MATERIAL_NONE, MATERIAL_UNPUBLISHED, MATERIAL_PUBLISHED };

/* Whether material id exists and is published; its round into *rid. */
static enum material_state material_state(struct db *d, int64_t id, int64_t *rid)
{
	sqlite3_stmt *st = db_stmt(d, material_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":all", 1);
	enum material_state state = MATERIAL_NONE;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*rid = sqlite3_column_int64(st, 1);
		state = sqlite3_column_type(st, 6) == SQLITE_NULL ? MATERIAL_UNPUBLISHED : MATERIAL_PUBLISHED;
	}
	sqlite3_reset(st);
	return state;
}

/* Announces material id of round rid, just published, and audits material.publish. Inside the
 * request's transaction; 0 or -1. */
static int material_published(struct req *r, int64_t id, int64_t rid)
{
	struct round_row rr;
	if (round_load(r->db, rid, &rr) < 0)
		return -1;
	int rc = material_announce(r, &rr);
	round_row_clear(&rr);
	if (rc < 0)
		return -1;
	return round_audit(r, "material.publish", "material", id, json_pack("{s:I}", "round_id", (json_int_t)rid));
}

/* POST /api/v1/materials/{id}/publish — secretariat: 200 the material with published_at set.
 * The first publication notifies the participants (app and mail); publishing again changes
 * nothing. Audited material.publish. */
static int handle_material_publish(struct req *r)
{
	int64_t id, rid = 0;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	if (material_state(r->db, id, &rid) == MATERIAL_NONE)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, material_publish_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":uid", r->who->user_id);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "publish material");
	if (sqlite3_changes(db_handle(r->db)) > 0 && material_published(r, id, rid) < 0)
		return req_internal(r, "publish material");
	json_t *o = material_load(r->db, id);
	return o ? req_reply(r, 200, o) : req_internal(r, "material reload");
}

/* DELETE /api/v1/materials/{id} — secretariat: 204; a file uploaded by mistake goes before anyone
 * saw it. A published material → 409 published (participants may hold a copy; upload a corrected
 * one instead). The stored bytes stay (content-addressed, possibly shared). Audited
 * material.delete. */
static int handle_material_delete(struct req *r)
{
	int64_t id, rid;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	enum material_state found = material_state(r->db, id, &rid);
	if (found == MATERIAL_PUBLISHED)
		return req_error(r, 409, "published", "a published material stays; upload a corrected one");
	if (found == MATERIAL_NONE)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, material_delete_sql);
	db_bind_int64(st, ":id", id);
	if (db_exec_stmt(r->db, st) < 0 || round_audit(r, "material.delete", "material", id, NULL) < 0)
		return req_internal(r, "delete material");
	return 204;
}

/* GET /api/v1/materials/{id} — the secretariat always, gated readers once published: 200 the
 * bytes as a download (as attachments); unpublished to anyone else → 404. */
static int handle_material_download(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, material_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":all", authz_is_secretariat(r->who) ? 1 : 0);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return req_not_found(r);
	}
	char *name = db_col_dup(st, 2), *sha = db_col_dup(st, 4);
	int64_t size = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	int status = attachment_blob_serve(r, sha, size, name);
	free(name);
	free(sha);
	return status;
}

const struct route material_routes[] = {
	/* max_body is the route's ceiling; max_attachment_bytes is checked in the handler. */
	ROUTE(POST, "/api/v1/rounds/{id}/materials", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_material_upload,
	      .max_body = (size_t)1 << 40, .flags = ROUTE_RAW_BODY, .params = {{"filename", PARAM_STR}}),
	ROUTE(POST, "/api/v1/materials/{id}/publish", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_material_publish),
	ROUTE(GET, "/api/v1/materials/{id}", ACCESS_CONTENT, handle_material_download),
	ROUTE(DELETE, "/api/v1/materials/{id}", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_material_delete),
	{0},
};
