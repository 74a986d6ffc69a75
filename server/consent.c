/* consent.c — consent and NDA tracking (docs/API.md §4): versioned documents, the append-only record
 * of acceptances, secretariat records and withdrawals, and the secretariat's report (JSON and
 * CSV). The gate that reads these rows is authz_pending_consents (authz.c); every "who still has
 * to accept what?" question asked here is answered by calling it, so there is one rule. */
#include "consent.h"

#include "audit.h"
#include "case.h"
#include "authz.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "mail.h"
#include "notify.h"
#include "router.h"
#include "text.h"
#include "util.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TITLE_MAX_BYTES 500
#define BODY_MAX_BYTES (256 * 1024) /* a long contract in Japanese is well under 100 KiB */
#define METHOD_MAX_BYTES 64
#define REFERENCE_MAX_BYTES 1000
#define USER_AGENT_MAX_BYTES 512
#define LIST_DEFAULT 100
#define LIST_MAX 1000

/* ---- SQL -------------------------------------------------------------------------------- */

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

/* A consent row, whether it is in effect (the latest act of its subject, scope and kind, and
 * not a withdrawal: exactly what the gate reads), and whether its version is at least the
 * current material one. The two NOT EXISTS name their scope literally so that 002's partial
 * indexes serve them. */
#define CONSENT_COLUMNS                                                                                      \
	"c.id, c.action, c.scope, c.kind, c.user_id, c.company_id, c.document_id, c.version,"                \
	" c.sha256, c.method, c.reference, c.withdraws_id, c.actor_id, c.at, c.ip, c.user_agent,"            \
	" (c.action <> 'withdraw' AND CASE c.scope"                                                          \
	"   WHEN 'personal' THEN NOT EXISTS (SELECT 1 FROM consents l WHERE l.scope = 'personal'"            \
	"     AND l.user_id = c.user_id AND l.kind = c.kind AND l.id > c.id)"                                \
	"   ELSE NOT EXISTS (SELECT 1 FROM consents l WHERE l.scope = 'company'"                             \
	"     AND l.company_id = c.company_id AND l.kind = c.kind AND l.id > c.id) END),"                    \
	" (c.action <> 'withdraw' AND c.version >= coalesce((SELECT max(m.version) FROM documents m"         \
	"   WHERE m.kind = c.kind AND m.material = 1), 0))"
enum {
	CC_ID,
	CC_ACTION,
	CC_SCOPE,
	CC_KIND,
	CC_USER_ID,
	CC_COMPANY_ID,
	CC_DOCUMENT_ID,
	CC_VERSION,
	CC_SHA256,
	CC_METHOD,
	CC_REFERENCE,
	CC_WITHDRAWS_ID,
	CC_ACTOR_ID,
	CC_AT,
	CC_IP,
	CC_USER_AGENT,
	CC_IN_EFFECT,
	CC_CURRENT,
};

static const char consent_by_id_sql[] = "SELECT " CONSENT_COLUMNS " FROM consents c WHERE c.id = :id";
static const char consent_insert_sql[] =
	"INSERT INTO consents (action, scope, kind, user_id, company_id, document_id, version, sha256,"
	" method, reference, withdraws_id, actor_id, at, ip, user_agent)"
	" VALUES (:action, :scope, :kind, :uid, :cid, :doc, :version, :sha256, :method, :reference,"
	" :withdraws, :actor, :at, :ip, :ua)";

/* Listing, newest first, a page at a time (ids below :before). */
#define CONSENT_PAGE " AND c.id < :before ORDER BY c.id DESC LIMIT :limit"
static const char consents_mine_sql[] =
	"SELECT " CONSENT_COLUMNS " FROM consents c"
	" WHERE (c.user_id = :uid OR (c.scope = 'company' AND c.company_id = :cid))" CONSENT_PAGE;
static const char consents_by_user_sql[] = "SELECT " CONSENT_COLUMNS
					   " FROM consents c WHERE c.user_id = :uid" CONSENT_PAGE;
static const char consents_by_company_sql[] = "SELECT " CONSENT_COLUMNS
					      " FROM consents c WHERE c.company_id = :cid" CONSENT_PAGE;
static const char consents_by_both_sql[] =
	"SELECT " CONSENT_COLUMNS
	" FROM consents c WHERE c.user_id = :uid AND c.company_id = :cid" CONSENT_PAGE;
static const char consents_all_sql[] = "SELECT " CONSENT_COLUMNS " FROM consents c WHERE 1" CONSENT_PAGE;

static const char company_exists_sql[] = "SELECT 1 FROM companies WHERE id = :id";

/* The report: per company (company scope) and per user (personal scope), the latest act of each
 * kind, found through 002's partial indexes. */
#define LATEST_ACT(alias, scope, subject_col, subject, kind)                                                 \
	" LEFT JOIN consents " alias " ON " alias ".id = (SELECT max(x.id) FROM consents x"                  \
	" WHERE x.scope = '" scope "' AND x." subject_col " = " subject " AND x.kind = '" kind "')"
