/* document.c — the consent documents (docs/API.md §4): versioned texts of each kind
 * (participation, nda), their publication and reading. A material version must be accepted
 * again, so publishing one notifies everyone the gate now holds (authz_pending_consents).
 * Routes: POST/GET /api/v1/documents, GET /api/v1/documents/current, GET /api/v1/documents/{id}.
 * Accepting a document is a consent record (consent.c). */
#include "consent.h"

#include "audit.h"
#include "authz.h"
#include "crypto.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "mail.h"
#include "notify.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TITLE_MAX_BYTES 500
#define BODY_MAX_BYTES (256 * 1024) /* a long contract in Japanese is well under 100 KiB */

/* A document row plus, for its kind, the current material version (what the gate demands; NULL
 * before the first material publication) and the id of the newest version (what to accept). */
#define DOC_COLUMNS                                                                                          \
	"d.id, d.kind, d.version, d.title, d.body, d.sha256, d.material, d.created_at, d.created_by,"        \
	" (SELECT max(m.version) FROM documents m WHERE m.kind = d.kind AND m.material = 1),"                \
	" (SELECT x.id FROM documents x WHERE x.kind = d.kind ORDER BY x.version DESC LIMIT 1)"
enum {
	DC_ID,
	DC_KIND,
	DC_VERSION,
	DC_TITLE,
	DC_BODY,
	DC_SHA256,
	DC_MATERIAL,
	DC_CREATED_AT,
	DC_CREATED_BY,
	DC_CURRENT_MATERIAL,
	DC_LATEST_ID,
};

static const char doc_by_id_sql[] = "SELECT " DOC_COLUMNS " FROM documents d WHERE d.id = :id";
static const char doc_current_sql[] =
	"SELECT " DOC_COLUMNS " FROM (SELECT 'participation' AS kind, 0 AS pos UNION ALL SELECT 'nda', 1) k"
	" JOIN documents d ON d.id = (SELECT x.id FROM documents x WHERE x.kind = k.kind"
	"   ORDER BY x.version DESC LIMIT 1)"
	" ORDER BY k.pos";
static const char doc_list_sql[] = "SELECT " DOC_COLUMNS
				   " FROM documents d ORDER BY d.kind DESC, d.version DESC";
static const char doc_next_version_sql[] =
	"SELECT coalesce(max(version), 0) + 1 FROM documents WHERE kind = :kind";
static const char doc_insert_sql[] =
	"INSERT INTO documents (kind, version, title, body, sha256, material, created_by, created_at)"
	" VALUES (:kind, :version, :title, :body, :sha256, :material, :by, :at)";

/* Everyone a publication may concern: active users outside withdrawn companies (those are cut
 * off anyway). Whether it does concern them is the gate's answer, not a role test here. */
static const char notify_targets_sql[] =
	"SELECT " AUTHZ_PRINCIPAL_COLUMNS " FROM users u LEFT JOIN companies c ON c.id = u.company_id"
	" WHERE u.status = 'active' AND coalesce(c.status, '') <> 'withdrawn' ORDER BY u.id";

/* True when k is a document kind. */
static bool kind_valid(const char *k)
{
	return k && (strcmp(k, "participation") == 0 || strcmp(k, "nda") == 0);
}

