/* calendar.h — Japan's national holidays (国民の祝日に関する法律 and the special laws that added
 * one-off days), business-hours arithmetic in Asia/Tokyo (fixed UTC+9, no DST) for SLA windows,
 * and the `mamori calendar` command. Everything here is pure computation: no state, no locks,
 * safe from any thread. */
#ifndef MAMORI_CALENDAR_H
#define MAMORI_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

/* Years for which calendar_holidays() knows the law (the span of the Cabinet Office's list). */
#define CALENDAR_MIN_YEAR 1955
#define CALENDAR_MAX_YEAR 2099
/* No year has more holidays than this; an out[] of this size always holds a whole year. */
#define CALENDAR_MAX_HOLIDAYS 32

/* One holiday. name is a static UTF-8 string, never freed. */
struct holiday {
	int year, month, day;
	const char *name;
};

/* Fills out[] (at most max entries) with YEAR's holidays in date order: national holidays,
 * the one-off days of special laws, substitute holidays and citizens' holidays (both named 休日).
 * Returns the number of holidays the year has, which may exceed max (then only max were written),
 * or -1 if year is outside CALENDAR_MIN_YEAR..CALENDAR_MAX_YEAR. */
int calendar_holidays(int year, struct holiday *out, int max);

/* The holiday name of that date, or NULL when it is no holiday, is not a valid date, or lies
 * outside the supported years. The string is static. */
const char *calendar_holiday_name(int year, int month, int day);

/* When work is done, in Asia/Tokyo. Open on Monday–Friday from open_min to close_min (minutes
 * from midnight, 0 <= open_min < close_min <= 1440), except on national holidays, from 29 December
 * to 3 January, and on the extra_closed dates ("YYYY-MM-DD", a NULL-terminated array, may be
 * NULL; malformed entries are ignored, calendar_hours_check() reports them). Years outside the
 * supported range have no national holidays; the other closures still apply. */
struct business_hours {
	int open_min, close_min;
	const char *const *extra_closed;
};

/* 09:00–17:00, no extra closed dates: the business hours of the contract. */
extern const struct business_hours calendar_default_hours;

/* 0 when bh is usable; -EINVAL when its hours are out of order or out of range, or an
 * extra_closed entry is not a valid YYYY-MM-DD date. For configuration loaders. */
int calendar_hours_check(const struct business_hours *bh);

/* True when that date is a business day under bh (an invalid date is not). */
bool calendar_is_business_day(const struct business_hours *bh, int year, int month, int day);

/* The epoch time `seconds` business seconds after t. Counting starts at t when t is within
 * business hours, else at the next opening (so adding 0 to a closed time gives the next opening).
 * A result that falls exactly on a closing time stays there (09:00 + 8 h is 17:00 the same day).
 * Negative seconds count as 0. Returns INT64_MAX when the result would lie after the year 9999
 * or bh has no business time at all; t before the year 1 counts from the year 1. */
int64_t calendar_add_business_seconds(const struct business_hours *bh, int64_t t, int64_t seconds);

/* Business seconds in [from, to); negative (the same amount) when to is before from, 0 when bh
 * has no business time. For any t and s >= 0 with a representable result,
 * calendar_business_seconds_between(bh, t, calendar_add_business_seconds(bh, t, s)) == s.
 * Times are clamped to the years 1..9999. */
int64_t calendar_business_seconds_between(const struct business_hours *bh, int64_t from,
					  int64_t to);

/* Formats t as RFC 3339 in Japan time, "2026-11-27T10:00:00+09:00", into buf[32]. Times after the
 * year 9999 print as 9999-12-31T23:59:59+09:00, before the year 1 as 0001-01-01T00:00:00+09:00. */
void calendar_format_jst(int64_t t, char buf[32]);

/* `mamori calendar ...`: argv[0] is "calendar", the rest the sub-command's words.
 *   holidays YEAR                 YYYY-MM-DD<TAB>name lines in date order
 *   add-business-hours TIME HOURS the RFC 3339 time (in +09:00) HOURS business hours after TIME
 * Writes results to stdout; bad arguments give one line on stderr and return 2; a failed write
 * to stdout returns 1; success returns 0. */
int calendar_cli(int argc, char **argv);

#endif