#define HELD_COLUMNS(a) a ".action, " a ".version, " a ".at, " a ".method, " a ".document_id, " a ".id"
/* clang-format off */
static const char report_companies_sql[] =
	"SELECT co.id, co.name, co.track, co.status, co.group_id, " HELD_COLUMNS("p") ", " HELD_COLUMNS("n")
	" FROM companies co"
	LATEST_ACT("p", "company", "company_id", "co.id", "participation")
	LATEST_ACT("n", "company", "company_id", "co.id", "nda")
	" WHERE co.status = 'active' ORDER BY co.id";
static const char report_users_sql[] =
	"SELECT u.id, u.name, u.email, u.role, u.status, u.company_id, coalesce(co.name, ''),"
	" u.representative, " HELD_COLUMNS("p") ", " HELD_COLUMNS("n")
	" FROM users u LEFT JOIN companies co ON co.id = u.company_id"
	LATEST_ACT("p", "personal", "user_id", "u.id", "participation")
	LATEST_ACT("n", "personal", "user_id", "u.id", "nda")
	" WHERE u.status IN ('active', 'invited') ORDER BY u.id";
/* clang-format on */
static const char report_material_sql[] =
	"SELECT (SELECT max(version) FROM documents WHERE kind = 'participation' AND material = 1),"
	" (SELECT max(version) FROM documents WHERE kind = 'nda' AND material = 1)";

/* ---- small helpers -------------------------------------------------------------------------- */

static bool kind_valid(const char *k)
{
	return k && (strcmp(k, "participation") == 0 || strcmp(k, "nda") == 0);
}


/* The User-Agent as stored in a record: at most USER_AGENT_MAX_BYTES, valid UTF-8 (a header may
 * carry any bytes; non-ASCII bytes become '?' when the text is not UTF-8). Caller frees. */
static char *user_agent_new(const char *ua)
{
	size_t n = strlen(ua);
	if (n > USER_AGENT_MAX_BYTES)
		n = USER_AGENT_MAX_BYTES;
	char *s = xstrndup(ua, n);
	if (!utf8_valid(s, n))
		for (char *p = s; *p; p++)
			if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
				*p = '?';
	return s;
}

static json_t *col_int_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
							   : json_integer(sqlite3_column_int64(st, col));
}

static json_t *col_string(sqlite3_stmt *st, int col)
{
	json_t *s = json_string(db_col_text(st, col));
	return s ? s : json_string("");
}

/* ---- documents ------------------------------------------------------------------------------ */

/* What accepting and recording need to know about a document. */
struct doc {
	int64_t id, version;
	int64_t current_material; /* 0 before the first material version of its kind */
	int64_t latest_id;        /* the newest version of its kind */
	char kind[16];
	char sha256[65];
};

/* Loads document id into *out. Returns 0, or -1 when there is no such document. */
static int doc_load(struct db *d, int64_t id, struct doc *out)
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
	json_object_set_new(o, "kind", col_string(st, DC_KIND));
	json_object_set_new(o, "version", json_integer(sqlite3_column_int64(st, DC_VERSION)));
	json_object_set_new(o, "title", col_string(st, DC_TITLE));
	if (with_body)
		json_object_set_new(o, "body", col_string(st, DC_BODY));
	json_object_set_new(o, "sha256", col_string(st, DC_SHA256));
	json_object_set_new(o, "material", json_boolean(sqlite3_column_int(st, DC_MATERIAL) != 0));
	json_object_set_new(o, "created_at", json_time(sqlite3_column_int64(st, DC_CREATED_AT)));
	json_object_set_new(o, "created_by", col_int_or_null(st, DC_CREATED_BY));
	json_object_set_new(o, "current_material_version", col_int_or_null(st, DC_CURRENT_MATERIAL));
	json_object_set_new(
		o, "latest",
		json_boolean(sqlite3_column_int64(st, DC_LATEST_ID) == sqlite3_column_int64(st, DC_ID)));
	return o;
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
static int handle_consent_publish(struct req *r)
{
	const char *kind = NULL, *title = NULL, *body = NULL;
	bool material = true;
	if (req_body_str(r, "kind", &kind) != 0 || !kind_valid(kind))
		return req_error(r, 422, "invalid", "kind must be participation or nda");
	if (req_body_str(r, "title", &title) != 0 || text_blank(title))
		return req_error(r, 422, "invalid", "title is empty");
	if (strlen(title) > TITLE_MAX_BYTES)
		return req_error(r, 422, "invalid", "title is longer than %d bytes", TITLE_MAX_BYTES);
	if (req_body_str(r, "body", &body) != 0 || text_blank(body))
		return req_error(r, 422, "invalid", "body is empty");
	if (strlen(body) > BODY_MAX_BYTES)
		return req_error(r, 413, "too_large", "body is longer than %d bytes", BODY_MAX_BYTES);
	if (req_body_bool(r, "material", &material) < 0)
		return req_error(r, 422, "invalid", "material must be true or false");

	char sha[65];
	crypto_sha256_hex(body, strlen(body), sha);
	int status;
	json_t *out = NULL, *detail = NULL;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	bool in_tx = true; /* db_tx_commit rolls back itself when it fails */
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
	if (db_exec_stmt(r->db, st) < 0) {
		status = req_internal(r, "insert document");
		goto out;
	}
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (material && notify_affected(r, kind, title, version, &notified) < 0) {
		status = req_internal(r, "notify");
		goto out;
	}
	char target[40];
	snprintf(target, sizeof target, "document:%" PRId64, id);
	detail = json_pack("{s:s, s:I, s:b, s:s, s:I}", "kind", kind, "version", (json_int_t)version,
			   "material", material, "sha256", sha, "notified", (json_int_t)notified);
	if (audit_append(r->db, r->who->user_id, "consent.publish", target, r->ip, detail) < 0) {
		status = req_internal(r, "audit");
		goto out;
	}
	out = doc_json_by_id(r->db, id);
	if (!out) {
		status = req_internal(r, "reload");
		goto out;
	}
	if (material)
		events_publish_access(r->db, 0, 0); /* the gate fails for everyone until they accept */
	in_tx = false;
	if (db_tx_commit(r->db) < 0) {
		status = req_internal(r, "commit");
		goto out;
	}
	status = req_reply(r, 201, out);
	out = NULL;
out:
	if (in_tx)
		db_tx_rollback(r->db);
	json_decref(out);
	json_decref(detail);
	return status;
}

