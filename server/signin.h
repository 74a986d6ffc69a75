/* signin.h — what me.c shares of signin.c: the sign-in throttle (docs/API.md §2), which also
 * counts a signed-in user proving their password again (password change, TOTP removal); the
 * password check on the helper pool with its decision in a transaction opened in the completion
 * (struct proof); and the check of a TOTP code. */
#ifndef MAMORI_SIGNIN_H
#define MAMORI_SIGNIN_H

#include <stdbool.h>
#include <stdint.h>

struct req;
struct db;

#define SIGNIN_PASSWORD_MAX_BYTES 4096 /* longer is refused before any hashing */

/* An attempt's throttle keys: the e-mail as typed, the address (account_ip_key), and the hash
 * of the user's trusted-device cookie when the attempt carries one ("" otherwise). */
struct attempt {
	char *email; /* owned */
	char ipkey[64];
	char device[65];
	int64_t id; /* its row in login_failures */
};

/* The attempt succeeded: it is not a failure after all. Inside the caller's transaction. */
int attempt_forget(struct db *d, const struct attempt *a);
/* The attempt failed: its row becomes a failure dated now. Inside the caller's transaction. */
int attempt_failed(struct db *d, const struct attempt *a);

/* A password being proved on the helper pool (sign-in, password change, TOTP removal): the
 * first member of each of those requests' state, which its callbacks cast back. */
struct proof {
	struct req *r;
	struct attempt a;
	char *password;                   /* as given; wiped by proof_clear */
	char *stored;                     /* the user's password hash, NULL to verify against the dummy */
	bool verified;                    /* whether password matches stored (helper thread) */
	void (*work)(struct proof *p);    /* more helper-thread work after the check, or NULL */
	int (*decide)(struct proof *p);   /* event loop, in the attempt's transaction: the answer */
	void (*destroy)(struct proof *p); /* frees the whole state (calling proof_clear) */
};
/* Checks the throttle for p->a and records the attempt (committed before the hashing, so it
 * counts for concurrent ones), then verifies password on the helper pool against p->stored, or
 * against the dummy hash when there is none, so every answer costs one scrypt. p->decide
 * answers in a transaction opened in the completion and, unlike req_tx's, kept when the answer
 * is a refusal (401, 403, 422): the failed attempt and its audit record are stored. Returns
 * HTTP_ASYNC, or the status answered at once (429, 500; p is destroyed). */
int proof_submit(struct proof *p, const char *password);
/* Frees p's strings, wiping the password. */
void proof_clear(struct proof *p);

/* For a signed-in user proving their password again: their password hash into *stored (NULL
 * when they have none) and their throttle keys into a. */
void attempt_reauth_load(struct req *r, struct attempt *a, char **stored);

/* The time step the code matches for the base32 secret at time now, or 0. */
int64_t signin_totp_step(const char *secret, const char *code, int64_t now);

#endif
