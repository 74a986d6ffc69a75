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
#include "view.h"

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
/* The thread's followers whom a new post by :actor may tell (notify_may_tell's test for each,
 * in one statement: an active user other than the actor who may read the thread). */
static const char followers_sql[] =
	"SELECT u.id FROM thread_follows f JOIN threads t ON t.id = f.thread_id JOIN users u ON u.id = f.user_id"
	" LEFT JOIN companies c ON c.id = u.company_id"
	" WHERE f.thread_id = :tid AND u.id <> :actor AND " AUTHZ_USER_READS_THREAD;
static const char mention_sql[] =
	"SELECT id FROM users WHERE status = 'active' AND instr(email, '@') > 1"
	" AND lower(substr(email, 1, instr(email, '@') - 1)) = lower(:name)";
/* A post (view.h) with its thread's lock, whether it is the thread's first post, and the
 * thread's title; readable by the caller. */
static const char one_sql[] =
	"SELECT " VIEW_POST_COLUMNS ", t.locked, (SELECT min(id) FROM posts WHERE thread_id = t.id) = p.id, t.title"
	" FROM posts p JOIN threads t ON t.id = p.thread_id JOIN users u ON u.id = p.author_id"
	" WHERE p.id = :id AND " AUTHZ_THREAD_VISIBLE;
enum { ONE_LOCKED = VIEW_POST_NCOLS, ONE_FIRST, ONE_TITLE };
static const char revision_insert_sql[] =
	"INSERT INTO post_revisions (post_id, body, html, author_id, created_at, replaced_by, replaced_at)"
	" SELECT id, body, html, author_id, coalesce(edited_at, created_at), :editor, :now FROM posts WHERE id = :id";
static const char edit_sql[] = "UPDATE posts SET body = :body, html = :html, edited_at = :now WHERE id = :id";
static const char revisions_sql[] =
	"SELECT r.id, r.body, r.html, r.created_at, r.replaced_at, u.id, u.name, u.role"
	" FROM post_revisions r JOIN users u ON u.id = r.author_id WHERE r.post_id = :id ORDER BY r.id";

