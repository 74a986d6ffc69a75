/* test_calendar.c — Japan's holidays against the Cabinet Office's published lists and per rule
 * of the Act on National Holidays; business-hours arithmetic against hand-worked cases and a
 * minute-by-minute reference; the `mamori calendar` command's output and exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "calendar.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- Helpers ---------------------------------------------------------------------------- */

static int64_t T(const char *s)
{
	int64_t t;
	assert_int_equal(time_parse_rfc3339(s, &t), 0);
	return t;
}

/* Formats in +09:00 into a rotating static buffer so two results can be compared in one call. */
static const char *jst(int64_t t)
{
	static char bufs[4][32];
	static int next;
	char *b = bufs[next++ % 4];
	calendar_format_jst(t, b);
	return b;
}

static const char *add_h(const struct business_hours *bh, const char *start, double hours)
{
	return jst(calendar_add_business_seconds(bh, T(start), (int64_t)(hours * 3600)));
}

#define DEF (&calendar_default_hours)
/* Asserts that start + hours business hours under bh formats as want (in +09:00). */
#define EXPECT_ADD(bh, start, hours, want) assert_string_equal(add_h(bh, start, hours), want)
/* Business seconds between two RFC 3339 times under the default hours. */
#define BETWEEN(from, to) calendar_business_seconds_between(DEF, T(from), T(to))

/* ---- Full years, as published by the Cabinet Office (内閣府「国民の祝日について」) -------- */

struct year_case {
	int year;
	const char *lines[CALENDAR_MAX_HOLIDAYS]; /* "MM-DD name", NULL-terminated */
};

static const struct year_case published[] = {
	{2019,
	 {"01-01 元日", "01-14 成人の日", "02-11 建国記念の日", "03-21 春分の日", "04-29 昭和の日",
	  "04-30 休日", "05-01 休日（祝日扱い）", "05-02 休日", "05-03 憲法記念日", "05-04 みどりの日",
	  "05-05 こどもの日", "05-06 休日", "07-15 海の日", "08-11 山の日", "08-12 休日",
	  "09-16 敬老の日", "09-23 秋分の日", "10-14 体育の日（スポーツの日）", "10-22 休日（祝日扱い）",
	  "11-03 文化の日", "11-04 休日", "11-23 勤労感謝の日", NULL}},
	{2020,
	 {"01-01 元日", "01-13 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "02-24 休日",
	  "03-20 春分の日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日",
	  "05-05 こどもの日", "05-06 休日", "07-23 海の日", "07-24 スポーツの日", "08-10 山の日",
	  "09-21 敬老の日", "09-22 秋分の日", "11-03 文化の日", "11-23 勤労感謝の日", NULL}},
	{2021,
	 {"01-01 元日", "01-11 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "03-20 春分の日",
	  "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日",
	  "07-22 海の日", "07-23 スポーツの日", "08-08 山の日", "08-09 休日", "09-20 敬老の日",
	  "09-23 秋分の日", "11-03 文化の日", "11-23 勤労感謝の日", NULL}},
	{2023,
	 {"01-01 元日", "01-02 休日", "01-09 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日",
	  "03-21 春分の日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日",
	  "05-05 こどもの日", "07-17 海の日", "08-11 山の日", "09-18 敬老の日", "09-23 秋分の日",
	  "10-09 スポーツの日", "11-03 文化の日", "11-23 勤労感謝の日", NULL}},
	{2024,
	 {"01-01 元日", "01-08 成人の日", "02-11 建国記念の日", "02-12 休日", "02-23 天皇誕生日",
	  "03-20 春分の日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日",
	  "05-05 こどもの日", "05-06 休日", "07-15 海の日", "08-11 山の日", "08-12 休日",
	  "09-16 敬老の日", "09-22 秋分の日", "09-23 休日", "10-14 スポーツの日", "11-03 文化の日",
	  "11-04 休日", "11-23 勤労感謝の日", NULL}},
	{2025,
	 {"01-01 元日", "01-13 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "02-24 休日",
	  "03-20 春分の日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日",
	  "05-05 こどもの日", "05-06 休日", "07-21 海の日", "08-11 山の日", "09-15 敬老の日",
	  "09-23 秋分の日", "10-13 スポーツの日", "11-03 文化の日", "11-23 勤労感謝の日",
	  "11-24 休日", NULL}},
	{2026,
	 {"01-01 元日", "01-12 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "03-20 春分の日",
	  "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日",
	  "05-06 休日", "07-20 海の日", "08-11 山の日", "09-21 敬老の日", "09-22 休日",
	  "09-23 秋分の日", "10-12 スポーツの日", "11-03 文化の日", "11-23 勤労感謝の日", NULL}},
};

