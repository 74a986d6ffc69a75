/* attachment.c — files attached to threads (docs/API.md §5). Content is stored once per SHA-256
 * under DATA/files/ab/cdef..., written to a temporary file, fsynced, renamed into place and its
 * directory fsynced on a helper thread before the database row commits, so a committed row
 * always names a durable file. Files are served only to readers of their thread, always as a
 * download (Content-Disposition: attachment, application/octet-stream, nosniff). */
#include "attachment.h"

#include "audit.h"
#include "authz.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "filename.h"
#include "http.h"
#include "router.h"
#include "server.h"
#include "util.h"

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_upload_delay_ms; /* set once by main (attachment_test_hooks) */

/* attachment.h */
void attachment_test_hooks(int upload_delay_ms)
{
	test_upload_delay_ms = upload_delay_ms;
}

static const char insert_sql[] =
	"INSERT INTO attachments (thread_id, uploader_id, filename, size, sha256, created_at)"
	" VALUES (:tid, :uid, :name, :size, :sha, :now)";
static const char one_sql[] =
	"SELECT a.id, a.thread_id, a.filename, a.size, a.sha256, a.created_at, a.uploader_id"
	" FROM attachments a JOIN threads t ON t.id = a.thread_id WHERE a.id = :id AND " AUTHZ_THREAD_VISIBLE;
static const char list_sql[] =
	"SELECT a.id, a.thread_id, a.filename, a.size, a.sha256, a.created_at, a.uploader_id"
	" FROM attachments a JOIN threads t ON t.id = a.thread_id WHERE a.thread_id = :id AND "
	AUTHZ_THREAD_VISIBLE " ORDER BY a.id";

/* One attachment row (one_sql, list_sql) as JSON. */
static json_t *attachment_json(sqlite3_stmt *st)
{
	return json_pack("{s:I, s:I, s:s, s:I, s:s, s:o, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "thread_id", (json_int_t)sqlite3_column_int64(st, 1), "filename", db_col_text(st, 2), "size",
			 (json_int_t)sqlite3_column_int64(st, 3), "sha256", db_col_text(st, 4), "created_at",
			 json_time(sqlite3_column_int64(st, 5)), "uploader_id", (json_int_t)sqlite3_column_int64(st, 6));
}

/* DATA/files/ab/cdef... for a sha256 hex digest. New string. */
static char *blob_path_new(const char *data_dir, const char *sha)
{
	return xasprintf("%s/files/%.2s/%s", data_dir, sha, sha + 2);
}

/* fsyncs directory path (so its entries are durable). 0 or -1. */
static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Creates dir if missing; when it was created, fsyncs its parent so the entry is durable. */
static int ensure_dir(const char *dir, const char *parent)
{
	if (mkdir(dir, 0700) == 0)
		return fsync_dir(parent);
	return errno == EEXIST ? 0 : -1;
}

/* ---- uploads and purges of the same bytes (attachment.h) ---------------------------------- */

/* Who uses one stored file's digest right now. */
struct blob_use {
	char sha[65];
	int pins;    /* uploads between looking for the file and their row's settled batch */
	bool wiping; /* a purge is removing the file */
};

/* Every digest in use, under one lock. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct blob_use *v;
	size_t n, cap;
} blobs = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* The entry for sha, created when missing. Called with the lock held. */
static struct blob_use *blob_use_locked(const char *sha)
{
	assert_locked(&blobs.lock);
	for (size_t i = 0; i < blobs.n; i++)
		if (strcmp(blobs.v[i].sha, sha) == 0)
			return &blobs.v[i];
	if (blobs.n == blobs.cap)
		blobs.v = xrealloc(blobs.v, (blobs.cap = blobs.cap ? blobs.cap * 2 : 8) * sizeof *blobs.v);
	struct blob_use *b = &blobs.v[blobs.n++];
	memset(b, 0, sizeof *b);
	snprintf(b->sha, sizeof b->sha, "%s", sha);
	return b;
}

/* Drops b's entry when nothing uses the digest any more. Called with the lock held. */
static void blob_forget_locked(struct blob_use *b)
{
	if (b->pins || b->wiping)
		return;
	*b = blobs.v[--blobs.n];
}

