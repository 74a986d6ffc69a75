/* test_authz.c — the access module on a real database made from the schema: the visibility rule
 * (AUTHZ_THREAD_VISIBLE through authz_can_read_thread) for every role and scope, the role check,
 * and the gate (company status before consent; the consent documents each role must accept). */
#include "authz.h"
#include "cache.h"
#include "db.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static char *dir;
static struct db *d;

/* Two groups; companies 1 and 2 in group 1, company 3 in group 2. Users: 1 participant of
 * company 1, 2 participant of company 3, 3 expert assigned to company 1, 4 expert without
 * assignment but escalated on thread 7, 5 secretariat. Threads 1-7 (see test_visibility). */
static const char world_sql[] =
	"INSERT INTO groups (id, name, created_at) VALUES (1, 'g1', 0), (2, 'g2', 0);"
	"INSERT INTO companies (id, name, industry, sme_class, capital_yen, employees, track, group_id, created_at)"
	" VALUES (1, 'c1', 'E', 'manufacturing_other', 1, 1, 'monozukuri', 1, 0),"
	" (2, 'c2', 'E', 'manufacturing_other', 1, 1, 'monozukuri', 1, 0),"
	" (3, 'c3', 'G', 'service', 1, 1, 'service', 2, 0);"
	"INSERT INTO users (id, email, name, role, company_id, status, created_at) VALUES"
	" (1, 'p1@x.jp', 'p1', 'participant', 1, 'active', 0), (2, 'p3@x.jp', 'p3', 'participant', 3, 'active', 0),"
	" (3, 'e1@x.jp', 'e1', 'expert', NULL, 'active', 0), (4, 'e2@x.jp', 'e2', 'expert', NULL, 'active', 0),"
	" (5, 's@x.jp', 's', 'secretariat', NULL, 'active', 0);"
	"INSERT INTO expert_assignments (expert_id, company_id, created_at) VALUES (3, 1, 0);"
	"INSERT INTO categories (id, slug, name, created_at) VALUES (1, 'c', 'c', 0);"
	"INSERT INTO threads (id, category_id, author_id, title, kind, visibility, company_id, group_id, created_at,"
	" last_post_at) VALUES"
	" (1, 1, 5, 't', 'discussion', 'community', NULL, NULL, 0, 0),"
	" (2, 1, 1, 't', 'discussion', 'group', 1, 1, 0, 0),"
	" (3, 1, 2, 't', 'discussion', 'group', 3, 2, 0, 0),"
	" (4, 1, 1, 't', 'discussion', 'company', 1, 1, 0, 0),"
	" (5, 1, 5, 't', 'discussion', 'company', 2, 1, 0, 0),"
	" (6, 1, 5, 't', 'discussion', 'staff', NULL, NULL, 0, 0),"
	" (7, 1, 2, 't', 'question', 'company', 3, 2, 0, 0);"
	"INSERT INTO escalations (thread_id, expert_id, state, due_at, created_at) VALUES (7, 4, 'assigned', 0, 0);";

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/mamori-test-authz-XXXXXX";
	dir = xstrdup(mkdtemp(tmpl));
	if (db_open(dir, true, &d) < 0 || db_migrate(d) < 0 || db_exec(d, world_sql) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cache_thread_free();
	db_close(d);
	free(dir);
	return 0;
}

static struct principal who(int64_t uid, enum role role, int64_t company, int64_t group)
{
	struct principal p = {.user_id = uid, .role = role, .company_id = company, .group_id = group};
	snprintf(p.company_status, sizeof p.company_status, "%s", "active");
	return p;
}

