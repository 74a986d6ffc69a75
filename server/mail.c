/* mail.c — the outbox (mail_enqueue), mail preferences (GET/PUT /api/v1/me/mail-preferences),
 * the secretariat's view of the outbox (GET /api/v1/mail/outbox), and the sender. The sender
 * lives on worker 0: its tick picks due rows, re-checks each recipient against the visibility
 * rule, composes the messages, and hands one batch to the helper pool, where libcurl sends them;
 * the results come back to worker 0, which marks rows sent or schedules their retry. Delivery is
 * at least once: a crash between the relay's acceptance and the mark sends that mail again. */
#include "mail.h"

#include "authz.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "kinds.h"
#include "router.h"
#include "server.h"
#include "util.h"
#include "view.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAIL_BATCH 20                    /* messages per trip to the helper pool */
#define MAIL_GIVE_UP_SECONDS (7 * 86400) /* a message still failing after a week is `failed` */
#define MAIL_SUBJECT_MAX 400             /* bytes of a caller's subject kept (invitations) */
#define MAIL_BODY_MAX 16384              /* bytes of a caller's body kept */

/* ---- kinds and preferences -------------------------------------------------------------- */

/* The kinds, their preferences and their texts in every language: kinds.c. */

/* The preference names, in the order of the mail_preferences columns. */
static const char *const pref_names[] = {"assignments", "answers",  "acceptances",
					 "overdue",     "mentions", "consent"};

static const char lang_sql[] = "SELECT lang FROM users WHERE id = :uid";

/* The language user_id reads mail in (users.lang). */
static enum lang user_lang(struct db *d, int64_t user_id)
{
	sqlite3_stmt *st = db_stmt(d, lang_sql);
	db_bind_int64(st, ":uid", user_id);
	enum lang l = sqlite3_step(st) == SQLITE_ROW ? kinds_lang(db_col_text(st, 0)) : LANG_JA;
	sqlite3_reset(st);
	return l;
}

static const char prefs_sql[] =
	"SELECT assignments, answers, acceptances, overdue, mentions, consent FROM mail_preferences"
	" WHERE user_id = :uid";

/* Fills on[] (ARRAY_LEN(pref_names)) with user_id's preferences; all on without a row. */
static void prefs_load(struct db *d, int64_t user_id, bool on[6])
{
	for (size_t i = 0; i < ARRAY_LEN(pref_names); i++)
		on[i] = true;
	sqlite3_stmt *st = db_stmt(d, prefs_sql);
	db_bind_int64(st, ":uid", user_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		for (size_t i = 0; i < ARRAY_LEN(pref_names); i++)
			on[i] = sqlite3_column_int(st, (int)i) != 0;
	sqlite3_reset(st);
}

/* True when user_id wants mail of kind k. */
static bool prefs_allow(struct db *d, int64_t user_id, const struct notice_kind *k)
{
	if (!k->pref)
		return true;
	bool on[6];
	prefs_load(d, user_id, on);
	for (size_t i = 0; i < ARRAY_LEN(pref_names); i++)
		if (strcmp(pref_names[i], k->pref) == 0)
			return on[i];
	return true;
}

/* ---- who may receive what ----------------------------------------------------------------- */

static const char thread_sql[] = "SELECT title, visibility FROM threads WHERE id = :id";

enum mail_scope {
	MAIL_SKIP = 0, /* the recipient may not hear of this thread (or is gone) */
	MAIL_FULL,     /* the caller's text may go out */
	MAIL_TITLE,    /* title and link only */
};

/* Decides what user p may be told about thread_id (0: no thread → MAIL_FULL) and copies the
 * thread's title into *title (caller frees; NULL when no thread). Called when a mail is queued
 * and again when it is sent. A thread's title is content: whoever a content route would hold
 * (consent not given or withdrawn, two-step sign-in to enrol first, company withdrawn) hears
 * nothing about a thread, by the router's own decision (authz_check_content). Mail about no
 * thread (a new consent version) still reaches them, but not a withdrawn company's people.
 * Suspended users are not loaded at all (authz_principal_load). */
static enum mail_scope mail_scope_for(struct db *d, const struct principal *p, int64_t thread_id,
				      char **title)
{
	*title = NULL;
	enum access_result gate = authz_check_content(d, p, ACCESS_CONTENT, NULL);
	if (gate == ACCESS_DENIED_INACTIVE)
		return MAIL_SKIP; /* a withdrawn company's participants reach no content, mail included */
	if (!thread_id)
		return MAIL_FULL;
	if (gate != ACCESS_OK || !authz_can_read_thread(d, p, thread_id))
		return MAIL_SKIP;
	sqlite3_stmt *st = db_stmt(d, thread_sql);
	db_bind_int64(st, ":id", thread_id);
	enum mail_scope scope = MAIL_SKIP;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*title = db_col_dup(st, 0);
		bool community = strcmp(db_col_text(st, 1), "community") == 0;
		scope = community ? MAIL_FULL : MAIL_TITLE;
	}
	sqlite3_reset(st);
	return scope;
}

