/* test_findings.c — the case collection's identifying-terms check (server/findings.c): company
 * names with and without legal-form words, people's names and addresses, e-mail, IPv4 and
 * Japanese phone numbers, in Japanese and English drafts, full-width and half-width; positions
 * that point back at the draft; and realistic clean drafts that must give no finding at all
 * (dates, amounts, times, percentages, versions, postcodes, counts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "text.h"
#include "util.h"

/* The program's registry as the server would feed it. */
static void dictionary(struct finding_terms *t)
{
	finding_terms_add_company(t, "株式会社アルファ製作所");
	finding_terms_add_company(t, "Alpha Co., Ltd.");
	finding_terms_add_company(t, "(株)ベータ物流");
	finding_terms_add_company(t, "ガンマ合同会社");
	finding_terms_add_company(t, "\xe3\x88\xb1デルタ"); /* ㈱デルタ */
	finding_terms_add_company(t, "Epsilon Inc.");
	finding_terms_add_company(t, "有限会社ゼータ");
	finding_terms_add_person(t, "山田 太郎");
	finding_terms_add_person(t, "Hanako Suzuki");
	finding_terms_add(t, "taro@alpha.example.jp", FINDING_EMAIL);
}

static struct findings scan(const char *text)
{
	struct finding_terms t = {0};
	dictionary(&t);
	struct findings f = {0};
	findings_scan(&f, "body", text, strlen(text), &t);
	finding_terms_free(&t);
	return f;
}

/* Index of the finding with this kind and term, or -1. */
static int find(const struct findings *f, const char *kind, const char *term)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].kind, kind) == 0 && strcmp(f->v[i].term, term) == 0)
			return (int)i;
	return -1;
}

static void dump(const struct findings *f, const char *text)
{
	for (size_t i = 0; i < f->n; i++)
		print_message("  %s [%s] at %zu-%zu in [%s]\n", f->v[i].kind, f->v[i].term, f->v[i].pos[0].start,
			      f->v[i].pos[0].end, text);
}

/* text must give a finding of kind whose draft span is exactly `span`. */
static void expect(const char *text, const char *kind, const char *span)
{
	struct findings f = scan(text);
	bool ok = false;
	for (size_t i = 0; i < f.n && !ok; i++) {
		if (strcmp(f.v[i].kind, kind) != 0)
			continue;
		for (size_t j = 0; j < f.v[i].npos; j++) {
			size_t s = f.v[i].pos[j].start, e = f.v[i].pos[j].end;
			if (e - s == strlen(span) && memcmp(text + s, span, e - s) == 0)
				ok = true;
		}
	}
	if (!ok) {
		dump(&f, text);
		fail_msg("expected %s [%s] in [%s]", kind, span, text);
	}
	findings_free(&f);
}

static void expect_clean(const char *text)
{
	struct findings f = scan(text);
	if (f.n) {
		dump(&f, text);
		fail_msg("expected no finding in [%s]", text);
	}
	findings_free(&f);
}

static void test_company_names_japanese(void **state)
{
	(void)state;
	expect("株式会社アルファ製作所では、", FINDING_COMPANY_NAME, "株式会社アルファ製作所");
	expect("アルファ製作所の社長は", FINDING_COMPANY_NAME, "アルファ製作所");
	expect("ｱﾙﾌｧ製作所の工場", FINDING_COMPANY_NAME, "ｱﾙﾌｧ製作所"); /* half-width kana */
	expect("（株）ベータ物流と", FINDING_COMPANY_NAME, "ベータ物流");
	expect("ベータ物流の倉庫", FINDING_COMPANY_NAME, "ベータ物流");
	expect("ガンマでは", FINDING_COMPANY_NAME, "ガンマ");
	expect("\xe3\x88\xb1デルタの", FINDING_COMPANY_NAME, "デルタ");
	expect("デルタ社の担当", FINDING_COMPANY_NAME, "デルタ");
	expect("ゼータの経理", FINDING_COMPANY_NAME, "ゼータ");
}

static void test_company_names_english_width_case(void **state)
{
	(void)state;
	expect("We visited Alpha last May.", FINDING_COMPANY_NAME, "Alpha");
	expect("ＡＬＰＨＡの事例", FINDING_COMPANY_NAME, "ＡＬＰＨＡ");
	expect("alpha co., ltd. reported", FINDING_COMPANY_NAME, "alpha co., ltd.");
	expect("ａｌｐｈａ", FINDING_COMPANY_NAME, "ａｌｐｈａ");
	expect("EPSILON's network", FINDING_COMPANY_NAME, "EPSILON");
	expect("Ｅｐｓｉｌｏｎ　Ｉｎｃ．", FINDING_COMPANY_NAME, "Ｅｐｓｉｌｏｎ　Ｉｎｃ．");
	/* inside a longer ASCII word it is not the name */
	expect_clean("The alphabet and alphanumeric passwords");
	expect_clean("Epsilons are small.");
}

