/* ics.c — the iCalendar writer (RFC 5545) behind the calendar feed; see ics.h. */
#include "ics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define ICS_LINE_MAX 75  /* octets per physical line, without the CRLF (RFC 5545 §3.1) */
#define JST_OFFSET 32400 /* Asia/Tokyo: UTC+9 all year */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there are not one. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t k = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (k == 0 || k > avail || !utf8_valid((const char *)s, k))
		return 0;
	return k;
}

/* Appends s (n bytes) escaped as RFC 5545 TEXT (ics.h). */
void ics_escape(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		unsigned char c = *p;
		if (c == '\r' || c == '\n') {
			buf_puts(b, "\\n");
			p += (c == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
			continue;
		}
		if (c == '\\' || c == ';' || c == ',') {
			char e[2] = {'\\', (char)c};
			buf_append(b, e, 2);
			p++;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			p++;
			continue;
		}
		size_t k = utf8_seq_len(p, (size_t)(end - p));
		if (k == 0) {
			buf_puts(b, "\xEF\xBF\xBD");
			p++;
			continue;
		}
		buf_append(b, p, k);
		p += k;
	}
}

/* Appends one content line, folded at 75 octets (ics.h). */
void ics_line(struct buf *b, const char *line, size_t n)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t room = ICS_LINE_MAX;
	while (n > room) {
		size_t cut = room;
		/* Never split a UTF-8 sequence: step back over continuation bytes (at most 3). */
		while (cut > room - 3 && (p[cut] & 0xC0) == 0x80)
			cut--;
		buf_append(b, p, cut);
		buf_puts(b, "\r\n ");
		p += cut;
		n -= cut;
		room = ICS_LINE_MAX - 1; /* the leading space counts */
	}
	buf_append(b, p, n);
	buf_puts(b, "\r\n");
}

/* Appends the TEXT property name:text (ics.h). */
void ics_text_prop(struct buf *b, const char *name, const char *text)
{
	struct buf l = {0};
	buf_puts(&l, name);
	buf_puts(&l, ":");
	ics_escape(&l, text, strlen(text));
	ics_line(b, l.data, l.len);
	buf_free(&l);
}

/* "20260725T040000Z" (utc) or "20260725T130000" (Tokyo wall clock). */
static void ics_time(int64_t t, bool utc, char out[20])
{
	time_t tt = (time_t)(t + (utc ? 0 : JST_OFFSET));
	struct tm tm;
	if (!gmtime_r(&tt, &tm)) {
		snprintf(out, 20, "19700101T000000%s", utc ? "Z" : "");
		return;
	}
	strftime(out, 20, utc ? "%Y%m%dT%H%M%SZ" : "%Y%m%dT%H%M%S", &tm);
}

/* Appends the date-time property name: UTC, or Tokyo wall clock with its TZID. */
static void prop_time(struct buf *b, const char *name, int64_t t, bool utc)
{
	char v[20];
	ics_time(t, utc, v);
	struct buf l = {0};
	buf_printf(&l, "%s%s:%s", name, utc ? "" : ";TZID=Asia/Tokyo", v);
	ics_line(b, l.data, l.len);
	buf_free(&l);
}

/* A property whose value is not TEXT (URI): written as is, minus control characters. */
static void prop_raw(struct buf *b, const char *name, const char *value)
{
	struct buf l = {0};
	buf_printf(&l, "%s:", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p >= 0x20 && *p != 0x7f)
			buf_append(&l, p, 1);
	ics_line(b, l.data, l.len);
	buf_free(&l);
}

/* Appends the calendar's head with its name and the Asia/Tokyo VTIMEZONE (ics.h). */
void ics_begin(struct buf *b, const char *calname)
{
	static const char *const head[] = {
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//mamori//program calendar//JA",
		"CALSCALE:GREGORIAN",
		"METHOD:PUBLISH",
	};
	for (size_t i = 0; i < ARRAY_LEN(head); i++)
		ics_line(b, head[i], strlen(head[i]));
	ics_text_prop(b, "X-WR-CALNAME", calname);
	static const char *const tail[] = {
		"X-WR-TIMEZONE:Asia/Tokyo",
		"REFRESH-INTERVAL;VALUE=DURATION:PT6H",
		"X-PUBLISHED-TTL:PT6H",
		"BEGIN:VTIMEZONE",
		"TZID:Asia/Tokyo",
		"BEGIN:STANDARD",
		"DTSTART:19700101T000000",
		"TZOFFSETFROM:+0900",
		"TZOFFSETTO:+0900",
		"TZNAME:JST",
		"END:STANDARD",
		"END:VTIMEZONE",
	};
	for (size_t i = 0; i < ARRAY_LEN(tail); i++)
		ics_line(b, tail[i], strlen(tail[i]));
}

/* Appends one VEVENT (ics.h). */
void ics_event(struct buf *b, const struct ics_event *e, int64_t dtstamp)
{
	ics_line(b, "BEGIN:VEVENT", 12);
	ics_text_prop(b, "UID", e->uid ? e->uid : "");
	prop_time(b, "DTSTAMP", dtstamp, true);
	prop_time(b, "DTSTART", e->start, false);
	prop_time(b, "DTEND", e->end, false);
	if (e->created)
		prop_time(b, "CREATED", e->created, true);
	if (e->last_modified)
		prop_time(b, "LAST-MODIFIED", e->last_modified, true);
	struct buf l = {0};
	buf_printf(&l, "SEQUENCE:%d", e->sequence < 0 ? 0 : e->sequence);
	ics_line(b, l.data, l.len);
	buf_free(&l);
	ics_text_prop(b, "SUMMARY", e->summary ? e->summary : "");
	if (e->location && *e->location)
		ics_text_prop(b, "LOCATION", e->location);
	if (e->description && *e->description)
		ics_text_prop(b, "DESCRIPTION", e->description);
	if (e->url && *e->url)
		prop_raw(b, "URL", e->url);
	ics_line(b, "TRANSP:OPAQUE", 13);
	ics_line(b, "STATUS:CONFIRMED", 16);
	ics_line(b, "END:VEVENT", 10);
}

/* Appends END:VCALENDAR (ics.h). */
void ics_end(struct buf *b)
{
	ics_line(b, "END:VCALENDAR", 13);
}
