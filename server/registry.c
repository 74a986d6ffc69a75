/* registry.c — the program registry (docs/API.md §3): workshop groups, companies with their derived
 * track, SME eligibility and track capacity, and the assignment of dispatched experts to
 * companies. Everything here is the secretariat's; every change writes an audit entry in the
 * same transaction. Access to content follows assignments live (authz.h reads the table). */
#include "registry.h"

#include "audit.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "router.h"
#include "text.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rules ------------------------------------------------------------------------------ */

const char *registry_track(char division)
{
	/* JSIC (日本標準産業分類) divisions: D 建設業, E 製造業, F 電気・ガス・熱供給・水道業 make
	 * things; G 情報通信業 … P 医療，福祉 and R サービス業（他に分類されないもの）… T serve. Q
	 * (複合サービス事業), A–C (agriculture, forestry, fishing, mining) and anything else are
	 * outside the program. */
	if (division >= 'D' && division <= 'F')
		return "monozukuri";
	if ((division >= 'G' && division <= 'P') || (division >= 'R' && division <= 'T'))
		return "service";
	return NULL;
}

bool registry_is_track(const char *s)
{
	return s && (strcmp(s, "monozukuri") == 0 || strcmp(s, "service") == 0);
}

bool registry_division_ok(const char *s)
{
	return s && strlen(s) == 1 && ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'));
}

struct sme_ceiling {
	const char *cls;
	int64_t capital_yen;
	int64_t employees;
};
/* 中小企業基本法 第2条: capital OR regular employees at or under these figures. */
static const struct sme_ceiling sme_ceilings[] = {
	{"manufacturing_other", 300000000, 300},
	{"wholesale", 100000000, 100},
	{"service", 50000000, 100},
	{"retail", 50000000, 50},
};

int registry_is_sme(const char *sme_class, int64_t capital_yen, int64_t employees)
{
	for (size_t i = 0; sme_class && i < ARRAY_LEN(sme_ceilings); i++)
		if (strcmp(sme_class, sme_ceilings[i].cls) == 0)
			return capital_yen <= sme_ceilings[i].capital_yen ||
			       employees <= sme_ceilings[i].employees;
	return -1;
}

/* ---- helpers ------------------------------------------------------------------------------- */

#define NAME_MAX_BYTES 200

/* A display name: a non-empty string of at most NAME_MAX_BYTES bytes, no control characters,
 * not blank (text_blank). */
static bool name_ok(const char *s)
{
	return text_line_ok(s, NAME_MAX_BYTES);
}

static bool body_has(struct req *r, const char *name)
{
	return r->body && json_object_get(r->body, name) != NULL;
}

static char *target(const char *kind, int64_t id)
{
	return xasprintf("%s:%" PRId64, kind, id);
}

/* Appends an audit entry for the caller; returns 0 or -1. */
static int audit(struct req *r, const char *action, const char *kind, int64_t id, json_t *detail)
{
	char *t = target(kind, id);
	int rc = audit_append(r->db, r->who ? r->who->user_id : 0, action, t, r->ip, detail);
	free(t);
	return rc;
}

/* ---- groups ----------------------------------------------------------------------------------- */

static const char group_insert_sql[] = "INSERT INTO groups (name, created_at) VALUES (:name, :now)";
static const char group_by_name_sql[] = "SELECT id FROM groups WHERE name = :name";
static const char groups_sql[] =
	"SELECT g.id, g.name, g.created_at,"
	" (SELECT count(*) FROM companies c WHERE c.group_id = g.id) FROM groups g ORDER BY g.name, g.id";
static const char group_exists_sql[] = "SELECT count(*) FROM groups WHERE id = :id";

/* POST /api/v1/groups {name} — secretariat: 201 {id, name}; a name in use → 409 name_taken. */
static int handle_registry_group_create(struct req *r)
{
	const char *name = NULL;
	if (req_body_str(r, "name", &name) != 0 || !name_ok(name))
		return req_error(r, 422, "invalid", "name must be a non-empty text of at most %d bytes",
				 NAME_MAX_BYTES);
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, group_by_name_sql);
	db_bind_text(st, ":name", name);
	if (db_one_int64(st, 0) != 0) {
		db_tx_rollback(r->db);
		return req_error(r, 409, "name_taken", "a group with this name exists");
	}
	st = db_stmt(r->db, group_insert_sql);
	db_bind_text(st, ":name", name);
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) < 0)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	json_t *detail = json_pack("{s:s}", "name", name);
	int rc = audit(r, "group.create", "group", id, detail);
	json_decref(detail);
	if (rc < 0 || db_tx_commit(r->db) < 0)
		goto fail;
	return req_reply(r, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "name", name));
