/* test_router.c — the two rules docs/CONTRIBUTING.md says unit tests keep true, and route matching:
 * (a) every route of every feature declares its access explicitly (and the CSRF exemptions are
 *     exactly the three docs/API.md §2 and §8 allow); no route is shadowed by an earlier pattern;
 * (b) no file of server/ but the access module compares roles (scanned from the sources);
 * (c) patterns with {id} segments match exactly one segment, and path ids parse strictly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------------------------------- */

static void clear_params(struct req *r)
{
	for (int i = 0; i < r->npath; i++)
		free(r->path_params[i]);
	r->npath = 0;
}

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_DELETE: return "DELETE";
	default: return NULL;
	}
}

/* The pattern with each {name} replaced by a value that segment would really carry. */
static char *concrete_path_new(const char *pattern, const char *value)
{
	struct buf b = {0};
	for (const char *p = pattern; *p;) {
		if (*p == '{') {
			buf_puts(&b, value);
			p = strchr(p, '}') + 1;
		} else {
			buf_append(&b, p++, 1);
		}
	}
	char *s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static int count_routes(void)
{
	int n = 0;
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++)
			n++;
	return n;
}

/* ---- (a) the route table ------------------------------------------------------------------------ */

static void test_router_check_table(void **state)
{
	(void)state;
	char err[256] = "";
	if (router_check_table(err) != 0)
		fail_msg("router_check_table: %s", err);
	assert_true(count_routes() >= 2);
}

static void test_every_route_declares_access(void **state)
{
	(void)state;
	const unsigned base = ACCESS_PUBLIC | ACCESS_SESSION | ACCESS_CONTENT | ACCESS_WRITE;
	const unsigned known = base | ACCESS_ROLE_MASK;
	for (const struct feature *f = features; f->name; f++) {
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++) {
			const char *where = rt->pattern;
			if (!method_name(rt->method))
				fail_msg("%s (%s): method %d is not GET/POST/PUT/PATCH/DELETE", where,
					 f->name, rt->method);
			if (strncmp(rt->pattern, "/api/v1/", 8) != 0 && !(router_is_routed(rt->pattern) &&
									     strncmp(rt->pattern, "/api/", 5) != 0))
				fail_msg("%s (%s): neither under /api/v1/ nor another routed prefix", where, f->name);
			if (!rt->handler)
				fail_msg("%s %s (%s): no handler", method_name(rt->method), where, f->name);
			if (rt->access == ACCESS_UNSET)
				fail_msg("%s %s (%s): no access declared", method_name(rt->method), where,
					 f->name);
			if (rt->access & ~known)
				fail_msg("%s %s (%s): unknown access bits %#x", method_name(rt->method),
					 where, f->name, rt->access & ~known);
			/* A base level is always spelled out: public, session, content or write. Role bits
			 * alone would work (no session → 401), but say nothing explicit. */
			if (!(rt->access & base))
				fail_msg("%s %s (%s): role bits without a base access level",
					 method_name(rt->method), where, f->name);
			if ((rt->access & ACCESS_PUBLIC) && (rt->access & ~ACCESS_PUBLIC))
				fail_msg("%s %s (%s): public mixed with other access",
					 method_name(rt->method), where, f->name);
		}
	}
}

/* docs/API.md §2: every unsafe request but the sign-in and the invitation acceptance carries the CSRF
 * token; §8 adds the public application form ("anyone, no session, no CSRF header"). The router
 * skips CSRF for ROUTE_NO_CSRF and for public routes, so both sets must be exactly those three. */
static void test_csrf_exemptions(void **state)
{
	(void)state;
	static const char *const allowed[] = {"POST /api/v1/session", "POST /api/v1/invites/{token}/accept",
					      "POST /api/v1/applications"};
	for (const struct feature *f = features; f->name; f++) {
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++) {
			bool unsafe = rt->method != EVHTTP_REQ_GET;
			bool exempt = (rt->flags & ROUTE_NO_CSRF) || (unsafe && (rt->access & ACCESS_PUBLIC));
			if (!exempt)
				continue;
			char *name = xasprintf("%s %s", method_name(rt->method), rt->pattern);
			bool ok = false;
			for (size_t i = 0; i < ARRAY_LEN(allowed); i++)
				ok = ok || strcmp(name, allowed[i]) == 0;
			if (!ok)
				fail_msg(
					"%s (%s) is exempt from CSRF; only the sign-in, invitation acceptance and application form may be",
					name, f->name);
			if ((rt->flags & ROUTE_NO_CSRF) && !(rt->access & ACCESS_PUBLIC))
				fail_msg("%s: ROUTE_NO_CSRF on a signed-in route", name);
			free(name);
		}
	}
}

