/* ics.h — an iCalendar (RFC 5545) writer for the calendar feed (docs/API.md §9): CRLF line ends,
 * content lines folded at 75 octets without splitting a UTF-8 sequence, TEXT values escaped
 * (\\ ; , and newlines), times in Asia/Tokyo with a VTIMEZONE (Japan has had no daylight saving
 * time since 1951: one STANDARD rule at +0900). Pure functions over a struct buf: no state, safe
 * from any thread.
 *
 * A feed is ics_begin, any number of ics_event, ics_end. The events come from sources (rounds;
 * dispatch visits later): each fills struct ics_event and calls ics_event. */
#ifndef MAMORI_ICS_H
#define MAMORI_ICS_H

#include "util.h"

#include <stdint.h>

/* One VEVENT. Every string is UTF-8 (invalid sequences are written as U+FFFD); NULL or "" leaves
 * the property out (uid and summary are required). Times are seconds since the epoch. */
struct ics_event {
	const char *uid;         /* stable across fetches: "round-3-seminar@host" */
	int64_t start, end;
	int64_t created, last_modified; /* 0: left out */
	int sequence;                   /* revision counter (0 for a never-changed event) */
	const char *summary;
	const char *location;
	const char *description;
	const char *url;         /* URI value (not escaped; must not hold control characters) */
};

/* BEGIN:VCALENDAR with VERSION:2.0, PRODID, CALSCALE, METHOD:PUBLISH, X-WR-CALNAME (calname),
 * X-WR-TIMEZONE, refresh hints, and the Asia/Tokyo VTIMEZONE. */
void ics_begin(struct buf *b, const char *calname);
/* One VEVENT; dtstamp (UTC) is when this feed was generated. */
void ics_event(struct buf *b, const struct ics_event *e, int64_t dtstamp);
/* END:VCALENDAR. */
void ics_end(struct buf *b);

/* Appends the TEXT escaping of s (RFC 5545 §3.3.11): backslash, semicolon and comma get a
 * backslash, CRLF / LF / CR become \n, other control characters except TAB are dropped and
 * invalid UTF-8 becomes U+FFFD. No folding. */
void ics_escape(struct buf *b, const char *s, size_t n);
/* Appends one content line (the unfolded text of n bytes, no line end): folded so that no line
 * exceeds 75 octets (continuations start with one space) and never inside a UTF-8 sequence,
 * then CRLF. */
void ics_line(struct buf *b, const char *line, size_t n);
/* name ":" escaped text, as one folded content line. */
void ics_text_prop(struct buf *b, const char *name, const char *text);

#endif