/* "[mamori] <what happened>: <thread title>", or without a thread "[mamori] <what happened>", in
 * language l: the same subject whatever the thread's visibility. The label may name params
 * ({number}), which hold no thread content. */
static char *subject_new(const struct notice_kind *k, enum lang l, int64_t thread_id, const char *title,
			 const json_t *params)
{
	char *label = kinds_render_new(k->text[l].label, params, NULL, "", NULL);
	char *s = thread_id ? xasprintf("[mamori] %s: %s", label, title ? title : "") : xasprintf("[mamori] %s", label);
	free(label);
	return s;
}

/* ---- enqueue ------------------------------------------------------------------------------ */

static const char enqueue_sql[] =
	"INSERT INTO mail_outbox (user_id, kind, thread_id, subject, body, params, next_attempt_at, created_at)"
	" VALUES (:uid, :kind, :thread, :subject, :body, :params, :now, :now)";

/* Copies at most max bytes of s, cut at a UTF-8 character boundary; CR, LF and TAB become spaces
 * when one_line. Caller frees. */
static char *text_clip_new(const char *s, size_t max, bool one_line)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	char *out = xstrndup(s, n);
	if (one_line)
		for (char *c = out; *c; c++)
			if (*c == '\r' || *c == '\n' || *c == '\t')
				*c = ' ';
	return out;
}

int mail_enqueue(struct db *d, int64_t user_id, const char *kind, int64_t thread_id, const json_t *params,
		 const char *text)
{
	const struct notice_kind *k = kinds_find(kind, params);
	struct principal p;
	if (authz_principal_load(d, user_id, &p) < 0)
		return 1;
	int rc = 1;
	char *title = NULL, *subj = NULL, *body = NULL, *ptext = NULL;
	enum mail_scope scope = mail_scope_for(d, &p, thread_id, &title);
	if (scope == MAIL_SKIP || !prefs_allow(d, user_id, k))
		goto out;
	/* The subject as it reads now, for the outbox view; the sender composes it again. */
	subj = subject_new(k, user_lang(d, user_id), thread_id, title, params);
	/* Not the caller's text unless it may go out: the outbox never holds a confidential
	 * thread's content. */
	body = scope == MAIL_FULL ? text_clip_new(text ? text : "", MAIL_BODY_MAX, false) : xstrdup("");
	ptext = params ? json_dumps(params, JSON_COMPACT) : NULL;
	sqlite3_stmt *st = db_stmt(d, enqueue_sql);
	db_bind_int64(st, ":uid", user_id);
	db_bind_text(st, ":kind", kind ? kind : "other");
	if (thread_id)
		db_bind_int64(st, ":thread", thread_id);
	else
		db_bind_null(st, ":thread");
	db_bind_text(st, ":subject", subj);
	db_bind_text(st, ":body", body);
	db_bind_text(st, ":params", ptext ? ptext : "{}");
	db_bind_int64(st, ":now", now_unix());
	rc = db_exec_stmt(d, st) < 0 ? -1 : 0;
out:
	free(title);
	free(subj);
	free(body);
	free(ptext);
	principal_clear(&p);
	return rc;
}

