/* round.c — the program calendar (docs/API.md §9): rounds (a seminar and a workshop on one day), the
 * standard ten of the program brochure, round materials (files in the attachment store, invisible
 * to everyone but the secretariat until published), attendance, the attendance report with its
 * at-risk marks, and the rounds' events for the calendar feed (feed.c). See docs/CALENDAR.md. */
#include "round.h"

#include "attachment.h"
#include "audit.h"
#include "authz.h"
#include "calendar.h"
#include "config.h"
#include "consent.h"
#include "db.h"
#include "http.h"
#include "ics.h"
#include "mail.h"
#include "notify.h"
#include "router.h"
#include "server.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TITLE_MAX_BYTES 300
#define VENUE_MAX_BYTES 300
#define ROUND_NUMBER_MAX 100
#define MAX_RECORDS 2000
#define JST 32400

/* ---- helpers -------------------------------------------------------------------------------- */

static int audit(struct req *r, const char *action, const char *kind, int64_t id, json_t *detail)
{
	char *t = xasprintf("%s:%" PRId64, kind, id);
	int rc = audit_append(r->db, r->who->user_id, action, t, r->ip, detail);
	free(t);
	json_decref(detail);
	return rc;
}

/* ---- rounds --------------------------------------------------------------------------------- */

#define ROUND_COLUMNS                                                                              \
	"r.id, r.number, r.title, r.seminar_starts_at, r.seminar_ends_at, r.workshop_starts_at,"     \
	" r.workshop_ends_at, r.venue, r.created_at, r.updated_at, r.revision"
static const char round_sql[] = "SELECT " ROUND_COLUMNS " FROM rounds r WHERE r.id = :id";
static const char rounds_sql[] = "SELECT " ROUND_COLUMNS " FROM rounds r ORDER BY r.number";
static const char round_by_number_sql[] = "SELECT id FROM rounds WHERE number = :n";
static const char round_insert_sql[] =
	"INSERT INTO rounds (number, title, seminar_starts_at, seminar_ends_at, workshop_starts_at,"
	" workshop_ends_at, venue, created_by, created_at, updated_at)"
	" VALUES (:n, :title, :ss, :se, :ws, :we, :venue, :uid, :now, :now)";
static const char round_update_sql[] =
	"UPDATE rounds SET number = :n, title = :title, seminar_starts_at = :ss, seminar_ends_at = :se,"
	" workshop_starts_at = :ws, workshop_ends_at = :we, venue = :venue, updated_at = :now,"
	" revision = revision + 1 WHERE id = :id";
/* Materials of one round (or of every round when :rid is NULL), unpublished ones only for the
 * secretariat (:all = 1). */
static const char materials_sql[] =
	"SELECT m.id, m.round_id, m.filename, m.size, m.sha256, m.created_at, m.published_at FROM materials m"
	" WHERE (:rid IS NULL OR m.round_id = :rid) AND (:all = 1 OR m.published_at IS NOT NULL)"
	" ORDER BY m.round_id, m.id";

struct round_row {
	int64_t id, number, ss, se, ws, we, created_at, updated_at, revision;
	char *title, *venue;
};

static void round_row_fill(sqlite3_stmt *st, struct round_row *rr)
{
	rr->id = sqlite3_column_int64(st, 0);
	rr->number = sqlite3_column_int64(st, 1);
	rr->title = db_col_dup(st, 2);
	rr->ss = sqlite3_column_int64(st, 3);
	rr->se = sqlite3_column_int64(st, 4);
	rr->ws = sqlite3_column_int64(st, 5);
	rr->we = sqlite3_column_int64(st, 6);
	rr->venue = db_col_dup(st, 7);
	rr->created_at = sqlite3_column_int64(st, 8);
	rr->updated_at = sqlite3_column_int64(st, 9);
	rr->revision = sqlite3_column_int64(st, 10);
}

static void round_row_clear(struct round_row *rr)
{
	free(rr->title);
	free(rr->venue);
}

static const char round_exists_sql[] = "SELECT count(*) FROM rounds WHERE id = :id";

