/* dataset_posts.c — the post loader of tests/bench/dataset.py. Reads posts as JSON lines on stdin
 * and stores each one the way post_insert() does: the html from the server's own
 * markdown_render(), and search.db from the server's own search_rebuild() (what a restored
 * backup gets), so a generated dataset is folded, tokenised and indexed by exactly the code that
 * serves it. Not part of the server: dataset.py compiles it against a build's libmamori_core.a.
 *
 *   dataset_posts DATA_DIR [BATCH] < posts.jsonl
 *   one line per post: {"id":1,"t":THREAD,"a":AUTHOR,"c":CREATED_AT,"b":"markdown","ti":"title"|null}
 *   ("ti" is the thread's title on the thread's first post, as post_insert passes it). */
#include "db.h"
#include "markdown.h"
#include "search.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char insert_sql[] = "INSERT INTO posts (id, thread_id, author_id, body, html, created_at)"
				 " VALUES (:id, :tid, :author, :body, :html, :now)";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: dataset_posts DATA_DIR [BATCH] < posts.jsonl\n");
		return 2;
	}
	long batch = argc > 2 ? strtol(argv[2], NULL, 10) : 50000;
	struct db *d = NULL;
	if (db_open(argv[1], false, &d) < 0)
		return 1;
	/* A bulk load of a database nobody else has open: no fsync, no rollback journal. */
	if (db_exec(d, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;"
		       "PRAGMA secure_delete=OFF; PRAGMA cache_size=-262144;") < 0)
		return 1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long count = 0;
	int64_t t0 = now_us_monotonic();
	struct buf html = {0};
	if (db_tx_begin(d, "dataset_posts") < 0)
		return 1;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t err;
		json_t *o = json_loadb(line, (size_t)n, 0, &err);
		if (!o) {
			fprintf(stderr, "dataset_posts: line %ld: %s\n", count + 1, err.text);
			return 1;
		}
		const char *body = json_string_value(json_object_get(o, "b"));
		const char *title = json_string_value(json_object_get(o, "ti")); /* NULL unless first */
		int64_t id = json_integer_value(json_object_get(o, "id"));
		html.len = 0;
		if (!body || markdown_render(body, strlen(body), &html) < 0) {
			fprintf(stderr, "dataset_posts: post %lld: cannot render\n", (long long)id);
			return 1;
		}
		sqlite3_stmt *st = db_stmt(d, insert_sql);
		db_bind_int64(st, ":id", id);
		db_bind_int64(st, ":tid", json_integer_value(json_object_get(o, "t")));
		db_bind_int64(st, ":author", json_integer_value(json_object_get(o, "a")));
		db_bind_text(st, ":body", body);
		db_bind_text(st, ":html", buf_cstr(&html));
		db_bind_int64(st, ":now", json_integer_value(json_object_get(o, "c")));
		(void)title; /* search_rebuild takes the thread's title from the threads table */
		if (db_exec_stmt(d, st) < 0) {
			fprintf(stderr, "dataset_posts: post %lld: insert failed\n", (long long)id);
			return 1;
		}
		json_decref(o);
		if (++count % batch == 0) {
			if (db_tx_commit(d) < 0 || db_tx_begin(d, "dataset_posts") < 0)
				return 1;
			fprintf(stderr, "  %ld posts stored, %.0f s\n", count, (now_us_monotonic() - t0) / 1e6);
		}
	}
	if (db_tx_commit(d) < 0 || search_rebuild(d) < 0)
		return 1;
	free(line);
	buf_free(&html);
	db_exec(d, "PRAGMA journal_mode=WAL;");
	db_close(d);
	fprintf(stderr, "  %ld posts stored and indexed by the server's code in %.0f s\n", count,
		(now_us_monotonic() - t0) / 1e6);
	return 0;
}
