/* feed.c — the private calendar feed (docs/API.md §9). A feed URL carries a token that is never
 * stored: it is HMAC-SHA256(DATA/calendar.key, "mamori-calendar:<user>:<generation>"), so
 * GET /api/v1/me/calendar can give the same URL again while the database (and its backups) holds
 * only the token's SHA-256, as for sessions. Revoking clears the hash and bumps the generation:
 * the old URL answers 404 for ever, the next one is new. The key file is made once, 0600, on the
 * first need. See docs/CALENDAR.md. */
#include "feed.h"

#include "authz.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "ics.h"
#include "round.h"
#include "router.h"
#include "util.h"
#include "visit.h"

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every kind of event a feed carries, in order. */
static const feed_source_fn feed_sources[] = {
	round_feed_events,
	visit_feed_events, /* dispatch visits (§10, visit.c) */
};

/* ---- the key --------------------------------------------------------------------------------- */

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key_bytes[32];
static char key_dir[4096];
static bool key_loaded;

/* Reads the 32-byte key at path into key: 0, or -1 (absent or short). */
static int read_key(const char *path, unsigned char key[32])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, key, 32);
	close(fd);
	return n == 32 ? 0 : -1;
}

/* DATA/calendar.key: read it, or make it (temporary file, fsync, link into place so that two
 * threads or processes racing end with one key, directory fsync). 0 or -1 (logged). */
static int load_key(const char *data_dir, unsigned char out[32])
{
	int rc = -1;
	pthread_mutex_lock(&key_lock);
	if (key_loaded && strcmp(key_dir, data_dir) == 0) {
		memcpy(out, key_bytes, 32);
		pthread_mutex_unlock(&key_lock);
		return 0;
	}
	char *path = xasprintf("%s/calendar.key", data_dir), *tmp = xasprintf("%s/calendar.key.XXXXXX", data_dir);
	unsigned char key[32];
	if (read_key(path, key) < 0) {
		crypto_random(key, sizeof key);
		int fd = mkstemp(tmp);
		if (fd < 0 || fchmod(fd, 0600) < 0 || write(fd, key, sizeof key) != (ssize_t)sizeof key || fsync(fd) < 0) {
			char eb[128];
			log_error("calendar feed: cannot write %s: %s", tmp, strerror_r(errno, eb, sizeof eb));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			goto out;
		}
		close(fd);
		if (link(tmp, path) < 0 && errno != EEXIST) {
			char eb[128];
			log_error("calendar feed: cannot create %s: %s", path, strerror_r(errno, eb, sizeof eb));
			unlink(tmp);
			goto out;
		}
		unlink(tmp);
		int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		if (read_key(path, key) < 0) { /* whoever won the race */
			log_error("calendar feed: cannot read %s", path);
			goto out;
		}
	}
	memcpy(key_bytes, key, 32);
	snprintf(key_dir, sizeof key_dir, "%s", data_dir);
	key_loaded = true;
	memcpy(out, key, 32);
	rc = 0;
out:
	pthread_mutex_unlock(&key_lock);
	free(path);
	free(tmp);
	return rc;
}

/* The feed token of user_id's generation (feed.h). */
void feed_token(const unsigned char key[32], int64_t user_id, int64_t generation, char out[64])
{
	char msg[96];
	int n = snprintf(msg, sizeof msg, "mamori-calendar:%" PRId64 ":%" PRId64, user_id, generation);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	HMAC(EVP_sha256(), key, 32, (const unsigned char *)msg, (size_t)n, mac, &maclen);
	char *s = crypto_b64url_new(mac, maclen);
	snprintf(out, 64, "%s", s);
	free(s);
}

/* The installation's UID domain: "mamori-" and 12 hex digits derived from the key, so UIDs stay
 * the same whatever base_url says. */
static void uid_host(const unsigned char key[32], char out[32])
{
	char hex[65];
	unsigned char in[40];
	memcpy(in, "mamori-uid", 10);
	memcpy(in + 10, key, 30);
	crypto_sha256_hex(in, sizeof in, hex);
	snprintf(out, 32, "mamori-%.12s", hex);
}

/* ---- routes ---------------------------------------------------------------------------------- */

static const char feed_sql[] = "SELECT generation, token_hash, created_at FROM calendar_feeds WHERE user_id = :uid";
static const char feed_insert_sql[] =
	"INSERT INTO calendar_feeds (user_id, generation, token_hash, created_at) VALUES (:uid, 1, :h, :now)"
	" ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at"
	" WHERE calendar_feeds.token_hash IS NULL";
static const char feed_revoke_sql[] =
	"UPDATE calendar_feeds SET token_hash = NULL, generation = generation + 1"
	" WHERE user_id = :uid AND token_hash IS NOT NULL";
/* The owner of a live feed: an active user, not of a withdrawn company. */
static const char feed_owner_sql[] =
	"SELECT f.user_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id"
	" LEFT JOIN companies c ON c.id = u.company_id"
	" WHERE f.token_hash = :h AND u.status = 'active' AND coalesce(c.status, '') <> 'withdrawn'";

