/* registry.c — the program registry (docs/API.md §3): workshop groups, companies with their derived
 * track, SME eligibility and track capacity, and the assignment of dispatched experts to
 * companies. Everything here is the secretariat's; every change writes an audit entry in the
 * same transaction. Access to content follows assignments live (authz.h reads the table).
 * Routes: /api/v1/groups, /api/v1/companies[/{id}], /api/v1/companies/{id}/experts[/{expert_id}],
 * /api/v1/experts. A company's JSON is view_company_row / view_company_json (view.c). */
#include "registry.h"

#include "audit.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "router.h"
#include "view.h"
#include "util.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rules ------------------------------------------------------------------------------ */

/* The track of JSIC division `division`, or NULL (registry.h). */
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

/* True when s names a track (registry.h). */
bool registry_is_track(const char *s)
{
	return s && (strcmp(s, "monozukuri") == 0 || strcmp(s, "service") == 0);
}

/* True when s is one JSIC division letter (registry.h). */
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

/* 1 SME, 0 not, -1 unknown class (registry.h). */
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

/* Appends an audit entry on kind:id for the caller inside their write transaction; takes
 * detail's reference. Returns 0 or -1. */
static int audit(struct req *r, const char *action, const char *kind, int64_t id, json_t *detail)
{
	int rc = audit_append_on(r->db, r->who ? r->who->user_id : 0, action, kind, id, r->ip, detail);
	json_decref(detail);
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
static int handle_group_create(struct req *r)
{
	const char *name = req_field_str(r, "name");
	if (req_tx(r) < 0) /* before the name check, so two requests cannot both find it free */
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, group_by_name_sql);
	db_bind_text(st, ":name", name);
	if (db_one_int64(st, 0) != 0)
		return req_error(r, 409, "name_taken", "a group with this name exists");
	st = db_stmt(r->db, group_insert_sql);
	db_bind_text(st, ":name", name);
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "group insert");
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (audit(r, "group.create", "group", id, json_pack("{s:s}", "name", name)) < 0)
		return req_internal(r, "group audit");
	return req_reply(r, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "name", name));
}

/* GET /api/v1/groups — secretariat: {groups:[{id, name, companies, created_at}]} by name. */
static int handle_group_list(struct req *r)
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

static const char companies_sql[] =
	"SELECT " VIEW_COMPANY_COLUMNS VIEW_COMPANY_FROM
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

/* True when group id exists. */
static bool group_exists(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, group_exists_sql);
	db_bind_int64(st, ":id", id);
	return db_one_int64(st, 0) == 1;
}

/* The number of `active` companies on track. */
static int64_t track_active(struct db *d, const char *track)
{
	sqlite3_stmt *st = db_stmt(d, track_active_sql);
	db_bind_text(st, ":track", track);
	return db_one_int64(st, 0);
}

/* Creates a company by the rules of docs/API.md §3 inside the caller's transaction (registry.h). */
int registry_company_insert(struct req *r, const struct company_in *in, int64_t *id_out)
{
	assert(db_in_write_tx(r->db));
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
	if (audit(r, "company.create", "company", id, detail) < 0)
		return -1;
	*id_out = id;
	return 0;
}

/* The number of active companies on track (registry.h). */
int64_t registry_track_active(struct db *d, const char *track)
{
	return track_active(d, track);
}

/* POST /api/v1/companies {name, industry, sme_class, capital_yen, employees, group_id?} —
 * secretariat: 201 the company with its derived track and status "active". Checks in order:
 * types and ranges (422 invalid: the declared body, then the values here), then the rules of
 * registry_company_insert: the JSIC division (422 industry_not_eligible), SME status (422
 * not_sme), the group, the track's capacity of active companies (409 track_full). */
static int handle_company_create(struct req *r)
{
	const char *name = req_field_str(r, "name"), *industry = req_field_str(r, "industry");
	const char *cls = req_field_str(r, "sme_class");
	int64_t capital = req_field_int(r, "capital_yen", -1), employees = req_field_int(r, "employees", -1);
	if (!registry_division_ok(industry))
		return req_error(r, 422, "invalid", "industry must be one JSIC division letter");
	if (registry_is_sme(cls, 0, 0) < 0)
		return req_error(r, 422, "invalid",
				 "sme_class must be manufacturing_other, wholesale, service or retail");
	if (capital < 0)
		return req_error(r, 422, "invalid", "capital_yen must be a non-negative integer");
	if (employees < 0)
		return req_error(r, 422, "invalid", "employees must be a non-negative integer");
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	struct company_in in = {name, *industry, cls, capital, employees, req_field_int(r, "group_id", 0)};
	int64_t id = 0;
	int rc = registry_company_insert(r, &in, &id);
	if (rc != 0)
		return rc > 0 ? rc : req_internal(r, "company insert");
	json_t *c = view_company_json(r->db, id);
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
static int handle_company_list(struct req *r)
{
	sqlite3_stmt *st = db_stmt(r->db, companies_sql);
	db_bind_text(st, ":status", req_query_str(r, "status"));
	db_bind_text(st, ":track", req_query_str(r, "track"));
	if (req_query_str(r, "group_id"))
		db_bind_int64(st, ":group", req_query_int(r, "group_id", 0));
	json_t *list = view_rows(st, view_company_row);
	return req_reply(r, 200, json_pack("{s:o, s:o}", "companies", list, "tracks", tracks_json(r)));
}

/* GET /api/v1/companies/{id} — secretariat: the company, or 404. */
static int handle_company_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	json_t *c = view_company_json(r->db, id);
	return c ? req_reply(r, 200, c) : req_not_found(r);
}