static bool round_exists(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, round_exists_sql);
	db_bind_int64(st, ":id", id);
	return db_one_int64(st, 0) != 0;
}

/* Loads round id into rr; 0, or -1 when there is none. */
static int round_load(struct db *d, int64_t id, struct round_row *rr)
{
	sqlite3_stmt *st = db_stmt(d, round_sql);
	db_bind_int64(st, ":id", id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		round_row_fill(st, rr);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static json_t *material_json(sqlite3_stmt *st)
{
	return json_pack("{s:I, s:I, s:s, s:I, s:s, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "round_id", (json_int_t)sqlite3_column_int64(st, 1), "filename", db_col_text(st, 2), "size",
			 (json_int_t)sqlite3_column_int64(st, 3), "sha256", db_col_text(st, 4), "created_at",
			 json_time(sqlite3_column_int64(st, 5)), "published_at",
			 json_time(sqlite3_column_int64(st, 6)));
}

static json_t *round_json(const struct round_row *rr)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(rr->id));
	json_object_set_new(o, "number", json_integer(rr->number));
	json_object_set_new(o, "title", json_string(rr->title));
	json_object_set_new(o, "seminar_starts_at", json_time(rr->ss));
	json_object_set_new(o, "seminar_ends_at", json_time(rr->se));
	json_object_set_new(o, "workshop_starts_at", json_time(rr->ws));
	json_object_set_new(o, "workshop_ends_at", json_time(rr->we));
	json_object_set_new(o, "venue", json_string(rr->venue));
	json_object_set_new(o, "created_at", json_time(rr->created_at));
	json_object_set_new(o, "updated_at", json_time(rr->updated_at));
	json_object_set_new(o, "materials", json_array());
	return o;
}

/* Appends the materials the caller may see to the rounds of `rounds` (an array of round JSON;
 * rid: only that round's materials are read). */
static void attach_materials(struct req *r, json_t *rounds, int64_t rid)
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

/* The fields of a round from the JSON body into rr (strings borrowed from the body). For a
 * PATCH (base set) absent members keep base's values. Returns 0, or an error status set on r. */
static int round_from_body(struct req *r, const struct round_row *base, struct round_row *rr, const char **title,
			   const char **venue)
{
	static const char *const time_names[] = {"seminar_starts_at", "seminar_ends_at", "workshop_starts_at",
						 "workshop_ends_at"};
	int64_t *times[] = {&rr->ss, &rr->se, &rr->ws, &rr->we};
	if (base) {
		*rr = *base;
		*title = base->title;
		*venue = base->venue;
	}
	int rc = req_body_int(r, "number", &rr->number);
	if (rc < 0 || (rc == 1 && !base) || rr->number < 1 || rr->number > ROUND_NUMBER_MAX)
		return req_error(r, 422, "invalid", "number must be an integer from 1 to %d", ROUND_NUMBER_MAX);
	rc = req_body_str(r, "title", title);
	if (rc < 0 || (rc == 1 && !base) || !text_line_ok(*title, TITLE_MAX_BYTES))
		return req_error(r, 422, "invalid", "title must be a non-empty text of at most %d bytes",
				 TITLE_MAX_BYTES);
	rc = req_body_str(r, "venue", venue);
	if (rc < 0 || (rc == 1 && !base) || !text_line_ok(*venue, VENUE_MAX_BYTES))
		return req_error(r, 422, "invalid", "venue must be a non-empty text of at most %d bytes",
				 VENUE_MAX_BYTES);
	for (size_t i = 0; i < ARRAY_LEN(time_names); i++) {
		const char *s = NULL;
		rc = req_body_str(r, time_names[i], &s);
		if (rc == 1 && base)
			continue;
		if (rc != 0 || time_parse_rfc3339(s, times[i]) != 0)
			return req_error(r, 422, "invalid", "%s must be an RFC 3339 time", time_names[i]);
	}
	if (rr->se <= rr->ss)
		return req_error(r, 422, "invalid", "the seminar must end after it starts");
	if (rr->we <= rr->ws)
		return req_error(r, 422, "invalid", "the workshop must end after it starts");
	return 0;
}