/* Every route is reachable: its own path (each {x} filled in) finds it, not an earlier route
 * (as "/documents/{id}" would swallow "/documents/current" if listed first), and no two routes
 * share a method and pattern. */
static void test_no_route_is_shadowed(void **state)
{
	(void)state;
	static const char *const fills[] = {"1", "987654321", "abc-DEF_123"};
	for (const struct feature *f = features; f->name; f++) {
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++) {
			for (size_t k = 0; k < ARRAY_LEN(fills); k++) {
				if (k > 0 && !strchr(rt->pattern, '{'))
					break;
				char *path = concrete_path_new(rt->pattern, fills[k]);
				struct req r = {0};
				bool mismatch;
				const struct route *got = router_match(rt->method, path, &r, &mismatch);
				clear_params(&r);
				if (got != rt)
					fail_msg("%s %s (%s): path %s finds %s", method_name(rt->method),
						 rt->pattern, f->name, path, got ? got->pattern : "nothing");
				free(path);
			}
		}
	}
}

/* ---- (b) role comparisons only in the access module ---------------------------------------------- */

/* The text of a C file with comments blanked out and, in `code`, string literal contents blanked
 * too (kept in `with_strings`), so each pattern sees only what it should. */
static void strip_c(const char *src, char **code, char **with_strings)
{
	size_t n = strlen(src);
	char *a = xstrdup(src), *b = xstrdup(src);
	enum { CODE, LINE_COMMENT, BLOCK_COMMENT, STRING, CHAR } st = CODE;
	for (size_t i = 0; i < n; i++) {
		char c = src[i], next = i + 1 < n ? src[i + 1] : 0;
		switch (st) {
		case CODE:
			if (c == '/' && next == '/') {
				st = LINE_COMMENT;
				a[i] = b[i] = ' ';
			} else if (c == '/' && next == '*') {
				st = BLOCK_COMMENT;
				a[i] = b[i] = a[i + 1] = b[i + 1] = ' ';
				i++;
			} else if (c == '"') {
				st = STRING;
			} else if (c == '\'') {
				st = CHAR;
			}
			break;
		case LINE_COMMENT:
			if (c == '\n')
				st = CODE;
			else
				a[i] = b[i] = ' ';
			break;
		case BLOCK_COMMENT:
			if (c == '*' && next == '/') {
				a[i] = b[i] = a[i + 1] = b[i + 1] = ' ';
				i++;
				st = CODE;
			} else if (c != '\n') {
				a[i] = b[i] = ' ';
			}
			break;
		case STRING:
		case CHAR:
			if (c == '\\' && next) {
				a[i] = a[i + 1] = ' ';
				i++;
			} else if ((st == STRING && c == '"') || (st == CHAR && c == '\'')) {
				st = CODE;
			} else if (c != '\n') {
				a[i] = ' ';
			}
			break;
		}
	}
	*code = a;
	*with_strings = b;
}

struct role_rule {
	const char *what;
	const char *regex;
	bool on_strings; /* match against the text with string literals kept */
};

static const struct role_rule role_rules[] = {
	{"comparison with a ROLE_ constant", "[!=]=[[:space:]]*ROLE_[A-Z_]+", false},
	{"comparison with a ROLE_ constant", "ROLE_[A-Z_]+[[:space:]]*[!=]=", false},
	{"switch over roles", "case[[:space:]]+ROLE_[A-Z_]+", false},
	{"strcmp against a role name",
	 "str(n)?(case)?cmp[[:space:]]*\\([^;]*\"(participant|expert|secretariat)\"", true},
	{"strcmp of a role", "str(n)?(case)?cmp[[:space:]]*\\([^;]*[^A-Za-z0-9;]role", false},
};

