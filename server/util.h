/* util.h — process-wide helpers: allocation that aborts on failure, small string tools,
 * logging, time. Everything here is thread-safe and has no state of its own. */
#ifndef MAMORI_UTIL_H
#define MAMORI_UTIL_H

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: abort the process with a message on failure; never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* The first n bytes of s (s must have them: not strndup, which stops at a NUL) and a NUL. */
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logging to stderr, one line each, with a UTC timestamp. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Microseconds of a monotonic clock (for durations). */
int64_t now_us_monotonic(void);
/* Seconds since the epoch (wall clock, UTC), plus the test clock's offset. */
int64_t now_unix(void);
/* Test only: shifts now_unix() by seconds. Call once at start, before threads exist. */
void util_clock_offset_set(int64_t seconds);
/* Formats t (seconds since the epoch) as RFC 3339 UTC "2026-11-25T11:00:00Z" into buf[32]. */
void time_format_utc(int64_t t, char buf[32]);
/* Parses an RFC 3339 time with Z or a ±hh:mm offset into seconds since the epoch; 0 on success. */
int time_parse_rfc3339(const char *s, int64_t *out);

/* Debug and sanitizer builds check a stated precondition "called with the lock held": the
 * mutex is locked (trylock fails; by this thread, as the caller promises). Nothing in release
 * builds (NDEBUG, set by CMake's Release flags). */
#define assert_locked(m) assert(pthread_mutex_trylock(m) == EBUSY)

/* The one UTF-8 decoder: decodes the code point at s[0..n) into *cp and returns its length
 * (1-4), or 0 when s does not begin with a valid sequence (n == 0, an overlong, a surrogate,
 * above U+10FFFF, a stray continuation byte, truncated). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* The message for errno value err, written into buf (strerror_r: strerror's buffer is shared by
 * every thread). Returns the message, which may or may not be buf. */
#define ERR_STR_LEN 128
const char *err_str(int err, char buf[ERR_STR_LEN]);

/* True when s is valid UTF-8 of length n (no overlongs, no surrogates, max U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

/* A growable byte buffer. */
struct buf {
	char *data;
	size_t len, cap;
};
/* Appends p[0..n) to b, growing it; data stays NUL-terminated. n may be 0. */
void buf_append(struct buf *b, const void *p, size_t n);
/* Appends the C string s. */
void buf_puts(struct buf *b, const char *s);
/* Writes v in decimal so that it ends just before end (at most 20 digits, no NUL) and returns
 * where it starts: the formatting of hot paths, without printf's ~700 instructions. */
char *u64_dec(uint64_t v, char *end);
/* Appends cp as UTF-8; NUL, surrogates and values above U+10FFFF become U+FFFD. */
void buf_put_codepoint(struct buf *b, uint32_t cp);
/* Appends printf-formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ensures NUL termination and returns data (owned by b). */
const char *buf_cstr(struct buf *b);
/* Frees b's data and empties it; b may be used again. */
void buf_free(struct buf *b);

#endif
