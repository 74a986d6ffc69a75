/* moderation.c — moderation and leak response (docs/API.md §7): flags and their review queue, hiding
 * and unhiding posts, redaction (the text replaced for everyone, the original kept for the
 * secretariat) and purge (every copy destroyed: post, revisions, kept originals, search index
 * segments, notification and outbox texts, then the bytes in the database file and WAL), the
 * purge of a misplaced attachment (row, file, WAL), the posting rate limit, the thread.read audit, and the secretariat's views: recent moderation
 * actions and who can read / has read a thread. Thread settings (lock, pin, move, visibility)
 * are PATCH /api/v1/threads/{id} in thread.c. */
#include "moderation.h"

#include "attachment.h"
#include "audit.h"
#include "authz.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "markdown.h"
#include "notify.h"
#include "router.h"
#include "search.h"
#include "server.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RATE_WINDOW_SECONDS 60
#define FLAGS_PER_MINUTE 20
#define REASON_MAX_BYTES 2000
#define FLAGS_PAGE_SIZE 50
#define ACTIONS_PAGE_SIZE 100
#define ACTIONS_MAX_PAGE_SIZE 500
/* A copy of a post's text elsewhere (a mail's excerpt, a notification) starts like the text:
 * this many bytes of its start find it. */
#define PROBE_BYTES 48
/* After a purge, wal_checkpoint(TRUNCATE) is retried for this long while readers still hold
 * old frames or a writer holds the lock (each attempt waits at most CHECKPOINT_BUSY_MS). */
#define CHECKPOINT_DEADLINE_US (10 * 1000 * 1000)
#define CHECKPOINT_BUSY_MS 200

/* ---- SQL ----------------------------------------------------------------------------------- */

/* A post with its thread, as the caller may see it. */
static const char post_sql[] =
	"SELECT p.id, p.thread_id, p.body, p.html, p.created_at, p.edited_at, u.id, u.name, u.role, " MODERATION_POST_COLUMNS
	", p.author_id, (SELECT min(f.id) FROM posts f WHERE f.thread_id = p.thread_id) = p.id,"
	" t.title FROM posts p JOIN threads t ON t.id = p.thread_id JOIN users u ON u.id = p.author_id"
	" WHERE p.id = :id AND " AUTHZ_THREAD_VISIBLE;

static const char rate_posts_sql[] =
	"SELECT created_at FROM posts WHERE author_id = :uid AND created_at > :since"
	" ORDER BY created_at DESC LIMIT 1 OFFSET :n";
static const char rate_flags_sql[] =
	"SELECT created_at FROM flags WHERE reporter_id = :uid AND created_at > :since"
	" ORDER BY created_at DESC LIMIT 1 OFFSET :n";

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
static const char scrub_notifications_sql[] =
	"UPDATE notifications SET text = :ph WHERE thread_id = :tid AND created_at >= :since"
	" AND instr(text, :probe) > 0";
static const char scrub_outbox_sql[] =
	"UPDATE mail_outbox SET body = :ph,"
	" subject = CASE WHEN instr(subject, :probe) > 0 THEN '[mamori]' ELSE subject END"
	" WHERE thread_id = :tid AND created_at >= :since AND (instr(body, :probe) > 0 OR instr(subject, :probe) > 0)";
static const char scrub_flags_sql[] = "UPDATE flags SET reason = :ph WHERE post_id = :id";
/* Rewrites every segment of the index into one, dropping entries that deletes only marked. */
static const char fts_optimize_sql[] = "INSERT INTO search_fts (search_fts) VALUES ('optimize')";
static const char short_optimize_sql[] = "INSERT INTO search_short (search_short) VALUES ('optimize')";

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

/* The flagged post's opening characters, so the queue can be judged without opening each thread
 * (the queue is the secretariat's, who reads every thread anyway). */
#define FLAG_EXCERPT_CHARS "280"
#define FLAG_COLUMNS                                                                                         \
	"f.id, f.post_id, f.thread_id, t.title, f.reason, f.state, f.resolution, f.created_at,"              \
	" f.resolved_by, f.resolved_at, u.id, u.name, u.role, u.company_id, " MODERATION_POST_COLUMNS ","    \
	" p.author_id, (SELECT count(*) FROM flags o WHERE o.post_id = f.post_id AND o.state = 'open'),"   \
	" substr(p.body, 1, " FLAG_EXCERPT_CHARS ")"
#define FLAG_FROM                                                                                            \
	" FROM flags f JOIN users u ON u.id = f.reporter_id JOIN posts p ON p.id = f.post_id"                \
	" JOIN threads t ON t.id = f.thread_id"
static const char flags_open_sql[] = "SELECT " FLAG_COLUMNS FLAG_FROM
				     " WHERE f.state = 'open' AND " AUTHZ_THREAD_VISIBLE
				     " ORDER BY f.id LIMIT :lim OFFSET :off";
static const char flags_resolved_sql[] = "SELECT " FLAG_COLUMNS FLAG_FROM
					 " WHERE f.state = 'resolved' AND " AUTHZ_THREAD_VISIBLE
					 " ORDER BY f.id DESC LIMIT :lim OFFSET :off";