/* Loads document id (consent.h). */
int consent_doc_load(struct db *d, int64_t id, struct consent_doc *out)
{
	sqlite3_stmt *st = db_stmt(d, doc_by_id_sql);
	db_bind_int64(st, ":id", id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		memset(out, 0, sizeof *out);
		out->id = sqlite3_column_int64(st, DC_ID);
		out->version = sqlite3_column_int64(st, DC_VERSION);
		out->current_material = sqlite3_column_int64(st, DC_CURRENT_MATERIAL); /* NULL reads 0 */
		out->latest_id = sqlite3_column_int64(st, DC_LATEST_ID);
		snprintf(out->kind, sizeof out->kind, "%s", db_col_text(st, DC_KIND));
		snprintf(out->sha256, sizeof out->sha256, "%s", db_col_text(st, DC_SHA256));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* A document row as the API shows it; the body only when with_body. */
static json_t *doc_json(sqlite3_stmt *st, bool with_body)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, DC_ID)));
	json_object_set_new(o, "kind", consent_col_text(st, DC_KIND));
	json_object_set_new(o, "version", json_integer(sqlite3_column_int64(st, DC_VERSION)));
	json_object_set_new(o, "title", consent_col_text(st, DC_TITLE));
	if (with_body)
		json_object_set_new(o, "body", consent_col_text(st, DC_BODY));
	json_object_set_new(o, "sha256", consent_col_text(st, DC_SHA256));
	json_object_set_new(o, "material", json_boolean(sqlite3_column_int(st, DC_MATERIAL) != 0));
	json_object_set_new(o, "created_at", json_time(sqlite3_column_int64(st, DC_CREATED_AT)));
	json_object_set_new(o, "created_by", view_col_int(st, DC_CREATED_BY));
	json_object_set_new(o, "current_material_version", view_col_int(st, DC_CURRENT_MATERIAL));
	json_object_set_new(
		o, "latest",
		json_boolean(sqlite3_column_int64(st, DC_LATEST_ID) == sqlite3_column_int64(st, DC_ID)));
	return o;
}

/* A document row as a list shows it: without its body. */
static json_t *doc_listed(sqlite3_stmt *st)
{
	return doc_json(st, false);
}

/* Adds "pending": the scopes in which the caller still has to accept this document (from the
 * gate's own list, which always names the newest version of a kind). */
static void doc_add_pending(json_t *doc, json_t *pending)
{
	json_t *scopes = json_array(), *p;
	json_int_t id = json_integer_value(json_object_get(doc, "id"));
	size_t i;
	json_array_foreach(pending, i, p)
	{
		if (json_integer_value(json_object_get(p, "document_id")) == id)
			json_array_append(scopes, json_object_get(p, "scope"));
	}
	json_object_set_new(doc, "pending", scopes);
}

/* The document id as JSON with its body, or NULL when it does not exist. */
static json_t *doc_json_by_id(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, doc_by_id_sql);
	db_bind_int64(st, ":id", id);
	json_t *o = sqlite3_step(st) == SQLITE_ROW ? doc_json(st, true) : NULL;
	sqlite3_reset(st);
	return o;
}

/* Tells, inside the publishing transaction, everyone whom the new material version of kind now
 * holds at the gate, in the app and by e-mail (kind consent_version, params {document_kind,
 * document_title, version}; the recipient's `consent` mail preference may turn the mail off). The gate is asked afresh per person, so
 * participants hear of both kinds, experts of the NDA only, and the secretariat of nothing.
 * Sets *count to the in-app notifications stored. Returns 0 or -1. */
static int notify_affected(struct req *r, const char *kind, const char *title, int64_t version,
			   int64_t *count)
{
	assert(db_in_write_tx(r->db));
	json_t *params = json_pack("{s:s, s:s, s:I}", "document_kind", kind, "document_title", title, "version",
				   (json_int_t)version);
	sqlite3_stmt *st = db_stmt(r->db, notify_targets_sql);
	int rc = 0, step = SQLITE_DONE;
	*count = 0;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct principal p;
		authz_principal_fill(st, 0, &p);
		json_t *pending = authz_pending_consents(r->db, &p), *e;
		bool affected = false;
		size_t i;
		json_array_foreach(pending, i, e)
		{
			if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0)
				affected = true;
		}
		json_decref(pending);
		if (affected) {
			int n = notify_user(r->db, p.user_id, "consent_version", 0, 0, r->who->user_id, params);
			if (n < 0 || mail_enqueue(r->db, p.user_id, "consent_version", 0, params, NULL) < 0)
				rc = -1;
			else
				*count += n;
		}
		principal_clear(&p);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -1;
	sqlite3_reset(st);
	json_decref(params);
	return rc;
}

/* POST /api/v1/documents {kind, title, body, material} — secretariat: publishes the next version
 * of kind (previous highest + 1). material defaults to true: a new version must be accepted again
 * unless the secretariat says it is only a correction. A material version notifies everyone it
 * gates. 201 the document; 422 invalid; 413 too_large for a body over 256 KiB. */
