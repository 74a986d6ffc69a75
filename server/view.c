/* view.c — the JSON shape of threads, posts, users and companies (view.h). */
#include "view.h"

#include "db.h"
#include "http.h"
#include "util.h"

#include <string.h>

/* ---- lists --------------------------------------------------------------------------------- */

json_t *view_rows(sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *st))
{
	json_t *arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, row(st));
	sqlite3_reset(st);
	return arr;
}

/* ---- threads and posts ---------------------------------------------------------------------- */

/* ---- users ---------------------------------------------------------------------------------- */

/* ---- companies ------------------------------------------------------------------------------ */
