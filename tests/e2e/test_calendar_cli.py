#!/usr/bin/env python3
"""`mamori calendar` (docs/API.md §1, issue 6) against the Cabinet Office's list of national holidays
(内閣府「国民の祝日について」, syukujitsu.csv) for recent years, and business-hours arithmetic
over weekends, holidays, 年末年始, Golden Week and input given in UTC.

The expected lists below are the Cabinet Office's rows as published (dates and names exactly as
the CSV writes them; its substitute and citizens' holidays are both named 休日).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import BIN, expect, run_tests  # noqa: E402

# Year → "M/D name" rows of syukujitsu.csv.
CABINET_OFFICE = {
    2019: """1/1 元日|1/14 成人の日|2/11 建国記念の日|3/21 春分の日|4/29 昭和の日|4/30 休日|5/1 休日（祝日扱い）|
             5/2 休日|5/3 憲法記念日|5/4 みどりの日|5/5 こどもの日|5/6 休日|7/15 海の日|8/11 山の日|8/12 休日|
             9/16 敬老の日|9/23 秋分の日|10/14 体育の日（スポーツの日）|10/22 休日（祝日扱い）|11/3 文化の日|
             11/4 休日|11/23 勤労感謝の日""",
    2020: """1/1 元日|1/13 成人の日|2/11 建国記念の日|2/23 天皇誕生日|2/24 休日|3/20 春分の日|4/29 昭和の日|
             5/3 憲法記念日|5/4 みどりの日|5/5 こどもの日|5/6 休日|7/23 海の日|7/24 スポーツの日|8/10 山の日|
             9/21 敬老の日|9/22 秋分の日|11/3 文化の日|11/23 勤労感謝の日""",
    2021: """1/1 元日|1/11 成人の日|2/11 建国記念の日|2/23 天皇誕生日|3/20 春分の日|4/29 昭和の日|5/3 憲法記念日|
             5/4 みどりの日|5/5 こどもの日|7/22 海の日|7/23 スポーツの日|8/8 山の日|8/9 休日|9/20 敬老の日|
             9/23 秋分の日|11/3 文化の日|11/23 勤労感謝の日""",
    2022: """1/1 元日|1/10 成人の日|2/11 建国記念の日|2/23 天皇誕生日|3/21 春分の日|4/29 昭和の日|5/3 憲法記念日|
             5/4 みどりの日|5/5 こどもの日|7/18 海の日|8/11 山の日|9/19 敬老の日|9/23 秋分の日|
             10/10 スポーツの日|11/3 文化の日|11/23 勤労感謝の日""",
    2023: """1/1 元日|1/2 休日|1/9 成人の日|2/11 建国記念の日|2/23 天皇誕生日|3/21 春分の日|4/29 昭和の日|
             5/3 憲法記念日|5/4 みどりの日|5/5 こどもの日|7/17 海の日|8/11 山の日|9/18 敬老の日|9/23 秋分の日|
             10/9 スポーツの日|11/3 文化の日|11/23 勤労感謝の日""",
    2024: """1/1 元日|1/8 成人の日|2/11 建国記念の日|2/12 休日|2/23 天皇誕生日|3/20 春分の日|4/29 昭和の日|
             5/3 憲法記念日|5/4 みどりの日|5/5 こどもの日|5/6 休日|7/15 海の日|8/11 山の日|8/12 休日|
             9/16 敬老の日|9/22 秋分の日|9/23 休日|10/14 スポーツの日|11/3 文化の日|11/4 休日|11/23 勤労感謝の日""",
    2025: """1/1 元日|1/13 成人の日|2/11 建国記念の日|2/23 天皇誕生日|2/24 休日|3/20 春分の日|4/29 昭和の日|
             5/3 憲法記念日|5/4 みどりの日|5/5 こどもの日|5/6 休日|7/21 海の日|8/11 山の日|9/15 敬老の日|
             9/23 秋分の日|10/13 スポーツの日|11/3 文化の日|11/23 勤労感謝の日|11/24 休日""",
    2026: """1/1 元日|1/12 成人の日|2/11 建国記念の日|2/23 天皇誕生日|3/20 春分の日|4/29 昭和の日|5/3 憲法記念日|
             5/4 みどりの日|5/5 こどもの日|5/6 休日|7/20 海の日|8/11 山の日|9/21 敬老の日|9/22 休日|
             9/23 秋分の日|10/12 スポーツの日|11/3 文化の日|11/23 勤労感謝の日""",
    2027: """1/1 元日|1/11 成人の日|2/11 建国記念の日|2/23 天皇誕生日|3/21 春分の日|3/22 休日|4/29 昭和の日|
             5/3 憲法記念日|5/4 みどりの日|5/5 こどもの日|7/19 海の日|8/11 山の日|9/20 敬老の日|9/23 秋分の日|
             10/11 スポーツの日|11/3 文化の日|11/23 勤労感謝の日""",
}


def expected_lines(year):
    out = []
    for row in CABINET_OFFICE[year].split("|"):
        md, name = row.split()
        m, d = md.split("/")
        out.append(f"{year}-{int(m):02d}-{int(d):02d}\t{name}")
    return out


def cli(*args):
    return subprocess.run([BIN, "calendar", *args], capture_output=True, text=True, timeout=30)


def holidays(year):
    p = cli("holidays", str(year))
    expect(p.returncode == 0 and p.stderr == "", f"holidays {year}: {p.returncode} {p.stderr}")
    return p.stdout.splitlines()


def compare(year):
    got, want = holidays(year), expected_lines(year)
    missing = [x for x in want if x not in got]
    extra = [x for x in got if x not in want]
    expect(got == want, f"{year}: missing {missing}, unexpected {extra}")


def test_holidays_match_the_cabinet_office_2020_to_2027():
    # Covers fixed days, Happy Monday days, both equinoxes, substitute holidays (2020-02-24,
    # 2023-01-02, 2024-11-04 ...), citizens' holidays (2026-09-22), and the Olympic moves of
    # 海の日, スポーツの日 and 山の日 in 2020 and 2021.
    for year in range(2020, 2028):
        compare(year)


def test_holidays_2019_as_the_cabinet_office_names_them():
    # The enthronement year: 5/1 and 10/22 were days off by a special law, listed by the Cabinet
    # Office as 休日（祝日扱い）, which made 4/30 and 5/2 citizens' holidays; 体育の日 is written
    # 体育の日（スポーツの日）.
    compare(2019)


def test_holidays_output_form():
    lines = holidays(2026)
    expect(lines == sorted(lines), "date order")
    expect(all(len(x.split("\t")) == 2 for x in lines), "one TAB per line")
    p = cli("holidays", "2026")
    expect(p.stdout.endswith("\n"), "ends with a newline")


def test_holidays_bad_arguments():
    for args in (["holidays"], ["holidays", "abc"], ["holidays", "1954"], ["holidays", "2100"],
                 ["holidays", "2026", "extra"], ["nonsense"], []):
        p = cli(*args)
        expect(p.returncode == 2, f"{args}: exit {p.returncode}")
        expect(p.stdout == "" and len(p.stderr.strip().splitlines()) == 1, f"{args}: one line on stderr: {p.stderr!r}")


ADD_CASES = [
    # (what, TIME, HOURS, expected)
    ("within one day", "2026-11-25T10:00:00+09:00", "2", "2026-11-25T12:00:00+09:00"),
    ("09:00 + 8 h ends at the close", "2026-11-25T09:00:00+09:00", "8", "2026-11-25T17:00:00+09:00"),
    ("the rest of the day carries over", "2026-11-25T16:00:00+09:00", "2", "2026-11-26T10:00:00+09:00"),
    ("weekend: Friday to Monday", "2026-11-27T16:00:00+09:00", "2", "2026-11-30T10:00:00+09:00"),
    ("a Saturday start counts from Monday's opening", "2026-11-28T12:00:00+09:00", "1", "2026-11-30T10:00:00+09:00"),
    ("adding 0 at a closed time gives the next opening", "2026-11-28T12:00:00+09:00", "0", "2026-11-30T09:00:00+09:00"),
    ("before opening", "2026-11-25T06:00:00+09:00", "1", "2026-11-25T10:00:00+09:00"),
    ("after closing", "2026-11-25T20:00:00+09:00", "1", "2026-11-26T10:00:00+09:00"),
    ("holiday: 勤労感謝の日 on a Monday", "2026-11-20T16:00:00+09:00", "2", "2026-11-24T10:00:00+09:00"),
    ("citizens' holiday: Silver Week 2026", "2026-09-18T16:00:00+09:00", "2", "2026-09-24T10:00:00+09:00"),
    ("年末年始: 29 December to 3 January", "2026-12-28T16:00:00+09:00", "2", "2027-01-04T10:00:00+09:00"),
    ("年末年始 on weekdays: 2025-12-29 is a Monday", "2025-12-26T16:00:00+09:00", "2", "2026-01-05T10:00:00+09:00"),
    ("Golden Week 2026", "2026-05-01T16:00:00+09:00", "2", "2026-05-07T10:00:00+09:00"),
    ("Golden Week 2019, ten days off", "2019-04-26T17:00:00+09:00", "1", "2019-05-07T10:00:00+09:00"),
    ("Olympic holidays 2020", "2020-07-22T16:00:00+09:00", "2", "2020-07-27T10:00:00+09:00"),
    ("16 hours is two business days", "2026-11-25T09:00:00+09:00", "16", "2026-11-26T17:00:00+09:00"),
    ("fractional hours", "2026-11-25T16:45:00+09:00", "0.5", "2026-11-26T09:15:00+09:00"),
    ("UTC input, 09:00 JST", "2026-11-25T00:00:00Z", "8", "2026-11-25T17:00:00+09:00"),
    ("UTC input on the previous UTC day", "2026-11-26T23:30:00Z", "1", "2026-11-27T10:00:00+09:00"),
    ("UTC input late Friday is the weekend in Tokyo", "2026-11-27T10:00:00Z", "1", "2026-11-30T10:00:00+09:00"),
    ("another offset", "2026-11-25T02:00:00+01:00", "1", "2026-11-25T11:00:00+09:00"),
    ("seconds are kept", "2026-11-25T10:00:30+09:00", "0.25", "2026-11-25T10:15:30+09:00"),
]


def test_add_business_hours():
    failures = []
    for what, t, h, want in ADD_CASES:
        p = cli("add-business-hours", t, h)
        got = p.stdout.strip()
        if p.returncode != 0 or got != want:
            failures.append(f"{what}: {t} + {h} → {got!r} (exit {p.returncode} {p.stderr.strip()}), want {want}")
    expect(not failures, "\n".join(failures))


def test_add_business_hours_bad_arguments():
    for args in (["2026-11-25T10:00:00Z"], ["bad", "1"], ["2026-11-25T10:00:00", "1"],
                 ["2026-11-25T10:00:00Z", "x"], ["2026-11-25T10:00:00Z", "-1"],
                 ["2026-11-25T10:00:00Z", "1", "2"]):
        p = cli("add-business-hours", *args)
        expect(p.returncode == 2, f"{args}: exit {p.returncode}")
        expect(p.stdout == "" and len(p.stderr.strip().splitlines()) == 1, f"{args}: {p.stderr!r}")


if __name__ == "__main__":
    run_tests([
        test_holidays_match_the_cabinet_office_2020_to_2027,
        test_holidays_2019_as_the_cabinet_office_names_them,
        test_holidays_output_form,
        test_holidays_bad_arguments,
        test_add_business_hours,
        test_add_business_hours_bad_arguments,
    ])