static const char flags_all_sql[] = "SELECT " FLAG_COLUMNS FLAG_FROM " WHERE " AUTHZ_THREAD_VISIBLE
				    " ORDER BY f.id DESC LIMIT :lim OFFSET :off";
static const char flag_one_sql[] = "SELECT " FLAG_COLUMNS FLAG_FROM
				   " WHERE f.id = :fid AND " AUTHZ_THREAD_VISIBLE;
static const char flag_own_open_sql[] =
	"SELECT id FROM flags WHERE post_id = :pid AND reporter_id = :uid AND state = 'open'";
static const char flag_insert_sql[] =
	"INSERT INTO flags (post_id, thread_id, reporter_id, reason, created_at) VALUES (:pid, :tid, :uid, :reason, :now)";
static const char flag_state_sql[] = "SELECT post_id, state FROM flags WHERE id = :fid";
static const char flag_dismiss_sql[] =
	"UPDATE flags SET state = 'resolved', resolution = 'dismissed', resolved_by = :uid, resolved_at = :now"
	" WHERE id = :fid AND state = 'open'";
static const char flags_resolve_post_sql[] =
	"UPDATE flags SET state = 'resolved', resolution = :res, resolved_by = :uid, resolved_at = :now"
	" WHERE post_id = :pid AND state = 'open'";
static const char secretariat_sql[] =
	"SELECT id FROM users WHERE role = 'secretariat' AND status = 'active' ORDER BY id LIMIT 200";

static const char actions_sql[] =
	"SELECT a.id, a.at, a.actor_id, coalesce(u.name, ''), a.action, a.target, a.ip, a.detail FROM audit_log a"
	" LEFT JOIN users u ON u.id = a.actor_id"
	" WHERE a.action IN ('post.hide', 'post.unhide', 'post.redact', 'thread.update', 'flag.resolve', 'user.update',"
	" 'attachment.purge')"
	" AND (a.action != 'user.update' OR json_extract(a.detail, '$.status') IS NOT NULL)"
	" AND a.id < :before ORDER BY a.id DESC LIMIT :lim";

static const char thread_exists_sql[] = "SELECT 1 FROM threads t WHERE t.id = :id AND " AUTHZ_THREAD_VISIBLE;
static const char active_users_sql[] = "SELECT id FROM users WHERE status = 'active' ORDER BY id LIMIT 10000";
/* Who has read the thread: the thread.read audit entries (outsiders of a company thread, at
 * every read) and the forum's read state (everyone, the latest read that saw new posts). */
static const char has_read_sql[] =
	"SELECT u.id, u.name, u.role, u.company_id, max(x.at), sum(x.audited) FROM ("
	" SELECT actor_id AS uid, at, 1 AS audited FROM audit_log WHERE action = 'thread.read' AND target = :target"
	" UNION ALL SELECT user_id, read_at, 0 FROM thread_reads WHERE thread_id = :tid) x"
	" JOIN users u ON u.id = x.uid GROUP BY u.id ORDER BY max(x.at) DESC, u.id";
static const char user_sql[] = "SELECT id, name, role, company_id FROM users WHERE id = :id";

/* ---- helpers ------------------------------------------------------------------------------- */

static json_t *opt_int(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
							   : json_integer(sqlite3_column_int64(st, col));
}

/* {id, name, role, company_id} from four columns of st starting at col. */
static json_t *user_json(sqlite3_stmt *st, int col)
{
	return json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)sqlite3_column_int64(st, col), "name",
			 db_col_text(st, col + 1), "role", db_col_text(st, col + 2), "company_id",
			 opt_int(st, col + 3));
}

static char *target_new(const char *kind, int64_t id)
{
	return xasprintf("%s:%" PRId64, kind, id);
}

/* A post as moderation handles it. */
struct mpost {
	int64_t id, thread_id, author_id, created_at;
	bool hidden, redacted, first;
	char *body, *title;
	json_t *json; /* as the caller sees it */
};

static void mpost_clear(struct mpost *p)
{
	free(p->body);
	free(p->title);
	json_decref(p->json);
	memset(p, 0, sizeof *p);
}

/* Loads post id as r->who may see it. Returns 0, or -1 when missing or unreadable. */
static int mpost_load(struct req *r, int64_t id, struct mpost *p)
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
		p->hidden = sqlite3_column_int(st, 9) != 0;
		p->redacted = sqlite3_column_int(st, 10) != 0;
		p->author_id = sqlite3_column_int64(st, 11);
		p->first = sqlite3_column_int(st, 12) != 0;
		p->title = db_col_dup(st, 13);
		p->json = json_pack("{s:I, s:I, s:o, s:s, s:s, s:o, s:o}", "id", (json_int_t)p->id,
				    "thread_id", (json_int_t)p->thread_id, "author", post_author_json(st, 6),
				    "body", p->body, "html", db_col_text(st, 3), "created_at",
				    json_time(p->created_at), "edited_at",
				    json_time(sqlite3_column_int64(st, 5)));
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

static void probes_free(char **p)
{
	for (char **q = p; q && *q; q++)
		free(*q);
	free(p);
}