/* Helper thread, before the upload looks for or writes its file: waits out a purge of it. */
static void blob_pin(const char *sha)
{
	pthread_mutex_lock(&blobs.lock);
	struct blob_use *b = blob_use_locked(sha);
	while (b->wiping) {
		pthread_cond_wait(&blobs.cond, &blobs.lock);
		b = blob_use_locked(sha); /* the array may have moved */
	}
	b->pins++;
	pthread_mutex_unlock(&blobs.lock);
}

/* An upload lets go of sha (its row's batch settled, or it failed). */
static void blob_unpin(const char *sha)
{
	pthread_mutex_lock(&blobs.lock);
	struct blob_use *b = blob_use_locked(sha);
	b->pins--;
	blob_forget_locked(b);
	pthread_mutex_unlock(&blobs.lock);
}

/* attachment.h */
bool attachment_blob_wipe_begin(const char *sha)
{
	pthread_mutex_lock(&blobs.lock);
	struct blob_use *b = blob_use_locked(sha);
	bool ok = b->pins == 0 && !b->wiping;
	if (ok)
		b->wiping = true;
	else
		blob_forget_locked(b);
	pthread_mutex_unlock(&blobs.lock);
	return ok;
}

/* attachment.h */
void attachment_blob_wipe_end(const char *sha)
{
	pthread_mutex_lock(&blobs.lock);
	struct blob_use *b = blob_use_locked(sha);
	b->wiping = false;
	blob_forget_locked(b);
	pthread_cond_broadcast(&blobs.cond);
	pthread_mutex_unlock(&blobs.lock);
}

/* The batch holding the upload's row has settled (or the row was never written): the purge
 * sees the row from now on, so the pin can go. */
static void blob_unpin_settled(void *arg, bool committed)
{
	blob_unpin(arg);
	free(arg);
}

/* ---- upload ----------------------------------------------------------------------------------- */

/* Helper thread: hashes bytes into sha, pins it, and stores them durably under data/files
 * (temp file, fsync, rename, directory fsync) unless the same content is there. 0 or an errno. */
static int attachment_blob_store(const char *data, const void *bytes, size_t len, char sha[65])
{
	crypto_sha256_hex(bytes, len, sha);
	blob_pin(sha); /* until the row's batch settles (attachment_blob_release) */
	char *files = xasprintf("%s/files", data), *tmpdir = xasprintf("%s/files/tmp", data);
	char *dir = xasprintf("%s/files/%.2s", data, sha), *final = blob_path_new(data, sha);
	char *tmp = xasprintf("%s/upload-XXXXXX", tmpdir);
	const unsigned char *p = bytes;
	int fd = -1, err = 0;
	if (ensure_dir(files, data) < 0 || ensure_dir(tmpdir, files) < 0 || ensure_dir(dir, files) < 0)
		goto fail;
	struct stat sb;
	if (stat(final, &sb) == 0 && (size_t)sb.st_size == len) {
		/* Same content stored before (its row committed after its fsync); make sure anyway. */
		if (fsync_dir(dir) < 0)
			goto fail;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail_unlink;
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, final) < 0 || fsync_dir(dir) < 0)
		goto fail_unlink;
	goto out;
fail_unlink:
	err = errno ? errno : EIO;
	unlink(tmp);
	goto out;
fail:
	err = errno ? errno : EIO;
out:
	if (fd >= 0)
		close(fd);
	free(files);
	free(tmpdir);
	free(dir);
	free(final);
	free(tmp);
	/* Test hook (never set in production): hold the upload between its file and its row. */
	if (test_upload_delay_ms > 0) {
		log_warn("attachment: MAMORI_TEST_UPLOAD_DELAY_MS: holding an upload");
		usleep((useconds_t)test_upload_delay_ms * 1000);
	}
	return err;
}

/* Unpins sha once the batch of r's writes (the row naming it, if any) has settled. Call while
 * the request's transaction, if any, is still open: its commit joins that batch. */