/* GET /api/v1/documents/current — signed in, reachable while gated: the newest version of each
 * kind (participation first) with its body, and "pending", the scopes in which the caller still
 * has to accept it. A kind never published is absent. */
static int handle_consent_current(struct req *r)
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
static int handle_consent_list_documents(struct req *r)
{
	json_t *list = json_array();
	sqlite3_stmt *st = db_stmt(r->db, doc_list_sql);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, doc_json(st, false));
	sqlite3_reset(st);
	return req_reply(r, 200, list);
}

/* GET /api/v1/documents/{id} — signed in, reachable while gated: one version with its body and
 * "pending" as in /documents/current. 404 when there is no such document. */
static int handle_consent_get_document(struct req *r)
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

/* ---- consent records ------------------------------------------------------------------------ */

/* A consent row as the API shows it. full=false leaves out the client address and User-Agent
 * (a company-scope record someone else made, shown to a participant of that company). */
static json_t *consent_json(sqlite3_stmt *st, bool full)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, CC_ID)));
	json_object_set_new(o, "action", col_string(st, CC_ACTION));
	json_object_set_new(o, "scope", col_string(st, CC_SCOPE));
	json_object_set_new(o, "kind", col_string(st, CC_KIND));
	json_object_set_new(o, "user_id", col_int_or_null(st, CC_USER_ID));
	json_object_set_new(o, "company_id", col_int_or_null(st, CC_COMPANY_ID));
	json_object_set_new(o, "document_id", json_integer(sqlite3_column_int64(st, CC_DOCUMENT_ID)));
	json_object_set_new(o, "version", json_integer(sqlite3_column_int64(st, CC_VERSION)));
	json_object_set_new(o, "sha256", col_string(st, CC_SHA256));
	json_object_set_new(o, "method", col_string(st, CC_METHOD));
	json_object_set_new(o, "reference", col_string(st, CC_REFERENCE));
	json_object_set_new(o, "withdraws_id", col_int_or_null(st, CC_WITHDRAWS_ID));
	json_object_set_new(o, "actor_id", col_int_or_null(st, CC_ACTOR_ID));
	json_object_set_new(o, "at", json_time(sqlite3_column_int64(st, CC_AT)));
	if (full) {
		json_object_set_new(o, "ip", col_string(st, CC_IP));
		json_object_set_new(o, "user_agent", col_string(st, CC_USER_AGENT));
	}
	json_object_set_new(o, "in_effect", json_boolean(sqlite3_column_int(st, CC_IN_EFFECT) != 0));
	json_object_set_new(o, "current", json_boolean(sqlite3_column_int(st, CC_CURRENT) != 0));
	return o;
}

static json_t *consent_json_by_id(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, consent_by_id_sql);
	db_bind_int64(st, ":id", id);
	json_t *o = sqlite3_step(st) == SQLITE_ROW ? consent_json(st, true) : NULL;
	sqlite3_reset(st);
	return o;
}

/* One act to append. Zero ids are stored as NULL. */
struct act {
	const char *action, *scope, *kind, *sha256, *method, *reference;
	int64_t user_id, company_id, document_id, version, withdraws_id;
};

static void bind_id_or_null(sqlite3_stmt *st, const char *name, int64_t v)
{
	if (v)
		db_bind_int64(st, name, v);
	else
		db_bind_null(st, name);
}