/* docs/API.md §5, row by row: which of threads 1..7 each person reads. */
static void test_visibility(void **state)
{
	(void)state;
	struct {
		struct principal p;
		const char *reads; /* thread i+1 readable: '1' */
	} rows[] = {
		{who(1, ROLE_PARTICIPANT, 1, 1), "1101000"}, /* community, own group, own company */
		{who(2, ROLE_PARTICIPANT, 3, 2), "1010001"}, /* community, group 2, company 3 (7) */
		{who(3, ROLE_EXPERT, 0, 0), "1101010"},      /* community, group 1 via company 1, company 1, staff */
		{who(4, ROLE_EXPERT, 0, 0), "1000011"},      /* community, staff, the escalated thread */
		{who(5, ROLE_SECRETARIAT, 0, 0), "1111111"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		for (int t = 1; t <= 7; t++) {
			bool want = rows[i].reads[t - 1] == '1';
			if (authz_can_read_thread(d, &rows[i].p, t) != want)
				fail_msg("user %lld, thread %d: want %d", (long long)rows[i].p.user_id, t, want);
		}
	assert_false(authz_can_read_thread(d, NULL, 1));
	assert_false(authz_can_read_thread(d, &rows[4].p, 99)); /* missing = unreadable */
	/* a declined escalation no longer opens the thread */
	assert_int_equal(db_exec(d, "UPDATE escalations SET state = 'declined' WHERE thread_id = 7"), 0);
	assert_false(authz_can_read_thread(d, &rows[3].p, 7));
	assert_int_equal(db_exec(d, "UPDATE escalations SET state = 'assigned' WHERE thread_id = 7"), 0);
	/* unassigned, the expert loses company 1's threads at once */
	assert_int_equal(db_exec(d, "DELETE FROM expert_assignments WHERE expert_id = 3"), 0);
	assert_false(authz_can_read_thread(d, &rows[2].p, 4));
	assert_false(authz_can_read_thread(d, &rows[2].p, 2));
	assert_int_equal(db_exec(d, "INSERT INTO expert_assignments VALUES (3, 1, 0)"), 0);
}

/* AUTHZ_USER_READS_THREAD (a new post's followers, read in one statement) against the per-person
 * path it stands for — authz_principal_load, then authz_can_read_thread — for every user and
 * thread of the world. */
static void check_forms_agree(const char *when)
{
	static const char sql[] = "SELECT count(*) FROM users u LEFT JOIN companies c ON c.id = u.company_id,"
				  " threads t WHERE u.id = :uid AND t.id = :tid AND " AUTHZ_USER_READS_THREAD;
	for (int64_t uid = 1; uid <= 8; uid++)
		for (int64_t tid = 1; tid <= 8; tid++) {
			struct principal p;
			bool want = authz_principal_load(d, uid, &p) == 0 &&
				    authz_can_read_thread(d, &p, tid);
			principal_clear(&p);
			sqlite3_stmt *st = db_stmt(d, sql);
			db_bind_int64(st, ":uid", uid);
			db_bind_int64(st, ":tid", tid);
			if ((db_one_int64(st, -1) == 1) != want)
				fail_msg("%s: user %lld, thread %lld: the per-person path says %d", when,
					 (long long)uid, (long long)tid, want);
		}
}

static void test_readers_in_one_statement(void **state)
{
	(void)state;
	/* 6: a suspended participant of company 1; 7: an invited one; 8: a suspended expert
	 * assigned to company 1; thread 8 does not exist. */
	assert_int_equal(
		db_exec(d, "INSERT INTO users (id, email, name, role, company_id, status, created_at) VALUES"
			   " (6, 'p6@x.jp', 'p6', 'participant', 1, 'suspended', 0),"
			   " (7, 'p7@x.jp', 'p7', 'participant', 1, 'invited', 0),"
			   " (8, 'e8@x.jp', 'e8', 'expert', NULL, 'suspended', 0);"
			   "INSERT INTO expert_assignments VALUES (8, 1, 0)"),
		0);
	check_forms_agree("as made");
	assert_int_equal(db_exec(d, "UPDATE escalations SET state = 'declined' WHERE thread_id = 7"), 0);
	check_forms_agree("escalation declined");
	assert_int_equal(db_exec(d, "UPDATE escalations SET state = 'answered' WHERE thread_id = 7"), 0);
	check_forms_agree("escalation answered");
	assert_int_equal(db_exec(d, "DELETE FROM expert_assignments WHERE expert_id = 3"), 0);
	check_forms_agree("expert unassigned");
	assert_int_equal(db_exec(d, "UPDATE companies SET group_id = NULL WHERE id = 1"), 0);
	check_forms_agree("company 1 out of its group");
	assert_int_equal(db_exec(d, "UPDATE users SET status = 'suspended' WHERE id = 5"), 0);
	check_forms_agree("secretariat member suspended");
	assert_int_equal(db_exec(d, "UPDATE escalations SET state = 'assigned' WHERE thread_id = 7;"
				    "INSERT INTO expert_assignments VALUES (3, 1, 0);"
				    "UPDATE companies SET group_id = 1 WHERE id = 1;"
				    "UPDATE users SET status = 'active' WHERE id = 5;"
				    "DELETE FROM expert_assignments WHERE expert_id = 8;"
				    "DELETE FROM users WHERE id IN (6, 7, 8)"),
			 0);
}

static void test_role_check(void **state)
{
	(void)state;
	struct principal p = who(1, ROLE_PARTICIPANT, 1, 1), s = who(5, ROLE_SECRETARIAT, 0, 0);
	assert_int_equal(authz_check_role(NULL, ACCESS_PUBLIC), ACCESS_OK);
	assert_int_equal(authz_check_role(NULL, ACCESS_SESSION), ACCESS_DENIED_UNAUTHENTICATED);
	assert_int_equal(authz_check_role(&p, ACCESS_CONTENT), ACCESS_OK);
	assert_int_equal(authz_check_role(&p, ACCESS_SESSION | ACCESS_SECRETARIAT), ACCESS_DENIED_ROLE);
	assert_int_equal(authz_check_role(&s, ACCESS_SESSION | ACCESS_SECRETARIAT), ACCESS_OK);
	assert_int_equal(authz_check_role(&p, ACCESS_SESSION | ACCESS_PARTICIPANT | ACCESS_EXPERT), ACCESS_OK);
	s.totp_setup_required = true; /* only self-service until enrolled */
	assert_int_equal(authz_check_role(&s, ACCESS_SESSION | ACCESS_SECRETARIAT), ACCESS_DENIED_TOTP_SETUP);
	assert_int_equal(authz_check_role(&s, ACCESS_SESSION), ACCESS_OK);
}

static enum access_result gate(const struct principal *p, unsigned need, size_t *npending)
{
	json_t *pending = NULL;
	enum access_result r = authz_check_gate(d, p, need, &pending);
	*npending = pending ? json_array_size(pending) : 0;
	json_decref(pending);
	return r;
}

static void publish(const char *kind, int version)
{
	char *sql = xasprintf("INSERT INTO documents (kind, version, title, body, sha256, material, created_at)"
			      " VALUES ('%s', %d, 't', 'b', 'x', 1, 0)", kind, version);
	assert_int_equal(db_exec(d, sql), 0);
	free(sql);
}

static void consent(const char *scope, const char *kind, int64_t uid, int64_t cid, int version)
{
	char *sql = xasprintf("INSERT INTO consents (action, scope, kind, user_id, company_id, document_id, version,"
			      " sha256, at) VALUES ('accept', '%s', '%s', %lld, %s, (SELECT id FROM documents"
			      " WHERE kind = '%s' AND version = %d), %d, 'x', 0)",
			      scope, kind, (long long)uid, cid ? "1" : "NULL", kind, version, version);
	assert_int_equal(db_exec(d, sql), 0);
	free(sql);
}

/* Company status comes before consent; then each role's documents; the cached verdict follows
 * every document and consent (the gate epoch). */
static void test_gate(void **state)
{
	(void)state;
	size_t n;
	struct principal p = who(1, ROLE_PARTICIPANT, 1, 1), e = who(3, ROLE_EXPERT, 0, 0), s = who(5, ROLE_SECRETARIAT, 0, 0);
	assert_int_equal(gate(&p, ACCESS_SESSION, &n), ACCESS_OK); /* not a gated route */
	assert_int_equal(gate(&p, ACCESS_CONTENT, &n), ACCESS_OK); /* nothing published yet */
	publish("participation", 1);
	assert_int_equal(gate(&p, ACCESS_CONTENT, &n), ACCESS_DENIED_CONSENT);
	assert_int_equal(n, 2); /* personal and company */
	assert_int_equal(gate(&e, ACCESS_CONTENT, &n), ACCESS_OK); /* experts: the NDA only */
	assert_int_equal(gate(&s, ACCESS_WRITE, &n), ACCESS_OK);
	consent("personal", "participation", 1, 0, 1);
	assert_int_equal(gate(&p, ACCESS_CONTENT, &n), ACCESS_DENIED_CONSENT);
	assert_int_equal(n, 1);
	consent("company", "participation", 1, 1, 1);
	assert_int_equal(gate(&p, ACCESS_WRITE, &n), ACCESS_OK);
	publish("nda", 1);
	assert_int_equal(gate(&e, ACCESS_CONTENT, &n), ACCESS_DENIED_CONSENT);
	assert_int_equal(n, 1);
	consent("personal", "nda", 3, 0, 1);
	assert_int_equal(gate(&e, ACCESS_CONTENT, &n), ACCESS_OK);
	/* company status first: withdrawn → inactive even with consents pending */
	snprintf(p.company_status, sizeof p.company_status, "%s", "withdrawn");
	assert_int_equal(gate(&p, ACCESS_CONTENT, &n), ACCESS_DENIED_INACTIVE);
	snprintf(p.company_status, sizeof p.company_status, "%s", "completed");
	assert_int_equal(gate(&p, ACCESS_WRITE, &n), ACCESS_DENIED_READ_ONLY);
	assert_int_equal(gate(&p, ACCESS_CONTENT, &n), ACCESS_DENIED_CONSENT); /* the NDA */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visibility),
		cmocka_unit_test(test_readers_in_one_statement),
		cmocka_unit_test(test_role_check),
		cmocka_unit_test(test_gate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
