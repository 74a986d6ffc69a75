/* attendance.c — attendance of the rounds (docs/API.md §9, docs/CALENDAR.md "Attendance"): a
 * round's roll and its record (all or nothing), and the attendance report with its at-risk marks,
 * as JSON or CSV. Routes (attendance_routes): GET and PUT /api/v1/rounds/{id}/attendance, GET
 * /api/v1/attendance/report. */
#include "consent.h"
#include "db.h"
#include "http.h"
#include "round.h"
#include "router.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RECORDS 2000
#define JST 32400

static const char participant_sql[] = "SELECT count(*) FROM users WHERE id = :id AND role = 'participant'";
static const char attendance_upsert_sql[] =
	"INSERT INTO attendance (round_id, user_id, status, recorded_by, recorded_at)"
	" VALUES (:rid, :uid, :status, :by, :now) ON CONFLICT (round_id, user_id) DO UPDATE SET"
	" status = excluded.status, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at";
static const char attendance_delete_sql[] = "DELETE FROM attendance WHERE round_id = :rid AND user_id = :uid";
/* The roll of one round: every participant of an active company who is invited or active, and
 * anyone else with a record for the round, with their record. */
static const char roll_sql[] =
	"SELECT u.id, u.name, c.id, c.name, a.status, a.recorded_at FROM users u"
	" JOIN companies c ON c.id = u.company_id"
	" LEFT JOIN attendance a ON a.round_id = :rid AND a.user_id = u.id"
	" WHERE u.role = 'participant' AND ((c.status = 'active' AND u.status IN ('invited','active'))"
	"   OR a.status IS NOT NULL)"
	" ORDER BY c.name, c.id, u.name, u.id";

/* Whether s is a status a record may hold. */
static bool status_ok(const char *s)
{
	return strcmp(s, "present") == 0 || strcmp(s, "absent") == 0 || strcmp(s, "excused") == 0;
}

/* {round_id, participants:[{user_id, name, company_id, company_name, status|null, recorded_at}]} */
static json_t *roll_json(struct db *d, int64_t rid)
{
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(d, roll_sql);
	db_bind_int64(st, ":rid", rid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		bool rec = sqlite3_column_type(st, 4) != SQLITE_NULL;
		json_array_append_new(
			arr, json_pack("{s:I, s:s, s:I, s:s, s:o, s:o}", "user_id", (json_int_t)sqlite3_column_int64(st, 0),
				       "name", db_col_text(st, 1), "company_id", (json_int_t)sqlite3_column_int64(st, 2),
				       "company_name", db_col_text(st, 3), "status",
				       rec ? json_string(db_col_text(st, 4)) : json_null(), "recorded_at",
				       json_time(sqlite3_column_int64(st, 5))));
	}
	sqlite3_reset(st);
	return json_pack("{s:I, s:o}", "round_id", (json_int_t)rid, "participants", arr);
}

/* GET /api/v1/rounds/{id}/attendance — secretariat: 200 the round's roll (roll_json). */
static int handle_attendance_roll(struct req *r)
{
	int64_t rid;
	if (req_path_id(r, 0, &rid) < 0 || !round_exists(r->db, rid))
		return req_not_found(r);
	return req_reply(r, 200, roll_json(r->db, rid));
}

/* Records one entry of a PUT attendance body (rec, at index i) for round rid inside the request's
 * transaction: 0, or the error status (422 invalid for a bad record, 500). */
