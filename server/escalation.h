/* escalation.h — escalations of questions to experts, docs/API.md §6 (server/escalation.c):
 * escalate, decline, the expert queue, the secretariat's triage list and the business-hours
 * timers. Only the feature hooks are public; routes go through features.c. The question itself
 * (accept, reopen) is question.h's. */
#ifndef MAMORI_ESCALATION_H
#define MAMORI_ESCALATION_H

#include <stdint.h>

struct req;
struct worker;

/* on_post hook, inside the post's write transaction: when the poster is an expert with an
 * `assigned` escalation on the thread, the escalation becomes `answered` (answered_at), an
 * `escalated` thread becomes `answered`, and the question's author is told (in the app and by
 * mail). Returns 0, or -1 on a database error (the post is then rolled back). */
int escalation_on_post(struct req *r, int64_t thread_id, int64_t post_id);

/* tick hook: on worker 0 only, at most every 30 s, notifies the secretariat (and the expert) once
 * about each escalation past its due_at, and reminds each expert once before the due time. */
void escalation_tick(struct worker *w);

#endif