/* Inserts one round inside the caller's transaction; returns its id, 0 when the number is taken,
 * -1 on a database error. */
static int64_t round_insert(struct req *r, const struct round_row *rr, const char *title, const char *venue)
{
	sqlite3_stmt *st = db_stmt(r->db, round_by_number_sql);
	db_bind_int64(st, ":n", rr->number);
	if (db_one_int64(st, 0) != 0)
		return 0;
	st = db_stmt(r->db, round_insert_sql);
	db_bind_int64(st, ":n", rr->number);
	db_bind_text(st, ":title", title);
	db_bind_int64(st, ":ss", rr->ss);
	db_bind_int64(st, ":se", rr->se);
	db_bind_int64(st, ":ws", rr->ws);
	db_bind_int64(st, ":we", rr->we);
	db_bind_text(st, ":venue", venue);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (audit(r, "round.create", "round", id, json_pack("{s:I, s:s}", "number", (json_int_t)rr->number, "title", title)) < 0)
		return -1;
	return id;
}

/* The round as JSON with the materials the caller may see, or NULL when there is none. */
static json_t *round_get_json(struct req *r, int64_t id)
{
	struct round_row rr;
	if (round_load(r->db, id, &rr) < 0)
		return NULL;
	json_t *arr = json_array();
	json_array_append_new(arr, round_json(&rr));
	round_row_clear(&rr);
	attach_materials(r, arr, id);
	json_t *o = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return o;
}

/* POST /api/v1/rounds {number, title, seminar_starts_at, seminar_ends_at, workshop_starts_at,
 * workshop_ends_at, venue} — secretariat: 201 the round; number in use → 409 round_exists; a
 * missing or bad field, or an end not after its start → 422 invalid. Audited round.create. */
static int handle_round_create(struct req *r)
{
	struct round_row rr = {0};
	const char *title = NULL, *venue = NULL;
	int status = round_from_body(r, NULL, &rr, &title, &venue);
	if (status)
		return status;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	int64_t id = round_insert(r, &rr, title, venue);
	if (id == 0) {
		db_tx_rollback(r->db);
		return req_error(r, 409, "round_exists", "round %" PRId64 " exists", rr.number);
	}
	if (id < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "round insert");
	}
	return req_reply(r, 201, round_get_json(r, id));
}

/* PATCH /api/v1/rounds/{id} {any field of POST} — secretariat: 200 the round (a date or venue
 * correction; the feed's events carry a higher SEQUENCE); same errors as POST. Audited
 * round.update. */
static int handle_round_update(struct req *r)
{
	int64_t id;
	struct round_row base, rr;
	if (req_path_id(r, 0, &id) < 0 || round_load(r->db, id, &base) < 0)
		return req_not_found(r);
	const char *title = NULL, *venue = NULL;
	int status = round_from_body(r, &base, &rr, &title, &venue);
	if (status)
		goto out;
	if (db_tx_begin(r->db, __func__) < 0) {
		status = req_internal(r, "begin");
		goto out;
	}
	sqlite3_stmt *st = db_stmt(r->db, round_by_number_sql);
	db_bind_int64(st, ":n", rr.number);
	int64_t other = db_one_int64(st, 0);
	if (other != 0 && other != id) {
		db_tx_rollback(r->db);
		status = req_error(r, 409, "round_exists", "round %" PRId64 " exists", rr.number);
		goto out;
	}
	st = db_stmt(r->db, round_update_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":n", rr.number);
	db_bind_text(st, ":title", title);
	db_bind_int64(st, ":ss", rr.ss);
	db_bind_int64(st, ":se", rr.se);
	db_bind_int64(st, ":ws", rr.ws);
	db_bind_int64(st, ":we", rr.we);
	db_bind_text(st, ":venue", venue);
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) < 0 ||
	    audit(r, "round.update", "round", id, json_incref(r->body)) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		status = req_internal(r, "round update");
		goto out;
	}
	status = req_reply(r, 200, round_get_json(r, id));
