/* config.h — the server's configuration: defaults, the `key = value` file of docs/API.md §1, and
 * validation. A configuration is built once at start and then only read (by every thread). */
#ifndef MAMORI_CONFIG_H
#define MAMORI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most worker threads (event loops) a server runs: the writer batches the writes of at
 * most this many worker connections (db.c). More is refused at start; the default (one per
 * core) is capped at it. */
#define CONFIG_MAX_WORKERS 64

struct config {
	char *data_dir;
	char *listen;   /* HOST:PORT */
	char *tls_cert; /* default DATA/tls/cert.pem */
	char *tls_key;  /* default DATA/tls/key.pem */
	char *base_url; /* for links in e-mail; default https://LISTEN */
	char *smtp_host;
	int smtp_port;
	char *mail_from;
	double sla_peer_hours;
	double sla_expert_hours;
	int track_capacity;
	int participants_per_company;
	int64_t max_attachment_bytes;
	int workers;
	int helpers;           /* helper threads for slow work */
	int max_connections;   /* per worker */
	int timeout_seconds;   /* read/write timeout of a connection */
	int session_idle_seconds;
	int session_max_seconds;
	int invite_days;
	int post_rate_per_minute; /* posts and threads a non-secretariat user may store a minute; 0: no limit */
	char *web_dir;
	/* Applications (docs/API.md §8, docs/APPLICATIONS.md). */
	int64_t application_deadline;   /* epoch seconds; CONFIG_NO_DEADLINE when unset (always open) */
	int application_rate_per_hour;  /* attempts per client address per hour; 0: no limit */
	int application_retention_days; /* declined/waitlisted applications are deleted after this */
	/* Test only: seconds added to the wall clock (util.h now_unix). Refused at start unless the
	 * environment has MAMORI_TEST_CLOCK=1 (main.c). */
	int64_t clock_offset_seconds;
	/* Expert dispatch (docs/DISPATCH.md): the day (month * 100 + day, Japan time) by which stage 1
	 * and stage 4 visits should be done in a program year that starts in April; a day past the
	 * month's end means its last day ("02-29" = end of February in any year). */
	int dispatch_stage1_due;
	int dispatch_stage4_due;
};
#define CONFIG_NO_DEADLINE INT64_MAX

/* Fills c with defaults (data_dir may be NULL until set). */
void config_defaults(struct config *c);
/* Sets one key from text. Returns 0, or -1 with a message in err[256] naming the key. */
int config_set(struct config *c, const char *key, const char *value, char err[256]);
/* Reads a config file of `key = value` lines (`#` starts a comment). The caller applies
 * command-line flags afterwards, so flags win. Returns 0 or -1 with err naming the file, line
 * and key. */
int config_load_file(struct config *c, const char *path, char err[256]);
/* Fills in values derived from others (TLS paths from data_dir, base_url from listen). */
/* The same for text already in memory (name is used in messages); used by the fuzz target. */
int config_load_text(struct config *c, const char *text, size_t len, const char *name, char err[256]);
void config_finish(struct config *c);
void config_free(struct config *c);

#endif