/* 413 for a post text over POST_MAX_BODY bytes (post.h). */
int post_body_size(struct req *r, const char *body)
{
	if (strlen(body) > POST_MAX_BODY)
		return req_error(r, 413, "too_large", "a post's body is at most %d bytes", POST_MAX_BODY);
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

/* Who a new post tells, and how: each user once, mentions first. */
struct recipients {
	struct recipient {
		int64_t user_id;
		bool mention; /* kind "mention", else "reply" */
	} *v;
	size_t n, cap;
};

/* Whether user_id is among rc's recipients already. */
static bool recipients_has(const struct recipients *rc, int64_t user_id)
{
	for (size_t i = 0; i < rc->n; i++)
		if (rc->v[i].user_id == user_id)
			return true;
	return false;
}

/* Adds user_id (once) when notify_may_tell accepts them (checked: it was asked already). */
static void recipients_add(struct req *r, struct recipients *rc, int64_t thread_id, int64_t user_id,
			   bool mention, bool checked)
{
	if (recipients_has(rc, user_id) ||
	    (!checked && !notify_may_tell(r->db, user_id, thread_id, r->who->user_id)))
		return;
	if (rc->n == rc->cap)
		rc->v = xrealloc(rc->v, (rc->cap = rc->cap ? rc->cap * 2 : 16) * sizeof *rc->v);
	rc->v[rc->n++] = (struct recipient){user_id, mention};
}

/* Finds who a new post in thread_id tells: the users mentioned by names who may read the thread
 * (kind "mention"), then, unless the post is the thread's first, its followers (kind "reply").
 * Reads only: runs before the writer is taken, on the worker's own connection. */
static void post_recipients(struct req *r, int64_t thread_id, char *const *names, bool first, struct recipients *rc)
{
	*rc = (struct recipients){0};
	for (char *const *nm = names; *nm; nm++) {
		sqlite3_stmt *st = db_stmt(r->db, mention_sql);
		db_bind_text(st, ":name", *nm);
		int64_t ids[8];
		size_t k = 0;
		while (k < ARRAY_LEN(ids) && sqlite3_step(st) == SQLITE_ROW)
			ids[k++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		for (size_t i = 0; i < k; i++)
			recipients_add(r, rc, thread_id, ids[i], true, false);
	}
	if (first)
		return;
	sqlite3_stmt *st = db_stmt(r->db, followers_sql);
	db_bind_int64(st, ":tid", thread_id);
	db_bind_int64(st, ":actor", r->who->user_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		recipients_add(r, rc, thread_id, sqlite3_column_int64(st, 0), false, true);
	sqlite3_reset(st);
}

/* What a new post's text makes before it is stored; none of it needs the database, so it is
 * made before the request takes the writer (the writer's lock is shared by every worker). */
struct post_text {
	const char *title, *body; /* as given (title: the thread's, for its first post) */
	char *html;               /* the rendered Markdown */
	char *ftitle, *fbody;     /* folded for search (text_fold_new) */
	char **mentions;          /* markdown_mentions_new */
	struct recipients to;     /* post_recipients */
};

/* Renders, folds and reads the mentions of a new post's text into *t (post_text_free). Returns 0,
 * or -1 when md4c fails. */
static int post_text_prepare(struct post_text *t, const char *title, const char *body)
{
	*t = (struct post_text){.title = title, .body = body};
	t->html = render_new(body);
	if (!t->html)
		return -1;
	t->ftitle = title ? text_fold_new(title, strlen(title)) : NULL;
	t->fbody = text_fold_new(body, strlen(body));
	t->mentions = markdown_mentions_new(body, strlen(body));
	return 0;
}

/* Frees what post_text_prepare made. */
static void post_text_free(struct post_text *t)
{
	free(t->html);
	free(t->ftitle);
	free(t->fbody);
	markdown_mentions_free(t->mentions);
	free(t->to.v);
}

/* Stores a prepared post: row, counters, search queue, hooks, notices, event (post_insert); sets
 * *post_id and *created_at (the time stored). */
static int post_store(struct req *r, int64_t thread_id, const struct post_text *t, int64_t *post_id,
		      int64_t *created_at)
{
	assert(server_on_worker_thread() && db_in_write_tx(r->db));
	int64_t now = *created_at = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, insert_sql);
	db_bind_int64(st, ":tid", thread_id);
	db_bind_int64(st, ":author", r->who->user_id);
	db_bind_text(st, ":body", t->body);
	db_bind_text(st, ":html", t->html);
	db_bind_int64(st, ":now", now);
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
	if (db_exec_stmt(r->db, st) < 0 || search_queue_folded(r->db, *post_id, t->ftitle ? t->ftitle : "", t->fbody) < 0 ||
	    router_run_post_hooks(r, thread_id, *post_id) < 0)
		return -1;
	for (size_t i = 0; i < t->to.n; i++)
		if (notify_user_told(r->db, t->to.v[i].user_id, t->to.v[i].mention ? "mention" : "reply", thread_id,
				     *post_id, r->who->user_id) < 0)
			return -1;
	events_publish_post(r->db, thread_id, *post_id);
	return 0;
}

/* The one way a post is stored (post.h). */
int post_insert(struct req *r, int64_t thread_id, const char *title, const char *body, int64_t *post_id)
{
	struct post_text t;
	int rc = -1;
	if (post_text_prepare(&t, title, body) == 0) {
		post_recipients(r, thread_id, t.mentions, title != NULL, &t.to);
		int64_t created_at;
		rc = post_store(r, thread_id, &t, post_id, &created_at);
	}
	post_text_free(&t);
	return rc;
}

/* What the edit and the revision list need of a post besides its JSON. */
struct post_row {
	int64_t thread_id, author_id, created_at;
	bool locked, first, hidden, redacted; /* the thread is locked; the thread's first post */
	char *title;                          /* the thread's title (new string) */
};

/* Loads post id as r's caller may see it: 0, or -1 when it is missing or unreadable. Fills *row
 * when not NULL (free row->title) and sets *json to the post (view_post_json, new reference)
 * when json is not NULL. */
static int post_load(struct req *r, int64_t id, struct post_row *row, json_t **json)
{
	sqlite3_stmt *st = db_stmt(r->db, one_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		rc = 0;
		if (json) {
			*json = view_post_json(st);
			moderation_post_view(*json, r->who, sqlite3_column_int(st, VIEW_POST_HIDDEN) != 0,
					     sqlite3_column_int(st, VIEW_POST_REDACTED) != 0);
		}
		if (row)
			*row = (struct post_row){
				.thread_id = sqlite3_column_int64(st, 1),
				.author_id = sqlite3_column_int64(st, VIEW_POST_AUTHOR),
				.created_at = sqlite3_column_int64(st, 4),
				.locked = sqlite3_column_int(st, ONE_LOCKED) != 0,
				.first = sqlite3_column_int(st, ONE_FIRST) != 0,
				.hidden = sqlite3_column_int(st, VIEW_POST_HIDDEN) != 0,
				.redacted = sqlite3_column_int(st, VIEW_POST_REDACTED) != 0,
				.title = db_col_dup(st, ONE_TITLE),
			};
	}
	sqlite3_reset(st);
	return rc;
}

/* 0 when r's caller may write into thread tid, else the answer set on r: 404 (missing or
 * unreadable) or 403 locked (authz_thread_locked). */
static int thread_writable(struct req *r, int64_t tid)
{
	int locked = authz_thread_locked(r->db, r->who, tid);
	if (locked < 0)
		return req_not_found(r);
	return locked ? req_error(r, 403, "locked", "the thread is locked") : 0;
}

/* Answers post id as r's caller sees it, with status (a post just written: 500 if unreadable). */
static int post_reply(struct req *r, int64_t id, int status)
{
	json_t *p = NULL;
	return post_load(r, id, NULL, &p) == 0 ? req_reply(r, status, p) : req_internal(r, "reload post");
}

/* POST /api/v1/threads/{id}/posts {body} — gated writers who may read the thread; 201 the
 * post. Missing or unreadable thread → 404; locked → 403 locked; empty body → 422 invalid; over
 * 65,536 bytes → 413 too_large. */
static int handle_post_create(struct req *r)
{
	int64_t tid, pid, created_at;
	if (req_path_id(r, 0, &tid) < 0)
		return req_not_found(r);
	const char *body = req_field_str(r, "body");
	int rc;
	if ((rc = post_body_size(r, body)) != 0 || (rc = thread_writable(r, tid)) != 0 ||
	    (rc = ratelimit_check(r, RATELIMIT_POSTS)) != 0)
		return rc;
	struct post_text t;
	if (post_text_prepare(&t, NULL, body) < 0) {
		rc = req_internal(r, "render post");
		post_text_free(&t);
		return rc;
	}
	post_recipients(r, tid, t.mentions, false, &t.to);
	if (req_tx(r) < 0)
		rc = req_internal(r, "begin");
	else if ((rc = thread_writable(r, tid)) != 0) /* again inside the write: a lock may have landed */
		;
	else if (post_store(r, tid, &t, &pid, &created_at) < 0)
		rc = req_internal(r, "create post");
	else {
		/* The post as written, not read back: the caller may read the thread (checked inside
		 * this write) and a new post is neither hidden nor redacted (post_reply's answer). */
		json_t *p = view_post_written_json(pid, tid, r->who, t.body, t.html, created_at);
		moderation_post_view(p, r->who, false, false);
		rc = req_reply(r, 201, p);
	}
	post_text_free(&t);
	return rc;
}

/* GET /api/v1/posts/{id} — readers of its thread; 200 the post; else 404. */
static int handle_post_get(struct req *r)
{
	int64_t id;
	struct post_row row;
	json_t *p = NULL;
	if (req_path_id(r, 0, &id) < 0 || post_load(r, id, &row, &p) < 0)
		return req_not_found(r);
	free(row.title);
	char via[AUDIT_TARGET_MAX];
	if (audit_thread_read(r, row.thread_id, audit_target(via, "post", id)) < 0) {
		json_decref(p);
		return req_internal(r, "audit read");
	}
	return req_reply(r, 200, p);
}

/* 0 when r's caller may edit the post in row (the secretariat always; its author within 24
 * hours of writing, in a thread not locked, unless the secretariat removed its text), else 403
 * set on r. */
static int post_edit_allowed(struct req *r, const struct post_row *row)
{
	if (authz_is_secretariat(r->who))
		return 0;
	if (row->redacted)
		return req_error(r, 403, "forbidden", "the secretariat removed this post's text");
	if (row->author_id != r->who->user_id)
		return req_forbidden(r);
	if (row->locked)
		return req_error(r, 403, "locked", "the thread is locked");
	if (now_unix() - row->created_at > EDIT_WINDOW_SECONDS)
		return req_error(r, 403, "forbidden", "posts can be edited for 24 hours after writing");
	return 0;
}

/* Replaces post id's text with body inside the request's transaction, keeping the earlier text
 * as a revision and moving the search index to the new text (a hidden post stays out of it,
 * moderation.c). Returns 0 or -1. */
static int post_revise(struct req *r, int64_t id, const struct post_row *row, const char *body)
{
	char *html = render_new(body);
	if (!html)
		return -1;
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, revision_insert_sql);
	db_bind_int64(st, ":editor", r->who->user_id);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":id", id);
	int rc = db_exec_stmt(r->db, st);
	if (rc == 0) {
		st = db_stmt(r->db, edit_sql);
		db_bind_text(st, ":body", body);
		db_bind_text(st, ":html", html);
		db_bind_int64(st, ":now", now);
		db_bind_int64(st, ":id", id);
		rc = db_exec_stmt(r->db, st);
	}
	free(html);
	if (rc == 0)
		rc = search_unindex_post(r->db, id);
	if (rc == 0 && !row->hidden)
		rc = search_index_post(r->db, id, row->first ? row->title : NULL, body);
	if (rc == 0)
		events_publish_post(r->db, row->thread_id, id);
	return rc < 0 ? -1 : 0;
}

