/* attachment.h — what moderation's purge needs from the attachment store: the files under
 * DATA/files/ are content-addressed (one per SHA-256), so an upload of some bytes and the purge
 * of another attachment with the same bytes meet on one file. An upload pins its digest from
 * before it looks for the file until its row's batch has settled; a purge removes the file only
 * when no upload pins it, and uploads of that digest wait while it does. */
#ifndef MAMORI_ATTACHMENT_H
#define MAMORI_ATTACHMENT_H

#include <stdbool.h>

/* Starts removing the file of sha (64 hex digits): false when an upload of the same bytes is
 * in progress (the file must stay; its row will name it). On true, call
 * attachment_blob_wipe_end when the file is gone (or could not be removed). Thread-safe. */
bool attachment_blob_wipe_begin(const char *sha);
void attachment_blob_wipe_end(const char *sha);

#endif