static int record_one(struct req *r, int64_t rid, json_t *recs, size_t i, int64_t now)
{
	assert(db_in_write_tx(r->db));
	json_t *rec = json_array_get(recs, i);
	json_t *uid = json_object_get(rec, "user_id"), *stv = json_object_get(rec, "status");
	if (!json_is_object(rec) || !json_is_integer(uid) ||
	    !(json_is_null(stv) || (json_is_string(stv) && status_ok(json_string_value(stv)))))
		return req_error(r, 422, "invalid",
				 "records[%zu]: user_id must be an id and status present, absent, excused or null", i);
	json_int_t user = json_integer_value(uid);
	sqlite3_stmt *st = db_stmt(r->db, participant_sql);
	db_bind_int64(st, ":id", user);
	if (db_one_int64(st, 0) == 0)
		return req_error(r, 422, "invalid", "records[%zu]: user %" JSON_INTEGER_FORMAT " is not a participant",
				 i, user);
	for (size_t j = 0; j < i; j++)
		if (json_integer_value(json_object_get(json_array_get(recs, j), "user_id")) == user)
			return req_error(r, 422, "invalid", "records[%zu]: user %" JSON_INTEGER_FORMAT " appears twice",
					 i, user);
	st = db_stmt(r->db, json_is_null(stv) ? attendance_delete_sql : attendance_upsert_sql);
	db_bind_int64(st, ":rid", rid);
	db_bind_int64(st, ":uid", user);
	db_bind_text_opt(st, ":status", json_string_value(stv)); /* the upsert only */
	db_bind_int64_opt(st, ":by", r->who->user_id);
	db_bind_int64_opt(st, ":now", now);
	return db_exec_stmt(r->db, st) < 0 ? req_internal(r, "attendance") : 0;
}

/* PUT /api/v1/rounds/{id}/attendance {records:[{user_id, status}]} — secretariat: 200 the roll.
 * status is present, absent or excused, or null to clear a record taken by mistake. A record
 * for an unknown user or a non-participant, a bad status, or a user twice → 422 invalid and
 * nothing changes: the records are checked as they are written, and a refusal rolls back the
 * request's transaction with every record before it. Audited attendance.update. */
static int handle_attendance_record(struct req *r)
{
	int64_t rid;
	if (req_path_id(r, 0, &rid) < 0 || !round_exists(r->db, rid))
		return req_not_found(r);
	json_t *recs = req_field_json(r, "records");
	if (json_array_size(recs) > MAX_RECORDS)
		return req_error(r, 422, "invalid", "records must be an array of at most %d {user_id, status}",
				 MAX_RECORDS);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int64_t now = now_unix();
	size_t n = json_array_size(recs);
	for (size_t i = 0; i < n; i++) {
		int status = record_one(r, rid, recs, i, now);
		if (status)
			return status;
	}
	if (n && round_audit(r, "attendance.update", "round", rid, json_pack("{s:O}", "records", recs)) < 0)
		return req_internal(r, "attendance");
	return req_reply(r, 200, roll_json(r->db, rid));
}

/* ---- the attendance report ------------------------------------------------------------------ */

static const char report_people_sql[] =
	"SELECT u.id, u.name, u.email, c.id, c.name, c.track FROM users u JOIN companies c ON c.id = u.company_id"
	" WHERE u.role = 'participant' AND c.status = 'active' AND u.status IN ('invited','active')"
	" ORDER BY c.id, u.id";
static const char report_companies_sql[] =
	"SELECT c.id, c.name, c.track FROM companies c WHERE c.status = 'active' ORDER BY c.id";
static const char report_rounds_sql[] =
	"SELECT id, number, title, seminar_starts_at, workshop_ends_at FROM rounds ORDER BY number";
static const char report_status_sql[] = "SELECT status FROM attendance WHERE round_id = :rid AND user_id = :uid";

/* How one round counts toward "every round attended": 3 present, 2 excused, 1 absent, 0 not
 * recorded. A company takes its best participant's. */
static int status_rank(const char *s)
{
	return !s ? 0 : strcmp(s, "present") == 0 ? 3 : strcmp(s, "excused") == 0 ? 2 : strcmp(s, "absent") == 0 ? 1 : 0;
}

/* The at-risk verdict for a company whose status per round (ranks[i] for rounds[i]) is given:
 * at risk when some round is absent, or unrecorded although it has ended. Fills reasons (a JSON
 * array of {round_number, reason}) and returns the Japanese summary (new string) or NULL. */
