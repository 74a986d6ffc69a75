/* escalation.c — a question's escalation to experts (docs/API.md §6): escalations with a due time
 * on the business-hours clock, the expert's decline, the expert queue, expert suggestions, the
 * secretariat's triage list, the on_post hook that marks an escalation answered, and the timers
 * (overdue, reminder). Routes: POST /api/v1/threads/{id}/escalations, GET
 * /api/v1/threads/{id}/expert-suggestions, GET /api/v1/escalations[/{id}], POST
 * /api/v1/escalations/{id}/decline, GET /api/v1/triage. The question itself (accept, reopen) is
 * question.c's. Who may read an escalated thread is decided by the visibility rule in authz.h,
 * which reads the escalations table. */
#include "escalation.h"

#include "application.h"
#include "audit.h"
#include "authz.h"
#include "calendar.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "question.h"
#include "router.h"
#include "server.h"
#include "text.h"
#include "util.h"
#include "view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX 4000          /* bytes of an escalation note or a decline reason */
#define REMIND_LEAD (2 * 3600) /* the reminder goes this many business seconds before due_at */
#define SCAN_INTERVAL 30       /* seconds between timer scans */
#define EXCERPT_MAX 600        /* bytes of an answer quoted in a community thread's mail */

/* h hours in whole seconds (0 for none or fewer). */
static int64_t hours_to_seconds(double h)
{
	return h <= 0 ? 0 : (int64_t)llround(h * 3600.0);
}

/* ---- notifications ------------------------------------------------------------------------ */

static const char secretariat_sql[] = "SELECT id FROM users WHERE role = 'secretariat' AND status = 'active'"
				      " ORDER BY id";

/* Tells every active secretariat member, in the app and by mail (question_tell). 0 or -1. */
static int tell_secretariat(struct db *d, const char *kind, int64_t thread_id, int64_t actor_id,
			    const json_t *params, const char *text)
{
	int64_t ids[256];
	int n = 0;
	sqlite3_stmt *st = db_stmt(d, secretariat_sql);
	while (n < (int)ARRAY_LEN(ids) && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (int i = 0; i < n; i++)
		if (question_tell(d, ids[i], kind, thread_id, 0, actor_id, params, text) < 0)
			return -1;
	return 0;
}

/* ---- escalations ------------------------------------------------------------------------- */

/* The escalation columns every list and reply uses, with the thread's title, status and the
 * note shown only to a caller who may read the thread (AUTHZ_THREAD_VISIBLE over t). */
#define ESC_COLUMNS                                                                                          \
	"e.id, e.thread_id, e.expert_id, coalesce(u.name, ''), e.state, e.due_at, e.created_by,"             \
	" e.created_at, e.answered_at, e.declined_at, e.decline_reason,"                                     \
	" CASE WHEN " AUTHZ_THREAD_VISIBLE " THEN t.title END,"                                              \
	" CASE WHEN " AUTHZ_THREAD_VISIBLE " THEN t.status END,"                                             \
	" CASE WHEN " AUTHZ_THREAD_VISIBLE " THEN e.note END,"                                               \
	" e.due_at <= :now AND e.state = 'assigned'"
#define ESC_FROM                                                                                             \
	" FROM escalations e JOIN threads t ON t.id = e.thread_id LEFT JOIN users u ON u.id = e.expert_id"

/* One escalation from a row of ESC_COLUMNS. New reference. */
static json_t *esc_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "thread_id", json_integer(sqlite3_column_int64(st, 1)));
	json_object_set_new(o, "expert_id", json_integer(sqlite3_column_int64(st, 2)));
	json_object_set_new(o, "expert",
			    json_pack("{s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 2), "name",
				      db_col_text(st, 3)));
	json_object_set_new(o, "state", json_string(db_col_text(st, 4)));
	json_object_set_new(o, "due_at", json_time(sqlite3_column_int64(st, 5)));
	json_object_set_new(o, "created_by", view_col_int(st, 6));
	json_object_set_new(o, "created_at", json_time(sqlite3_column_int64(st, 7)));
	json_object_set_new(o, "answered_at", json_time(sqlite3_column_int64(st, 8)));
	json_object_set_new(o, "declined_at", json_time(sqlite3_column_int64(st, 9)));
	json_object_set_new(o, "reason", view_col_text(st, 10));
	json_object_set_new(o, "title", view_col_text(st, 11));
	json_object_set_new(o, "thread_status", view_col_text(st, 12));
	json_object_set_new(o, "note", view_col_text(st, 13));
	json_object_set_new(o, "overdue", json_boolean(sqlite3_column_int(st, 14)));
	return o;
}

