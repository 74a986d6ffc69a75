/* fuzz_search.c — search input: whatever a user types, the FTS5 expression we build is valid
 * (SQLite never reports a syntax error) and the folding keeps valid UTF-8. */
#include "text.h"
#include "util.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static sqlite3_stmt *st;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db) {
		sqlite3_open(":memory:", &db);
		sqlite3_exec(db, "CREATE VIRTUAL TABLE f USING fts5(body, tokenize='trigram');"
				 "INSERT INTO f VALUES ('UTMの設定と対策について'), ('firewall \"quoted\" NEAR(x)');",
			     NULL, NULL, NULL);
		sqlite3_prepare_v2(db, "SELECT count(*) FROM f WHERE f MATCH ?", -1, &st, NULL);
	}
	char *q = xstrndup((const char *)data, size);
	char *folded = text_fold_new(q, strlen(q));
	if (!utf8_valid(folded, strlen(folded)))
		__builtin_trap();
	char **short_terms = NULL;
	char *expr = text_fts_query_new(q, &short_terms);
	if (expr) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			__builtin_trap(); /* user text reached FTS5 as syntax */
	}
	free(expr);
	text_terms_free(short_terms);
	free(folded);
	free(q);
	return 0;
}
