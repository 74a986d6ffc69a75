/* mail.h — e-mail: the outbox every feature queues into (inside its own write transaction),
 * per-user mail preferences (GET/PUT /api/v1/me/mail-preferences), and the sender, which runs on
 * worker 0's tick and hands one batch at a time to the helper pool, where libcurl speaks SMTP
 * (STARTTLS when the relay offers it) to cfg->smtp_host:smtp_port. A failed message is retried
 * with backoff (5 s, 30 s, 1 min, 2 min ... at most 1 h) until it is sent, so nothing is lost
 * while the relay is down. A mail about a thread that is not `community` carries only the
 * thread's title and link, never its text. */
#ifndef MAMORI_MAIL_H
#define MAMORI_MAIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;
struct worker;

/* Queues one e-mail to user_id. Call it inside the write transaction of the action that causes
 * the mail (db_tx_begin), so the mail and the action commit or roll back together.
 *
 * kind is a notification kind of the table in kinds.c ("escalation.assigned", "consent_version",
 * ...): it names the recipient's preference that may turn the mail off and the mail's texts in
 * both languages; an unknown kind is sent regardless of preferences as "a notice from mamori".
 * params (borrowed, may be NULL) fills the kind's detail template; text (borrowed, may be NULL)
 * is the caller's own words ({text} in the template: an answer's excerpt, a note, a reason).
 * thread_id (0: the mail is about no thread): the recipient must be able to read the thread now
 * (the visibility rule of authz.h); otherwise nothing is queued. When the thread is not
 * `community`, or the recipient has not passed the consent gate, params and text are not used:
 * the mail says only what happened (the kind's label), the thread's title and its link
 * (cfg->base_url + "/#/threads/ID"), and text is not even stored. The same check runs again just
 * before sending, so a thread made confidential meanwhile never leaks through a queued mail.
 *
 * The mail is composed when it is sent, in the recipient's language then (users.lang):
 * subject "[mamori] <what happened>: <thread title>" (or "[mamori] <what happened>"), and a
 * body with the greeting, what happened, the details, the thread's title and link and a footer.
 *
 * Returns 0 when queued, 1 when nothing was queued (the recipient is not an active user, turned
 * that kind off, or may not read the thread), -1 on a database error (the caller rolls back).
 * Runs on the caller's thread with the caller's connection. */
int mail_enqueue(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, const json_t *params,
		 const char *text);

/* Queues the invitation mail of user_id, who must still be `invited` (returns 1 otherwise): sent
 * regardless of preferences, subject and body as given (the body carries the invitation link;
 * it is blanked in the outbox once sent). Inside the caller's write transaction, like
 * mail_enqueue; returns 0, 1 or -1 the same way. */
int mail_enqueue_invitation(struct db *d, int64_t user_id, const char *subject, const char *body);

/* Seconds to wait before attempt attempts+1, after `attempts` failed attempts (>= 1): 5, then
 * 30 doubling up to 3600. Pure. */
int64_t mail_retry_delay(int attempts);

/* Builds the RFC 5322 message text (CRLF line ends, a UTF-8 Subject as RFC 2047 encoded words
 * folded under 78 columns, text/plain UTF-8 body in base64) for outbox row id sent at time
 * `date`. from and to are bare addresses. Returns a new string (caller frees). Pure. */
char *mail_message_new(const char *from, const char *to, const char *subject, const char *body, int64_t id,
		       int64_t date);

/* True when addr is a plain address we are willing to put in an SMTP envelope and a header:
 * printable ASCII without spaces, quotes, angle brackets, commas or semicolons, exactly one '@'
 * with text on both sides. Pure. */
bool mail_address_ok(const char *addr);

/* Feature hooks (features.c): the helper pool's curl setup on worker 0, and the sender, which
 * runs on worker 0's tick and has at most one batch in flight. */
int mail_worker_init(struct worker *w);
void mail_worker_free(struct worker *w);
void mail_tick(struct worker *w);

#endif
