/* post.c — posts (docs/API.md §5): replies, edits that keep the earlier text as a revision, the
 * revision list, one post, and the Markdown preview. post_insert is the single way a post is
 * stored, so rendering, the search index, the on_post hooks, notifications and the event stream
 * follow every new post. A post is readable exactly when its thread is. */
#include "post.h"

#include "audit.h"
#include "authz.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "markdown.h"
#include "moderation.h"
#include "notify.h"
#include "ratelimit.h"
#include "router.h"
#include "search.h"
#include "server.h"
#include "text.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An author may edit their post for this long; the secretariat always. */
#define EDIT_WINDOW_SECONDS (24 * 3600)

static const char insert_sql[] =
	"INSERT INTO posts (thread_id, author_id, body, html, created_at) VALUES (:tid, :author, :body, :html, :now)";
static const char bump_sql[] =
	"UPDATE threads SET post_count = post_count + 1, last_post_at = :now WHERE id = :tid";
/* The author has seen the thread up to their own post. */
static const char seen_sql[] =
	"INSERT INTO thread_reads (user_id, thread_id, seen_count, last_post_id, read_at)"
	" SELECT :uid, id, post_count, :pid, :now FROM threads WHERE id = :tid"
	" ON CONFLICT (user_id, thread_id) DO UPDATE SET seen_count = excluded.seen_count,"
	" last_post_id = excluded.last_post_id, read_at = excluded.read_at";
static const char followers_sql[] = "SELECT user_id FROM thread_follows WHERE thread_id = :tid";
static const char mention_sql[] =
	"SELECT id FROM users WHERE status = 'active' AND instr(email, '@') > 1"
	" AND lower(substr(email, 1, instr(email, '@') - 1)) = lower(:name)";
/* A post with its thread, readable by the caller. */
static const char one_sql[] =
	"SELECT p.id, p.thread_id, p.body, p.html, p.created_at, p.edited_at, u.id, u.name, u.role, t.locked,"
	" (SELECT min(id) FROM posts WHERE thread_id = t.id) = p.id, t.title, " MODERATION_POST_COLUMNS
	" FROM posts p JOIN threads t ON t.id = p.thread_id JOIN users u ON u.id = p.author_id"
	" WHERE p.id = :id AND " AUTHZ_THREAD_VISIBLE;
static const char thread_state_sql[] =
	"SELECT t.locked FROM threads t WHERE t.id = :id AND " AUTHZ_THREAD_VISIBLE;
static const char revision_insert_sql[] =
	"INSERT INTO post_revisions (post_id, body, html, author_id, created_at, replaced_by, replaced_at)"
	" SELECT id, body, html, author_id, coalesce(edited_at, created_at), :editor, :now FROM posts WHERE id = :id";
static const char edit_sql[] = "UPDATE posts SET body = :body, html = :html, edited_at = :now WHERE id = :id";
static const char revisions_sql[] =
	"SELECT r.id, r.body, r.html, r.created_at, r.replaced_at, u.id, u.name, u.role"
	" FROM post_revisions r JOIN users u ON u.id = r.author_id WHERE r.post_id = :id ORDER BY r.id";

int post_body_from_request(struct req *r, const char **body)
{
	const char *b = NULL;
	if (req_body_str(r, "body", &b) != 0)
		return req_error(r, 422, "invalid", "body is required");
	if (strlen(b) > POST_MAX_BODY)
		return req_error(r, 413, "too_large", "a post's body is at most %d bytes", POST_MAX_BODY);
	if (text_blank(b))
		return req_error(r, 422, "invalid", "body is empty");
	*body = b;
	return 0;
}

/* Renders body into a new string (caller frees), or NULL when md4c fails. */
static char *render_new(const char *body)
{
	struct buf b = {0};
	if (markdown_render(body, strlen(body), &b) < 0) {
		buf_free(&b);
		return NULL;
	}
	char *html = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return html;
}