fail:
	db_tx_rollback(r->db);
	return req_internal(r, "group insert");
}

/* GET /api/v1/groups — secretariat: {groups:[{id, name, companies, created_at}]} by name. */
static int handle_registry_group_list(struct req *r)
{
	sqlite3_stmt *st = db_stmt(r->db, groups_sql);
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:I,s:s,s:o,s:I}", "id",
						      (json_int_t)sqlite3_column_int64(st, 0), "name",
						      db_col_text(st, 1), "created_at",
						      json_time(sqlite3_column_int64(st, 2)), "companies",
						      (json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "groups", list));
}

/* ---- companies ------------------------------------------------------------------------------- */

#define COMPANY_COLUMNS                                                                                      \
	"c.id, c.name, c.industry, c.sme_class, c.capital_yen, c.employees, c.track, c.status, c.group_id,"  \
	" c.created_at, g.name,"                                                                             \
	" (SELECT count(*) FROM users u WHERE u.company_id = c.id AND u.role = 'participant'"                \
	"   AND u.status IN ('invited','active')),"                                                          \
	" (SELECT json_group_array(ea.expert_id) FROM expert_assignments ea WHERE ea.company_id = c.id)"
static const char company_sql[] =
	"SELECT " COMPANY_COLUMNS
	" FROM companies c LEFT JOIN groups g ON g.id = c.group_id WHERE c.id = :id";
static const char companies_sql[] =
	"SELECT " COMPANY_COLUMNS " FROM companies c LEFT JOIN groups g ON g.id = c.group_id"
	" WHERE (:status IS NULL OR c.status = :status) AND (:track IS NULL OR c.track = :track)"
	" AND (:group IS NULL OR c.group_id = :group) ORDER BY c.id";
static const char company_insert_sql[] =
	"INSERT INTO companies (name, industry, sme_class, capital_yen, employees, track, status, group_id, created_at)"
	" VALUES (:name, :industry, :class, :capital, :employees, :track, 'active', :group, :now)";
static const char track_active_sql[] =
	"SELECT count(*) FROM companies WHERE track = :track AND status = 'active'";
static const char company_state_sql[] =
	"SELECT track, status, coalesce(group_id, 0) FROM companies WHERE id = :id";
static const char company_update_sql[] =
	"UPDATE companies SET name = coalesce(:name, name), status = coalesce(:status, status),"
	" group_id = CASE WHEN :set_group THEN :group ELSE group_id END WHERE id = :id";

static json_t *company_json(sqlite3_stmt *st)
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

/* The company as JSON, or NULL when there is none. */
static json_t *company_load(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, company_sql);
	db_bind_int64(st, ":id", id);
	json_t *c = sqlite3_step(st) == SQLITE_ROW ? company_json(st) : NULL;
	sqlite3_reset(st);
	return c;
}

static bool group_exists(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, group_exists_sql);
	db_bind_int64(st, ":id", id);
	return db_one_int64(st, 0) == 1;
}

static int64_t track_active(struct db *d, const char *track)
{
	sqlite3_stmt *st = db_stmt(d, track_active_sql);
	db_bind_text(st, ":track", track);
	return db_one_int64(st, 0);
}

