/* test_openapi.c — docs/openapi.json and the route table cannot drift apart. The document
 * checked is the copy compiled into the binary (the one GET /api/v1/openapi.json serves):
 * (a) every route of every feature is in the document, with the same method and path (path
 *     parameters compared by position: {id} and {token} are both "one segment");
 * (b) every operation of the document is a route of the table;
 * (c) each operation's x-access (level and roles) says exactly what the route declares, and its
 *     security names the CSRF header exactly when the dispatcher requires it;
 * (d) each route that declares its JSON body (route->body) has a requestBody schema listing every
 *     declared member with the same type, and `required` names exactly the BODY_REQUIRED ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

extern const char openapi_json[];
extern const size_t openapi_json_len;

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "get";
	case EVHTTP_REQ_POST: return "post";
	case EVHTTP_REQ_PUT: return "put";
	case EVHTTP_REQ_PATCH: return "patch";
	case EVHTTP_REQ_DELETE: return "delete";
	default: return NULL;
	}
}

/* "/a/{id}/b/{token}" → "/a/{}/b/{}" into out. */
static void shape_of(const char *path, char *out, size_t n)
{
	size_t o = 0;
	for (const char *p = path; *p && o + 3 < n; p++) {
		out[o++] = *p;
		if (*p == '{') {
			while (p[1] && p[1] != '}')
				p++;
		}
	}
	out[o] = 0;
}

/* True when route rt declares body member name. */
static bool body_declares(const struct route *rt, const char *name)
{
	for (int i = 0; i < MAX_BODY_FIELDS && rt->body[i].name; i++)
		if (name && strcmp(rt->body[i].name, name) == 0)
			return true;
	return false;
}

static json_t *load_doc(void)
{
	json_error_t err;
	json_t *doc = json_loadb(openapi_json, openapi_json_len, 0, &err);
	if (!doc)
		fail_msg("docs/openapi.json does not parse: line %d: %s", err.line, err.text);
	return doc;
}

/* The operation for shape (method, path) in doc, or NULL. */
static json_t *find_op(json_t *doc, const char *method, const char *path)
{
	char want[512], have[512];
	shape_of(path, want, sizeof want);
	const char *key;
	json_t *item;
	json_object_foreach(json_object_get(doc, "paths"), key, item)
	{
		shape_of(key, have, sizeof have);
		if (strcmp(want, have) == 0)
			return json_object_get(item, method);
	}
	return NULL;
}

static const struct route *find_route(const char *method, const char *path)
{
	char want[512], have[512];
	shape_of(path, want, sizeof want);
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt->pattern; rt++) {
			const char *m = method_name(rt->method);
			shape_of(rt->pattern, have, sizeof have);
			if (m && strcmp(m, method) == 0 && strcmp(want, have) == 0)
				return rt;
		}
	return NULL;
}

static void test_document_is_openapi_31(void **state)
{
	(void)state;
	json_t *doc = load_doc();
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
	assert_true(json_is_object(json_object_get(doc, "paths")));
	json_decref(doc);
}

static void test_every_route_is_documented(void **state)
{
	(void)state;
	json_t *doc = load_doc();
	int missing = 0;
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt->pattern; rt++) {
			const char *m = method_name(rt->method);
			assert_non_null(m);
			if (!find_op(doc, m, rt->pattern)) {
				print_error("route %s %s (feature %s) is missing from docs/openapi.json\n", m,
					    rt->pattern, f->name);
				missing++;
			}
		}
	json_decref(doc);
	assert_int_equal(missing, 0);
}

static void test_every_operation_is_a_route(void **state)
{
	(void)state;
	json_t *doc = load_doc();
	int extra = 0;
	const char *path, *method;
	json_t *item, *op;
	json_object_foreach(json_object_get(doc, "paths"), path, item)
	{
		json_object_foreach(item, method, op)
		{
			if (!strcmp(method, "parameters") || !strcmp(method, "summary") ||
			    !strcmp(method, "description"))
				continue;
			if (!find_route(method, path)) {
				print_error(
					"docs/openapi.json lists %s %s, which no route of server/ serves\n",
					method, path);
				extra++;
			}
		}
	}
	json_decref(doc);
	assert_int_equal(extra, 0);
}

static const char *level_of(unsigned access)
{
	if (access & ACCESS_PUBLIC)
		return "public";
	if (access & ACCESS_WRITE)
		return "write";
	if (access & ACCESS_CONTENT)
		return "content";
	return "session";
}

static bool has_role(json_t *roles, const char *role)
{
	size_t i;
	json_t *v;
	json_array_foreach(roles, i,
			   v) if (json_is_string(v) && !strcmp(json_string_value(v), role)) return true;
	return false;
}