static const char esc_one_sql[] = "SELECT " ESC_COLUMNS ESC_FROM " WHERE e.id = :id";

/* Escalation id as the caller p sees it (new reference), or NULL when missing. */
static json_t *esc_load_json(struct db *d, const struct principal *p, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, esc_one_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":now", now_unix());
	authz_bind(st, p);
	json_t *o = sqlite3_step(st) == SQLITE_ROW ? esc_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

static const char standing_sql[] =
	"SELECT count(*) FROM escalations WHERE thread_id = :thread AND expert_id = :expert"
	" AND state IN ('assigned','answered')";
static const char esc_insert_sql[] =
	"INSERT INTO escalations (thread_id, expert_id, note, state, due_at, remind_at, created_by, created_at)"
	" VALUES (:thread, :expert, :note, 'assigned', :due, :remind, :by, :now)";

/* Stores a new escalation of question id to expert_id inside the request's transaction, due
 * after sla_expert_hours business hours (the reminder REMIND_LEAD before, or halfway for a short
 * window): the row, the thread `escalated`, the audit entry (escalation.create) and the expert's
 * notice. Returns 0 with *esc_id, or -1. */
static int escalation_store(struct req *r, int64_t id, int64_t expert_id, const char *note, int64_t *esc_id)
{
	assert(db_in_write_tx(r->db));
	int64_t now = now_unix();
	int64_t window = hours_to_seconds(r->cfg->sla_expert_hours);
	int64_t due = calendar_add_business_seconds(&calendar_default_hours, now, window);
	int64_t remind = calendar_add_business_seconds(
		&calendar_default_hours, now, window > 2 * REMIND_LEAD ? window - REMIND_LEAD : window / 2);
	sqlite3_stmt *st = db_stmt(r->db, esc_insert_sql);
	db_bind_int64(st, ":thread", id);
	db_bind_int64(st, ":expert", expert_id);
	db_bind_text(st, ":note", note);
	db_bind_int64(st, ":due", due);
	db_bind_int64(st, ":remind", remind);
	db_bind_int64(st, ":by", r->who->user_id);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	*esc_id = sqlite3_last_insert_rowid(db_handle(r->db));
	if (question_set_status(r->db, id, "escalated", 0) < 0)
		return -1;
	json_t *detail = json_pack("{s:I, s:I}", "thread_id", (json_int_t)id, "expert_id", (json_int_t)expert_id);
	int rc = audit_append_on(r->db, r->who->user_id, "escalation.create", "escalation", *esc_id, r->ip, detail);
	json_decref(detail);
	if (rc < 0)
		return -1;
	char due_jst[32];
	calendar_format_jst(due, due_jst);
	json_t *params = json_pack("{s:s, s:f}", "due_at", due_jst, "hours", r->cfg->sla_expert_hours);
	rc = question_tell(r->db, expert_id, "escalation.assigned", id, 0, r->who->user_id, params, note);
	json_decref(params);
	return rc;
}

/* Whether user id is an active expert. */
static bool is_active_expert(struct db *d, int64_t id)
{
	struct principal ex = {0};
	bool yes = authz_principal_load(d, id, &ex) == 0 && authz_is_expert(&ex);
	principal_clear(&ex);
	return yes;
}

/* POST /api/v1/threads/{id}/escalations {expert_id, note?} — secretariat. 201 {id, thread_id,
 * expert_id, state:"assigned", due_at, ...}; due_at is now plus sla_expert_hours business hours.
 * The thread becomes `escalated` and the expert may read it whatever its visibility. No such
 * thread → 404; not a question, expert_id not an active expert, bad note → 422 invalid; a
 * resolved question, or the same expert already on it → 409 conflict. Audit escalation.create;
 * the expert is told in the app and by mail. */