static void test_published_years(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_LEN(published); c++) {
		const struct year_case *yc = &published[c];
		struct holiday h[CALENDAR_MAX_HOLIDAYS];
		int n = calendar_holidays(yc->year, h, CALENDAR_MAX_HOLIDAYS);
		int want = 0;
		while (yc->lines[want])
			want++;
		for (int i = 0; i < n && i < want; i++) {
			char got[128];
			snprintf(got, sizeof got, "%02d-%02d %s", h[i].month, h[i].day, h[i].name);
			if (strcmp(got, yc->lines[i]) != 0)
				fail_msg("%d entry %d: got '%s', want '%s'", yc->year, i, got,
					 yc->lines[i]);
			assert_int_equal(h[i].year, yc->year);
		}
		if (n != want)
			fail_msg("%d: %d holidays, want %d", yc->year, n, want);
	}
}

static void test_range_and_truncation(void **state)
{
	(void)state;
	struct holiday h[CALENDAR_MAX_HOLIDAYS];
	assert_int_equal(calendar_holidays(1954, h, CALENDAR_MAX_HOLIDAYS), -1);
	assert_int_equal(calendar_holidays(2100, h, CALENDAR_MAX_HOLIDAYS), -1);
	assert_true(calendar_holidays(1955, h, CALENDAR_MAX_HOLIDAYS) > 0);
	assert_true(calendar_holidays(2099, h, CALENDAR_MAX_HOLIDAYS) > 0);
	/* A short out[] gets the first entries and the full count. */
	struct holiday small[3] = {{0, 0, 0, NULL}};
	assert_int_equal(calendar_holidays(2026, small, 3), 18);
	assert_int_equal(small[2].month, 2);
	assert_int_equal(small[2].day, 11);
	assert_null(calendar_holiday_name(1954, 1, 1));
	assert_null(calendar_holiday_name(2100, 1, 1));
	assert_null(calendar_holiday_name(2026, 2, 30));
	assert_null(calendar_holiday_name(2026, 13, 1));
}

/* Every supported year is in strict date order and agrees with the per-date lookup. */
static void test_order_and_lookup_agree(void **state)
{
	(void)state;
	for (int y = CALENDAR_MIN_YEAR; y <= CALENDAR_MAX_YEAR; y++) {
		struct holiday h[CALENDAR_MAX_HOLIDAYS];
		int n = calendar_holidays(y, h, CALENDAR_MAX_HOLIDAYS);
		assert_true(n >= 9 && n < CALENDAR_MAX_HOLIDAYS);
		int listed = 0;
		for (int m = 1; m <= 12; m++)
			for (int d = 1; d <= 31; d++)
				if (calendar_holiday_name(y, m, d))
					listed++;
		assert_int_equal(listed, n);
		for (int i = 0; i < n; i++) {
			assert_non_null(h[i].name);
			const char *name = calendar_holiday_name(y, h[i].month, h[i].day);
			assert_string_equal(name, h[i].name);
			if (i > 0)
				assert_true(h[i - 1].month * 100 + h[i - 1].day <
					    h[i].month * 100 + h[i].day);
		}
	}
}

/* ---- Rule by rule ----------------------------------------------------------------------- */

struct day_case {
	int y, m, d;
	const char *name; /* NULL: no holiday */
};

static void check_days(const struct day_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = calendar_holiday_name(c[i].y, c[i].m, c[i].d);
		if (!c[i].name && got)
			fail_msg("%04d-%02d-%02d: got '%s', not a holiday", c[i].y, c[i].m, c[i].d,
				 got);
		if (c[i].name && (!got || strcmp(got, c[i].name) != 0))
			fail_msg("%04d-%02d-%02d: got '%s', want '%s'", c[i].y, c[i].m, c[i].d,
				 got ? got : "(none)", c[i].name);
	}
}

