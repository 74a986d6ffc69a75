/* calendar.c — Japan's national holidays computed from the Act on National Holidays
 * (国民の祝日に関する法律, 1948, as amended) and the special laws for one-off days, business-hours
 * arithmetic in Asia/Tokyo (UTC+9 all year), and the `mamori calendar` command.
 * Days are counted as integers (days since 1970-01-01 in the proleptic Gregorian calendar), so
 * arithmetic skips whole years and weeks instead of walking the clock. */
#include "calendar.h"

#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JST_OFFSET 32400 /* seconds east of UTC; Japan has had no DST since 1951 */
#define DAY_SECONDS 86400
#define ARITH_MIN_YEAR 1
#define ARITH_MAX_YEAR 9999
/* The CLI refuses more hours than this: about 480 years of business hours. */
#define CLI_MAX_HOURS 1000000

const struct business_hours calendar_default_hours = {
	.open_min = 9 * 60,
	.close_min = 17 * 60,
	.extra_closed = NULL,
};

/* ---- Day numbers ------------------------------------------------------------------------ */

/* a / b rounded toward negative infinity (C's division truncates toward zero). */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since 1970-01-01 of a Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = floor_div(yy, 400);
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The Gregorian date of day number z (days since 1970-01-01): the inverse of days_from_civil
 * (H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

/* 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday. */
static int weekday_of(int64_t days)
{
	return (int)(((days + 4) % 7 + 7) % 7);
}

/* True when y is a Gregorian leap year. */
static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* True when y-m-d is a date of the calendar: month 1-12, day within that month (29 February in leap
 * years only). */
static bool valid_date(int y, int m, int d)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

/* The Gregorian year of day number days. */
static int year_of_day(int64_t days)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	return y;
}

/* Day of the month of the nth (1-based) Monday of that month: the Happy Monday system. */
static int nth_monday(int y, int m, int n)
{
	int w = weekday_of(days_from_civil(y, m, 1));
	return (8 - w) % 7 + 1 + 7 * (n - 1);
}

/* ---- Holidays --------------------------------------------------------------------------- */

/* The equinox days follow the usual approximation of the National Astronomical Observatory's
 * figures: floor(C + 0.242194 (y - 1980) - floor((y - 1980) / 4)), with one C for 1900–1979 and
 * another for 1980–2099.
 * Integer arithmetic in millionths keeps it exact. The Cabinet Office fixes each year's equinox
 * days only in February of the year before, from the Observatory's ephemeris; this formula agrees
 * with every published date so far. */
static int equinox_day(int y, int64_t c_before_1980, int64_t c_1980_2099)
{
	int64_t c = y < 1980 ? c_before_1980 : c_1980_2099;
	int64_t v = c + 242194 * (int64_t)(y - 1980) - 1000000 * floor_div(y - 1980, 4);
	return (int)floor_div(v, 1000000);
}

/* The day of March of year y's vernal equinox day (春分の日). */
static int vernal_equinox(int y)
{
	return equinox_day(y, 20835700, 20843100);
}

/* The day of September of year y's autumnal equinox day (秋分の日). */
static int autumnal_equinox(int y)
{
	return equinox_day(y, 23258800, 23248800);
}

static const char SUBSTITUTE_NAME[] = "休日";

/* Days made holidays by special laws, outside the Act itself. The 2019 days were
 * 休日（祝日扱い）: treated as national holidays, so the citizens'-holiday rule gave 4/30 and 5/2. */
static const struct holiday one_off_days[] = {
	{1959, 4, 10, "結婚の儀"},                       /* 皇太子明仁親王の結婚の儀 */
	{1989, 2, 24, "大喪の礼"},                       /* 昭和天皇の大喪の礼 */
	{1990, 11, 12, "即位礼正殿の儀"},                /* 天皇明仁の即位礼正殿の儀 */
	{1993, 6, 9, "結婚の儀"},                        /* 皇太子徳仁親王の結婚の儀 */
	/* The Cabinet Office's list (syukujitsu.csv) names both 2019 days "休日（祝日扱い）". */
	{2019, 5, 1, "休日（祝日扱い）"},                /* 天皇の即位の日 */
	{2019, 10, 22, "休日（祝日扱い）"},              /* 即位礼正殿の儀の行われる日 */
};

struct day_list {
	int n;
	struct holiday h[CALENDAR_MAX_HOLIDAYS];
};

/* Appends the holiday y-m-d called name (a static string) to l; dropped when l is full
 * (CALENDAR_MAX_HOLIDAYS). */
