/* config.c — parsing and validating configuration keys (docs/API.md §1). Every key is declared once
 * in the table below with its type and range; the file parser and the flags both go through it. */
#include "config.h"

#define CONFIG_FILE_MAX (1u << 20) /* bytes of a configuration file */

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum key_type { K_STR, K_INT, K_INT64, K_HOURS, K_LISTEN, K_TIME, K_MONTHDAY };

struct key {
	const char *name;
	enum key_type type;
	size_t off;
	int64_t min, max;
};

#define F(field) offsetof(struct config, field)
static const struct key keys[] = {
	{"listen", K_LISTEN, F(listen), 0, 0},
	{"tls_cert", K_STR, F(tls_cert), 0, 0},
	{"tls_key", K_STR, F(tls_key), 0, 0},
	{"base_url", K_STR, F(base_url), 0, 0},
	{"smtp_host", K_STR, F(smtp_host), 0, 0},
	{"smtp_port", K_INT, F(smtp_port), 1, 65535},
	{"mail_from", K_STR, F(mail_from), 0, 0},
	{"sla_peer_hours", K_HOURS, F(sla_peer_hours), 0, 10000},
	{"sla_expert_hours", K_HOURS, F(sla_expert_hours), 0, 10000},
	{"track_capacity", K_INT, F(track_capacity), 1, 100000},
	{"participants_per_company", K_INT, F(participants_per_company), 1, 1000},
	{"max_attachment_bytes", K_INT64, F(max_attachment_bytes), 1, (int64_t)1 << 32},
	{"workers", K_INT, F(workers), 1, CONFIG_MAX_WORKERS},
	{"helpers", K_INT, F(helpers), 1, 64},
	{"max_connections", K_INT, F(max_connections), 16, 1000000},
	{"timeout_seconds", K_INT, F(timeout_seconds), 1, 3600},
	{"session_idle_seconds", K_INT, F(session_idle_seconds), 60, 365 * 86400},
	{"session_max_seconds", K_INT, F(session_max_seconds), 60, 365 * 86400},
	{"invite_days", K_INT, F(invite_days), 1, 365},
	{"post_rate_per_minute", K_INT, F(post_rate_per_minute), 0, 100000},
	{"web_dir", K_STR, F(web_dir), 0, 0},
	{"application_deadline", K_TIME, F(application_deadline), 0, 0},
	{"application_rate_per_hour", K_INT, F(application_rate_per_hour), 0, 100000},
	{"application_retention_days", K_INT, F(application_retention_days), 1, 3650},
	{"clock_offset_seconds", K_INT64, F(clock_offset_seconds), -100LL * 366 * 86400, 100LL * 366 * 86400},
	{"dispatch_stage1_due", K_MONTHDAY, F(dispatch_stage1_due), 0, 0},
	{"dispatch_stage4_due", K_MONTHDAY, F(dispatch_stage4_due), 0, 0},
};
#undef F

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->listen = xstrdup("127.0.0.1:8443");
	c->smtp_host = xstrdup("127.0.0.1");
	c->smtp_port = 25;
	c->mail_from = xstrdup("mamori@localhost");
	c->sla_peer_hours = 8;
	c->sla_expert_hours = 16;
	c->track_capacity = 15;
	c->participants_per_company = 1;
	c->max_attachment_bytes = 20 << 20;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n > CONFIG_MAX_WORKERS ? CONFIG_MAX_WORKERS : n > 0 ? (int)n : 1;
	/* One core is left to the event loops when there are few: hashing must not starve them. */
	c->helpers = n > 2 ? (int)n - 1 : 1;
	c->max_connections = 20000;
	c->timeout_seconds = 30;
	c->session_idle_seconds = 12 * 3600;
	c->session_max_seconds = 14 * 86400;
	c->invite_days = 7;
	c->post_rate_per_minute = 10;
	c->web_dir = xstrdup(MAMORI_WEB_DIR);
	c->application_deadline = CONFIG_NO_DEADLINE;
	c->application_rate_per_hour = 5;
	c->application_retention_days = 90;
	c->dispatch_stage1_due = 810;  /* 8月上旬 */
	c->dispatch_stage4_due = 229;  /* 2月下旬: the end of February */
}

/* Parses all of v as a base-10 integer (no trailing text, no overflow). Returns 0 with *out, or -1. */
static int parse_int64(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return -1;
	*out = n;
	return 0;
}