static void test_substitute_holidays(void **state)
{
	(void)state;
	static const struct day_case c[] = {
		{1973, 2, 12, NULL},       /* 2/11 on a Sunday, before the rule (1973-04-12) */
		{1973, 4, 30, "休日"},     /* the first substitute holiday */
		{1973, 9, 24, "休日"},     /* 秋分の日 9/23 on a Sunday */
		{1995, 1, 16, "休日"},     /* 成人の日 1/15 on a Sunday */
		{2006, 1, 2, "休日"},      /* 元日 on a Sunday, old rule */
		{1987, 5, 4, "休日"},      /* 憲法記念日 on a Sunday: Monday 5/4 */
		{2008, 5, 6, "休日"},      /* 2007 rule: みどりの日 on Sunday 5/4 → 5/6, past 5/5 */
		{2009, 5, 6, "休日"},      /* 憲法記念日 on Sunday 5/3 → 5/6 */
		{2013, 5, 6, "休日"},      /* こどもの日 on a Sunday */
		{2021, 8, 9, "休日"},      /* the moved 山の日 8/8 on a Sunday */
		{2023, 1, 2, "休日"},
		{2024, 9, 23, "休日"},
		{2025, 11, 24, "休日"},
		{2020, 2, 24, "休日"},     /* 天皇誕生日 2/23 on a Sunday */
		{2025, 5, 5, "こどもの日"}, /* a holiday on Monday keeps its own name */
		{2026, 5, 2, NULL},        /* Saturday holidays get no substitute */
		{2022, 4, 30, NULL},
	};
	check_days(c, ARRAY_LEN(c));
}

static void test_citizens_holidays(void **state)
{
	(void)state;
	static const struct day_case c[] = {
		{1986, 5, 4, NULL},    /* sandwiched but a Sunday: excluded before 2007 */
		{1988, 5, 4, "休日"},  /* the first 国民の休日 */
		{1992, 5, 4, "休日"},
		{1998, 5, 4, "休日"},  /* Monday: a substitute for Sunday 5/3 (also 休日) */
		{2003, 5, 4, NULL},    /* a Sunday */
		{2009, 9, 22, "休日"}, /* between 敬老の日 9/21 and 秋分の日 9/23 */
		{2015, 9, 22, "休日"},
		{2026, 9, 22, "休日"},
		{2032, 9, 21, "休日"},
		{2019, 4, 30, "休日"}, /* between 昭和の日 and 即位の日 */
		{2019, 5, 2, "休日"},  /* between 即位の日 and 憲法記念日 */
		{2020, 9, 21, "敬老の日"},
		{2020, 9, 22, "秋分の日"},
	};
	check_days(c, ARRAY_LEN(c));
}

static void test_equinoxes(void **state)
{
	(void)state;
	static const struct day_case c[] = {
		{1970, 3, 21, "春分の日"}, {1979, 3, 21, "春分の日"}, {1979, 9, 24, "秋分の日"},
		{1980, 3, 20, "春分の日"}, {1980, 9, 23, "秋分の日"}, {1992, 3, 20, "春分の日"},
		{2000, 3, 20, "春分の日"}, {2012, 9, 22, "秋分の日"}, {2016, 9, 22, "秋分の日"},
		{2025, 3, 20, "春分の日"}, {2025, 9, 23, "秋分の日"}, {2027, 3, 21, "春分の日"},
		{2027, 9, 23, "秋分の日"}, {2028, 3, 20, "春分の日"}, {2028, 9, 22, "秋分の日"},
		{2044, 9, 22, "秋分の日"}, {2050, 3, 20, "春分の日"}, {2050, 9, 23, "秋分の日"},
		{2092, 3, 19, "春分の日"}, {2012, 9, 23, NULL},       {2027, 3, 20, NULL},
		/* The formula gives 20.00005 here: pins the constant 20.8431 to its last digit. */
		{2088, 3, 20, "春分の日"}, {2088, 3, 19, NULL},
	};
	check_days(c, ARRAY_LEN(c));
}

