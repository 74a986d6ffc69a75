/* crypto.c — password hashing (scrypt) and policy, randomness and tokens, SHA-256,
 * constant-time comparison, base32/base64url and TOTP, all on OpenSSL 3. The one piece of
 * state is the dummy hash, made once under pthread_once; everything else is pure, so every
 * function here may run on any thread. */
#include "crypto.h"

#include "common_passwords.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* Current scrypt parameters: N = 2^15 and r = 8 take about 32 MiB and tens of milliseconds,
 * the cost OWASP suggests for interactive logins. Changing them makes
 * crypto_password_needs_rehash true for every stored hash, which is how they roll forward. */
enum {
	SCRYPT_LN = 15,
	SCRYPT_R = 8,
	SCRYPT_P = 1,
	SCRYPT_SALT_LEN = 16,
	SCRYPT_KEY_LEN = 32,
};

/* Bounds on what a stored string may ask for, so a corrupt or hostile row cannot make a
 * verification take seconds or gigabytes. */
enum {
	SCRYPT_MAX_LN = 20,
	SCRYPT_MAX_R = 32,
	SCRYPT_MAX_P = 16,
	SCRYPT_MAX_SALT = 64,
	SCRYPT_MIN_KEY = 16,
	SCRYPT_MAX_KEY = 64,
};
#define SCRYPT_MAX_MEM ((uint64_t)256 * 1024 * 1024)

static const char scrypt_prefix[] = "$scrypt$ln=";

/* A stored password hash, taken apart. */
struct scrypt_hash {
	unsigned ln, r, p;
	unsigned char salt[SCRYPT_MAX_SALT];
	size_t salt_len;
	unsigned char key[SCRYPT_MAX_KEY];
	size_t key_len;
};

static const char b64_std_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* ---- randomness and hashing ---- */

void crypto_random(void *out, size_t n)
{
	unsigned char *p = out;
	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(p, chunk) != 1) {
			log_error("crypto: RAND_bytes failed (error %lu)", ERR_get_error());
			abort();
		}
		p += chunk;
		n -= (size_t)chunk;
	}
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Fetches SHA-256 once for crypto_sha256 (aborts when OpenSSL has none). EVP_sha256() makes
 * EVP_Digest look the algorithm up by name on every call: a session token's hash took 6,100
 * instructions a request that way, ~1,900 with the algorithm fetched once. */
static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!sha256_md) {
		log_error("crypto: SHA-256 unavailable (error %lu)", ERR_get_error());
		abort();
	}
}

void crypto_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int outlen = 0;
	if (!data)
		data = "";
	pthread_once(&sha256_once, sha256_fetch);
	if (EVP_Digest(data, len, out, &outlen, sha256_md, NULL) != 1 || outlen != 32) {
		log_error("crypto: SHA-256 failed (error %lu)", ERR_get_error());
		abort();
	}
}

void crypto_sha256_hex(const void *data, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	crypto_sha256(data, len, md);
	for (size_t i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = 0;
}

bool crypto_streq(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la < lb ? la : lb;
	/* CRYPTO_memcmp looks at all n bytes whatever they hold; the length test is combined
	 * afterwards without a branch on the content result. */
	int diff = CRYPTO_memcmp(a, b, n);
	return (la == lb) & (diff == 0);
}

/* ---- base64 and base32 ---- */

/* Encodes len bytes with the 64-character alphabet, no padding; caller frees. */
static char *b64_encode_new(const unsigned char *data, size_t len, const char *alphabet)
{
	char *out = xmalloc(len / 3 * 4 + 4 + 1);
	char *o = out;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
	}
	*o = 0;
	return out;
}

/* Value of c in the standard (url false) or url-safe alphabet, or -1. */
static int b64_value(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decodes the n characters at s (unpadded base64, canonical: leftover bits must be zero).
 * Returns 0, -EINVAL or -ENOSPC. */
static int b64_decode(const char *s, size_t n, bool url, unsigned char *out, size_t cap,
		      size_t *len)
{
	if (n % 4 == 1)
		return -EINVAL;
	size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > cap)
		return -ENOSPC;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i], url);
		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -EINVAL;
	*len = o;
	return 0;
}

