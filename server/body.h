/* body.h — a request's JSON body checked against the members its route declares (router.c),
 * as query.h does for the query string. Pure; fuzzed by tests/fuzz/fuzz_body.c. */
#ifndef MAMORI_BODY_H
#define MAMORI_BODY_H

#include "http.h"

#include <jansson.h>
#include <stddef.h>

/* Checks body (a JSON object) against spec (up to MAX_BODY_FIELDS members, ended by a NULL
 * name): each declared member that is present and not null has the declared type and keeps its
 * limits (BODY_* flags, max); each BODY_REQUIRED member is present. Members spec does not name
 * are not looked at. Returns 0, or -1 with a message naming the first offending member in err
 * (the router answers 422 invalid with it). */
int body_check(const struct body_spec *spec, const json_t *body, char *err, size_t errlen);

/* The declaration of name in spec, or NULL. */
const struct body_spec *body_find(const struct body_spec *spec, const char *name);

#endif
