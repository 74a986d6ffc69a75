/* registry.h — the program registry's pure rules from the application guidelines (docs/API.md §3):
 * which JSIC divisions are eligible and on which track, and who counts as an SME. The routes
 * (groups, companies, expert assignments) live in registry.c next to these rules. */
#ifndef MAMORI_REGISTRY_H
#define MAMORI_REGISTRY_H

#include <stdint.h>

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

#endif
