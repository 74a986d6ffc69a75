/* registry.h — the program registry's pure rules from the application guidelines (docs/API.md §3):
 * which JSIC divisions are eligible and on which track, and who counts as an SME. The routes
 * (groups, companies, expert assignments) live in registry.c next to these rules; a company's
 * JSON is view_company_json (view.h). */
#ifndef MAMORI_REGISTRY_H
#define MAMORI_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;
struct req;

/* The track of JSIC division `division` (one upper-case letter): "monozukuri" for D, E, F;
 * "service" for G–P (but not Q) and R–T; NULL for every other letter (not eligible). Returns a
 * static string. Pure; thread-safe. */
const char *registry_track(char division);

/* SME eligibility (中小企業者の定義): 1 when a company of class sme_class ("manufacturing_other",
 * "wholesale", "service" or "retail") with capital_yen and employees is an SME — capital at or
 * under the class's ceiling OR employees at or under its ceiling (300,000,000/300,
 * 100,000,000/100, 50,000,000/100, 50,000,000/50) — 0 when it is not, -1 for an unknown class.
 * Negative figures are the caller's to refuse. Pure; thread-safe. */
int registry_is_sme(const char *sme_class, int64_t capital_yen, int64_t employees);

/* True when s names a track ("monozukuri" or "service"). */
bool registry_is_track(const char *s);
/* True when s is one JSIC division letter (either case); whether it is eligible is
 * registry_track's to say. */
bool registry_division_ok(const char *s);

/* A company to create (POST /api/v1/companies, and an application's admission). industry is
 * the division letter (either case); group_id 0 for none. */
struct company_in {
	const char *name;
	char industry;
	const char *sme_class;
	int64_t capital_yen, employees, group_id;
};
/* Creates the company inside the caller's write transaction by the rules of docs/API.md §3, in this
 * order: the division (422 industry_not_eligible), SME status (422 not_sme), the group (422
 * invalid), the track's capacity of active companies (409 track_full); audited company.create.
 * Returns 0 with *id set, the status of the error reported on r (the caller rolls back), or -1
 * on a database failure. Field types and ranges are the caller's to check first. */
int registry_company_insert(struct req *r, const struct company_in *in, int64_t *id);
/* The number of `active` companies on track (what track_capacity limits). */
int64_t registry_track_active(struct db *d, const char *track);

#endif