static char *at_risk(json_t *rounds, const int *ranks, int64_t now, json_t *reasons)
{
	struct buf b = {0};
	size_t i;
	json_t *rd;
	json_array_foreach(rounds, i, rd)
	{
		int64_t number = json_integer_value(json_object_get(rd, "number"));
		int64_t ended = json_integer_value(json_object_get(rd, "ends"));
		const char *why = ranks[i] == 1 ? "absent" : (ranks[i] == 0 && ended < now) ? "unrecorded" : NULL;
		if (!why)
			continue;
		json_array_append_new(reasons, json_pack("{s:I, s:s}", "round_number", (json_int_t)number, "reason", why));
		buf_printf(&b, "%s第%" PRId64 "回 %s", b.len ? "; " : "", number, ranks[i] == 1 ? "欠席" : "未記録");
	}
	if (!b.len)
		return NULL;
	char *s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* {generated_at, rounds:[{id, number, title, date}], rows:[...], companies:[...]} */
static json_t *report_json(struct db *d)
{
	int64_t now = now_unix();
	json_t *rounds = json_array();
	sqlite3_stmt *st = db_stmt(d, report_rounds_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char date[32];
		time_t t = (time_t)(sqlite3_column_int64(st, 3) + JST);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
		json_array_append_new(rounds, json_pack("{s:I, s:I, s:s, s:s, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
							"number", (json_int_t)sqlite3_column_int64(st, 1), "title",
							db_col_text(st, 2), "date", date, "ends",
							(json_int_t)sqlite3_column_int64(st, 4)));
	}
	sqlite3_reset(st);
	size_t nr = json_array_size(rounds);
	int *ranks = xcalloc(nr ? nr : 1, sizeof *ranks);

	/* Companies first: their best status per round. */
	json_t *companies = json_array();
	st = db_stmt(d, report_companies_sql);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(companies, json_pack("{s:I, s:s, s:s, s:I}", "company_id",
							   (json_int_t)sqlite3_column_int64(st, 0), "name",
							   db_col_text(st, 1), "track", db_col_text(st, 2), "participants", (json_int_t)0));
	sqlite3_reset(st);

	json_t *rows = json_array();
	st = db_stmt(d, report_people_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *row = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s}", "user_id", (json_int_t)sqlite3_column_int64(st, 0),
					"name", db_col_text(st, 1), "email", db_col_text(st, 2), "company_id",
					(json_int_t)sqlite3_column_int64(st, 3), "company_name", db_col_text(st, 4),
					"track", db_col_text(st, 5));
		json_array_append_new(rows, row);
	}
	sqlite3_reset(st);

	size_t ri, ci;
	json_t *row, *co;
	json_array_foreach(rows, ri, row)
	{
		json_t *statuses = json_array();
		int counts[4] = {0};
		for (size_t k = 0; k < nr; k++) {
			json_t *rd = json_array_get(rounds, k);
			st = db_stmt(d, report_status_sql);
			db_bind_int64(st, ":rid", json_integer_value(json_object_get(rd, "id")));
			db_bind_int64(st, ":uid", json_integer_value(json_object_get(row, "user_id")));
			char *s = NULL;
			if (sqlite3_step(st) == SQLITE_ROW)
				s = db_col_dup(st, 0);
			sqlite3_reset(st);
			counts[status_rank(s)]++;
			json_array_append_new(statuses, json_pack("{s:I, s:I, s:o}", "round_id",
								  json_integer_value(json_object_get(rd, "id")), "number",
								  json_integer_value(json_object_get(rd, "number")), "status",
								  s ? json_string(s) : json_null()));
			free(s);
		}
		json_object_set_new(row, "rounds", statuses);
		json_object_set_new(row, "present", json_integer(counts[3]));
		json_object_set_new(row, "excused", json_integer(counts[2]));
		json_object_set_new(row, "absent", json_integer(counts[1]));
		json_object_set_new(row, "unrecorded", json_integer(counts[0]));
	}
	json_array_foreach(companies, ci, co)
	{
		int64_t cid = json_integer_value(json_object_get(co, "company_id"));
		memset(ranks, 0, (nr ? nr : 1) * sizeof *ranks);
		int people = 0;
		json_array_foreach(rows, ri, row)
		{
			if (json_integer_value(json_object_get(row, "company_id")) != cid)
				continue;
			people++;
			json_t *statuses = json_object_get(row, "rounds");
			for (size_t k = 0; k < nr; k++) {
				int rank = status_rank(json_string_value(json_object_get(json_array_get(statuses, k), "status")));
				if (rank > ranks[k])
					ranks[k] = rank;
			}
		}
		json_object_set_new(co, "participants", json_integer(people));
		json_t *reasons = json_array();
		char *why = at_risk(rounds, ranks, now, reasons);
		json_object_set_new(co, "at_risk", json_boolean(why != NULL));
		json_object_set_new(co, "at_risk_reason", why ? json_string(why) : json_null());
		json_object_set_new(co, "at_risk_rounds", reasons);
		json_array_foreach(rows, ri, row)
		{
			if (json_integer_value(json_object_get(row, "company_id")) != cid)
				continue;
			json_object_set(row, "at_risk", json_object_get(co, "at_risk"));
			json_object_set(row, "at_risk_reason", json_object_get(co, "at_risk_reason"));
			json_object_set(row, "at_risk_rounds", json_object_get(co, "at_risk_rounds"));
		}
		free(why);
	}
	free(ranks);
	json_array_foreach(rounds, ri, row) json_object_del(row, "ends");
	char gen[32];
	time_format_utc(now, gen);
	return json_pack("{s:s, s:o, s:o, s:o}", "generated_at", gen, "rounds", rounds, "rows", rows, "companies",
			 companies);
}

