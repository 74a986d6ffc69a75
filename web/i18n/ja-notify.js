// Notification kinds in Japanese: how the list shows each kind the server stores (kind + params,
// server/kinds.c). Placeholders: {title} (the thread's title, given only while the reader may
// read the thread), {actor} (who caused it), {due_at} (formatted in JST), and the kind's own
// params ({document_title}, {version}, {hours}). A kind with an `audience` param looks up
// 'notify.kind.<kind>:<audience>' first. Adding a kind: one row in server/kinds.c and one key
// here and in en-notify.js (docs/FORUM.md).
export default {
  'notify.kind.reply': '「{title}」に {actor} さんが返信しました',
  'notify.kind.mention': '{actor} さんが「{title}」であなたに言及しました',
  'notify.kind.flag': '「{title}」の投稿を {actor} さんが通報しました',
  'notify.kind.consent_version': '{document_title}（第{version}版）が公開されました。内容をご確認のうえ、改めて同意してください',
  'notify.kind.escalation.assigned': '「{title}」への回答を依頼されました（回答期限: {due_at}）',
  'notify.kind.escalation.reminder': '「{title}」の回答期限が近づいています（{due_at}）',
  'notify.kind.escalation.declined': '{actor} さんが「{title}」の担当を辞退しました',
  'notify.kind.escalation.overdue:secretariat': '「{title}」のエスカレーションが回答期限を過ぎました',
  'notify.kind.escalation.overdue': 'ご担当の「{title}」が回答期限を過ぎました',
  'notify.kind.question.answered': '「{title}」に専門家が回答しました',
  'notify.kind.answer.accepted': '「{title}」であなたの回答が解決策として採用されました',
  'notify.kind.question.resolved': '事務局が「{title}」の解決策を選びました',
  'notify.kind.material.published': '第{number}回「{round_title}」の資料が公開されました',
  'notify.kind.visit.scheduled': '{company} の専門家派遣（第{stage}回）の日程が決まりました（{when}）',
  'notify.kind.visit.rescheduled': '{company} の専門家派遣（第{stage}回）の日程が変更されました（{when}）',
  'notify.kind.visit.cancelled': '{company} の専門家派遣（第{stage}回）が中止されました',
  'notify.kind.visit.reported': '{company} の専門家派遣（第{stage}回）の報告が登録されました',
  'notify.kind.case.awaiting_approval': '事例集の原稿（事例 #{case_id}）が承認を待っています',
  'notify.kind.case.approved': '{actor} さんが事例集の原稿（事例 #{case_id}）を承認しました',
  'notify.kind.case.rejected': '{actor} さんが事例集の原稿（事例 #{case_id}）を差し戻しました',
  'notify.kind.case.unpublished': '{actor} さんが事例集の事例 #{case_id} を公開停止しました',
  'notify.kind.other': 'mamori からのお知らせです',
  'notify.kind.other_thread': '「{title}」についてのお知らせです',
  'notify.someone': '（退会した利用者）',
  'notify.lang.title': '表示とメールの言語',
  'notify.lang.hint': 'mamori からのメール（通知・依頼・同意書のお知らせ）もこの言語で届きます。',
  'notify.lang.ja': '日本語',
  'notify.lang.en': 'English',
};