static const char invited_sql[] =
	"SELECT " AUTHZ_PRINCIPAL_COLUMNS
	" FROM users u LEFT JOIN companies c ON c.id = u.company_id WHERE u.id = :id AND u.status = 'invited'";

/* The recipient of an invitation: a user still `invited`. Returns 0 and fills *p, or -1. */
static int invited_load(struct db *d, int64_t user_id, struct principal *p)
{
	sqlite3_stmt *st = db_stmt(d, invited_sql);
	db_bind_int64(st, ":id", user_id);
	int rc = sqlite3_step(st) == SQLITE_ROW ? authz_principal_fill(st, 0, p) : -1;
	sqlite3_reset(st);
	return rc;
}

int mail_enqueue_invitation(struct db *d, int64_t user_id, const char *subject, const char *body)
{
	struct principal p;
	if (invited_load(d, user_id, &p) < 0)
		return 1;
	principal_clear(&p);
	char *subj = text_clip_new(subject, MAIL_SUBJECT_MAX, true),
	     *text = text_clip_new(body, MAIL_BODY_MAX, false);
	sqlite3_stmt *st = db_stmt(d, enqueue_sql);
	db_bind_int64(st, ":uid", user_id);
	db_bind_text(st, ":kind", "invitation");
	db_bind_null(st, ":thread");
	db_bind_text(st, ":subject", subj);
	db_bind_text(st, ":body", text);
	db_bind_int64(st, ":now", now_unix());
	int rc = db_exec_stmt(d, st) < 0 ? -1 : 0;
	free(subj);
	free(text);
	return rc;
}

/* ---- message text (pure) ------------------------------------------------------------------ */

int64_t mail_retry_delay(int attempts)
{
	if (attempts <= 1)
		return 5;
	int64_t d = 30;
	for (int i = 2; i < attempts && d < 3600; i++)
		d *= 2;
	return d > 3600 ? 3600 : d;
}

bool mail_address_ok(const char *addr)
{
	if (!addr || !*addr || strlen(addr) > 254)
		return false;
	const char *at = NULL;
	for (const char *c = addr; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (u <= 0x20 || u >= 0x7f || strchr("\"<>(),;:\\[]", u))
			return false;
		if (u == '@') {
			if (at)
				return false;
			at = c;
		}
	}
	return at && at != addr && at[1];
}

/* Appends p[0..n) to b as base64 (one line, no line breaks). */
static void base64_append(struct buf *b, const unsigned char *p, size_t n)
{
	char *tmp = xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock((unsigned char *)tmp, p, (int)n);
	buf_append(b, tmp, (size_t)len);
	free(tmp);
}

/* Appends "Subject: " and s as RFC 2047 encoded words of at most 39 bytes each (52 base64
 * characters, so the first line is 73 columns), cut at UTF-8 character boundaries, folded one
 * word per line. */