/* Resolves every open flag of the post with `resolution`, inside the caller's transaction. */
static int flags_resolve_post(struct req *r, int64_t post_id, const char *resolution)
{
	sqlite3_stmt *st = db_stmt(r->db, flags_resolve_post_sql);
	db_bind_text(st, ":res", resolution);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":pid", post_id);
	return db_exec_stmt(r->db, st);
}

static int audit_post(struct req *r, const char *action, const struct mpost *p, json_t *detail)
{
	char *t = target_new("post", p->id);
	json_object_set_new(detail, "thread_id", json_integer(p->thread_id));
	int rc = audit_append(r->db, r->who->user_id, action, t, r->ip, detail);
	free(t);
	return rc;
}

/* Puts the post back into the search index as it should be found: not at all while hidden; the
 * title only (first post) once redacted. Call after search_unindex_post, inside the transaction. */
static int post_reindex(struct db *d, const struct mpost *p, bool hidden, const char *body)
{
	if (hidden)
		return 0;
	bool redacted = strcmp(body, MODERATION_PLACEHOLDER) == 0;
	if (redacted && !p->first)
		return 0;
	return search_index_post(d, p->id, p->first ? p->title : NULL, redacted ? "" : body);
}

/* ---- what other features call (moderation.h) ------------------------------------------------ */

static int rate_limited(struct req *r, int64_t wait, const char *what)
{
	if (wait < 1)
		wait = 1;
	char v[24];
	snprintf(v, sizeof v, "%" PRId64, wait);
	req_header(r, "Retry-After", v);
	return req_error(r, 429, "rate_limited", "too many %s; try again in %" PRId64 " s", what, wait);
}

/* Returns 0 when fewer than max rows of sql (the user's recent writes) fall in the window,
 * else the seconds until the oldest of the newest max leaves it. */
static int64_t window_wait(struct req *r, const char *sql, int max)
{
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, sql);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":since", now - RATE_WINDOW_SECONDS);
	db_bind_int64(st, ":n", max - 1);
	int64_t oldest = db_one_int64(st, -1);
	return oldest < 0 ? 0 : oldest + RATE_WINDOW_SECONDS - now;
}

int moderation_rate_check(struct req *r)
{
	if (!r->who || authz_is_secretariat(r->who) || r->cfg->post_rate_per_minute <= 0)
		return 0;
	int64_t wait = window_wait(r, rate_posts_sql, r->cfg->post_rate_per_minute);
	return wait ? rate_limited(r, wait, "posts") : 0;
}

bool moderation_post_text_withheld(const struct principal *viewer, bool hidden)
{
	return hidden && !authz_is_secretariat(viewer);
}

void moderation_post_view(json_t *post, const struct principal *viewer, bool hidden, bool redacted)
{
	json_object_set_new(post, "hidden", json_boolean(hidden));
	json_object_set_new(post, "redacted", json_boolean(redacted));
	if (moderation_post_text_withheld(viewer, hidden)) {
		json_object_set_new(post, "body", json_string(""));
		json_object_set_new(post, "html", json_string(""));
	}
}

/* ---- flags --------------------------------------------------------------------------------- */

/* One flag from FLAG_COLUMNS, as the secretariat sees it. */
static json_t *flag_json(sqlite3_stmt *st)
{
	return json_pack(
		"{s:I, s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:b, s:b, s:I, s:s}, s:I}", "id",
		(json_int_t)sqlite3_column_int64(st, 0), "post_id", (json_int_t)sqlite3_column_int64(st, 1),
		"thread_id", (json_int_t)sqlite3_column_int64(st, 2), "thread_title", db_col_text(st, 3),
		"reason", db_col_text(st, 4), "state", db_col_text(st, 5), "resolution",
		sqlite3_column_type(st, 6) == SQLITE_NULL ? json_null() : json_string(db_col_text(st, 6)),
		"created_at", json_time(sqlite3_column_int64(st, 7)), "resolved_by", opt_int(st, 8),
		"resolved_at", json_time(sqlite3_column_int64(st, 9)), "reporter", user_json(st, 10), "post",
		"hidden", sqlite3_column_int(st, 14) != 0, "redacted", sqlite3_column_int(st, 15) != 0,
		"author_id", (json_int_t)sqlite3_column_int64(st, 16), "excerpt", db_col_text(st, 18), "open_flags_on_post",
		(json_int_t)sqlite3_column_int64(st, 17));
}

static json_t *flag_load(struct req *r, int64_t fid)
{
	sqlite3_stmt *st = db_stmt(r->db, flag_one_sql);
	db_bind_int64(st, ":fid", fid);
	authz_bind(st, r->who);
	json_t *f = sqlite3_step(st) == SQLITE_ROW ? flag_json(st) : NULL;
	sqlite3_reset(st);
	return f;
}

/* What the reporter gets back: their own flag, without the queue's details. */
static json_t *flag_receipt(int64_t fid, const struct mpost *p, const char *reason, const char *state,
			    int64_t at)
{
	return json_pack("{s:I, s:I, s:I, s:s, s:s, s:o}", "id", (json_int_t)fid, "post_id",
			 (json_int_t)p->id, "thread_id", (json_int_t)p->thread_id, "reason", reason, "state",
			 state, "created_at", json_time(at));
}

