/* kinds.c — the table of notification kinds and their mail texts in Japanese and English.
 *
 * To add a kind (e.g. "materials.published"): add one row below (its name, the preference that
 * turns its mail off or NULL, a label and an optional detail template per language), add
 * `notify.kind.<kind>` to web/i18n/ja-notify.js and en-notify.js, and call notify_user /
 * mail_enqueue with the name and a params object. Params hold language-neutral values only
 * (ids, RFC 3339 times, numbers, a document's title); a label may name params too; a thread's title is never put in params
 * (the listing adds it while the reader may read the thread, and the mail reads it at send time).
 * The caller's own words (an answer's excerpt, a note) go in mail_enqueue's text, {text} here. */
#include "kinds.h"

#include "util.h"

#include <stdio.h>
#include <string.h>

/* clang-format off */
static const struct notice_kind kinds[] = {
	{"reply", NULL, {
		{"フォロー中のスレッドに返信がありました", NULL},
		{"New reply in a thread you follow", NULL}}},
	{"mention", "mentions", {
		{"スレッドであなたが言及されました", NULL},
		{"You were mentioned in a thread", NULL}}},
	{"flag", NULL, {
		{"投稿が通報されました", NULL},
		{"A post was flagged", NULL}}},
	{"consent_version", "consent", {
		{"同意書が新しい版になりました",
		 "{document_title}（第{version}版）が公開されました。内容をご確認のうえ、改めて同意してください。\n\n"
		 "サインインすると、新しい版の全文と同意の画面が表示されます。\n{base_url}/"},
		{"A consent document has a new version",
		 "{document_title} (version {version}) has been published. Please read it and accept it again.\n\n"
		 "Sign in to see the new version in full and accept it.\n{base_url}/"}}},
	{"escalation.assigned", "assignments", {
		{"専門家として質問への回答を依頼されました",
		 "回答期限: {due_at}（営業時間で {hours} 時間）\n\n事務局からのメモ:\n{text}"},
		{"You have been asked to answer a question as an expert",
		 "Due: {due_at} ({hours} business hours)\n\nNote from the secretariat:\n{text}"}}},
	{"escalation.reminder", "assignments", {
		{"ご担当の質問の回答期限が近づいています",
		 "回答期限: {due_at}\n回答が難しい場合は辞退してください。"},
		{"A question assigned to you is nearly due",
		 "Due: {due_at}\nIf you cannot answer it, please decline."}}},
	{"escalation.declined", "assignments", {
		{"専門家がエスカレーションを辞退しました",
		 "{expert} さんが担当を辞退しました。\n\n理由:\n{text}"},
		{"An expert declined an escalation",
		 "{expert} declined the question.\n\nReason:\n{text}"}}},
	{"escalation.overdue:secretariat", "overdue", {
		{"エスカレーションが回答期限を過ぎました",
		 "専門家への質問が回答期限を過ぎました。担当の見直しをご検討ください。"},
		{"An escalation is overdue",
		 "A question escalated to an expert is past its due time. Please consider reassigning it."}}},
	{"escalation.overdue", "overdue", {
		{"ご担当の質問が回答期限を過ぎました",
		 "ご担当の質問が回答期限を過ぎました。回答または辞退をお願いします。"},
		{"A question assigned to you is overdue",
		 "A question assigned to you is past its due time. Please answer or decline it."}}},
	{"question.answered", "answers", {
		{"あなたの質問に専門家が回答しました", "回答の冒頭:\n{text}"},
		{"An expert answered your question", "The answer begins:\n{text}"}}},
	{"answer.accepted", "acceptances", {
		{"回答が解決策として採用されました", "あなたの回答が、質問への解決策として採用されました。"},
		{"Your answer was accepted", "Your answer was accepted as the solution to the question."}}},
	{"question.resolved", "acceptances", {
		{"事務局があなたの質問の解決策を選びました",
		 "事務局があなたの質問への回答を解決策として採用しました。"},
		{"The secretariat chose a solution to your question",
		 "The secretariat accepted an answer to your question as its solution."}}},
	{"material.published", NULL, {
		{"第{number}回の資料が公開されました: {round_title}",
		 "第{number}回「{round_title}」の資料が公開されました。\n"
		 "資料は次のページからダウンロードできます（サインインが必要です）。\n{base_url}/#/rounds/{round_id}"},
		{"Session {number} materials published: {round_title}",
		 "The materials of session {number}, \u201c{round_title}\u201d, have been published.\n"
		 "Download them here (sign-in required):\n{base_url}/#/rounds/{round_id}"}}},
	{"visit.scheduled", NULL, {
		{"専門家派遣（第{stage}回）の日程が決まりました",
		 "{company}\n日時: {when}（日本時間）\n\n{base_url}/#/companies/{company_id}/visits"},
		{"A dispatch visit (stage {stage}) was scheduled",
		 "{company}\nWhen: {when} (Japan time)\n\n{base_url}/#/companies/{company_id}/visits"}}},
	{"visit.rescheduled", NULL, {
		{"専門家派遣（第{stage}回）の日程が変更されました",
		 "{company}\n新しい日時: {when}（日本時間）\n\n{base_url}/#/companies/{company_id}/visits"},
		{"A dispatch visit (stage {stage}) was rescheduled",
		 "{company}\nNew time: {when} (Japan time)\n\n{base_url}/#/companies/{company_id}/visits"}}},
	{"visit.cancelled", NULL, {
		{"専門家派遣（第{stage}回）が中止されました",
		 "{company}\n予定されていた日時: {when}（日本時間）\n\n{base_url}/#/companies/{company_id}/visits"},
		{"A dispatch visit (stage {stage}) was cancelled",
		 "{company}\nIt was planned for {when} (Japan time).\n\n{base_url}/#/companies/{company_id}/visits"}}},
	{"visit.reported", NULL, {
		{"専門家派遣（第{stage}回）の報告が登録されました",
		 "{company}\n報告はサインインしてご覧ください。\n\n{base_url}/#/companies/{company_id}/visits"},
		{"A dispatch visit (stage {stage}) was reported",
		 "{company}\nSign in to read the report.\n\n{base_url}/#/companies/{company_id}/visits"}}},
	{"case.awaiting_approval", NULL, {
		{"事例集の原稿が承認を待っています",
		 "貴社の事例の原稿が承認を待っています。サインインして内容をご確認ください。\n\n{base_url}/#/cases/{case_id}"},
		{"A case study draft awaits your approval",
		 "A case study draft of your company awaits your approval. Sign in to read it.\n\n{base_url}/#/cases/{case_id}"}}},
	{"case.approved", NULL, {
		{"事例集の原稿が承認されました", "{base_url}/#/cases/{case_id}"},
		{"A case study draft was approved", "{base_url}/#/cases/{case_id}"}}},
	{"case.rejected", NULL, {
		{"事例集の原稿が差し戻されました", "{base_url}/#/cases/{case_id}"},
		{"A case study draft was sent back", "{base_url}/#/cases/{case_id}"}}},
	{"case.unpublished", NULL, {
		{"事例集の事例が公開停止されました", "{base_url}/#/cases/{case_id}"},
		{"A published case study was withdrawn", "{base_url}/#/cases/{case_id}"}}},
};
static const struct notice_kind kind_other = {"other", NULL, {
	{"mamori からのお知らせです", NULL},
	{"A notice from mamori", NULL}}};

