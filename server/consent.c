/* consent.c — consent records (docs/API.md §4): the append-only record of acceptances (personal,
 * and for the company by its representative), the secretariat's records of consents given on
 * paper, withdrawals, and reading them. Routes: POST /api/v1/documents/{id}/accept, POST
 * /api/v1/companies/{id}/consents, GET /api/v1/consents, GET /api/v1/consents/{id}, POST
 * /api/v1/consents/{id}/withdraw. The gate that reads these rows is authz_pending_consents
 * (authz.c); the documents are document.c's, the report consent_report.c's. */
#include "consent.h"

#include "audit.h"
#include "authz.h"
#include "case.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "router.h"
#include "text.h"
#include "util.h"
#include "view.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define METHOD_MAX_BYTES 64
#define REFERENCE_MAX_BYTES 1000
#define USER_AGENT_MAX_BYTES 512
#define LIST_DEFAULT 100
#define LIST_MAX 1000

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

/* Column col as a string, "" for NULL (consent.h). */
json_t *consent_col_text(sqlite3_stmt *st, int col)
{
	json_t *s = json_string(db_col_text(st, col));
	return s ? s : json_string("");
}


/* A consent row as the API shows it. full=false leaves out the client address and User-Agent
 * (a company-scope record someone else made, shown to a participant of that company). */
static json_t *consent_json(sqlite3_stmt *st, bool full)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, CC_ID)));
	json_object_set_new(o, "action", consent_col_text(st, CC_ACTION));
	json_object_set_new(o, "scope", consent_col_text(st, CC_SCOPE));
	json_object_set_new(o, "kind", consent_col_text(st, CC_KIND));
	json_object_set_new(o, "user_id", view_col_int(st, CC_USER_ID));
	json_object_set_new(o, "company_id", view_col_int(st, CC_COMPANY_ID));
	json_object_set_new(o, "document_id", json_integer(sqlite3_column_int64(st, CC_DOCUMENT_ID)));
	json_object_set_new(o, "version", json_integer(sqlite3_column_int64(st, CC_VERSION)));
	json_object_set_new(o, "sha256", consent_col_text(st, CC_SHA256));
	json_object_set_new(o, "method", consent_col_text(st, CC_METHOD));
	json_object_set_new(o, "reference", consent_col_text(st, CC_REFERENCE));
	json_object_set_new(o, "withdraws_id", view_col_int(st, CC_WITHDRAWS_ID));
	json_object_set_new(o, "actor_id", view_col_int(st, CC_ACTOR_ID));
	json_object_set_new(o, "at", json_time(sqlite3_column_int64(st, CC_AT)));
	if (full) {
		json_object_set_new(o, "ip", consent_col_text(st, CC_IP));
		json_object_set_new(o, "user_agent", consent_col_text(st, CC_USER_AGENT));
	}
	json_object_set_new(o, "in_effect", json_boolean(sqlite3_column_int(st, CC_IN_EFFECT) != 0));
	json_object_set_new(o, "current", json_boolean(sqlite3_column_int(st, CC_CURRENT) != 0));
	return o;
}

/* Consent record id as JSON (whole), or NULL when there is none. */
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

/* Binds v to name, or NULL for 0. */
static void bind_id_or_null(sqlite3_stmt *st, const char *name, int64_t v)
{
	if (v)
		db_bind_int64(st, name, v);
	else
		db_bind_null(st, name);
}

/* Appends act a as a consent row made by the caller from their address and browser, with the
 * audit entry audit_action (on consent:ID), inside the caller's transaction. Sets *id.
 * Returns 0 or -1. */
static int act_append(struct req *r, const struct act *a, const char *audit_action, int64_t *id)
{
	assert(db_in_write_tx(r->db));
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
	rc = audit_append_on(r->db, r->who->user_id, audit_action, "consent", *id, r->ip, detail);
	json_decref(detail);
	return rc;
}

/* Answers 409 document_changed for d, naming the version to accept instead. */
static int document_changed(struct req *r, const struct consent_doc *d, const char *why)
{
	json_decref(r->err_extra);
	r->err_extra = json_pack("{s:I}", "current_document_id", (json_int_t)d->latest_id);
	return req_error(r, 409, "document_changed", "%s", why);
}

/* The version rule shared by accepting and recording: a version older than the current
 * material one no longer counts, so storing it would only confuse. Returns 0 or the 409. */