int registry_company_insert(struct req *r, const struct company_in *in, int64_t *id_out)
{
	char division = (char)(in->industry & ~0x20); /* JSIC letters are upper case; accept either */
	const char *track = registry_track(division);
	if (!track)
		return req_error(r, 422, "industry_not_eligible",
				 "JSIC division %c is not eligible (eligible: D-P, R-T except Q)", division);
	if (registry_is_sme(in->sme_class, in->capital_yen, in->employees) != 1)
		return req_error(r, 422, "not_sme", "over the %s ceilings for both capital and employees",
				 in->sme_class);
	if (in->group_id && !group_exists(r->db, in->group_id))
		return req_error(r, 422, "invalid", "no group %" PRId64, in->group_id);
	if (track_active(r->db, track) >= r->cfg->track_capacity)
		return req_error(r, 409, "track_full", "the %s track already has %d active companies", track,
				 r->cfg->track_capacity);
	char div[2] = {division, 0};
	sqlite3_stmt *st = db_stmt(r->db, company_insert_sql);
	db_bind_text(st, ":name", in->name);
	db_bind_text(st, ":industry", div);
	db_bind_text(st, ":class", in->sme_class);
	db_bind_int64(st, ":capital", in->capital_yen);
	db_bind_int64(st, ":employees", in->employees);
	db_bind_text(st, ":track", track);
	if (in->group_id)
		db_bind_int64(st, ":group", in->group_id);
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	json_t *detail = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "name", in->name, "industry", div,
				   "sme_class", in->sme_class, "track", track, "capital_yen",
				   (json_int_t)in->capital_yen, "employees", (json_int_t)in->employees);
	int rc = audit(r, "company.create", "company", id, detail);
	json_decref(detail);
	if (rc < 0)
		return -1;
	*id_out = id;
	return 0;
}

int64_t registry_track_active(struct db *d, const char *track)
{
	return track_active(d, track);
}

json_t *registry_company_json(struct db *d, int64_t id)
{
	return company_load(d, id);
}

/* POST /api/v1/companies {name, industry, sme_class, capital_yen, employees, group_id?} —
 * secretariat: 201 the company with its derived track and status "active". Checks in order:
 * types and ranges (422 invalid), then the rules of registry_company_insert: the JSIC division
 * (422 industry_not_eligible), SME status (422 not_sme), the group, the track's capacity of
 * active companies (409 track_full). */
static int handle_registry_company_create(struct req *r)
{
	const char *name = NULL, *industry = NULL, *cls = NULL;
	int64_t capital = -1, employees = -1, group = 0;
	if (req_body_str(r, "name", &name) != 0 || !name_ok(name))
		return req_error(r, 422, "invalid", "name must be a non-empty text of at most %d bytes",
				 NAME_MAX_BYTES);
	if (req_body_str(r, "industry", &industry) != 0 || !registry_division_ok(industry))
		return req_error(r, 422, "invalid", "industry must be one JSIC division letter");
	if (req_body_str(r, "sme_class", &cls) != 0 || registry_is_sme(cls, 0, 0) < 0)
		return req_error(r, 422, "invalid",
				 "sme_class must be manufacturing_other, wholesale, service or retail");
	if (req_body_int(r, "capital_yen", &capital) != 0 || capital < 0)
		return req_error(r, 422, "invalid", "capital_yen must be a non-negative integer");
	if (req_body_int(r, "employees", &employees) != 0 || employees < 0)
		return req_error(r, 422, "invalid", "employees must be a non-negative integer");
	int g = req_body_int(r, "group_id", &group);
	if (g < 0 || (g == 0 && group <= 0))
		return req_error(r, 422, "invalid", "group_id must be a group's id");

	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	struct company_in in = {name, *industry, cls, capital, employees, g == 0 ? group : 0};
	int64_t id = 0;
	int rc = registry_company_insert(r, &in, &id);
	if (rc != 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return rc > 0 ? rc : req_internal(r, "company insert");
	}
	json_t *c = company_load(r->db, id);
	return c ? req_reply(r, 201, c) : req_internal(r, "company reload");
}

/* {monozukuri:{filled, capacity, free}, service:{…}}: each track's places, filled by its active
 * companies (the count the capacity check uses), whatever the list's filters. */
static json_t *tracks_json(struct req *r)
{
	static const char *const tracks[] = {"monozukuri", "service"};
	json_t *o = json_object();
	for (size_t i = 0; i < ARRAY_LEN(tracks); i++) {
		int64_t filled = track_active(r->db, tracks[i]), cap = r->cfg->track_capacity;
		json_object_set_new(o, tracks[i],
				    json_pack("{s:I, s:I, s:I}", "filled", (json_int_t)filled, "capacity",
					      (json_int_t)cap, "free", (json_int_t)(filled < cap ? cap - filled : 0)));
	}
	return o;
}