/* PATCH /api/v1/posts/{id} {body} — the author within 24 hours of writing (not in a locked
 * thread), or the secretariat at any time; 200 the post. The earlier text is kept as a
 * revision and the search index follows the new text. Unreadable → 404; readable but not
 * editable → 403 forbidden (locked thread: 403 locked); over 65,536 bytes → 413 too_large. */
static int handle_post_edit(struct req *r)
{
	int64_t id;
	struct post_row row;
	if (req_path_id(r, 0, &id) < 0 || post_load(r, id, &row, NULL) < 0)
		return req_not_found(r);
	const char *body = req_field_str(r, "body");
	int rc = post_body_size(r, body);
	if (rc == 0)
		rc = post_edit_allowed(r, &row);
	if (rc == 0 && req_tx(r) < 0)
		rc = req_internal(r, "begin");
	if (rc == 0 && post_revise(r, id, &row, body) < 0)
		rc = req_internal(r, "edit post");
	free(row.title);
	return rc ? rc : post_reply(r, id, 200);
}

/* GET /api/v1/posts/{id}/revisions — readers of its thread; 200 {revisions:[{id, post_id, body,
 * html, author, created_at, replaced_at}]}, the earlier texts oldest first (the current text is
 * the post itself), hidden as the post is. Unreadable → 404. */
