/* fuzz_body.c — outside bytes as a JSON body through the router's parse (jansson, duplicates
 * refused) and body_check, which every declared body goes through. Invariants: an accepted body
 * gives every declared member that is present the declared type, a required one is present, a
 * positive integer is ≥ 1, no string is over its limit, blank where refused or multi-line where
 * one line is declared; a refused body's message names a declared member. */
#include "body.h"
#include "fuzz_check.h"
#include "text.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct body_spec spec[] = {
	{"id", BODY_INT, BODY_REQUIRED | BODY_POSITIVE, 1000},
	{"title", BODY_STR, BODY_NOT_BLANK | BODY_LINE, 40},
	{"body", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK, 0},
	{"open", BODY_BOOL, 0, 0},
	{"ids", BODY_ARRAY, 0, 0},
	{"meta", BODY_OBJECT, 0, 0},
	{0},
};

/* Checks the invariants of one accepted member. */
static void check_member(const struct body_spec *f, const json_t *v)
{
	switch (f->type) {
	case BODY_INT:
		FUZZ_CHECK(json_is_integer(v), "%s", f->name);
		FUZZ_CHECK(!(f->flags & BODY_POSITIVE) || json_integer_value(v) >= 1, "%s", f->name);
		FUZZ_CHECK(!f->max || json_integer_value(v) <= f->max, "%s", f->name);
		break;
	case BODY_STR: {
		FUZZ_CHECK(json_is_string(v), "%s", f->name);
		const char *s = json_string_value(v);
		FUZZ_CHECK(strlen(s) == json_string_length(v), "%s holds a NUL", f->name);
		FUZZ_CHECK(!f->max || strlen(s) <= (size_t)f->max, "%s too long", f->name);
		FUZZ_CHECK(!(f->flags & BODY_NOT_BLANK) || !text_blank(s), "%s blank", f->name);
		if (f->flags & BODY_LINE)
			for (const unsigned char *p = (const unsigned char *)s; *p; p++)
				FUZZ_CHECK(*p >= 0x20 && *p != 0x7f, "%s has a control character", f->name);
		break;
	}
	case BODY_BOOL:
		FUZZ_CHECK(json_is_boolean(v), "%s", f->name);
		break;
	case BODY_ARRAY:
		FUZZ_CHECK(json_is_array(v), "%s", f->name);
		break;
	case BODY_OBJECT:
		FUZZ_CHECK(json_is_object(v), "%s", f->name);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	char err[160];
	if (body_check(spec, body, err, sizeof err) == 0) {
		for (const struct body_spec *f = spec; f->name; f++) {
			const json_t *v = json_object_get(body, f->name);
			if (!v || json_is_null(v)) {
				FUZZ_CHECK(!(f->flags & BODY_REQUIRED), "required %s absent but accepted", f->name);
				continue;
			}
			check_member(f, v);
		}
	} else {
		bool named = false;
		for (const struct body_spec *f = spec; f->name; f++)
			named |= strncmp(err, f->name, strlen(f->name)) == 0 && err[strlen(f->name)] == ' ';
		FUZZ_CHECK(named, "message names no declared member: %s", err);
	}
	json_decref(body);
	return 0;
}