/* GET /api/v1/companies?status=&track=&group_id= — secretariat: {companies:[...], tracks} with
 * the companies by id and tracks as tracks_json. */
static int handle_registry_company_list(struct req *r)
{
	sqlite3_stmt *st = db_stmt(r->db, companies_sql);
	db_bind_text(st, ":status", req_query_str(r, "status"));
	db_bind_text(st, ":track", req_query_str(r, "track"));
	if (req_query_str(r, "group_id"))
		db_bind_int64(st, ":group", req_query_int(r, "group_id", 0));
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, company_json(st));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o, s:o}", "companies", list, "tracks", tracks_json(r)));
}

/* GET /api/v1/companies/{id} — secretariat: the company, or 404. */
static int handle_registry_company_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	json_t *c = company_load(r->db, id);
	return c ? req_reply(r, 200, c) : req_not_found(r);
}

static bool company_status_ok(const char *s)
{
	return strcmp(s, "active") == 0 || strcmp(s, "completed") == 0 || strcmp(s, "withdrawn") == 0;
}

/* PATCH /api/v1/companies/{id} {status?, group_id?, name?} — secretariat: 200 the company.
 * group_id null takes the company out of its group. Making a completed or withdrawn company
 * active again counts against its track's capacity (409 track_full). Withdrawal and completion
 * take effect on the participants' next request (the gate reads the status afresh). */
static int handle_registry_company_update(struct req *r)
{
	int64_t id, group = 0;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	const char *status = NULL, *name = NULL;
	int s = req_body_str(r, "status", &status);
	if (s < 0 || (s == 0 && !company_status_ok(status)))
		return req_error(r, 422, "invalid", "status must be active, completed or withdrawn");
	int n = req_body_str(r, "name", &name);
	if (n < 0 || (n == 0 && !name_ok(name)))
		return req_error(r, 422, "invalid", "name must be a non-empty text of at most %d bytes",
				 NAME_MAX_BYTES);
	bool set_group = body_has(r, "group_id");
	int g = req_body_int(r, "group_id", &group);
	if (g < 0 || (g == 0 && group <= 0))
		return req_error(r, 422, "invalid", "group_id must be a group's id or null");
	if (s != 0 && n != 0 && !set_group)
		return req_error(r, 422, "invalid", "nothing to change: give status, group_id or name");

	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	int rc;
	sqlite3_stmt *st = db_stmt(r->db, company_state_sql);
	db_bind_int64(st, ":id", id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_tx_rollback(r->db);
		return req_not_found(r);
	}
	char *track = db_col_dup(st, 0), *old_status = db_col_dup(st, 1);
	int64_t old_group = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	if (g == 0 && !group_exists(r->db, group)) {
		rc = req_error(r, 422, "invalid", "no group %" PRId64, group);
		goto rollback;
	}
	if (s == 0 && strcmp(status, "active") == 0 && strcmp(old_status, "active") != 0 &&
	    track_active(r->db, track) >= r->cfg->track_capacity) {
		rc = req_error(r, 409, "track_full", "the %s track already has %d active companies", track,
			       r->cfg->track_capacity);
		goto rollback;
	}
	st = db_stmt(r->db, company_update_sql);
	db_bind_int64(st, ":id", id);
	db_bind_text(st, ":status", s == 0 ? status : NULL);
	db_bind_text(st, ":name", n == 0 ? name : NULL);
	db_bind_int64(st, ":set_group", set_group);
	if (g == 0)
		db_bind_int64(st, ":group", group);
	if (db_exec_stmt(r->db, st) < 0) {
		rc = req_internal(r, "company update");
		goto rollback;
	}
	json_t *detail = json_object();
	if (s == 0)
		json_object_set_new(detail, "status",
				    json_pack("{s:s,s:s}", "from", old_status, "to", status));
	if (set_group)
		json_object_set_new(detail, "group_id",
				    json_pack("{s:o,s:o}", "from",
					      old_group ? json_integer(old_group) : json_null(), "to",
					      g == 0 ? json_integer(group) : json_null()));
	if (n == 0)
		json_object_set_new(detail, "name", json_string(name));
	int arc = audit(r, "company.update", "company", id, detail);
	json_decref(detail);
	events_publish_access(r->db, 0, id); /* withdrawal, group change: its users' streams */
	if (arc < 0 || db_tx_commit(r->db) < 0) {
		rc = req_internal(r, "company update");
		goto rollback;
	}
	free(track);
	free(old_status);
	json_t *c = company_load(r->db, id);
	return c ? req_reply(r, 200, c) : req_internal(r, "company reload");
rollback:
	db_tx_rollback(r->db);
	free(track);
	free(old_status);
	return rc;
}

