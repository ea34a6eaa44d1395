/* fuzz_yaml.c — libFuzzer target: reading the API key from a YAML credentials file. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	free(yaml_lookup((const char *)data, size, "cloud.api.key"));
	free(yaml_lookup((const char *)data, size, "key"));
	return 0;
}