static void test_access_matches_the_table(void **state)
{
	(void)state;
	json_t *doc = load_doc();
	int wrong = 0;
	static const struct {
		unsigned bit;
		const char *name;
	} roles[] = {{ACCESS_PARTICIPANT, "participant"},
		     {ACCESS_EXPERT, "expert"},
		     {ACCESS_SECRETARIAT, "secretariat"}};
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt->pattern; rt++) {
			const char *m = method_name(rt->method);
			json_t *op = find_op(doc, m, rt->pattern);
			if (!op)
				continue; /* test_every_route_is_documented reports it */
			json_t *x = json_object_get(op, "x-access");
			const char *level = json_string_value(json_object_get(x, "level"));
			if (!level || strcmp(level, level_of(rt->access)) != 0) {
				print_error("%s %s: x-access.level is %s, the route says %s\n", m,
					    rt->pattern, level ? level : "(none)", level_of(rt->access));
				wrong++;
			}
			json_t *xr = json_object_get(x, "roles");
			size_t declared = 0;
			for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
				bool in_route = rt->access & roles[i].bit,
				     in_doc = has_role(xr, roles[i].name);
				declared += in_route;
				if (in_route != in_doc) {
					print_error("%s %s: x-access.roles %s %s\n", m, rt->pattern,
						    in_doc ? "names" : "lacks", roles[i].name);
					wrong++;
				}
			}
			if (!declared && xr && json_array_size(xr) > 0) {
				print_error("%s %s: x-access.roles given for a route open to every role\n", m,
					    rt->pattern);
				wrong++;
			}
			/* The dispatcher checks X-CSRF-Token on unsafe methods of non-public routes without
			 * ROUTE_NO_CSRF; the security requirement must say so, and only then. */
			bool unsafe = rt->method != EVHTTP_REQ_GET;
			bool csrf = unsafe && !(rt->flags & ROUTE_NO_CSRF) && !(rt->access & ACCESS_PUBLIC);
			bool doc_csrf = false;
			size_t i;
			json_t *req;
			json_array_foreach(json_object_get(op, "security"), i, req)
				doc_csrf |= json_object_get(req, "csrf") != NULL;
			if (csrf != doc_csrf) {
				print_error("%s %s: security %s the csrf header, the dispatcher %s it\n", m,
					    rt->pattern, doc_csrf ? "names" : "lacks",
					    csrf ? "requires" : "does not require");
				wrong++;
			}
		}
	json_decref(doc);
	assert_int_equal(wrong, 0);
}

/* doc's schema s with one "$ref": "#/components/schemas/X" followed. */
static json_t *deref(json_t *doc, json_t *s)
{
	const char *ref = json_string_value(json_object_get(s, "$ref"));
	static const char prefix[] = "#/components/schemas/";
	if (!ref || strncmp(ref, prefix, sizeof prefix - 1) != 0)
		return s;
	return json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"), ref + sizeof prefix - 1);
}

static const char *json_type_of(enum body_type t)
{
	switch (t) {
	case BODY_STR: return "string";
	case BODY_INT: return "integer";
	case BODY_BOOL: return "boolean";
	case BODY_ARRAY: return "array";
	case BODY_OBJECT: return "object";
	}
	return "?";
}

/* True when the schema's "type" (a string or a list) admits want; a schema without a type (an
 * enum, a oneOf) is not compared. */
static bool type_admits(json_t *schema, const char *want)
{
	json_t *t = json_object_get(schema, "type");
	if (!t)
		return true;
	if (json_is_string(t))
		return strcmp(json_string_value(t), want) == 0 ||
		       (strcmp(want, "integer") == 0 && strcmp(json_string_value(t), "number") == 0);
	size_t i;
	json_t *v;
	json_array_foreach(t, i, v) if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) return true;
	return false;
}

/* Compares one route's declared body with its operation's requestBody; returns the mismatches. */
static int compare_body(json_t *doc, const struct route *rt, const char *m, json_t *op)
{
	json_t *schema = deref(doc, json_object_get(json_object_get(json_object_get(json_object_get(op, "requestBody"),
											 "content"),
								  "application/json"),
						  "schema"));
	json_t *props = json_object_get(schema, "properties");
	if (!props) {
		print_error("%s %s declares a JSON body; its requestBody has no properties\n", m, rt->pattern);
		return 1;
	}
	int wrong = 0;
	size_t ndecl_req = 0;
	for (int i = 0; i < MAX_BODY_FIELDS && rt->body[i].name; i++) {
		const struct body_spec *b = &rt->body[i];
		json_t *p = json_object_get(props, b->name);
		if (!p) {
			print_error("%s %s: body member %s is not in the requestBody\n", m, rt->pattern, b->name);
			wrong++;
			continue;
		}
		if (!type_admits(deref(doc, p), json_type_of(b->type))) {
			print_error("%s %s: body member %s is %s in the route, not in the document\n", m, rt->pattern,
				    b->name, json_type_of(b->type));
			wrong++;
		}
		bool doc_req = false;
		size_t k;
		json_t *v;
		json_array_foreach(json_object_get(schema, "required"), k, v) doc_req |=
			json_is_string(v) && strcmp(json_string_value(v), b->name) == 0;
		bool req = b->flags & BODY_REQUIRED;
		ndecl_req += req;
		if (req != doc_req) {
			print_error("%s %s: body member %s is %srequired in the route, %srequired in the document\n", m,
				    rt->pattern, b->name, req ? "" : "not ", doc_req ? "" : "not ");
			wrong++;
		}
	}
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(schema, "required"), k, v) if (!body_declares(rt, json_string_value(v)))
	{
		print_error("%s %s: the document requires %s, which the route does not declare\n", m, rt->pattern,
			    json_string_value(v));
		wrong++;
	}
	return wrong;
}

static void test_bodies_match_the_table(void **state)
{
	(void)state;
	json_t *doc = load_doc();
	int wrong = 0, checked = 0;
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt->pattern; rt++) {
			if (!rt->body[0].name)
				continue;
			const char *m = method_name(rt->method);
			json_t *op = find_op(doc, m, rt->pattern);
			if (!op)
				continue; /* test_every_route_is_documented reports it */
			wrong += compare_body(doc, rt, m, op);
			checked++;
		}
	json_decref(doc);
	assert_true(checked > 0);
	assert_int_equal(wrong, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_is_openapi_31),
		cmocka_unit_test(test_every_route_is_documented),
		cmocka_unit_test(test_every_operation_is_a_route),
		cmocka_unit_test(test_access_matches_the_table),
		cmocka_unit_test(test_bodies_match_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
