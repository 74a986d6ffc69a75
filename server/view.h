/* view.h — the one JSON shape of each shared resource: a thread, a post, a user, a company.
 * Every route that answers one of them (its own feature's, a list, a search hit, a
 * notification's subject...) builds it here, so a field added or hidden changes everywhere at
 * once. Each function takes a statement row (columns named by its *_COLUMNS macro) or an id,
 * and returns a new reference. What a caller may read is decided before (authz.h): a view
 * never decides access. */
#ifndef MAMORI_VIEW_H
#define MAMORI_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;
struct sqlite3_stmt;

/* ---- lists --------------------------------------------------------------------------------- */

/* Steps st (bound by the caller) to its end and returns a new array of row(st) for each row,
 * then resets st. The one loop behind every list answer. */
json_t *view_rows(struct sqlite3_stmt *st, json_t *(*row)(struct sqlite3_stmt *st));

/* ---- threads and posts ---------------------------------------------------------------------- */

/* ---- users ---------------------------------------------------------------------------------- */

/* ---- companies ------------------------------------------------------------------------------ */

#endif