/* Appends act a as a consent row made by the caller from their address and browser, with the
 * audit entry audit_action (target "consent:ID"), inside the caller's transaction. Sets *id.
 * Returns 0 or -1. */
static int act_append(struct req *r, const struct act *a, const char *audit_action, int64_t *id)
{
	char *ua = user_agent_new(r->user_agent ? r->user_agent : "");
	sqlite3_stmt *st = db_stmt(r->db, consent_insert_sql);
	db_bind_text(st, ":action", a->action);
	db_bind_text(st, ":scope", a->scope);
	db_bind_text(st, ":kind", a->kind);
	bind_id_or_null(st, ":uid", a->user_id);
	bind_id_or_null(st, ":cid", a->company_id);
	db_bind_int64(st, ":doc", a->document_id);
	db_bind_int64(st, ":version", a->version);
	db_bind_text(st, ":sha256", a->sha256);
	db_bind_text(st, ":method", a->method);
	db_bind_text(st, ":reference", a->reference ? a->reference : "");
	bind_id_or_null(st, ":withdraws", a->withdraws_id);
	db_bind_int64(st, ":actor", r->who->user_id);
	db_bind_int64(st, ":at", now_unix());
	db_bind_text(st, ":ip", r->ip);
	db_bind_text(st, ":ua", ua);
	int rc = db_exec_stmt(r->db, st) == 0 ? 0 : -1;
	free(ua);
	if (rc < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(db_handle(r->db));
	/* A withdrawal may close the gate: the streams concerned are re-checked. */
	if (a->user_id || a->company_id)
		events_publish_access(r->db, a->user_id, a->company_id);
	/* The participation consent covers the case collection: withdrawn, the company's published
	 * cases leave the public site in this same transaction (docs/CASES.md). */
	if (strcmp(a->action, "withdraw") == 0 && a->company_id && strcmp(a->kind, "participation") == 0 &&
	    case_consent_withdrawn(r->db, a->company_id, r->who->user_id, r->ip) < 0)
		return -1;

	json_t *detail = json_object();
	json_object_set_new(detail, "scope", json_string(a->scope));
	json_object_set_new(detail, "kind", json_string(a->kind));
	json_object_set_new(detail, "document_id", json_integer(a->document_id));
	json_object_set_new(detail, "version", json_integer(a->version));
	json_object_set_new(detail, "method", json_string(a->method));
	if (a->user_id)
		json_object_set_new(detail, "user_id", json_integer(a->user_id));
	if (a->company_id)
		json_object_set_new(detail, "company_id", json_integer(a->company_id));
	if (a->withdraws_id)
		json_object_set_new(detail, "withdraws_id", json_integer(a->withdraws_id));
	char target[40];
	snprintf(target, sizeof target, "consent:%" PRId64, *id);
	rc = audit_append(r->db, r->who->user_id, audit_action, target, r->ip, detail);
	json_decref(detail);
	return rc;
}

/* Answers 409 document_changed for d, naming the version to accept instead. */
static int document_changed(struct req *r, const struct doc *d, const char *why)
{
	json_decref(r->err_extra);
	r->err_extra = json_pack("{s:I}", "current_document_id", (json_int_t)d->latest_id);
	return req_error(r, 409, "document_changed", "%s", why);
}

/* The version rule shared by accepting and recording: a version older than the current
 * material one no longer counts, so storing it would only confuse. Returns 0 or the 409. */
static int check_version(struct req *r, const struct doc *d)
{
	if (d->version < d->current_material)
		return document_changed(r, d,
					"this version has been replaced; read and accept the current one");
	return 0;
}

/* POST /api/v1/documents/{id}/accept {sha256, on_behalf_of_company?} — participant or expert,
 * reachable while gated. Appends a personal acceptance, and with on_behalf_of_company (a
 * representative participant only, else 403 forbidden) a company-scope one for their company.
 * 409 document_changed when sha256 is not this version's or the version is older than the
 * current material one (any version from that one up is accepted, so a correction published
 * meanwhile does not fail a reader). Accepting again appends again. 201 the personal record,
 * with "company_record" when one was made; 404 no such document. */
static int handle_consent_accept(struct req *r)
{
	int64_t doc_id;
	if (req_path_id(r, 0, &doc_id) < 0)
		return req_not_found(r);
	const char *sha = NULL;
	bool on_behalf = false;
	int brc = req_body_str(r, "sha256", &sha);
	if (brc < 0)
		return req_error(r, 422, "invalid", "sha256 must be a string");
	if (req_body_bool(r, "on_behalf_of_company", &on_behalf) < 0)
		return req_error(r, 422, "invalid", "on_behalf_of_company must be true or false");

	int status;
	json_t *out = NULL;
	struct doc d;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	bool in_tx = true; /* db_tx_commit rolls back itself when it fails */
	if (doc_load(r->db, doc_id, &d) < 0) {
		status = req_not_found(r);
		goto out;
	}
	if (brc != 0) {
		status = req_error(r, 422, "invalid", "sha256 is required: the hash of the text you accept");
		goto out;
	}
	if (on_behalf && !(authz_is_participant(r->who) && r->who->representative)) {
		status = req_error(r, 403, "forbidden",
				   "only your company's representative may accept for the company");
		goto out;
	}
	if (strcasecmp(sha, d.sha256) != 0) {
		status = document_changed(r, &d, "the text you read is not this version's");
		goto out;
	}
	if ((status = check_version(r, &d)) != 0)
		goto out;
	struct act a = {.action = "accept",
			.scope = "personal",
			.kind = d.kind,
			.sha256 = d.sha256,
			.method = "web",
			.user_id = r->who->user_id,
			.company_id = r->who->company_id,
			.document_id = d.id,
			.version = d.version};
	int64_t personal_id, company_id = 0;
	if (act_append(r, &a, "consent.accept", &personal_id) < 0) {
		status = req_internal(r, "accept");
		goto out;
	}
	if (on_behalf) {
		a.scope = "company";
		if (act_append(r, &a, "consent.accept", &company_id) < 0) {
			status = req_internal(r, "accept for company");
			goto out;
		}
	}
	out = consent_json_by_id(r->db, personal_id);
	if (company_id)
		json_object_set_new(out, "company_record", consent_json_by_id(r->db, company_id));
	in_tx = false;
	if (db_tx_commit(r->db) < 0) {
		status = req_internal(r, "commit");
		goto out;
	}
	status = req_reply(r, 201, out);
	out = NULL;
out:
	if (in_tx)
		db_tx_rollback(r->db);
	json_decref(out);
	return status;
}

/* POST /api/v1/companies/{id}/consents {document_id, method, reference?} — secretariat: records a
 * company consent received outside the system (method e.g. "paper", reference e.g. the filing
 * number). 201 the record; 404 no such company; 422 invalid (no such document, empty method);
 * 409 document_changed for a version older than the current material one. */
static int handle_consent_record(struct req *r)
{
	int64_t company_id, doc_id = 0;
	const char *method = NULL, *reference = "";
	if (req_path_id(r, 0, &company_id) < 0)
		return req_not_found(r);
	if (req_body_int(r, "document_id", &doc_id) != 0 || doc_id <= 0)
		return req_error(r, 422, "invalid", "document_id is required");
	if (req_body_str(r, "method", &method) != 0 || text_blank(method) || strlen(method) > METHOD_MAX_BYTES)
		return req_error(r, 422, "invalid", "method is required (e.g. paper), at most %d bytes",
				 METHOD_MAX_BYTES);
	if (req_body_str(r, "reference", &reference) < 0 || strlen(reference) > REFERENCE_MAX_BYTES)
		return req_error(r, 422, "invalid", "reference must be text of at most %d bytes",
				 REFERENCE_MAX_BYTES);

	int status;
	json_t *out = NULL;
	struct doc d;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	bool in_tx = true; /* db_tx_commit rolls back itself when it fails */
	sqlite3_stmt *st = db_stmt(r->db, company_exists_sql);
	db_bind_int64(st, ":id", company_id);
	if (db_one_int64(st, 0) != 1) {
		status = req_not_found(r);
		goto out;
	}
	if (doc_load(r->db, doc_id, &d) < 0) {
		status = req_error(r, 422, "invalid", "no document %" PRId64, doc_id);
		goto out;
	}
	if ((status = check_version(r, &d)) != 0)
		goto out;
	struct act a = {.action = "record",
			.scope = "company",
			.kind = d.kind,
			.sha256 = d.sha256,
			.method = method,
			.reference = reference,
			.company_id = company_id,
			.document_id = d.id,
			.version = d.version};
	int64_t id;
	if (act_append(r, &a, "consent.record", &id) < 0) {
		status = req_internal(r, "record");
		goto out;
	}
	out = consent_json_by_id(r->db, id);
	in_tx = false;
	if (db_tx_commit(r->db) < 0) {
		status = req_internal(r, "commit");
		goto out;
	}
	status = req_reply(r, 201, out);
	out = NULL;
out:
	if (in_tx)
		db_tx_rollback(r->db);
	json_decref(out);
	return status;
}

/* What a caller may do with a consent row: see it whole, see it without address and browser
 * (their company's consent given by someone else), or not at all. */
enum consent_view { VIEW_NONE, VIEW_PARTIAL, VIEW_FULL };

static enum consent_view consent_view(const struct principal *p, sqlite3_stmt *st)
{
	if (authz_is_secretariat(p) || sqlite3_column_int64(st, CC_USER_ID) == p->user_id)
		return VIEW_FULL;
	if (p->company_id && strcmp(db_col_text(st, CC_SCOPE), "company") == 0 &&
	    sqlite3_column_int64(st, CC_COMPANY_ID) == p->company_id)
		return VIEW_PARTIAL;
	return VIEW_NONE;
}

/* POST /api/v1/consents/{id}/withdraw {reason?} — the person the record is about (the acceptor;
 * for a company consent, the representative who gave it) or the secretariat; reachable while
 * gated. Appends a withdrawal of the same scope, kind and subject pointing at the record; as the
 * gate reads the latest act, it bites on the next request. Only the record in effect can be
 * withdrawn: 409 not_in_effect when it was already withdrawn or superseded by a later act (the
 * listing's in_effect says which one is). 200 the withdrawal; 404 for records of others. */
static int handle_consent_withdraw(struct req *r)
{
	int64_t id;
	const char *reason = "";
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	if (req_body_str(r, "reason", &reason) < 0 || strlen(reason) > REFERENCE_MAX_BYTES)
		return req_error(r, 422, "invalid", "reason must be text of at most %d bytes",
				 REFERENCE_MAX_BYTES);

	int status;
	json_t *out = NULL;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	bool in_tx = true; /* db_tx_commit rolls back itself when it fails */
	sqlite3_stmt *st = db_stmt(r->db, consent_by_id_sql);
	db_bind_int64(st, ":id", id);
	if (sqlite3_step(st) != SQLITE_ROW || consent_view(r->who, st) != VIEW_FULL) {
		sqlite3_reset(st);
		status = req_not_found(r);
		goto out;
	}
	if (!sqlite3_column_int(st, CC_IN_EFFECT)) {
		sqlite3_reset(st);
		status = req_error(r, 409, "not_in_effect",
				   "this record was already withdrawn or replaced by a later one");
		goto out;
	}
	char kind[16], scope[16], sha[65];
	snprintf(kind, sizeof kind, "%s", db_col_text(st, CC_KIND));
	snprintf(scope, sizeof scope, "%s", db_col_text(st, CC_SCOPE));
	snprintf(sha, sizeof sha, "%s", db_col_text(st, CC_SHA256));
	struct act a = {.action = "withdraw",
			.scope = scope,
			.kind = kind,
			.sha256 = sha,
			.method = "web",
			.reference = reason,
			.user_id = sqlite3_column_int64(st, CC_USER_ID),
			.company_id = sqlite3_column_int64(st, CC_COMPANY_ID),
			.document_id = sqlite3_column_int64(st, CC_DOCUMENT_ID),
			.version = sqlite3_column_int64(st, CC_VERSION),
			.withdraws_id = id};
	sqlite3_reset(st);
	int64_t wid;
	if (act_append(r, &a, "consent.withdraw", &wid) < 0) {
		status = req_internal(r, "withdraw");
		goto out;
	}
	out = consent_json_by_id(r->db, wid);
	in_tx = false;
	if (db_tx_commit(r->db) < 0) {
		status = req_internal(r, "commit");
		goto out;
	}
	status = req_reply(r, 200, out);
	out = NULL;
out:
	if (in_tx)
		db_tx_rollback(r->db);
	json_decref(out);
	return status;
}

/* GET /api/v1/consents/{id} — the record's subject, a participant of the company a company
 * consent is about (without address and browser), or the secretariat; 404 otherwise. */
static int handle_consent_get_consent(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, consent_by_id_sql);
	db_bind_int64(st, ":id", id);
	json_t *o = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		enum consent_view v = consent_view(r->who, st);
		if (v != VIEW_NONE)
			o = consent_json(st, v == VIEW_FULL);
	}
	sqlite3_reset(st);
	return o ? req_reply(r, 200, o) : req_not_found(r);
}

