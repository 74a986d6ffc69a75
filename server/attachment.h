/* attachment.h — files attached to threads (docs/API.md §5), and the file store they share with
 * round materials (§9): content stored once per SHA-256 under DATA/files, durable before any row
 * names it, served only as a download.
 *
 * The files are content-addressed, so an upload of some bytes and moderation's purge of another
 * attachment with the same bytes meet on one file. An upload pins its digest from before it looks
 * for the file until its row's batch has settled; a purge removes the file only when no upload
 * pins it and no row (attachment or material) names it, and uploads of that digest wait while it
 * does. */
#ifndef MAMORI_ATTACHMENT_H
#define MAMORI_ATTACHMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct req;

/* Stores len bytes under DATA/files/ab/cdef... (sha256 hex, written to sha): a temporary file,
 * fsynced, renamed into place, its directory fsynced. Pins sha (see above) whatever the outcome:
 * call attachment_blob_release(r, sha) once the row naming the file is written (or abandoned).
 * Slow (disk): helper threads only. Returns 0, or the errno of the failure (ENOSPC: the disk is
 * full). Commit the row naming the file only after it returned 0. */
int attachment_blob_store(const char *data_dir, const void *bytes, size_t len, char sha[65]);
/* Worker thread, after the row's transaction (committed or rolled back): unpins sha once the
 * batch holding the row has settled (at once when nothing is pending). */
void attachment_blob_release(struct req *r, const char *sha);

/* Makes r's reply the stored file sha (of size bytes) as a download named `name`
 * (application/octet-stream, Content-Disposition: attachment with RFC 5987 filename*, no-store).
 * Returns 200, or 500 (logged) when the file is missing or of another size. */
int attachment_blob_serve(struct req *r, const char *sha, int64_t size, const char *name);

/* The answer to a failed attachment_blob_store (err): logged; 507 insufficient_storage when the
 * disk is full, else 500. Returns the status. */
int attachment_store_failed(struct req *r, const char *sha, int err);

/* The last path segment of name (either slash), or NULL when it is empty, over 255 bytes, "." or
 * "..", or holds a control character. New string. */
char *attachment_clean_filename_new(const char *name);

/* Starts removing the file of sha (64 hex digits): false when an upload of the same bytes is
 * in progress (the file must stay; its row will name it). On true, call
 * attachment_blob_wipe_end when the file is gone (or could not be removed). Thread-safe. */
bool attachment_blob_wipe_begin(const char *sha);
void attachment_blob_wipe_end(const char *sha);

#endif