static void list_add(struct day_list *l, int y, int m, int d, const char *name)
{
	if (l->n < CALENDAR_MAX_HOLIDAYS)
		l->h[l->n++] = (struct holiday){y, m, d, name};
}

/* qsort order of one year's holidays: by month, then day. */
static int holiday_cmp(const void *a, const void *b)
{
	const struct holiday *x = a, *y = b;
	if (x->month != y->month)
		return x->month - y->month;
	return x->day - y->day;
}

/* The day number of h's date. */
static int64_t holiday_days(const struct holiday *h)
{
	return days_from_civil(h->year, h->month, h->day);
}

/* True when l holds a holiday on day number days. */
static bool list_has(const struct day_list *l, int64_t days)
{
	for (int i = 0; i < l->n; i++)
		if (holiday_days(&l->h[i]) == days)
			return true;
	return false;
}

/* The 国民の祝日 proper of year y (Article 2 as in force that year, plus the one-off days, which
 * count as 国民の祝日 for the substitute and citizens'-holiday rules), sorted by date. */
static void national_days(int y, struct day_list *l)
{
	l->n = 0;
	list_add(l, y, 1, 1, "元日");
	list_add(l, y, 1, y < 2000 ? 15 : nth_monday(y, 1, 2), "成人の日");
	if (y >= 1967)
		list_add(l, y, 2, 11, "建国記念の日");
	if (y >= 2020)
		list_add(l, y, 2, 23, "天皇誕生日");
	list_add(l, y, 3, vernal_equinox(y), "春分の日");
	if (y <= 1988)
		list_add(l, y, 4, 29, "天皇誕生日");
	else
		list_add(l, y, 4, 29, y <= 2006 ? "みどりの日" : "昭和の日");
	list_add(l, y, 5, 3, "憲法記念日");
	if (y >= 2007)
		list_add(l, y, 5, 4, "みどりの日");
	list_add(l, y, 5, 5, "こどもの日");
	/* 海の日: 7/20 from 1996, third Monday of July from 2003; moved for the Tokyo Olympics by
	 * the special measures act (2020: 7/23; 2021: 7/22). */
	if (y == 2020)
		list_add(l, y, 7, 23, "海の日");
	else if (y == 2021)
		list_add(l, y, 7, 22, "海の日");
	else if (y >= 2003)
		list_add(l, y, 7, nth_monday(y, 7, 3), "海の日");
	else if (y >= 1996)
		list_add(l, y, 7, 20, "海の日");
	/* 山の日: 8/11 from 2016 (2020: 8/10; 2021: 8/8). */
	if (y == 2020)
		list_add(l, y, 8, 10, "山の日");
	else if (y == 2021)
		list_add(l, y, 8, 8, "山の日");
	else if (y >= 2016)
		list_add(l, y, 8, 11, "山の日");
	/* 敬老の日: 9/15 from 1966, third Monday of September from 2003. */
	if (y >= 2003)
		list_add(l, y, 9, nth_monday(y, 9, 3), "敬老の日");
	else if (y >= 1966)
		list_add(l, y, 9, 15, "敬老の日");
	list_add(l, y, 9, autumnal_equinox(y), "秋分の日");
	/* 体育の日: 10/10 from 1966, second Monday of October from 2000; renamed スポーツの日 in 2020
	 * (2020: 7/24; 2021: 7/23). */
	if (y == 2020)
		list_add(l, y, 7, 24, "スポーツの日");
	else if (y == 2021)
		list_add(l, y, 7, 23, "スポーツの日");
	else if (y >= 2022)
		list_add(l, y, 10, nth_monday(y, 10, 2), "スポーツの日");
	else if (y == 2019) /* the Cabinet Office writes the name the law gave it from 2020 */
		list_add(l, y, 10, nth_monday(y, 10, 2), "体育の日（スポーツの日）");
	else if (y >= 2000)
		list_add(l, y, 10, nth_monday(y, 10, 2), "体育の日");
	else if (y >= 1966)
		list_add(l, y, 10, 10, "体育の日");
	list_add(l, y, 11, 3, "文化の日");
	list_add(l, y, 11, 23, "勤労感謝の日");
	if (y >= 1989 && y <= 2018)
		list_add(l, y, 12, 23, "天皇誕生日");
	for (size_t i = 0; i < ARRAY_LEN(one_off_days); i++) {
		const struct holiday *o = &one_off_days[i];
		if (o->year == y)
			list_add(l, y, o->month, o->day, o->name);
	}
	qsort(l->h, (size_t)l->n, sizeof l->h[0], holiday_cmp);
}

