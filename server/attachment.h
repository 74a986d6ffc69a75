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

/* What a feature does once an upload's file is durable (on r's worker): write the row naming
 * `sha` for its `target` (a thread, a round) inside a write transaction — req_tx (the router
 * ends it when the request finishes) or one of its own — re-checking what may have changed
 * meanwhile, and return the reply's status (req_reply / req_error). */
typedef int (*attachment_commit_fn)(struct req *r, int64_t target, const char *filename, const char *sha);

/* An upload of r's raw body with ?filename=NAME: over max_attachment_bytes → 413 too_large; no or
 * a bad filename (its last path segment, 1–255 bytes, no control characters), or no bytes → 422
 * invalid (each returned at once). Otherwise stores the bytes on a helper thread (temp file,
 * fsync, rename, directory fsync; the digest pinned against purges until the row's batch
 * settles), then calls commit (a full disk → 507 insufficient_storage, another failure → 500,
 * without calling it) and finishes the request. Returns HTTP_ASYNC or the error status. */
int attachment_store_async(struct req *r, attachment_commit_fn commit, int64_t target);

/* Makes r's reply the stored file sha (of size bytes) as a download named `name`
 * (application/octet-stream, Content-Disposition: attachment with RFC 5987 filename*, no-store).
 * Returns 200, or 500 (logged) when the file is missing or of another size. */
int attachment_blob_serve(struct req *r, const char *sha, int64_t size, const char *name);

/* Starts removing the file of sha (64 hex digits): false when an upload of the same bytes is
 * in progress (the file must stay; its row will name it). On true, call
 * attachment_blob_wipe_end when the file is gone (or could not be removed). Thread-safe. */
bool attachment_blob_wipe_begin(const char *sha);
void attachment_blob_wipe_end(const char *sha);

/* Test hook (never set in production): hold every upload this long between its file and its
 * row (MAMORI_TEST_UPLOAD_DELAY_MS, read by main before any thread starts). */
void attachment_test_hooks(int upload_delay_ms);

#endif
