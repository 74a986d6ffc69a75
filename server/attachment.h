/* attachment.h — files attached to threads (docs/API.md §5), and the file store they share with
 * other features (round materials, §9): content stored once per SHA-256 under DATA/files,
 * durable before any row names it, served only as a download. */
#ifndef MAMORI_ATTACHMENT_H
#define MAMORI_ATTACHMENT_H

#include <stddef.h>
#include <stdint.h>

struct req;

/* Stores len bytes under DATA/files/ab/cdef... (sha256 hex, written to sha): a temporary file,
 * fsynced, renamed into place, its directory fsynced. Slow (disk): helper threads only. Returns
 * 0, or the errno of the failure (ENOSPC: the disk is full). Commit the row naming the file only
 * after it returned 0. */
int attachment_blob_store(const char *data_dir, const void *bytes, size_t len, char sha[65]);

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

#endif