/* True when s is a company status. */
static bool company_status_ok(const char *s)
{
	return strcmp(s, "active") == 0 || strcmp(s, "completed") == 0 || strcmp(s, "withdrawn") == 0;
}

/* The state of a company that an update compares with. */
struct company_state {
	char track[16], status[16];
	int64_t group_id; /* 0: none */
};

/* Loads company id's state; 0, or -1 when there is no such company. */
static int company_state_load(struct db *d, int64_t id, struct company_state *cs)
{
	sqlite3_stmt *st = db_stmt(d, company_state_sql);
	db_bind_int64(st, ":id", id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(cs->track, sizeof cs->track, "%s", db_col_text(st, 0));
		snprintf(cs->status, sizeof cs->status, "%s", db_col_text(st, 1));
		cs->group_id = sqlite3_column_int64(st, 2);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* The audit detail of a company update: each changed member as {from, to} (name: the new one). */
static json_t *company_update_detail(const struct company_state *old, const char *status, bool set_group,
				     int64_t group, const char *name)
{
	json_t *detail = json_object();
	if (status)
		json_object_set_new(detail, "status", json_pack("{s:s,s:s}", "from", old->status, "to", status));
	if (set_group)
		json_object_set_new(detail, "group_id",
				    json_pack("{s:o,s:o}", "from",
					      old->group_id ? json_integer(old->group_id) : json_null(), "to",
					      group ? json_integer(group) : json_null()));
	if (name)
		json_object_set_new(detail, "name", json_string(name));
	return detail;
}

/* PATCH /api/v1/companies/{id} {status?, group_id?, name?} — secretariat: 200 the company.
 * group_id null takes the company out of its group. Making a completed or withdrawn company
 * active again counts against its track's capacity (409 track_full). Withdrawal and completion
 * take effect on the participants' next request (the gate reads the status afresh). */
static int handle_company_update(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	const char *status = req_field_str(r, "status"), *name = req_field_str(r, "name");
	int64_t group = req_field_int(r, "group_id", 0);
	/* A declared member reads null as absent; here null means "out of its group", so whether
	 * group_id was sent at all is asked of the body itself. */
	bool set_group = r->body && json_object_get(r->body, "group_id") != NULL;
	if (status && !company_status_ok(status))
		return req_error(r, 422, "invalid", "status must be active, completed or withdrawn");
	if (!status && !name && !set_group)
		return req_error(r, 422, "invalid", "nothing to change: give status, group_id or name");
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	struct company_state old;
	if (company_state_load(r->db, id, &old) < 0)
		return req_not_found(r);
	if (group && !group_exists(r->db, group))
		return req_error(r, 422, "invalid", "no group %" PRId64, group);
	if (status && strcmp(status, "active") == 0 && strcmp(old.status, "active") != 0 &&
	    track_active(r->db, old.track) >= r->cfg->track_capacity)
		return req_error(r, 409, "track_full", "the %s track already has %d active companies", old.track,
				 r->cfg->track_capacity);
	sqlite3_stmt *st = db_stmt(r->db, company_update_sql);
	db_bind_int64(st, ":id", id);
	db_bind_text(st, ":status", status);
	db_bind_text(st, ":name", name);
	db_bind_int64(st, ":set_group", set_group);
	if (group)
		db_bind_int64(st, ":group", group);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "company update");
	if (audit(r, "company.update", "company", id,
		  company_update_detail(&old, status, set_group, group, name)) < 0)
		return req_internal(r, "company audit");
	events_publish_access(r->db, 0, id); /* withdrawal, group change: its users' streams */
	json_t *c = view_company_json(r->db, id);
	return c ? req_reply(r, 200, c) : req_internal(r, "company reload");
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

/* A user's specialties column (JSON text) as an array; [] when it is not one. */
static json_t *specialties_json(const char *text)
{
	json_t *s = json_loads(text, 0, NULL);
	if (!json_is_array(s)) {
		json_decref(s);
		s = json_array();
	}
	return s;
}

/* True when company id exists. */
static bool company_exists(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, company_exists_sql);
	db_bind_int64(st, ":id", id);
	return db_one_int64(st, 0) == 1;
}

/* POST /api/v1/companies/{id}/experts {expert_id} — secretariat: 201 {company_id, expert_id};
 * 404 when the company does not exist or expert_id is not an expert; 409 already_assigned. */
static int handle_expert_assign(struct req *r)
{
	int64_t company, expert = req_field_int(r, "expert_id", 0);
	if (req_path_id(r, 0, &company) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, is_expert_sql);
	db_bind_int64(st, ":id", expert);
	if (!company_exists(r->db, company) || db_one_int64(st, 0) != 1)
		return req_not_found(r);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int64_t now = now_unix();
	st = db_stmt(r->db, assign_sql);
	db_bind_int64(st, ":expert", expert);
	db_bind_int64(st, ":company", company);
	db_bind_int64(st, ":now", now);
	int x = db_exec_stmt(r->db, st);
	if (x == -2)
		return req_error(r, 409, "already_assigned", "the expert is already assigned to this company");
	if (x < 0 || audit(r, "expert.assign", "company", company,
			   json_pack("{s:I}", "expert_id", (json_int_t)expert)) < 0)
		return req_internal(r, "assign");
	return req_reply(r, 201,
			 json_pack("{s:I,s:I,s:o}", "company_id", (json_int_t)company, "expert_id",
				   (json_int_t)expert, "created_at", json_time(now)));
}

/* DELETE /api/v1/companies/{id}/experts/{expert_id} — secretariat: 204; 404 when there is no
 * such assignment. The expert loses access to the company's threads with the next query, as
 * the visibility rule reads assignments live. */
static int handle_expert_unassign(struct req *r)
{
	int64_t company, expert;
	if (req_path_id(r, 0, &company) < 0 || req_path_id(r, 1, &expert) < 0)
		return req_not_found(r);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, unassign_sql);
	db_bind_int64(st, ":expert", expert);
	db_bind_int64(st, ":company", company);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "unassign");
	if (sqlite3_changes(db_handle(r->db)) == 0)
		return req_not_found(r);
	if (audit(r, "expert.unassign", "company", company, json_pack("{s:I}", "expert_id", (json_int_t)expert)) < 0)
		return req_internal(r, "unassign");
	events_publish_access(r->db, expert, 0);
	return 204;
}