/* GET /api/v1/consents?user_id=&company_id=&before=&limit= — signed in: a list of records, newest
 * first, at most limit (default 100, up to 1000) with ids below before. Others see their own
 * records and their company's company-scope ones (filters are ignored); the secretariat sees all,
 * narrowed by user_id and company_id. */
static int handle_consent_list_consents(struct req *r)
{
	int64_t before = req_query_int(r, "before", 0), limit = req_query_int(r, "limit", LIST_DEFAULT);
	int64_t uid = req_query_int(r, "user_id", 0), cid = req_query_int(r, "company_id", 0);
	if (before <= 0)
		before = INT64_MAX;
	if (limit < 1 || limit > LIST_MAX)
		limit = LIST_DEFAULT;
	const char *sql = consents_all_sql;
	if (!authz_is_secretariat(r->who)) {
		sql = consents_mine_sql;
		uid = r->who->user_id;
		cid = r->who->company_id;
	} else if (uid && cid) {
		sql = consents_by_both_sql;
	} else if (uid) {
		sql = consents_by_user_sql;
	} else if (cid) {
		sql = consents_by_company_sql;
	}
	sqlite3_stmt *st = db_stmt(r->db, sql);
	db_bind_int64_opt(st, ":uid", uid); /* the statements above use what they filter on */
	db_bind_int64_opt(st, ":cid", cid);
	db_bind_int64(st, ":before", before);
	db_bind_int64(st, ":limit", limit);
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		enum consent_view v = consent_view(r->who, st);
		if (v != VIEW_NONE)
			json_array_append_new(list, consent_json(st, v == VIEW_FULL));
	}
	sqlite3_reset(st);
	return req_reply(r, 200, list);
}