/* Adds the 休日 of Article 3 to the national days of year y and sorts the whole. */
static void all_days(int y, struct day_list *l)
{
	national_days(y, l);
	struct day_list national = *l;
	/* 振替休日 (Art. 3(2)), in force from 1973-04-12: until 2006 the Monday after a national
	 * holiday on a Sunday; from 2007 the first following day that is no national holiday. */
	const int64_t substitute_from = days_from_civil(1973, 4, 12);
	const int64_t rule_2007 = days_from_civil(2007, 1, 1);
	struct day_list subs = {0};
	for (int i = 0; i < national.n; i++) {
		int64_t d = holiday_days(&national.h[i]);
		if (weekday_of(d) != 0 || d < substitute_from)
			continue;
		int64_t s = d + 1;
		if (d >= rule_2007) {
			while (list_has(&national, s))
				s++;
		} else if (list_has(&national, s)) {
			continue;
		}
		int sy, sm, sd;
		civil_from_days(s, &sy, &sm, &sd);
		list_add(&subs, sy, sm, sd, SUBSTITUTE_NAME);
	}
	/* 国民の休日 (Art. 3(3)), in force from 1985-12-27: a day whose eve and morrow are both
	 * national holidays. Until 2006 it excluded Sundays and substitute holidays. */
	const int64_t citizens_from = days_from_civil(1985, 12, 27);
	for (int i = 0; i + 1 < national.n; i++) {
		int64_t a = holiday_days(&national.h[i]), b = holiday_days(&national.h[i + 1]);
		int64_t mid = a + 1;
		if (b - a != 2 || mid < citizens_from || list_has(&subs, mid))
			continue;
		if (mid < rule_2007 && weekday_of(mid) == 0)
			continue;
		int my, mm, md;
		civil_from_days(mid, &my, &mm, &md);
		list_add(&subs, my, mm, md, SUBSTITUTE_NAME);
	}
	for (int i = 0; i < subs.n; i++)
		if (subs.h[i].year == y)
			list_add(l, y, subs.h[i].month, subs.h[i].day, subs.h[i].name);
	qsort(l->h, (size_t)l->n, sizeof l->h[0], holiday_cmp);
}

int calendar_holidays(int year, struct holiday *out, int max)
{
	if (year < CALENDAR_MIN_YEAR || year > CALENDAR_MAX_YEAR)
		return -1;
	struct day_list l;
	all_days(year, &l);
	for (int i = 0; i < l.n && i < max; i++)
		out[i] = l.h[i];
	return l.n;
}

const char *calendar_holiday_name(int year, int month, int day)
{
	if (year < CALENDAR_MIN_YEAR || year > CALENDAR_MAX_YEAR || !valid_date(year, month, day))
		return NULL;
	struct day_list l;
	all_days(year, &l);
	for (int i = 0; i < l.n; i++)
		if (l.h[i].month == month && l.h[i].day == day)
			return l.h[i].name;
	return NULL;
}

/* ---- Business days ---------------------------------------------------------------------- */

/* Parses exactly "YYYY-MM-DD" into a day number. */
static int parse_ymd(const char *s, int64_t *days, int *year)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < ARITH_MIN_YEAR || !valid_date(y, m, d))
		return -EINVAL;
	*days = days_from_civil(y, m, d);
	*year = y;
	return 0;
}

/* The weekdays of one year on which business is closed, as sorted distinct day numbers. */
struct closed_year {
	int year;
	int64_t first, end; /* the year's days are [first, end) */
	size_t n;
	int64_t *days;
};

/* qsort order of int64_t values, ascending. */
static int int64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Appends day d to cy's closed days when it is a weekday (weekends are closed anyway); cy->days was
 * sized by closed_year_init. */
static void closed_add(struct closed_year *cy, int64_t d)
{
	int w = weekday_of(d);
	if (w != 0 && w != 6)
		cy->days[cy->n++] = d;
}

/* Fills cy with the closed weekdays of year under bh, sorted and distinct: the year's holidays,
 * 1-3 January, 29-31 December and bh's extra_closed dates in that year. Allocates cy->days:
 * free it with closed_year_free. */
