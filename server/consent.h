/* consent.h — consent and NDA tracking (docs/API.md §4), in three files: document.c (the
 * versioned documents and their publication), consent.c (the records: accept, record, withdraw,
 * read) and consent_report.c (the secretariat's report). The routes are registered through
 * features.c; what is public here is the CSV field writer and the report reply that other
 * reports share (the field writer kept visible so a unit test can hold it to RFC 4180), and
 * below, what the three files share. */
#ifndef MAMORI_CONSENT_H
#define MAMORI_CONSENT_H

#include "util.h"

#include <jansson.h>
#include <stdint.h>

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

/* ---- shared by document.c, consent.c and consent_report.c ------------------------------------ */

struct sqlite3_stmt;

/* Column col of st as a JSON string ("" when NULL). New reference. */
json_t *consent_col_text(struct sqlite3_stmt *st, int col);

/* What accepting and recording need to know about a document. */
struct consent_doc {
	int64_t id, version;
	int64_t current_material; /* 0 before the first material version of its kind */
	int64_t latest_id;        /* the newest version of its kind */
	char kind[16];
	char sha256[65];
};
/* Loads document id into *out (document.c). Returns 0, or -1 when there is no such document. */
int consent_doc_load(struct db *d, int64_t id, struct consent_doc *out);

#endif
