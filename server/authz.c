/* authz.c — the single place where access is decided: route capabilities, company status, the
 * consent gate of docs/API.md §4, and the thread visibility rule of §5 (whose SQL text lives in
 * authz.h so that list, count and search queries embed the very same condition). */
#include "authz.h"

#include "cache.h"
#include "db.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {
	[ROLE_NONE] = "",
	[ROLE_PARTICIPANT] = "participant",
	[ROLE_EXPERT] = "expert",
	[ROLE_SECRETARIAT] = "secretariat",
};

const char *role_name(enum role r)
{
	return (unsigned)r < ARRAY_LEN(role_names) ? role_names[r] : "";
}

enum role role_from_name(const char *s)
{
	for (unsigned i = 1; s && i < ARRAY_LEN(role_names); i++)
		if (strcmp(s, role_names[i]) == 0)
			return (enum role)i;
	return ROLE_NONE;
}

bool authz_is_secretariat(const struct principal *p)
{
	return p && p->role == ROLE_SECRETARIAT;
}

bool authz_is_expert(const struct principal *p)
{
	return p && p->role == ROLE_EXPERT;
}

bool authz_is_participant(const struct principal *p)
{
	return p && p->role == ROLE_PARTICIPANT;
}

bool authz_is_staff(const struct principal *p)
{
	return authz_is_secretariat(p) || authz_is_expert(p);
}

/* The ACCESS_* role bit that admits role r to a route; 0 for ROLE_NONE. */
static unsigned role_bit(enum role r)
{
	switch (r) {
	case ROLE_PARTICIPANT: return ACCESS_PARTICIPANT;
	case ROLE_EXPERT: return ACCESS_EXPERT;
	case ROLE_SECRETARIAT: return ACCESS_SECRETARIAT;
	default: return 0;
	}
}

enum access_result authz_check_role(const struct principal *p, unsigned need)
{
	if (need & ACCESS_PUBLIC)
		return ACCESS_OK;
	if (!p)
		return ACCESS_DENIED_UNAUTHENTICATED;
	if ((need & ACCESS_ROLE_MASK) && !(need & role_bit(p->role)))
		return ACCESS_DENIED_ROLE;
	if (p->totp_setup_required && (need & (ACCESS_CONTENT | ACCESS_WRITE | ACCESS_ROLE_MASK)))
		return ACCESS_DENIED_TOTP_SETUP;
	return ACCESS_OK;
}

/* Per kind: the newest document (what to accept), the current material version (what counts),
 * and the version held by the latest personal and company act (-1 after a withdrawal). */
static const char gate_sql[] =
	"SELECT k.kind,"
	" (SELECT id FROM documents d WHERE d.kind = k.kind ORDER BY version DESC LIMIT 1),"
	" (SELECT version FROM documents d WHERE d.kind = k.kind ORDER BY version DESC LIMIT 1),"
	" (SELECT max(version) FROM documents d WHERE d.kind = k.kind AND material = 1),"
	" (SELECT CASE WHEN action = 'withdraw' THEN -1 ELSE version END FROM consents c"
	"   WHERE c.scope = 'personal' AND c.user_id = :uid AND c.kind = k.kind ORDER BY c.id DESC LIMIT 1),"
	" (SELECT CASE WHEN action = 'withdraw' THEN -1 ELSE version END FROM consents c"
	"   WHERE c.scope = 'company' AND c.company_id = :cid AND c.kind = k.kind ORDER BY c.id DESC LIMIT 1)"
	" , (SELECT value FROM epochs WHERE name = 'gate')"
	" FROM (SELECT 'participation' AS kind UNION ALL SELECT 'nda') k";
static const char gate_epoch_sql[] = "SELECT value FROM epochs WHERE name = 'gate'";

/* Appends to arr the pending consent {document_id, kind, version, scope} of gate_sql's current row
 * (the kind's newest document). */
static void add_pending(json_t *arr, sqlite3_stmt *st, const char *scope)
{
	json_t *o = json_object();
	json_object_set_new(o, "document_id", json_integer(sqlite3_column_int64(st, 1)));
	json_object_set_new(o, "kind", json_string(db_col_text(st, 0)));
	json_object_set_new(o, "version", json_integer(sqlite3_column_int64(st, 2)));
	json_object_set_new(o, "scope", json_string(scope));
	json_array_append_new(arr, o);
}

/* gate_sql's column col (the version held by the latest act, -1 after a withdrawal) is at least
 * the current material version cur. */
static bool held_current(sqlite3_stmt *st, int col, int64_t cur)
{
	return sqlite3_column_type(st, col) != SQLITE_NULL && sqlite3_column_int64(st, col) >= cur;
}