/* Appends one "file:line: what: text" per role comparison found in src to out. ROLE_NONE alone
 * is allowed: it means "no valid role" (a failed role_from_name or no caller), not a role. */
static int scan_roles(const char *file, const char *src, struct buf *out)
{
	char *code, *strs;
	strip_c(src, &code, &strs);
	int found = 0;
	for (size_t k = 0; k < ARRAY_LEN(role_rules); k++) {
		regex_t re;
		if (regcomp(&re, role_rules[k].regex, REG_EXTENDED | REG_NEWLINE) != 0)
			fail_msg("bad regex %s", role_rules[k].regex);
		const char *text = role_rules[k].on_strings ? strs : code;
		regmatch_t m;
		for (const char *p = text; regexec(&re, p, 1, &m, p == text ? 0 : REG_NOTBOL) == 0;
		     p += m.rm_eo) {
			const char *hit = p + m.rm_so;
			int len = (int)(m.rm_eo - m.rm_so);
			if (m.rm_eo == m.rm_so)
				break;
			char *s = xstrndup(hit, (size_t)len);
			bool none_only = strstr(s, "ROLE_") && strstr(s, "ROLE_NONE");
			free(s);
			if (none_only)
				continue;
			int line = 1;
			for (const char *q = text; q < hit; q++)
				line += *q == '\n';
			const char *ls = hit, *le = strchr(hit, '\n');
			while (ls > text && ls[-1] != '\n')
				ls--;
			int ll = le ? (int)(le - ls) : (int)strlen(ls);
			const char *orig = src + (ls - text);
			buf_printf(out, "  %s:%d: %s: %.*s\n", file, line, role_rules[k].what,
				   ll > 120 ? 120 : ll, orig);
			found++;
		}
		regfree(&re);
	}
	free(code);
	free(strs);
	return found;
}

/* The scanner itself: it finds what it must and nothing else (so the test below can fail). */
static void test_role_scanner(void **state)
{
	(void)state;
	static const char *const must[] = {
		"if (p->role == ROLE_SECRETARIAT) x();",
		"if (who->role != ROLE_EXPERT)",
		"bool s = ROLE_PARTICIPANT == r->who->role;",
		"switch (p->role) {\ncase ROLE_EXPERT: break; }",
		"if (strcmp(name, \"secretariat\") == 0)",
		"if (!strcmp(role_name(p->role), \"expert\"))",
		"if (strcmp(u->role, x) == 0)",
		"if (strncmp(s, \"participant\", 11) == 0)",
		"if (strcasecmp(json_string_value(v), \"Expert\") && strcmp(rolestr, y))",
	};
	static const char *const mustnot[] = {
		"struct principal p = {.role = ROLE_EXPERT};",
		"if (role == ROLE_NONE) return 2;",
		"/* compare: p->role == ROLE_SECRETARIAT is done in authz.c */",
		"// strcmp(role, \"expert\")",
		"static const char q[] = \"SELECT id FROM users WHERE role = 'expert'\";",
		"json_pack(\"{s:s}\", \"role\", \"participant\");",
		"if (strcmp(key, \"role\") == 0) ok();",
		"return authz_is_secretariat(r->who);",
		"static const char s[] = \"x == ROLE_EXPERT\";",
	};
	for (size_t i = 0; i < ARRAY_LEN(must); i++) {
		struct buf out = {0};
		if (scan_roles("sample.c", must[i], &out) == 0)
			fail_msg("scanner missed: %s", must[i]);
		buf_free(&out);
	}
	for (size_t i = 0; i < ARRAY_LEN(mustnot); i++) {
		struct buf out = {0};
		if (scan_roles("sample.c", mustnot[i], &out) != 0)
			fail_msg("scanner flagged: %s\n%s", mustnot[i], buf_cstr(&out));
		buf_free(&out);
	}
}