/* ---- experts ---------------------------------------------------------------------------------- */

static const char company_exists_sql[] = "SELECT count(*) FROM companies WHERE id = :id";
static const char is_expert_sql[] = "SELECT count(*) FROM users WHERE id = :id AND role = 'expert'";
static const char assign_sql[] =
	"INSERT INTO expert_assignments (expert_id, company_id, created_at) VALUES (:expert, :company, :now)";
static const char unassign_sql[] =
	"DELETE FROM expert_assignments WHERE expert_id = :expert AND company_id = :company";
static const char company_experts_sql[] =
	"SELECT u.id, u.name, u.specialties, u.status, ea.created_at FROM expert_assignments ea"
	" JOIN users u ON u.id = ea.expert_id WHERE ea.company_id = :company ORDER BY ea.created_at, u.id";
/* Experts that are not suspended: those with the tag among their specialties first (compared
 * without regard to ASCII case), then the least busy (fewest escalations still waiting for
 * their answer), then by name. */
static const char experts_sql[] =
	"SELECT u.id, u.name, u.specialties, u.status,"
	" (SELECT count(*) FROM escalations e WHERE e.expert_id = u.id AND e.state = 'assigned') AS open,"
	" (:tag IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(u.specialties) j"
	"   WHERE j.type = 'text' AND lower(j.value) = lower(:tag))) AS matches"
	" FROM users u WHERE u.role = 'expert' AND u.status != 'suspended'"
	" ORDER BY matches DESC, open, u.name, u.id";

static json_t *specialties_json(const char *text)
{
	json_t *s = json_loads(text, 0, NULL);
	if (!json_is_array(s)) {
		json_decref(s);
		s = json_array();
	}
	return s;
}

static bool company_exists(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, company_exists_sql);
	db_bind_int64(st, ":id", id);
	return db_one_int64(st, 0) == 1;
}

/* POST /api/v1/companies/{id}/experts {expert_id} — secretariat: 201 {company_id, expert_id};
 * 404 when the company does not exist or expert_id is not an expert; 409 already_assigned. */
static int handle_registry_assign(struct req *r)
{
	int64_t company, expert = 0;
	if (req_path_id(r, 0, &company) < 0)
		return req_not_found(r);
	if (req_body_int(r, "expert_id", &expert) != 0 || expert <= 0)
		return req_error(r, 422, "invalid", "expert_id must be a user id");
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	int rc;
	sqlite3_stmt *st = db_stmt(r->db, is_expert_sql);
	db_bind_int64(st, ":id", expert);
	if (!company_exists(r->db, company) || db_one_int64(st, 0) != 1) {
		rc = req_not_found(r);
		goto rollback;
	}
	int64_t now = now_unix();
	st = db_stmt(r->db, assign_sql);
	db_bind_int64(st, ":expert", expert);
	db_bind_int64(st, ":company", company);
	db_bind_int64(st, ":now", now);
	int x = db_exec_stmt(r->db, st);
	if (x == -2) {
		rc = req_error(r, 409, "already_assigned", "the expert is already assigned to this company");
		goto rollback;
	}
	json_t *detail = json_pack("{s:I}", "expert_id", (json_int_t)expert);
	int arc = x < 0 ? -1 : audit(r, "expert.assign", "company", company, detail);
	json_decref(detail);
	if (arc < 0 || db_tx_commit(r->db) < 0) {
		rc = req_internal(r, "assign");
		goto rollback;
	}
	return req_reply(r, 201,
			 json_pack("{s:I,s:I,s:o}", "company_id", (json_int_t)company, "expert_id",
				   (json_int_t)expert, "created_at", json_time(now)));
rollback:
	db_tx_rollback(r->db);
	return rc;
}