/* authz_pending_consents' answer through the gate epoch (below), without the faster layer. */
static json_t *pending_by_gate_epoch(struct db *d, const struct principal *p)
{
	/* The verdict changes only with a document or a consent, which move the gate epoch
	 * (schema/011_gate_epoch.sql): cached per (user, company, role) for that epoch, stored under
	 * the epoch the query itself read. Not while this request's writes are uncommitted. */
	size_t len;
	/* INT64_MIN when the epoch cannot be read: then nothing is looked up (0 is the epoch of a
	 * database whose documents and consents never changed, so a failed read must not be 0). */
	int64_t at = db_routed(d) ? INT64_MIN : db_one_int64(db_stmt(d, gate_epoch_sql), INT64_MIN);
	bool cacheable = at != INT64_MIN;
	if (cacheable) {
		const char *cached = cache_get_at(CACHE_GATE, p->user_id, p->company_id, (int64_t)p->role, at, &len);
		if (cached) {
			json_t *j = len == 2 ? NULL : json_loadb(cached, len, 0, NULL);
			return j ? j : json_array();
		}
	}
	json_t *pending = json_array();
	sqlite3_stmt *st = db_stmt(d, gate_sql);
	db_bind_int64(st, ":uid", p->user_id);
	db_bind_int64(st, ":cid", p->company_id);
	int64_t seen_at = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		seen_at = sqlite3_column_int64(st, 6);
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			continue; /* no material version of this kind published yet */
		int64_t cur = sqlite3_column_int64(st, 3);
		bool is_nda = strcmp(db_col_text(st, 0), "nda") == 0;
		bool personal_ok = held_current(st, 4, cur);
		bool company_ok = held_current(st, 5, cur);
		if (p->role == ROLE_EXPERT) {
			/* An expert needs a personal acceptance of the current NDA only. */
			if (is_nda && !personal_ok)
				add_pending(pending, st, "personal");
			continue;
		}
		if (!personal_ok)
			add_pending(pending, st, "personal");
		if (!company_ok)
			add_pending(pending, st, "company");
	}
	sqlite3_reset(st);
	if (cacheable) {
		char *text = json_dumps(pending, JSON_COMPACT);
		cache_put_at(CACHE_GATE, p->user_id, p->company_id, (int64_t)p->role, seen_at, text, strlen(text));
		free(text);
	}
	return pending;
}

json_t *authz_pending_consents(struct db *d, const struct principal *p)
{
	if (!p || p->role == ROLE_SECRETARIAT)
		return json_array();
	/* Faster still, within one database epoch (cache.c: no commit by anyone since), the verdict
	 * found for this (user, company, role) is what the gate epoch's lookup would find: kept for
	 * that epoch without reading the gate epoch. Only inside the request's read transaction. */
	size_t len;
	bool now = cache_epoch_current(d);
	const char *hit = now ? cache_get(d, CACHE_GATE_NOW, p->user_id, p->company_id, (int64_t)p->role, &len) : NULL;
	if (hit) {
		json_t *j = len == 2 ? NULL : json_loadb(hit, len, 0, NULL);
		return j ? j : json_array();
	}
	json_t *pending = pending_by_gate_epoch(d, p);
	if (now) {
		char *text = json_dumps(pending, JSON_COMPACT);
		cache_put(d, CACHE_GATE_NOW, p->user_id, p->company_id, (int64_t)p->role, text, strlen(text));
		free(text);
	}
	return pending;
}

enum access_result authz_check_gate(struct db *d, const struct principal *p, unsigned need, json_t **pending)
{
	if (!(need & (ACCESS_CONTENT | ACCESS_WRITE)) || !p || p->role == ROLE_SECRETARIAT)
		return ACCESS_OK;
	if (p->role == ROLE_PARTICIPANT) {
		if (strcmp(p->company_status, "withdrawn") == 0)
			return ACCESS_DENIED_INACTIVE;
		if ((need & ACCESS_WRITE) && strcmp(p->company_status, "completed") == 0)
			return ACCESS_DENIED_READ_ONLY;
	}
	json_t *list = authz_pending_consents(d, p);
	if (json_array_size(list) > 0) {
		*pending = list;
		return ACCESS_DENIED_CONSENT;
	}
	json_decref(list);
	return ACCESS_OK;
}

enum access_result authz_check_content(struct db *d, const struct principal *p, unsigned need, json_t **pending)
{
	enum access_result ar = authz_check_role(p, need);
	if (ar != ACCESS_OK)
		return ar;
	json_t *list = NULL;
	ar = authz_check_gate(d, p, need, &list);
	if (pending)
		*pending = list;
	else
		json_decref(list);
	return ar;
}

void authz_bind(sqlite3_stmt *st, const struct principal *p)
{
	/* The ones st has: AUTHZ_THREAD_VISIBLE uses all four, other statements only :p_uid. */
	db_bind_int64_opt(st, ":p_uid", p ? p->user_id : 0);
	db_bind_text_opt(st, ":p_role", p ? role_name(p->role) : "");
	db_bind_int64_opt(st, ":p_company", p ? p->company_id : 0);
	db_bind_int64_opt(st, ":p_group", p ? p->group_id : 0);
}

static const char can_read_sql[] = "SELECT 1 FROM threads t WHERE t.id = :id AND " AUTHZ_THREAD_VISIBLE;

