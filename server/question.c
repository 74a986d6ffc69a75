/* question.c — the question flow (docs/API.md §6): a `question` thread starts `open`, peers
 * answer it with ordinary posts (post.c), and its author or the secretariat accepts one answer
 * (`resolved`) or reopens it. Routes: POST /api/v1/threads/{id}/accept and .../reopen. Escalation
 * to experts, which moves the same status, is escalation.c's; both use question.h. */
#include "question.h"

#include "audit.h"
#include "authz.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "mail.h"
#include "notify.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <stdio.h>
#include <string.h>

static const char question_sql[] =
	"SELECT id, author_id, kind, coalesce(status, '') FROM threads WHERE id = :id";

/* Thread id's author, kind and status (question.h). */
int question_load(struct db *d, int64_t id, struct question *q)
{
	memset(q, 0, sizeof *q);
	sqlite3_stmt *st = db_stmt(d, question_sql);
	db_bind_int64(st, ":id", id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		q->id = sqlite3_column_int64(st, 0);
		q->author_id = sqlite3_column_int64(st, 1);
		snprintf(q->kind, sizeof q->kind, "%s", db_col_text(st, 2));
		snprintf(q->status, sizeof q->status, "%s", db_col_text(st, 3));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static const char set_status_sql[] =
	"UPDATE threads SET status = :status, accepted_post_id = :accepted WHERE id = :id";

/* Moves a question's status and accepted post, with its event (question.h). */
int question_set_status(struct db *d, int64_t id, const char *status, int64_t accepted_post_id)
{
	assert(db_in_write_tx(d));
	sqlite3_stmt *st = db_stmt(d, set_status_sql);
	db_bind_text(st, ":status", status);
	if (accepted_post_id)
		db_bind_int64(st, ":accepted", accepted_post_id);
	else
		db_bind_null(st, ":accepted");
	db_bind_int64(st, ":id", id);
	if (db_exec_stmt(d, st) < 0)
		return -1;
	events_publish_thread(d, id);
	return 0;
}

/* A notice in the app and by mail (question.h). */
int question_tell(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, int64_t post_id,
		  int64_t actor_id, const json_t *params, const char *text)
{
	if (notify_user(d, user_id, kind, thread_id, post_id, actor_id, params) < 0)
		return -1;
	return mail_enqueue(d, user_id, kind, thread_id, params, text) < 0 ? -1 : 0;
}

/* The checks accept and reopen share on thread {id}: readable (else 404), the question's author
 * or the secretariat (else 403), a question (else 422). Loads *q. Returns 0 or an error status. */
static int question_check(struct req *r, struct question *q)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0 || !authz_can_read_thread(r->db, r->who, id) ||
	    question_load(r->db, id, q) < 0)
		return req_not_found(r);
	if (q->author_id != r->who->user_id && !authz_is_secretariat(r->who))
		return req_forbidden(r);
	if (strcmp(q->kind, "question") != 0)
		return req_error(r, 422, "invalid", "only a question can be accepted or reopened");
	return 0;
}

/* Audits action on thread id by r's caller; takes detail's reference (NULL: none). 0 or -1. */
static int audit_question(struct req *r, const char *action, int64_t id, json_t *detail)
{
	int rc = audit_append_on(r->db, r->who->user_id, action, "thread", id, r->ip, detail);
	json_decref(detail);
	return rc;
}

/* Answers thread id (view_thread_get, without the caller's members) with 200. */
static int reply_question(struct req *r, int64_t id)
{
	json_t *t = view_thread_get(r->db, id);
	return t ? req_reply(r, 200, t) : req_internal(r, "reload question");
}

static const char post_in_thread_sql[] =
	"SELECT p.author_id, p.id = (SELECT min(f.id) FROM posts f WHERE f.thread_id = p.thread_id)"
	" FROM posts p WHERE p.id = :post AND p.thread_id = :thread";

/* POST /api/v1/threads/{id}/accept {post_id} — the question's author or the secretariat.
 * 200 the thread with status "resolved" and accepted_post_id. Unreadable → 404; another reader
 * → 403; not a question, no post_id, a post of another thread, or the question's own opening
 * post → 422 invalid. Accepting again moves the mark. Tells the accepted post's author (and the
 * question's author when the secretariat accepted), in the app and by mail. */
static int handle_question_accept(struct req *r)
{
	int64_t post_id = req_field_int(r, "post_id", 0);
	struct question q;
	int rc = question_check(r, &q);
	if (rc)
		return rc;
	int64_t id = q.id;
	sqlite3_stmt *st = db_stmt(r->db, post_in_thread_sql);
	db_bind_int64(st, ":post", post_id);
	db_bind_int64(st, ":thread", id);
	int64_t post_author = 0;
	bool opening = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		post_author = sqlite3_column_int64(st, 0);
		opening = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_reset(st);
	if (!post_author)
		return req_error(r, 422, "invalid", "post_id is not a post of this thread");
	if (opening)
		return req_error(r, 422, "invalid", "the question itself cannot be its answer");
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	int64_t me = r->who->user_id;
	if (question_set_status(r->db, id, "resolved", post_id) < 0 ||
	    audit_question(r, "question.accept", id, json_pack("{s:I}", "post_id", (json_int_t)post_id)) < 0)
		return req_internal(r, "accept");
	if (post_author != me &&
	    question_tell(r->db, post_author, "answer.accepted", id, post_id, me, NULL, NULL) < 0)
		return req_internal(r, "accept: tell the answer's author");
	if (q.author_id != me && q.author_id != post_author &&
	    question_tell(r->db, q.author_id, "question.resolved", id, post_id, me, NULL, NULL) < 0)
		return req_internal(r, "accept: tell the question's author");
	return reply_question(r, id);
}

static const char assigned_count_sql[] =
	"SELECT count(*) FROM escalations WHERE thread_id = :thread AND state = 'assigned'";

/* POST /api/v1/threads/{id}/reopen — the question's author or the secretariat. 200 the thread
 * with status "open" and no accepted post. A question waiting for an expert (`escalated`) →
 * 409 conflict: the expert answers or declines first. Reopening an open question changes nothing. */
static int handle_question_reopen(struct req *r)
{
	struct question q;
	int rc = question_check(r, &q);
	if (rc)
		return rc;
	int64_t id = q.id;
	if (strcmp(q.status, "escalated") == 0) {
		sqlite3_stmt *st = db_stmt(r->db, assigned_count_sql);
		db_bind_int64(st, ":thread", id);
		if (db_one_int64(st, 0) > 0)
			return req_error(r, 409, "conflict",
					 "the question is waiting for an expert's answer");
	}
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	if (question_set_status(r->db, id, "open", 0) < 0 ||
	    audit_question(r, "question.reopen", id, NULL) < 0)
		return req_internal(r, "reopen");
	return reply_question(r, id);
}

const struct route question_routes[] = {
	ROUTE(POST, "/api/v1/threads/{id}/accept", ACCESS_WRITE, handle_question_accept,
	      .body = {{"post_id", BODY_INT, BODY_REQUIRED | BODY_POSITIVE}}),
	ROUTE(POST, "/api/v1/threads/{id}/reopen", ACCESS_WRITE, handle_question_reopen),
	{0},
};