static void closed_year_init(struct closed_year *cy, const struct business_hours *bh, int year)
{
	size_t extras = 0;
	if (bh->extra_closed)
		while (bh->extra_closed[extras])
			extras++;
	cy->year = year;
	cy->first = days_from_civil(year, 1, 1);
	cy->end = days_from_civil(year + 1, 1, 1);
	cy->n = 0;
	cy->days = xmalloc((CALENDAR_MAX_HOLIDAYS + 6 + extras) * sizeof cy->days[0]);
	struct holiday hol[CALENDAR_MAX_HOLIDAYS];
	int nhol = calendar_holidays(year, hol, CALENDAR_MAX_HOLIDAYS);
	for (int i = 0; i < nhol; i++)
		closed_add(cy, holiday_days(&hol[i]));
	/* 年末年始: 29 December to 3 January. */
	for (int d = 1; d <= 3; d++)
		closed_add(cy, days_from_civil(year, 1, d));
	for (int d = 29; d <= 31; d++)
		closed_add(cy, days_from_civil(year, 12, d));
	for (size_t i = 0; i < extras; i++) {
		int64_t d;
		int y;
		if (parse_ymd(bh->extra_closed[i], &d, &y) == 0 && y == year)
			closed_add(cy, d);
	}
	qsort(cy->days, cy->n, sizeof cy->days[0], int64_cmp);
	size_t k = 0;
	for (size_t i = 0; i < cy->n; i++)
		if (k == 0 || cy->days[k - 1] != cy->days[i])
			cy->days[k++] = cy->days[i];
	cy->n = k;
}

/* Frees the days closed_year_init allocated. */
static void closed_year_free(struct closed_year *cy)
{
	free(cy->days);
	cy->days = NULL;
}

/* How many closed weekdays of cy come before day d. */
static int64_t closed_before(const struct closed_year *cy, int64_t d)
{
	size_t lo = 0, hi = cy->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cy->days[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int64_t)lo;
}

/* Monday–Friday days in [a, b), a <= b. */
static int64_t weekdays_between(int64_t a, int64_t b)
{
	int64_t n = b - a, count = n / 7 * 5;
	int w = weekday_of(a);
	for (int64_t i = 0; i < n % 7; i++, w = (w + 1) % 7)
		if (w != 0 && w != 6)
			count++;
	return count;
}

/* Business days in [a, b), both within cy's year (b may be cy->end). */
static int64_t year_business_days(const struct closed_year *cy, int64_t a, int64_t b)
{
	return weekdays_between(a, b) - (closed_before(cy, b) - closed_before(cy, a));
}

/* True when day d, in cy's year, is a weekday that is not closed. */
static bool year_is_business_day(const struct closed_year *cy, int64_t d)
{
	return year_business_days(cy, d, d + 1) == 1;
}

/* True when bh's hours lie in order within one day: 0 <= open_min < close_min <= 1440. */
static bool hours_valid(const struct business_hours *bh)
{
	return bh->open_min >= 0 && bh->open_min < bh->close_min && bh->close_min <= 24 * 60;
}

/* True when day number d is a business day under bh; works out that year's closures each call. */
static bool day_is_business(const struct business_hours *bh, int64_t d)
{
	struct closed_year cy;
	closed_year_init(&cy, bh, year_of_day(d));
	bool open = year_is_business_day(&cy, d);
	closed_year_free(&cy);
	return open;
}

int calendar_hours_check(const struct business_hours *bh)
{
	if (!hours_valid(bh))
		return -EINVAL;
	for (size_t i = 0; bh->extra_closed && bh->extra_closed[i]; i++) {
		int64_t d;
		int y;
		if (parse_ymd(bh->extra_closed[i], &d, &y) != 0 || y > ARITH_MAX_YEAR)
			return -EINVAL;
	}
	return 0;
}

bool calendar_is_business_day(const struct business_hours *bh, int year, int month, int day)
{
	if (year < ARITH_MIN_YEAR || year > ARITH_MAX_YEAR || !valid_date(year, month, day))
		return false;
	return day_is_business(bh, days_from_civil(year, month, day));
}

/* ---- Business seconds ------------------------------------------------------------------- */

/* The earliest time the arithmetic handles, 0001-01-01T00:00:00+09:00, as epoch seconds. */
static int64_t t_min(void)
{
	return days_from_civil(ARITH_MIN_YEAR, 1, 1) * DAY_SECONDS - JST_OFFSET;
}

/* The latest, 9999-12-31T23:59:59+09:00, as epoch seconds. */
static int64_t t_max(void)
{
	return days_from_civil(ARITH_MAX_YEAR + 1, 1, 1) * DAY_SECONDS - JST_OFFSET - 1;
}

