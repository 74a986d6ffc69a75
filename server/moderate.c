/* moderate.c — the secretariat's actions on a post's or an attachment's content (docs/API.md §7):
 * hiding and unhiding posts, redaction (the text replaced for everyone, the original kept for the
 * secretariat), purge (every copy destroyed: post, revisions, kept originals, search index
 * segments, notification and outbox texts, then the bytes in the database file and WAL), the
 * purge of a misplaced attachment (row, file, WAL), and the kept originals of a post's
 * redactions. Also the shared post handling of moderate.h (flag.c hides through it).
 * Routes: POST /api/v1/posts/{id}/hide, /unhide, /redact; GET /api/v1/posts/{id}/redactions;
 * POST /api/v1/attachments/{id}/purge. */
#include "moderate.h"

#include "attachment.h"
#include "audit.h"
#include "authz.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "markdown.h"
#include "moderation.h"
#include "router.h"
#include "search.h"
#include "server.h"
#include "util.h"
#include "view.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A copy of a post's text elsewhere (a mail's excerpt, a notification) starts like the text:
 * this many bytes of its start find it. */
#define PROBE_BYTES 48
/* After a purge, wal_checkpoint(TRUNCATE) is retried for this long while readers still hold
 * old frames or a writer holds the lock (each attempt waits at most CHECKPOINT_BUSY_MS). */
#define CHECKPOINT_DEADLINE_US (10 * 1000 * 1000)
#define CHECKPOINT_BUSY_MS 200
/* ... and the search indexer gets this long to apply it to search.db (search_flush). */
#define SEARCH_FLUSH_MS (10 * 1000)

/* ---- SQL ----------------------------------------------------------------------------------- */

/* A post with its thread, as the caller may see it. */
static const char post_sql[] =
	"SELECT " VIEW_POST_COLUMNS ", p.author_id, (SELECT min(f.id) FROM posts f WHERE f.thread_id = p.thread_id) = p.id,"
	" t.title FROM posts p JOIN threads t ON t.id = p.thread_id JOIN users u ON u.id = p.author_id"
	" WHERE p.id = :id AND " AUTHZ_THREAD_VISIBLE;

static const char hide_sql[] =
	"UPDATE posts SET hidden_at = :now, hidden_by = :uid WHERE id = :id AND hidden_at IS NULL";
static const char unhide_sql[] =
	"UPDATE posts SET hidden_at = NULL, hidden_by = NULL WHERE id = :id AND hidden_at IS NOT NULL";
/* Queued mail quoting a hidden post is not sent (hiding can be undone; the mail cannot). */
static const char outbox_cancel_sql[] =
	"UPDATE mail_outbox SET state = 'cancelled', last_error = 'the post was hidden by the secretariat'"
	" WHERE thread_id = :tid AND created_at >= :since AND state = 'pending' AND instr(body, :probe) > 0";

static const char secrets_sql[] = "SELECT body FROM posts WHERE id = :id"
				  " UNION ALL SELECT body FROM post_revisions WHERE post_id = :id"
				  " UNION ALL SELECT body FROM redacted_texts WHERE post_id = :id";
static const char redaction_insert_sql[] =
	"INSERT INTO post_redactions (post_id, actor_id, reason, purged, created_at)"
	" VALUES (:id, :uid, :reason, :purged, :now)";
static const char keep_post_sql[] =
	"INSERT INTO redacted_texts (redaction_id, post_id, source, body, author_id, written_at)"
	" SELECT :rid, id, 'post', body, author_id, coalesce(edited_at, created_at) FROM posts"
	" WHERE id = :id AND body != :ph";
static const char keep_revisions_sql[] =
	"INSERT INTO redacted_texts (redaction_id, post_id, source, revision_id, body, author_id, written_at)"
	" SELECT :rid, post_id, 'revision', id, body, author_id, created_at FROM post_revisions"
	" WHERE post_id = :id AND body != :ph ORDER BY id";
