/* idempotency.c — Idempotency-Key for creating POSTs (idempotency.h). The router calls it for
 * every route, so no handler knows about it. A key belongs to the caller (the signed-in user,
 * or the client's address for a POST without a session) and names one request: the SHA-256 of
 * its method, path with query, and body (JSON in canonical form). While that request runs, the key is held in a table
 * of this process, and the same key from anywhere else is answered 409 idempotency_key_in_use
 * at once (the client retries later; nothing waits on a worker loop). Once its 201 is stored
 * (in the creation's own write batch: both are durable or neither is), a retry gets the same
 * answer; a different request under the key is 422 idempotency_key_reused. Only 201 answers
 * are stored: anything else created nothing, so a retry runs the request again. Stored answers
 * are sealed under a key derived from the Idempotency-Key (seal_key), so the database files never
 * hold an answer, nor a secret in it, in the clear. */
#include "idempotency.h"

#include "crypto.h"
#include "db.h"
#include "http.h"
#include "server.h"
#include "util.h"

#include <event2/http.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 255
#define TTL_SECONDS (24 * 3600)
#define CLEANUP_EVERY_SECONDS 10
#define CLEANUP_BATCH 500

static const char lookup_sql[] =
	"SELECT request_sha256, status, response FROM idempotency_keys"
	" WHERE scope = :scope AND key_sha256 = :key AND created_at > :cutoff";
static const char insert_sql[] =
	"INSERT OR REPLACE INTO idempotency_keys (scope, key_sha256, request_sha256, status, response, created_at)"
	" VALUES (:scope, :key, :sha, :status, :response, :now)";
static const char expired_sql[] = "SELECT 1 FROM idempotency_keys WHERE created_at <= :cutoff LIMIT 1";
static const char delete_sql[] =
	"DELETE FROM idempotency_keys WHERE (scope, key_sha256) IN"
	" (SELECT scope, key_sha256 FROM idempotency_keys WHERE created_at <= :cutoff LIMIT 500)";

struct idem {
	char *name; /* scope "\n" key: the in-flight table's entry */
	size_t scope_len;
	char sha[65];
	bool replayed;
};

/* Keys whose request is being answered, in the whole process. */
static struct {
	pthread_mutex_t lock;
	char **v;
	size_t n, cap;
} inflight = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Adds name; false when it is there already. */
static bool inflight_take(const char *name)
{
	pthread_mutex_lock(&inflight.lock);
	for (size_t i = 0; i < inflight.n; i++)
		if (strcmp(inflight.v[i], name) == 0) {
			pthread_mutex_unlock(&inflight.lock);
			return false;
		}
	if (inflight.n == inflight.cap)
		inflight.v = xrealloc(inflight.v, (inflight.cap = inflight.cap ? inflight.cap * 2 : 16) * sizeof *inflight.v);
	inflight.v[inflight.n++] = xstrdup(name);
	pthread_mutex_unlock(&inflight.lock);
	return true;
}

/* Removes name from the process's in-flight keys, if it is there. */
static void inflight_drop(const char *name)
{
	pthread_mutex_lock(&inflight.lock);
	for (size_t i = 0; i < inflight.n; i++)
		if (strcmp(inflight.v[i], name) == 0) {
			free(inflight.v[i]);
			inflight.v[i] = inflight.v[--inflight.n];
			break;
		}
	pthread_mutex_unlock(&inflight.lock);
}

/* The key that seals a stored answer: HMAC-SHA256 under the Idempotency-Key (which only the
 * client holds) of the scope and the request's digest. The table keeps neither the key nor the
 * answer in the clear, so an answer that carries a secret (an invitation token) cannot be read
 * from the database files. */
static void seal_key(const struct idem *id, unsigned char out[32])
{
	const char *key = id->name + id->scope_len + 1;
	char *msg = xasprintf("mamori idempotency v1\n%.*s\n%s", (int)id->scope_len, id->name, id->sha);
	crypto_hmac_sha256(key, strlen(key), msg, strlen(msg), out);
	free(msg);
}