/* POST /api/v1/posts/{id}/flags {reason} — any gated writer who may read the post's thread;
 * 201 {id, post_id, thread_id, reason, state:"open", created_at}. The secretariat is told in
 * the app (kind "flag", without the reason). A reporter who already has an open flag on the
 * post gets it back with 200. Missing or unreadable post → 404; reason missing, blank or over
 * 2,000 bytes → 422 invalid; more than 20 flags a minute → 429 rate_limited. */
static int handle_moderation_flag_create(struct req *r)
{
	int64_t id;
	struct mpost p;
	const char *reason = NULL;
	if (req_path_id(r, 0, &id) < 0 || mpost_load(r, id, &p) < 0)
		return req_not_found(r);
	int rc;
	if (req_body_str(r, "reason", &reason) != 0 || text_blank(reason) || strlen(reason) > REASON_MAX_BYTES) {
		rc = req_error(r, 422, "invalid", "reason must be a non-empty text of at most %d bytes",
			       REASON_MAX_BYTES);
		goto out;
	}
	if (!authz_is_secretariat(r->who)) {
		int64_t wait = window_wait(r, rate_flags_sql, FLAGS_PER_MINUTE);
		if (wait) {
			rc = rate_limited(r, wait, "flags");
			goto out;
		}
	}
	sqlite3_stmt *st = db_stmt(r->db, flag_own_open_sql);
	db_bind_int64(st, ":pid", id);
	db_bind_int64(st, ":uid", r->who->user_id);
	int64_t existing = db_one_int64(st, 0);
	if (existing) {
		rc = req_reply(r, 200,
			       json_pack("{s:I, s:I, s:I, s:s, s:b}", "id", (json_int_t)existing, "post_id",
					 (json_int_t)p.id, "thread_id", (json_int_t)p.thread_id, "state",
					 "open", "already_flagged", 1));
		goto out;
	}
	if (db_tx_begin(r->db, __func__) < 0) {
		rc = req_internal(r, "begin");
		goto out;
	}
	int64_t now = now_unix();
	st = db_stmt(r->db, flag_insert_sql);
	db_bind_int64(st, ":pid", id);
	db_bind_int64(st, ":tid", p.thread_id);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_text(st, ":reason", reason);
	db_bind_int64(st, ":now", now);
	int w = db_exec_stmt(r->db, st);
	int64_t fid = sqlite3_last_insert_rowid(db_handle(r->db));
	if (w == 0) {
		int64_t ids[200];
		int n = 0;
		st = db_stmt(r->db, secretariat_sql);
		while (n < (int)ARRAY_LEN(ids) && sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		for (int i = 0; i < n && w == 0; i++)
			if (notify_user(r->db, ids[i], "flag", p.thread_id, p.id, r->who->user_id, NULL) < 0)
				w = -1;
	}
	if (w < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		rc = w == -2 ? req_error(r, 409, "conflict", "flagged meanwhile; try again")
			     : req_internal(r, "flag");
		goto out;
	}
	rc = req_reply(r, 201, flag_receipt(fid, &p, reason, "open", now));
out:
	mpost_clear(&p);
	return rc;
}

/* GET /api/v1/flags?state=open|resolved|all&page= — secretariat; 200 {flags:[{id, post_id,
 * thread_id, thread_title, reason, state, resolution, created_at, resolved_by, resolved_at,
 * reporter:{id, name, role, company_id}, post:{hidden, redacted, author_id},
 * open_flags_on_post}], page}: open flags oldest first (a queue), others newest first, 50 a
 * page. state defaults to open; another value → 422 invalid. */
static int handle_moderation_flag_list(struct req *r)
{
	const char *state = req_query_str(r, "state");
	const char *sql = flags_open_sql;
	if (state && strcmp(state, "resolved") == 0)
		sql = flags_resolved_sql;
	else if (state && strcmp(state, "all") == 0)
		sql = flags_all_sql;
	else if (state && strcmp(state, "open") != 0)
		return req_error(r, 422, "invalid", "state must be open, resolved or all");
	int64_t page = req_query_int(r, "page", 1);
	if (page < 1)
		page = 1;
	sqlite3_stmt *st = db_stmt(r->db, sql);
	authz_bind(st, r->who);
	db_bind_int64(st, ":lim", FLAGS_PAGE_SIZE);
	db_bind_int64(st, ":off", (page - 1) * FLAGS_PAGE_SIZE);
	json_t *arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, flag_json(st));
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o, s:I}", "flags", arr, "page", (json_int_t)page));
}

/* ---- hide and unhide ------------------------------------------------------------------------ */

/* Hides or shows p inside the caller's transaction: the hidden mark, the search index (a hidden
 * post is not indexed at all), queued mail quoting it (cancelled), its open flags (resolved as
 * `hidden`) and the audit entry. *changed is false when it already was in that state (nothing
 * written). Returns 0 or -1. */
