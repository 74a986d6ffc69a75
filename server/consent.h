/* consent.h — consent and NDA tracking (docs/API.md §4). The routes are registered through
 * features.c (consent_routes); what is public here is the CSV field writer the report uses, kept
 * visible so a unit test can hold it to RFC 4180. */
#ifndef MAMORI_CONSENT_H
#define MAMORI_CONSENT_H

#include "util.h"

/* Appends s (NULL: an empty field) to b as one CSV field (RFC 4180): quoted, with inner quotes
 * doubled, when it holds a comma, a quote, CR or LF. A value that a spreadsheet would run as a
 * formula (first character '=', '+', '-', '@', TAB or CR) is prefixed with an apostrophe first
 * (OWASP "CSV injection"), so a user's name can never become a formula in the secretariat's
 * Excel. Thread-safe; appends only. */
void consent_csv_field(struct buf *b, const char *s);

#endif
