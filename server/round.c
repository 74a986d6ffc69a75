/* round.c — the program's rounds (docs/API.md §9, docs/CALENDAR.md "Rounds"): a seminar and a
 * workshop on one day, created one by one or as the program brochure's standard ten, corrected
 * with PATCH (never deleted), and their events for the calendar feed (feed.c). Routes
 * (round_routes): POST/GET /api/v1/rounds, POST /api/v1/rounds/standard, GET/PATCH
 * /api/v1/rounds/{id}. A round's materials are material.c's, its attendance attendance.c's. */
#include "round.h"

#include "audit.h"
#include "calendar.h"
#include "db.h"
#include "http.h"
#include "ics.h"
#include "router.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TITLE_MAX_BYTES 300
#define VENUE_MAX_BYTES 300
#define ROUND_NUMBER_MAX 100
#define JST 32400

/* ---- rows ----------------------------------------------------------------------------------- */

#define ROUND_COLUMNS                                                                              \
	"r.id, r.number, r.title, r.seminar_starts_at, r.seminar_ends_at, r.workshop_starts_at,"     \
	" r.workshop_ends_at, r.venue, r.created_at, r.updated_at, r.revision"
static const char round_sql[] = "SELECT " ROUND_COLUMNS " FROM rounds r WHERE r.id = :id";
static const char rounds_sql[] = "SELECT " ROUND_COLUMNS " FROM rounds r ORDER BY r.number";
static const char round_by_number_sql[] = "SELECT id FROM rounds WHERE number = :n";
static const char round_exists_sql[] = "SELECT count(*) FROM rounds WHERE id = :id";
static const char round_insert_sql[] =
	"INSERT INTO rounds (number, title, seminar_starts_at, seminar_ends_at, workshop_starts_at,"
	" workshop_ends_at, venue, created_by, created_at, updated_at)"
	" VALUES (:n, :title, :ss, :se, :ws, :we, :venue, :uid, :now, :now)";
static const char round_update_sql[] =
	"UPDATE rounds SET number = :n, title = :title, seminar_starts_at = :ss, seminar_ends_at = :se,"
	" workshop_starts_at = :ws, workshop_ends_at = :we, venue = :venue, updated_at = :now,"
	" revision = revision + 1 WHERE id = :id";

/* Audits action on kind:id by r's caller (round.h); takes detail's reference. */
int round_audit(struct req *r, const char *action, const char *kind, int64_t id, json_t *detail)
{
	int rc = audit_append_on(r->db, r->who->user_id, action, kind, id, r->ip, detail);
	json_decref(detail);
	return rc;
}

/* Fills rr from a row of ROUND_COLUMNS (title and venue are new strings). */
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

/* Frees rr's strings (round.h). */
void round_row_clear(struct round_row *rr)
{
	free(rr->title);
	free(rr->venue);
}

/* Whether round id exists (round.h). */
bool round_exists(struct db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, round_exists_sql);
	db_bind_int64(st, ":id", id);
	return db_one_int64(st, 0) != 0;
}

/* Loads round id into rr (round.h); 0, or -1 when there is none. */
int round_load(struct db *d, int64_t id, struct round_row *rr)
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

/* The round as JSON, with an empty `materials` array (material_attach fills it). */
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

/* The round as JSON with the materials the caller may see, or NULL when there is none. */
static json_t *round_get_json(struct req *r, int64_t id)
{
	struct round_row rr;
	if (round_load(r->db, id, &rr) < 0)
		return NULL;
	json_t *arr = json_array();
	json_array_append_new(arr, round_json(&rr));
	round_row_clear(&rr);
	material_attach(r, arr, id);
	json_t *o = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return o;
}

/* ---- writing -------------------------------------------------------------------------------- */

/* The members of a round's body: every one required for POST (req = BODY_REQUIRED), none for
 * PATCH (req = 0). The times are RFC 3339 strings, parsed by round_from_body. */