static int handle_escalation_create(struct req *r)
{
	int64_t id, expert_id = req_field_int(r, "expert_id", 0);
	const char *note = req_field_str(r, "note");
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	struct question q;
	if (question_load(r->db, id, &q) < 0)
		return req_not_found(r);
	if (strcmp(q.kind, "question") != 0)
		return req_error(r, 422, "invalid", "only a question can be escalated");
	if (!is_active_expert(r->db, expert_id))
		return req_error(r, 422, "invalid", "expert_id is not an active expert");
	if (strcmp(q.status, "resolved") == 0)
		return req_error(r, 409, "conflict", "the question is resolved; reopen it first");
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	/* Inside the transaction, so two secretaries cannot assign the same expert twice. */
	sqlite3_stmt *st = db_stmt(r->db, standing_sql);
	db_bind_int64(st, ":thread", id);
	db_bind_int64(st, ":expert", expert_id);
	if (db_one_int64(st, 0) > 0)
		return req_error(r, 409, "conflict", "this expert is already on this question");
	int64_t esc_id = 0;
	if (escalation_store(r, id, expert_id, note ? note : "", &esc_id) < 0)
		return req_internal(r, "escalate");
	json_t *o = esc_load_json(r->db, r->who, esc_id);
	return o ? req_reply(r, 201, o) : req_internal(r, "escalation reload");
}

static const char esc_list_own_sql[] =
	"SELECT " ESC_COLUMNS ESC_FROM " WHERE e.expert_id = :p_uid AND (:state IS NULL OR e.state = :state)"
	" ORDER BY e.state <> 'assigned', e.due_at, e.id LIMIT :limit OFFSET :offset";
static const char esc_list_all_sql[] =
	"SELECT " ESC_COLUMNS ESC_FROM " WHERE (:state IS NULL OR e.state = :state)"
	" ORDER BY e.state <> 'assigned', e.due_at, e.id LIMIT :limit OFFSET :offset";
static const char esc_count_own_sql[] =
	"SELECT count(*) FROM escalations e WHERE e.expert_id = :uid AND (:state IS NULL OR e.state = :state)";
static const char esc_count_all_sql[] =
	"SELECT count(*) FROM escalations e WHERE (:state IS NULL OR e.state = :state)";

#define PAGE_SIZE 50

/* GET /api/v1/escalations?state=&page= — an expert sees their own, the secretariat all;
 * participants 403. 200 {escalations:[...], total}: the assigned ones first by due time, then
 * the rest; each with the thread's title, status and the note only when the caller may read the
 * thread (an expert who declined no longer can). state other than assigned, answered, declined
 * → 400 bad_request. 50 a page, page 1 first. */
static int handle_escalation_list(struct req *r)
{
	const char *state = req_query_str(r, "state");
	if (state && strcmp(state, "assigned") != 0 && strcmp(state, "answered") != 0 &&
	    strcmp(state, "declined") != 0)
		return req_error(r, 400, "bad_request", "state must be assigned, answered or declined");
	int64_t page = req_query_int(r, "page", 1);
	if (page < 1 || page > 100000)
		page = 1;
	bool all = authz_is_secretariat(r->who);
	sqlite3_stmt *st = db_stmt(r->db, all ? esc_count_all_sql : esc_count_own_sql);
	db_bind_text(st, ":state", state);
	db_bind_int64_opt(st, ":uid", r->who->user_id); /* own only */
	int64_t total = db_one_int64(st, 0);
	st = db_stmt(r->db, all ? esc_list_all_sql : esc_list_own_sql);
	authz_bind(st, r->who);
	db_bind_text(st, ":state", state);
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":limit", PAGE_SIZE);
	db_bind_int64(st, ":offset", (page - 1) * PAGE_SIZE);
	json_t *list = view_rows(st, esc_json);
	return req_reply(r, 200, json_pack("{s:o, s:I}", "escalations", list, "total", (json_int_t)total));
}

static const char esc_owner_sql[] = "SELECT thread_id, expert_id, state FROM escalations WHERE id = :id";

/* GET /api/v1/escalations/{id} — the assigned expert or the secretariat; 200 the escalation;
 * anyone else 404. */
