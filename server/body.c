/* body.c — a request's JSON body against its route's declared members (body.h). */
#include "body.h"

#include "text.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const struct body_spec *body_find(const struct body_spec *spec, const char *name)
{
	for (int i = 0; i < MAX_BODY_FIELDS && spec[i].name; i++)
		if (strcmp(spec[i].name, name) == 0)
			return &spec[i];
	return NULL;
}

/* The words an error message uses for a member of type t. */
static const char *type_words(enum body_type t)
{
	switch (t) {
	case BODY_STR: return "a string";
	case BODY_INT: return "an integer";
	case BODY_BOOL: return "true or false";
	case BODY_ARRAY: return "an array";
	case BODY_OBJECT: return "an object";
	}
	return "?";
}

/* True when v is of type t. */
static bool type_ok(const json_t *v, enum body_type t)
{
	switch (t) {
	case BODY_STR: return json_is_string(v);
	case BODY_INT: return json_is_integer(v);
	case BODY_BOOL: return json_is_boolean(v);
	case BODY_ARRAY: return json_is_array(v);
	case BODY_OBJECT: return json_is_object(v);
	}
	return false;
}

/* Checks one present, non-null member v against its declaration f. Returns 0 or -1 (err set). */
static int member_check(const struct body_spec *f, const json_t *v, char *err, size_t errlen)
{
	if (!type_ok(v, f->type)) {
		snprintf(err, errlen, "%s must be %s", f->name, type_words(f->type));
		return -1;
	}
	if (f->type == BODY_INT) {
		json_int_t n = json_integer_value(v);
		if ((f->flags & BODY_POSITIVE) && n < 1) {
			snprintf(err, errlen, "%s must be a positive integer", f->name);
			return -1;
		}
		if (f->max && n > f->max) {
			snprintf(err, errlen, "%s must be at most %" PRId64, f->name, f->max);
			return -1;
		}
		return 0;
	}
	if (f->type != BODY_STR)
		return 0;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) != n) {
		snprintf(err, errlen, "%s holds a NUL character", f->name);
		return -1;
	}
	if (f->max && n > (size_t)f->max) {
		snprintf(err, errlen, "%s is longer than %" PRId64 " bytes", f->name, f->max);
		return -1;
	}
	if ((f->flags & BODY_NOT_BLANK) && text_blank(s)) {
		snprintf(err, errlen, "%s is empty", f->name);
		return -1;
	}
	if (f->flags & BODY_LINE)
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(err, errlen, "%s must be one line without control characters",
					 f->name);
				return -1;
			}
	return 0;
}

int body_check(const struct body_spec *spec, const json_t *body, char *err, size_t errlen)
{
	for (int i = 0; i < MAX_BODY_FIELDS && spec[i].name; i++) {
		const struct body_spec *f = &spec[i];
		const json_t *v = body ? json_object_get(body, f->name) : NULL;
		if (!v || json_is_null(v)) {
			if (f->flags & BODY_REQUIRED) {
				snprintf(err, errlen, "%s is required", f->name);
				return -1;
			}
			continue;
		}
		if (member_check(f, v, err, errlen) < 0)
			return -1;
	}
	return 0;
}
