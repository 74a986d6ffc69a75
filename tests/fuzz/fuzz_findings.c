/* fuzz_findings.c — the case collection's identifying-terms check over any draft: every position
 * lies inside the draft, starts before it ends, and points at the start of a code point; UTF-16
 * offsets never go backwards; nothing reads out of bounds (ASan). */
#include "findings.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct finding_terms terms;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!terms.n) {
		finding_terms_add_company(&terms, "株式会社アルファ製作所");
		finding_terms_add_company(&terms, "Alpha Co., Ltd.");
		finding_terms_add_company(&terms, "\xe3\x88\xb1デルタ");
		finding_terms_add_person(&terms, "山田 太郎");
		finding_terms_add(&terms, "taro@alpha.example.jp", FINDING_EMAIL);
	}
	char *text = xstrndup((const char *)data, size);
	size_t len = strlen(text);
	struct findings f = {0};
	findings_scan(&f, "body", text, len, &terms);
	for (size_t i = 0; i < f.n; i++) {
		for (size_t j = 0; j < f.v[i].npos; j++) {
			size_t s = f.v[i].pos[j].start, e = f.v[i].pos[j].end;
			if (s >= e || e > len || ((unsigned char)text[s] & 0xC0) == 0x80)
				__builtin_trap();
			if (findings_utf16_offset(text, s) > findings_utf16_offset(text, e))
				__builtin_trap();
		}
	}
	findings_free(&f);
	free(text);
	return 0;
}
