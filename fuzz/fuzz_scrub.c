/* fuzz_scrub.c — libFuzzer target: error-message scrubbing. The result must be valid
 * UTF-8 without control characters and at most 300 characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "scrub.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = scrub_message((const char *)data, size, "/home/fuzzer", "fuzzer");
	size_t n = strlen(out), chars = 0;
	if (!utf8_valid(out, n) || has_control(out))
		abort();
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)out[i] & 0xC0) != 0x80;
	if (chars > SCRUB_MAX_CHARS)
		abort();
	free(out);
	return 0;
}