bool authz_can_read_thread(struct db *d, const struct principal *p, int64_t thread_id)
{
	if (!p)
		return false;
	sqlite3_stmt *st = db_stmt(d, can_read_sql);
	db_bind_int64(st, ":id", thread_id);
	authz_bind(st, p);
	return db_one_int64(st, 0) == 1;
}

static const char locked_sql[] = "SELECT t.locked FROM threads t WHERE t.id = :id AND " AUTHZ_THREAD_VISIBLE;

/* -1 unreadable, 1 locked, 0 writable (authz.h). */
int authz_thread_locked(struct db *d, const struct principal *p, int64_t thread_id)
{
	if (!p)
		return -1;
	sqlite3_stmt *st = db_stmt(d, locked_sql);
	db_bind_int64(st, ":id", thread_id);
	authz_bind(st, p);
	int64_t locked = db_one_int64(st, -1);
	return locked < 0 ? -1 : locked != 0;
}

static const char can_read_company_sql[] =
	"SELECT 1 FROM companies c WHERE c.id = :id AND " AUTHZ_COMPANY_VISIBLE("c.id");
static const char can_read_visit_sql[] = "SELECT 1 FROM visits v WHERE v.id = :id AND " AUTHZ_VISIT_VISIBLE;
static const char can_read_case_sql[] = "SELECT 1 FROM cases k WHERE k.id = :id AND " AUTHZ_CASE_VISIBLE;

/* True when p may read row id of sql, a `SELECT 1 ... WHERE x.id = :id AND <visibility rule>` bound
 * with authz_bind; false also when the row does not exist or p is NULL. */
static bool can_read(struct db *d, const struct principal *p, const char *sql, int64_t id)
{
	if (!p)
		return false;
	sqlite3_stmt *st = db_stmt(d, sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, p);
	return db_one_int64(st, 0) == 1;
}

bool authz_can_read_company(struct db *d, const struct principal *p, int64_t company_id)
{
	return can_read(d, p, can_read_company_sql, company_id);
}

bool authz_can_read_visit(struct db *d, const struct principal *p, int64_t visit_id)
{
	return can_read(d, p, can_read_visit_sql, visit_id);
}

bool authz_can_read_case(struct db *d, const struct principal *p, int64_t case_id)
{
	return can_read(d, p, can_read_case_sql, case_id);
}

/* True when p is a representative participant of company_id (authz.h). */
bool authz_is_company_representative(const struct principal *p, int64_t company_id)
{
	return p && p->role == ROLE_PARTICIPANT && p->representative && company_id && p->company_id == company_id;
}

/* True when company_id's consent to kind holds the current material version (authz.h). */
bool authz_company_consent_in_effect(struct db *d, int64_t company_id, const char *kind)
{
	/* gate_sql's company column for this company, with no user: the gate's own verdict. */
	sqlite3_stmt *st = db_stmt(d, gate_sql);
	db_bind_int64(st, ":uid", 0);
	db_bind_int64(st, ":cid", company_id);
	bool ok = false;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (strcmp(db_col_text(st, 0), kind) != 0 || sqlite3_column_type(st, 3) == SQLITE_NULL)
			continue;
		int64_t cur = sqlite3_column_int64(st, 3);
		ok = held_current(st, 5, cur);
	}
	sqlite3_reset(st);
	return ok;
}

static const char principal_sql[] = "SELECT " AUTHZ_PRINCIPAL_COLUMNS
				    " FROM users u LEFT JOIN companies c ON c.id = u.company_id"
				    " WHERE u.id = :id AND " AUTHZ_USER_ACTIVE;

/* Fills p from st's AUTHZ_PRINCIPAL_COLUMNS at col (authz.h); free it with principal_clear. */
int authz_principal_fill(sqlite3_stmt *st, int col, struct principal *p)
{
	memset(p, 0, sizeof *p);
	p->user_id = sqlite3_column_int64(st, col);
	p->role = role_from_name(db_col_text(st, col + 1));
	p->company_id = sqlite3_column_int64(st, col + 2);
	p->group_id = sqlite3_column_int64(st, col + 3);
	snprintf(p->company_status, sizeof p->company_status, "%s", db_col_text(st, col + 4));
	p->representative = sqlite3_column_int(st, col + 5) != 0;
	p->name = db_col_dup(st, col + 6);
	p->email = db_col_dup(st, col + 7);
	p->totp_setup_required = sqlite3_column_int(st, col + 8) != 0;
	return 0;
}

/* Loads active user user_id's principal into *p (authz.h). Returns 0 or -1. */
int authz_principal_load(struct db *d, int64_t user_id, struct principal *p)
{
	sqlite3_stmt *st = db_stmt(d, principal_sql);
	db_bind_int64(st, ":id", user_id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = authz_principal_fill(st, 0, p);
	sqlite3_reset(st);
	return rc;
}

void principal_clear(struct principal *p)
{
	free(p->name);
	free(p->email);
	memset(p, 0, sizeof *p);
}