/* t clamped to [t_min(), t_max()]. */
static int64_t clamp_time(int64_t t)
{
	int64_t lo = t_min(), hi = t_max();
	return t < lo ? lo : t > hi ? hi : t;
}

/* Sets *out to the k-th (k >= 1) business day on or after day d; -ERANGE if that is after the
 * year 9999. Skips whole years by their business-day count, then bisects inside the year. */
static int nth_business_day(const struct business_hours *bh, int64_t d, int64_t k, int64_t *out)
{
	int year = year_of_day(d);
	while (year <= ARITH_MAX_YEAR) {
		struct closed_year cy;
		closed_year_init(&cy, bh, year);
		int64_t avail = year_business_days(&cy, d, cy.end);
		if (k > avail) {
			k -= avail;
			d = cy.end;
			closed_year_free(&cy);
			year++;
			continue;
		}
		int64_t lo = d, hi = cy.end - 1;
		while (lo < hi) {
			int64_t mid = lo + (hi - lo) / 2;
			if (year_business_days(&cy, d, mid + 1) >= k)
				hi = mid;
			else
				lo = mid + 1;
		}
		closed_year_free(&cy);
		*out = lo;
		return 0;
	}
	return -ERANGE;
}

int64_t calendar_add_business_seconds(const struct business_hours *bh, int64_t t, int64_t seconds)
{
	if (!hours_valid(bh) || t > t_max())
		return INT64_MAX;
	t = clamp_time(t);
	if (seconds < 0)
		seconds = 0;
	const int64_t open = (int64_t)bh->open_min * 60, close = (int64_t)bh->close_min * 60;
	const int64_t per_day = close - open;
	int64_t local = t + JST_OFFSET;
	int64_t day = floor_div(local, DAY_SECONDS), sec = local - day * DAY_SECONDS;
	if (sec < close && day_is_business(bh, day)) {
		int64_t start = sec > open ? sec : open;
		if (seconds <= close - start)
			return day * DAY_SECONDS + start + seconds - JST_OFFSET;
		seconds -= close - start;
	}
	/* From the start of the next day on, whole business days of per_day seconds each; the last
	 * one is used for the remainder in (0, per_day], or its opening when nothing is left. */
	int64_t k = seconds == 0 ? 1 : (seconds - 1) / per_day + 1;
	int64_t offset = seconds - (k - 1) * per_day;
	int64_t d;
	if (nth_business_day(bh, day + 1, k, &d) != 0)
		return INT64_MAX;
	return d * DAY_SECONDS + open + offset - JST_OFFSET;
}

/* Business seconds of day d before second-of-day s. */
static int64_t seconds_into_day(const struct business_hours *bh, int64_t d, int64_t s)
{
	const int64_t open = (int64_t)bh->open_min * 60, close = (int64_t)bh->close_min * 60;
	if (s <= open || !day_is_business(bh, d))
		return 0;
	return (s < close ? s : close) - open;
}

int64_t calendar_business_seconds_between(const struct business_hours *bh, int64_t from, int64_t to)
{
	if (!hours_valid(bh))
		return 0;
	from = clamp_time(from);
	to = clamp_time(to);
	if (to < from)
		return -calendar_business_seconds_between(bh, to, from);
	const int64_t per_day = (int64_t)(bh->close_min - bh->open_min) * 60;
	int64_t lf = from + JST_OFFSET, lt = to + JST_OFFSET;
	int64_t df = floor_div(lf, DAY_SECONDS), dt = floor_div(lt, DAY_SECONDS);
	/* Whole business days in [df, dt), a year at a time. */
	int64_t days = 0;
	for (int64_t d = df; d < dt;) {
		struct closed_year cy;
		closed_year_init(&cy, bh, year_of_day(d));
		int64_t end = cy.end < dt ? cy.end : dt;
		days += year_business_days(&cy, d, end);
		d = end;
		closed_year_free(&cy);
	}
	return days * per_day - seconds_into_day(bh, df, lf - df * DAY_SECONDS) +
	       seconds_into_day(bh, dt, lt - dt * DAY_SECONDS);
}

void calendar_format_jst(int64_t t, char buf[32])
{
	int64_t local = clamp_time(t) + JST_OFFSET;
	int64_t day = floor_div(local, DAY_SECONDS), sec = local - day * DAY_SECONDS;
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	/* The clamp keeps the text at 25 bytes; the wide buffer only quiets -Wformat-truncation. */
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d+09:00", y, m, d, (int)(sec / 3600),
		 (int)(sec / 60 % 60), (int)(sec % 60));
	size_t n = strnlen(tmp, 31); /* up to its NUL only: the bytes after it are not initialised */
	memcpy(buf, tmp, n);
	buf[n] = 0;
}

