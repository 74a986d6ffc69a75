/* filename.h — the pure name functions of attachment.c: an uploaded attachment's name (the
 * `filename` query parameter, outside bytes) and the Content-Disposition header that serves it
 * back. Fuzzed by tests/fuzz/fuzz_filename.c. */
#ifndef MAMORI_FILENAME_H
#define MAMORI_FILENAME_H

#define FILENAME_MAX_BYTES 255

/* The last path segment of name (either slash), or NULL when it is empty, over 255 bytes, "." or
 * "..", or holds a control character. New string. */
char *attachment_clean_filename_new(const char *name);

/* `attachment; filename="..."; filename*=UTF-8''...`: an ASCII fallback (each non-ASCII
 * character, each of " \ ; and each control character as _) and the exact name percent-encoded
 * (RFC 6266 / RFC 5987). New string. */
char *attachment_disposition_new(const char *name);

#endif