/* cfg->base_url without trailing slashes. New string. */
static char *base_url_new(const struct config *cfg)
{
	size_t n = strlen(cfg->base_url);
	while (n && cfg->base_url[n - 1] == '/')
		n--;
	return xstrndup(cfg->base_url, n);
}

/* The feed URL of token: base_url/calendar/TOKEN.ics. New string. */
static char *feed_url_new(const struct config *cfg, const char *token)
{
	char *base = base_url_new(cfg);
	char *url = xasprintf("%s/calendar/%s.ics", base, token);
	free(base);
	return url;
}

/* GET /api/v1/me/calendar — signed in: 200 {url, webcal_url, created_at}, the caller's feed,
 * made on the first call (the same URL on every later call until revoked). */
static int handle_feed_url(struct req *r)
{
	unsigned char key[32];
	if (load_key(r->cfg->data_dir, key) < 0)
		return req_internal(r, "calendar key");
	sqlite3_stmt *st = db_stmt(r->db, feed_sql);
	db_bind_int64(st, ":uid", r->who->user_id);
	int64_t gen = 1, created = 0;
	bool live = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		gen = sqlite3_column_int64(st, 0);
		live = sqlite3_column_type(st, 1) != SQLITE_NULL;
		created = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	char token[64], hash[65];
	feed_token(key, r->who->user_id, gen, token);
	crypto_sha256_hex(token, strlen(token), hash);
	if (!live) {
		created = now_unix();
		if (req_tx(r) < 0)
			return req_internal(r, "begin");
		st = db_stmt(r->db, feed_insert_sql);
		db_bind_int64(st, ":uid", r->who->user_id);
		db_bind_text(st, ":h", hash);
		db_bind_int64(st, ":now", created);
		if (db_exec_stmt(r->db, st) < 0)
			return req_internal(r, "calendar feed");
	}
	char *url = feed_url_new(r->cfg, token);
	const char *rest = strstr(url, "://");
	char *webcal = xasprintf("webcal://%s", rest ? rest + 3 : url);
	json_t *o = json_pack("{s:s, s:s, s:o}", "url", url, "webcal_url", webcal, "created_at", json_time(created));
	free(url);
	free(webcal);
	return req_reply(r, 200, o);
}

/* DELETE /api/v1/me/calendar — signed in: 204; the current URL answers 404 from now on and the
 * next GET /api/v1/me/calendar makes a new one. */
static int handle_feed_revoke(struct req *r)
{
	sqlite3_stmt *st = db_stmt(r->db, feed_revoke_sql);
	db_bind_int64(st, ":uid", r->who->user_id);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "calendar revoke");
	return 204;
}

/* GET /calendar/{token}.ics — anyone holding the URL, no session: 200 text/calendar (RFC 5545)
 * with every source's events for the feed's owner. An unknown or revoked token, a suspended owner
 * or one of a withdrawn company → 404. */
static int handle_feed_ics(struct req *r)
{
	const char *file = req_path_str(r, 0);
	size_t n = file ? strlen(file) : 0;
	if (n <= 4 || n > 80 || strcmp(file + n - 4, ".ics") != 0)
		return req_not_found(r);
	char hash[65];
	crypto_sha256_hex(file, n - 4, hash);
	sqlite3_stmt *st = db_stmt(r->db, feed_owner_sql);
	db_bind_text(st, ":h", hash);
	int64_t uid = db_one_int64(st, 0);
	struct principal p;
	if (!uid || authz_principal_load(r->db, uid, &p) < 0)
		return req_not_found(r);
	unsigned char key[32];
	if (load_key(r->cfg->data_dir, key) < 0) {
		principal_clear(&p);
		return req_internal(r, "calendar key");
	}
	char host[32];
	uid_host(key, host);
	char *base = base_url_new(r->cfg);
	struct feed_ctx ctx = {.base_url = base, .uid_host = host, .dtstamp = now_unix()};
	struct buf b = {0};
	ics_begin(&b, "mamori 研修日程");
	int rc = 0;
	for (size_t i = 0; i < ARRAY_LEN(feed_sources) && rc == 0; i++)
		rc = feed_sources[i](r->db, &p, &ctx, &b);
	ics_end(&b);
	principal_clear(&p);
	free(base);
	if (rc < 0) {
		buf_free(&b);
		return req_internal(r, "calendar feed");
	}
	r->raw_out = evbuffer_new();
	evbuffer_add(r->raw_out, b.data, b.len);
	buf_free(&b);
	req_header(r, "Content-Type", "text/calendar; charset=utf-8");
	req_header(r, "Content-Disposition", "inline; filename=\"mamori.ics\"");
	req_header(r, "Cache-Control", "private, no-store");
	req_header(r, "Referrer-Policy", "no-referrer");
	return 200;
}

const struct route feed_routes[] = {
	ROUTE(GET, "/api/v1/me/calendar", ACCESS_SESSION, handle_feed_url),
	ROUTE(DELETE, "/api/v1/me/calendar", ACCESS_SESSION, handle_feed_revoke, .flags = ROUTE_TX),
	ROUTE(GET, "/calendar/{file}", ACCESS_PUBLIC, handle_feed_ics),
	{0},
};
