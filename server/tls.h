/* tls.h — TLS for the server: the SSL_CTX (Mozilla "intermediate" profile), rotating session
 * ticket keys, reload on SIGHUP, and the self-signed development certificate of `mamori init`. */
#ifndef MAMORI_TLS_H
#define MAMORI_TLS_H

#include <openssl/ssl.h>

/* Loads cert and key into a new context and makes it current. Returns 0, or -1 with the
 * OpenSSL reason logged (the previous context, if any, stays current). Thread-safe. */
int tls_load(const char *cert_path, const char *key_path);
/* A new SSL for one accepted connection from the current context (caller owns it); NULL before
 * the first tls_load or for want of memory. Thread-safe. */
SSL *tls_new_ssl(void);
/* Rotates session ticket keys when they are old; called from a timer. Thread-safe. */
void tls_rotate_ticket_keys(void);
/* Releases the current context at exit. */
void tls_shutdown(void);
/* Writes a new self-signed P-256 certificate (CN and SAN: localhost, 127.0.0.1, ::1; one year)
 * and its key (mode 0600) unless both files exist. Returns 0 or -1 (logged). */
int tls_make_self_signed(const char *cert_path, const char *key_path);

#endif
