/* fuzz_json.c — request bodies: the UTF-8 check and the JSON parser as the router uses them
 * (strict UTF-8, duplicate keys refused), and RFC 3339 time parsing. Nothing may crash, and
 * anything jansson accepts must have passed our UTF-8 check. */
#include "util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool valid = utf8_valid((const char *)data, size);
	json_error_t err;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (j && !valid)
		__builtin_trap(); /* jansson accepted bytes our check calls invalid: the two disagree */
	if (j) {
		char *s = json_dumps(j, JSON_COMPACT);
		free(s);
		json_decref(j);
	}
	char *str = xstrndup((const char *)data, size < 64 ? size : 64);
	int64_t t;
	time_parse_rfc3339(str, &t);
	free(str);
	return 0;
}