/* DELETE /api/v1/companies/{id}/experts/{expert_id} — secretariat: 204; 404 when there is no
 * such assignment. The expert loses access to the company's threads with the next query, as
 * the visibility rule reads assignments live. */
static int handle_registry_unassign(struct req *r)
{
	int64_t company, expert;
	if (req_path_id(r, 0, &company) < 0 || req_path_id(r, 1, &expert) < 0)
		return req_not_found(r);
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, unassign_sql);
	db_bind_int64(st, ":expert", expert);
	db_bind_int64(st, ":company", company);
	if (db_exec_stmt(r->db, st) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "unassign");
	}
	if (sqlite3_changes(db_handle(r->db)) == 0) {
		db_tx_rollback(r->db);
		return req_not_found(r);
	}
	json_t *detail = json_pack("{s:I}", "expert_id", (json_int_t)expert);
	int arc = audit(r, "expert.unassign", "company", company, detail);
	json_decref(detail);
	events_publish_access(r->db, expert, 0);
	if (arc < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "unassign");
	}
	return 204;
}

/* GET /api/v1/companies/{id}/experts — secretariat: {experts:[{id, name, specialties, status,
 * assigned_at}]}, the experts dispatched to the company. */
static int handle_registry_company_experts(struct req *r)
{
	int64_t company;
	if (req_path_id(r, 0, &company) < 0 || !company_exists(r->db, company))
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, company_experts_sql);
	db_bind_int64(st, ":company", company);
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:I,s:s,s:o,s:s,s:o}", "id",
						      (json_int_t)sqlite3_column_int64(st, 0), "name",
						      db_col_text(st, 1), "specialties",
						      specialties_json(db_col_text(st, 2)), "status",
						      db_col_text(st, 3), "assigned_at",
						      json_time(sqlite3_column_int64(st, 4))));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "experts", list));
}

/* GET /api/v1/experts?tag= — secretariat: {experts:[{id, name, specialties, status,
 * open_escalations, matches}]}: whom to escalate to. Experts with the tag come first, then the
 * least busy; open_escalations counts escalations still in state assigned. */
static int handle_registry_experts(struct req *r)
{
	sqlite3_stmt *st = db_stmt(r->db, experts_sql);
	db_bind_text(st, ":tag", req_query_str(r, "tag"));
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:I,s:s,s:o,s:s,s:I,s:b}", "id",
						      (json_int_t)sqlite3_column_int64(st, 0), "name",
						      db_col_text(st, 1), "specialties",
						      specialties_json(db_col_text(st, 2)), "status",
						      db_col_text(st, 3), "open_escalations",
						      (json_int_t)sqlite3_column_int64(st, 4), "matches",
						      sqlite3_column_int(st, 5) != 0));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "experts", list));
}

#define SECRETARIAT (ACCESS_SESSION | ACCESS_SECRETARIAT)

const struct route registry_routes[] = {
	ROUTE(POST, "/api/v1/groups", SECRETARIAT, handle_registry_group_create),
	ROUTE(GET, "/api/v1/groups", SECRETARIAT, handle_registry_group_list),
	ROUTE(POST, "/api/v1/companies", SECRETARIAT, handle_registry_company_create),
	ROUTE(GET, "/api/v1/companies", SECRETARIAT, handle_registry_company_list,
	      .params = {{"status", PARAM_STR}, {"track", PARAM_STR}, {"group_id", PARAM_INT}}),
	ROUTE(GET, "/api/v1/companies/{id}", SECRETARIAT, handle_registry_company_get),
	ROUTE(PATCH, "/api/v1/companies/{id}", SECRETARIAT, handle_registry_company_update),
	ROUTE(GET, "/api/v1/companies/{id}/experts", SECRETARIAT, handle_registry_company_experts),
	ROUTE(POST, "/api/v1/companies/{id}/experts", SECRETARIAT, handle_registry_assign),
	ROUTE(DELETE, "/api/v1/companies/{id}/experts/{expert_id}", SECRETARIAT, handle_registry_unassign),
	ROUTE(GET, "/api/v1/experts", SECRETARIAT, handle_registry_experts, .params = {{"tag", PARAM_STR}}),
	{0},
};