static int handle_escalation_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, esc_owner_sql);
	db_bind_int64(st, ":id", id);
	int64_t expert = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		expert = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (!expert || (expert != r->who->user_id && !authz_is_secretariat(r->who)))
		return req_not_found(r);
	json_t *o = esc_load_json(r->db, r->who, id);
	return o ? req_reply(r, 200, o) : req_not_found(r);
}

static const char decline_sql[] =
	"UPDATE escalations SET state = 'declined', declined_at = :now, decline_reason = :reason"
	" WHERE id = :id AND state = 'assigned'";
static const char reopen_after_decline_sql[] =
	"UPDATE threads SET status = 'open' WHERE id = :thread AND status = 'escalated'"
	" AND NOT EXISTS (SELECT 1 FROM escalations WHERE thread_id = :thread AND state = 'assigned')";

/* POST /api/v1/escalations/{id}/decline {reason} — the assigned expert only (the secretariat
 * 403, another expert 404). 200 the escalation, now `declined`; the thread goes back to `open`
 * unless another expert's escalation is still assigned; the expert loses the access the
 * escalation gave. Not `assigned` any more → 409 conflict; no reason → 422 invalid. Audit
 * escalation.decline; the secretariat is told in the app and by mail. */
static int handle_escalation_decline(struct req *r)
{
	int64_t id;
	const char *reason = req_field_str(r, "reason");
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, esc_owner_sql);
	db_bind_int64(st, ":id", id);
	int64_t thread_id = 0, expert = 0;
	char state[16] = "";
	if (sqlite3_step(st) == SQLITE_ROW) {
		thread_id = sqlite3_column_int64(st, 0);
		expert = sqlite3_column_int64(st, 1);
		snprintf(state, sizeof state, "%s", db_col_text(st, 2));
	}
	sqlite3_reset(st);
	if (!expert || expert != r->who->user_id)
		return req_not_found(r);
	if (strcmp(state, "assigned") != 0)
		return req_error(r, 409, "conflict", "the escalation is already %s", state);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	st = db_stmt(r->db, decline_sql);
	db_bind_int64(st, ":now", now_unix());
	db_bind_text(st, ":reason", reason);
	db_bind_int64(st, ":id", id);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "decline");
	st = db_stmt(r->db, reopen_after_decline_sql);
	db_bind_int64(st, ":thread", thread_id);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "decline: reopen");
	events_publish_thread(r->db, thread_id);
	json_t *detail = json_pack("{s:I, s:s}", "thread_id", (json_int_t)thread_id, "reason", reason);
	int rc = audit_append_on(r->db, r->who->user_id, "escalation.decline", "escalation", id, r->ip, detail);
	json_decref(detail);
	if (rc < 0)
		return req_internal(r, "decline: audit");
	json_t *params = json_pack("{s:s}", "expert", r->who->name ? r->who->name : "");
	rc = tell_secretariat(r->db, "escalation.declined", thread_id, r->who->user_id, params, reason);
	json_decref(params);
	if (rc < 0)
		return req_internal(r, "decline: tell");
	json_t *o = esc_load_json(r->db, r->who, id);
	return o ? req_reply(r, 200, o) : req_internal(r, "decline reload");
}

/* ---- expert suggestions ------------------------------------------------------------------- */

static const char thread_tags_sql[] =
	"SELECT g.name FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.thread_id = :thread ORDER BY g.name";
static const char experts_sql[] =
	"SELECT u.id, u.name, u.specialties,"
	" (SELECT count(*) FROM escalations e WHERE e.expert_id = u.id AND e.state = 'assigned'),"
	" EXISTS (SELECT 1 FROM expert_assignments ea WHERE ea.expert_id = u.id AND ea.company_id = :company)"
	" FROM users u WHERE u.role = 'expert' AND u.status = 'active' ORDER BY u.id";
static const char thread_company_sql[] = "SELECT coalesce(company_id, 0) FROM threads WHERE id = :id";

/* One expert in the suggestion list, with what it is sorted by. */
struct suggestion {
	json_t *o;
	int matches;
	int64_t open, id;
};

