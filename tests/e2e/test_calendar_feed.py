#!/usr/bin/env python3
"""The private calendar feed end to end (docs/API.md §9, docs/CALENDAR.md): the URL from
GET /api/v1/me/calendar, fetched without a session and parsed with a real iCalendar library
(Debian's python3-icalendar), RFC 5545 details checked on the raw bytes (CRLF only, lines folded
at 75 octets without splitting UTF-8, TEXT escaping), stable UIDs, DTSTAMP, times in Asia/Tokyo,
revocation (old URL 404), a suspended user's feed 404, no confidential text, and a database that
holds only the token's hash."""
import datetime
import hashlib
import os
import sqlite3
import sys
import time
from urllib.parse import quote, urlsplit

import icalendar

sys.path.insert(0, os.path.dirname(__file__))
from mamori import expect, run_tests  # noqa: E402
from forum_world import category, thread, user  # noqa: E402
from test_rounds import World  # noqa: E402

TOKYO = datetime.timezone(datetime.timedelta(hours=9))


def feed_path(client):
    st, body = client.get("/api/v1/me/calendar")
    expect(st == 200 and body["url"].endswith(".ics"), f"me/calendar: {st} {body}")
    parts = urlsplit(body["url"])
    expect(parts.scheme == "https" and parts.path.startswith("/calendar/"), f"url: {body['url']}")
    expect(body["webcal_url"] == "webcal://" + body["url"].split("://", 1)[1], f"webcal: {body}")
    return parts.path


def fetch(w, path):
    c = w.srv.client()  # no cookie: the URL alone is the credential
    st, raw = c.get(path)
    return st, raw, c.last_headers


def check_rfc5545(raw):
    """The raw-byte rules: CRLF line ends only, no line over 75 octets, folds never inside a
    UTF-8 sequence (every physical line decodes on its own). Returns the unfolded lines."""
    expect(raw.endswith(b"\r\n"), "ends with CRLF")
    body = raw[:-2]
    expect(b"\n" not in body.replace(b"\r\n", b"") and b"\r" not in body.replace(b"\r\n", b""),
           "no bare LF or CR")
    physical = body.split(b"\r\n")
    for line in physical:
        expect(len(line) <= 75, f"line over 75 octets ({len(line)}): {line!r}")
        line.decode("utf-8")  # raises on a split sequence
    unfolded = []
    for line in physical:
        if line.startswith(b" "):
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    return [u.decode("utf-8") for u in unfolded], physical