static void subject_append(struct buf *b, const char *s)
{
	buf_puts(b, "Subject:");
	size_t n = strlen(s);
	if (n == 0) {
		buf_puts(b, " \r\n");
		return;
	}
	size_t i = 0;
	while (i < n) {
		size_t take = n - i > 39 ? 39 : n - i;
		while (i + take < n && take > 1 && ((unsigned char)s[i + take] & 0xC0) == 0x80)
			take--;
		buf_puts(b, i ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?");
		base64_append(b, (const unsigned char *)s + i, take);
		buf_puts(b, "?=");
		i += take;
	}
	buf_puts(b, "\r\n");
}

char *mail_message_new(const char *from, const char *to, const char *subject, const char *body, int64_t id,
		       int64_t date)
{
	struct buf b = {0};
	char when[64];
	time_t t = (time_t)date;
	struct tm tm;
	gmtime_r(&t, &tm);
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	snprintf(when, sizeof when, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	const char *domain = strchr(from, '@');
	domain = domain ? domain + 1 : "mamori.invalid";
	buf_printf(&b, "Date: %s\r\n", when);
	buf_printf(&b, "From: mamori <%s>\r\n", from);
	buf_printf(&b, "To: <%s>\r\n", to);
	subject_append(&b, subject);
	buf_printf(&b, "Message-ID: <mamori.%lld.%lld@%s>\r\n", (long long)id, (long long)date, domain);
	buf_puts(&b, "MIME-Version: 1.0\r\n");
	buf_puts(&b, "Content-Type: text/plain; charset=UTF-8\r\n");
	buf_puts(&b, "Content-Transfer-Encoding: base64\r\n");
	buf_puts(&b, "Auto-Submitted: auto-generated\r\n");
	buf_puts(&b, "\r\n");
	/* The body with CRLF line ends, then base64 in lines of 76 characters (57 bytes each). */
	struct buf crlf = {0};
	for (const char *c = body; *c; c++) {
		if (*c == '\r')
			continue;
		if (*c == '\n')
			buf_puts(&crlf, "\r\n");
		else
			buf_append(&crlf, c, 1);
	}
	for (size_t i = 0; i < crlf.len; i += 57) {
		size_t take = crlf.len - i > 57 ? 57 : crlf.len - i;
		base64_append(&b, (const unsigned char *)crlf.data + i, take);
		buf_puts(&b, "\r\n");
	}
	buf_free(&crlf);
	buf_cstr(&b);
	return b.data;
}

/* ---- composing at send time ------------------------------------------------------------- */

/* The whole body of a mail to `name` in language l: greeting, what happened, the details
 * (MAIL_FULL only: the kind's detail template filled from params and the caller's text; for a
 * row queued before mails had params, params is NULL and text is the old composed details), the
 * thread's title and link, and a footer. Caller frees. */
static char *body_compose_new(const struct config *cfg, const char *name, const struct notice_kind *k,
			      enum lang l, enum mail_scope scope, int64_t thread_id, const char *title,
			      const json_t *params, const char *text)
{
	const struct mail_frame *f = &kinds_mail_frame[l];
	struct buf b = {0};
	buf_printf(&b, "%s%s%s\n\n", f->dear, name && *name ? name : f->nameless, f->dear_end);
	if (thread_id)
		buf_printf(&b, "%s%s\n\n", k->text[l].label, f->full_stop);
	if (scope == MAIL_FULL) {
		char *detail = params && k->text[l].detail
				       ? kinds_render_new(k->text[l].detail, params, text, f->none, cfg->base_url)
				       : xstrdup(text ? text : "");
		if (*detail)
			buf_printf(&b, "%s\n\n", detail);
		free(detail);
	}
	if (thread_id) {
		buf_printf(&b, "%s%s\n%s/#/threads/%lld\n\n", f->thread, title ? title : "", cfg->base_url,
			   (long long)thread_id);
		if (scope == MAIL_TITLE)
			buf_puts(&b, f->title_only);
	}
	buf_printf(&b, "%s%s/#/account\n", f->footer, cfg->base_url);
	buf_cstr(&b);
	return b.data;
}

/* ---- the sender (worker 0) ---------------------------------------------------------------- */

struct mail_msg {
	int64_t id;
	char *to;
	char *text; /* the RFC 5322 message */
	size_t len, off;
	bool attempted;
	bool relay_down; /* the failure was the relay's, not this message's */
	CURLcode result;
	char err[CURL_ERROR_SIZE];
};

struct mail_batch {
	struct worker *w;
	char *url;
	char *from;
	int n;
	struct mail_msg msgs[MAIL_BATCH];
};

/* Worker 0's sender state; touched only on worker 0's thread. */
static bool batch_in_flight;
static int64_t relay_retry_at; /* no batch before this time after the relay failed */
static int relay_failures;     /* consecutive relay failures */

static const char due_sql[] =
	"SELECT id, user_id, kind, thread_id, subject, body, params FROM mail_outbox"
	" WHERE state = 'pending' AND next_attempt_at <= :now ORDER BY next_attempt_at, id LIMIT :limit";
static const char cancel_sql[] =
	"UPDATE mail_outbox SET state = 'cancelled', last_error = :why WHERE id = :id AND state = 'pending'";
/* An invitation's body holds its one-time link: once sent it is blanked, so the outbox keeps no
 * usable token (the invites table keeps only its hash). */
static const char sent_sql[] =
	"UPDATE mail_outbox SET state = 'sent', sent_at = :now, attempts = attempts + 1, last_error = NULL,"
	" body = CASE WHEN kind = 'invitation' THEN '' ELSE body END WHERE id = :id";
static const char retry_sql[] =
	"UPDATE mail_outbox SET attempts = attempts + 1, last_error = :err,"
	" state = CASE WHEN :now - created_at > :give_up THEN 'failed' ELSE 'pending' END,"
	" next_attempt_at = :now + :delay WHERE id = :id";
static const char attempts_sql[] = "SELECT attempts FROM mail_outbox WHERE id = :id";

/* Frees a batch of messages and its relay settings; accepts NULL. */
static void batch_free(struct mail_batch *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->n; i++) {
		free(b->msgs[i].to);
		free(b->msgs[i].text);
	}
	free(b->url);
	free(b->from);
	free(b);
}

/* libcurl's upload callback: copies the next part of message arg into dst, returns its length
 * (0 at the end). */
static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct mail_msg *m = arg;
	size_t room = size * nmemb, left = m->len - m->off;
	size_t n = left < room ? left : room;
	memcpy(dst, m->text + m->off, n);
	m->off += n;
	return n;
}