static void test_historical_rules(void **state)
{
	(void)state;
	static const struct day_case c[] = {
		{1966, 2, 11, NULL},           {1967, 2, 11, "建国記念の日"},
		{1965, 9, 15, NULL},           {1966, 9, 15, "敬老の日"},
		{1966, 10, 10, "体育の日"},    {1980, 1, 15, "成人の日"},
		{1980, 10, 10, "体育の日"},    {1988, 4, 29, "天皇誕生日"},
		{1988, 12, 23, NULL},          {1989, 2, 24, "大喪の礼"},
		{1989, 4, 29, "みどりの日"},   {1989, 12, 23, "天皇誕生日"},
		{1990, 11, 12, "即位礼正殿の儀"}, {1993, 6, 9, "結婚の儀"},
		{1959, 4, 10, "結婚の儀"},     {1995, 7, 20, NULL},
		{1996, 7, 20, "海の日"},       {2002, 7, 20, "海の日"},
		{2003, 7, 21, "海の日"},       {2003, 7, 20, NULL},
		{1999, 1, 15, "成人の日"},     {2000, 1, 10, "成人の日"},
		{2000, 1, 15, NULL},           {1999, 10, 11, "休日"},
		{2000, 10, 9, "体育の日"},     {2002, 9, 15, "敬老の日"}, /* a Sunday */
		{2002, 9, 16, "休日"},         {2003, 9, 15, "敬老の日"},
		{2006, 4, 29, "みどりの日"},   {2006, 5, 4, "休日"},
		{2007, 4, 29, "昭和の日"},     {2007, 5, 4, "みどりの日"},
		{2015, 8, 11, NULL},           {2016, 8, 11, "山の日"},
		{2018, 12, 23, "天皇誕生日"},  {2018, 12, 24, "休日"},
		{2019, 2, 23, NULL},           {2019, 12, 23, NULL},
		{2019, 10, 14, "体育の日（スポーツの日）"},    {2020, 10, 12, NULL},
		{2021, 10, 11, NULL},          {2021, 7, 19, NULL},
		{2021, 8, 11, NULL},           {2022, 10, 10, "スポーツの日"},
		{2022, 7, 18, "海の日"},       {2022, 8, 11, "山の日"},
	};
	check_days(c, ARRAY_LEN(c));
}

/* ---- Business hours --------------------------------------------------------------------- */

static void test_business_basic(void **state)
{
	(void)state;
	/* Within one day; ending exactly at closing stays at closing. */
	EXPECT_ADD(DEF, "2026-11-24T10:00:00+09:00", 2, "2026-11-24T12:00:00+09:00");
	EXPECT_ADD(DEF, "2026-11-24T09:00:00+09:00", 8, "2026-11-24T17:00:00+09:00");
	EXPECT_ADD(DEF, "2026-11-24T09:00:00+09:00", 8.5, "2026-11-25T09:30:00+09:00");
	/* Weekend: Friday 16:00 + 2 h is Monday 10:00. */
	EXPECT_ADD(DEF, "2026-11-27T16:00:00+09:00", 2, "2026-11-30T10:00:00+09:00");
	/* A holiday: Friday 11/20 16:00 + 2 h skips 勤労感謝の日 (Monday 11/23). */
	EXPECT_ADD(DEF, "2026-11-20T16:00:00+09:00", 2, "2026-11-24T10:00:00+09:00");
	/* 16 business hours, the expert SLA: Wednesday 11:00 → Friday 11:00. */
	EXPECT_ADD(DEF, "2026-11-25T11:00:00+09:00", 16, "2026-11-27T11:00:00+09:00");
}

static void test_business_year_end(void **state)
{
	(void)state;
	/* Monday 28 Dec 16:00 + 2 h: 29 Dec – 3 Jan closed, Monday 4 Jan is open. */
	EXPECT_ADD(DEF, "2026-12-28T16:00:00+09:00", 2, "2027-01-04T10:00:00+09:00");
	/* Friday 26 Dec 2025 16:00 + 2 h: 4 Jan 2026 is a Sunday, so Monday 5 Jan. */
	EXPECT_ADD(DEF, "2025-12-26T16:00:00+09:00", 2, "2026-01-05T10:00:00+09:00");
	/* Starting inside the closure counts from the first opening after it. */
	EXPECT_ADD(DEF, "2026-12-30T10:00:00+09:00", 1, "2027-01-04T10:00:00+09:00");
	assert_false(calendar_is_business_day(DEF, 2026, 12, 29));
	assert_false(calendar_is_business_day(DEF, 2027, 1, 2)); /* a Saturday anyway */
	assert_false(calendar_is_business_day(DEF, 2030, 1, 3)); /* a Thursday */
	assert_true(calendar_is_business_day(DEF, 2026, 12, 28));
	assert_true(calendar_is_business_day(DEF, 2030, 1, 4));
	assert_false(calendar_is_business_day(DEF, 2026, 2, 30));
}