/* GET /api/v1/companies/{id}/experts — secretariat: {experts:[{id, name, specialties, status,
 * assigned_at}]}, the experts dispatched to the company. */
static int handle_company_experts(struct req *r)
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
static int handle_expert_list(struct req *r)
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
/* The flags and limit of a display name (a group's, a company's): one line, not blank. */
#define COMPANY_NAME(req) (req) | BODY_NOT_BLANK | BODY_LINE, NAME_MAX_BYTES

const struct route registry_routes[] = {
	ROUTE(POST, "/api/v1/groups", SECRETARIAT, handle_group_create, .body = {{"name", BODY_STR, COMPANY_NAME(BODY_REQUIRED)}}),
	ROUTE(GET, "/api/v1/groups", SECRETARIAT, handle_group_list),
	ROUTE(POST, "/api/v1/companies", SECRETARIAT, handle_company_create,
	      .body = {{"name", BODY_STR, COMPANY_NAME(BODY_REQUIRED)},
		       {"industry", BODY_STR, BODY_REQUIRED},
		       {"sme_class", BODY_STR, BODY_REQUIRED},
		       {"capital_yen", BODY_INT, BODY_REQUIRED},
		       {"employees", BODY_INT, BODY_REQUIRED},
		       {"group_id", BODY_INT, BODY_POSITIVE}}),
	ROUTE(GET, "/api/v1/companies", SECRETARIAT, handle_company_list,
	      .params = {{"status", PARAM_STR}, {"track", PARAM_STR}, {"group_id", PARAM_INT}}),
	ROUTE(GET, "/api/v1/companies/{id}", SECRETARIAT, handle_company_get),
	ROUTE(PATCH, "/api/v1/companies/{id}", SECRETARIAT, handle_company_update,
	      .body = {{"status", BODY_STR, 0}, {"group_id", BODY_INT, BODY_POSITIVE}, {"name", BODY_STR, COMPANY_NAME(0)}}),
	ROUTE(GET, "/api/v1/companies/{id}/experts", SECRETARIAT, handle_company_experts),
	ROUTE(POST, "/api/v1/companies/{id}/experts", SECRETARIAT, handle_expert_assign,
	      .body = {{"expert_id", BODY_INT, BODY_REQUIRED | BODY_POSITIVE}}),
	ROUTE(DELETE, "/api/v1/companies/{id}/experts/{expert_id}", SECRETARIAT, handle_expert_unassign),
	ROUTE(GET, "/api/v1/experts", SECRETARIAT, handle_expert_list, .params = {{"tag", PARAM_STR}}),
	{0},
};