char *crypto_b64url_new(const unsigned char *data, size_t len)
{
	return b64_encode_new(data, len, b64_url_alphabet);
}

int crypto_b64url_decode(const char *s, unsigned char *out, size_t cap, size_t *len)
{
	return b64_decode(s, strlen(s), true, out, cap, len);
}

char *crypto_base32_encode_new(const unsigned char *data, size_t len)
{
	char *out = xmalloc((len * 8 + 4) / 5 + 1);
	char *o = out;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*o++ = b32_alphabet[acc >> bits & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		*o++ = b32_alphabet[acc << (5 - bits) & 31];
	*o = 0;
	return out;
}

int crypto_base32_decode(const char *s, unsigned char *out, size_t cap, size_t *len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0, chars = 0;
	bool padding = false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ' ')
			continue;
		if (c == '=') {
			padding = true;
			continue;
		}
		if (padding)
			return -EINVAL;
		int v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -EINVAL;
		chars++;
		acc = acc << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -ENOSPC;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* A group of 8 characters holds 5 bytes; a partial group can only end after 2, 4, 5
	 * or 7 characters, and the bits it leaves over must be zero. */
	unsigned rem = (unsigned)(chars % 8);
	if (rem == 1 || rem == 3 || rem == 6 || acc != 0)
		return -EINVAL;
	*len = o;
	return 0;
}

char *crypto_token_new(void)
{
	unsigned char raw[32];
	crypto_random(raw, sizeof raw);
	char *token = crypto_b64url_new(raw, sizeof raw);
	OPENSSL_cleanse(raw, sizeof raw);
	return token;
}

/* ---- passwords ---- */

/* Runs scrypt; 0 on success, -1 when OpenSSL refuses. */
static int scrypt_derive(const char *password, const unsigned char *salt, size_t salt_len,
			 unsigned ln, unsigned r, unsigned p, unsigned char *key, size_t key_len)
{
	uint64_t n = (uint64_t)1 << ln;
	/* What OpenSSL allocates: B (128 r p bytes) and V (128 r (N + 2) bytes). */
	uint64_t mem = 128 * (uint64_t)r * p + 128 * (uint64_t)r * (n + 2);
	if (EVP_PBE_scrypt(password, strlen(password), salt, salt_len, n, r, p, mem, key,
			   key_len) != 1) {
		log_error("crypto: scrypt failed (error %lu)", ERR_get_error());
		return -1;
	}
	return 0;
}

char *crypto_password_hash_new(const char *password)
{
	unsigned char salt[SCRYPT_SALT_LEN], key[SCRYPT_KEY_LEN];
	char *out = NULL, *salt64 = NULL, *key64 = NULL;
	crypto_random(salt, sizeof salt);
	if (scrypt_derive(password, salt, sizeof salt, SCRYPT_LN, SCRYPT_R, SCRYPT_P, key,
			  sizeof key) < 0)
		goto out;
	salt64 = b64_encode_new(salt, sizeof salt, b64_std_alphabet);
	key64 = b64_encode_new(key, sizeof key, b64_std_alphabet);
	out = xasprintf("$scrypt$ln=%d,r=%d,p=%d$%s$%s", SCRYPT_LN, SCRYPT_R, SCRYPT_P, salt64,
			key64);
out:
	free(key64);
	free(salt64);
	OPENSSL_cleanse(key, sizeof key);
	return out;
}

/* Reads a decimal number of 1..4 digits at *s and advances *s past it; -1 if none. */
static int parse_small_uint(const char **s, unsigned *out)
{
	const char *p = *s;
	unsigned v = 0;
	int digits = 0;
	while (*p >= '0' && *p <= '9') {
		if (++digits > 4)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		p++;
	}
	if (digits == 0)
		return -1;
	*out = v;
	*s = p;
	return 0;
}