static void test_business_golden_week(void **state)
{
	(void)state;
	/* Friday 1 May 2026 16:00 + 2 h: 5/2–5/6 are Saturday, Sunday, three holidays and 休日. */
	EXPECT_ADD(DEF, "2026-05-01T16:00:00+09:00", 2, "2026-05-07T10:00:00+09:00");
	/* Tuesday 28 April 16:00 + 9 h: 1 h, then 昭和の日 (4/29), then 8 h on 4/30. */
	EXPECT_ADD(DEF, "2026-04-28T16:00:00+09:00", 9, "2026-04-30T17:00:00+09:00");
	/* 2019's ten days off: Friday 4/26 17:00 + 1 h is Tuesday 5/7 10:00. */
	EXPECT_ADD(DEF, "2019-04-26T17:00:00+09:00", 1, "2019-05-07T10:00:00+09:00");
}

static void test_business_utc_input_and_outside_start(void **state)
{
	(void)state;
	/* 07:00Z is 16:00 in Tokyo. */
	EXPECT_ADD(DEF, "2026-11-27T07:00:00Z", 2, "2026-11-30T10:00:00+09:00");
	/* 23:30Z on Sunday is 08:30 Monday in Tokyo: counting starts at 09:00. */
	EXPECT_ADD(DEF, "2026-11-29T23:30:00Z", 1, "2026-11-30T10:00:00+09:00");
	/* Before opening, after closing, on a Saturday. */
	EXPECT_ADD(DEF, "2026-11-24T07:00:00+09:00", 1, "2026-11-24T10:00:00+09:00");
	EXPECT_ADD(DEF, "2026-11-24T17:00:00+09:00", 1, "2026-11-25T10:00:00+09:00");
	EXPECT_ADD(DEF, "2026-11-24T23:59:59+09:00", 1, "2026-11-25T10:00:00+09:00");
	EXPECT_ADD(DEF, "2026-11-28T12:00:00+09:00", 1, "2026-11-30T10:00:00+09:00");
	/* Adding nothing: unchanged inside hours, the next opening outside them. */
	EXPECT_ADD(DEF, "2026-11-24T12:34:56+09:00", 0, "2026-11-24T12:34:56+09:00");
	EXPECT_ADD(DEF, "2026-11-28T12:00:00+09:00", 0, "2026-11-30T09:00:00+09:00");
	EXPECT_ADD(DEF, "2026-11-24T12:00:00+09:00", -5, "2026-11-24T12:00:00+09:00");
	/* Offsets other than Z and +09:00. */
	/* 02:00-05:00 is 16:00 Friday in Tokyo; the hour ends at closing. */
	EXPECT_ADD(DEF, "2026-11-27T02:00:00-05:00", 1, "2026-11-27T17:00:00+09:00");
}

static void test_business_custom_hours(void **state)
{
	(void)state;
	static const char *const closed[] = {"2026-11-30", "2026-12-01", "not-a-date", NULL};
	const struct business_hours bh = {.open_min = 10 * 60, .close_min = 18 * 60,
					  .extra_closed = closed};
	assert_int_equal(calendar_hours_check(&bh), -22);
	static const char *const ok_closed[] = {"2026-11-30", "2026-12-01", NULL};
	const struct business_hours ok = {.open_min = 10 * 60, .close_min = 18 * 60,
					  .extra_closed = ok_closed};
	assert_int_equal(calendar_hours_check(&ok), 0);
	assert_int_equal(calendar_hours_check(DEF), 0);
	/* Friday 17:00 + 2 h: 1 h Friday, Monday and Tuesday closed, Wednesday 11:00. */
	EXPECT_ADD(&ok, "2026-11-27T17:00:00+09:00", 2, "2026-12-02T11:00:00+09:00");
	/* The malformed entry is ignored; the valid ones still apply. */
	EXPECT_ADD(&bh, "2026-11-27T17:00:00+09:00", 2, "2026-12-02T11:00:00+09:00");
	assert_false(calendar_is_business_day(&ok, 2026, 11, 30));
	assert_true(calendar_is_business_day(DEF, 2026, 11, 30));
	/* An extra date on a holiday or a weekend changes nothing. */
	static const char *const dup[] = {"2026-11-23", "2026-11-28", "2026-11-23", NULL};
	const struct business_hours d = {.open_min = 540, .close_min = 1020, .extra_closed = dup};
	assert_int_equal(calendar_business_seconds_between(&d, T("2026-11-01T00:00:00+09:00"),
							   T("2026-12-01T00:00:00+09:00")),
			 BETWEEN("2026-11-01T00:00:00+09:00", "2026-12-01T00:00:00+09:00"));
	/* Round the clock. */
	const struct business_hours all_day = {.open_min = 0, .close_min = 1440};
	EXPECT_ADD(&all_day, "2026-11-27T23:00:00+09:00", 2, "2026-11-30T01:00:00+09:00");
	/* Hours with no business time never finish and count nothing. */
	const struct business_hours bad = {.open_min = 600, .close_min = 600, .extra_closed = NULL};
	assert_int_equal(calendar_hours_check(&bad), -22);
	assert_true(calendar_add_business_seconds(&bad, T("2026-11-27T10:00:00Z"), 1) == INT64_MAX);
	assert_int_equal(calendar_business_seconds_between(&bad, 0, 1000000), 0);
}