static char *read_file_new(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = {0};
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	char *s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void test_roles_compared_only_in_authz(void **state)
{
	(void)state;
	const char *src = getenv("MAMORI_SOURCE_DIR");
	if (!src)
		skip();
	char *dir = xasprintf("%s/server", src);
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	struct buf out = {0};
	int files = 0, found = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 3 || (strcmp(e->d_name + n - 2, ".c") != 0 && strcmp(e->d_name + n - 2, ".h") != 0))
			continue;
		/* The access module is where roles are compared. */
		if (strcmp(e->d_name, "authz.c") == 0 || strcmp(e->d_name, "authz.h") == 0)
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		char *text = read_file_new(path);
		if (!text)
			fail_msg("cannot read %s", path);
		files++;
		found += scan_roles(e->d_name, text, &out);
		free(text);
		free(path);
	}
	closedir(d);
	/* cmocka's message buffers are short: the list goes to stderr, whole. */
	if (found)
		fprintf(stderr,
			"%d role comparison(s) outside the access module (authz.c). Ask authz instead "
			"(authz_is_secretariat(r->who), or a new authz_* rule for what is being decided):\n%s",
			found, buf_cstr(&out));
	buf_free(&out);
	free(dir);
	assert_true(files >= 10);
	if (found)
		fail_msg("role comparisons outside authz.c (listed above)");
}

/* ---- (c) matching ------------------------------------------------------------------------------- */

/* The first route of the table whose pattern is pat (any method), or NULL. */
static const struct route *find_route(const char *pat, enum evhttp_cmd_type method)
{
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++)
			if (strcmp(rt->pattern, pat) == 0 && rt->method == method)
				return rt;
	return NULL;
}

static void test_match_fixed_route(void **state)
{
	(void)state;
	struct req r = {0};
	bool mismatch;
	const struct route *rt = router_match(EVHTTP_REQ_GET, "/api/v1/health", &r, &mismatch);
	assert_non_null(rt);
	assert_string_equal(rt->pattern, "/api/v1/health");
	assert_false(mismatch);
	assert_int_equal(r.npath, 0);
	/* HEAD is served by the GET route. */
	assert_ptr_equal(router_match(EVHTTP_REQ_HEAD, "/api/v1/health", &r, &mismatch), rt);
	/* Another method on a known path: no route, but the caller learns it is 405, not 404. */
	assert_null(router_match(EVHTTP_REQ_DELETE, "/api/v1/health", &r, &mismatch));
	assert_true(mismatch);
	static const char *const near[] = {
		"/api/v1/health/", "/api/v1/healthz",  "/api/v1/healt", "/api/v1//health",
		"/API/v1/health",  "/api/v1/health/x", "api/v1/health", ""};
	for (size_t i = 0; i < ARRAY_LEN(near); i++) {
		if (router_match(EVHTTP_REQ_GET, near[i], &r, &mismatch))
			fail_msg("'%s' matched", near[i]);
		if (mismatch)
			fail_msg("'%s' reported as another method's path", near[i]);
		assert_int_equal(r.npath, 0);
	}
}

static void test_match_id_patterns(void **state)
{
	(void)state;
	/* docs/API.md §5's thread routes: one {id}, then literal tails. */
	const struct route *one = find_route("/api/v1/threads/{id}", EVHTTP_REQ_GET);
	const struct route *posts = find_route("/api/v1/threads/{id}/posts", EVHTTP_REQ_POST);
	if (!one || !posts)
		fail_msg("the forum's thread routes are missing from the table");
	struct req r = {0};
	bool mismatch;
	assert_ptr_equal(router_match(EVHTTP_REQ_GET, "/api/v1/threads/42", &r, &mismatch), one);
	assert_int_equal(r.npath, 1);
	assert_string_equal(r.path_params[0], "42");
	int64_t id = 0;
	assert_int_equal(req_path_id(&r, 0, &id), 0);
	assert_int_equal(id, 42);
	clear_params(&r);
	assert_ptr_equal(router_match(EVHTTP_REQ_POST, "/api/v1/threads/7/posts", &r, &mismatch), posts);
	assert_int_equal(r.npath, 1);
	assert_string_equal(r.path_params[0], "7");
	clear_params(&r);
	/* {id} is one whole, non-empty segment. */
	static const char *const nomatch[] = {"/api/v1/threads/",          "/api/v1/threads//posts",
					      "/api/v1/threads/7/",        "/api/v1/threads/7/posts/",
					      "/api/v1/threads/7/posts/8", "/api/v1/threads/7/8/posts",
					      "/api/v1/threads/7/postsx"};
	for (size_t i = 0; i < ARRAY_LEN(nomatch); i++) {
		const struct route *got = router_match(EVHTTP_REQ_GET, nomatch[i], &r, &mismatch);
		const struct route *got_post = router_match(EVHTTP_REQ_POST, nomatch[i], &r, &mismatch);
		if ((got && got == one) || (got_post && got_post == posts))
			fail_msg("'%s' matched %s", nomatch[i], got ? got->pattern : got_post->pattern);
		clear_params(&r);
	}
	/* The segment is taken as text; the handler's req_path_id decides what a valid id is, and
	 * anything else is answered like a missing resource. */
	assert_ptr_equal(router_match(EVHTTP_REQ_GET, "/api/v1/threads/abc", &r, &mismatch), one);
	assert_int_equal(req_path_id(&r, 0, &id), -1);
	clear_params(&r);
}