/* Failures that say the relay is unreachable rather than that it refused this message. */
static bool relay_failure(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR: return true;
	default: return false;
	}
}

/* Helper pool: sends the batch's messages over one SMTP connection (libcurl reuses it between
 * transfers of the same handle). Stops at the first relay failure; the rest stay unattempted. */
static void batch_send(void *arg)
{
	struct mail_batch *b = arg;
	CURL *c = curl_easy_init();
	if (!c) {
		for (int i = 0; i < b->n; i++) {
			b->msgs[i].attempted = true;
			b->msgs[i].relay_down = true;
			b->msgs[i].result = CURLE_FAILED_INIT;
			snprintf(b->msgs[i].err, sizeof b->msgs[i].err, "curl_easy_init failed");
		}
		return;
	}
	char *from = xasprintf("<%s>", b->from);
	for (int i = 0; i < b->n; i++) {
		struct mail_msg *m = &b->msgs[i];
		struct curl_slist *rcpt = NULL;
		char *to = xasprintf("<%s>", m->to);
		rcpt = curl_slist_append(rcpt, to);
		free(to);
		m->off = 0;
		m->err[0] = 0;
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, b->url);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
		curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, m);
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->len);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m->err);
		m->result = curl_easy_perform(c);
		m->attempted = true;
		curl_slist_free_all(rcpt);
		if (m->result != CURLE_OK) {
			if (!m->err[0])
				snprintf(m->err, sizeof m->err, "%s", curl_easy_strerror(m->result));
			if (relay_failure(m->result)) {
				m->relay_down = true;
				break;
			}
		}
		if (server_stopping())
			break;
	}
	free(from);
	curl_easy_cleanup(c);
}

