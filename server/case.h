/* case.h — the case collection (事例集, docs/API.md §11, docs/CASES.md): drafts written by the
 * secretariat, checked for identifying terms, approved by the company's representative,
 * published on the public site and in the booklet. The routes are registered through
 * features.c (case_routes); who may read a case is AUTHZ_CASE_VISIBLE in authz.h. */
#ifndef MAMORI_CASE_H
#define MAMORI_CASE_H

#include <stdint.h>

struct db;

/* Called inside the consent module's write transaction when company_id's `participation`
 * consent is withdrawn: its published cases return to `draft` at once, each audited
 * `case.unpublish` (reason "consent_withdrawn") by actor_id from ip. Returns 0 or -1. */
int case_consent_withdrawn(struct db *d, int64_t company_id, int64_t actor_id, const char *ip);

#endif