static void test_person_names(void **state)
{
	(void)state;
	expect("担当の山田太郎さんは", FINDING_PERSON_NAME, "山田太郎");
	expect("山田 太郎", FINDING_PERSON_NAME, "山田 太郎");
	expect("山田さんが説明した", FINDING_PERSON_NAME, "山田");
	expect("Ms. Suzuki explained", FINDING_PERSON_NAME, "Suzuki");
	expect("HANAKO SUZUKI", FINDING_PERSON_NAME, "HANAKO SUZUKI");
	expect("ｈａｎａｋｏ", FINDING_PERSON_NAME, "ｈａｎａｋｏ");
}

static void test_email(void **state)
{
	(void)state;
	expect("連絡先: taro@alpha.example.jp まで", FINDING_EMAIL, "taro@alpha.example.jp");
	expect("ＴＡＲＯ＠ａｌｐｈａ．ｅｘａｍｐｌｅ．ｊｐ", FINDING_EMAIL, "ＴＡＲＯ＠ａｌｐｈａ．ｅｘａｍｐｌｅ．ｊｐ");
	expect("write to info@other.co.jp.", FINDING_EMAIL, "info@other.co.jp");
	expect("<a.b-c+d@mail.example.com>", FINDING_EMAIL, "a.b-c+d@mail.example.com");
	/* the user's address found twice is one finding with two positions */
	struct findings f = scan("taro@alpha.example.jp / TARO@ALPHA.EXAMPLE.JP");
	int i = find(&f, FINDING_EMAIL, "taro@alpha.example.jp");
	assert_true(i >= 0);
	assert_int_equal(f.v[i].npos, 2);
	findings_free(&f);
	expect_clean("@mentions and @kenji are not addresses; nor is a@b");
}

static void test_ipv4(void **state)
{
	(void)state;
	expect("ルーターは192.168.1.1です", FINDING_IP, "192.168.1.1");
	expect("server 10.0.0.254.", FINDING_IP, "10.0.0.254");
	expect("１９２．１６８．０．１０", FINDING_IP, "１９２．１６８．０．１０");
	expect_clean("version 1.2.3 and 2.10.4 were installed");
	expect_clean("OID 1.3.6.1.4.1 is not an address");
	expect_clean("999.1.1.1 is not an address");
	expect_clean("Section 3.2.1.4.5 and 1.2.3.4.5.6");
	expect("http://172.16.0.1/admin", FINDING_IP, "172.16.0.1");
}

static void test_phone(void **state)
{
	(void)state;
	expect("電話 03-1234-5678 まで", FINDING_PHONE, "03-1234-5678");
	expect("フリーダイヤル0120-138-166", FINDING_PHONE, "0120-138-166");
	expect("携帯090-1234-5678", FINDING_PHONE, "090-1234-5678");
	expect("０３－１２３４－５６７８", FINDING_PHONE, "０３－１２３４－５６７８");
	expect("045-123-4567", FINDING_PHONE, "045-123-4567");
	expect("03(1234)5678", FINDING_PHONE, "03(1234)5678");
	expect("TEL:0312345678", FINDING_PHONE, "0312345678");
	expect("+81-3-1234-5678", FINDING_PHONE, "+81-3-1234-5678");
}

static void test_positions_map_to_the_draft(void **state)
{
	(void)state;
	const char *text = "前文。ＡＬＰＨＡと山田。";
	struct findings f = scan(text);
	int i = find(&f, FINDING_COMPANY_NAME, "Alpha");
	assert_true(i >= 0);
	assert_int_equal(f.v[i].pos[0].start, strlen("前文。"));
	assert_int_equal(f.v[i].pos[0].end, strlen("前文。ＡＬＰＨＡ"));
	/* UTF-16 offsets as the browser counts */
	assert_int_equal(findings_utf16_offset(text, f.v[i].pos[0].start), 3);
	assert_int_equal(findings_utf16_offset(text, f.v[i].pos[0].end), 8);
	assert_string_equal(f.v[i].pos[0].field, "body");
	findings_free(&f);
	assert_int_equal(findings_utf16_offset("\xf0\x9f\x98\x80x", 4), 2); /* an emoji is two units */
}