out:
	round_row_clear(&base);
	return status;
}

/* GET /api/v1/rounds — gated readers and the secretariat: 200 {rounds:[...]} in number order,
 * each with the materials the caller may see (published ones; all for the secretariat). */
static int handle_round_list(struct req *r)
{
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(r->db, rounds_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct round_row rr;
		round_row_fill(st, &rr);
		json_array_append_new(arr, round_json(&rr));
		round_row_clear(&rr);
	}
	sqlite3_reset(st);
	attach_materials(r, arr, 0);
	return req_reply(r, 200, json_pack("{s:o}", "rounds", arr));
}

/* GET /api/v1/rounds/{id} — as the list: 200 one round with its `materials`. */
static int handle_round_get(struct req *r)
{
	int64_t id;
	json_t *o = req_path_id(r, 0, &id) < 0 ? NULL : round_get_json(r, id);
	return o ? req_reply(r, 200, o) : req_not_found(r);
}

/* ---- the standard ten rounds (the program brochure) ------------------------------------------ */

struct standard_round {
	int month, nth; /* the nth Tuesday of month (month 1: of the following calendar year) */
	const char *title;
};
/* セミナー・ワークショップ日程 and セミナーテーマ of the brochure: its year (令和5年度) held them
 * on these Tuesdays (7/25, 8/22, 9/12, 9/26, 10/10, 10/24, 11/14, 11/28, 12/19, 1/23). */
static const struct standard_round standard_rounds[10] = {
	{7, 4, "サイバーセキュリティを取り巻く環境および中小企業に求められるサイバーセキュリティ対策"},
	{8, 4, "これからの企業経営で必要な攻めと守りのIT活用およびサイバーセキュリティ対策"},
	{9, 2, "サイバーセキュリティに関する国の方針・施策およびサイバー脅威の動向"},
	{9, 4, "サイバーセキュリティ対策におけるフレームワークの体系"},
	{10, 2, "組織として策定すべき対策基準及び情報セキュリティの三大要素【対策基準レベル①】"},
	{10, 4, "セキュリティリスク評価及び対策基準に記載されるべき管理策【対策基準レベル②】"},
	{11, 2, "組織として実施すべき具体的な対策事項・手順【実施手順・実施者マニュアルレベル①】"},
	{11, 4, "組織的対策と人的対策【実施手順・実施者マニュアルレベル②】"},
	{12, 3, "技術的対策と物理的対策およびセキュリティ対策状況の有効性評価【実施手順・実施者マニュアルレベル③】"},
	{1, 4, "全体総括"},
};
static const char standard_venue[] = "新宿サンエービル 7F（東京都新宿区西新宿1-22-2）";

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int round_standard_date(int program_year, int index, int *year, int *month, int *day)
{
	if (index < 0 || index >= (int)ARRAY_LEN(standard_rounds))
		return -1;
	const struct standard_round *s = &standard_rounds[index];
	int y = s->month < 4 ? program_year + 1 : program_year;
	int64_t first = days_from_civil(y, s->month, 1);
	int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
	int d = 1 + (2 - wd + 7) % 7 + 7 * (s->nth - 1);
	/* A national holiday on that Tuesday moves the round a week later. */
	while (calendar_holiday_name(y, s->month, d))
		d += 7;
	*year = y;
	*month = s->month;
	*day = d;
	return 0;
}

/* Epoch seconds of y-m-d hh:mm in Asia/Tokyo. */
static int64_t jst_time(int y, int m, int d, int hh, int mm)
{
	return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 - JST;
}

/* POST /api/v1/rounds/standard {year?, venue?} — secretariat: creates the brochure's ten rounds
 * for program (fiscal) year `year` (default: the one today falls in, April to March, in Tokyo):
 * each on its Tuesday, seminar 13:00–15:00 and workshop 15:15–17:15 Asia/Tokyo, at `venue`
 * (default the brochure's). Numbers already used are skipped. 201 {created:[rounds], skipped:[numbers]}
 * (200 when nothing was created). */