static bool id_in(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Notifies mentioned users (kind "mention") and then followers (kind "reply"), each once, each
 * only if they may read the thread (notify_user checks). Returns 0 or -1. */
static int post_notify(struct req *r, int64_t thread_id, int64_t post_id, const char *body, bool first)
{
	sqlite3_stmt *st;
	int64_t *done = NULL;
	size_t ndone = 0, cap = 0;
	int rc = 0;
	char **names = markdown_mentions_new(body, strlen(body));
	for (char **nm = names; *nm && rc == 0; nm++) {
		st = db_stmt(r->db, mention_sql);
		db_bind_text(st, ":name", *nm);
		int64_t ids[8];
		size_t k = 0;
		while (k < ARRAY_LEN(ids) && sqlite3_step(st) == SQLITE_ROW)
			ids[k++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		for (size_t i = 0; i < k && rc == 0; i++) {
			if (id_in(done, ndone, ids[i]))
				continue;
			if (notify_user(r->db, ids[i], "mention", thread_id, post_id, r->who->user_id, NULL) < 0)
				rc = -1;
			if (ndone == cap)
				done = xrealloc(done, (cap = cap ? cap * 2 : 16) * sizeof *done);
			done[ndone++] = ids[i];
		}
	}
	markdown_mentions_free(names);
	if (!first && rc == 0) {
		int64_t *followers = NULL;
		size_t nf = 0, fcap = 0;
		st = db_stmt(r->db, followers_sql);
		db_bind_int64(st, ":tid", thread_id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (nf == fcap)
				followers = xrealloc(followers, (fcap = fcap ? fcap * 2 : 16) * sizeof *followers);
			followers[nf++] = sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
		for (size_t i = 0; i < nf && rc == 0; i++)
			if (!id_in(done, ndone, followers[i]) &&
			    notify_user(r->db, followers[i], "reply", thread_id, post_id, r->who->user_id, NULL) < 0)
				rc = -1;
		free(followers);
	}
	free(done);
	return rc;
}

int post_insert(struct req *r, int64_t thread_id, const char *title, const char *body, int64_t *post_id)
{
	assert(server_on_worker_thread() && db_in_write_tx(r->db));
	char *html = render_new(body);
	if (!html)
		return -1;
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, insert_sql);
	db_bind_int64(st, ":tid", thread_id);
	db_bind_int64(st, ":author", r->who->user_id);
	db_bind_text(st, ":body", body);
	db_bind_text(st, ":html", html);
	db_bind_int64(st, ":now", now);
	free(html);
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	*post_id = sqlite3_last_insert_rowid(db_handle(r->db));
	st = db_stmt(r->db, bump_sql);
	db_bind_int64(st, ":tid", thread_id);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	st = db_stmt(r->db, seen_sql);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":pid", *post_id);
	db_bind_int64(st, ":tid", thread_id);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0 || search_index_post(r->db, *post_id, title, body) < 0 ||
	    router_run_post_hooks(r, thread_id, *post_id) < 0 ||
	    post_notify(r, thread_id, *post_id, body, title != NULL) < 0)
		return -1;
	events_publish_post(r->db, thread_id, *post_id);
	return 0;
}

static json_t *post_json(sqlite3_stmt *st)
{
	return json_pack("{s:I, s:I, s:o, s:s, s:s, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "thread_id", (json_int_t)sqlite3_column_int64(st, 1), "author", post_author_json(st, 6), "body",
			 db_col_text(st, 2), "html", db_col_text(st, 3), "created_at",
			 json_time(sqlite3_column_int64(st, 4)), "edited_at", json_time(sqlite3_column_int64(st, 5)));
}

/* Loads post id as the caller may see it (NULL when missing or unreadable), its text withheld
 * when moderation says so. On success also reports the author, whether the thread is locked,
 * whether it is the first post, (when title is not NULL) the thread's title (new string), and
 * (when mod is not NULL) mod[0] hidden, mod[1] redacted. */
static json_t *post_load(struct req *r, int64_t id, int64_t *author, bool *locked, bool *first, char **title,
			 bool *mod)
{
	sqlite3_stmt *st = db_stmt(r->db, one_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	json_t *p = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		p = post_json(st);
		if (author)
			*author = sqlite3_column_int64(st, 6);
		if (locked)
			*locked = sqlite3_column_int(st, 9) != 0;
		if (first)
			*first = sqlite3_column_int(st, 10) != 0;
		if (title)
			*title = db_col_dup(st, 11);
		bool hidden = sqlite3_column_int(st, 12) != 0, redacted = sqlite3_column_int(st, 13) != 0;
		moderation_post_view(p, r->who, hidden, redacted);
		if (mod) {
			mod[0] = hidden;
			mod[1] = redacted;
		}
	}
	sqlite3_reset(st);
	return p;
}