static int post_set_hidden(struct req *r, const struct mpost *p, bool hide, bool *changed)
{
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
		if (rc < 0 || flags_resolve_post(r, p->id, "hidden") < 0)
			return -1;
	}
	json_t *detail = json_object();
	int rc = audit_post(r, hide ? "post.hide" : "post.unhide", p, detail);
	json_decref(detail);
	return rc;
}

/* Reloads p's JSON for the reply (the secretariat's view, with hidden and redacted). */
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

static int set_hidden(struct req *r, bool hide)
{
	int64_t id;
	struct mpost p;
	if (req_path_id(r, 0, &id) < 0 || mpost_load(r, id, &p) < 0)
		return req_not_found(r);
	bool changed = false;
	if (db_tx_begin(r->db, __func__) < 0) {
		mpost_clear(&p);
		return req_internal(r, "begin");
	}
	if (post_set_hidden(r, &p, hide, &changed) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		mpost_clear(&p);
		return req_internal(r, hide ? "hide" : "unhide");
	}
	if (changed)
		events_publish_post(r->db, p.thread_id, p.id);
	mpost_clear(&p);
	return reply_post(r, 200, id, NULL);
}

/* POST /api/v1/posts/{id}/hide — secretariat; 200 the post (hidden:true; the secretariat still
 * sees its text). Everyone else sees it with hidden:true and body and html "" in the thread, the
 * post, its revisions; search no longer finds it; queued mail quoting it is cancelled; its open
 * flags are resolved. Audited as post.hide. Hiding a hidden post changes nothing. Missing → 404. */
static int handle_moderation_hide(struct req *r)
{
	return set_hidden(r, true);
}

/* POST /api/v1/posts/{id}/unhide — secretariat; 200 the post, shown again (and searchable
 * again). Audited as post.unhide. Missing → 404. */
static int handle_moderation_unhide(struct req *r)
{
	return set_hidden(r, false);
}

/* POST /api/v1/flags/{id}/resolve {action?} — secretariat; 200 the flag. action `dismiss`
 * (the default: reviewed, nothing to do; this flag only) or `hide` (hides the post as
 * POST /posts/{id}/hide does, which resolves every open flag of the post as `hidden`). Hiding
 * and redacting a post resolve its open flags too. Audited as flag.resolve. Missing → 404; a
 * resolved flag → 409 already_resolved; another action → 422 invalid. */
static int handle_moderation_flag_resolve(struct req *r)
{
	int64_t fid;
	const char *action = "dismiss";
	if (req_path_id(r, 0, &fid) < 0)
		return req_not_found(r);
	if (req_body_str(r, "action", &action) < 0 ||
	    (strcmp(action, "dismiss") != 0 && strcmp(action, "hide") != 0))
		return req_error(r, 422, "invalid", "action must be dismiss or hide");
	sqlite3_stmt *st = db_stmt(r->db, flag_state_sql);
	db_bind_int64(st, ":fid", fid);
	int64_t post_id = 0;
	bool open = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		post_id = sqlite3_column_int64(st, 0);
		open = strcmp(db_col_text(st, 1), "open") == 0;
	}
	sqlite3_reset(st);
	struct mpost p;
	if (!post_id || mpost_load(r, post_id, &p) < 0)
		return req_not_found(r);
	if (!open) {
		mpost_clear(&p);
		return req_error(r, 409, "already_resolved", "the flag is already resolved");
	}
	bool hide = strcmp(action, "hide") == 0, changed = false;
	if (db_tx_begin(r->db, __func__) < 0) {
		mpost_clear(&p);
		return req_internal(r, "begin");
	}
	int rc = 0;
	if (hide) {
		rc = post_set_hidden(r, &p, true, &changed);
		if (rc == 0) /* already hidden: the flag is still answered */
			rc = flags_resolve_post(r, p.id, "hidden");
	} else {
		st = db_stmt(r->db, flag_dismiss_sql);
		db_bind_int64(st, ":uid", r->who->user_id);
		db_bind_int64(st, ":now", now_unix());
		db_bind_int64(st, ":fid", fid);
		rc = db_exec_stmt(r->db, st);
	}
	if (rc == 0) {
		char *t = target_new("flag", fid);
		json_t *detail = json_pack("{s:I, s:I, s:s}", "post_id", (json_int_t)p.id, "thread_id",
					   (json_int_t)p.thread_id, "action", action);
		rc = audit_append(r->db, r->who->user_id, "flag.resolve", t, r->ip, detail);
		json_decref(detail);
		free(t);
	}
	if (rc < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		mpost_clear(&p);
		return req_internal(r, "resolve flag");
	}
	if (changed)
		events_publish_post(r->db, p.thread_id, p.id);
	mpost_clear(&p);
	json_t *f = flag_load(r, fid);
	return f ? req_reply(r, 200, f) : req_not_found(r);
}

/* ---- redaction and purge ------------------------------------------------------------------- */

/* Replaces every copy of the post's text that others can see, inside the caller's transaction.
 * Without purge the originals (current text and revisions) are kept in redacted_texts for the
 * secretariat; with purge they, the revisions and earlier kept originals are deleted and both
 * search indexes are rewritten so no segment keeps the old terms. Returns 0 and *rid (the
 * redaction's id), or -1. */