static int handle_round_standard(struct req *r)
{
	time_t now = (time_t)(now_unix() + JST);
	struct tm tm;
	gmtime_r(&now, &tm);
	int64_t year = tm.tm_mon + 1 >= 4 ? tm.tm_year + 1900 : tm.tm_year + 1899;
	const char *venue = standard_venue;
	if (req_body_int(r, "year", &year) < 0 || year < 2000 || year > 2098)
		return req_error(r, 422, "invalid", "year must be a program year from 2000 to 2098");
	if (req_body_str(r, "venue", &venue) < 0 || !text_line_ok(venue, VENUE_MAX_BYTES))
		return req_error(r, 422, "invalid", "venue must be a non-empty text of at most %d bytes",
				 VENUE_MAX_BYTES);
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	json_t *created_ids = json_array(), *skipped = json_array();
	for (int i = 0; i < (int)ARRAY_LEN(standard_rounds); i++) {
		int y, m, d;
		round_standard_date((int)year, i, &y, &m, &d);
		struct round_row rr = {.number = i + 1,
				       .ss = jst_time(y, m, d, 13, 0),
				       .se = jst_time(y, m, d, 15, 0),
				       .ws = jst_time(y, m, d, 15, 15),
				       .we = jst_time(y, m, d, 17, 15)};
		int64_t id = round_insert(r, &rr, standard_rounds[i].title, venue);
		if (id < 0) {
			db_tx_rollback(r->db);
			json_decref(created_ids);
			json_decref(skipped);
			return req_internal(r, "standard rounds");
		}
		json_array_append_new(id ? created_ids : skipped, json_integer(id ? id : i + 1));
	}
	if (db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		json_decref(created_ids);
		json_decref(skipped);
		return req_internal(r, "standard rounds");
	}
	json_t *created = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(created_ids, i, v)
	{
		json_t *o = round_get_json(r, json_integer_value(v));
		if (o)
			json_array_append_new(created, o);
	}
	int status = json_array_size(created_ids) ? 201 : 200;
	json_decref(created_ids);
	return req_reply(r, status, json_pack("{s:I, s:o, s:o}", "year", (json_int_t)year, "created", created,
					      "skipped", skipped));
}

/* ---- materials ------------------------------------------------------------------------------ */

static const char material_insert_sql[] =
	"INSERT INTO materials (round_id, filename, size, sha256, uploader_id, created_at)"
	" VALUES (:rid, :name, :size, :sha, :uid, :now)";
static const char material_sql[] =
	"SELECT m.id, m.round_id, m.filename, m.size, m.sha256, m.created_at, m.published_at FROM materials m"
	" WHERE m.id = :id AND (:all = 1 OR m.published_at IS NOT NULL)";
static const char material_publish_sql[] =
	"UPDATE materials SET published_at = :now, published_by = :uid WHERE id = :id AND published_at IS NULL";
/* Who hears of a published material: participants who are active users of a company still in
 * the program (active or completed). */
static const char material_audience_sql[] =
	"SELECT u.id FROM users u JOIN companies c ON c.id = u.company_id"
	" WHERE u.role = 'participant' AND u.status = 'active' AND c.status IN ('active','completed')"
	" ORDER BY u.id";

/* The file of an upload to round rid is durable: commit its row and reply. */
static int material_commit(struct req *r, int64_t rid, const char *filename, const char *sha)
{
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	if (!round_exists(r->db, rid)) {
		db_tx_rollback(r->db);
		return req_not_found(r);
	}
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, material_insert_sql);
	db_bind_int64(st, ":rid", rid);
	db_bind_text(st, ":name", filename);
	db_bind_int64(st, ":size", (int64_t)r->raw_len);
	db_bind_text(st, ":sha", sha);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":now", now);
	int64_t id = 0;
	if (db_exec_stmt(r->db, st) < 0 ||
	    (id = sqlite3_last_insert_rowid(db_handle(r->db)),
	     audit(r, "material.upload", "material", id,
		   json_pack("{s:I, s:s, s:s}", "round_id", (json_int_t)rid, "filename", filename, "sha256", sha))) < 0 ||
	    db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "insert material");
	}
	return req_reply(r, 201, json_pack("{s:I, s:I, s:s, s:I, s:s, s:o, s:n}", "id", (json_int_t)id, "round_id",
					   (json_int_t)rid, "filename", filename, "size", (json_int_t)r->raw_len,
					   "sha256", sha, "created_at", json_time(now), "published_at"));
}