static void attachment_blob_release(struct req *r, const char *sha)
{
	/* The pin stays until the row is durable: a purge meanwhile keeps the file. */
	if (db_batch_open(r->db))
		worker_after_commit(r->w, blob_unpin_settled, xstrdup(sha));
	else
		blob_unpin(sha);
}

/* ---- store, then commit (uploads of every feature) ------------------------------------------ */


/* An upload between its request and its file being durable. */
struct store_job {
	struct req *r;
	attachment_commit_fn commit;
	int64_t target;
	char *filename;
	char sha[65];
	int err; /* errno of a failed store, 0 on success */
};

/* Helper thread: hash the bytes and store them durably. */
static void store_work(void *arg)
{
	struct store_job *j = arg;
	j->err = attachment_blob_store(j->r->cfg->data_dir, j->r->raw, j->r->raw_len, j->sha);
}

/* Worker thread again: the file is durable (or failed); the feature commits its row and replies. */
static void store_done(void *arg)
{
	struct store_job *j = arg;
	struct req *r = j->r;
	int status;
	if (j->err) {
		char eb[ERR_STR_LEN];
		log_error("file store: storing %s failed: %s", j->sha, err_str(j->err, eb));
		status = j->err == ENOSPC ? req_error(r, 507, "insufficient_storage", "no space left for the file")
					  : req_internal(r, "store file");
	} else {
		status = j->commit(r, j->target, j->filename, j->sha);
	}
	attachment_blob_release(r, j->sha); /* stored or not: the store pinned the digest */
	free(j->filename);
	free(j);
	req_finish(r, status);
}

/* attachment.h */
int attachment_store_async(struct req *r, attachment_commit_fn commit, int64_t target)
{
	if ((int64_t)r->raw_len > r->cfg->max_attachment_bytes)
		return req_error(r, 413, "too_large", "files are at most %lld bytes",
				 (long long)r->cfg->max_attachment_bytes);
	const char *name = req_query_str(r, "filename");
	char *clean = name ? attachment_clean_filename_new(name) : NULL;
	if (!clean)
		return req_error(r, 422, "invalid", "filename must be 1-255 bytes without control characters");
	if (r->raw_len == 0) {
		free(clean);
		return req_error(r, 422, "invalid", "the file is empty");
	}
	struct store_job *j = xcalloc(1, sizeof *j);
	j->r = r;
	j->commit = commit;
	j->target = target;
	j->filename = clean;
	pool_submit(r->w, store_work, store_done, j);
	return HTTP_ASYNC;
}

/* ---- thread attachments ----------------------------------------------------------------------- */

/* The file of an upload to thread tid is durable (the HTTP_ASYNC completion): writes its row in
 * the request's transaction, re-checking access and the lock under the writer's lock, and
 * replies. */
static int upload_commit(struct req *r, int64_t tid, const char *filename, const char *sha)
{
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int locked = authz_thread_locked(r->db, r->who, tid);
	if (locked != 0)
		return locked < 0 ? req_not_found(r) : req_error(r, 403, "locked", "the thread is locked");
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, insert_sql);
	db_bind_int64(st, ":tid", tid);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_text(st, ":name", filename);
	db_bind_int64(st, ":size", (int64_t)r->raw_len);
	db_bind_text(st, ":sha", sha);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "insert attachment");
	int64_t id = sqlite3_last_insert_rowid(db_handle(r->db));
	return req_reply(r, 201, json_pack("{s:I, s:I, s:s, s:I, s:s, s:o}", "id", (json_int_t)id, "thread_id",
					   (json_int_t)tid, "filename", filename, "size", (json_int_t)r->raw_len,
					   "sha256", sha, "created_at", json_time(now)));
}

/* filename.h: the last path segment of name (either slash), or NULL when it is empty, over 255
 * bytes, "." or "..", or holds a control character. New string. */
char *attachment_clean_filename_new(const char *name)
{
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	size_t n = strlen(base);
	if (n == 0 || n > FILENAME_MAX_BYTES || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)base; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return NULL;
	return xstrdup(base);
}

/* POST /api/v1/threads/{id}/attachments?filename=NAME (raw bytes, any Content-Type) — gated
 * writers who may read the thread; 201 {id, filename, size, sha256, thread_id, created_at}.
 * Missing or unreadable thread → 404; locked → 403 locked; no or bad filename, or no bytes →
 * 422 invalid; over max_attachment_bytes → 413 too_large. */