static void test_match_two_params(void **state)
{
	(void)state;
	const struct route *rt = find_route("/api/v1/companies/{id}/experts/{expert_id}", EVHTTP_REQ_DELETE);
	if (!rt)
		fail_msg("DELETE /api/v1/companies/{id}/experts/{expert_id} is missing from the table");
	struct req r = {0};
	bool mismatch;
	assert_ptr_equal(router_match(EVHTTP_REQ_DELETE, "/api/v1/companies/3/experts/11", &r, &mismatch),
			 rt);
	assert_int_equal(r.npath, 2);
	int64_t a = 0, b = 0;
	assert_int_equal(req_path_id(&r, 0, &a), 0);
	assert_int_equal(req_path_id(&r, 1, &b), 0);
	assert_int_equal(a, 3);
	assert_int_equal(b, 11);
	assert_int_equal(req_path_id(&r, 2, &a), -1); /* no third parameter */
	clear_params(&r);
}

static void test_literal_beats_parameter(void **state)
{
	(void)state;
	/* Literal siblings of {id} routes reach their own handlers. */
	static const char *const lits[] = {"/api/v1/documents/current", "/api/v1/consents/report"};
	for (size_t i = 0; i < ARRAY_LEN(lits); i++) {
		const struct route *want = find_route(lits[i], EVHTTP_REQ_GET);
		if (!want)
			continue;
		struct req r = {0};
		bool mismatch;
		const struct route *got = router_match(EVHTTP_REQ_GET, lits[i], &r, &mismatch);
		if (got != want)
			fail_msg("%s finds %s", lits[i], got ? got->pattern : "nothing");
		assert_int_equal(r.npath, 0);
	}
}

static void test_path_id_is_strict(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		int64_t value;
	} cases[] = {
		{"1", 0, 1},     {"42", 0, 42},
		{"007", 0, 7},   {"999999999999999999", 0, 999999999999999999LL},
		{"0", -1, 0},    {"-1", -1, 0},
		{"+1", -1, 0},   {" 1", -1, 0},
		{"1 ", -1, 0},   {"1a", -1, 0},
		{"0x10", -1, 0}, {"1e3", -1, 0},
		{"", -1, 0},     {"9999999999999999999", -1, 0}, /* 19 digits: over int64 range risk */
		{"١٢", -1, 0},                                   /* Arabic-Indic digits */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct req r = {0};
		r.path_params[0] = xstrdup(cases[i].text);
		r.npath = 1;
		int64_t v = -7;
		int rc = req_path_id(&r, 0, &v);
		if (rc != cases[i].rc)
			fail_msg("req_path_id('%s') = %d", cases[i].text, rc);
		if (rc == 0 && v != cases[i].value)
			fail_msg("req_path_id('%s') gave %lld", cases[i].text, (long long)v);
		if (rc != 0 && v != -7)
			fail_msg("req_path_id('%s') wrote its out-parameter on failure", cases[i].text);
		clear_params(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_check_table),
		cmocka_unit_test(test_every_route_declares_access),
		cmocka_unit_test(test_csrf_exemptions),
		cmocka_unit_test(test_no_route_is_shadowed),
		cmocka_unit_test(test_role_scanner),
		cmocka_unit_test(test_roles_compared_only_in_authz),
		cmocka_unit_test(test_match_fixed_route),
		cmocka_unit_test(test_match_id_patterns),
		cmocka_unit_test(test_match_two_params),
		cmocka_unit_test(test_literal_beats_parameter),
		cmocka_unit_test(test_path_id_is_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
