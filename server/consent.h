/* consent.h — consent and NDA tracking (docs/API.md §4). The routes are registered through
 * features.c (consent_routes); what is public here is the CSV field writer the report uses, kept
 * visible so a unit test can hold it to RFC 4180. */
#ifndef MAMORI_CONSENT_H
#define MAMORI_CONSENT_H

#include "util.h"

#include <jansson.h>

/* Appends s (NULL: an empty field) to b as one CSV field (RFC 4180): quoted, with inner quotes
 * doubled, when it holds a comma, a quote, CR or LF. A value that a spreadsheet would run as a
 * formula (first character '=', '+', '-', '@', TAB or CR) is prefixed with an apostrophe first
 * (OWASP "CSV injection"), so a user's name can never become a formula in the secretariat's
 * Excel. Thread-safe; appends only. */
void consent_csv_field(struct buf *b, const char *s);

struct req;
struct db;
/* A report's reply (the consent report, the attendance report): ?format=json (default) → 200
 * build(db) as JSON; ?format=csv → to_csv's text (which writes its own BOM and rows) as the
 * download `filename` (text/csv; charset=utf-8, Content-Disposition: attachment, no-store);
 * any other format → 400 bad_request. Returns the status. */
int consent_report_reply(struct req *r, json_t *(*build)(struct db *d), void (*to_csv)(json_t *rep, struct buf *b),
			 const char *filename);

#endif