/* POST /api/v1/threads/{id}/posts {body} — gated writers who may read the thread; 201 the
 * post. Missing or unreadable thread → 404; locked → 403 locked; empty body → 422 invalid; over
 * 65,536 bytes → 413 too_large. */
static int handle_post_create(struct req *r)
{
	int64_t tid, pid;
	const char *body;
	if (req_path_id(r, 0, &tid) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, thread_state_sql);
	db_bind_int64(st, ":id", tid);
	authz_bind(st, r->who);
	int64_t locked = db_one_int64(st, -1);
	if (locked < 0)
		return req_not_found(r);
	int rc = post_body_from_request(r, &body);
	if (rc)
		return rc;
	if (locked)
		return req_error(r, 403, "locked", "the thread is locked");
	if ((rc = ratelimit_check(r, RATELIMIT_POSTS)) != 0)
		return rc;
	if (db_tx_begin(r->db, __func__) < 0)
		return req_internal(r, "begin");
	/* Re-checked inside the write: a lock or visibility change may have landed meanwhile. */
	st = db_stmt(r->db, thread_state_sql);
	db_bind_int64(st, ":id", tid);
	authz_bind(st, r->who);
	locked = db_one_int64(st, -1);
	if (locked != 0) {
		db_tx_rollback(r->db);
		return locked < 0 ? req_not_found(r) : req_error(r, 403, "locked", "the thread is locked");
	}
	if (post_insert(r, tid, NULL, body, &pid) < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		return req_internal(r, "create post");
	}
	json_t *p = post_load(r, pid, NULL, NULL, NULL, NULL, NULL);
	return p ? req_reply(r, 201, p) : req_internal(r, "reload post");
}

/* GET /api/v1/posts/{id} — readers of its thread; 200 the post; else 404. */
static int handle_post_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	json_t *p = post_load(r, id, NULL, NULL, NULL, NULL, NULL);
	if (!p)
		return req_not_found(r);
	char via[32];
	snprintf(via, sizeof via, "post:%lld", (long long)id);
	if (audit_thread_read(r, json_integer_value(json_object_get(p, "thread_id")), via) < 0) {
		json_decref(p);
		return req_internal(r, "audit read");
	}
	return req_reply(r, 200, p);
}

/* PATCH /api/v1/posts/{id} {body} — the author within 24 hours of writing (not in a locked
 * thread), or the secretariat at any time; 200 the post. The earlier text is kept as a
 * revision and the search index follows the new text. Unreadable → 404; readable but not
 * editable → 403 forbidden (locked thread: 403 locked). */
