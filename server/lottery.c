/* lottery.c — the selection lottery (docs/API.md §8; docs/APPLICATIONS.md "The lottery"): the
 * draw among `contacted` applications per track (sha256("<seed>:<id>") order, the first
 * `remaining` selected, the rest waitlisted), what the lottery page shows, and the promotion of
 * the next waitlisted application when a selected one is declined (application.c calls it).
 * Routes: GET/POST /api/v1/selection — the secretariat's alone (404 for anyone else). */
#include "application.h"

#include "account.h"
#include "audit.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "registry.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_MAX_BYTES 200

static const char *const track_names[] = {"monozukuri", "service"};

static const char next_waitlisted_sql[] =
	"SELECT id FROM applications WHERE track = :track AND status = 'waitlisted'"
	" ORDER BY draw_id, draw_rank LIMIT 1";
static const char promote_sql[] =
	"UPDATE applications SET status = 'selected', selected_at = :now, closed_at = NULL WHERE id = :id";
static const char candidates_sql[] =
	"SELECT id FROM applications WHERE status = 'contacted' AND draw_id IS NULL AND track = :track"
	" ORDER BY id";
static const char selected_pending_sql[] =
	"SELECT count(*) FROM applications WHERE status = 'selected' AND track = :track";
static const char draw_insert_sql[] =
	"INSERT INTO selection_draws (seed, drawn_by, drawn_at, result) VALUES (:seed, :uid, :now, '{}')";
static const char draw_result_sql[] = "UPDATE selection_draws SET result = :result WHERE id = :id";
static const char draw_mark_sql[] =
	"UPDATE applications SET draw_id = :draw, draw_rank = :rank, draw_hash = :hash, status = :status,"
	" selected_at = CASE WHEN :status = 'selected' THEN :now END,"
	" closed_at = CASE WHEN :status = 'waitlisted' THEN :now END WHERE id = :id";
static const char draws_sql[] =
	"SELECT d.id, d.seed, d.drawn_at, d.drawn_by, u.name, d.result FROM selection_draws d"
	" LEFT JOIN users u ON u.id = d.drawn_by ORDER BY d.id DESC";
static const char candidate_rows_sql[] =
	"SELECT id, company_name, received_at, contacted_at FROM applications"
	" WHERE status = 'contacted' AND draw_id IS NULL AND track = :track ORDER BY id";

/* ---- waitlist promotion ------------------------------------------------------------------------ */

/* Promotes the first waitlisted application of track (application.h). */
int lottery_promote_next(struct db *d, const char *track, int64_t now, int64_t *promoted)
{
	assert(db_in_write_tx(d));
	sqlite3_stmt *st = db_stmt(d, next_waitlisted_sql);
	db_bind_text(st, ":track", track);
	*promoted = db_one_int64(st, 0);
	if (!*promoted)
		return 0;
	st = db_stmt(d, promote_sql);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":id", *promoted);
	return db_exec_stmt(d, st) == 0 ? 0 : -1;
}

/* ---- the draw ------------------------------------------------------------------------------ */

/* A candidate of the draw: its id and sha256("<seed>:<id>"). */
struct cand {
	int64_t id;
	char hash[65];
};

/* Orders candidates by hash, then id. */
static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = strcmp(x->hash, y->hash);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Places left on track: capacity − active companies − selected applications not yet admitted
 * (never below 0). */
static int64_t track_remaining(struct req *r, const char *track, int64_t *active, int64_t *pending)
{
	*active = registry_track_active(r->db, track);
	sqlite3_stmt *st = db_stmt(r->db, selected_pending_sql);
	db_bind_text(st, ":track", track);
	*pending = db_one_int64(st, 0);
	int64_t rem = r->cfg->track_capacity - *active - *pending;
	return rem > 0 ? rem : 0;
}

/* Draws one track's candidates; appends to the result arrays and the per-track detail. */
static int draw_track(struct req *r, const char *seed, int64_t draw, int64_t now, const char *track,
		      json_t *selected, json_t *waitlisted, json_t *tracks)
{
	struct cand *c = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = db_stmt(r->db, candidates_sql);
	db_bind_text(st, ":track", track);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			c = xrealloc(c, cap * sizeof *c);
		}
		c[n].id = sqlite3_column_int64(st, 0);
		char *text = xasprintf("%s:%" PRId64, seed, c[n].id);
		crypto_sha256_hex(text, strlen(text), c[n].hash);
		free(text);
		n++;
	}
	sqlite3_reset(st);
	if (n)
		qsort(c, n, sizeof *c, cand_cmp);
	int64_t active, pending, remaining = track_remaining(r, track, &active, &pending);
	json_t *ts = json_array(), *tw = json_array(), *order = json_array();
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		bool sel = (int64_t)i < remaining;
		st = db_stmt(r->db, draw_mark_sql);
		db_bind_int64(st, ":draw", draw);
		db_bind_int64(st, ":rank", (int64_t)i + 1);
		db_bind_text(st, ":hash", c[i].hash);
		db_bind_text(st, ":status", sel ? "selected" : "waitlisted");
		db_bind_int64(st, ":now", now);
		db_bind_int64(st, ":id", c[i].id);
		rc = db_exec_stmt(r->db, st) < 0 ? -1 : 0;
		json_array_append_new(sel ? ts : tw, json_integer(c[i].id));
		json_array_append_new(sel ? selected : waitlisted, json_integer(c[i].id));
		json_array_append_new(order, json_pack("{s:I,s:s}", "id", (json_int_t)c[i].id, "hash", c[i].hash));
	}
	json_array_append_new(tracks, json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "track", track, "capacity",
						(json_int_t)r->cfg->track_capacity, "active", (json_int_t)active,
						"selected_before", (json_int_t)pending, "remaining",
						(json_int_t)remaining, "selected", ts, "waitlisted", tw, "order",
						order));
	free(c);
	return rc;
}