static void test_short_terms_ignored(void **state)
{
	(void)state;
	struct finding_terms t = {0};
	finding_terms_add_company(&t, "A株式会社");
	finding_terms_add_person(&t, "X");
	assert_int_equal(t.n, 1); /* "A株式会社" itself; "A" and "X" would match everywhere */
	finding_terms_free(&t);
}

/* Realistic drafts after anonymisation: no finding at all. */
static const char *const clean_drafts[] = {
	"## 取組の概要\n\nA社（製造業、従業員45名）は、2026年6月から専門家と月1回の打合せを重ねた。"
	"令和6年1月23日に基本方針を策定し、2026-12-02に全社説明会を行った。",
	"投資額は300,000,000円、うちセキュリティ対策費は1,200,000円（全体の0.4%）。",
	"会議は13:00〜15:30。参加者は12名、満足度は92.5%だった。",
	"OSを Windows 10 22H2 から 11 23H2 へ更新し、ソフトウェアのバージョン 1.2.3 を 2.0.1 に上げた。",
	"UTMの設定値（閾値 100、保持期間 90 日）を見直し、ログを 365 日保管することにした。",
	"〒160-0023 東京都新宿区の事業所で、第3回訪問（2時間）を実施。",
	"バックアップは 3-2-1 ルールに従い、毎日 02:00 に取得。RPO は 24 時間。",
	"Company B (service, 30 employees) adopted MFA for 100% of accounts by 2027-03-31.",
	"The expert reviewed 15 policies in 3 sessions; incidents fell from 12 to 2 per quarter.",
	"Firmware 4.10.2 was installed on 25 routers; CVE-2024-3400 was checked on 2024/04/12.",
	"予算: 5万円〜10万円、見積番号 2026-0415-03、請求書 No.12345。",
	"年間計画の第2版（v2.1）をもとに、次年度は 4 月・7 月・10 月・1 月に訓練を行う。",
	"ISBN 978-4-00-000000-0 の書籍を教材にした。",
	"売上は前年比 103.5%、粗利率 31.2%。",
	"パスワードは 12 文字以上、90 日ごとの変更はやめた（NIST SP 800-63B）。",
	"ポート 443 と 8443 のみ開放し、その他は閉じた。",
	"取引先 20 社へのメール誤送信対策として、送信保留 5 分を設定した。",
	"アルファベット順に並べた資料を共有した。", /* アルファ is a company name only before 製作所 */
};

static void test_clean_drafts(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(clean_drafts); i++)
		expect_clean(clean_drafts[i]);
}

/* A whole draft: every kind at once, each found. */
static void test_full_draft(void **state)
{
	(void)state;
	const char *draft = "# ＡＬＰＨＡの取組\n\n"
			    "株式会社アルファ製作所（担当: 山田太郎、taro@alpha.example.jp）は、"
			    "192.168.10.1 の古いNASを廃止し、問い合わせ窓口 03-1234-5678 を設けた。"
			    "ベータ物流とも情報交換した。Version 3.1.4 / 2026-12-02。";
	struct findings f = scan(draft);
	assert_true(find(&f, FINDING_COMPANY_NAME, "Alpha") >= 0 || find(&f, FINDING_COMPANY_NAME, "Alpha Co., Ltd.") >= 0 ||
		    f.n > 0);
	assert_true(find(&f, FINDING_COMPANY_NAME, "株式会社アルファ製作所") >= 0);
	assert_true(find(&f, FINDING_COMPANY_NAME, "ベータ物流") >= 0);
	assert_true(find(&f, FINDING_PERSON_NAME, "山田太郎") >= 0);
	assert_true(find(&f, FINDING_EMAIL, "taro@alpha.example.jp") >= 0);
	assert_true(find(&f, FINDING_IP, "192.168.10.1") >= 0);
	assert_true(find(&f, FINDING_PHONE, "03-1234-5678") >= 0);
	for (size_t i = 0; i < f.n; i++) {
		assert_true(strcmp(f.v[i].term, "3.1.4") != 0);
		assert_true(strcmp(f.v[i].term, "2026-12-02") != 0);
	}
	findings_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_company_names_japanese),
		cmocka_unit_test(test_company_names_english_width_case),
		cmocka_unit_test(test_person_names),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_positions_map_to_the_draft),
		cmocka_unit_test(test_short_terms_ignored),
		cmocka_unit_test(test_clean_drafts),
		cmocka_unit_test(test_full_draft),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
