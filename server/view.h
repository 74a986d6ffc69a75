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
struct principal;

/* ---- columns -------------------------------------------------------------------------------- */

/* Column col of st as JSON, or JSON null when the column is NULL: an integer, a string, a time
 * (RFC 3339, json_time). The one way a nullable column becomes a member. New references. */
json_t *view_col_int(struct sqlite3_stmt *st, int col);
json_t *view_col_text(struct sqlite3_stmt *st, int col);
json_t *view_col_time(struct sqlite3_stmt *st, int col);

/* ---- lists --------------------------------------------------------------------------------- */

/* Steps st (bound by the caller) to its end and returns a new array of row(st) for each row,
 * then resets st. The one loop behind every list answer. */
json_t *view_rows(struct sqlite3_stmt *st, json_t *(*row)(struct sqlite3_stmt *st));

/* ---- threads and posts ---------------------------------------------------------------------- */

/* A thread's columns as the API shows it, over threads t joined with users u on its author
 * (u.id = t.author_id), in the order view_thread_json reads them. */
#define VIEW_THREAD_COLUMNS                                                                                  \
	"t.id, t.category_id, t.title, t.kind, t.visibility, t.company_id, t.group_id, t.status,"            \
	" t.accepted_post_id, t.pinned, t.locked, t.post_count, t.created_at, t.last_post_at,"               \
	" u.id, u.name, u.role,"                                                                             \
	" (SELECT json_group_array(g.name) FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id"              \
	"   WHERE tt.thread_id = t.id)"
/* The caller's unread count of the thread: one more column, right after VIEW_THREAD_COLUMNS,
 * reading :p_uid (bound by authz_bind). */
#define VIEW_THREAD_UNREAD                                                                                   \
	", t.post_count - coalesce((SELECT seen_count FROM thread_reads rd"                                  \
	"   WHERE rd.user_id = :p_uid AND rd.thread_id = t.id), 0)"
#define VIEW_THREAD_NCOLS 18 /* the columns of VIEW_THREAD_COLUMNS */

/* The thread in the current row of st (VIEW_THREAD_COLUMNS, then `unread` when the row also has
 * the VIEW_THREAD_UNREAD column): {id, category_id, title, kind, visibility, company_id,
 * group_id, status, accepted_post_id, pinned, locked, post_count, created_at, last_post_at,
 * author, tags[, unread]}. New reference. */
json_t *view_thread_json(struct sqlite3_stmt *st);

/* Thread id as view_thread_json shows it, without the caller's own members (no `unread`), or
 * NULL when there is no such thread. The caller has decided that it may be read. New reference. */
json_t *view_thread_get(struct db *d, int64_t id);

/* A post's columns, over posts p joined with users u on its author (u.id = p.author_id), in the
 * order view_post_json reads them; the last two are moderation's MODERATION_POST_COLUMNS (hidden,
 * redacted), which the caller hands to moderation_post_view. */
#define VIEW_POST_COLUMNS                                                                                    \
	"p.id, p.thread_id, p.body, p.html, p.created_at, p.edited_at, u.id, u.name, u.role,"                \
	" p.hidden_at IS NOT NULL, p.redacted_at IS NOT NULL"
enum { VIEW_POST_AUTHOR = 6, VIEW_POST_HIDDEN = 9, VIEW_POST_REDACTED = 10, VIEW_POST_NCOLS = 11 };

/* The post in the current row of st (VIEW_POST_COLUMNS): {id, thread_id, author, body, html,
 * created_at, edited_at}. The caller then applies moderation_post_view (moderation.h) with the
 * VIEW_POST_HIDDEN and VIEW_POST_REDACTED columns, which adds `hidden` and `redacted` and
 * withholds a hidden post's text from all but the secretariat. New reference. */
json_t *view_post_json(struct sqlite3_stmt *st);
/* The same JSON for a post author has just stored (id, thread_id, body, html, created_at as
 * written; never edited), built from those values instead of read back: what view_post_json would
 * give for its row while the author's name and role are as their session read them. New reference. */
json_t *view_post_written_json(int64_t id, int64_t thread_id, const struct principal *author,
			       const char *body, const char *html, int64_t created_at);

/* ---- users ---------------------------------------------------------------------------------- */

/* A user as others see them beside what they wrote (a post's author, an answer's):
 * {id, name, role} from three columns of st starting at col (u.id, u.name, u.role). */
json_t *view_user_ref(struct sqlite3_stmt *st, int col);

/* The columns of a user row (alias u), in the order view_user_row reads them from column 0. */
#define VIEW_USER_COLUMNS                                                                                    \
	"u.id, u.email, u.name, u.role, u.company_id, u.representative, u.specialties, u.status,"            \
	" u.totp_secret IS NOT NULL, u.totp_required, u.created_at,"                                         \
	" (SELECT c.name FROM companies c WHERE c.id = u.company_id), u.lang"
/* The full user, as the account itself and the secretariat see it (docs/API.md §3: GET
 * /api/v1/users/{id}, /me): {id, email, name, role, company_id, company_name, representative,
 * specialties, status, totp_enabled, totp_required, totp_setup_required, created_at, lang},
 * from a row of VIEW_USER_COLUMNS. */
json_t *view_user_row(struct sqlite3_stmt *st);
/* User id as view_user_row shows it, or NULL when there is none. */
json_t *view_user_json(struct db *d, int64_t id);

/* ---- companies ------------------------------------------------------------------------------ */

/* The columns of a company row (alias c, its group g: join with VIEW_COMPANY_FROM), in the order
 * view_company_row reads them from column 0. */
#define VIEW_COMPANY_COLUMNS                                                                                 \
	"c.id, c.name, c.industry, c.sme_class, c.capital_yen, c.employees, c.track, c.status, c.group_id,"  \
	" c.created_at, g.name,"                                                                             \
	" (SELECT count(*) FROM users u WHERE u.company_id = c.id AND u.role = 'participant'"                \
	"   AND u.status IN ('invited','active')),"                                                          \
	" (SELECT json_group_array(ea.expert_id) FROM expert_assignments ea WHERE ea.company_id = c.id)"
#define VIEW_COMPANY_FROM " FROM companies c LEFT JOIN groups g ON g.id = c.group_id"

/* A company as the API shows it (docs/API.md §3: GET /api/v1/companies/{id}): {id, name,
 * industry, sme_class, capital_yen, employees, track, status, group_id, group_name, created_at,
 * participants (invited or active), expert_ids}, from a row of VIEW_COMPANY_COLUMNS. */
json_t *view_company_row(struct sqlite3_stmt *st);
/* Company id as view_company_row shows it, or NULL when there is none. */
json_t *view_company_json(struct db *d, int64_t id);

#endif