#define ROUND_BODY(req)                                                                                      \
	{"number", BODY_INT, (req) | BODY_POSITIVE, ROUND_NUMBER_MAX},                                       \
		{"title", BODY_STR, (req) | BODY_NOT_BLANK | BODY_LINE, TITLE_MAX_BYTES},                    \
		{"venue", BODY_STR, (req) | BODY_NOT_BLANK | BODY_LINE, VENUE_MAX_BYTES},                    \
		{"seminar_starts_at", BODY_STR, (req)}, {"seminar_ends_at", BODY_STR, (req)},                \
		{"workshop_starts_at", BODY_STR, (req)}, {"workshop_ends_at", BODY_STR, (req)}

/* The round the declared body (ROUND_BODY) describes into rr, title and venue borrowed from the
 * body; absent members keep base's values (a PATCH; base NULL for a POST, whose members are all
 * required). Returns 0, or 422 invalid for a time that is not RFC 3339 or an end not after its
 * start. */
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
	rr->number = req_field_int(r, "number", rr->number);
	if (req_field_present(r, "title"))
		*title = req_field_str(r, "title");
	if (req_field_present(r, "venue"))
		*venue = req_field_str(r, "venue");
	for (size_t i = 0; i < ARRAY_LEN(time_names); i++) {
		const char *s = req_field_str(r, time_names[i]);
		if (s && time_parse_rfc3339(s, times[i]) != 0)
			return req_error(r, 422, "invalid", "%s must be an RFC 3339 time", time_names[i]);
	}
	if (rr->se <= rr->ss)
		return req_error(r, 422, "invalid", "the seminar must end after it starts");
	if (rr->we <= rr->ws)
		return req_error(r, 422, "invalid", "the workshop must end after it starts");
	return 0;
}

/* The id of the round numbered number, or 0. */
static int64_t round_by_number(struct db *d, int64_t number)
{
	sqlite3_stmt *st = db_stmt(d, round_by_number_sql);
	db_bind_int64(st, ":n", number);
	return db_one_int64(st, 0);
}

/* Binds rr's number, times, title and venue to st (an insert or an update). */
static void round_bind(sqlite3_stmt *st, const struct round_row *rr, const char *title, const char *venue)
{
	db_bind_int64(st, ":n", rr->number);
	db_bind_text(st, ":title", title);
	db_bind_int64(st, ":ss", rr->ss);
	db_bind_int64(st, ":se", rr->se);
	db_bind_int64(st, ":ws", rr->ws);
	db_bind_int64(st, ":we", rr->we);
	db_bind_text(st, ":venue", venue);
}

/* Inserts one round inside the request's transaction and audits round.create; returns its id, 0
 * when the number is taken, -1 on a database error. */
static int64_t round_insert(struct req *r, const struct round_row *rr, const char *title, const char *venue)
{
	assert(db_in_write_tx(r->db));
	if (round_by_number(r->db, rr->number) != 0)
		return 0;
	sqlite3_stmt *st = db_stmt(r->db, round_insert_sql);
	round_bind(st, rr, title, venue);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (round_audit(r, "round.create", "round", id,
			json_pack("{s:I, s:s}", "number", (json_int_t)rr->number, "title", title)) < 0)
		return -1;
	return id;
}

/* ---- handlers ------------------------------------------------------------------------------- */

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
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int64_t id = round_insert(r, &rr, title, venue);
	if (id == 0)
		return req_error(r, 409, "round_exists", "round %" PRId64 " exists", rr.number);
	if (id < 0)
		return req_internal(r, "round insert");
	return req_reply(r, 201, round_get_json(r, id));
}

/* Writes rr (title, venue) over round id inside the request's transaction; 0 or -1. */
static int round_store(struct req *r, int64_t id, const struct round_row *rr, const char *title, const char *venue)
{
	sqlite3_stmt *st = db_stmt(r->db, round_update_sql);
	db_bind_int64(st, ":id", id);
	round_bind(st, rr, title, venue);
	db_bind_int64(st, ":now", now_unix());
	return db_exec_stmt(r->db, st) < 0 ? -1 : 0;
}

/* Writes the PATCH body over round id (stored as base) in the request's transaction: 0, or the
 * error status (422 invalid, 409 round_exists, 500). Audited round.update. */