/* Worker 0: records the batch's results in one transaction. */
static void batch_done(void *arg)
{
	struct mail_batch *b = arg;
	struct db *d = b->w->db;
	int64_t now = now_unix();
	bool relay_down = false;
	int sent = 0, failed = 0;
	if (db_tx_begin(d, __func__) == 0) {
		for (int i = 0; i < b->n; i++) {
			struct mail_msg *m = &b->msgs[i];
			if (!m->attempted)
				continue;
			sqlite3_stmt *st;
			if (m->result == CURLE_OK) {
				st = db_stmt(d, sent_sql);
				db_bind_int64(st, ":now", now);
				db_bind_int64(st, ":id", m->id);
				db_exec_stmt(d, st);
				sent++;
				continue;
			}
			relay_down |= m->relay_down;
			failed++;
			st = db_stmt(d, attempts_sql);
			db_bind_int64(st, ":id", m->id);
			int attempts = (int)db_one_int64(st, 0) + 1;
			st = db_stmt(d, retry_sql);
			db_bind_text(st, ":err", m->err);
			db_bind_int64(st, ":now", now);
			db_bind_int64(st, ":give_up", MAIL_GIVE_UP_SECONDS);
			db_bind_int64(st, ":delay", mail_retry_delay(attempts));
			db_bind_int64(st, ":id", m->id);
			db_exec_stmt(d, st);
			log_warn("mail: message %lld failed (attempt %d): %s", (long long)m->id, attempts,
				 m->err);
		}
		if (db_tx_commit(d) < 0)
			log_error(
				"mail: could not record a batch's results; its messages will be sent again");
	}
	if (relay_down) {
		relay_failures++;
		relay_retry_at = now + mail_retry_delay(relay_failures);
	} else if (sent) {
		relay_failures = 0;
		relay_retry_at = 0;
	}
	if (sent || failed)
		log_info("mail: %d sent, %d failed", sent, failed);
	batch_in_flight = false;
	batch_free(b);
}

/* Marks outbox row id cancelled with the reason why, in its own transaction (a failure is
 * logged by db_exec_stmt and leaves the row to the next pass). */
static void row_cancel(struct db *d, int64_t id, const char *why)
{
	if (db_tx_begin(d, __func__) < 0)
		return;
	sqlite3_stmt *st = db_stmt(d, cancel_sql);
	db_bind_text(st, ":why", why);
	db_bind_int64(st, ":id", id);
	if (db_exec_stmt(d, st) < 0) {
		db_tx_rollback(d);
		return;
	}
	db_tx_commit(d);
}

/* One due row as it will be sent, or cancelled when the recipient may no longer receive it. */
struct due_row {
	int64_t id, user_id, thread_id;
	char *kind, *subject, *body;
	json_t *params; /* NULL for a row queued before mails had params */
};