static int check_version(struct req *r, const struct consent_doc *d)
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
	const char *sha = req_field_str(r, "sha256");
	bool on_behalf = req_field_bool(r, "on_behalf_of_company", false);
	/* The document is read inside the transaction: a material version published meanwhile
	 * must not let an older one be accepted. */
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	struct consent_doc d;
	if (consent_doc_load(r->db, doc_id, &d) < 0)
		return req_not_found(r);
	if (on_behalf && !(authz_is_participant(r->who) && r->who->representative))
		return req_error(r, 403, "forbidden", "only your company's representative may accept for the company");
	if (strcasecmp(sha, d.sha256) != 0)
		return document_changed(r, &d, "the text you read is not this version's");
	int status = check_version(r, &d);
	if (status)
		return status;
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
	if (act_append(r, &a, "consent.accept", &personal_id) < 0)
		return req_internal(r, "accept");
	if (on_behalf) {
		a.scope = "company";
		if (act_append(r, &a, "consent.accept", &company_id) < 0)
			return req_internal(r, "accept for company");
	}
	json_t *out = consent_json_by_id(r->db, personal_id);
	if (!out)
		return req_internal(r, "reload");
	if (company_id)
		json_object_set_new(out, "company_record", consent_json_by_id(r->db, company_id));
	return req_reply(r, 201, out);
}

/* POST /api/v1/companies/{id}/consents {document_id, method, reference?} — secretariat: records a
 * company consent received outside the system (method e.g. "paper", reference e.g. the filing
 * number). 201 the record; 404 no such company; 422 invalid (no such document, empty method);
 * 409 document_changed for a version older than the current material one. */
static int handle_consent_record(struct req *r)
{
	int64_t company_id, doc_id = req_field_int(r, "document_id", 0);
	if (req_path_id(r, 0, &company_id) < 0)
		return req_not_found(r);
	const char *method = req_field_str(r, "method"), *reference = req_field_str(r, "reference");
	if (req_tx(r) < 0) /* the document's version is checked against what is current when it is stored */
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, company_exists_sql);
	db_bind_int64(st, ":id", company_id);
	if (db_one_int64(st, 0) != 1)
		return req_not_found(r);
	struct consent_doc d;
	if (consent_doc_load(r->db, doc_id, &d) < 0)
		return req_error(r, 422, "invalid", "no document %" PRId64, doc_id);
	int status = check_version(r, &d);
	if (status)
		return status;
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
	if (act_append(r, &a, "consent.record", &id) < 0)
		return req_internal(r, "record");
	json_t *out = consent_json_by_id(r->db, id);
	return out ? req_reply(r, 201, out) : req_internal(r, "reload");
}

/* What a caller may do with a consent row: see it whole, see it without address and browser
 * (their company's consent given by someone else), or not at all. */
enum consent_view { VIEW_NONE, VIEW_PARTIAL, VIEW_FULL };

/* How much of the consent row st principal p may see. */
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
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	const char *reason = req_field_str(r, "reason");
	if (req_tx(r) < 0) /* whether the record is still in effect is read under the writer's lock */
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, consent_by_id_sql);
	db_bind_int64(st, ":id", id);
	if (sqlite3_step(st) != SQLITE_ROW || consent_view(r->who, st) != VIEW_FULL) {
		sqlite3_reset(st);
		return req_not_found(r);
	}
	if (!sqlite3_column_int(st, CC_IN_EFFECT)) {
		sqlite3_reset(st);
		return req_error(r, 409, "not_in_effect", "this record was already withdrawn or replaced by a later one");
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
	if (act_append(r, &a, "consent.withdraw", &wid) < 0)
		return req_internal(r, "withdraw");
	json_t *out = consent_json_by_id(r->db, wid);
	return out ? req_reply(r, 200, out) : req_internal(r, "reload");
}

/* GET /api/v1/consents/{id} — the record's subject, a participant of the company a company
 * consent is about (without address and browser), or the secretariat; 404 otherwise. */
static int handle_consent_get(struct req *r)
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
static int handle_consent_list(struct req *r)
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

const struct route consent_routes[] = {
	ROUTE(POST, "/api/v1/documents/{id}/accept", ACCESS_SESSION | ACCESS_PARTICIPANT | ACCESS_EXPERT,
	      handle_consent_accept,
	      .body = {{"sha256", BODY_STR, BODY_REQUIRED}, {"on_behalf_of_company", BODY_BOOL, 0}}),
	ROUTE(POST, "/api/v1/companies/{id}/consents", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_consent_record,
	      .body = {{"document_id", BODY_INT, BODY_REQUIRED | BODY_POSITIVE},
		       {"method", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK, METHOD_MAX_BYTES},
		       {"reference", BODY_STR, 0, REFERENCE_MAX_BYTES}}),
	ROUTE(GET, "/api/v1/consents", ACCESS_SESSION, handle_consent_list,
	      .params = {{"user_id", PARAM_INT},
			 {"company_id", PARAM_INT},
			 {"before", PARAM_INT},
			 {"limit", PARAM_INT}}),
	ROUTE(GET, "/api/v1/consents/{id}", ACCESS_SESSION, handle_consent_get),
	ROUTE(POST, "/api/v1/consents/{id}/withdraw", ACCESS_SESSION, handle_consent_withdraw,
	      .body = {{"reason", BODY_STR, 0, REFERENCE_MAX_BYTES}}),
	{0},
};
