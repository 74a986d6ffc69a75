/* fuzz_config.c — the configuration parser never crashes and either accepts or names a key. */
#include "config.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[256] = "";
	config_defaults(&c);
	if (config_load_text(&c, (const char *)data, size, "fuzz", err) < 0 && err[0] == 0)
		__builtin_trap(); /* a refusal must say why */
	config_free(&c);
	return 0;
}