/* ---- the report ----------------------------------------------------------------------------- */

/* The consent held through the latest act whose six HELD_COLUMNS start at col: null when there
 * is none or it was withdrawn, else {version, at, current, method, document_id, consent_id}.
 * `current` is false for a version older than the current material one (the holder is behind and
 * the gate holds them); a kind with no material version yet counts anything as current. */
static json_t *held_json(sqlite3_stmt *st, int col, int64_t material)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL || strcmp(db_col_text(st, col), "withdraw") == 0)
		return json_null();
	int64_t version = sqlite3_column_int64(st, col + 1);
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(version));
	json_object_set_new(o, "at", json_time(sqlite3_column_int64(st, col + 2)));
	json_object_set_new(o, "current", json_boolean(version >= material));
	json_object_set_new(o, "method", col_string(st, col + 3));
	json_object_set_new(o, "document_id", json_integer(sqlite3_column_int64(st, col + 4)));
	json_object_set_new(o, "consent_id", json_integer(sqlite3_column_int64(st, col + 5)));
	return o;
}

/* The report as JSON: {current_material:{participation, nda}, companies:[...], users:[...]}. */
static json_t *report_json(struct db *d)
{
	sqlite3_stmt *st = db_stmt(d, report_material_sql);
	int64_t mat_p = 0, mat_n = 0;
	json_t *mat = json_object();
	if (sqlite3_step(st) == SQLITE_ROW) {
		mat_p = sqlite3_column_int64(st, 0);
		mat_n = sqlite3_column_int64(st, 1);
		json_object_set_new(mat, "participation", col_int_or_null(st, 0));
		json_object_set_new(mat, "nda", col_int_or_null(st, 1));
	}
	sqlite3_reset(st);

	json_t *companies = json_array();
	st = db_stmt(d, report_companies_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(o, "name", col_string(st, 1));
		json_object_set_new(o, "track", col_string(st, 2));
		json_object_set_new(o, "status", col_string(st, 3));
		json_object_set_new(o, "group_id", col_int_or_null(st, 4));
		json_object_set_new(o, "participation", held_json(st, 5, mat_p));
		json_object_set_new(o, "nda", held_json(st, 11, mat_n));
		json_array_append_new(companies, o);
	}
	sqlite3_reset(st);

	json_t *users = json_array();
	st = db_stmt(d, report_users_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(o, "name", col_string(st, 1));
		json_object_set_new(o, "email", col_string(st, 2));
		json_object_set_new(o, "role", col_string(st, 3));
		json_object_set_new(o, "status", col_string(st, 4));
		json_object_set_new(o, "company_id", col_int_or_null(st, 5));
		json_object_set_new(o, "company_name", col_string(st, 6));
		json_object_set_new(o, "representative", json_boolean(sqlite3_column_int(st, 7) != 0));
		json_object_set_new(o, "participation", held_json(st, 8, mat_p));
		json_object_set_new(o, "nda", held_json(st, 14, mat_n));
		/* Whether the gate would let them through, asked of the gate itself. */
		struct principal p = {0};
		p.user_id = sqlite3_column_int64(st, 0);
		p.role = role_from_name(db_col_text(st, 3));
		p.company_id = sqlite3_column_int64(st, 5);
		json_t *pending = authz_pending_consents(d, &p);
		json_object_set_new(o, "cleared", json_boolean(json_array_size(pending) == 0));
		json_object_set_new(o, "pending", pending);
		json_array_append_new(users, o);
	}
	sqlite3_reset(st);

	json_t *out = json_object();
	json_object_set_new(out, "current_material", mat);
	json_object_set_new(out, "companies", companies);
	json_object_set_new(out, "users", users);
	return out;
}