static void test_business_between(void **state)
{
	(void)state;
	assert_int_equal(BETWEEN("2026-11-27T16:00:00+09:00", "2026-11-30T10:00:00+09:00"),
			 2 * 3600);
	assert_int_equal(BETWEEN("2026-11-30T10:00:00+09:00", "2026-11-27T16:00:00+09:00"),
			 -2 * 3600);
	assert_int_equal(BETWEEN("2026-11-24T12:00:00Z", "2026-11-24T12:00:00Z"), 0);
	/* Saturday to Sunday: nothing. Within the year-end closure: nothing. */
	assert_int_equal(BETWEEN("2026-11-28T00:00:00+09:00", "2026-11-30T00:00:00+09:00"), 0);
	assert_int_equal(BETWEEN("2026-12-28T17:00:00+09:00", "2027-01-04T09:00:00+09:00"), 0);
	/* A whole 2026: 365 days less 104 weekend days, 16 weekday holidays and 休日 outside the
	 * year-end closure, and 5 weekdays in it (1/1 Thursday, 1/2 Friday, 12/29–12/31). */
	int64_t year = BETWEEN("2026-01-01T00:00:00+09:00", "2027-01-01T00:00:00+09:00");
	assert_int_equal(year, (int64_t)(365 - 104 - 16 - 5) * 8 * 3600);
}

/* Minute-by-minute reference for the default hours. */
static bool ref_open(int64_t t)
{
	static int64_t cached_day = INT64_MIN;
	static bool cached_open;
	int64_t local = t + 32400, day = local / 86400, sec = local % 86400;
	if (day != cached_day) {
		char buf[32];
		calendar_format_jst(t, buf);
		int y, m, d;
		sscanf(buf, "%d-%d-%d", &y, &m, &d);
		cached_open = calendar_is_business_day(DEF, y, m, d);
		cached_day = day;
	}
	return cached_open && sec >= 9 * 3600 && sec < 17 * 3600;
}

static int64_t ref_add(int64_t t, int64_t minutes)
{
	if (minutes == 0) {
		while (!ref_open(t))
			t += 60;
		return t;
	}
	for (;; t += 60)
		if (ref_open(t) && --minutes == 0)
			return t + 60;
}

static int64_t ref_between(int64_t from, int64_t to)
{
	int64_t n = 0;
	for (int64_t t = from; t < to; t += 60)
		if (ref_open(t))
			n += 60;
	return n;
}

static void test_business_against_reference(void **state)
{
	(void)state;
	srand(20261127);
	int64_t base = T("2025-12-01T00:00:00+09:00");
	for (int i = 0; i < 300; i++) {
		int64_t t = base + (int64_t)(rand() % (400 * 24 * 60)) * 60;
		int64_t minutes = rand() % (6 * 8 * 60);
		if (i % 10 == 0)
			minutes = 0;
		int64_t got = calendar_add_business_seconds(DEF, t, minutes * 60);
		int64_t want = ref_add(t, minutes);
		if (got != want)
			fail_msg("%s + %lld min: got %s, want %s", jst(t), (long long)minutes,
				 jst(got), jst(want));
		int64_t to = t + (int64_t)(rand() % (20 * 24 * 60)) * 60;
		assert_int_equal(calendar_business_seconds_between(DEF, t, to), ref_between(t, to));
	}
}