/* qsort order: more matching tags first, then fewer open escalations, then by id. */
static int suggestion_cmp(const void *a, const void *b)
{
	const struct suggestion *x = a, *y = b;
	if (x->matches != y->matches)
		return y->matches - x->matches;
	if (x->open != y->open)
		return x->open < y->open ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* GET /api/v1/threads/{id}/expert-suggestions — secretariat. 200 {thread_id, tags, experts:[{id,
 * name, specialties, matching_tags, open_escalations, assigned_to_company}]}: every active
 * expert, those whose specialties match more of the question's tags first (compared folded:
 * width- and case-insensitive), then those with fewer open (assigned) escalations. */
static int handle_expert_suggestions(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	sqlite3_stmt *st = db_stmt(r->db, thread_company_sql);
	db_bind_int64(st, ":id", id);
	int64_t company = db_one_int64(st, -1);
	if (company < 0)
		return req_not_found(r);
	json_t *tags = json_array();
	st = db_stmt(r->db, thread_tags_sql);
	db_bind_int64(st, ":thread", id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(tags, json_string(db_col_text(st, 0)));
	sqlite3_reset(st);

	struct suggestion *s = NULL;
	size_t n = 0, cap = 0;
	st = db_stmt(r->db, experts_sql);
	db_bind_int64(st, ":company", company);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *spec = json_loads(db_col_text(st, 2), 0, NULL);
		if (!json_is_array(spec)) {
			json_decref(spec);
			spec = json_array();
		}
		json_t *matching = json_array();
		size_t i, j;
		json_t *sv, *tv;
		json_array_foreach(tags, i, tv)
		{
			const char *tag = json_string_value(tv);
			char *ft = text_fold_new(tag, strlen(tag));
			json_array_foreach(spec, j, sv)
			{
				if (!json_is_string(sv))
					continue;
				char *fs = text_fold_new(json_string_value(sv), json_string_length(sv));
				bool eq = strcmp(ft, fs) == 0;
				free(fs);
				if (eq) {
					json_array_append(matching, tv);
					break;
				}
			}
			free(ft);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			s = xrealloc(s, cap * sizeof *s);
		}
		s[n].id = sqlite3_column_int64(st, 0);
		s[n].open = sqlite3_column_int64(st, 3);
		s[n].matches = (int)json_array_size(matching);
		s[n].o = json_pack("{s:I, s:s, s:o, s:o, s:I, s:b}", "id", (json_int_t)s[n].id, "name",
				   db_col_text(st, 1), "specialties", spec, "matching_tags", matching,
				   "open_escalations", (json_int_t)s[n].open, "assigned_to_company",
				   sqlite3_column_int(st, 4));
		n++;
	}
	sqlite3_reset(st);
	if (n)
		qsort(s, n, sizeof *s, suggestion_cmp);
	json_t *experts = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(experts, s[i].o);
	free(s);
	return req_reply(
		r, 200,
		json_pack("{s:I, s:o, s:o}", "thread_id", (json_int_t)id, "tags", tags, "experts", experts));
}

/* ---- triage ------------------------------------------------------------------------------- */

static const char triage_overdue_sql[] =
	"SELECT t.id, t.title, e.id, e.expert_id, e.due_at FROM escalations e JOIN threads t ON t.id = e.thread_id"
	" WHERE e.state = 'assigned' AND e.due_at <= :now AND t.status <> 'resolved' ORDER BY e.due_at";
static const char triage_declined_sql[] =
	"SELECT t.id, t.title, e.id, e.expert_id, e.declined_at, e.decline_reason FROM threads t"
	" JOIN escalations e ON e.id = (SELECT max(x.id) FROM escalations x WHERE x.thread_id = t.id)"
	" WHERE t.kind = 'question' AND t.status = 'open' AND e.state = 'declined'";
static const char triage_open_sql[] =
	"SELECT t.id, t.title, t.created_at FROM threads t WHERE t.kind = 'question' AND t.status = 'open'"
	" AND t.accepted_post_id IS NULL AND t.created_at <= :cutoff ORDER BY t.created_at";

/* One item of the triage list and its sort key. */
struct triage_item {
	json_t *o;
	int64_t since, thread_id;
};

/* qsort order: oldest `since` first, then by thread. */
static int triage_cmp(const void *a, const void *b)
{
	const struct triage_item *x = a, *y = b;
	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	return x->thread_id < y->thread_id ? -1 : x->thread_id > y->thread_id;
}

/* The triage list being built. */
struct triage {
	struct triage_item *items;
	size_t n, cap;
};