static int post_redact(struct req *r, const struct mpost *p, const char *reason, bool purge, int64_t *rid)
{
	struct db *d = r->db;
	int64_t now = now_unix();
	char *html = placeholder_html_new();
	char **probes = probes_new(d, p->id);
	int rc = -1;
	sqlite3_stmt *st = db_stmt(d, redaction_insert_sql);
	db_bind_int64(st, ":id", p->id);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_text(st, ":reason", reason);
	db_bind_int64(st, ":purged", purge);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(d, st) < 0)
		goto out;
	*rid = sqlite3_last_insert_rowid(db_handle(d));
	if (!purge) {
		st = db_stmt(d, keep_post_sql);
		db_bind_int64(st, ":rid", *rid);
		db_bind_int64(st, ":id", p->id);
		db_bind_text(st, ":ph", MODERATION_PLACEHOLDER);
		if (db_exec_stmt(d, st) < 0)
			goto out;
		st = db_stmt(d, keep_revisions_sql);
		db_bind_int64(st, ":rid", *rid);
		db_bind_int64(st, ":id", p->id);
		db_bind_text(st, ":ph", MODERATION_PLACEHOLDER);
		if (db_exec_stmt(d, st) < 0)
			goto out;
	}
	st = db_stmt(d, replace_post_sql);
	db_bind_text(st, ":ph", MODERATION_PLACEHOLDER);
	db_bind_text(st, ":html", html);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":id", p->id);
	if (db_exec_stmt(d, st) < 0)
		goto out;
	st = db_stmt(d, purge ? delete_revisions_sql : replace_revisions_sql);
	db_bind_text_opt(st, ":ph", MODERATION_PLACEHOLDER); /* replace only */
	db_bind_text_opt(st, ":html", html);
	db_bind_int64(st, ":id", p->id);
	if (db_exec_stmt(d, st) < 0)
		goto out;
	if (purge) {
		st = db_stmt(d, delete_kept_sql);
		db_bind_int64(st, ":id", p->id);
		if (db_exec_stmt(d, st) < 0)
			goto out;
		st = db_stmt(d, scrub_flags_sql);
		db_bind_text(st, ":ph", MODERATION_PLACEHOLDER);
		db_bind_int64(st, ":id", p->id);
		if (db_exec_stmt(d, st) < 0)
			goto out;
	}
	/* Copies in notifications and queued or sent mail about the thread, written since the post. */
	for (char **q = probes; *q; q++) {
		static const char *const scrubs[] = {scrub_notifications_sql, scrub_outbox_sql};
		for (size_t i = 0; i < ARRAY_LEN(scrubs); i++) {
			st = db_stmt(d, scrubs[i]);
			db_bind_text(st, ":ph", MODERATION_PLACEHOLDER);
			db_bind_int64(st, ":tid", p->thread_id);
			db_bind_int64(st, ":since", p->created_at);
			db_bind_text(st, ":probe", *q);
			if (db_exec_stmt(d, st) < 0)
				goto out;
		}
	}
	if (search_unindex_post(d, p->id) < 0 || post_reindex(d, p, p->hidden, MODERATION_PLACEHOLDER) < 0)
		goto out;
	if (purge && (db_exec_stmt(d, db_stmt(d, fts_optimize_sql)) < 0 ||
		      db_exec_stmt(d, db_stmt(d, short_optimize_sql)) < 0))
		goto out;
	if (flags_resolve_post(r, p->id, purge ? "purged" : "redacted") < 0)
		goto out;
	json_t *detail = json_pack("{s:b, s:I}", "purge", purge, "redaction_id", (json_int_t)*rid);
	rc = audit_post(r, "post.redact", p, detail);
	json_decref(detail);
out:
	probes_free(probes);
	free(html);
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
	j->checkpointed = db_checkpoint_truncate(d, CHECKPOINT_BUSY_MS, CHECKPOINT_DEADLINE_US);
	db_close(d);
}

static void purge_job_free(struct purge_job *j)
{
	free(j->sha);
	free(j->data_dir);
	free(j);
}

/* Worker loop, after the checkpoint: the reply. */
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

/* Worker loop, once the batch holding the purge has committed (or failed). */
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

/* POST /api/v1/posts/{id}/redact {reason, purge?} — secretariat; 200 the post with
 * redaction:{id, purge}. The post's text becomes 「このメッセージは事務局により削除されました」
 * for everyone (revisions too; notifications and mail about the thread that quote it too); its
 * open flags are resolved. Without purge the original texts are kept, readable only through
 * GET /api/v1/posts/{id}/redactions. With purge:true every copy is destroyed instead: the text,
 * all revisions, earlier kept originals, the search index entries (both indexes are optimized,
 * so no old segment keeps the terms), notification and outbox copies and flag reasons; after
 * the commit the WAL is checkpointed and truncated (the reply waits for it, and says
 * wal_checkpointed). secure_delete (db.c) zeroes the freed bytes. Audited as post.redact with
 * {purge, redaction_id, thread_id}, never the text. Missing → 404; reason missing or blank →
 * 422 invalid. */