static int handle_post_edit(struct req *r)
{
	int64_t id, author = 0;
	bool locked = false, first = false;
	const char *body;
	char *title = NULL;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	bool mod[2] = {false, false};
	json_t *p = post_load(r, id, &author, &locked, &first, &title, mod);
	if (!p)
		return req_not_found(r);
	int64_t tid = json_integer_value(json_object_get(p, "thread_id"));
	int rc = post_body_from_request(r, &body);
	if (rc)
		goto out;
	if (!authz_is_secretariat(r->who)) {
		int64_t written = 0;
		if (mod[1]) {
			rc = req_error(r, 403, "forbidden", "the secretariat removed this post's text");
			goto out;
		}
		time_parse_rfc3339(json_string_value(json_object_get(p, "created_at")), &written);
		if (author != r->who->user_id) {
			rc = req_forbidden(r);
			goto out;
		}
		if (locked) {
			rc = req_error(r, 403, "locked", "the thread is locked");
			goto out;
		}
		if (now_unix() - written > EDIT_WINDOW_SECONDS) {
			rc = req_error(r, 403, "forbidden", "posts can be edited for 24 hours after writing");
			goto out;
		}
	}
	char *html = render_new(body);
	if (!html) {
		rc = req_internal(r, "render");
		goto out;
	}
	int64_t now = now_unix();
	if (db_tx_begin(r->db, __func__) < 0) {
		free(html);
		rc = req_internal(r, "begin");
		goto out;
	}
	sqlite3_stmt *st = db_stmt(r->db, revision_insert_sql);
	db_bind_int64(st, ":editor", r->who->user_id);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":id", id);
	int w = db_exec_stmt(r->db, st);
	if (w == 0) {
		st = db_stmt(r->db, edit_sql);
		db_bind_text(st, ":body", body);
		db_bind_text(st, ":html", html);
		db_bind_int64(st, ":now", now);
		db_bind_int64(st, ":id", id);
		w = db_exec_stmt(r->db, st);
	}
	free(html);
	if (w == 0)
		w = search_unindex_post(r->db, id);
	if (w == 0 && !mod[0]) /* a hidden post stays out of the index (moderation.c) */
		w = search_index_post(r->db, id, first ? title : NULL, body);
	if (w < 0 || db_tx_commit(r->db) < 0) {
		db_tx_rollback(r->db);
		rc = req_internal(r, "edit post");
		goto out;
	}
	events_publish_post(r->db, tid, id);
	json_decref(p);
	p = post_load(r, id, NULL, NULL, NULL, NULL, NULL);
	rc = p ? req_reply(r, 200, json_incref(p)) : req_not_found(r);
out:
	json_decref(p);
	free(title);
	return rc;
}

/* GET /api/v1/posts/{id}/revisions — readers of its thread; 200 {revisions:[{id, body, html,
 * author, created_at, replaced_at}]}, the earlier texts oldest first (the current text is the
 * post itself). Unreadable → 404. */
static int handle_post_revisions(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	bool mod[2] = {false, false};
	json_t *p = post_load(r, id, NULL, NULL, NULL, NULL, mod);
	if (!p)
		return req_not_found(r);
	int64_t tid = json_integer_value(json_object_get(p, "thread_id"));
	json_decref(p);
	char via[48];
	snprintf(via, sizeof via, "post:%lld/revisions", (long long)id);
	if (audit_thread_read(r, tid, via) < 0)
		return req_internal(r, "audit read");
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(r->db, revisions_sql);
	db_bind_int64(st, ":id", id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *rev = json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
					"post_id", (json_int_t)id, "body", db_col_text(st, 1), "html", db_col_text(st, 2),
					"author", post_author_json(st, 5), "created_at",
					json_time(sqlite3_column_int64(st, 3)), "replaced_at",
					json_time(sqlite3_column_int64(st, 4)));
		moderation_post_view(rev, r->who, mod[0], mod[1]); /* a hidden post's history is hidden too */
		json_array_append_new(arr, rev);
	}
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "revisions", arr));
}

/* POST /api/v1/markdown/preview {body} — signed in; 200 {html} rendered exactly as a stored
 * post would be. Over 65,536 bytes → 413 too_large; an empty body renders to "". */
static int handle_post_preview(struct req *r)
{
	const char *body = NULL;
	if (req_body_str(r, "body", &body) != 0)
		return req_error(r, 422, "invalid", "body is required");
	if (strlen(body) > POST_MAX_BODY)
		return req_error(r, 413, "too_large", "a post's body is at most %d bytes", POST_MAX_BODY);
	char *html = render_new(body);
	if (!html)
		return req_internal(r, "render");
	json_t *o = json_pack("{s:s}", "html", html);
	free(html);
	return req_reply(r, 200, o);
}

const struct route post_routes[] = {
	ROUTE(POST, "/api/v1/threads/{id}/posts", ACCESS_WRITE, handle_post_create),
	ROUTE(GET, "/api/v1/posts/{id}", ACCESS_CONTENT, handle_post_get),
	ROUTE(PATCH, "/api/v1/posts/{id}", ACCESS_WRITE, handle_post_edit),
	ROUTE(GET, "/api/v1/posts/{id}/revisions", ACCESS_CONTENT, handle_post_revisions),
	ROUTE(POST, "/api/v1/markdown/preview", ACCESS_SESSION, handle_post_preview),
	{0},
};