int config_set(struct config *c, const char *key, const char *value, char err[256])
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		const struct key *k = &keys[i];
		if (strcmp(k->name, key) != 0)
			continue;
		void *field = (char *)c + k->off;
		int64_t n;
		switch (k->type) {
		case K_STR:
			if (!*value) {
				snprintf(err, 256, "config: %s: empty value", key);
				return -1;
			}
			free(*(char **)field);
			*(char **)field = xstrdup(value);
			return 0;
		case K_LISTEN: {
			const char *colon = strrchr(value, ':');
			if (!colon || colon == value || parse_int64(colon + 1, &n) < 0 || n < 1 || n > 65535) {
				snprintf(err, 256, "config: %s: expected HOST:PORT, got '%s'", key, value);
				return -1;
			}
			free(*(char **)field);
			*(char **)field = xstrdup(value);
			return 0;
		}
		case K_INT:
		case K_INT64:
			if (parse_int64(value, &n) < 0 || n < k->min || n > k->max) {
				snprintf(err, 256, "config: %s: expected an integer from %lld to %lld, got '%s'", key,
					 (long long)k->min, (long long)k->max, value);
				return -1;
			}
			if (k->type == K_INT)
				*(int *)field = (int)n;
			else
				*(int64_t *)field = n;
			return 0;
		case K_TIME: {
			int64_t t;
			if (time_parse_rfc3339(value, &t) != 0) {
				snprintf(err, 256, "config: %s: expected an RFC 3339 time, got '%s'", key, value);
				return -1;
			}
			*(int64_t *)field = t;
			return 0;
		}
		case K_MONTHDAY: {
			static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
			int mo = 0, day = 0, used = 0;
			bool digits = strlen(value) == 5 && isdigit((unsigned char)value[0]) &&
				      isdigit((unsigned char)value[1]) && isdigit((unsigned char)value[3]) &&
				      isdigit((unsigned char)value[4]);
			if (!digits || sscanf(value, "%2d-%2d%n", &mo, &day, &used) != 2 || used != 5 || value[2] != '-' ||
			    mo < 1 || mo > 12 || day < 1 || day > mdays[mo - 1]) {
				snprintf(err, 256, "config: %s: expected a day as MM-DD, got '%s'", key, value);
				return -1;
			}
			*(int *)field = mo * 100 + day;
			return 0;
		}
		case K_HOURS: {
			char *end;
			errno = 0;
			double h = strtod(value, &end);
			if (errno || end == value || *end || !(h >= (double)k->min && h <= (double)k->max)) {
				snprintf(err, 256, "config: %s: expected a number of hours, got '%s'", key, value);
				return -1;
			}
			*(double *)field = h;
			return 0;
		}
		}
	}
	snprintf(err, 256, "config: unknown key '%s'", key);
	return -1;
}

/* Cuts trailing white space off s in place and returns s past its leading white space. */
static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int config_load_text(struct config *c, const char *text, size_t len, const char *name, char err[256])
{
	int lineno = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (n >= 4096 || memchr(p, 0, n)) {
			snprintf(err, 256, "config: %.64s:%d: line too long or not text", name, lineno);
			return -1;
		}
		char line[4096];
		memcpy(line, p, n);
		line[n] = 0;
		p += n + (nl ? 1 : 0);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, 256, "config: %.64s:%d: expected 'key = value'", name, lineno);
			return -1;
		}
		*eq = 0;
		char kerr[256];
		if (config_set(c, trim(s), trim(eq + 1), kerr) < 0) {
			snprintf(err, 256, "%.160s (%.64s line %d)", kerr, name, lineno);
			return -1;
		}
	}
	return 0;
}

int config_load_file(struct config *c, const char *path, char err[256])
{
	FILE *f = fopen(path, "r");
	if (!f) {
		char eb[ERR_STR_LEN];
		snprintf(err, 256, "config: cannot read %.160s: %s", path, err_str(errno, eb));
		return -1;
	}
	struct buf b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= CONFIG_FILE_MAX)
		buf_append(&b, chunk, n);
	fclose(f);
	if (b.len > CONFIG_FILE_MAX) {
		/* Refused whole: cut short, a line could load another value without a word. */
		snprintf(err, 256, "config: %.160s is larger than %u bytes", path, CONFIG_FILE_MAX);
		buf_free(&b);
		return -1;
	}
	int rc = config_load_text(c, buf_cstr(&b), b.len, path, err);
	buf_free(&b);
	return rc;
}

void config_finish(struct config *c)
{
	if (!c->tls_cert && c->data_dir)
		c->tls_cert = xasprintf("%s/tls/cert.pem", c->data_dir);
	if (!c->tls_key && c->data_dir)
		c->tls_key = xasprintf("%s/tls/key.pem", c->data_dir);
	if (!c->base_url)
		c->base_url = xasprintf("https://%s", c->listen);
}

void config_free(struct config *c)
{
	free(c->data_dir);
	free(c->listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->base_url);
	free(c->smtp_host);
	free(c->mail_from);
	free(c->web_dir);
	memset(c, 0, sizeof *c);
}
