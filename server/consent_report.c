/* consent_report.c — the secretariat's consent report (docs/API.md §4): every active company and
 * every active or invited user with the consent they hold per kind and what the gate still
 * waits for, as JSON or CSV. Route: GET /api/v1/consents/report. Also the CSV field writer and
 * the report reply (consent.h) that the attendance and visit reports share. */
#include "consent.h"

#include "authz.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "util.h"
#include "view.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The report: per company (company scope) and per user (personal scope), the latest act of each
 * kind, found through 002's partial indexes. */
#define LATEST_ACT(alias, scope, subject_col, subject, kind)                                                 \
	" LEFT JOIN consents " alias " ON " alias ".id = (SELECT max(x.id) FROM consents x"                  \
	" WHERE x.scope = '" scope "' AND x." subject_col " = " subject " AND x.kind = '" kind "')"
#define HELD_COLUMNS(a) a ".action, " a ".version, " a ".at, " a ".method, " a ".document_id, " a ".id"
/* clang-format off */
static const char report_companies_sql[] =
	"SELECT co.id, co.name, co.track, co.status, co.group_id, " HELD_COLUMNS("p") ", " HELD_COLUMNS("n")
	" FROM companies co"
	LATEST_ACT("p", "company", "company_id", "co.id", "participation")
	LATEST_ACT("n", "company", "company_id", "co.id", "nda")
	" WHERE co.status = 'active' ORDER BY co.id";
static const char report_users_sql[] =
	"SELECT u.id, u.name, u.email, u.role, u.status, u.company_id, coalesce(co.name, ''),"
	" u.representative, " HELD_COLUMNS("p") ", " HELD_COLUMNS("n")
	" FROM users u LEFT JOIN companies co ON co.id = u.company_id"
	LATEST_ACT("p", "personal", "user_id", "u.id", "participation")
	LATEST_ACT("n", "personal", "user_id", "u.id", "nda")
	" WHERE u.status IN ('active', 'invited') ORDER BY u.id";
/* clang-format on */
static const char report_material_sql[] =
	"SELECT (SELECT max(version) FROM documents WHERE kind = 'participation' AND material = 1),"
	" (SELECT max(version) FROM documents WHERE kind = 'nda' AND material = 1)";

/* The consent held through the latest act whose six HELD_COLUMNS start at col: null when there
 * is none or it was withdrawn, else {version, at, current, method, document_id, consent_id}.
 * `current` is false for a version older than the current material one (the holder is behind and
 * the gate holds them); a kind with no material version yet counts anything as current. */
static json_t *held_json(sqlite3_stmt *st, int col, int64_t material)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL || strcmp(db_col_text(st, col), "withdraw") == 0)
		return json_null();
	int64_t version = sqlite3_column_int64(st, col + 1);
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(version));
	json_object_set_new(o, "at", json_time(sqlite3_column_int64(st, col + 2)));
	json_object_set_new(o, "current", json_boolean(version >= material));
	json_object_set_new(o, "method", consent_col_text(st, col + 3));
	json_object_set_new(o, "document_id", json_integer(sqlite3_column_int64(st, col + 4)));
	json_object_set_new(o, "consent_id", json_integer(sqlite3_column_int64(st, col + 5)));
	return o;
}

/* The report as JSON: {current_material:{participation, nda}, companies:[...], users:[...]}. */
static json_t *report_json(struct db *d)
{
	sqlite3_stmt *st = db_stmt(d, report_material_sql);
	int64_t mat_p = 0, mat_n = 0;
	json_t *mat = json_object();
	if (sqlite3_step(st) == SQLITE_ROW) {
		mat_p = sqlite3_column_int64(st, 0);
		mat_n = sqlite3_column_int64(st, 1);
		json_object_set_new(mat, "participation", view_col_int(st, 0));
		json_object_set_new(mat, "nda", view_col_int(st, 1));
	}
	sqlite3_reset(st);

	json_t *companies = json_array();
	st = db_stmt(d, report_companies_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(o, "name", consent_col_text(st, 1));
		json_object_set_new(o, "track", consent_col_text(st, 2));
		json_object_set_new(o, "status", consent_col_text(st, 3));
		json_object_set_new(o, "group_id", view_col_int(st, 4));
		json_object_set_new(o, "participation", held_json(st, 5, mat_p));
		json_object_set_new(o, "nda", held_json(st, 11, mat_n));
		json_array_append_new(companies, o);
	}
	sqlite3_reset(st);

	json_t *users = json_array();
	st = db_stmt(d, report_users_sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(o, "name", consent_col_text(st, 1));
		json_object_set_new(o, "email", consent_col_text(st, 2));
		json_object_set_new(o, "role", consent_col_text(st, 3));
		json_object_set_new(o, "status", consent_col_text(st, 4));
		json_object_set_new(o, "company_id", view_col_int(st, 5));
		json_object_set_new(o, "company_name", consent_col_text(st, 6));
		json_object_set_new(o, "representative", json_boolean(sqlite3_column_int(st, 7) != 0));
		json_object_set_new(o, "participation", held_json(st, 8, mat_p));
		json_object_set_new(o, "nda", held_json(st, 14, mat_n));
		/* Whether the gate would let them through, asked of the gate itself. */
		struct principal p = {0};
		p.user_id = sqlite3_column_int64(st, 0);
		p.role = role_from_name(db_col_text(st, 3));
		p.company_id = sqlite3_column_int64(st, 5);
		json_t *pending = authz_pending_consents(d, &p);
		json_object_set_new(o, "cleared", json_boolean(json_array_size(pending) == 0));
		json_object_set_new(o, "pending", pending);
		json_array_append_new(users, o);
	}
	sqlite3_reset(st);

	json_t *out = json_object();
	json_object_set_new(out, "current_material", mat);
	json_object_set_new(out, "companies", companies);
	json_object_set_new(out, "users", users);
	return out;
}

