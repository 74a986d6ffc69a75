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

/* The columns view_user_json reads, from `users u` (and the user's company name). */
#define VIEW_USER_COLUMNS                                                                                    \
	"u.id, u.email, u.name, u.role, u.company_id, u.representative, u.specialties, u.status,"            \
	" u.totp_secret IS NOT NULL, u.totp_required, u.created_at,"                                         \
	" (SELECT c.name FROM companies c WHERE c.id = u.company_id), u.lang"
/* The full user, as the account itself and the secretariat see it (docs/API.md §3): {id, email,
 * name, role, company_id, company_name, representative, specialties, status, totp_enabled,
 * totp_required, totp_setup_required, created_at, lang}, from a row of VIEW_USER_COLUMNS (a
 * view_rows row function). */
json_t *view_user_json(struct sqlite3_stmt *st);
/* view_user_json of user id, or NULL when there is none. */
json_t *view_user_load(struct db *d, int64_t id);

/* ---- companies ------------------------------------------------------------------------------ */

#endif