/* POST /api/v1/selection {seed} — secretariat: 200 {seed, selected:[ids], waitlisted:[ids],
 * draw_id, drawn_at, tracks:[{track, capacity, active, selected_before, remaining, selected,
 * waitlisted, order:[{id, hash}]}]}. Every `contacted` application not drawn before takes part;
 * per track the first `remaining` by sha256("<seed>:<id>") ascending are selected, the rest
 * waitlisted (all selected when they fit). Audited selection.draw with the seed and the result. */
static int handle_lottery_draw(struct req *r)
{
	const char *seed = NULL;
	if (!application_may_read(r))
		return req_not_found(r);
	/* Not a declared body: for anyone but the secretariat the route answers 404 before any 422
	 * (applications do not exist for them, docs/API.md §2), and `invalid` names the field. */
	if (req_body_str(r, "seed", &seed) != 0 || !account_text_ok(seed, SEED_MAX_BYTES))
		return application_invalid(r, "seed",
					   "must be a non-empty text of at most 200 bytes without control characters");
	int64_t now = now_unix();
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, draw_insert_sql);
	db_bind_text(st, ":seed", seed);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "draw");
	int64_t draw = sqlite3_last_insert_rowid(db_handle(r->db));
	json_t *selected = json_array(), *waitlisted = json_array(), *tracks_out = json_array();
	int rc = 0;
	for (size_t i = 0; i < ARRAY_LEN(track_names) && rc == 0; i++)
		rc = draw_track(r, seed, draw, now, track_names[i], selected, waitlisted, tracks_out);
	json_t *result = json_pack("{s:O,s:O}", "selected", selected, "waitlisted", waitlisted);
	char *text = json_dumps(result, JSON_COMPACT);
	json_decref(result);
	if (rc == 0) {
		st = db_stmt(r->db, draw_result_sql);
		db_bind_text(st, ":result", text);
		db_bind_int64(st, ":id", draw);
		rc = db_exec_stmt(r->db, st) < 0 ? -1 : 0;
	}
	free(text);
	json_t *detail = json_pack("{s:s,s:I,s:O,s:O}", "seed", seed, "draw_id", (json_int_t)draw, "selected",
				   selected, "waitlisted", waitlisted);
	if (rc == 0)
		rc = audit_append_on(r->db, r->who->user_id, "selection.draw", "selection", draw, r->ip, detail);
	json_decref(detail);
	json_t *out = json_pack("{s:s,s:o,s:o,s:I,s:o,s:o}", "seed", seed, "selected", selected, "waitlisted",
				waitlisted, "draw_id", (json_int_t)draw, "drawn_at", json_time(now), "tracks",
				tracks_out);
	if (rc != 0) {
		json_decref(out);
		return req_internal(r, "draw");
	}
	return req_reply(r, 200, out);
}

/* GET /api/v1/selection — secretariat: what the lottery page shows. 200 {tracks:[{track,
 * capacity, active, selected_before, remaining, candidates:[{id, company_name, received_at,
 * contacted_at}]}], draws:[{id, seed, drawn_at, drawn_by, drawn_by_name, selected, waitlisted}]}
 * (newest draw first). */
static int handle_lottery_view(struct req *r)
{
	if (!application_may_read(r))
		return req_not_found(r);
	json_t *tracks_out = json_array();
	for (size_t i = 0; i < ARRAY_LEN(track_names); i++) {
		int64_t active, pending, remaining = track_remaining(r, track_names[i], &active, &pending);
		json_t *cands = json_array();
		sqlite3_stmt *st = db_stmt(r->db, candidate_rows_sql);
		db_bind_text(st, ":track", track_names[i]);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(cands, json_pack("{s:I,s:s,s:o,s:o}", "id",
							       (json_int_t)sqlite3_column_int64(st, 0),
							       "company_name", db_col_text(st, 1), "received_at",
							       json_time(sqlite3_column_int64(st, 2)),
							       "contacted_at", view_col_time(st, 3)));
		sqlite3_reset(st);
		json_array_append_new(tracks_out,
				      json_pack("{s:s,s:I,s:I,s:I,s:I,s:o}", "track", track_names[i], "capacity",
						(json_int_t)r->cfg->track_capacity, "active", (json_int_t)active,
						"selected_before", (json_int_t)pending, "remaining",
						(json_int_t)remaining, "candidates", cands));
	}
	json_t *draws = json_array();
	sqlite3_stmt *st = db_stmt(r->db, draws_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *res = json_loads(db_col_text(st, 5), 0, NULL);
		json_t *sel = json_incref(json_object_get(res, "selected")),
		       *wait = json_incref(json_object_get(res, "waitlisted"));
		json_decref(res);
		json_array_append_new(draws, json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o}", "id",
						       (json_int_t)sqlite3_column_int64(st, 0), "seed",
						       db_col_text(st, 1), "drawn_at",
						       json_time(sqlite3_column_int64(st, 2)), "drawn_by",
						       view_col_int(st, 3), "drawn_by_name", view_col_text(st, 4),
						       "selected", sel ? sel : json_array(), "waitlisted",
						       wait ? wait : json_array()));
	}
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o,s:o}", "tracks", tracks_out, "draws", draws));
}

const struct route lottery_routes[] = {
	/* ACCESS_CONTENT without a role bit: a participant or an expert gets 404 (application_may_read). */
	ROUTE(GET, "/api/v1/selection", ACCESS_CONTENT, handle_lottery_view),
	ROUTE(POST, "/api/v1/selection", ACCESS_CONTENT, handle_lottery_draw),
	{0},
};
