/* audit.c — appending to, verifying and listing the audit log. Each entry's hash covers the
 * previous entry's hash and every column of its own, and ids are dense (previous id + 1), so a
 * changed byte, a removed entry or a reordering all break the chain at a named entry. */
#include "audit.h"

#include "crypto.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "server.h"
#include "util.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char last_sql[] = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
static const char insert_sql[] =
	"INSERT INTO audit_log (id, at, actor_id, action, target, ip, detail, prev_hash, hash)"
	" VALUES (:id, :at, :actor, :action, :target, :ip, :detail, :prev, :hash)";
static const char all_sql[] =
	"SELECT id, at, coalesce(actor_id, 0), action, target, ip, detail, prev_hash, hash FROM audit_log ORDER BY id";
static const char page_sql[] =
	"SELECT id, at, actor_id, action, target, ip, hash, detail FROM audit_log WHERE id > :after ORDER BY id LIMIT :limit";

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* Writes into out the hex SHA-256 of one entry chained to prev: prev, id, at, actor, action,
 * target, ip and detail, joined by newlines (audit.h). */
static void entry_hash(const char *prev, int64_t id, int64_t at, int64_t actor, const char *action,
		       const char *target, const char *ip, const char *detail, char out[65])
{
	struct buf b = {0};
	buf_printf(&b, "%s\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n", prev, id, at, actor);
	buf_puts(&b, action);
	buf_puts(&b, "\n");
	buf_puts(&b, target);
	buf_puts(&b, "\n");
	buf_puts(&b, ip);
	buf_puts(&b, "\n");
	buf_puts(&b, detail);
	crypto_sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

int audit_append(struct db *d, int64_t actor_id, const char *action, const char *target, const char *ip,
		 json_t *detail)
{
	assert(db_in_write_tx(d));
	sqlite3_stmt *st = db_stmt(d, last_sql);
	int64_t id = 1;
	char prev[65] = GENESIS;
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof prev, "%s", db_col_text(st, 1));
	}
	sqlite3_reset(st);
	char *det = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : xstrdup("{}");
	int64_t at = now_unix();
	char hash[65];
	entry_hash(prev, id, at, actor_id, action, target ? target : "", ip ? ip : "", det, hash);
	st = db_stmt(d, insert_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":at", at);
	if (actor_id)
		db_bind_int64(st, ":actor", actor_id);
	db_bind_text(st, ":action", action);
	db_bind_text(st, ":target", target ? target : "");
	db_bind_text(st, ":ip", ip ? ip : "");
	db_bind_text(st, ":detail", det);
	db_bind_text(st, ":prev", prev);
	db_bind_text(st, ":hash", hash);
	free(det);
	return db_exec_stmt(d, st) == 0 ? 0 : -1;
}

/* Walks the chain in id order (audit.h): the entry count, or -1 with *bad_id. */
int64_t audit_verify(struct db *d, int64_t *bad_id)
{
	sqlite3_stmt *st = db_stmt(d, all_sql);
	char prev[65] = GENESIS;
	int64_t expect = 1, n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		char hash[65];
		entry_hash(prev, id, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), db_col_text(st, 3),
			   db_col_text(st, 4), db_col_text(st, 5), db_col_text(st, 6), hash);
		if (id != expect || strcmp(prev, db_col_text(st, 7)) != 0 || strcmp(hash, db_col_text(st, 8)) != 0) {
			*bad_id = id != expect ? expect : id;
			sqlite3_reset(st);
			return -1;
		}
		snprintf(prev, sizeof prev, "%s", db_col_text(st, 8));
		expect = id + 1;
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*bad_id = expect;
		return -1;
	}
	return n;
}

