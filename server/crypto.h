/* crypto.h — the cryptographic helpers accounts and sessions use, on OpenSSL 3 only: password
 * hashing (scrypt) and the password policy, random bytes and tokens, SHA-256, constant-time
 * comparison, base32/base64url and TOTP (RFC 6238). Everything here is thread-safe: the only
 * state is the dummy hash, computed once under pthread_once. */
#ifndef MAMORI_CRYPTO_H
#define MAMORI_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of crypto_token_new's result: 32 bytes as unpadded base64url. */
#define CRYPTO_TOKEN_LEN 43
/* Longest password crypto_password_policy accepts, in bytes. */
#define CRYPTO_PASSWORD_MAX_BYTES 1024
/* Shortest password crypto_password_policy accepts, in Unicode code points. */
#define CRYPTO_PASSWORD_MIN_CHARS 12

/* Results of crypto_password_policy; 0 is acceptable. */
enum crypto_policy {
	CRYPTO_POLICY_OK = 0,
	CRYPTO_POLICY_TOO_SHORT = -1,
	CRYPTO_POLICY_TOO_LONG = -2,
	CRYPTO_POLICY_COMMON = -3,
	CRYPTO_POLICY_REPEATED = -4,
};

/* Hashes password (a NUL-terminated string) with scrypt, N=2^15, r=8, p=1, a fresh 16-byte
 * random salt and a 32-byte key, into the self-describing string
 * "$scrypt$ln=15,r=8,p=1$<salt>$<hash>" where salt and hash are standard base64 without
 * padding (the PHC string format's encoding). The caller frees the result. Slow on purpose
 * (tens of milliseconds, about 32 MiB of memory): run it on a helper thread, never on an event
 * loop. Returns NULL only when OpenSSL fails. Thread-safe. */
char *crypto_password_hash_new(const char *password);

/* Verifies password (non-NULL) against stored, a string made by crypto_password_hash_new.
 * The parameters (ln, r, p, salt and key length) are read from stored, so hashes made with
 * older parameters keep verifying; they are bounded (ln 1..20, r 1..32, p 1..16, at most
 * 256 MiB of memory, salt 1..64 bytes, key 16..64 bytes) so a corrupt row cannot stall the
 * process. The key comparison is constant time (CRYPTO_memcmp). Returns 1 on a match, 0 on no
 * match, -1 when stored is NULL, malformed or out of bounds (or OpenSSL fails). Thread-safe;
 * as slow as hashing. */
int crypto_password_verify(const char *password, const char *stored);

/* True when stored was made with parameters other than the current ones (or is malformed),
 * so the caller should re-hash the password it just verified and store the new string. */
bool crypto_password_needs_rehash(const char *stored);

/* A stored hash of a random password nobody knows, computed once (pthread_once) on first use
 * and kept for the life of the process. Verify against it when the account does not exist so
 * an unknown e-mail takes as long as a wrong password. Aborts if OpenSSL cannot compute it.
 * The string is static: never free it. Thread-safe. */
const char *crypto_password_dummy(void);

/* Checks password (NUL-terminated UTF-8; the JSON layer has already refused invalid UTF-8)
 * against the policy, in this order:
 *   CRYPTO_POLICY_TOO_LONG (-2)  more than CRYPTO_PASSWORD_MAX_BYTES bytes;
 *   CRYPTO_POLICY_TOO_SHORT (-1) fewer than CRYPTO_PASSWORD_MIN_CHARS code points;
 *   CRYPTO_POLICY_REPEATED (-4)  one code point repeated ("aaaaaaaaaaaa");
 *   CRYPTO_POLICY_COMMON (-3)    after ASCII lowercasing, the password is a common password,
 *                                or a common password followed only by digits/symbols
 *                                ("Password123!", "password1234"), possibly also preceded by
 *                                digits/symbols ("123password!"), or such a run around a
 *                                keyboard walk or alphabet/digit sequence of 4+ characters
 *                                ("qwertyuiopasdf", "1qaz2wsx3edc", "abcdefgh1234").
 * Returns 0 (CRYPTO_POLICY_OK) when none applies. Digits/symbols means ASCII digits, ASCII
 * punctuation and space. Runs in microseconds; thread-safe. */
int crypto_password_policy(const char *password);

/* Number of entries in the embedded common-password list (for tests). */
size_t crypto_common_password_count(void);
/* Entry i (0-based, lowercase, sorted by strcmp) of the embedded list, or NULL past the end.
 * Borrowed static string. For tests. */
