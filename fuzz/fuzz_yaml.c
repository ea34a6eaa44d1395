/* fuzz_yaml.c — libFuzzer target: reading the key and the validate base URL from a YAML
 * credentials file, and the URL built from them. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	free(credentials_yaml_lookup((const char *)data, size, "cloud.api.key"));
	free(credentials_yaml_lookup((const char *)data, size, "key"));
	char *base = credentials_yaml_lookup((const char *)data, size, "cloud.coordinator_url");
	free(credentials_url("/api/v1/auth/whoami", base));
	free(credentials_url("https://cloud.arcade.dev:8443/api/v1/auth/validate", base));
	free(base);
	return 0;
}