def test_feed_contents_and_rfc5545():
    with World() as w:
        st, std = w.admin.post("/api/v1/rounds/standard", {"year": 2026, "venue": "会場, 7F; 東京\\新宿"})
        expect(st == 201 and len(std["created"]) == 10, f"standard: {st}")
        path = feed_path(w.p1)
        expect(feed_path(w.p1) == path, "the same URL on every call")
        st, raw, h = fetch(w, path)
        expect(st == 200, f"feed: {st} {raw[:200]}")
        expect(h["content-type"] == "text/calendar; charset=utf-8", f"content type: {h['content-type']}")
        lines, physical = check_rfc5545(raw)
        expect(any(p.startswith(b" ") for p in physical), "long Japanese titles are folded")
        for must in ("BEGIN:VCALENDAR", "VERSION:2.0", "METHOD:PUBLISH", "BEGIN:VTIMEZONE", "TZID:Asia/Tokyo",
                     "END:VCALENDAR"):
            expect(must in lines, f"{must} present")
        expect(any(x.startswith("PRODID:") for x in lines) and any(x.startswith("X-WR-CALNAME:") for x in lines),
               "PRODID and X-WR-CALNAME")
        # TEXT escaping of the venue on the wire: \\ \; \,
        expect("LOCATION:会場\\, 7F\\; 東京\\\\新宿" in lines, f"escaped venue: {[x for x in lines if 'LOCATION' in x][:1]}")

        cal = icalendar.Calendar.from_ical(raw)
        expect(str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "PUBLISH", "calendar properties")
        events = cal.walk("VEVENT")
        expect(len(events) == 20, f"two events per round: {len(events)}")
        uids = [str(e["UID"]) for e in events]
        expect(len(set(uids)) == 20, f"unique UIDs: {uids}")
        by_round = {r["id"]: r for r in std["created"]}
        for e in events:
            expect("DTSTAMP" in e, "DTSTAMP present")
            uid = str(e["UID"])
            rid = int(uid.split("-")[1])
            part = uid.split("-")[2].split("@")[0]
            r = by_round[rid]
            start, end = e.decoded("DTSTART"), e.decoded("DTEND")
            expect(start.tzinfo is not None, "times are zoned")
            key = "seminar" if part == "seminar" else "workshop"
            api_start = datetime.datetime.strptime(r[f"{key}_starts_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc)
            expect(start == api_start, f"{uid}: {start} vs {api_start}")
            local = start.astimezone(TOKYO)
            expect((local.hour, local.minute) == ((13, 0) if key == "seminar" else (15, 15)), f"{uid}: {local}")
            expect(local.weekday() == 1, f"{uid}: a Tuesday in Tokyo")
            expect(end - start == datetime.timedelta(hours=2), f"{uid}: two hours")
            expect(str(e["LOCATION"]) == "会場, 7F; 東京\\新宿", f"unescaped venue: {e['LOCATION']}")
            expect(f"第{r['number']}回" in str(e["SUMMARY"]) and r["title"] in str(e["SUMMARY"]),
                   f"summary: {e['SUMMARY']}")
            expect(("セミナー" if key == "seminar" else "ワークショップ") in str(e["SUMMARY"]), "part named")
        # DTSTART carries TZID=Asia/Tokyo, DTSTAMP is UTC
        expect(any(x.startswith("DTSTART;TZID=Asia/Tokyo:20260728T130000") for x in lines), "round 1 at 13:00 JST")
        expect(all(x.endswith("Z") for x in lines if x.startswith("DTSTAMP:")), "DTSTAMP in UTC")

        # stable across fetches (and after a correction, with a higher SEQUENCE)
        time.sleep(1.1)
        st, raw2, _ = fetch(w, path)
        cal2 = icalendar.Calendar.from_ical(raw2)
        expect([str(e["UID"]) for e in cal2.walk("VEVENT")] == uids, "UIDs stable across fetches")
        r1 = std["created"][0]
        st, _ = w.admin.patch(f"/api/v1/rounds/{r1['id']}", {"venue": "オンライン"})
        st, raw3, _ = fetch(w, path)
        ev = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(raw3).walk("VEVENT")}
        moved = [e for u, e in ev.items() if u.startswith(f"round-{r1['id']}-")]
        expect(set(ev) == set(uids) and all(int(e["SEQUENCE"]) == 1 and str(e["LOCATION"]) == "オンライン"
                                              for e in moved), "same UID, SEQUENCE bumped")
        # every role has a feed; the secretariat's and the expert's have the same rounds
        for c in (w.ex, w.admin):
            st, raw4, _ = fetch(w, feed_path(c))
            expect(st == 200 and len(icalendar.Calendar.from_ical(raw4).walk("VEVENT")) == 20, "every role's feed")


def test_revoke_and_unknown():
    with World() as w:
        w.round(1, int(time.time()) + 86400)
        old = feed_path(w.p1)
        st, _, _ = fetch(w, old)
        expect(st == 200, "works before revocation")
        st, body = w.p1.delete("/api/v1/me/calendar")
        expect(st == 204, f"revoke: {st} {body}")
        st, _, _ = fetch(w, old)
        expect(st == 404, f"old URL after revocation: {st}")
        new = feed_path(w.p1)
        expect(new != old, "a new URL")
        st, _, _ = fetch(w, new)
        expect(st == 200, "the new URL works")
        st, _, _ = fetch(w, old)
        expect(st == 404, "the old URL never comes back")
        st, body = w.p1.delete("/api/v1/me/calendar", csrf=False)
        expect(st == 403, f"revoking needs CSRF: {st}")
        for bad in ("/calendar/nothing.ics", "/calendar/" + new.rsplit("/", 1)[1][:-4], "/calendar/.ics",
                    "/calendar/" + quote("トークン") + ".ics"):
            st, _, _ = fetch(w, bad)
            expect(st == 404, f"{bad}: {st}")
        st, _ = w.srv.client().get("/api/v1/me/calendar")
        expect(st == 401, "me/calendar needs a session")
        # the database holds the token's hash, never the token
        token = new.rsplit("/", 1)[1][:-4]
        db = sqlite3.connect(f"file:{w.srv.data}/mamori.db?mode=ro", uri=True)
        rows = db.execute("SELECT token_hash FROM calendar_feeds WHERE user_id = ?", (w.p1.uid,)).fetchall()
        dump = "\n".join(db.iterdump())
        db.close()
        expect(rows == [(hashlib.sha256(token.encode()).hexdigest(),)], f"hash stored: {rows}")
        expect(token not in dump, "the token is not in the database")


def test_suspended_and_withdrawn():
    with World() as w:
        w.round(1, int(time.time()) + 86400)
        path = feed_path(w.p1)
        st, body = w.admin.patch(f"/api/v1/users/{w.p1.uid}", {"status": "suspended"})
        expect(st == 200, f"suspend: {st} {body}")
        st, _, _ = fetch(w, path)
        expect(st == 404, f"suspended user's feed: {st}")
        st, body = w.admin.patch(f"/api/v1/users/{w.p1.uid}", {"status": "active"})
        st, _, _ = fetch(w, path)
        expect(st == 200, f"reactivated: {st}")
        path2 = feed_path(w.p2)
        st, _ = w.admin.patch(f"/api/v1/companies/{w.c2}", {"status": "withdrawn"})
        st, _, _ = fetch(w, path2)
        expect(st == 404, f"withdrawn company's participant: {st}")


def test_no_confidential_text():
    with World() as w:
        r = w.round(1, int(time.time()) + 86400, title="公開テーマ")
        w.upload(r["id"], "QQSECRETFILEQQ.pdf", b"QQSECRETBYTESQQ")
        m = w.upload(r["id"], "QQPUBFILEQQ.pdf", b"QQPUBBYTESQQ")
        w.admin.post(f"/api/v1/materials/{m['id']}/publish")
        cat = category(w.admin)
        thread(w.p1, cat, "QQCOTITLEQQ", "QQCOBODYQQ", visibility="company")
        thread(w.p1, cat, "QQCMTITLEQQ", "QQCMBODYQQ")
        for c in (w.p1, w.p2, w.ex, w.admin):
            st, raw, _ = fetch(w, feed_path(c))
            expect(st == 200, "feed")
            lines, _ = check_rfc5545(raw)
            text = "\n".join(lines)
            for bad in ("QQ", ".pdf"):
                expect(bad not in text, f"{bad} in a feed")
            expect("公開テーマ" in text, "the round is there")


if __name__ == "__main__":
    run_tests([test_feed_contents_and_rfc5545, test_revoke_and_unknown, test_suspended_and_withdrawn,
               test_no_confidential_text])