/* Takes apart "$scrypt$ln=L,r=R,p=P$<salt>$<key>" and checks every bound; 0 or -1. */
static int scrypt_parse(const char *stored, struct scrypt_hash *h)
{
	const char *p = stored;
	if (!p || strncmp(p, scrypt_prefix, sizeof scrypt_prefix - 1) != 0)
		return -1;
	p += sizeof scrypt_prefix - 1;
	if (parse_small_uint(&p, &h->ln) < 0 || strncmp(p, ",r=", 3) != 0)
		return -1;
	p += 3;
	if (parse_small_uint(&p, &h->r) < 0 || strncmp(p, ",p=", 3) != 0)
		return -1;
	p += 3;
	if (parse_small_uint(&p, &h->p) < 0 || *p != '$')
		return -1;
	p++;
	if (h->ln < 1 || h->ln > SCRYPT_MAX_LN || h->r < 1 || h->r > SCRYPT_MAX_R || h->p < 1 ||
	    h->p > SCRYPT_MAX_P)
		return -1;
	uint64_t mem = 128 * (uint64_t)h->r * ((uint64_t)h->p + ((uint64_t)1 << h->ln) + 2);
	if (mem > SCRYPT_MAX_MEM)
		return -1;
	const char *dollar = strchr(p, '$');
	if (!dollar || dollar == p)
		return -1;
	if (b64_decode(p, (size_t)(dollar - p), false, h->salt, sizeof h->salt, &h->salt_len) < 0)
		return -1;
	p = dollar + 1;
	if (strchr(p, '$'))
		return -1;
	if (b64_decode(p, strlen(p), false, h->key, sizeof h->key, &h->key_len) < 0)
		return -1;
	if (h->salt_len < 1 || h->key_len < SCRYPT_MIN_KEY)
		return -1;
	return 0;
}

