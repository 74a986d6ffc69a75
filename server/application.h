/* application.h — applications and selection (docs/API.md §8; docs/APPLICATIONS.md): the public
 * application form, the secretariat's list, contact, decline and admission, the overdue items of
 * the triage list, and the retention purge on worker 0's tick (application.c); the lottery and
 * the waitlist (lottery.c). */
#ifndef MAMORI_APPLICATION_H
#define MAMORI_APPLICATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;
struct worker;

/* 17:00 Asia/Tokyo on the third business day (calendar_default_hours: national holidays and
 * 29 December – 3 January are closed) after the Tokyo calendar day of `received`. Pure. */
int64_t application_contact_due(int64_t received);

/* Adds one triage item per overdue application (status `received` past its contact_due_at):
 * {application_id, title (the company's name), reason:"application_overdue", since, due_at}, by
 * calling add(ctx, item, since) (add steals item). For GET /api/v1/triage (secretariat). */
typedef void (*application_triage_fn)(void *ctx, json_t *item, int64_t since);
void application_triage(struct db *d, int64_t now, application_triage_fn add, void *ctx);

/* Worker 0, once a second: deletes declined and waitlisted applications past
 * application_retention_days, then checkpoints the WAL on the helper pool. */
void application_tick(struct worker *w);

/* ---- shared by application.c and lottery.c ------------------------------------------------------ */

struct req;
struct sqlite3_stmt;

/* Applications are the secretariat's alone: for anyone else they do not exist (docs/API.md §2),
 * so a handler answers 404 when this is false. */
bool application_may_read(struct req *r);
/* 422 invalid naming the field (the web form marks it): {error, message, field}. Returns 422. */
int application_invalid(struct req *r, const char *field, const char *what);

/* Inside the caller's write transaction: makes the first `waitlisted` application of track (in
 * draw order) `selected` — the place a declined selected one left. *promoted is its id, or 0
 * when none waits. Returns 0 or -1. */
int lottery_promote_next(struct db *d, const char *track, int64_t now, int64_t *promoted);

#endif