static int handle_moderation_redact(struct req *r)
{
	int64_t id, rid = 0;
	struct mpost p;
	const char *reason = NULL;
	bool purge = false;
	if (req_path_id(r, 0, &id) < 0 || mpost_load(r, id, &p) < 0)
		return req_not_found(r);
	int hr = req_body_str(r, "reason", &reason), hp = req_body_bool(r, "purge", &purge);
	if (hr != 0 || text_blank(reason) || strlen(reason) > REASON_MAX_BYTES || hp < 0) {
		mpost_clear(&p);
		return req_error(
			r, 422, "invalid",
			"reason (a non-empty text of at most %d bytes) is required; purge is a boolean",
			REASON_MAX_BYTES);
	}
	if (db_tx_begin(r->db, __func__) < 0) {
		mpost_clear(&p);
		return req_internal(r, "begin");
	}
	if (post_redact(r, &p, reason, purge, &rid) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		mpost_clear(&p);
		return req_internal(r, "redact");
	}
	events_publish_post(r->db, p.thread_id, p.id);
	mpost_clear(&p);
	if (!purge)
		return reply_post(
			r, 200, id,
			json_pack("{s:{s:I, s:b}}", "redaction", "id", (json_int_t)rid, "purge", 0));
	struct purge_job *j = xcalloc(1, sizeof *j);
	j->r = r;
	j->post_id = id;
	j->rid = rid;
	j->data_dir = xstrdup(r->cfg->data_dir);
	if (db_batch_open(r->db))
		worker_after_commit(r->w, purge_committed, j);
	else
		purge_committed(j, true);
	return HTTP_ASYNC;
}

/* POST /api/v1/attachments/{id}/purge — secretariat; 200 {id, thread_id, file_removed,
 * wal_checkpointed}: a file attached where it should not be is destroyed. The row goes
 * (secure_delete zeroes its name); the file under DATA/files/ is overwritten with zeros and
 * removed unless another attachment has the very same content; the WAL is checkpointed and
 * truncated; the reply waits for all of it. Audited as attachment.purge with {thread_id, size}
 * (never the name). Missing → 404. */
static int handle_moderation_attachment_purge(struct req *r)
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
	j->r = r;
	j->attachment_id = id;
	j->thread_id = sqlite3_column_int64(st, 1);
	j->sha = db_col_dup(st, 2);
	int64_t size = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	j->data_dir = xstrdup(r->cfg->data_dir);
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
	int rc = db_exec_stmt(r->db, st);
	if (rc == 0) {
		char *t = target_new("attachment", id);
		json_t *detail = json_pack("{s:I, s:I}", "thread_id", (json_int_t)j->thread_id, "size",
					   (json_int_t)size);
		rc = audit_append(r->db, r->who->user_id, "attachment.purge", t, r->ip, detail);
		json_decref(detail);
		free(t);
	}
	if (rc < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		purge_job_free(j);
		return req_internal(r, "purge attachment");
	}
	events_publish_thread(r->db, j->thread_id);
	if (db_batch_open(r->db))
		worker_after_commit(r->w, purge_committed, j);
	else
		purge_committed(j, true);
	return HTTP_ASYNC;
}

/* GET /api/v1/posts/{id}/redactions — secretariat; 200 {redactions:[{id, actor:{id, name},
 * reason, purge, created_at, originals:[{source: post|revision, revision_id, body, author_id,
 * written_at}]}]}, oldest first. A purge leaves its redaction without originals (and deletes
 * those of earlier redactions). Missing post → 404. */
static int handle_moderation_redactions(struct req *r)
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
							      opt_int(st, 1), "body", db_col_text(st, 2),
							      "author_id", opt_int(st, 3), "written_at",
							      json_time(sqlite3_column_int64(st, 4))));
		sqlite3_reset(st);
	}
	return req_reply(r, 200, json_pack("{s:o}", "redactions", arr));
}

/* ---- the secretariat's views ----------------------------------------------------------------- */

/* GET /api/v1/moderation/actions?before=&limit= — secretariat; 200 {actions:[{id, at, actor:{id,
 * name}|null, action, target, ip, detail}], next_before}: the audit entries of moderation —
 * post.hide, post.unhide, post.redact, attachment.purge, thread.update, flag.resolve and
 * user.update entries that change a status (suspensions) — newest first, 100 a page (limit up to 500); pass next_before
 * as before for the next page (null at the end). */
