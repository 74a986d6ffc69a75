/* system.c — routes about the server itself: health, and the API description. */
#include "http.h"
#include "router.h"

#include <event2/buffer.h>

/* docs/openapi.json, compiled in by embed_file.cmake (openapi_gen.c). */
extern const char openapi_json[];
extern const size_t openapi_json_len;

/* GET /api/v1/health — public; 200 {"status":"ok"} once the worker can reach its database. */
static int handle_health(struct req *r)
{
	return req_reply(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* GET /api/v1/openapi.json — public; 200 the OpenAPI 3.1 document of this API
 * (docs/openapi.json as it was at build time), the same bytes from any working directory. */
static int handle_openapi_document(struct req *r)
{
	r->raw_out = evbuffer_new();
	evbuffer_add_reference(r->raw_out, openapi_json, openapi_json_len, NULL, NULL);
	req_header(r, "Content-Type", "application/json; charset=utf-8");
	req_header(r, "Cache-Control", "no-cache");
	return 200;
}

const struct route system_routes[] = {
	ROUTE(GET, "/api/v1/health", ACCESS_PUBLIC, handle_health),
	ROUTE(GET, "/api/v1/openapi.json", ACCESS_PUBLIC, handle_openapi_document),
	{0},
};