/* POST /api/v1/rounds/{id}/materials?filename=NAME (raw bytes) — secretariat: 201 {id, round_id,
 * filename, size, sha256, created_at, published_at:null}. No round → 404; bad filename or no bytes →
 * 422 invalid; over max_attachment_bytes → 413 too_large. The file is durable before the row. */
static int handle_round_material_upload(struct req *r)
{
	int64_t rid;
	if (req_path_id(r, 0, &rid) < 0 || !round_exists(r->db, rid))
		return req_not_found(r);
	return attachment_store_async(r, material_commit, rid);
}

/* Tells every participant that round rr has a new material: in the app and by mail, with the
 * round's number, title and link only. Inside the caller's transaction; 0 or -1. */
static int material_announce(struct req *r, const struct round_row *rr)
{
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

/* POST /api/v1/materials/{id}/publish — secretariat: 200 the material with published_at set.
 * The first publication notifies the participants (app and mail); publishing again changes
 * nothing. Audited material.publish. */
static int handle_round_publish(struct req *r)
{
	int64_t id;
	int64_t rid = 0;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	if (material_state(r->db, id, &rid) == MATERIAL_NONE) {
		db_tx_rollback(r->db);
		return req_not_found(r);
	}
	sqlite3_stmt *st = db_stmt(r->db, material_publish_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":uid", r->who->user_id);
	if (db_exec_stmt(r->db, st) < 0)
		goto fail;
	if (sqlite3_changes(db_handle(r->db)) > 0) {
		struct round_row rr;
		if (round_load(r->db, rid, &rr) < 0)
			goto fail;
		int rc = material_announce(r, &rr);
		round_row_clear(&rr);
		if (rc < 0 || audit(r, "material.publish", "material", id, json_pack("{s:I}", "round_id", (json_int_t)rid)) < 0)
			goto fail;
	}
	if (db_tx_commit(r->db) < 0)
		goto fail;
	st = db_stmt(r->db, material_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":all", 1);
	json_t *o = sqlite3_step(st) == SQLITE_ROW ? material_json(st) : NULL;
	sqlite3_reset(st);
	return o ? req_reply(r, 200, o) : req_internal(r, "material reload");
fail:
	db_tx_rollback(r->db);
	return req_internal(r, "publish material");
}

static const char material_delete_sql[] = "DELETE FROM materials WHERE id = :id AND published_at IS NULL";

/* DELETE /api/v1/materials/{id} — secretariat: 204; a file uploaded by mistake goes before anyone
 * saw it. A published material → 409 published (participants may hold a copy; upload a corrected
 * one instead). The stored bytes stay (content-addressed, possibly shared). Audited
 * material.delete. */
static int handle_round_material_delete(struct req *r)
{
	int64_t id;
	int64_t rid;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	enum material_state found = material_state(r->db, id, &rid);
	if (found != MATERIAL_UNPUBLISHED) {
		db_tx_rollback(r->db);
		return found == MATERIAL_PUBLISHED
			       ? req_error(r, 409, "published", "a published material stays; upload a corrected one")
			       : req_not_found(r);
	}
	sqlite3_stmt *st = db_stmt(r->db, material_delete_sql);
	db_bind_int64(st, ":id", id);
	if (db_exec_stmt(r->db, st) < 0 || audit(r, "material.delete", "material", id, NULL) < 0 ||
	    db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "delete material");
	}
	return 204;
}

/* GET /api/v1/materials/{id} — the secretariat always, gated readers once published: 200 the
 * bytes as a download (as attachments); unpublished to anyone else → 404. */
