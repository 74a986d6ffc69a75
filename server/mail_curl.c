/* mail_curl.c — libcurl, loaded on the first mail instead of at start.
 *
 * Debian's libcurl brings 26 more shared libraries (GnuTLS, Kerberos, LDAP, SASL, SSH, RTMP,
 * nghttp2, p11-kit ...) whose pages and constructors cost an idle `mamori serve` ~4.2 MB of its
 * 15 MB RSS (issue 17), while most servers send mail rarely and some never. The binary links no
 * libcurl: this file defines the libcurl functions mail.c calls and forwards each to the real one,
 * which it dlopen()s once, on the helper thread of the first batch. curl_global_init only records
 * its flags (it runs before any thread starts, as libcurl asks); the real one runs inside the
 * load, under pthread_once. If libcurl cannot be loaded, curl_easy_init returns NULL and mail.c
 * records the batch as not sent (relay down), as for any other failure to start a transfer. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

/* One table of the functions used; the soname is the ABI mail.c was compiled against. */
static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} lib;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static long init_flags = CURL_GLOBAL_DEFAULT;
static bool loaded, global_done;

/* dlsym(h, name); clears *ok when libcurl lacks the symbol. */
static void *sym(void *h, const char *name, bool *ok)
{
	void *p = dlsym(h, name);
	if (!p)
		*ok = false;
	return p;
}

/* The pthread_once body: dlopen()s libcurl.so.4, fills lib and runs the real curl_global_init with
 * the recorded flags. Sets loaded only when all of it worked (each failure logged). */
static void load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_error("mail: cannot load libcurl: %s", dlerror());
		return;
	}
	bool ok = true;
	/* POSIX: a data pointer from dlsym may be converted to a function pointer. */
	*(void **)&lib.global_init = sym(h, "curl_global_init", &ok);
	*(void **)&lib.global_cleanup = sym(h, "curl_global_cleanup", &ok);
	*(void **)&lib.easy_init = sym(h, "curl_easy_init", &ok);
	*(void **)&lib.easy_setopt = sym(h, "curl_easy_setopt", &ok);
	*(void **)&lib.easy_perform = sym(h, "curl_easy_perform", &ok);
	*(void **)&lib.easy_cleanup = sym(h, "curl_easy_cleanup", &ok);
	*(void **)&lib.easy_reset = sym(h, "curl_easy_reset", &ok);
	*(void **)&lib.easy_strerror = sym(h, "curl_easy_strerror", &ok);
	*(void **)&lib.slist_append = sym(h, "curl_slist_append", &ok);
	*(void **)&lib.slist_free_all = sym(h, "curl_slist_free_all", &ok);
	if (!ok) {
		log_error("mail: libcurl lacks a function mamori uses");
		return; /* the handle stays open: harmless, and nothing of it is called */
	}
	if (lib.global_init(init_flags) != CURLE_OK) {
		log_error("mail: curl_global_init failed");
		return;
	}
	global_done = true;
	loaded = true;
}

/* Loads libcurl on the first call (any thread; once per process). True when it is usable. */
static bool ready(void)
{
	pthread_once(&load_once, load);
	return loaded;
}

/* curl_global_init: only records flags for the real call inside load (main calls it before any
 * thread starts). Always CURLE_OK. */
CURLcode curl_global_init(long flags)
{
	init_flags = flags;
	return CURLE_OK;
}

/* curl_global_cleanup, forwarded to the loaded libcurl when its curl_global_init ran. */
void curl_global_cleanup(void)
{
	/* Only after every thread that sent mail has stopped (mail_worker_free). */
	if (global_done) {
		lib.global_cleanup();
		global_done = false;
	}
}

/* curl_easy_init, forwarded to the loaded libcurl (NULL when it could not be loaded); the first
 * call loads it. */
CURL *curl_easy_init(void)
{
	return ready() ? lib.easy_init() : NULL;
}

/* curl_easy_setopt, forwarded to the loaded libcurl with the variadic argument read by the
 * option's type. A handle exists only if the library was loaded, so this and the functions below
 * that take one need no check. */
CURLcode curl_easy_setopt(CURL *c, CURLoption option, ...)
{
	va_list ap;
	va_start(ap, option);
	CURLcode rc;
	/* The option's number says the type of its argument (curl.h, CURLOPTTYPE_*). */
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = lib.easy_setopt(c, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = lib.easy_setopt(c, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = lib.easy_setopt(c, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = lib.easy_setopt(c, option, va_arg(ap, curl_off_t));
	else
		rc = lib.easy_setopt(c, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* curl_easy_perform, forwarded to the loaded libcurl. */
CURLcode curl_easy_perform(CURL *c)
{
	return lib.easy_perform(c);
}

/* curl_easy_cleanup, forwarded to the loaded libcurl; nothing for NULL. */
void curl_easy_cleanup(CURL *c)
{
	if (c)
		lib.easy_cleanup(c);
}

/* curl_easy_reset, forwarded to the loaded libcurl. */
void curl_easy_reset(CURL *c)
{
	lib.easy_reset(c);
}

/* curl_easy_strerror, forwarded to the loaded libcurl ("libcurl not loaded" when it could not be
 * loaded; the call may load it). */
const char *curl_easy_strerror(CURLcode code)
{
	return ready() ? lib.easy_strerror(code) : "libcurl not loaded";
}

/* curl_slist_append, forwarded to the loaded libcurl (NULL when it could not be loaded; the call
 * may load it). */
struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	return ready() ? lib.slist_append(list, s) : NULL;
}

/* curl_slist_free_all, forwarded to the loaded libcurl; nothing for NULL. */
void curl_slist_free_all(struct curl_slist *list)
{
	if (list && ready())
		lib.slist_free_all(list);
}