static const char replace_post_sql[] =
	"UPDATE posts SET body = :ph, html = :html, redacted_at = :now WHERE id = :id";
static const char replace_revisions_sql[] =
	"UPDATE post_revisions SET body = :ph, html = :html WHERE post_id = :id AND body != :ph";
static const char delete_revisions_sql[] = "DELETE FROM post_revisions WHERE post_id = :id";
static const char delete_kept_sql[] = "DELETE FROM redacted_texts WHERE post_id = :id";
static const char scrub_outbox_sql[] =
	"UPDATE mail_outbox SET body = :ph,"
	" subject = CASE WHEN instr(subject, :probe) > 0 THEN '[mamori]' ELSE subject END"
	" WHERE thread_id = :tid AND created_at >= :since AND (instr(body, :probe) > 0 OR instr(subject, :probe) > 0)";
static const char scrub_flags_sql[] = "UPDATE flags SET reason = :ph WHERE post_id = :id";
/* Rewrites every segment of the index into one, dropping entries that deletes only marked. */

static const char attachment_sql[] =
	"SELECT a.id, a.thread_id, a.sha256, a.size FROM attachments a JOIN threads t ON t.id = a.thread_id"
	" WHERE a.id = :id AND " AUTHZ_THREAD_VISIBLE;
static const char attachment_delete_sql[] = "DELETE FROM attachments WHERE id = :id";
/* Rows that name a stored file: attachments and round materials (round.c) share the store. */
static const char sha_used_sql[] = "SELECT (SELECT count(*) FROM attachments WHERE sha256 = :sha)"
				   " + (SELECT count(*) FROM materials WHERE sha256 = :sha)";

static const char redactions_sql[] =
	"SELECT r.id, r.actor_id, coalesce(u.name, ''), r.reason, r.purged, r.created_at FROM post_redactions r"
	" LEFT JOIN users u ON u.id = r.actor_id WHERE r.post_id = :id ORDER BY r.id";
static const char redacted_texts_sql[] =
	"SELECT source, revision_id, body, author_id, written_at FROM redacted_texts WHERE redaction_id = :rid"
	" ORDER BY id";

static const char flags_resolve_post_sql[] =
	"UPDATE flags SET state = 'resolved', resolution = :res, resolved_by = :uid, resolved_at = :now"
	" WHERE post_id = :pid AND state = 'open'";

/* ---- helpers ------------------------------------------------------------------------------- */

/* moderate.h */
void mpost_clear(struct mpost *p)
{
	free(p->body);
	free(p->title);
	json_decref(p->json);
	memset(p, 0, sizeof *p);
}