/* Worker 0: picks due rows, composes them and starts a batch on the helper pool. */
static void sender_run(struct worker *w, int64_t now)
{
	struct db *d = w->db;
	struct due_row rows[MAIL_BATCH];
	int nrows = 0;
	sqlite3_stmt *st = db_stmt(d, due_sql);
	db_bind_int64(st, ":now", now);
	db_bind_int64(st, ":limit", MAIL_BATCH);
	while (nrows < MAIL_BATCH && sqlite3_step(st) == SQLITE_ROW) {
		struct due_row *r = &rows[nrows++];
		r->id = sqlite3_column_int64(st, 0);
		r->user_id = sqlite3_column_int64(st, 1);
		r->kind = db_col_dup(st, 2);
		r->thread_id = sqlite3_column_int64(st, 3);
		r->subject = db_col_dup(st, 4);
		r->body = db_col_dup(st, 5);
		r->params = sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL
								    : json_loads(db_col_text(st, 6), 0, NULL);
	}
	sqlite3_reset(st);
	if (!nrows)
		return;

	struct mail_batch *b = xcalloc(1, sizeof *b);
	b->w = w;
	const char *host = w->cfg->smtp_host;
	b->url = strchr(host, ':') ? xasprintf("smtp://[%s]:%d", host, w->cfg->smtp_port)
				   : xasprintf("smtp://%s:%d", host, w->cfg->smtp_port);
	b->from = xstrdup(w->cfg->mail_from);
	for (int i = 0; i < nrows; i++) {
		struct due_row *r = &rows[i];
		const struct notice_kind *k = kinds_find(r->kind, r->params);
		struct principal p;
		char *title = NULL;
		bool invitation = strcmp(r->kind, "invitation") == 0;
		if ((invitation ? invited_load(d, r->user_id, &p) : authz_principal_load(d, r->user_id, &p)) < 0) {
			row_cancel(d, r->id, invitation ? "the invitation was accepted or withdrawn"
							: "recipient is not an active user");
			goto next;
		}
		enum mail_scope scope = mail_scope_for(d, &p, r->thread_id, &title);
		if (scope == MAIL_SKIP) {
			row_cancel(d, r->id, "recipient may no longer read the thread");
		} else if (!prefs_allow(d, r->user_id, k)) {
			row_cancel(d, r->id, "turned off in the recipient's preferences");
		} else if (!mail_address_ok(p.email) || !mail_address_ok(b->from)) {
			row_cancel(d, r->id, "unusable address");
		} else {
			/* Composed now, in the language the recipient reads now; a row from before
			 * mails had params keeps its stored subject where it may carry it. */
			enum lang l = user_lang(d, r->user_id);
			char *subject = !r->params && scope == MAIL_FULL ? xstrdup(r->subject)
									 : subject_new(k, l, r->thread_id, title, r->params);
			char *body = body_compose_new(w->cfg, p.name, k, l, scope, r->thread_id, title, r->params,
						      r->body);
			struct mail_msg *m = &b->msgs[b->n++];
			m->id = r->id;
			m->to = xstrdup(p.email);
			m->text = mail_message_new(b->from, p.email, subject, body, r->id, now);
			m->len = strlen(m->text);
			free(subject);
			free(body);
		}
		principal_clear(&p);
next:
		free(title);
		free(r->kind);
		free(r->subject);
		free(r->body);
		json_decref(r->params);
	}
	if (!b->n) {
		batch_free(b);
		return;
	}
	batch_in_flight = true;
	pool_submit(w, batch_send, batch_done, b);
}

int mail_worker_init(struct worker *w)
{
	/* Runs on the main thread before any worker or helper thread starts. */
	if (w->index == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("mail: curl_global_init failed");
		return -1;
	}
	return 0;
}

void mail_worker_free(struct worker *w)
{
	if (w->index == 0)
		curl_global_cleanup();
}

void mail_tick(struct worker *w)
{
	if (w->index != 0 || batch_in_flight || server_stopping())
		return;
	int64_t now = now_unix();
	if (now < relay_retry_at)
		return;
	sender_run(w, now);
}

/* ---- routes ------------------------------------------------------------------------------- */

/* user_id's mail preferences as {name: on}. */
static json_t *prefs_json(struct db *d, int64_t user_id)
{
	bool on[6];
	prefs_load(d, user_id, on);
	json_t *o = json_object();
	for (size_t i = 0; i < ARRAY_LEN(pref_names); i++)
		json_object_set_new(o, pref_names[i], json_boolean(on[i]));
	return o;
}

/* GET /api/v1/me/mail-preferences — signed in; 200 {assignments, answers, acceptances, overdue,
 * mentions, consent}, each true unless turned off. */
static int handle_mail_prefs_get(struct req *r)
{
	return req_reply(r, 200, prefs_json(r->db, r->who->user_id));
}

static const char prefs_put_sql[] =
	"INSERT INTO mail_preferences (user_id, assignments, answers, acceptances, overdue, mentions, consent,"
	" updated_at) VALUES (:uid, :assignments, :answers, :acceptances, :overdue, :mentions, :consent, :now)"
	" ON CONFLICT (user_id) DO UPDATE SET assignments = excluded.assignments, answers = excluded.answers,"
	" acceptances = excluded.acceptances, overdue = excluded.overdue, mentions = excluded.mentions,"
	" consent = excluded.consent, updated_at = excluded.updated_at";

/* PUT /api/v1/me/mail-preferences {assignments?, answers?, ...} — signed in; members left out
 * keep their value; a member that is not a boolean → 422 invalid. 200 the whole set. */