const struct mail_frame kinds_mail_frame[LANG_COUNT] = {
	[LANG_JA] = {
		.dear = "",
		.dear_end = " 様",
		.nameless = "ご利用者",
		.full_stop = "。",
		.thread = "スレッド: ",
		.title_only = "このスレッドは公開範囲が限られているため、本文はメールに載せていません。"
			      "内容はリンク先でサインインしてご確認ください。\n\n",
		.footer = "--\nmamori（中小企業サイバーセキュリティ支援 フォーラム）\n"
			  "このメールは送信専用です。言語などの設定: ",
		.none = "（なし）",
	},
	[LANG_EN] = {
		.dear = "Dear ",
		.dear_end = ",",
		.nameless = "mamori user",
		.full_stop = ".",
		.thread = "Thread: ",
		.title_only = "This thread is visible to a limited audience, so its text is not included in "
			      "this mail. Sign in at the link to read it.\n\n",
		.footer = "--\nmamori (SME cybersecurity support program forum)\n"
			  "This is an automated mail; replies are not read. Language and settings: ",
		.none = "(none)",
	},
};
/* clang-format on */

const struct notice_kind *kinds_find(const char *kind, const json_t *params)
{
	if (!kind)
		return &kind_other;
	const char *variant = json_string_value(json_object_get(params, "audience"));
	if (variant) {
		size_t n = strlen(kind);
		for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
			if (strncmp(kinds[i].kind, kind, n) == 0 && kinds[i].kind[n] == ':' &&
			    strcmp(kinds[i].kind + n + 1, variant) == 0)
				return &kinds[i];
	}
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return &kind_other;
}

enum lang kinds_lang(const char *lang)
{
	return lang && strcmp(lang, "en") == 0 ? LANG_EN : LANG_JA;
}

int kinds_lang_valid(const char *lang)
{
	return lang && (strcmp(lang, "ja") == 0 || strcmp(lang, "en") == 0);
}

char *kinds_render_new(const char *tmpl, const json_t *params, const char *text, const char *none,
		       const char *base_url)
{
	struct buf b = {0};
	for (const char *c = tmpl; *c;) {
		const char *close = *c == '{' ? strchr(c, '}') : NULL;
		if (!close || close - c > 64) {
			buf_append(&b, c, 1);
			c++;
			continue;
		}
		char name[65];
		snprintf(name, sizeof name, "%.*s", (int)(close - c - 1), c + 1);
		c = close + 1;
		if (strcmp(name, "text") == 0) {
			buf_puts(&b, text && *text ? text : none ? none : "");
			continue;
		}
		if (strcmp(name, "base_url") == 0) {
			buf_puts(&b, base_url ? base_url : "");
			continue;
		}
		const json_t *v = json_object_get(params, name);
		if (json_is_string(v))
			buf_puts(&b, json_string_value(v));
		else if (json_is_integer(v))
			buf_printf(&b, "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			buf_printf(&b, "%g", json_real_value(v));
	}
	buf_cstr(&b);
	return b.data;
}
