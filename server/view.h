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

/* ---- threads and posts ---------------------------------------------------------------------- */

/* ---- users ---------------------------------------------------------------------------------- */

/* ---- companies ------------------------------------------------------------------------------ */

#endif