const char *crypto_common_password_at(size_t i);

/* Fills out with n bytes from RAND_bytes (the CSPRNG). Aborts the process if OpenSSL cannot
 * deliver them: nothing safe can go on without randomness. Thread-safe. */
void crypto_random(void *out, size_t n);

/* A new random token: 32 random bytes as unpadded base64url, CRYPTO_TOKEN_LEN (43) characters
 * from [A-Za-z0-9_-]. The caller frees it. Store only its SHA-256 (crypto_sha256_hex).
 * Thread-safe. */
char *crypto_token_new(void);

/* SHA-256 of the len bytes at data as 64 lowercase hex characters plus a NUL into hex. */
void crypto_sha256_hex(const void *data, size_t len, char hex[65]);

/* Raw SHA-256 of the len bytes at data into out. Aborts only if OpenSSL fails. */
void crypto_sha256(const void *data, size_t len, unsigned char out[32]);

/* HMAC-SHA256 of the len bytes at msg under the klen bytes of key, into out. Aborts only if
 * OpenSSL fails. Any thread. */
void crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t len, unsigned char out[32]);

/* Bytes crypto_seal adds to its input: a 12-byte nonce before, a 16-byte tag after. */
#define CRYPTO_SEAL_OVERHEAD 28
/* Encrypts and authenticates the n bytes at pt under key (AES-256-GCM, a random nonce) into a
 * new buffer of n + CRYPTO_SEAL_OVERHEAD bytes that the caller frees. Any thread. */
unsigned char *crypto_seal_new(const unsigned char key[32], const void *pt, size_t n);
/* Opens a buffer made by crypto_seal_new: a new NUL-terminated buffer of the original bytes
 * (*out_len of them) that the caller frees, or NULL when the key is wrong or the bytes were
 * changed. Any thread. */
unsigned char *crypto_open_new(const unsigned char key[32], const void *sealed, size_t n, size_t *out_len);

/* Constant-time equality of two NUL-terminated strings: the content comparison does not stop
 * at the first difference and does not depend on where the strings differ; only their lengths
 * can show through timing. NULL equals nothing (not even NULL). */
bool crypto_streq(const char *a, const char *b);

/* Base32 (RFC 4648 alphabet A-Z2-7, upper case, no padding) of the len bytes at data. The
 * caller frees the result. */
char *crypto_base32_encode_new(const unsigned char *data, size_t len);

/* Decodes base32 s into out (room for cap bytes), setting *len to the bytes written. Accepts
 * upper or lower case, ignores spaces and trailing '=' padding, and refuses anything else,
 * impossible lengths and non-zero leftover bits. Returns 0, -EINVAL when s is not base32, or
 * -ENOSPC when cap is too small. */
int crypto_base32_decode(const char *s, unsigned char *out, size_t cap, size_t *len);

/* The RFC 6238 TOTP code (HMAC-SHA1, 30-second steps from the epoch, 6 digits) at unix time
 * t for the raw secret of len bytes; 0..999999. Returns UINT32_MAX (never a valid code) when
 * len is 0 or OpenSSL fails. */
uint32_t crypto_totp(const unsigned char *secret, size_t len, int64_t t);

/* Like crypto_totp with a chosen number of digits (1..9); RFC 6238's test vectors use 8. */
uint32_t crypto_totp_digits(const unsigned char *secret, size_t len, int64_t t, int digits);

/* Checks code, exactly 6 ASCII digits, against the codes of the time steps of t-30s, t and
 * t+30s (all three are computed and compared in constant time). Returns the matched time step
 * (floor(t/30) plus -1, 0 or +1; the current one wins a tie) so the caller can store it and
 * refuse any code whose step is not greater than the last one used; returns 0 on no match, a
 * malformed code or an empty secret. Steps <= 0 (the first 30 seconds of 1970) never match. */
int64_t crypto_totp_check(const unsigned char *secret, size_t len, const char *code, int64_t t);

/* Base64url (RFC 4648 §5, '-' and '_', no padding) of the len bytes at data. The caller frees
 * the result. */
char *crypto_b64url_new(const unsigned char *data, size_t len);

/* Decodes unpadded base64url s into out (room for cap bytes), setting *len. Refuses padding,
 * other characters, impossible lengths and non-zero leftover bits. Returns 0, -EINVAL or
 * -ENOSPC. */
int crypto_b64url_decode(const char *s, unsigned char *out, size_t cap, size_t *len);

#endif
