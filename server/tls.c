/* tls.c — the one place TLS is configured. Profile: Mozilla "intermediate" (TLS 1.2 and 1.3,
 * ECDHE AEAD ciphers only, the client's cipher preference as that profile says). Resumption by
 * stateless tickets whose keys rotate every 12 hours, with the previous key still accepted. */
#include "tls.h"

#include "util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char cipher_list[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
				  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
				  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char ciphersuites[] = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
				   "TLS_CHACHA20_POLY1305_SHA256";

#define TICKET_ROTATE_SECONDS (12 * 3600)

struct ticket_key {
	unsigned char name[16], aes[32], hmac[32];
	int64_t born;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *current;
static struct ticket_key keys[2]; /* [0] current (encrypts), [1] previous (decrypts only) */
/* The ticket cipher, fetched once: EVP_aes_256_cbc() makes OpenSSL 3 look the implementation up
 * by name (under its method store's lock) in every EVP_EncryptInit_ex, i.e. on every handshake. */
static EVP_CIPHER *ticket_cipher;

/* Logs and clears every error in this thread's OpenSSL error queue, each prefixed with what. */
static void log_ssl_errors(const char *what)
{
	unsigned long e;
	char buf[256];
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		log_error("tls: %s: %s", what, buf);
	}
}

/* Fills k with a new random name, AES key and HMAC key, born now; aborts if the random generator
 * fails. Called with lock held. */
static void ticket_key_fresh(struct ticket_key *k)
{
	if (RAND_bytes(k->name, sizeof k->name) != 1 || RAND_bytes(k->aes, sizeof k->aes) != 1 ||
	    RAND_bytes(k->hmac, sizeof k->hmac) != 1)
		abort();
	k->born = now_unix();
}

void tls_rotate_ticket_keys(void)
{
	pthread_mutex_lock(&lock);
	if (keys[0].born == 0) {
		ticket_key_fresh(&keys[0]);
		keys[1] = keys[0];
	} else if (now_unix() - keys[0].born >= TICKET_ROTATE_SECONDS) {
		keys[1] = keys[0];
		ticket_key_fresh(&keys[0]);
	}
	pthread_mutex_unlock(&lock);
}

/* OpenSSL's ticket callback: enc=1 encrypts a new ticket with the current key; enc=0 finds the
 * key by name. Returns 2 for "decrypted: issue a new ticket" — for a ticket of the old key, and
 * for every TLS 1.3 resumption, as nginx does: TLS 1.3 clients are to use a ticket once (RFC 8446
 * C.4), and with 1 OpenSSL sends none after a resumption, so a client that keeps one session per
 * connection slot (wrk, reusing its SSL) resumed only every other connection and paid a full
 * handshake, certificate and signature, on the others (tests/e2e/test_foundation
 * test_close_notify). */
static int ticket_cb(SSL *ssl, unsigned char key_name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
		     EVP_MAC_CTX *hctx, int enc)
{
	struct ticket_key k;
	int which = -1;
	pthread_mutex_lock(&lock);
	if (enc) {
		k = keys[0];
		which = 0;
	} else {
		for (int i = 0; i < 2; i++)
			if (memcmp(key_name, keys[i].name, 16) == 0) {
				k = keys[i];
				which = i;
				break;
			}
	}
	pthread_mutex_unlock(&lock);
	if (which < 0)
		return 0;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k.hmac, sizeof k.hmac),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"sha256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (enc) {
		memcpy(key_name, k.name, 16);
		if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1)
			return -1;
		if (!EVP_EncryptInit_ex2(cctx, ticket_cipher, k.aes, iv, NULL) ||
		    !EVP_MAC_CTX_set_params(hctx, params))
			return -1;
		return 1;
	}
	if (!EVP_DecryptInit_ex2(cctx, ticket_cipher, k.aes, iv, NULL) ||
	    !EVP_MAC_CTX_set_params(hctx, params))
		return -1;
	return which == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
}

