/* test_crypto.c — unit tests for server/crypto.c: published test vectors (RFC 6238 TOTP,
 * RFC 4648 base32/base64url, RFC 7914 scrypt, FIPS 180 SHA-256), password hash round trips and
 * malformed stored strings, the password policy and the common-password list itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/* ---- TOTP ---- */

static const unsigned char rfc6238_secret[] = "12345678901234567890";
#define RFC6238_SECRET_LEN 20

static void test_totp_rfc6238_vectors(void **state)
{
	(void)state;
	static const struct {
		int64_t t;
		uint32_t code8;
	} v[] = {
		{59, 94287082},         {1111111109, 7081804}, {1111111111, 14050471},
		{1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(crypto_totp_digits(rfc6238_secret, RFC6238_SECRET_LEN, v[i].t, 8),
				 v[i].code8);
		assert_int_equal(crypto_totp(rfc6238_secret, RFC6238_SECRET_LEN, v[i].t),
				 v[i].code8 % 1000000);
	}
	/* Every second of a step gives the same code; the next step another one. */
	assert_int_equal(crypto_totp(rfc6238_secret, RFC6238_SECRET_LEN, 1111111080),
			 crypto_totp(rfc6238_secret, RFC6238_SECRET_LEN, 1111111109));
	assert_int_not_equal(crypto_totp(rfc6238_secret, RFC6238_SECRET_LEN, 1111111109),
			     crypto_totp(rfc6238_secret, RFC6238_SECRET_LEN, 1111111109 + 30));
	/* No secret, no code. */
	assert_int_equal(crypto_totp(rfc6238_secret, 0, 59), UINT32_MAX);
}

static void code_string(int64_t t, char out[7])
{
	uint32_t c = crypto_totp(rfc6238_secret, RFC6238_SECRET_LEN, t);
	for (int i = 5; i >= 0; i--) {
		out[i] = (char)('0' + c % 10);
		c /= 10;
	}
	out[6] = 0;
}

static void test_totp_check_window(void **state)
{
	(void)state;
	const int64_t t = 1111111109, step = t / 30;
	char code[7];

	code_string(t, code);
	assert_string_equal(code, "081804");
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, code, t), step);

	code_string(t - 30, code);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, code, t), step - 1);
	code_string(t + 30, code);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, code, t), step + 1);

	/* Outside the ±1 step window. */
	code_string(t - 60, code);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, code, t), 0);
	code_string(t + 60, code);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, code, t), 0);

	/* The RFC's t=59 code (8 digits 94287082 -> 6 digits 287082) is step 1. */
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, "287082", 59), 1);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, "287082", 59 + 30),
			 1);
	/* Another secret does not accept it. */
	assert_int_equal(crypto_totp_check((const unsigned char *)"another secret!!", 16,
					   "287082", 59),
			 0);
}

static void test_totp_check_malformed(void **state)
{
	(void)state;
	const int64_t t = 1111111109;
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, "81804", t), 0);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, "0081804", t), 0);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, "08180a", t), 0);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, " 81804", t), 0);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, "", t), 0);
	assert_int_equal(crypto_totp_check(rfc6238_secret, RFC6238_SECRET_LEN, NULL, t), 0);
	assert_int_equal(crypto_totp_check(rfc6238_secret, 0, "081804", t), 0);
}

/* ---- base32 ---- */