/* Whether the list already holds an item of thread_id (one item per thread). */
static bool triage_has(const struct triage *tr, int64_t thread_id)
{
	for (size_t i = 0; i < tr->n; i++)
		if (tr->items[i].thread_id == thread_id)
			return true;
	return false;
}

/* Appends item o (the list takes the reference). */
static void triage_push(struct triage *tr, json_t *o, int64_t since, int64_t thread_id)
{
	if (tr->n == tr->cap) {
		tr->cap = tr->cap ? tr->cap * 2 : 32;
		tr->items = xrealloc(tr->items, tr->cap * sizeof *tr->items);
	}
	tr->items[tr->n++] = (struct triage_item){o, since, thread_id};
}

/* Appends {thread_id, title, reason, since} and returns it (borrowed) for more members. */
static json_t *triage_add(struct triage *tr, int64_t thread_id, const char *title, const char *reason,
			  int64_t since)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:o}", "thread_id", (json_int_t)thread_id, "title", title,
			      "reason", reason, "since", json_time(since));
	triage_push(tr, o, since, thread_id);
	return o;
}

/* An overdue application (application.c): no thread; thread_id 0 matches none. */
static void triage_add_application(void *ctx, json_t *item, int64_t since)
{
	triage_push(ctx, item, since, 0);
}

/* GET /api/v1/triage — secretariat. 200 {items:[{thread_id, title, reason, since, due_at?,
 * escalation_id?, expert_id?}]}, oldest `since` first, one item per thread (overdue before
 * declined before unanswered):
 *   overdue    — an `assigned` escalation past its due_at, on a question not resolved;
 *                since = due_at.
 *   declined   — an `open` question whose latest escalation was declined; since = declined_at.
 *   unanswered — an `open` question with no accepted answer whose age in business hours is at
 *                least sla_peer_hours. Peer replies do not stop this clock (the contract says
 *                "with no accepted answer"); accepting or escalating does. since = the moment
 *                the window ran out. The clock counts from the thread's creation.
 *   application_overdue — an application still `received` past its contact_due_at (docs/API.md §8),
 *                with application_id instead of thread_id; since = contact_due_at. */