/* add and between are inverse over long spans too, with arbitrary seconds. */
static void test_business_round_trip(void **state)
{
	(void)state;
	srand(42);
	for (int i = 0; i < 2000; i++) {
		int64_t t = T("1960-01-01T00:00:00Z") + (int64_t)rand() * 7 % (140LL * 365 * 86400);
		int64_t s = rand() % (40 * 3600); /* short spans, and 1 in 3 up to 30 years */
		if (i % 3 == 0)
			s = (int64_t)rand() * 97 % (30LL * 250 * 8 * 3600);
		int64_t r = calendar_add_business_seconds(DEF, t, s);
		assert_true(r >= t);
		assert_int_equal(calendar_business_seconds_between(DEF, t, r), s);
	}
	/* 250 business days of 2027 from its first opening: count the days by hand. */
	int64_t start = T("2027-01-04T09:00:00+09:00");
	int64_t r = calendar_add_business_seconds(DEF, start, 200LL * 8 * 3600);
	int days = 0, y = 2027, m = 1, d = 4;
	char last[48] = "";
	while (days < 200) {
		if (calendar_is_business_day(DEF, y, m, d)) {
			days++;
			snprintf(last, sizeof last, "%04d-%02d-%02dT17:00:00+09:00", y, m, d);
		}
		static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		if (++d > mdays[m - 1]) {
			d = 1;
			m++;
		}
	}
	assert_string_equal(jst(r), last);
}

static void test_business_extremes(void **state)
{
	(void)state;
	int64_t t = T("2026-11-27T10:00:00Z");
	assert_true(calendar_add_business_seconds(DEF, t, INT64_MAX) == INT64_MAX);
	assert_true(calendar_add_business_seconds(DEF, INT64_MAX, 10) == INT64_MAX);
	assert_true(calendar_add_business_seconds(DEF, T("9999-12-31T16:00:00+09:00"), 7200) ==
		    INT64_MAX);
	/* A thousand years of business hours is computed year by year, not minute by minute. */
	int64_t far = calendar_add_business_seconds(DEF, t, 1000LL * 250 * 8 * 3600);
	assert_true(far != INT64_MAX && far > t);
	assert_int_equal(calendar_business_seconds_between(DEF, t, far), 1000LL * 250 * 8 * 3600);
	/* Before 1970 (negative epoch and day numbers). */
	EXPECT_ADD(DEF, "1969-07-10T18:00:00+09:00", 1, "1969-07-11T10:00:00+09:00");
	/* Friday 26 Dec 1969 16:30: half an hour, then the year-end closure and a weekend. */
	EXPECT_ADD(DEF, "1969-12-26T16:30:00+09:00", 1, "1970-01-05T09:30:00+09:00");
	/* Years outside the holiday table still close on weekends and at the year end. */
	assert_false(calendar_is_business_day(DEF, 2150, 1, 2));
	assert_true(calendar_is_business_day(DEF, 2150, 1, 5));
	assert_int_equal(calendar_business_seconds_between(DEF, INT64_MIN, INT64_MIN + 5), 0);
	char buf[32];
	calendar_format_jst(INT64_MAX, buf);
	assert_string_equal(buf, "9999-12-31T23:59:59+09:00");
}

/* ---- Command line ----------------------------------------------------------------------- */

struct cli_result {
	int rc;
	char out[4096], err[1024];
};

static void slurp(FILE *f, char *dst, size_t cap)
{
	fflush(f);
	rewind(f);
	size_t n = fread(dst, 1, cap - 1, f);
	dst[n] = 0;
}

static void run_cli(struct cli_result *r, int argc, const char **argv)
{
	FILE *out = tmpfile(), *err = tmpfile();
	assert_non_null(out);
	assert_non_null(err);
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	r->rc = calendar_cli(argc, (char **)argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	slurp(out, r->out, sizeof r->out);
	slurp(err, r->err, sizeof r->err);
	fclose(out);
	fclose(err);
}

static void test_cli_holidays(void **state)
{
	(void)state;
	struct cli_result r;
	const char *argv[] = {"calendar", "holidays", "2026"};
	run_cli(&r, 3, argv);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "2026-01-01\t元日\n2026-01-12\t成人の日\n"));
	assert_non_null(strstr(r.out, "2026-09-21\t敬老の日\n2026-09-22\t休日\n2026-09-23\t秋分の日\n"));
	int lines = 0;
	for (const char *p = r.out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 18);
	const char *last = "2026-11-23\t勤労感謝の日\n";
	assert_string_equal(r.out + strlen(r.out) - strlen(last), last);
}