static int handle_post_revisions(struct req *r)
{
	int64_t id;
	struct post_row row;
	if (req_path_id(r, 0, &id) < 0 || post_load(r, id, &row, NULL) < 0)
		return req_not_found(r);
	free(row.title);
	char via[AUDIT_TARGET_MAX + 16];
	strcat(audit_target(via, "post", id), "/revisions");
	if (audit_thread_read(r, row.thread_id, via) < 0)
		return req_internal(r, "audit read");
	json_t *arr = json_array();
	sqlite3_stmt *st = db_stmt(r->db, revisions_sql);
	db_bind_int64(st, ":id", id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *rev = json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
					"post_id", (json_int_t)id, "body", db_col_text(st, 1), "html", db_col_text(st, 2),
					"author", view_user_ref(st, 5), "created_at",
					json_time(sqlite3_column_int64(st, 3)), "replaced_at",
					json_time(sqlite3_column_int64(st, 4)));
		moderation_post_view(rev, r->who, row.hidden, row.redacted); /* a hidden post's history is hidden too */
		json_array_append_new(arr, rev);
	}
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "revisions", arr));
}

/* POST /api/v1/markdown/preview {body} — signed in; 200 {html} rendered exactly as a stored
 * post would be. Over 65,536 bytes → 413 too_large; an empty body renders to "". */
static int handle_markdown_preview(struct req *r)
{
	const char *body = req_field_str(r, "body");
	int rc = post_body_size(r, body);
	if (rc)
		return rc;
	char *html = render_new(body);
	if (!html)
		return req_internal(r, "render");
	json_t *o = json_pack("{s:s}", "html", html);
	free(html);
	return req_reply(r, 200, o);
}

const struct route post_routes[] = {
	ROUTE(POST, "/api/v1/threads/{id}/posts", ACCESS_WRITE, handle_post_create, .body = {POST_BODY_FIELD}),
	ROUTE(GET, "/api/v1/posts/{id}", ACCESS_CONTENT, handle_post_get),
	ROUTE(PATCH, "/api/v1/posts/{id}", ACCESS_WRITE, handle_post_edit, .body = {POST_BODY_FIELD}),
	ROUTE(GET, "/api/v1/posts/{id}/revisions", ACCESS_CONTENT, handle_post_revisions),
	/* Not POST_BODY_FIELD: an empty text previews as "". */
	ROUTE(POST, "/api/v1/markdown/preview", ACCESS_SESSION, handle_markdown_preview,
	      .body = {{"body", BODY_STR, BODY_REQUIRED}}),
	{0},
};