/* One CSV field, formula-safe (consent.h). */
void consent_csv_field(struct buf *b, const char *s)
{
	if (!s)
		s = "";
	bool formula = s[0] && strchr("=+-@\t\r", s[0]);
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		buf_puts(b, "\"");
	if (formula)
		buf_puts(b, "'");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_puts(b, "\"\"");
		else
			buf_append(b, p, 1);
	}
	if (quote)
		buf_puts(b, "\"");
}

/* One JSON value as CSV text: strings as they are, integers in decimal, booleans as
 * true/false, null and absent as empty. */
static void csv_value(struct buf *b, json_t *v)
{
	char num[32];
	if (json_is_string(v)) {
		consent_csv_field(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		consent_csv_field(b, num);
	} else if (json_is_boolean(v)) {
		consent_csv_field(b, json_is_true(v) ? "true" : "false");
	}
}

/* The version, at and current fields of a held consent (empty fields for null). */
static void csv_held(struct buf *b, json_t *held)
{
	static const char *const cols[] = {"version", "at", "current"};
	for (unsigned i = 0; i < ARRAY_LEN(cols); i++) {
		buf_puts(b, ",");
		csv_value(b, json_object_get(held, cols[i])); /* held may be null: empty fields */
	}
}

/* The report as CSV (RFC 4180, CRLF line ends) after a UTF-8 byte order mark, so that Excel in
 * Japan opens it as UTF-8: a header row, then one row per company and one per user. */
static void report_csv(json_t *rep, struct buf *b)
{
	buf_puts(b, "\xEF\xBB\xBF");
	buf_puts(b, "type,id,name,email,role,status,company_id,company,track,representative,"
		    "participation_version,participation_at,participation_current,"
		    "nda_version,nda_at,nda_current,cleared\r\n");
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(rep, "companies"), i, o)
	{
		buf_puts(b, "company,");
		csv_value(b, json_object_get(o, "id"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "name"));
		buf_puts(b, ",,,"); /* email, role */
		csv_value(b, json_object_get(o, "status"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "id"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "name"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "track"));
		buf_puts(b, ","); /* representative */
		csv_held(b, json_object_get(o, "participation"));
		csv_held(b, json_object_get(o, "nda"));
		buf_puts(b, ",\r\n"); /* cleared: a property of people */
	}
	json_array_foreach(json_object_get(rep, "users"), i, o)
	{
		static const char *const cols[] = {"id",     "name",       "email",       "role",
						   "status", "company_id", "company_name"};
		buf_puts(b, "user");
		for (unsigned c = 0; c < ARRAY_LEN(cols); c++) {
			buf_puts(b, ",");
			csv_value(b, json_object_get(o, cols[c]));
		}
		buf_puts(b, ",,"); /* track */
		csv_value(b, json_object_get(o, "representative"));
		csv_held(b, json_object_get(o, "participation"));
		csv_held(b, json_object_get(o, "nda"));
		buf_puts(b, ",");
		csv_value(b, json_object_get(o, "cleared"));
		buf_puts(b, "\r\n");
	}
}

/* A report as JSON or CSV by ?format= (consent.h). */
int consent_report_reply(struct req *r, json_t *(*build)(struct db *d), void (*to_csv)(json_t *rep, struct buf *b),
			 const char *filename)
{
	const char *format = req_query_str(r, "format");
	bool csv = format && strcmp(format, "csv") == 0;
	if (format && !csv && strcmp(format, "json") != 0)
		return req_error(r, 400, "bad_request", "format must be json or csv");
	json_t *rep = build(r->db);
	if (!csv)
		return req_reply(r, 200, rep);
	struct buf b = {0};
	to_csv(rep, &b);
	json_decref(rep);
	r->raw_out = evbuffer_new();
	evbuffer_add(r->raw_out, b.data, b.len);
	buf_free(&b);
	char *disp = xasprintf("attachment; filename=\"%s\"", filename);
	req_header(r, "Content-Type", "text/csv; charset=utf-8");
	req_header(r, "Content-Disposition", disp);
	req_header(r, "Cache-Control", "private, no-store");
	free(disp);
	return 200;
}

/* GET /api/v1/consents/report?format=json|csv — secretariat: every active company (company-scope
 * consent per kind) and every active or invited user (personal consent per kind, whether the gate
 * lets them through, and what it still waits for), each consent as {version, at, current, ...}
 * or null when none is held (never given, or withdrawn). A version older than the current
 * material one is still shown, with current:false, so the secretariat sees who is behind.
 * format=csv: the same as text/csv with a BOM, as the attachment consent-report.csv. */
static int handle_consent_report(struct req *r)
{
	return consent_report_reply(r, report_json, report_csv, "consent-report.csv");
}

/* Listed before the consent feature's GET /api/v1/consents/{id} (features.c), which would
 * otherwise take "report" for an id. */
const struct route consent_report_routes[] = {
	ROUTE(GET, "/api/v1/consents/report", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_consent_report,
	      .params = {{"format", PARAM_STR}}),
	{0},
};