static int handle_triage_list(struct req *r)
{
	int64_t now = now_unix();
	struct triage tr = {0};
	sqlite3_stmt *st = db_stmt(r->db, triage_overdue_sql);
	db_bind_int64(st, ":now", now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t tid = sqlite3_column_int64(st, 0);
		if (triage_has(&tr, tid))
			continue;
		int64_t due = sqlite3_column_int64(st, 4);
		json_t *o = triage_add(&tr, tid, db_col_text(st, 1), "overdue", due);
		json_object_set_new(o, "due_at", json_time(due));
		json_object_set_new(o, "escalation_id", json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(o, "expert_id", json_integer(sqlite3_column_int64(st, 3)));
	}
	sqlite3_reset(st);
	st = db_stmt(r->db, triage_declined_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t tid = sqlite3_column_int64(st, 0);
		if (triage_has(&tr, tid))
			continue;
		json_t *o = triage_add(&tr, tid, db_col_text(st, 1), "declined", sqlite3_column_int64(st, 4));
		json_object_set_new(o, "escalation_id", json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(o, "expert_id", json_integer(sqlite3_column_int64(st, 3)));
		json_object_set_new(o, "decline_reason", view_col_text(st, 5));
	}
	sqlite3_reset(st);
	int64_t window = hours_to_seconds(r->cfg->sla_peer_hours);
	st = db_stmt(r->db, triage_open_sql);
	db_bind_int64(st, ":cutoff", now - window); /* wall time is never shorter than business time */
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t tid = sqlite3_column_int64(st, 0), created = sqlite3_column_int64(st, 2);
		if (triage_has(&tr, tid))
			continue;
		if (calendar_business_seconds_between(&calendar_default_hours, created, now) < window)
			continue;
		int64_t since = calendar_add_business_seconds(&calendar_default_hours, created, window);
		json_t *o = triage_add(&tr, tid, db_col_text(st, 1), "unanswered", since);
		json_object_set_new(o, "created_at", json_time(created));
	}
	sqlite3_reset(st);
	application_triage(r->db, now, triage_add_application, &tr);
	if (tr.n)
		qsort(tr.items, tr.n, sizeof *tr.items, triage_cmp);
	json_t *items = json_array();
	for (size_t i = 0; i < tr.n; i++)
		json_array_append_new(items, tr.items[i].o);
	free(tr.items);
	return req_reply(r, 200, json_pack("{s:o}", "items", items));
}

/* ---- the on_post hook -------------------------------------------------------------------- */

static const char answered_sql[] =
	"UPDATE escalations SET state = 'answered', answered_at = :now"
	" WHERE thread_id = :thread AND expert_id = :expert AND state = 'assigned'";
static const char thread_answered_sql[] =
	"UPDATE threads SET status = 'answered' WHERE id = :thread AND status = 'escalated'";
static const char post_body_sql[] = "SELECT body FROM posts WHERE id = :id";

/* on_post hook (escalation.h): an assigned expert's reply answers their escalation. */
int escalation_on_post(struct req *r, int64_t thread_id, int64_t post_id)
{
	if (!r->who || !authz_is_expert(r->who))
		return 0;
	struct db *d = r->db;
	sqlite3_stmt *st = db_stmt(d, answered_sql);
	db_bind_int64(st, ":now", now_unix());
	db_bind_int64(st, ":thread", thread_id);
	db_bind_int64(st, ":expert", r->who->user_id);
	if (db_exec_stmt(d, st) < 0)
		return -1;
	if (sqlite3_changes(db_handle(d)) == 0)
		return 0; /* not this expert's assigned escalation: an ordinary reply */
	st = db_stmt(d, thread_answered_sql);
	db_bind_int64(st, ":thread", thread_id);
	if (db_exec_stmt(d, st) < 0)
		return -1;
	events_publish_thread(d, thread_id);
	struct question t;
	if (question_load(d, thread_id, &t) < 0)
		return 0;
	int rc = 0;
	if (t.author_id != r->who->user_id) {
		st = db_stmt(d, post_body_sql);
		db_bind_int64(st, ":id", post_id);
		char *text = NULL;
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *b = db_col_text(st, 0);
			size_t n = strlen(b);
			if (n > EXCERPT_MAX) {
				n = EXCERPT_MAX;
				while (n > 0 && ((unsigned char)b[n] & 0xC0) == 0x80)
					n--;
			}
			text = xasprintf("%.*s%s", (int)n, b, n < strlen(b) ? "…" : "");
		}
		sqlite3_reset(st);
		rc = question_tell(d, t.author_id, "question.answered", thread_id, post_id, r->who->user_id, NULL, text);
		free(text);
	}
	return rc;
}

/* ---- timers ------------------------------------------------------------------------------- */

static const char overdue_scan_sql[] =
	"SELECT e.id, e.thread_id, e.expert_id, t.status FROM escalations e JOIN threads t ON t.id = e.thread_id"
	" WHERE e.state = 'assigned' AND e.due_at <= :now AND e.overdue_notified_at IS NULL LIMIT 100";
static const char overdue_mark_sql[] = "UPDATE escalations SET overdue_notified_at = :now WHERE id = :id";
static const char remind_scan_sql[] =
	"SELECT e.id, e.thread_id, e.expert_id, t.status, e.due_at FROM escalations e"
	" JOIN threads t ON t.id = e.thread_id"
	" WHERE e.state = 'assigned' AND e.remind_at <= :now AND e.reminded_at IS NULL LIMIT 100";
static const char remind_mark_sql[] = "UPDATE escalations SET reminded_at = :now WHERE id = :id";

/* One escalation a timer scan found. */
struct timer_row {
	int64_t id, thread_id, expert_id, due_at;
	bool resolved; /* its question is resolved: marked, nobody told */
};

/* Reads up to max rows of a scan (sql bound with :now) into rows; returns how many. */
static int timer_rows(struct db *d, const char *sql, int64_t now, struct timer_row *rows, int max)
{
	sqlite3_stmt *st = db_stmt(d, sql);
	db_bind_int64(st, ":now", now);
	int n = 0;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct timer_row *t = &rows[n++];
		t->id = sqlite3_column_int64(st, 0);
		t->thread_id = sqlite3_column_int64(st, 1);
		t->expert_id = sqlite3_column_int64(st, 2);
		t->resolved = strcmp(db_col_text(st, 3), "resolved") == 0;
		t->due_at = sqlite3_column_count(st) > 4 ? sqlite3_column_int64(st, 4) : 0;
	}
	sqlite3_reset(st);
	return n;
}

