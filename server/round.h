/* round.h — the program calendar (docs/API.md §9): rounds, materials, attendance and the attendance
 * report (routes in round_routes, features.c), and the rounds' events for the calendar feed. */
#ifndef MAMORI_ROUND_H
#define MAMORI_ROUND_H

#include "feed.h"

/* The date of standard round index (0-9) of program (fiscal) year program_year: the brochure's
 * nth Tuesday of its month (January: of the next calendar year), a week later when that Tuesday
 * is a national holiday. Returns 0, or -1 for a bad index. Pure. */
int round_standard_date(int program_year, int index, int *year, int *month, int *day);

/* Feed source: every round as two VEVENTs (seminar, workshop) with LOCATION = venue. */
int round_feed_events(struct db *d, const struct principal *p, const struct feed_ctx *ctx, struct buf *b);

#endif