/* moderate.h: post id as r->who may see it. */
int mpost_load(struct req *r, int64_t id, struct mpost *p)
{
	memset(p, 0, sizeof *p);
	sqlite3_stmt *st = db_stmt(r->db, post_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		p->id = sqlite3_column_int64(st, 0);
		p->thread_id = sqlite3_column_int64(st, 1);
		p->body = db_col_dup(st, 2);
		p->created_at = sqlite3_column_int64(st, 4);
		p->hidden = sqlite3_column_int(st, VIEW_POST_HIDDEN) != 0;
		p->redacted = sqlite3_column_int(st, VIEW_POST_REDACTED) != 0;
		p->author_id = sqlite3_column_int64(st, VIEW_POST_NCOLS);
		p->first = sqlite3_column_int(st, VIEW_POST_NCOLS + 1) != 0;
		p->title = db_col_dup(st, VIEW_POST_NCOLS + 2);
		p->json = view_post_json(st);
		moderation_post_view(p->json, r->who, p->hidden, p->redacted);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* The placeholder rendered as a post's html. New string. */
static char *placeholder_html_new(void)
{
	struct buf b = {0};
	if (markdown_render(MODERATION_PLACEHOLDER, strlen(MODERATION_PLACEHOLDER), &b) < 0) {
		buf_free(&b);
		return xstrdup("<p>" MODERATION_PLACEHOLDER "</p>\n");
	}
	char *s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* The first PROBE_BYTES bytes of s (cut at a character boundary), or NULL when s is empty or
 * the placeholder. New string. */
static char *probe_new(const char *s)
{
	if (!*s || strcmp(s, MODERATION_PLACEHOLDER) == 0)
		return NULL;
	size_t n = strlen(s);
	if (n > PROBE_BYTES) {
		n = PROBE_BYTES;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return n ? xstrndup(s, n) : NULL;
}

/* Probes of every stored text of the post (current, revisions, kept originals): a NULL-
 * terminated array of new strings (free with probes_free). */
static char **probes_new(struct db *d, int64_t post_id)
{
	size_t n = 0, cap = 8;
	char **out = xcalloc(cap + 1, sizeof *out);
	sqlite3_stmt *st = db_stmt(d, secrets_sql);
	db_bind_int64(st, ":id", post_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *pr = probe_new(db_col_text(st, 0));
		if (!pr)
			continue;
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(out[i], pr) == 0;
		if (dup) {
			free(pr);
			continue;
		}
		if (n == cap) {
			out = xrealloc(out, (cap * 2 + 1) * sizeof *out);
			cap *= 2;
		}
		out[n++] = pr;
		out[n] = NULL;
	}
	sqlite3_reset(st);
	return out;
}

/* Frees what probes_new returned. */
static void probes_free(char **p)
{
	for (char **q = p; q && *q; q++)
		free(*q);
	free(p);
}

/* moderate.h: every open flag of the post resolved as `resolution`, in the caller's transaction. */
int moderate_resolve_flags(struct req *r, int64_t post_id, const char *resolution)
{
	assert(db_in_write_tx(r->db));
	sqlite3_stmt *st = db_stmt(r->db, flags_resolve_post_sql);
	db_bind_text(st, ":res", resolution);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":pid", post_id);
	return db_exec_stmt(r->db, st);
}

/* Audits action on post p by r->who, with p's thread_id added to detail (borrowed). */
static int audit_post(struct req *r, const char *action, const struct mpost *p, json_t *detail)
{
	json_object_set_new(detail, "thread_id", json_integer(p->thread_id));
	return audit_append_on(r->db, r->who->user_id, action, "post", p->id, r->ip, detail);
}

/* Queues the post's text for the search index as it should be found: not at all while hidden;
 * the title only (first post) once redacted (search_rebuild in search_file.c applies the same
 * rule). Call after search_unindex_post, inside the transaction. */
static int post_reindex(struct db *d, const struct mpost *p, bool hidden, const char *body)
{
	if (hidden)
		return 0;
	bool redacted = strcmp(body, MODERATION_PLACEHOLDER) == 0;
	if (redacted && !p->first)
		return 0;
	return search_index_post(d, p->id, p->first ? p->title : NULL, redacted ? "" : body);
}

/* ---- hide and unhide ------------------------------------------------------------------------ */

/* moderate.h: p hidden or shown, inside the caller's write transaction. */
int moderate_set_hidden(struct req *r, const struct mpost *p, bool hide, bool *changed)
{
	assert(db_in_write_tx(r->db));
	sqlite3_stmt *st = db_stmt(r->db, hide ? hide_sql : unhide_sql);
	db_bind_int64_opt(st, ":now", now_unix()); /* hide only */
	db_bind_int64_opt(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":id", p->id);
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	*changed = sqlite3_changes(db_handle(r->db)) == 1;
	if (!*changed)
		return 0;
	if (search_unindex_post(r->db, p->id) < 0 || post_reindex(r->db, p, hide, p->body) < 0)
		return -1;
	if (hide) {
		char **probes = probes_new(r->db, p->id);
		int rc = 0;
		for (char **q = probes; *q && rc == 0; q++) {
			st = db_stmt(r->db, outbox_cancel_sql);
			db_bind_int64(st, ":tid", p->thread_id);
			db_bind_int64(st, ":since", p->created_at);
			db_bind_text(st, ":probe", *q);
			rc = db_exec_stmt(r->db, st);
		}
		probes_free(probes);
		if (rc < 0 || moderate_resolve_flags(r, p->id, "hidden") < 0)
			return -1;
	}
	json_t *detail = json_object();
	int rc = audit_post(r, hide ? "post.hide" : "post.unhide", p, detail);
	json_decref(detail);
	return rc;
}

/* Answers post id as the caller now sees it (the secretariat's view, with hidden and redacted),
 * with extra's members added (taken; may be NULL). */
static int reply_post(struct req *r, int status, int64_t id, json_t *extra)
{
	struct mpost p;
	if (mpost_load(r, id, &p) < 0) {
		json_decref(extra);
		return req_not_found(r);
	}
	if (extra)
		json_object_update(p.json, extra);
	json_decref(extra);
	int rc = req_reply(r, status, json_incref(p.json));
	mpost_clear(&p);
	return rc;
}

/* Hides (hide) or shows the post of the path in the request's transaction; 200 the post. */
static int set_hidden(struct req *r, bool hide)
{
	int64_t id;
	struct mpost p;
	if (req_path_id(r, 0, &id) < 0 || mpost_load(r, id, &p) < 0)
		return req_not_found(r);
	bool changed = false;
	int rc = req_tx(r) < 0 ? -1 : moderate_set_hidden(r, &p, hide, &changed);
	if (rc == 0 && changed)
		events_publish_post(r->db, p.thread_id, p.id);
	mpost_clear(&p);
	return rc < 0 ? req_internal(r, hide ? "hide" : "unhide") : reply_post(r, 200, id, NULL);
}

/* POST /api/v1/posts/{id}/hide — secretariat; 200 the post (hidden:true; the secretariat still
 * sees its text). Everyone else sees it with hidden:true and body and html "" in the thread, the
 * post, its revisions; search no longer finds it; queued mail quoting it is cancelled; its open
 * flags are resolved. Audited as post.hide. Hiding a hidden post changes nothing. Missing → 404. */
static int handle_post_hide(struct req *r)
{
	return set_hidden(r, true);
}

/* POST /api/v1/posts/{id}/unhide — secretariat; 200 the post, shown again (and searchable
 * again). Audited as post.unhide. Missing → 404. */
static int handle_post_unhide(struct req *r)
{
	return set_hidden(r, false);
}

/* ---- redaction and purge ------------------------------------------------------------------- */

/* Runs statement sql of d bound with :id = post_id and, when the statement has them, :ph (the
 * placeholder) and :html. Returns 0 or -1. */
static int exec_on_post(struct db *d, const char *sql, int64_t post_id, const char *html)
{
	sqlite3_stmt *st = db_stmt(d, sql);
	db_bind_int64(st, ":id", post_id);
	db_bind_text_opt(st, ":ph", MODERATION_PLACEHOLDER);
	db_bind_text_opt(st, ":html", html);
	return db_exec_stmt(d, st) < 0 ? -1 : 0;
}

/* Keeps the post's current text and its revisions in redacted_texts under redaction rid, for
 * the secretariat (a redaction without purge). Returns 0 or -1. */
static int keep_originals(struct db *d, int64_t post_id, int64_t rid)
{
	static const char *const keeps[] = {keep_post_sql, keep_revisions_sql};
	for (size_t i = 0; i < ARRAY_LEN(keeps); i++) {
		sqlite3_stmt *st = db_stmt(d, keeps[i]);
		db_bind_int64(st, ":rid", rid);
		db_bind_int64(st, ":id", post_id);
		db_bind_text(st, ":ph", MODERATION_PLACEHOLDER);
		if (db_exec_stmt(d, st) < 0)
			return -1;
	}
	return 0;
}

/* Replaces the copies of the post's text in queued or sent mail about its thread written since
 * the post (found by the probes of every stored text). Returns 0 or -1. Notifications carry no
 * text (a kind and language-neutral params since schema 014; the thread's title is read when
 * they are listed), so there is nothing of the post in them to replace. */
static int scrub_copies(struct db *d, const struct mpost *p, char **probes)
{
	for (char **q = probes; *q; q++) {
		sqlite3_stmt *st = db_stmt(d, scrub_outbox_sql);
		db_bind_text(st, ":ph", MODERATION_PLACEHOLDER);
		db_bind_int64(st, ":tid", p->thread_id);
		db_bind_int64(st, ":since", p->created_at);
		db_bind_text(st, ":probe", *q);
		if (db_exec_stmt(d, st) < 0)
			return -1;
	}
	return 0;
}

/* Replaces every copy of the post's text that others can see, inside the caller's transaction.
 * Without purge the originals (current text and revisions) are kept in redacted_texts for the
 * secretariat; with purge they, the revisions and earlier kept originals are deleted and both
 * search indexes are rewritten so no segment keeps the old terms. Returns 0 and *rid (the
 * redaction's id), or -1. */
static int post_redact(struct req *r, const struct mpost *p, const char *reason, bool purge, int64_t *rid)
{
	struct db *d = r->db;
	assert(db_in_write_tx(d));
	int64_t now = now_unix();
	char **probes = probes_new(d, p->id); /* before anything is replaced */
	sqlite3_stmt *st = db_stmt(d, redaction_insert_sql);
	db_bind_int64(st, ":id", p->id);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_text(st, ":reason", reason);
	db_bind_int64(st, ":purged", purge);
	db_bind_int64(st, ":now", now);
	bool ok = db_exec_stmt(d, st) == 0;
	*rid = sqlite3_last_insert_rowid(db_handle(d));
	ok = ok && (purge || keep_originals(d, p->id, *rid) == 0);
	char *html = placeholder_html_new();
	st = db_stmt(d, replace_post_sql);
	db_bind_text(st, ":ph", MODERATION_PLACEHOLDER);
	db_bind_text(st, ":html", html);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":id", p->id);
	ok = ok && db_exec_stmt(d, st) == 0;
	ok = ok && exec_on_post(d, purge ? delete_revisions_sql : replace_revisions_sql, p->id, html) == 0;
	ok = ok && (!purge || (exec_on_post(d, delete_kept_sql, p->id, NULL) == 0 &&
			       exec_on_post(d, scrub_flags_sql, p->id, NULL) == 0));
	ok = ok && scrub_copies(d, p, probes) == 0;
	probes_free(probes);
	free(html);
	ok = ok && search_unindex_post(d, p->id) == 0 &&
	     post_reindex(d, p, p->hidden, MODERATION_PLACEHOLDER) == 0;
	ok = ok && moderate_resolve_flags(r, p->id, purge ? "purged" : "redacted") == 0;
	if (!ok)
		return -1;
	json_t *detail = json_pack("{s:b, s:I}", "purge", purge, "redaction_id", (json_int_t)*rid);
	int rc = audit_post(r, "post.redact", p, detail);
	json_decref(detail);
	return rc;
}

/* A purge (of a post, or of an attachment) waiting for its batch to commit, then for its file
 * to be removed and the WAL to be checkpointed. */
struct purge_job {
	struct req *r;
	int64_t post_id, rid;             /* a post's purge */
	int64_t attachment_id, thread_id; /* an attachment's purge */
	char *sha;                        /* the attachment's content, removed when no row names it */
	char *data_dir;
	bool checkpointed, file_removed;
};

/* Overwrites the attachment file with zeros, syncs and unlinks it, when no attachment row names
 * its content any more (the same bytes may be attached elsewhere). Helper thread. */
static void wipe_file(struct purge_job *j, struct db *d)
{
	/* An upload of the same bytes in progress will name the file: keep it (attachment.h). */
	if (!attachment_blob_wipe_begin(j->sha))
		return;
	sqlite3_stmt *st = db_stmt(d, sha_used_sql);
	db_bind_text(st, ":sha", j->sha);
	if (db_one_int64(st, 1) != 0) {
		attachment_blob_wipe_end(j->sha);
		return;
	}
	char *dir = xasprintf("%s/files/%.2s", j->data_dir, j->sha),
	     *path = xasprintf("%s/%s", dir, j->sha + 2);
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	if (fd >= 0 && fstat(fd, &sb) == 0) {
		static const char zeros[65536];
		for (off_t off = 0; off < sb.st_size;) {
			size_t n = (size_t)(sb.st_size - off) < sizeof zeros ? (size_t)(sb.st_size - off)
									     : sizeof zeros;
			ssize_t w = pwrite(fd, zeros, n, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += w;
		}
		fsync(fd);
	}
	if (fd >= 0)
		close(fd);
	if (unlink(path) == 0 || errno == ENOENT) {
		j->file_removed = true;
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	} else {
		char eb[ERR_STR_LEN];
		log_error("purge of attachment %" PRId64 ": cannot remove %s: %s", j->attachment_id, path,
			  err_str(errno, eb));
	}
	attachment_blob_wipe_end(j->sha);
	free(dir);
	free(path);
}

/* Helper thread: remove an attachment's file (see wipe_file), then copy every WAL frame into
 * the database file and truncate the WAL to zero bytes, so the pages that held the text before
 * the purge exist nowhere (secure_delete has zeroed them in the new frames). Readers that still
 * hold an older snapshot make the checkpoint report busy; it retries for a few seconds. Uses
 * its own connection. */
static void purge_wipe_work(void *arg)
{
	struct purge_job *j = arg;
	struct db *d = NULL;
	if (db_open(j->data_dir, false, &d) < 0)
		return;
	if (j->sha)
		wipe_file(j, d);
	/* The search indexes (search.db): the removal queued with the purge is applied, both indexes
	 * optimized and search.db's WAL truncated by the indexer before mamori.db's. */
	bool search_done = j->sha || search_flush(SEARCH_FLUSH_MS);
	j->checkpointed = db_checkpoint_truncate(d, CHECKPOINT_BUSY_MS, CHECKPOINT_DEADLINE_US) && search_done;
	db_close(d);
}

/* Frees a purge job (not its request). */
static void purge_job_free(struct purge_job *j)
{
	free(j->sha);
	free(j->data_dir);
	free(j);
}

/* Worker loop, after the checkpoint: the reply (the attachment's summary, or the post). */
static void purge_wipe_done(void *arg)
{
	struct purge_job *j = arg;
	struct req *r = j->r;
	if (!j->checkpointed)
		log_warn("purge: the WAL could not be checkpointed yet; it will be at the next checkpoint");
	if (j->attachment_id) {
		json_t *out = json_pack("{s:I, s:I, s:b, s:b}", "id", (json_int_t)j->attachment_id,
					"thread_id", (json_int_t)j->thread_id, "file_removed",
					j->file_removed, "wal_checkpointed", j->checkpointed);
		purge_job_free(j);
		req_finish(r, req_reply(r, 200, out));
		return;
	}
	json_t *extra = json_pack("{s:{s:I, s:b}, s:b}", "redaction", "id", (json_int_t)j->rid, "purge", 1,
				  "wal_checkpointed", j->checkpointed);
	int64_t id = j->post_id;
	purge_job_free(j);
	req_finish(r, reply_post(r, 200, id, extra));
}

/* Worker loop, once the batch holding the purge has committed (or failed): starts the wipe. */
static void purge_committed(void *arg, bool committed)
{
	struct purge_job *j = arg;
	if (!committed) {
		struct req *r = j->r;
		purge_job_free(j);
		req_finish(r, req_error(r, 503, "storage_unavailable",
					"the purge could not be stored; try again"));
		return;
	}
	pool_submit(j->r->w, purge_wipe_work, purge_wipe_done, j);
}

/* Starts the wipe of purge job j once the write batch holding its commit is durable; the reply
 * comes from purge_wipe_done. Returns HTTP_ASYNC. */
static int purge_after_commit(struct req *r, struct purge_job *j)
{
	assert(!db_in_write_tx(r->db));
	j->r = r;
	j->data_dir = xstrdup(r->cfg->data_dir);
	if (db_batch_open(r->db))
		worker_after_commit(r->w, purge_committed, j);
	else
		purge_committed(j, true);
	return HTTP_ASYNC;
}

/* Redacts p without purge, in the request's transaction; 200 the post with redaction:{id, purge}. */
static int redact(struct req *r, const struct mpost *p, const char *reason)
{
	int64_t rid = 0;
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	if (post_redact(r, p, reason, false, &rid) < 0)
		return req_internal(r, "redact");
	events_publish_post(r->db, p->thread_id, p->id);
	return reply_post(r, 200, p->id,
			  json_pack("{s:{s:I, s:b}}", "redaction", "id", (json_int_t)rid, "purge", 0));
}

/* Purges p. Its own transaction, not req_tx: the purge commits before the handler returns
 * HTTP_ASYNC (no transaction stays open across it) and then waits for that commit's batch to be
 * durable (purge_committed) before the WAL is checkpointed, which the router's commit at the
 * reply would come too late for. */
static int purge(struct req *r, const struct mpost *p, const char *reason)
{
	int64_t rid = 0;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	if (post_redact(r, p, reason, true, &rid) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "redact");
	}
	events_publish_post(r->db, p->thread_id, p->id);
	struct purge_job *j = xcalloc(1, sizeof *j);
	j->post_id = p->id;
	j->rid = rid;
	return purge_after_commit(r, j);
}

/* POST /api/v1/posts/{id}/redact {reason, purge?} — secretariat; 200 the post with
 * redaction:{id, purge}. The post's text becomes 「このメッセージは事務局により削除されました」
 * for everyone (revisions too; notifications and mail about the thread that quote it too); its
 * open flags are resolved. Without purge the original texts are kept, readable only through
 * GET /api/v1/posts/{id}/redactions. With purge:true every copy is destroyed instead: the text,
 * all revisions, earlier kept originals, the search index entries (both indexes are optimized,
 * so no old segment keeps the terms), notification and outbox copies and flag reasons; after
 * the commit the WAL is checkpointed and truncated (the reply waits for it, and says
 * wal_checkpointed). secure_delete (db.c) zeroes the freed bytes. Audited as post.redact with
 * {purge, redaction_id, thread_id}, never the text. Missing → 404; reason missing, blank or
 * over MODERATION_REASON_MAX_BYTES → 422 invalid (declared). */
static int handle_post_redact(struct req *r)
{
	int64_t id;
	struct mpost p;
	if (req_path_id(r, 0, &id) < 0 || mpost_load(r, id, &p) < 0)
		return req_not_found(r);
	const char *reason = req_field_str(r, "reason");
	int status = req_field_bool(r, "purge", false) ? purge(r, &p, reason) : redact(r, &p, reason);
	mpost_clear(&p);
	return status;
}

/* POST /api/v1/attachments/{id}/purge — secretariat; 200 {id, thread_id, file_removed,
 * wal_checkpointed}: a file attached where it should not be is destroyed. The row goes
 * (secure_delete zeroes its name); the file under DATA/files/ is overwritten with zeros and
 * removed unless another attachment has the very same content; the WAL is checkpointed and
 * truncated; the reply waits for all of it. Audited as attachment.purge with {thread_id, size}
 * (never the name). Missing → 404. Its own transaction, as purge() says why. */
static int handle_attachment_purge(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, attachment_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return req_not_found(r);
	}
	struct purge_job *j = xcalloc(1, sizeof *j);
	j->attachment_id = id;
	j->thread_id = sqlite3_column_int64(st, 1);
	j->sha = db_col_dup(st, 2);
	int64_t size = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	if (!j->sha || strlen(j->sha) != 64 || strspn(j->sha, "0123456789abcdef") != 64) {
		purge_job_free(j);
		return req_internal(r, "attachment digest");
	}
	if (db_tx_begin(r->db, __func__) < 0) {
		purge_job_free(j);
		return req_internal(r, "begin");
	}
	st = db_stmt(r->db, attachment_delete_sql);
	db_bind_int64(st, ":id", id);
	json_t *detail = json_pack("{s:I, s:I}", "thread_id", (json_int_t)j->thread_id, "size",
				   (json_int_t)size);
	bool ok = db_exec_stmt(r->db, st) == 0 && audit_append_on(r->db, r->who->user_id, "attachment.purge",
								  "attachment", id, r->ip, detail) == 0;
	json_decref(detail);
	if (!ok || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		purge_job_free(j);
		return req_internal(r, "purge attachment");
	}
	events_publish_thread(r->db, j->thread_id);
	return purge_after_commit(r, j);
}

/* GET /api/v1/posts/{id}/redactions — secretariat; 200 {redactions:[{id, actor:{id, name},
 * reason, purge, created_at, originals:[{source: post|revision, revision_id, body, author_id,
 * written_at}]}]}, oldest first. A purge leaves its redaction without originals (and deletes
 * those of earlier redactions). Missing post → 404. */
static int handle_post_redactions(struct req *r)
{
	int64_t id;
	struct mpost p;
	if (req_path_id(r, 0, &id) < 0 || mpost_load(r, id, &p) < 0)
		return req_not_found(r);
	mpost_clear(&p);
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(r->db, redactions_sql);
	db_bind_int64(st, ":id", id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(arr, json_pack("{s:I, s:{s:I, s:s}, s:s, s:b, s:o, s:[]}", "id",
						     (json_int_t)sqlite3_column_int64(st, 0), "actor", "id",
						     (json_int_t)sqlite3_column_int64(st, 1), "name",
						     db_col_text(st, 2), "reason", db_col_text(st, 3),
						     "purge", sqlite3_column_int(st, 4) != 0, "created_at",
						     json_time(sqlite3_column_int64(st, 5)), "originals"));
	}
	sqlite3_reset(st);
	size_t i;
	json_t *red;
	json_array_foreach(arr, i, red)
	{
		json_t *orig = json_object_get(red, "originals");
		st = db_stmt(r->db, redacted_texts_sql);
		db_bind_int64(st, ":rid", json_integer_value(json_object_get(red, "id")));
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(orig, json_pack("{s:s, s:o, s:s, s:o, s:o}", "source",
							      db_col_text(st, 0), "revision_id",
							      view_col_int(st, 1), "body", db_col_text(st, 2),
							      "author_id", view_col_int(st, 3), "written_at",
							      json_time(sqlite3_column_int64(st, 4))));
		sqlite3_reset(st);
	}
	return req_reply(r, 200, json_pack("{s:o}", "redactions", arr));
}

const struct route moderate_routes[] = {
	ROUTE(POST, "/api/v1/posts/{id}/hide", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_post_hide),
	ROUTE(POST, "/api/v1/posts/{id}/unhide", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_post_unhide),
	ROUTE(POST, "/api/v1/posts/{id}/redact", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_post_redact,
	      .body = {{"reason", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK, MODERATION_REASON_MAX_BYTES},
		       {"purge", BODY_BOOL}}),
	ROUTE(POST, "/api/v1/attachments/{id}/purge", ACCESS_WRITE | ACCESS_SECRETARIAT,
	      handle_attachment_purge),
	ROUTE(GET, "/api/v1/posts/{id}/redactions", ACCESS_CONTENT | ACCESS_SECRETARIAT,
	      handle_post_redactions),
	{0},
};
