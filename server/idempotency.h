/* idempotency.h — the Idempotency-Key header of creating POSTs, run by the router (one place
 * for every route). The first 201 answer to a key is stored with the creation, in the same
 * write batch; a retry with the same key and the same request gets that answer again (same
 * status, body, id) without creating anything, for 24 hours. docs/DECISIONS.md "Retried writes". */
#ifndef MAMORI_IDEMPOTENCY_H
#define MAMORI_IDEMPOTENCY_H

struct req;
struct worker;

/* Before the handler of a POST: returns 0 to run it, or a status with r's reply set: 400
 * bad_request (a key that is not 1-255 printable ASCII characters), 422 idempotency_key_reused
 * (the key's first request differed), 409 idempotency_key_in_use (that first request is still
 * being answered), or the stored answer. */
int idempotency_begin(struct req *r);
/* After the handler, with its status, while its writes are still in the open batch: stores a
 * 201 answer under the key. */
void idempotency_record(struct req *r, int status);
/* When the request is freed (its answer sent and durable): the key is free for retries. */
void idempotency_end(struct req *r);
/* Once a second on every worker; on worker 0, every 10 seconds, deletes keys older than 24 hours
 * (up to 500 at a time). */
void idempotency_tick(struct worker *w);

#endif