static int handle_attachment_upload(struct req *r)
{
	int64_t tid;
	if (req_path_id(r, 0, &tid) < 0)
		return req_not_found(r);
	int locked = authz_thread_locked(r->db, r->who, tid);
	if (locked < 0)
		return req_not_found(r);
	if (locked)
		return req_error(r, 403, "locked", "the thread is locked");
	return attachment_store_async(r, upload_commit, tid);
}

/* filename.h: filename="..." (ASCII, unsafe characters as _) and filename*=UTF-8''percent-encoded,
 * per RFC 6266 / RFC 5987. New string. */
char *attachment_disposition_new(const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	buf_puts(&b, "attachment; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p >= 0x80) {
			while ((p[1] & 0xC0) == 0x80)
				p++;
			buf_append(&b, "_", 1);
		} else {
			char c = (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f || *p == ';') ? '_' : (char)*p;
			buf_append(&b, &c, 1);
		}
	}
	buf_puts(&b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p)) {
			buf_append(&b, p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			buf_append(&b, e, 3);
		}
	}
	char *s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* GET /api/v1/attachments/{id} — readers of its thread; 200 the bytes as a download
 * (application/octet-stream, Content-Disposition: attachment, nosniff, sandboxed). Missing or
 * unreadable → 404. */
static int handle_attachment_download(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, one_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return req_not_found(r);
	}
	char *name = db_col_dup(st, 2), *sha = db_col_dup(st, 4);
	int64_t size = sqlite3_column_int64(st, 3), tid = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	char via[AUDIT_TARGET_MAX];
	audit_target(via, "attachment", id);
	int status;
	if (audit_thread_read(r, tid, via) < 0)
		status = req_internal(r, "audit read");
	else
		status = attachment_blob_serve(r, sha, size, name);
	free(name);
	free(sha);
	return status;
}

/* attachment.h */
int attachment_blob_serve(struct req *r, const char *sha, int64_t size, const char *name)
{
	char *path = blob_path_new(r->cfg->data_dir, sha);
	int status;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size != size) {
		if (fd >= 0)
			close(fd);
		log_error("file %s missing or of the wrong size", path);
		status = req_internal(r, "stored file");
		goto out;
	}
	r->raw_out = evbuffer_new();
	if (size > 0 && evbuffer_add_file(r->raw_out, fd, 0, size) < 0) {
		close(fd);
		status = req_internal(r, "read stored file");
		goto out;
	}
	if (size == 0)
		close(fd);
	char *disp = attachment_disposition_new(name);
	req_header(r, "Content-Type", "application/octet-stream");
	req_header(r, "Content-Disposition", disp);
	req_header(r, "Cache-Control", "private, no-store");
	free(disp);
	status = 200;
out:
	free(path);
	return status;
}

/* GET /api/v1/threads/{id}/attachments — readers of the thread; 200 {attachments:[...]}. */
static int handle_attachment_list(struct req *r)
{
	int64_t tid;
	if (req_path_id(r, 0, &tid) < 0 || !authz_can_read_thread(r->db, r->who, tid))
		return req_not_found(r);
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(r->db, list_sql);
	db_bind_int64(st, ":id", tid);
	authz_bind(st, r->who);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, attachment_json(st));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "attachments", arr));
}

const struct route attachment_routes[] = {
	/* max_body is the route's ceiling; the configured max_attachment_bytes is checked above
	 * (evhttp itself refuses bodies over max_attachment_bytes + 4 KiB). */
	ROUTE(POST, "/api/v1/threads/{id}/attachments", ACCESS_WRITE, handle_attachment_upload,
	      .max_body = (size_t)1 << 40, .flags = ROUTE_RAW_BODY, .params = {{"filename", PARAM_STR}}),
	ROUTE(GET, "/api/v1/threads/{id}/attachments", ACCESS_CONTENT, handle_attachment_list),
	ROUTE(GET, "/api/v1/attachments/{id}", ACCESS_CONTENT, handle_attachment_download),
	{0},
};
