/* features.c — the list of feature modules: each contributes its routes and worker hooks.
 * Adding a feature is one line here; the router and the self-check pick it up. */
#include "router.h"

extern const struct route system_routes[];
extern const struct route audit_routes[];

const struct feature features[] = {
	{.name = "system", .routes = system_routes},
	{.name = "audit", .routes = audit_routes},
	{0},
};
