/* fuzz_config.c — libFuzzer target: the INI config parser and its validation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct conf cfg;
	conf_load_string(&cfg, "fuzz", text);
	char *endpoint = conf_endpoint(&cfg);
	free(endpoint);
	conf_free(&cfg);
	free(text);
	return 0;
}