int tls_load(const char *cert_path, const char *key_path)
{
	tls_rotate_ticket_keys();
	if (!ticket_cipher && !(ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL))) {
		log_ssl_errors("AES-256-CBC");
		return -1;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		log_ssl_errors("SSL_CTX_new");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Mozilla's intermediate profile leaves the order to the client, but testssl.sh (the scan of
	 * tests/scan) rates that HIGH; every suite offered is ECDHE + AEAD, so a server order of
	 * AES-GCM then ChaCha20 costs nothing and keeps the scan clean. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, cipher_list) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, ciphersuites) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
		log_ssl_errors("cipher setup");
		SSL_CTX_free(ctx);
		return -1;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_ssl_errors(cert_path);
		SSL_CTX_free(ctx);
		return -1;
	}
	static const unsigned char sid_ctx[] = "mamori";
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_timeout(ctx, 7200);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	SSL_CTX_set_num_tickets(ctx, 1);

	pthread_mutex_lock(&lock);
	SSL_CTX *old = current;
	current = ctx;
	pthread_mutex_unlock(&lock);
	/* Connections already open hold their own reference; they finish on the old context. */
	SSL_CTX_free(old);
	return 0;
}

SSL *tls_new_ssl(void)
{
	pthread_mutex_lock(&lock);
	SSL *ssl = current ? SSL_new(current) : NULL;
	pthread_mutex_unlock(&lock);
	return ssl;
}

void tls_shutdown(void)
{
	pthread_mutex_lock(&lock);
	SSL_CTX_free(current);
	current = NULL;
	pthread_mutex_unlock(&lock);
	EVP_CIPHER_free(ticket_cipher);
	ticket_cipher = NULL;
}

/* Writes obj with fn (a PEM_write_* wrapper returning 1 on success) to path: into a new path.tmp
 * created with the given mode (a private key is never readable by others, whatever the umask,
 * not even for a moment), synced, then renamed over path. A path.tmp left by a crash is
 * removed first. Returns 0, or -1 (logged). */
static int write_pem(const char *path, int mode, int (*fn)(FILE *, void *), void *obj)
{
	char *tmp = xasprintf("%s.tmp", path);
	unlink(tmp); /* a crash's leftover: ours, and possibly with a wider mode */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (fd >= 0 && fchmod(fd, (mode_t)mode) < 0) { /* the umask may have narrowed it; never widened */
		close(fd);
		fd = -1;
	}
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f && fd >= 0)
		close(fd);
	int rc = -1;
	if (f) {
		rc = fn(f, obj) == 1 ? 0 : -1;
		if (fflush(f) != 0 || fsync(fileno(f)) != 0)
			rc = -1;
		fclose(f);
		if (rc == 0 && rename(tmp, path) != 0)
			rc = -1;
		if (rc != 0)
			unlink(tmp);
	}
	if (rc != 0)
		log_error("tls: cannot write %s", path);
	free(tmp);
	return rc;
}

/* write_pem's writer of a private key (EVP_PKEY), unencrypted. */
static int pem_key(FILE *f, void *k)
{
	return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}

/* write_pem's writer of a certificate (X509). */
static int pem_cert(FILE *f, void *x)
{
	return PEM_write_X509(f, x);
}

int tls_make_self_signed(const char *cert_path, const char *key_path)
{
	struct stat st;
	if (stat(cert_path, &st) == 0 && stat(key_path, &st) == 0)
		return 0;
	int rc = -1;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext = NULL;
	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	unsigned char serial[16];
	if (RAND_bytes(serial, sizeof serial) != 1)
		goto out;
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mamori development", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
	if (!ext || !X509_add_ext(x, ext, -1))
		goto out;
	if (!X509_sign(x, key, EVP_sha256()))
		goto out;
	if (write_pem(key_path, 0600, pem_key, key) < 0 || write_pem(cert_path, 0644, pem_cert, x) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		log_ssl_errors("self-signed certificate");
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}
