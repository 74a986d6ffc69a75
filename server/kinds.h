/* kinds.h — the one table of what mamori tells people: every notification kind, the mail
 * preference that turns its mail off, and its mail texts (subject line and details) in every
 * language mamori speaks (users.lang: "ja", the default, or "en").
 *
 * A notification is stored as kind + params (a JSON object of language-neutral values) and the
 * web front end renders it (web/i18n/ja-notify.js, en-notify.js); a mail is composed by mail.c
 * from the same kind and params when it is sent, in the recipient's language.
 *
 * Adding a kind is one row in kinds.c's table plus one key `notify.kind.<kind>` in each of the
 * two web dictionaries (see docs/FORUM.md); the callers pass the kind's name to notify_user and
 * mail_enqueue. */
#ifndef MAMORI_KINDS_H
#define MAMORI_KINDS_H

#include <jansson.h>

enum lang { LANG_JA, LANG_EN, LANG_COUNT };

struct kind_text {
	const char *label;  /* what happened, one line without a full stop: subject and first line */
	const char *detail; /* the mail's details, a template (kinds_render_new); NULL: none. Only
			     * sent when the mail may carry content (a community thread or no thread) */
};

struct notice_kind {
	const char *kind; /* "reply", "escalation.assigned", ...; "kind:variant" rows see kinds_find */
	const char *pref; /* mail_preferences column that turns the mail off; NULL: always sent */
	struct kind_text text[LANG_COUNT];
};

/* The parts of every mail around the kind's texts, per language. */
struct mail_frame {
	const char *dear, *dear_end; /* the greeting: dear NAME dear_end */
	const char *nameless;        /* the name when there is none */
	const char *full_stop;       /* ends the label in the body */
	const char *thread;          /* before the thread's title */
	const char *title_only;      /* why a confidential thread's mail carries no text */
	const char *footer;          /* the footer, before "BASE_URL/#/account" */
	const char *none;            /* {text} when the caller gave none */
};

/* The row for kind, or for "kind:VARIANT" first when params has a string member "audience"
 * (e.g. escalation.overdue told to the secretariat or to the expert); never NULL: an unknown
 * kind gets the row "other". Pure. */
const struct notice_kind *kinds_find(const char *kind, const json_t *params);

/* LANG_EN for "en", else LANG_JA. Pure. */
enum lang kinds_lang(const char *lang);

/* True when lang is a language mamori speaks ("ja" or "en"). Pure. */
int kinds_lang_valid(const char *lang);

extern const struct mail_frame kinds_mail_frame[LANG_COUNT];

/* Fills template tmpl: {text} → text (frame's `none` when empty or NULL), {base_url} → base_url,
 * {NAME} → params' member NAME (a string as is, an integer in decimal, a real with %g); an
 * unknown placeholder becomes empty. Returns a new string (caller frees). Pure. */
char *kinds_render_new(const char *tmpl, const json_t *params, const char *text, const char *none,
		       const char *base_url);

#endif