int crypto_password_verify(const char *password, const char *stored)
{
	struct scrypt_hash h;
	unsigned char key[SCRYPT_MAX_KEY];
	int rc = -1;
	if (scrypt_parse(stored, &h) < 0)
		goto out;
	if (scrypt_derive(password, h.salt, h.salt_len, h.ln, h.r, h.p, key, h.key_len) < 0)
		goto out;
	rc = CRYPTO_memcmp(key, h.key, h.key_len) == 0 ? 1 : 0;
out:
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

bool crypto_password_needs_rehash(const char *stored)
{
	struct scrypt_hash h;
	if (scrypt_parse(stored, &h) < 0)
		return true;
	return h.ln != SCRYPT_LN || h.r != SCRYPT_R || h.p != SCRYPT_P ||
	       h.salt_len != SCRYPT_SALT_LEN || h.key_len != SCRYPT_KEY_LEN;
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[128];

/* The pthread_once body of crypto_password_dummy: hashes a random secret nobody keeps into
 * dummy_hash; aborts if it cannot. */
static void dummy_init(void)
{
	char *secret = crypto_token_new();
	char *hash = crypto_password_hash_new(secret);
	if (!hash || strlen(hash) >= sizeof dummy_hash) {
		log_error("crypto: cannot compute the dummy password hash");
		abort();
	}
	memcpy(dummy_hash, hash, strlen(hash) + 1);
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
	free(hash);
}

const char *crypto_password_dummy(void)
{
	pthread_once(&dummy_once, dummy_init);
	return dummy_hash;
}

/* ---- password policy ---- */

/* Keyboard walks and sequences (lowercase, and reversed where people type them backwards):
 * any 4+ character piece of one counts as common. */
static const char *const walks[] = {
	"qwertyuiopasdfghjklzxcvbnm",
	"mnbvcxzlkjhgfdsapoiuytrewq",
	"abcdefghijklmnopqrstuvwxyz",
	"zyxwvutsrqponmlkjihgfedcba",
	"01234567890",
	"09876543210",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"qazwsxedcrfvtgbyhnujmikolp",
	"zaqxswcdevfrbgtnhymjukilop",
	"1q2w3e4r5t6y7u8i9o0p",
	"q1w2e3r4t5y6u7i8o9p0",
	"a1b2c3d4e5f6g7h8i9j0",
	"!@#$%^&*()_+",
	"qwertzuiop",
	"azertyuiop",
};

enum { CORE_MIN = 4, CORE_MAX = 64 };

/* Digits and symbols: printable ASCII (space included) that is not a letter. */
static bool is_digit_or_symbol(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

/* bsearch comparison of a NUL-terminated key with a row of common_passwords (strcmp order). */
static int compare_entry(const void *key, const void *elem)
{
	return strncmp(key, elem, COMMON_PASSWORD_MAX + 1);
}

/* True when the n bytes at core are an entry of the list or a piece of a walk. */
static bool core_is_common(const char *core, size_t n)
{
	char key[CORE_MAX + 1];
	if (n < CORE_MIN || n > CORE_MAX)
		return false;
	memcpy(key, core, n);
	key[n] = 0;
	bool found = bsearch(key, common_passwords, COMMON_PASSWORDS_COUNT,
			     sizeof common_passwords[0], compare_entry) != NULL;
	for (size_t w = 0; !found && w < ARRAY_LEN(walks); w++)
		found = memmem(walks[w], strlen(walks[w]), core, n) != NULL;
	OPENSSL_cleanse(key, sizeof key);
	return found;
}

/* The -3 rule on a lowercased password of len bytes: some core, starting at 0 or after the
 * leading run of digits/symbols and followed only by digits/symbols, is common. */
static bool is_common(const char *low, size_t len)
{
	size_t lead = 0, trail = len;
	while (lead < len && is_digit_or_symbol((unsigned char)low[lead]))
		lead++;
	while (trail > 0 && is_digit_or_symbol((unsigned char)low[trail - 1]))
		trail--;
	size_t starts[2] = {0, lead};
	size_t nstarts = lead > 0 && lead < len ? 2 : 1;
	for (size_t k = 0; k < nstarts; k++) {
		size_t s = starts[k];
		size_t first = trail > s + CORE_MIN ? trail : s + CORE_MIN;
		for (size_t end = first; end <= len && end - s <= CORE_MAX; end++)
			if (core_is_common(low + s, end - s))
				return true;
	}
	return false;
}

/* True when the len bytes at s are one UTF-8 code point repeated. */
static bool is_one_repeated(const char *s, size_t len)
{
	unsigned char c = (unsigned char)s[0];
	size_t unit = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (len % unit != 0)
		return false;
	for (size_t i = unit; i < len; i++)
		if (s[i] != s[i % unit])
			return false;
	return true;
}

int crypto_password_policy(const char *password)
{
	size_t len = strnlen(password, CRYPTO_PASSWORD_MAX_BYTES + 1);
	if (len > CRYPTO_PASSWORD_MAX_BYTES)
		return CRYPTO_POLICY_TOO_LONG;
	size_t chars = 0;
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)password[i] & 0xC0) != 0x80;
	if (chars < CRYPTO_PASSWORD_MIN_CHARS)
		return CRYPTO_POLICY_TOO_SHORT;
	if (is_one_repeated(password, len))
		return CRYPTO_POLICY_REPEATED;
	char low[CRYPTO_PASSWORD_MAX_BYTES + 1];
	for (size_t i = 0; i < len; i++) {
		char c = password[i];
		low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	low[len] = 0;
	bool common = is_common(low, len);
	OPENSSL_cleanse(low, len);
	return common ? CRYPTO_POLICY_COMMON : CRYPTO_POLICY_OK;
}

size_t crypto_common_password_count(void)
{
	return COMMON_PASSWORDS_COUNT;
}

const char *crypto_common_password_at(size_t i)
{
	return i < COMMON_PASSWORDS_COUNT ? common_passwords[i] : NULL;
}

/* ---- HMAC and sealed boxes ---- */

void crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t len, unsigned char out[32])
{
	size_t outlen = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen, msg, len, out, 32, &outlen) || outlen != 32) {
		log_error("crypto: HMAC-SHA256 failed (error %lu)", ERR_get_error());
		abort();
	}
}

