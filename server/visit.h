/* visit.h — expert dispatch (docs/API.md §10, docs/DISPATCH.md): each company's four visits by its
 * assigned expert, their reports and checklists, and the secretariat's dispatch report. A visit
 * is content of `company` visibility: every read goes through AUTHZ_VISIT_VISIBLE (authz.h). The
 * routes are registered through features.c (visit_routes); what is public here is pure logic
 * kept visible for unit tests. */
#ifndef MAMORI_VISIT_H
#define MAMORI_VISIT_H

#include <stdbool.h>
#include <stdint.h>

/* The checklist keys of stage 1–4 (the brochure's 終了後の状態), two per stage; NULL for any
 * other stage or index. */
const char *visit_checklist_key(int stage, int i);
#define VISIT_CHECKLIST_KEYS 2

/* The end (exclusive, seconds since the epoch) of the Japan-time day `monthday` (month * 100 +
 * day, a day past the month's end meaning its last day) in the program year that holds `now`:
 * a program year starts on 1 April (Japan time), so January–March fall in the next calendar
 * year. Pure. */
int64_t visit_due_end(int monthday, int64_t now);

struct db;
struct principal;
struct feed_ctx;
struct buf;
/* The calendar feed's source for dispatch visits (feed.h, docs/API.md §9): the caller's live
 * visits — a participant's own company's, an expert's own, all for the secretariat — as
 * VEVENTs whose SUMMARY is 専門家派遣（第N回） (with the company's name for experts and the
 * secretariat), never a report or a checklist; nothing while the caller is held at the consent
 * gate or their company is withdrawn. Returns 0. */
int visit_feed_events(struct db *d, const struct principal *p, const struct feed_ctx *ctx, struct buf *b);

#endif
