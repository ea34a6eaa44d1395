/* fuzz_validate.c — libFuzzer target: reading the principal id from a validate answer. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	free(credentials_json_lookup((const char *)data, size, "data.principal_id"));
	free(credentials_json_lookup((const char *)data, size, "id"));
	return 0;
}
