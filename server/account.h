/* account.h — what other features use of the account files: the checks on names and e-mail
 * addresses and creating an invited user by the rules of POST /api/v1/users (users.c), the
 * throttle key of an address (signin.c), and the password policy (me.c). The user's JSON is
 * view.h's view_user_json. */
#ifndef MAMORI_ACCOUNT_H
#define MAMORI_ACCOUNT_H

#include "authz.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct req;

#define ACCOUNT_EMAIL_MAX_BYTES 254

/* A display name: non-empty, at most max bytes, no control characters, not blank (text_blank). */
bool account_text_ok(const char *s, size_t max);
/* A deliberately plain e-mail address check (see users.c). */
bool account_email_ok(const char *e);

/* The password policy of docs/API.md §3 plus one contextual rule (NIST SP 800-63B 5.1.1.2): the
 * password may not contain the local part of the user's e-mail address (email may be NULL).
 * Returns 0 when acceptable, else 422 weak_password with the reason, reported on r. */
int account_password_refused(struct req *r, const char *password, const char *email);

/* The throttle key of a peer address: IPv4 as is, IPv6 as its /64. */
void account_ip_key(const char *ip, char out[64]);

/* A user to create. company_id only for participants (0 otherwise); specialties a JSON array
 * text or NULL. Field shapes are the caller's to check first. */
struct user_in {
	const char *email, *name;
	enum role role;
	int64_t company_id;
	bool representative;
	const char *specialties;
};
/* Creates the user, `invited`, with a fresh invitation, inside the caller's write transaction:
 * the company must exist (422 invalid), the address must be free (409 email_taken), the company
 * must have a free seat (409 company_full); audited user.create by r's caller. Returns 0 with
 * *id, *token (caller frees; only its hash is stored) and *expires set, the status of the error
 * reported on r, or -1 on a database failure (answer 500); either way nothing may be kept (a
 * req_tx transaction is rolled back by the router on the non-2xx answer). */
int account_user_insert(struct req *r, const struct user_in *in, int64_t *id, char **token, int64_t *expires);

#endif