static int handle_moderation_actions(struct req *r)
{
	int64_t before = req_query_int(r, "before", INT64_MAX),
		lim = req_query_int(r, "limit", ACTIONS_PAGE_SIZE);
	if (lim < 1 || lim > ACTIONS_MAX_PAGE_SIZE)
		lim = ACTIONS_PAGE_SIZE;
	sqlite3_stmt *st = db_stmt(r->db, actions_sql);
	db_bind_int64(st, ":before", before > 0 ? before : INT64_MAX);
	db_bind_int64(st, ":lim", lim);
	json_t *arr = json_array();
	int64_t last = 0, n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *actor = sqlite3_column_type(st, 2) == SQLITE_NULL
					? json_null()
					: json_pack("{s:I, s:s}", "id",
						    (json_int_t)sqlite3_column_int64(st, 2), "name",
						    db_col_text(st, 3));
		json_t *detail = json_loads(db_col_text(st, 7), 0, NULL);
		last = sqlite3_column_int64(st, 0);
		n++;
		json_array_append_new(
			arr, json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:o}", "id", (json_int_t)last, "at",
				       json_time(sqlite3_column_int64(st, 1)), "actor", actor, "action",
				       db_col_text(st, 4), "target", db_col_text(st, 5), "ip",
				       db_col_text(st, 6), "detail", detail ? detail : json_object()));
	}
	sqlite3_reset(st);
	return req_reply(r, 200,
			 json_pack("{s:o, s:o}", "actions", arr, "next_before",
				   n == lim ? json_integer(last) : json_null()));
}

/* GET /api/v1/threads/{id}/readers — secretariat; 200 {thread_id, can_read_now:[user],
 * blocked_by_gate:[{user, reason}], has_read:[{user, at, audited_reads}]} where user is {id,
 * name, role, company_id}. can_read_now: every active user the visibility rule lets read the
 * thread now and whose company status and consent let them reach content; blocked_by_gate: the
 * rule allows them but the gate does not (yet) — reason consent_required, company_inactive.
 * has_read: everyone recorded reading it — thread.read audit entries (outsiders of a company
 * thread, every read) and the forum's read state — latest read first, whether or not they can
 * still read it. Missing → 404. */
static int handle_moderation_readers(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, thread_exists_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	if (db_one_int64(st, 0) != 1)
		return req_not_found(r);
	size_t n = 0, cap = 64;
	int64_t *ids = xmalloc(cap * sizeof *ids);
	st = db_stmt(r->db, active_users_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	json_t *now = json_array(), *gated = json_array();
	for (size_t i = 0; i < n; i++) {
		struct principal p;
		if (authz_principal_load(r->db, ids[i], &p) < 0)
			continue;
		if (authz_can_read_thread(r->db, &p, id)) {
			json_t *pending = NULL;
			enum access_result ar = authz_check_gate(r->db, &p, ACCESS_CONTENT, &pending);
			json_decref(pending);
			st = db_stmt(r->db, user_sql);
			db_bind_int64(st, ":id", ids[i]);
			json_t *u = sqlite3_step(st) == SQLITE_ROW ? user_json(st, 0) : NULL;
			sqlite3_reset(st);
			if (u && ar == ACCESS_OK)
				json_array_append_new(now, u);
			else if (u)
				json_array_append_new(gated, json_pack("{s:o, s:s}", "user", u, "reason",
								       ar == ACCESS_DENIED_CONSENT
									       ? "consent_required"
									       : "company_inactive"));
		}
		principal_clear(&p);
	}
	free(ids);
	json_t *read = json_array();
	char *target = target_new("thread", id);
	st = db_stmt(r->db, has_read_sql);
	db_bind_text(st, ":target", target);
	db_bind_int64(st, ":tid", id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(read, json_pack("{s:o, s:o, s:I}", "user", user_json(st, 0), "at",
						      json_time(sqlite3_column_int64(st, 4)), "audited_reads",
						      (json_int_t)sqlite3_column_int64(st, 5)));
	sqlite3_reset(st);
	free(target);
	return req_reply(r, 200,
			 json_pack("{s:I, s:o, s:o, s:o}", "thread_id", (json_int_t)id, "can_read_now", now,
				   "blocked_by_gate", gated, "has_read", read));
}

const struct route moderation_routes[] = {
	ROUTE(POST, "/api/v1/posts/{id}/flags", ACCESS_WRITE, handle_moderation_flag_create),
	ROUTE(GET, "/api/v1/flags", ACCESS_CONTENT | ACCESS_SECRETARIAT, handle_moderation_flag_list,
	      .params = {{"state", PARAM_STR}, {"page", PARAM_INT}}),
	ROUTE(POST, "/api/v1/flags/{id}/resolve", ACCESS_WRITE | ACCESS_SECRETARIAT,
	      handle_moderation_flag_resolve),
	ROUTE(POST, "/api/v1/posts/{id}/hide", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_moderation_hide),
	ROUTE(POST, "/api/v1/posts/{id}/unhide", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_moderation_unhide),
	ROUTE(POST, "/api/v1/posts/{id}/redact", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_moderation_redact),
	ROUTE(POST, "/api/v1/attachments/{id}/purge", ACCESS_WRITE | ACCESS_SECRETARIAT,
	      handle_moderation_attachment_purge),
	ROUTE(GET, "/api/v1/posts/{id}/redactions", ACCESS_CONTENT | ACCESS_SECRETARIAT,
	      handle_moderation_redactions),
	ROUTE(GET, "/api/v1/moderation/actions", ACCESS_SESSION | ACCESS_SECRETARIAT,
	      handle_moderation_actions, .params = {{"before", PARAM_INT}, {"limit", PARAM_INT}}),
	ROUTE(GET, "/api/v1/threads/{id}/readers", ACCESS_CONTENT | ACCESS_SECRETARIAT,
	      handle_moderation_readers),
	{0},
};