void consent_csv_field(struct buf *b, const char *s)
{
	if (!s)
		s = "";
	bool formula = s[0] && strchr("=+-@\t\r", s[0]);
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		buf_puts(b, "\"");
	if (formula)
		buf_puts(b, "'");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_puts(b, "\"\"");
		else
			buf_append(b, p, 1);
	}
	if (quote)
		buf_puts(b, "\"");
}

/* One JSON value as CSV text: strings as they are, integers in decimal, booleans as
 * true/false, null and absent as empty. */
static void csv_value(struct buf *b, json_t *v)
{
	char num[32];
	if (json_is_string(v)) {
		consent_csv_field(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		consent_csv_field(b, num);
	} else if (json_is_boolean(v)) {
		consent_csv_field(b, json_is_true(v) ? "true" : "false");
	}
}

static void csv_held(struct buf *b, json_t *held)
{
	static const char *const cols[] = {"version", "at", "current"};
	for (unsigned i = 0; i < ARRAY_LEN(cols); i++) {
		buf_puts(b, ",");
		csv_value(b, json_object_get(held, cols[i])); /* held may be null: empty fields */
	}
}

/* The report as CSV (RFC 4180, CRLF line ends) after a UTF-8 byte order mark, so that Excel in
 * Japan opens it as UTF-8: a header row, then one row per company and one per user. */
static void report_csv(json_t *rep, struct buf *b)
{
	buf_puts(b, "\xEF\xBB\xBF");
	buf_puts(b, "type,id,name,email,role,status,company_id,company,track,representative,"
		    "participation_version,participation_at,participation_current,"
		    "nda_version,nda_at,nda_current,cleared\r\n");
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(rep, "companies"), i, o)
	{
		buf_puts(b, "company,");
		csv_value(b, json_object_get(o, "id"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "name"));
		buf_puts(b, ",,,"); /* email, role */
		csv_value(b, json_object_get(o, "status"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "id"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "name"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "track"));
		buf_puts(b, ","); /* representative */
		csv_held(b, json_object_get(o, "participation"));
		csv_held(b, json_object_get(o, "nda"));
		buf_puts(b, ",\r\n"); /* cleared: a property of people */
	}
	json_array_foreach(json_object_get(rep, "users"), i, o)
	{
		static const char *const cols[] = {"id",     "name",       "email",       "role",
						   "status", "company_id", "company_name"};
		buf_puts(b, "user");
		for (unsigned c = 0; c < ARRAY_LEN(cols); c++) {
			buf_puts(b, ",");
			csv_value(b, json_object_get(o, cols[c]));
		}
		buf_puts(b, ",,"); /* track */
		csv_value(b, json_object_get(o, "representative"));
		csv_held(b, json_object_get(o, "participation"));
		csv_held(b, json_object_get(o, "nda"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "cleared"));
		buf_puts(b, "\r\n");
	}
}