int audit_cli(int argc, char **argv)
{
	const char *data = NULL;
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "usage: mamori audit verify --data DIR\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else {
			fprintf(stderr, "mamori audit verify: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!data) {
		fprintf(stderr, "mamori audit verify: --data DIR is required\n");
		return 2;
	}
	struct db *d = NULL;
	if (db_open(data, false, &d) < 0)
		return 1;
	int64_t bad = 0, n = audit_verify(d, &bad);
	db_close(d);
	if (n < 0) {
		printf("broken at entry %" PRId64 "\n", bad);
		return 1;
	}
	printf("ok %" PRId64 " entries\n", n);
	return 0;
}

/* GET /api/v1/audit?after=&limit= — secretariat: entries oldest first, 100 per page. */
static int handle_audit_list(struct req *r)
{
	int64_t after = req_query_int(r, "after", 0), limit = req_query_int(r, "limit", 100);
	if (limit < 1 || limit > 1000)
		limit = 100;
	sqlite3_stmt *st = db_stmt(r->db, page_sql);
	db_bind_int64(st, ":after", after);
	db_bind_int64(st, ":limit", limit);
	json_t *entries = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *e = json_object();
		json_object_set_new(e, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(e, "at", json_time(sqlite3_column_int64(st, 1)));
		json_object_set_new(e, "actor_id", sqlite3_column_type(st, 2) == SQLITE_NULL
							   ? json_null()
							   : json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(e, "action", json_string(db_col_text(st, 3)));
		json_object_set_new(e, "target", json_string(db_col_text(st, 4)));
		json_object_set_new(e, "ip", json_string(db_col_text(st, 5)));
		json_object_set_new(e, "hash", json_string(db_col_text(st, 6)));
		json_t *detail = json_loads(db_col_text(st, 7), 0, NULL);
		json_object_set_new(e, "detail", detail ? detail : json_object());
		json_array_append_new(entries, e);
	}
	sqlite3_reset(st);
	json_t *out = json_object();
	json_object_set_new(out, "entries", entries);
	return req_reply(r, 200, out);
}

const struct route audit_routes[] = {
	ROUTE(GET, "/api/v1/audit", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_audit_list,
	      .params = {{"after", PARAM_INT}, {"limit", PARAM_INT}}),
	{0},
};

/* ---- the thread.read audit ------------------------------------------------------------------ */

static const char thread_scope_sql[] =
	"SELECT visibility, coalesce(company_id, 0) FROM threads WHERE id = :id";

int audit_thread_read(struct req *r, int64_t thread_id, const char *via)
{
	assert(server_on_worker_thread() && !db_in_write_tx(r->db));
	sqlite3_stmt *st = db_stmt(r->db, thread_scope_sql);
	db_bind_int64(st, ":id", thread_id);
	bool outsider = false;
	if (sqlite3_step(st) == SQLITE_ROW)
		outsider = strcmp(db_col_text(st, 0), "company") == 0 &&
			   sqlite3_column_int64(st, 1) != r->who->company_id;
	sqlite3_reset(st);
	return outsider ? audit_thread_outsider_read(r, thread_id, via) : 0;
}

/* Appends the thread.read entry in its own write transaction (audit.h); worker thread, none open. */
int audit_thread_outsider_read(struct req *r, int64_t thread_id, const char *via)
{
	assert(server_on_worker_thread() && !db_in_write_tx(r->db));
	if (db_tx_begin(r->db, __func__) < 0)
		return -1;
	json_t *detail = via ? json_pack("{s:s}", "via", via) : NULL;
	int rc = audit_append_on(r->db, r->who->user_id, "thread.read", "thread", thread_id, r->ip, detail);
	json_decref(detail);
	if (rc < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return -1;
	}
	return 0;
}

char *audit_target(char *out, const char *kind, int64_t id)
{
	snprintf(out, AUDIT_TARGET_MAX, "%s:%lld", kind, (long long)id);
	return out;
}

int audit_append_on(struct db *d, int64_t actor_id, const char *action, const char *kind, int64_t id,
		    const char *ip, json_t *detail)
{
	char target[AUDIT_TARGET_MAX];
	return audit_append(d, actor_id, action, audit_target(target, kind, id), ip, detail);
}