static void test_cli_add_business_hours(void **state)
{
	(void)state;
	static const struct {
		const char *time, *hours, *want;
	} c[] = {
		{"2026-11-27T07:00:00Z", "2", "2026-11-30T10:00:00+09:00\n"},
		{"2026-11-27T16:00:00+09:00", "2", "2026-11-30T10:00:00+09:00\n"},
		/* 11:00Z on Wednesday is 20:00 in Tokyo: 16 h from Thursday 09:00. */
		{"2026-11-25T11:00:00Z", "16", "2026-11-27T17:00:00+09:00\n"},
		{"2026-11-24T09:00:00+09:00", "1.5", "2026-11-24T10:30:00+09:00\n"},
		{"2026-11-24T09:00:00+09:00", ".25", "2026-11-24T09:15:00+09:00\n"},
		{"2026-11-24T09:00:00+09:00", "0.0001", "2026-11-24T09:00:00+09:00\n"},
		{"2026-11-24T09:00:00+09:00", "0.0002", "2026-11-24T09:00:01+09:00\n"},
		{"2026-11-28T09:00:00+09:00", "0", "2026-11-30T09:00:00+09:00\n"},
		{"2026-12-28T16:00:00+09:00", "2", "2027-01-04T10:00:00+09:00\n"},
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct cli_result r;
		const char *argv[] = {"calendar", "add-business-hours", c[i].time, c[i].hours};
		run_cli(&r, 4, argv);
		assert_int_equal(r.rc, 0);
		assert_string_equal(r.err, "");
		assert_string_equal(r.out, c[i].want);
	}
}

static void test_cli_bad_arguments(void **state)
{
	(void)state;
	static const char *const bad[][5] = {
		{"calendar", NULL},
		{"calendar", "holidays", NULL},
		{"calendar", "holidays", "1954", NULL},
		{"calendar", "holidays", "2100", NULL},
		{"calendar", "holidays", "20x6", NULL},
		{"calendar", "holidays", "", NULL},
		{"calendar", "holidays", "2026", "2027", NULL},
		{"calendar", "nope", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00Z", NULL},
		{"calendar", "add-business-hours", "2026-11-27 10:00", "2", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00", "2", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00Z", "-1", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00Z", "1e3", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00Z", "", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00Z", ".", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00Z", "1.2.3", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00Z", "1000000.5", NULL},
		{"calendar", "add-business-hours", "2026-11-27T10:00:00Z", "9999999999999", NULL},
		{"calendar", "add-business-hours", "9999-12-31T10:00:00Z", "1000", NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		int argc = 0;
		while (bad[i][argc])
			argc++;
		struct cli_result r;
		run_cli(&r, argc, (const char **)bad[i]);
		if (r.rc != 2)
			fail_msg("case %zu: rc %d", i, r.rc);
		assert_string_equal(r.out, "");
		/* Exactly one line on stderr. */
		char *nl = strchr(r.err, '\n');
		assert_non_null(nl);
		assert_string_equal(nl + 1, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_years),
		cmocka_unit_test(test_range_and_truncation),
		cmocka_unit_test(test_order_and_lookup_agree),
		cmocka_unit_test(test_substitute_holidays),
		cmocka_unit_test(test_citizens_holidays),
		cmocka_unit_test(test_equinoxes),
		cmocka_unit_test(test_historical_rules),
		cmocka_unit_test(test_business_basic),
		cmocka_unit_test(test_business_year_end),
		cmocka_unit_test(test_business_golden_week),
		cmocka_unit_test(test_business_utc_input_and_outside_start),
		cmocka_unit_test(test_business_custom_hours),
		cmocka_unit_test(test_business_between),
		cmocka_unit_test(test_business_against_reference),
		cmocka_unit_test(test_business_round_trip),
		cmocka_unit_test(test_business_extremes),
		cmocka_unit_test(test_cli_holidays),
		cmocka_unit_test(test_cli_add_business_hours),
		cmocka_unit_test(test_cli_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