unsigned char *crypto_seal_new(const unsigned char key[32], const void *pt, size_t n)
{
	if (n > INT_MAX - CRYPTO_SEAL_OVERHEAD)
		abort();
	unsigned char *out = xmalloc(n + CRYPTO_SEAL_OVERHEAD);
	crypto_random(out, 12);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
	    EVP_EncryptUpdate(c, out + 12, &len, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c, out + 12 + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + n) != 1) {
		log_error("crypto: AES-256-GCM sealing failed (error %lu)", ERR_get_error());
		abort();
	}
	EVP_CIPHER_CTX_free(c);
	return out;
}

unsigned char *crypto_open_new(const unsigned char key[32], const void *sealed, size_t n, size_t *out_len)
{
	const unsigned char *in = sealed;
	if (n < CRYPTO_SEAL_OVERHEAD || n > INT_MAX)
		return NULL;
	size_t ct = n - CRYPTO_SEAL_OVERHEAD;
	unsigned char *out = xmalloc(ct + 1);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
		  EVP_DecryptUpdate(c, out, &len, in + 12, (int)ct) == 1 &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(in + 12 + ct)) == 1 &&
		  EVP_DecryptFinal_ex(c, out + len, &fin) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		free(out);
		return NULL;
	}
	out[ct] = '\0';
	*out_len = ct;
	return out;
}

/* ---- TOTP ---- */

/* HOTP (RFC 4226) of counter with the given number of digits; UINT32_MAX on failure. */
static uint32_t hotp(const unsigned char *secret, size_t len, uint64_t counter, int digits)
{
	static const uint32_t pow10[] = {1,	 10,	  100,	    1000,      10000,
					 100000, 1000000, 10000000, 100000000, 1000000000};
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	if (len == 0 || digits < 1 || digits > 9)
		return UINT32_MAX;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, secret, len, msg, sizeof msg, mac,
		       sizeof mac, &maclen) ||
	    maclen != 20) {
		log_error("crypto: HMAC-SHA1 failed (error %lu)", ERR_get_error());
		return UINT32_MAX;
	}
	unsigned off = mac[19] & 0x0f;
	uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
		       (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	OPENSSL_cleanse(mac, sizeof mac);
	return bin % pow10[digits];
}

/* The 30-second step holding t, rounding towards minus infinity. */
static int64_t totp_step(int64_t t)
{
	return t >= 0 ? t / 30 : (t + 1) / 30 - 1;
}

uint32_t crypto_totp_digits(const unsigned char *secret, size_t len, int64_t t, int digits)
{
	return hotp(secret, len, (uint64_t)totp_step(t), digits);
}

uint32_t crypto_totp(const unsigned char *secret, size_t len, int64_t t)
{
	return crypto_totp_digits(secret, len, t, 6);
}

int64_t crypto_totp_check(const unsigned char *secret, size_t len, const char *code, int64_t t)
{
	if (!code || len == 0 || strlen(code) != 6)
		return 0;
	for (int i = 0; i < 6; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	int64_t now = totp_step(t);
	/* Current step first so it wins a tie, then the previous, then the next. */
	const int64_t steps[3] = {now, now - 1, now + 1};
	bool match[3];
	for (int i = 0; i < 3; i++) {
		char want[16];
		uint32_t v = hotp(secret, len, (uint64_t)steps[i], 6);
		snprintf(want, sizeof want, "%06u", (unsigned)v);
		/* A failed HMAC yields UINT32_MAX, ten digits long, which never equals six. */
		match[i] = strlen(want) == 6 && CRYPTO_memcmp(want, code, 6) == 0 && steps[i] > 0;
	}
	for (int i = 0; i < 3; i++)
		if (match[i])
			return steps[i];
	return 0;
}