static void test_base32_rfc4648_vectors(void **state)
{
	(void)state;
	static const struct {
		const char *plain, *enc;
	} v[] = {
		{"", ""},          {"f", "MY"},          {"fo", "MZXQ"},         {"foo", "MZXW6"},
		{"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = strlen(v[i].plain), len = 99;
		char *enc = crypto_base32_encode_new((const unsigned char *)v[i].plain, n);
		assert_string_equal(enc, v[i].enc);
		free(enc);
		unsigned char out[16];
		assert_int_equal(crypto_base32_decode(v[i].enc, out, sizeof out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, v[i].plain, n);
	}
	/* The RFC 6238 secret as authenticator apps show it. */
	char *enc = crypto_base32_encode_new(rfc6238_secret, RFC6238_SECRET_LEN);
	assert_string_equal(enc, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	free(enc);
}

static void test_base32_decode_lenient_and_strict(void **state)
{
	(void)state;
	unsigned char out[32];
	size_t len = 0;
	/* What people type: lower case, groups of four, the padding of RFC 4648 §6. */
	assert_int_equal(crypto_base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", out,
					      sizeof out, &len),
			 0);
	assert_int_equal(len, 20);
	assert_memory_equal(out, rfc6238_secret, 20);
	assert_int_equal(crypto_base32_decode("MZXW6===", out, sizeof out, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "foo", 3);

	assert_int_equal(crypto_base32_decode("MZXW1", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_base32_decode("MZ-XW", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_base32_decode("MY=Y", out, sizeof out, &len), -EINVAL);
	/* Lengths no byte string encodes to: 1, 3 and 6 characters past a full group. */
	assert_int_equal(crypto_base32_decode("M", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_base32_decode("MZX", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_base32_decode("MZXW6Y", out, sizeof out, &len), -EINVAL);
	/* "MZ" leaves two set bits after the one byte: not canonical. */
	assert_int_equal(crypto_base32_decode("MZ", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_base32_decode("MZXW6YTBOI", out, 5, &len), -ENOSPC);
}

static void test_base32_round_trip(void **state)
{
	(void)state;
	unsigned char data[41], out[41];
	for (size_t n = 0; n <= sizeof data; n++) {
		crypto_random(data, n);
		char *enc = crypto_base32_encode_new(data, n);
		assert_int_equal(strlen(enc), (n * 8 + 4) / 5);
		assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), strlen(enc));
		size_t len = 999;
		assert_int_equal(crypto_base32_decode(enc, out, sizeof out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, data, n);
		free(enc);
	}
}

/* ---- base64url and tokens ---- */

static void test_b64url_vectors_and_round_trip(void **state)
{
	(void)state;
	static const struct {
		const char *plain, *enc;
	} v[] = {
		{"", ""},         {"f", "Zg"},          {"fo", "Zm8"},           {"foo", "Zm9v"},
		{"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *enc = crypto_b64url_new((const unsigned char *)v[i].plain, strlen(v[i].plain));
		assert_string_equal(enc, v[i].enc);
		free(enc);
	}
	unsigned char data[40], out[40];
	for (size_t n = 0; n <= sizeof data; n++) {
		crypto_random(data, n);
		char *enc = crypto_b64url_new(data, n);
		size_t len = 999;
		assert_int_equal(crypto_b64url_decode(enc, out, sizeof out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, data, n);
		free(enc);
	}
	size_t len;
	assert_int_equal(crypto_b64url_decode("Zg==", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_b64url_decode("Z", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_b64url_decode("Zh", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_b64url_decode("+/8", out, sizeof out, &len), -EINVAL);
	assert_int_equal(crypto_b64url_decode("Zm9vYmFy", out, 5, &len), -ENOSPC);
}

static void test_token_shape(void **state)
{
	(void)state;
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *a = crypto_token_new(), *b = crypto_token_new();
	assert_int_equal(strlen(a), CRYPTO_TOKEN_LEN);
	assert_int_equal(strlen(b), CRYPTO_TOKEN_LEN);
	assert_int_equal(strspn(a, alphabet), CRYPTO_TOKEN_LEN);
	assert_int_equal(strspn(b, alphabet), CRYPTO_TOKEN_LEN);
	assert_string_not_equal(a, b);
	unsigned char raw[64];
	size_t len = 0;
	assert_int_equal(crypto_b64url_decode(a, raw, sizeof raw, &len), 0);
	assert_int_equal(len, 32);
	free(a);
	free(b);
}

static void test_random_fills(void **state)
{
	(void)state;
	unsigned char a[64] = {0}, b[64] = {0}, zero[64] = {0};
	crypto_random(a, sizeof a);
	crypto_random(b, sizeof b);
	assert_memory_not_equal(a, zero, sizeof a);
	assert_memory_not_equal(a, b, sizeof a);
	crypto_random(NULL, 0);
}

/* ---- SHA-256 and comparison ---- */

static void test_sha256(void **state)
{
	(void)state;
	char hex[65];
	crypto_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	crypto_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	unsigned char raw[32];
	crypto_sha256("abc", 3, raw);
	assert_int_equal(raw[0], 0xba);
	assert_int_equal(raw[31], 0xad);
}

static void test_streq(void **state)
{
	(void)state;
	assert_true(crypto_streq("", ""));
	assert_true(crypto_streq("token-abc", "token-abc"));
	assert_false(crypto_streq("token-abc", "token-abd"));
	assert_false(crypto_streq("token-abc", "token-ab"));
	assert_false(crypto_streq("token-ab", "token-abc"));
	assert_false(crypto_streq("", "x"));
	assert_false(crypto_streq("Token-abc", "token-abc"));
	assert_false(crypto_streq(NULL, "x"));
	assert_false(crypto_streq("x", NULL));
	assert_false(crypto_streq(NULL, NULL));
}

/* ---- password hashing ---- */

static const char hash_prefix[] = "$scrypt$ln=15,r=8,p=1$";

static void test_password_hash_round_trip(void **state)
{
	(void)state;
	const char *pw = "correct horse battery staple";
	char *h1 = crypto_password_hash_new(pw);
	char *h2 = crypto_password_hash_new(pw);
	assert_non_null(h1);
	assert_non_null(h2);
	assert_memory_equal(h1, hash_prefix, strlen(hash_prefix));
	/* prefix + 22 chars of salt + '$' + 43 chars of key */
	assert_int_equal(strlen(h1), strlen(hash_prefix) + 22 + 1 + 43);
	assert_string_not_equal(h1, h2); /* fresh salt each time */
	assert_int_equal(crypto_password_verify(pw, h1), 1);
	assert_int_equal(crypto_password_verify(pw, h2), 1);
	assert_int_equal(crypto_password_verify("correct horse battery stapl", h1), 0);
	assert_int_equal(crypto_password_verify("Correct horse battery staple", h1), 0);
	assert_int_equal(crypto_password_verify("", h1), 0);
	assert_false(crypto_password_needs_rehash(h1));
	free(h1);
	free(h2);

	const char *jp = "日本語のパスワードです、長め";
	char *h3 = crypto_password_hash_new(jp);
	assert_int_equal(crypto_password_verify(jp, h3), 1);
	assert_int_equal(crypto_password_verify("日本語のパスワードです、長い", h3), 0);
	free(h3);
}

static void test_password_verify_rfc7914_vector(void **state)
{
	(void)state;
	/* RFC 7914 §12: P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64, in our format; it
	 * proves the parameters are read from the string and the encoding is standard base64. */
	const char *stored = "$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s"
			     "3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA";
	assert_int_equal(crypto_password_verify("password", stored), 1);
	assert_int_equal(crypto_password_verify("Password", stored), 0);
	assert_true(crypto_password_needs_rehash(stored));
	/* ln=14 with Python's hashlib.scrypt: old parameters keep working and ask for a rehash. */
	const char *old = "$scrypt$ln=14,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDae"
			  "jcvcTRQhZaD1OJNCE";
	assert_int_equal(crypto_password_verify("correct horse battery", old), 1);
	assert_int_equal(crypto_password_verify("correct horse battery!", old), 0);
	assert_true(crypto_password_needs_rehash(old));
}

static void test_password_verify_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"password",
		"$scrypt$",
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$scrypt$ln=15,r=8,p=1$",
		"$scrypt$ln=15,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg",
		"$scrypt$ln=15,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$",
		"$scrypt$ln=15,r=8,p=1$$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=x,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$r=8,ln=15,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		/* out of bounds: ln 0 and 21, r 0 and 33, p 0 and 17, 4 GiB of memory */
		"$scrypt$ln=0,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=21,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=15,r=0,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=15,r=33,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=15,r=8,p=0$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=15,r=8,p=17$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=20,r=32,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=99999,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJ",
		/* bad base64: url alphabet, padding, stray characters, a third '$' */
		"$scrypt$ln=15,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNC_",
		"$scrypt$ln=15,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg==$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJ",
		"$scrypt$ln=15,r=8,p=1$MDEy MzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE",
		"$scrypt$ln=15,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE$",
		"$scrypt$ln=15,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXTYCCHxLXDaejcvcTRQhZaD1OJNCE ",
		/* a key under 16 bytes */
		"$scrypt$ln=15,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ebnHHTApWa0oNoXT",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (crypto_password_verify("correct horse battery", bad[i]) != -1)
			fail_msg("accepted malformed stored string %zu: %s", i, bad[i]);
		assert_true(crypto_password_needs_rehash(bad[i]));
	}
	assert_int_equal(crypto_password_verify("x", NULL), -1);
}

static void test_password_dummy(void **state)
{
	(void)state;
	const char *d = crypto_password_dummy();
	assert_ptr_equal(d, crypto_password_dummy());
	assert_memory_equal(d, hash_prefix, strlen(hash_prefix));
	/* Well-formed (so it costs a full scrypt) and matching nothing a user would type. */
	assert_int_equal(crypto_password_verify("correct horse battery staple", d), 0);
	assert_int_equal(crypto_password_verify("", d), 0);
	assert_false(crypto_password_needs_rehash(d));
}

/* ---- policy ---- */

static void expect_policy(const char *pw, int want)
{
	int got = crypto_password_policy(pw);
	if (got != want)
		fail_msg("policy(\"%s\") = %d, want %d", pw, got, want);
}

static void test_policy_length(void **state)
{
	(void)state;
	expect_policy("", CRYPTO_POLICY_TOO_SHORT);
	expect_policy("Tr0ub4dor&3", CRYPTO_POLICY_TOO_SHORT); /* 11 */
	expect_policy("Tr0ub4dor&3x", CRYPTO_POLICY_OK);        /* 12 */
	/* Code points, not bytes: 11 kana are 33 bytes and still too short. */
	expect_policy("いろはにほへとちりぬる", CRYPTO_POLICY_TOO_SHORT);
	expect_policy("いろはにほへとちりぬるを", CRYPTO_POLICY_OK);

	char big[1100];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + (i * 7 + i / 26) % 26);
	big[1024] = 0;
	expect_policy(big, CRYPTO_POLICY_OK);
	big[1024] = 'q';
	big[1025] = 0;
	expect_policy(big, CRYPTO_POLICY_TOO_LONG);
}

static void test_policy_repeated(void **state)
{
	(void)state;
	expect_policy("aaaaaaaaaaaa", CRYPTO_POLICY_REPEATED);
	expect_policy("111111111111", CRYPTO_POLICY_REPEATED);
	expect_policy("!!!!!!!!!!!!!!!!!!!!", CRYPTO_POLICY_REPEATED);
	expect_policy("ああああああああああああ", CRYPTO_POLICY_REPEATED);
	expect_policy("aaaaaaaaaaab", CRYPTO_POLICY_OK);
}

static void test_policy_common(void **state)
{
	(void)state;
	expect_policy("password1234", CRYPTO_POLICY_COMMON);
	expect_policy("Password123!", CRYPTO_POLICY_COMMON);
	expect_policy("PASSWORD1234!!!!", CRYPTO_POLICY_COMMON);
	expect_policy("password1234!!!!", CRYPTO_POLICY_COMMON);
	expect_policy("P@ssw0rd2026!", CRYPTO_POLICY_COMMON);
	expect_policy("iloveyou2026", CRYPTO_POLICY_COMMON);
	expect_policy("123456789012", CRYPTO_POLICY_COMMON);
	expect_policy("sakura2026!!", CRYPTO_POLICY_COMMON);
	expect_policy("Doraemon1234", CRYPTO_POLICY_COMMON);
	expect_policy("arigatou1234", CRYPTO_POLICY_COMMON);
	expect_policy("tokyo2020!!!", CRYPTO_POLICY_COMMON);
	expect_policy("mamori2026!!", CRYPTO_POLICY_COMMON);
	/* Digits/symbols in front too. */
	expect_policy("123password!", CRYPTO_POLICY_COMMON);
	expect_policy("2026 sakura!", CRYPTO_POLICY_COMMON);
	/* Decided: keyboard walks are refused as common, also ones longer than any list entry
	 * and with digits/symbols after them. */
	expect_policy("qwertyuiopasdf", CRYPTO_POLICY_COMMON);
	expect_policy("QwErTyUiOpAsDfGh", CRYPTO_POLICY_COMMON);
	expect_policy("1qaz2wsx3edc", CRYPTO_POLICY_COMMON);
	expect_policy("asdfghjkl;'!", CRYPTO_POLICY_COMMON);
	expect_policy("abcdefgh1234", CRYPTO_POLICY_COMMON);
	expect_policy("!@#$%^&*()_+", CRYPTO_POLICY_COMMON);
	expect_policy("zyxwvutsrqpo", CRYPTO_POLICY_COMMON);
}

static void test_policy_accepts(void **state)
{
	(void)state;
	expect_policy("correct horse battery staple", CRYPTO_POLICY_OK);
	expect_policy("x9#Lq2!vB7$m", CRYPTO_POLICY_OK);
	expect_policy("583920174638", CRYPTO_POLICY_OK);
	/* A common word followed by letters is not the pattern the rule is about. */
	expect_policy("passwordsafe1", CRYPTO_POLICY_OK);
	expect_policy("sakura-no-hanabira", CRYPTO_POLICY_OK);
	expect_policy("mamori-forum-2026", CRYPTO_POLICY_OK);
	expect_policy("中小企業のセキュリティ対策", CRYPTO_POLICY_OK);
}

static void test_common_list_sorted_and_reachable(void **state)
{
	(void)state;
	size_t n = crypto_common_password_count();
	assert_true(n >= 2000);
	assert_null(crypto_common_password_at(n));
	char pw[128];
	for (size_t i = 0; i < n; i++) {
		const char *e = crypto_common_password_at(i);
		size_t len = strlen(e);
		if (len < 4 || len > 64)
			fail_msg("entry %zu \"%s\" has length %zu", i, e, len);
		for (const char *p = e; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				fail_msg("entry %zu \"%s\" is not lowercase", i, e);
		if (i > 0 && strcmp(crypto_common_password_at(i - 1), e) >= 0)
			fail_msg("entries %zu and %zu out of order or repeated", i - 1, i);
		/* Every entry is found (bsearch works on this order), in any case, with the
		 * suffix rule: entry + 12 symbols is long enough for the length check. */
		memcpy(pw, e, len);
		memcpy(pw + len, "!!!!!!!!!!!!", 13);
		pw[0] = pw[0] >= 'a' && pw[0] <= 'z' ? (char)(pw[0] - 'a' + 'A') : pw[0];
		if (crypto_password_policy(pw) != CRYPTO_POLICY_COMMON)
			fail_msg("entry %zu \"%s\" not refused as \"%s\"", i, e, pw);
	}
}

/* A sealed box opens with its key only, and not once any byte of it changed. */
static void test_seal_round_trip_and_tamper(void **state)
{
	(void)state;
	unsigned char k[32], other[32];
	crypto_hmac_sha256("key", 3, "msg", 3, k);
	crypto_hmac_sha256("key", 3, "msh", 3, other);
	assert_memory_not_equal(k, other, 32);
	const char *msg = "{\"invite_token\":\"秘密\"}";
	size_t n = strlen(msg), got = 0;
	unsigned char *box = crypto_seal_new(k, msg, n);
	assert_null(memmem(box, n + CRYPTO_SEAL_OVERHEAD, "invite_token", 12));
	unsigned char *plain = crypto_open_new(k, box, n + CRYPTO_SEAL_OVERHEAD, &got);
	assert_non_null(plain);
	assert_int_equal(got, n);
	assert_string_equal((char *)plain, msg);
	free(plain);
	assert_null(crypto_open_new(other, box, n + CRYPTO_SEAL_OVERHEAD, &got));
	for (size_t i = 0; i < n + CRYPTO_SEAL_OVERHEAD; i += 7) {
		box[i] ^= 1;
		assert_null(crypto_open_new(k, box, n + CRYPTO_SEAL_OVERHEAD, &got));
		box[i] ^= 1;
	}
	assert_null(crypto_open_new(k, box, CRYPTO_SEAL_OVERHEAD - 1, &got));
	free(box);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totp_rfc6238_vectors),
		cmocka_unit_test(test_totp_check_window),
		cmocka_unit_test(test_totp_check_malformed),
		cmocka_unit_test(test_base32_rfc4648_vectors),
		cmocka_unit_test(test_base32_decode_lenient_and_strict),
		cmocka_unit_test(test_base32_round_trip),
		cmocka_unit_test(test_b64url_vectors_and_round_trip),
		cmocka_unit_test(test_token_shape),
		cmocka_unit_test(test_random_fills),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_streq),
		cmocka_unit_test(test_password_hash_round_trip),
		cmocka_unit_test(test_password_verify_rfc7914_vector),
		cmocka_unit_test(test_password_verify_malformed),
		cmocka_unit_test(test_password_dummy),
		cmocka_unit_test(test_policy_length),
		cmocka_unit_test(test_policy_repeated),
		cmocka_unit_test(test_policy_common),
		cmocka_unit_test(test_policy_accepts),
		cmocka_unit_test(test_common_list_sorted_and_reachable),
		cmocka_unit_test(test_seal_round_trip_and_tamper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