/* True when Idempotency-Key k is 1 to KEY_MAX printable ASCII characters. */
static bool key_valid(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > KEY_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

int idempotency_begin(struct req *r)
{
	if (r->method != EVHTTP_REQ_POST)
		return 0;
	const char *key = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Idempotency-Key");
	if (!key)
		return 0;
	if (!key_valid(key))
		return req_error(r, 400, "bad_request", "Idempotency-Key must be 1-%d printable ASCII characters", KEY_MAX);
	char scope[96];
	if (r->who)
		snprintf(scope, sizeof scope, "u:%lld", (long long)r->who->user_id);
	else
		snprintf(scope, sizeof scope, "c:%s", r->ip);
	/* The request: method, path with query (an upload's file name), and the body's digest; a
	 * JSON body in a canonical form (compact, keys sorted), so the same JSON is the same
	 * request however the client spells it. */
	char body_sha[65];
	char *canon = r->body ? json_dumps(r->body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (canon)
		crypto_sha256_hex(canon, strlen(canon), body_sha);
	else
		crypto_sha256_hex(r->raw ? (const void *)r->raw : "", r->raw_len, body_sha);
	free(canon);
	char *what = xasprintf("POST %s\n%s", evhttp_request_get_uri(r->ev), body_sha);
	struct idem *id = xcalloc(1, sizeof *id);
	crypto_sha256_hex(what, strlen(what), id->sha);
	free(what);
	id->name = xasprintf("%s\n%s", scope, key);
	id->scope_len = strlen(scope);
	if (!inflight_take(id->name)) {
		free(id->name);
		free(id);
		return req_error(r, 409, "idempotency_key_in_use",
				 "a request with this Idempotency-Key is still being answered; retry shortly");
	}
	r->idem = id;
	char key_sha[65];
	crypto_sha256_hex(key, strlen(key), key_sha);
	sqlite3_stmt *st = db_stmt(r->db, lookup_sql);
	db_bind_text(st, ":scope", scope);
	db_bind_text(st, ":key", key_sha);
	db_bind_int64(st, ":cutoff", now_unix() - TTL_SECONDS);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	id->replayed = true;
	int status = sqlite3_column_int(st, 1);
	bool same = strcmp(db_col_text(st, 0), id->sha) == 0;
	json_t *out = NULL;
	if (same) {
		unsigned char k[32];
		size_t n = 0;
		seal_key(id, k);
		unsigned char *plain = crypto_open_new(k, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), &n);
		OPENSSL_cleanse(k, sizeof k);
		if (plain)
			out = json_loadb((const char *)plain, n, 0, NULL);
		free(plain);
	}
	sqlite3_reset(st);
	if (!same)
		return req_error(r, 422, "idempotency_key_reused",
				 "this Idempotency-Key was used for a different request in the last 24 hours");
	if (!out)
		return req_internal(r, "stored idempotent answer");
	req_header(r, "Idempotent-Replayed", "true");
	return req_reply(r, status, out);
}

void idempotency_record(struct req *r, int status)
{
	struct idem *id = r->idem;
	if (!id || id->replayed || status != 201 || !r->out || r->err_code)
		return;
	char *response = json_dumps(r->out, JSON_COMPACT);
	size_t response_len = strlen(response);
	unsigned char k[32];
	seal_key(id, k);
	unsigned char *sealed = crypto_seal_new(k, response, response_len);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(response, response_len);
	char key_sha[65];
	const char *key = id->name + id->scope_len + 1;
	crypto_sha256_hex(key, strlen(key), key_sha);
	char scope[96];
	snprintf(scope, sizeof scope, "%.*s", (int)id->scope_len, id->name);
	/* In the request's own write batch when it wrote (the worker still holds the writer). */
	if (db_tx_begin(r->db, __func__) == 0) {
		sqlite3_stmt *st = db_stmt(r->db, insert_sql);
		db_bind_text(st, ":scope", scope);
		db_bind_text(st, ":key", key_sha);
		db_bind_text(st, ":sha", id->sha);
		db_bind_int64(st, ":status", status);
		db_bind_blob(st, ":response", sealed, response_len + CRYPTO_SEAL_OVERHEAD);
		db_bind_int64(st, ":now", now_unix());
		if (db_exec_stmt(r->db, st) < 0 || db_tx_commit(r->db) < 0) {
			db_tx_rollback(r->db);
			log_error("idempotency: the answer for a key could not be stored");
		}
	}
	free(sealed);
	free(response);
}

void idempotency_end(struct req *r)
{
	struct idem *id = r->idem;
	if (!id)
		return;
	inflight_drop(id->name);
	free(id->name);
	free(id);
	r->idem = NULL;
}

void idempotency_tick(struct worker *w)
{
	static int64_t last; /* worker 0's thread only */
	if (w->index != 0 || server_stopping())
		return;
	int64_t now = now_unix();
	if (now - last < CLEANUP_EVERY_SECONDS)
		return;
	last = now;
	sqlite3_stmt *st = db_stmt(w->db, expired_sql);
	db_bind_int64(st, ":cutoff", now - TTL_SECONDS);
	if (db_one_int64(st, 0) != 1)
		return; /* a read, no write batch, when nothing has expired */
	if (db_tx_begin(w->db, __func__) < 0)
		return;
	st = db_stmt(w->db, delete_sql);
	db_bind_int64(st, ":cutoff", now - TTL_SECONDS);
	if (db_exec_stmt(w->db, st) < 0 || db_tx_commit(w->db) < 0)
		db_tx_rollback(w->db);
}

/* No routes of its own: the router runs it for every POST. */
const struct route idempotency_routes[] = {{0}};