static int handle_round_material_download(struct req *r)
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

/* ---- attendance ----------------------------------------------------------------------------- */

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
static int handle_round_roll(struct req *r)
{
	int64_t rid;
	if (req_path_id(r, 0, &rid) < 0 || !round_exists(r->db, rid))
		return req_not_found(r);
	return req_reply(r, 200, roll_json(r->db, rid));
}

/* PUT /api/v1/rounds/{id}/attendance {records:[{user_id, status}]} — secretariat: 200 the roll.
 * status is present, absent or excused, or null to clear a record taken by mistake. A record
 * for an unknown user or a non-participant, a bad status, or a user twice → 422 invalid and
 * nothing changes. Audited attendance.update. */
static int handle_round_attendance(struct req *r)
{
	int64_t rid;
	if (req_path_id(r, 0, &rid) < 0 || !round_exists(r->db, rid))
		return req_not_found(r);
	json_t *recs = json_object_get(r->body, "records");
	if (!json_is_array(recs) || json_array_size(recs) > MAX_RECORDS)
		return req_error(r, 422, "invalid", "records must be an array of at most %d {user_id, status}",
				 MAX_RECORDS);
	size_t i, n = json_array_size(recs);
	json_t *rec;
	json_array_foreach(recs, i, rec)
	{
		json_t *uid = json_object_get(rec, "user_id"), *stv = json_object_get(rec, "status");
		if (!json_is_object(rec) || !json_is_integer(uid) || !(json_is_null(stv) || (json_is_string(stv) && status_ok(json_string_value(stv)))))
			return req_error(r, 422, "invalid",
					 "records[%zu]: user_id must be an id and status present, absent, excused or null", i);
		sqlite3_stmt *st = db_stmt(r->db, participant_sql);
		db_bind_int64(st, ":id", json_integer_value(uid));
		if (db_one_int64(st, 0) == 0)
			return req_error(r, 422, "invalid", "records[%zu]: user %" JSON_INTEGER_FORMAT " is not a participant", i,
					 json_integer_value(uid));
		for (size_t j = 0; j < i; j++)
			if (json_integer_value(json_object_get(json_array_get(recs, j), "user_id")) == json_integer_value(uid))
				return req_error(r, 422, "invalid", "records[%zu]: user %" JSON_INTEGER_FORMAT " appears twice", i,
						 json_integer_value(uid));
	}
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	int64_t now = now_unix();
	for (i = 0; i < n; i++) {
		rec = json_array_get(recs, i);
		json_t *stv = json_object_get(rec, "status");
		sqlite3_stmt *st = db_stmt(r->db, json_is_null(stv) ? attendance_delete_sql : attendance_upsert_sql);
		db_bind_int64(st, ":rid", rid);
		db_bind_int64(st, ":uid", json_integer_value(json_object_get(rec, "user_id")));
		db_bind_text_opt(st, ":status", json_string_value(stv)); /* the upsert only */
		db_bind_int64_opt(st, ":by", r->who->user_id);
		db_bind_int64_opt(st, ":now", now);
		if (db_exec_stmt(r->db, st) < 0)
			goto fail;
	}
	if (n && audit(r, "attendance.update", "round", rid, json_pack("{s:O}", "records", recs)) < 0)
		goto fail;
	if (db_tx_commit(r->db) < 0)
		goto fail;
	return req_reply(r, 200, roll_json(r->db, rid));
fail:
	db_tx_rollback(r->db);
	return req_internal(r, "attendance");
}

/* ---- the attendance report ------------------------------------------------------------------ */

static const char report_people_sql[] =
	"SELECT u.id, u.name, u.email, c.id, c.name, c.track FROM users u JOIN companies c ON c.id = u.company_id"
	" WHERE u.role = 'participant' AND c.status = 'active' AND u.status IN ('invited','active')"
	" ORDER BY c.id, u.id";