/* ---- Command line ----------------------------------------------------------------------- */

/* A year: digits only. */
static int parse_year(const char *s, int *out)
{
	if (!*s || strlen(s) > 6)
		return -EINVAL;
	int v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return 0;
}

/* HOURS as a non-negative decimal ("16", "1.5", ".25") into seconds, rounded to the nearest
 * second (only the first nine decimals are considered). */
static int parse_hours(const char *s, int64_t *seconds)
{
	const char *p = s;
	int64_t whole = 0, frac = 0, scale = 1000000000;
	int digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		whole = whole * 10 + (*p - '0');
		if (whole > CLI_MAX_HOURS)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		for (int i = 0; *p >= '0' && *p <= '9'; p++, i++, digits++) {
			if (i < 9) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (*p || digits == 0)
		return -EINVAL;
	if (whole == CLI_MAX_HOURS && frac > 0)
		return -ERANGE;
	*seconds = whole * 3600 + (frac * 3600 + 500000000) / 1000000000;
	return 0;
}

/* Prints the command's usage to stderr; returns 2 (bad arguments). */
static int cli_usage(void)
{
	fprintf(stderr, "usage: mamori calendar holidays YEAR | mamori calendar add-business-hours "
			"TIME HOURS\n");
	return 2;
}

/* Flushes stdout; returns 0, or 1 with a message on stderr when the output could not be written. */
static int cli_finish(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mamori calendar: cannot write to standard output\n");
		return 1;
	}
	return 0;
}

/* `mamori calendar holidays YEAR`: prints YEAR's holidays, one YYYY-MM-DD<TAB>name line each.
 * Returns the exit status. */
static int cli_holidays(const char *arg)
{
	int year;
	if (parse_year(arg, &year) != 0 || year < CALENDAR_MIN_YEAR || year > CALENDAR_MAX_YEAR) {
		fprintf(stderr, "mamori calendar: YEAR must be a year from %d to %d, not '%s'\n",
			CALENDAR_MIN_YEAR, CALENDAR_MAX_YEAR, arg);
		return 2;
	}
	struct holiday h[CALENDAR_MAX_HOLIDAYS];
	int n = calendar_holidays(year, h, CALENDAR_MAX_HOLIDAYS);
	for (int i = 0; i < n; i++)
		printf("%04d-%02d-%02d\t%s\n", h[i].year, h[i].month, h[i].day, h[i].name);
	return cli_finish();
}

/* `mamori calendar add-business-hours TIME HOURS`: prints, in +09:00, the time HOURS business hours
 * (calendar_default_hours) after TIME. Returns the exit status. */
static int cli_add_business_hours(const char *time_arg, const char *hours_arg)
{
	int64_t t, seconds;
	if (time_parse_rfc3339(time_arg, &t) != 0 || t < t_min() || t > t_max()) {
		fprintf(stderr, "mamori calendar: TIME must be an RFC 3339 time such as "
				"2026-11-25T11:00:00Z, not '%s'\n",
			time_arg);
		return 2;
	}
	int rc = parse_hours(hours_arg, &seconds);
	if (rc == -ERANGE) {
		fprintf(stderr, "mamori calendar: HOURS must be at most %d\n", CLI_MAX_HOURS);
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr,
			"mamori calendar: HOURS must be a number such as 16 or 1.5, not '%s'\n",
			hours_arg);
		return 2;
	}
	int64_t r = calendar_add_business_seconds(&calendar_default_hours, t, seconds);
	if (r == INT64_MAX) {
		fprintf(stderr, "mamori calendar: the result would be after the year %d\n",
			ARITH_MAX_YEAR);
		return 2;
	}
	char buf[32];
	calendar_format_jst(r, buf);
	printf("%s\n", buf);
	return cli_finish();
}

int calendar_cli(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "holidays") == 0) {
		if (argc != 3)
			return cli_usage();
		return cli_holidays(argv[2]);
	}
	if (strcmp(cmd, "add-business-hours") == 0) {
		if (argc != 4)
			return cli_usage();
		return cli_add_business_hours(argv[2], argv[3]);
	}
	fprintf(stderr,
		"mamori calendar: unknown sub-command '%s' (holidays, add-business-hours)\n", cmd);
	return 2;
}
