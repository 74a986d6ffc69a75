// Notification kinds in English (see ja-notify.js for the placeholders and how to add a kind).
export default {
  'notify.kind.reply': '{actor} replied in “{title}”',
  'notify.kind.mention': '{actor} mentioned you in “{title}”',
  'notify.kind.flag': '{actor} flagged a post in “{title}”',
  'notify.kind.consent_version': '{document_title} (version {version}) has been published. Please read it and accept it again',
  'notify.kind.escalation.assigned': 'You have been asked to answer “{title}” (due {due_at})',
  'notify.kind.escalation.reminder': '“{title}” is nearly due ({due_at})',
  'notify.kind.escalation.declined': '{actor} declined “{title}”',
  'notify.kind.escalation.overdue:secretariat': 'The escalation of “{title}” is overdue',
  'notify.kind.escalation.overdue': '“{title}”, assigned to you, is overdue',
  'notify.kind.question.answered': 'An expert answered “{title}”',
  'notify.kind.answer.accepted': 'Your answer in “{title}” was accepted as the solution',
  'notify.kind.question.resolved': 'The secretariat chose a solution for “{title}”',
  'notify.kind.other': 'A notice from mamori',
  'notify.kind.other_thread': 'A notice about “{title}”',
  'notify.someone': '(a former user)',
};