static const char report_companies_sql[] =
	"SELECT c.id, c.name, c.track FROM companies c WHERE c.status = 'active' ORDER BY c.id";
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
	sqlite3_stmt *st = db_stmt(d, rounds_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char date[32];
		time_t t = (time_t)(sqlite3_column_int64(st, 3) + JST);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
		json_array_append_new(rounds, json_pack("{s:I, s:I, s:s, s:s, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
							"number", (json_int_t)sqlite3_column_int64(st, 1), "title",
							db_col_text(st, 2), "date", date, "ends",
							(json_int_t)sqlite3_column_int64(st, 6)));
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
static int handle_round_report(struct req *r)
{
	return consent_report_reply(r, report_json, report_csv, "attendance-report.csv");
}

/* ---- the feed ------------------------------------------------------------------------------- */

int round_feed_events(struct db *d, const struct principal *p, const struct feed_ctx *ctx, struct buf *b)
{
	(void)p; /* every user of the program sees every round */
	sqlite3_stmt *st = db_stmt(d, rounds_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct round_row rr;
		round_row_fill(st, &rr);
		static const char *const part_key[] = {"seminar", "workshop"};
		static const char *const part_name[] = {"セミナー", "ワークショップ"};
		int64_t starts[] = {rr.ss, rr.ws}, ends[] = {rr.se, rr.we};
		char *url = xasprintf("%s/#/rounds/%" PRId64, ctx->base_url, rr.id);
		for (int k = 0; k < 2; k++) {
			char *uid = xasprintf("round-%" PRId64 "-%s@%s", rr.id, part_key[k], ctx->uid_host);
			char *summary = xasprintf("第%" PRId64 "回 %s: %s", rr.number, part_name[k], rr.title);
			char *desc = xasprintf("中小企業サイバーセキュリティ支援 第%" PRId64 "回 %s\n%s", rr.number,
					       part_name[k], url);
			struct ics_event e = {.uid = uid,
					      .start = starts[k],
					      .end = ends[k],
					      .created = rr.created_at,
					      .last_modified = rr.updated_at,
					      .sequence = (int)rr.revision,
					      .summary = summary,
					      .location = rr.venue,
					      .description = desc,
					      .url = url};
			ics_event(b, &e, ctx->dtstamp);
			free(uid);
			free(summary);
			free(desc);
		}
		free(url);
		round_row_clear(&rr);
	}
	sqlite3_reset(st);
	return 0;
}

const struct route round_routes[] = {
	ROUTE(POST, "/api/v1/rounds", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_round_create),
	ROUTE(POST, "/api/v1/rounds/standard", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_round_standard),
	ROUTE(GET, "/api/v1/rounds", ACCESS_CONTENT, handle_round_list),
	ROUTE(GET, "/api/v1/rounds/{id}", ACCESS_CONTENT, handle_round_get),
	ROUTE(PATCH, "/api/v1/rounds/{id}", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_round_update),
	/* max_body is the route's ceiling; max_attachment_bytes is checked in the handler. */
	ROUTE(POST, "/api/v1/rounds/{id}/materials", ACCESS_SESSION | ACCESS_SECRETARIAT,
	      handle_round_material_upload, .max_body = (size_t)1 << 40, .flags = ROUTE_RAW_BODY,
	      .params = {{"filename", PARAM_STR}}),
	ROUTE(POST, "/api/v1/materials/{id}/publish", ACCESS_SESSION | ACCESS_SECRETARIAT,
	      handle_round_publish),
	ROUTE(GET, "/api/v1/materials/{id}", ACCESS_CONTENT, handle_round_material_download),
	ROUTE(DELETE, "/api/v1/materials/{id}", ACCESS_SESSION | ACCESS_SECRETARIAT,
	      handle_round_material_delete),
	ROUTE(GET, "/api/v1/rounds/{id}/attendance", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_round_roll),
	ROUTE(PUT, "/api/v1/rounds/{id}/attendance", ACCESS_SESSION | ACCESS_SECRETARIAT,
	      handle_round_attendance, .max_body = (size_t)1 << 20),
	ROUTE(GET, "/api/v1/attendance/report", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_round_report,
	      .params = {{"format", PARAM_STR}}),
	{0},
};