/* Runs sql (an UPDATE stamping :now on escalation :id) so a timer fires once. 0 or -1. */
static int mark(struct db *d, const char *sql, int64_t id, int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, sql);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":id", id);
	return db_exec_stmt(d, st);
}

/* One scan: every escalation newly overdue, then every reminder due, each marked so it fires
 * once. Runs in one write transaction. */
static void timers_scan(struct db *d, int64_t now)
{
	struct timer_row rows[100];
	if (db_tx_begin(d, __func__) < 0)
		return;
	bool ok = true;
	int n = timer_rows(d, overdue_scan_sql, now, rows, 100);
	for (int i = 0; i < n; i++) {
		struct timer_row *t = &rows[i];
		if (ok)
			ok = mark(d, overdue_mark_sql, t->id, now) == 0;
		if (ok && !t->resolved) {
			json_t *staff = json_pack("{s:s}", "audience", "secretariat");
			json_t *expert = json_pack("{s:s}", "audience", "expert");
			ok = tell_secretariat(d, "escalation.overdue", t->thread_id, 0, staff, NULL) == 0 &&
			     question_tell(d, t->expert_id, "escalation.overdue", t->thread_id, 0, 0, expert, NULL) == 0;
			json_decref(staff);
			json_decref(expert);
		}
	}
	n = timer_rows(d, remind_scan_sql, now, rows, 100);
	for (int i = 0; i < n; i++) {
		struct timer_row *t = &rows[i];
		if (ok)
			ok = mark(d, remind_mark_sql, t->id, now) == 0;
		if (ok && !t->resolved && t->due_at > now) {
			char due_jst[32];
			calendar_format_jst(t->due_at, due_jst);
			json_t *params = json_pack("{s:s}", "due_at", due_jst);
			ok = question_tell(d, t->expert_id, "escalation.reminder", t->thread_id, 0, 0, params, NULL) == 0;
			json_decref(params);
		}
	}
	if (!ok || db_tx_commit(d) < 0) {
		db_tx_rollback(d);
		log_error("escalation: timer scan failed; it runs again in %d s", SCAN_INTERVAL);
	}
}

/* tick hook (escalation.h): worker 0 scans the timers every SCAN_INTERVAL seconds. */
void escalation_tick(struct worker *w)
{
	static int64_t last_scan; /* worker 0's thread only */
	if (w->index != 0 || server_stopping())
		return;
	int64_t now = now_unix();
	if (now - last_scan < SCAN_INTERVAL)
		return;
	last_scan = now;
	timers_scan(w->db, now);
}

const struct route escalation_routes[] = {
	ROUTE(POST, "/api/v1/threads/{id}/escalations", ACCESS_WRITE | ACCESS_SECRETARIAT, handle_escalation_create,
	      .body = {{"expert_id", BODY_INT, BODY_REQUIRED | BODY_POSITIVE}, {"note", BODY_STR, 0, NOTE_MAX}}),
	ROUTE(GET, "/api/v1/threads/{id}/expert-suggestions", ACCESS_CONTENT | ACCESS_SECRETARIAT,
	      handle_expert_suggestions),
	ROUTE(GET, "/api/v1/escalations", ACCESS_CONTENT | ACCESS_EXPERT | ACCESS_SECRETARIAT,
	      handle_escalation_list, .params = {{"state", PARAM_STR}, {"page", PARAM_INT}}),
	ROUTE(GET, "/api/v1/escalations/{id}", ACCESS_CONTENT | ACCESS_EXPERT | ACCESS_SECRETARIAT,
	      handle_escalation_get),
	ROUTE(POST, "/api/v1/escalations/{id}/decline", ACCESS_WRITE | ACCESS_EXPERT, handle_escalation_decline,
	      .body = {{"reason", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK, NOTE_MAX}}),
	ROUTE(GET, "/api/v1/triage", ACCESS_CONTENT | ACCESS_SECRETARIAT, handle_triage_list),
	{0},
};
