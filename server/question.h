/* question.h — the question flow of docs/API.md §6 (server/question.c): a question thread's
 * status and accepted answer, and the notice in both channels (in the app and by mail) that the
 * question flow and the escalations to experts (server/escalation.c) send. Routes go through
 * features.c. */
#ifndef MAMORI_QUESTION_H
#define MAMORI_QUESTION_H

#include <jansson.h>
#include <stdint.h>

struct db;

/* What the question flow reads of a thread. */
struct question {
	int64_t id, author_id;
	char kind[16];   /* discussion, question, announcement */
	char status[16]; /* open, escalated, answered, resolved; "" for a thread that is no question */
};

/* Loads thread id into *q, whoever may read it (the caller decides that). Returns 0, or -1 when
 * there is no such thread. */
int question_load(struct db *d, int64_t id, struct question *q);

/* Sets thread id's status and accepted post (0: none) inside the caller's write transaction and
 * publishes a `thread` event (sent after the commit). Returns 0 or -1. */
int question_set_status(struct db *d, int64_t id, const char *status, int64_t accepted_post_id);

/* Tells user_id about thread_id in the app and by mail: the same kind and params (server/kinds.c;
 * params borrowed, may be NULL); text is the sender's own words for the mail, sent only when the
 * mail may carry content. notify_user stores nothing for a user who may not read the thread, nor
 * for the actor. Inside the caller's write transaction. Returns 0 or -1. */
int question_tell(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, int64_t post_id,
		  int64_t actor_id, const json_t *params, const char *text);

#endif