/* One CSV field from a JSON value: strings as they are, integers in decimal, booleans, null empty. */
static void csv_json(struct buf *b, json_t *v)
{
	char num[32];
	if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		consent_csv_field(b, num);
	} else if (json_is_boolean(v)) {
		consent_csv_field(b, json_is_true(v) ? "true" : "false");
	} else {
		consent_csv_field(b, json_string_value(v)); /* NULL (null, absent): empty */
	}
}

/* The report as CSV (RFC 4180, CRLF, UTF-8 with a byte order mark for Excel): one row per
 * participant, a column per round (round_N: present/absent/excused or empty), the counts and the
 * company's at-risk mark. Fields go through consent_csv_field (formula-safe). */
static void report_csv(json_t *rep, struct buf *b)
{
	buf_puts(b, "\xEF\xBB\xBF");
	buf_puts(b, "company_id,company,track,user_id,name,email");
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(rep, "rounds"), i, o)
		buf_printf(b, ",round_%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(o, "number")));
	buf_puts(b, ",present,excused,absent,unrecorded,at_risk,at_risk_reason\r\n");
	json_array_foreach(json_object_get(rep, "rows"), i, o)
	{
		static const char *const head[] = {"company_id", "company_name", "track", "user_id", "name", "email"};
		static const char *const tail[] = {"present", "excused", "absent", "unrecorded", "at_risk", "at_risk_reason"};
		for (size_t c = 0; c < ARRAY_LEN(head); c++) {
			if (c)
				buf_puts(b, ",");
			csv_json(b, json_object_get(o, head[c]));
		}
		size_t k;
		json_t *s;
		json_array_foreach(json_object_get(o, "rounds"), k, s)
		{
			buf_puts(b, ",");
			csv_json(b, json_object_get(s, "status"));
		}
		for (size_t c = 0; c < ARRAY_LEN(tail); c++) {
			buf_puts(b, ",");
			csv_json(b, json_object_get(o, tail[c]));
		}
		buf_puts(b, "\r\n");
	}
}

/* GET /api/v1/attendance/report?format=json|csv — secretariat: 200 {generated_at, rounds,
 * rows:[{user_id, name, email, company_id, company_name, track, rounds:[{round_id, number,
 * status}], present, excused, absent, unrecorded, at_risk, at_risk_reason, at_risk_rounds}],
 * companies:[{company_id, name, track, participants, at_risk, at_risk_reason, at_risk_rounds}]};
 * csv: attendance-report.csv (see report_csv). */
static int handle_attendance_report(struct req *r)
{
	return consent_report_reply(r, report_json, report_csv, "attendance-report.csv");
}


const struct route attendance_routes[] = {
	ROUTE(GET, "/api/v1/rounds/{id}/attendance", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_attendance_roll),
	ROUTE(PUT, "/api/v1/rounds/{id}/attendance", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_attendance_record,
	      .max_body = (size_t)1 << 20, .body = {{"records", BODY_ARRAY, BODY_REQUIRED}}),
	ROUTE(GET, "/api/v1/attendance/report", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_attendance_report,
	      .params = {{"format", PARAM_STR}}),
	{0},
};