static int handle_document_publish(struct req *r)
{
	const char *kind = req_field_str(r, "kind"), *title = req_field_str(r, "title");
	const char *body = req_field_str(r, "body");
	bool material = req_field_bool(r, "material", true);
	if (!kind_valid(kind))
		return req_error(r, 422, "invalid", "kind must be participation or nda");
	/* 413, not the declared body's 422: a document too long is refused as a post is. */
	if (strlen(body) > BODY_MAX_BYTES)
		return req_error(r, 413, "too_large", "body is longer than %d bytes", BODY_MAX_BYTES);
	char sha[65];
	crypto_sha256_hex(body, strlen(body), sha);
	if (req_tx(r) < 0) /* before the next version number is read */
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, doc_next_version_sql);
	db_bind_text(st, ":kind", kind);
	int64_t version = db_one_int64(st, 1), now = now_unix(), notified = 0;
	st = db_stmt(r->db, doc_insert_sql);
	db_bind_text(st, ":kind", kind);
	db_bind_int64(st, ":version", version);
	db_bind_text(st, ":title", title);
	db_bind_text(st, ":body", body);
	db_bind_text(st, ":sha256", sha);
	db_bind_int64(st, ":material", material);
	db_bind_int64(st, ":by", r->who->user_id);
	db_bind_int64(st, ":at", now);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "insert document");
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (material && notify_affected(r, kind, title, version, &notified) < 0)
		return req_internal(r, "notify");
	json_t *detail = json_pack("{s:s, s:I, s:b, s:s, s:I}", "kind", kind, "version", (json_int_t)version,
				   "material", material, "sha256", sha, "notified", (json_int_t)notified);
	int arc = audit_append_on(r->db, r->who->user_id, "consent.publish", "document", id, r->ip, detail);
	json_decref(detail);
	if (arc < 0)
		return req_internal(r, "audit");
	json_t *out = doc_json_by_id(r->db, id);
	if (!out)
		return req_internal(r, "reload");
	if (material)
		events_publish_access(r->db, 0, 0); /* the gate fails for everyone until they accept */
	return req_reply(r, 201, out);
}

/* GET /api/v1/documents/current — signed in, reachable while gated: the newest version of each
 * kind (participation first) with its body, and "pending", the scopes in which the caller still
 * has to accept it. A kind never published is absent. */
static int handle_document_current(struct req *r)
{
	json_t *pending = authz_pending_consents(r->db, r->who), *list = json_array();
	sqlite3_stmt *st = db_stmt(r->db, doc_current_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = doc_json(st, true);
		doc_add_pending(o, pending);
		json_array_append_new(list, o);
	}
	sqlite3_reset(st);
	json_decref(pending);
	return req_reply(r, 200, list);
}

/* GET /api/v1/documents — signed in: every version of every kind, newest first, without bodies
 * (the history a secretariat or participant may want to compare). */
static int handle_document_list(struct req *r)
{
	return req_reply(r, 200, view_rows(db_stmt(r->db, doc_list_sql), doc_listed));
}

/* GET /api/v1/documents/{id} — signed in, reachable while gated: one version with its body and
 * "pending" as in /documents/current. 404 when there is no such document. */
static int handle_document_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	json_t *o = doc_json_by_id(r->db, id);
	if (!o)
		return req_not_found(r);
	json_t *pending = authz_pending_consents(r->db, r->who);
	doc_add_pending(o, pending);
	json_decref(pending);
	return req_reply(r, 200, o);
}

const struct route document_routes[] = {
	ROUTE(POST, "/api/v1/documents", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_document_publish,
	      .body = {{"kind", BODY_STR, BODY_REQUIRED},
		       {"title", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK, TITLE_MAX_BYTES},
		       {"body", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK},
		       {"material", BODY_BOOL, 0}}),
	ROUTE(GET, "/api/v1/documents", ACCESS_SESSION, handle_document_list),
	ROUTE(GET, "/api/v1/documents/current", ACCESS_SESSION, handle_document_current),
	ROUTE(GET, "/api/v1/documents/{id}", ACCESS_SESSION, handle_document_get),
	{0},
};
