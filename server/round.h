/* round.h — the program calendar (docs/API.md §9, docs/CALENDAR.md): rounds and the standard ten
 * (round.c, round_routes), their materials (material.c, material_routes) and attendance with its
 * report (attendance.c, attendance_routes); the rounds' events for the calendar feed (feed.c). */
#ifndef MAMORI_ROUND_H
#define MAMORI_ROUND_H

#include "ics.h"

#include <jansson.h>
#include <stdbool.h>

struct req;

/* One round as stored: its number, title, venue and the seminar's and workshop's times. */
struct round_row {
	int64_t id, number, ss, se, ws, we, created_at, updated_at, revision;
	char *title, *venue;
};

/* Loads round id into rr (free with round_row_clear); 0, or -1 when there is none. */
int round_load(struct db *d, int64_t id, struct round_row *rr);
/* Frees what round_load put into rr. */
void round_row_clear(struct round_row *rr);
/* Whether round id exists. */
bool round_exists(struct db *d, int64_t id);

/* Audits action on kind:id by r's caller from r's address; takes detail's reference (may be
 * NULL). 0, or -1. */
int round_audit(struct req *r, const char *action, const char *kind, int64_t id, json_t *detail);

/* Appends the materials r's caller may see (published ones; all for the secretariat) to the
 * `materials` array of each round in rounds (an array of round JSON); rid ≠ 0: only that round's
 * materials are read (material.c). */
void material_attach(struct req *r, json_t *rounds, int64_t rid);

/* The date of standard round index (0-9) of program (fiscal) year program_year: the brochure's
 * nth Tuesday of its month (January: of the next calendar year), a week later when that Tuesday
 * is a national holiday. Returns 0, or -1 for a bad index. Pure. */
int round_standard_date(int program_year, int index, int *year, int *month, int *day);

/* Feed source: every round as two VEVENTs (seminar, workshop) with LOCATION = venue. */
int round_feed_events(struct db *d, const struct principal *p, const struct feed_ctx *ctx, struct buf *b);

#endif