static int handle_mail_prefs_put(struct req *r)
{
	bool on[6];
	prefs_load(r->db, r->who->user_id, on);
	for (size_t i = 0; i < ARRAY_LEN(pref_names); i++)
		on[i] = req_field_bool(r, pref_names[i], on[i]);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, prefs_put_sql);
	db_bind_int64(st, ":uid", r->who->user_id);
	for (size_t i = 0; i < ARRAY_LEN(pref_names); i++) {
		char name[32];
		snprintf(name, sizeof name, ":%s", pref_names[i]);
		db_bind_int64(st, name, on[i]);
	}
	db_bind_int64(st, ":now", now_unix());
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "mail preferences");
	return req_reply(r, 200, prefs_json(r->db, r->who->user_id));
}

static const char outbox_sql[] =
	"SELECT id, user_id, kind, thread_id, subject, state, attempts, next_attempt_at, last_error, created_at,"
	" sent_at FROM mail_outbox WHERE (:state IS NULL OR state = :state) ORDER BY id DESC LIMIT :limit";

/* GET /api/v1/mail/outbox?state=&limit= — secretariat; 200 {mails:[{id, user_id, kind, thread_id,
 * subject, state, attempts, next_attempt_at, last_error, created_at, sent_at}]}, newest first, so
 * the program office can see whether mail is flowing. Bodies are not shown. */
static int handle_mail_outbox(struct req *r)
{
	const char *state = req_query_str(r, "state");
	int64_t limit = req_query_int(r, "limit", 100);
	if (limit < 1 || limit > 1000)
		return req_error(r, 400, "bad_request", "limit must be 1..1000");
	if (state && strcmp(state, "pending") != 0 && strcmp(state, "sent") != 0 &&
	    strcmp(state, "failed") != 0 && strcmp(state, "cancelled") != 0)
		return req_error(r, 400, "bad_request", "state must be pending, sent, failed or cancelled");
	sqlite3_stmt *st = db_stmt(r->db, outbox_sql);
	db_bind_text(st, ":state", state);
	db_bind_int64(st, ":limit", limit);
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *m = json_object();
		json_object_set_new(m, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(m, "user_id", json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(m, "kind", json_string(db_col_text(st, 2)));
		json_object_set_new(m, "thread_id", view_col_int(st, 3));
		json_object_set_new(m, "subject", json_string(db_col_text(st, 4)));
		json_object_set_new(m, "state", json_string(db_col_text(st, 5)));
		json_object_set_new(m, "attempts", json_integer(sqlite3_column_int(st, 6)));
		json_object_set_new(m, "next_attempt_at", json_time(sqlite3_column_int64(st, 7)));
		json_object_set_new(m, "last_error", view_col_text(st, 8));
		json_object_set_new(m, "created_at", json_time(sqlite3_column_int64(st, 9)));
		json_object_set_new(m, "sent_at", json_time(sqlite3_column_int64(st, 10)));
		json_array_append_new(list, m);
	}
	sqlite3_reset(st);
	return req_reply(r, 200, json_pack("{s:o}", "mails", list));
}

const struct route mail_routes[] = {
	ROUTE(GET, "/api/v1/me/mail-preferences", ACCESS_SESSION, handle_mail_prefs_get),
	ROUTE(PUT, "/api/v1/me/mail-preferences", ACCESS_SESSION, handle_mail_prefs_put,
	      .body = {{"assignments", BODY_BOOL},
		       {"answers", BODY_BOOL},
		       {"acceptances", BODY_BOOL},
		       {"overdue", BODY_BOOL},
		       {"mentions", BODY_BOOL},
		       {"consent", BODY_BOOL}}),
	ROUTE(GET, "/api/v1/mail/outbox", ACCESS_SESSION | ACCESS_SECRETARIAT, handle_mail_outbox,
	      .params = {{"state", PARAM_STR}, {"limit", PARAM_INT}}),
	{0},
};