int consent_report_reply(struct req *r, json_t *(*build)(struct db *d), void (*to_csv)(json_t *rep, struct buf *b),
			 const char *filename)
{
	const char *format = req_query_str(r, "format");
	bool csv = format && strcmp(format, "csv") == 0;
	if (format && !csv && strcmp(format, "json") != 0)
		return req_error(r, 400, "bad_request", "format must be json or csv");
	json_t *rep = build(r->db);
	if (!csv)
		return req_reply(r, 200, rep);
	struct buf b = {0};
	to_csv(rep, &b);
	json_decref(rep);
	r->raw_out = evbuffer_new();
	evbuffer_add(r->raw_out, b.data, b.len);
	buf_free(&b);
	char *disp = xasprintf("attachment; filename=\"%s\"", filename);
	req_header(r, "Content-Type", "text/csv; charset=utf-8");
	req_header(r, "Content-Disposition", disp);
	req_header(r, "Cache-Control", "private, no-store");
	free(disp);
	return 200;
}

/* GET /api/v1/consents/report?format=json|csv — secretariat: every active company (company-scope
 * consent per kind) and every active or invited user (personal consent per kind, whether the gate
 * lets them through, and what it still waits for), each consent as {version, at, current, ...}
 * or null when none is held (never given, or withdrawn). A version older than the current
 * material one is still shown, with current:false, so the secretariat sees who is behind.
 * format=csv: the same as text/csv with a BOM, as the attachment consent-report.csv. */
static int handle_consent_report(struct req *r)
{
	return consent_report_reply(r, report_json, report_csv, "consent-report.csv");
}

const struct route consent_routes[] = {
	ROUTE(POST, "/api/v1/documents", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_consent_publish),
	ROUTE(GET, "/api/v1/documents", ACCESS_SESSION, handle_consent_list_documents),
	ROUTE(GET, "/api/v1/documents/current", ACCESS_SESSION, handle_consent_current),
	ROUTE(GET, "/api/v1/documents/{id}", ACCESS_SESSION, handle_consent_get_document),
	ROUTE(POST, "/api/v1/documents/{id}/accept", ACCESS_SESSION | ACCESS_PARTICIPANT | ACCESS_EXPERT,
	      handle_consent_accept),
	ROUTE(POST, "/api/v1/companies/{id}/consents", ACCESS_SESSION | ACCESS_SECRETARIAT,
	      handle_consent_record),
	ROUTE(GET, "/api/v1/consents/report", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_consent_report,
	      .params = {{"format", PARAM_STR}}),
	ROUTE(GET, "/api/v1/consents", ACCESS_SESSION, handle_consent_list_consents,
	      .params = {{"user_id", PARAM_INT},
			 {"company_id", PARAM_INT},
			 {"before", PARAM_INT},
			 {"limit", PARAM_INT}}),
	ROUTE(GET, "/api/v1/consents/{id}", ACCESS_SESSION, handle_consent_get_consent),
	ROUTE(POST, "/api/v1/consents/{id}/withdraw", ACCESS_SESSION, handle_consent_withdraw),
	{0},
};