static int round_patch(struct req *r, int64_t id, const struct round_row *base)
{
	struct round_row rr;
	const char *title = NULL, *venue = NULL;
	int status = round_from_body(r, base, &rr, &title, &venue);
	if (status)
		return status;
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int64_t other = round_by_number(r->db, rr.number);
	if (other != 0 && other != id)
		return req_error(r, 409, "round_exists", "round %" PRId64 " exists", rr.number);
	if (round_store(r, id, &rr, title, venue) < 0 ||
	    round_audit(r, "round.update", "round", id, json_incref(r->body)) < 0)
		return req_internal(r, "round update");
	return 0;
}

/* PATCH /api/v1/rounds/{id} {any field of POST} — secretariat: 200 the round (a date or venue
 * correction; the feed's events carry a higher SEQUENCE); same errors as POST. */
static int handle_round_update(struct req *r)
{
	int64_t id;
	struct round_row base;
	if (req_path_id(r, 0, &id) < 0 || round_load(r->db, id, &base) < 0)
		return req_not_found(r);
	int status = round_patch(r, id, &base);
	round_row_clear(&base);
	return status ? status : req_reply(r, 200, round_get_json(r, id));
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
	material_attach(r, arr, 0);
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
/* The brochure's venue, the default of the standard ten. */
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

/* The date of standard round index of program_year (round.h). */
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

/* The program (fiscal) year today falls in, April to March, in Tokyo. */
static int64_t program_year_now(void)
{
	time_t now = (time_t)(now_unix() + JST);
	struct tm tm;
	gmtime_r(&now, &tm);
	return tm.tm_mon + 1 >= 4 ? tm.tm_year + 1900 : tm.tm_year + 1899;
}

/* The rounds of ids (a JSON array of round ids) as JSON, as r's caller reads them. */
static json_t *rounds_json(struct req *r, json_t *ids)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		json_t *o = round_get_json(r, json_integer_value(v));
		if (o)
			json_array_append_new(out, o);
	}
	return out;
}

/* POST /api/v1/rounds/standard {year?, venue?} — secretariat: creates the brochure's ten rounds
 * for program (fiscal) year `year` (default: the one today falls in, April to March, in Tokyo):
 * each on its Tuesday, seminar 13:00–15:00 and workshop 15:15–17:15 Asia/Tokyo, at `venue`
 * (default the brochure's). Numbers already used are skipped. 201 {created:[rounds], skipped:[numbers]}
 * (200 when nothing was created). */
static int handle_round_standard(struct req *r)
{
	int64_t year = req_field_int(r, "year", program_year_now());
	const char *venue = req_field_str(r, "venue");
	if (!venue)
		venue = standard_venue;
	if (year < 2000) /* the declaration holds the upper bound */
		return req_error(r, 422, "invalid", "year must be a program year from 2000 to 2098");
	if (req_tx(r) < 0)
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
			json_decref(created_ids);
			json_decref(skipped);
			return req_internal(r, "standard rounds");
		}
		json_array_append_new(id ? created_ids : skipped, json_integer(id ? id : i + 1));
	}
	json_t *created = rounds_json(r, created_ids);
	int status = json_array_size(created_ids) ? 201 : 200;
	json_decref(created_ids);
	return req_reply(r, status, json_pack("{s:I, s:o, s:o}", "year", (json_int_t)year, "created", created,
					      "skipped", skipped));
}

/* ---- the feed ------------------------------------------------------------------------------- */

/* Feed source: every round as a seminar and a workshop VEVENT (round.h). */
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
	ROUTE(POST, "/api/v1/rounds", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_round_create,
	      .body = {ROUND_BODY(BODY_REQUIRED)}),
	ROUTE(POST, "/api/v1/rounds/standard", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_round_standard,
	      .body = {{"year", BODY_INT, 0, 2098}, {"venue", BODY_STR, BODY_NOT_BLANK | BODY_LINE, VENUE_MAX_BYTES}}),
	ROUTE(GET, "/api/v1/rounds", ACCESS_CONTENT, handle_round_list),
	ROUTE(GET, "/api/v1/rounds/{id}", ACCESS_CONTENT, handle_round_get),
	ROUTE(PATCH, "/api/v1/rounds/{id}", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_round_update,
	      .body = {ROUND_BODY(0)}),
	{0},
};
