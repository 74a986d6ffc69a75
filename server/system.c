/* system.c — routes about the server itself: health. */
#include "http.h"
#include "router.h"

/* GET /api/v1/health — public; 200 {"status":"ok"} once the worker can reach its database. */
static int handle_health(struct req *r)
{
	return req_reply(r, 200, json_pack("{s:s}", "status", "ok"));
}

const struct route system_routes[] = {
	{EVHTTP_REQ_GET, "/api/v1/health", ACCESS_PUBLIC, handle_health, 0, 0, {{0}}},
	{0},
};
