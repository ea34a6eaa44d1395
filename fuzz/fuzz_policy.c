/* fuzz_policy.c — libFuzzer target: the administrator's policy.conf, and the OTLP headers
 * (the config's [otlp] headers and OTEL_EXPORTER_OTLP_HEADERS), from the same input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "conf.h"
#include "consent.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size))
		return 0;
	char *text = xstrndup((const char *)data, size);
	struct conf cfg;
	conf_load_strings(&cfg, "fuzz", "[posthog]\napi_key = phc_k\n", text);
	struct consent c;
	consent_decide(&cfg, &c);
	conf_free(&cfg);
	if (!memchr(text, '\n', size)) {
		char *otlp = xasprintf("backend = otlp\n[otlp]\nendpoint = http://127.0.0.1:4318\nheaders = %s\n", text);
		conf_load_string(&cfg, "fuzz", otlp);
		conf_free(&cfg);
		free(otlp);
		setenv("OTEL_EXPORTER_OTLP_HEADERS", text, 1);
		conf_load_string(&cfg, "fuzz", "backend = otlp\n[otlp]\nendpoint = http://127.0.0.1:4318\n");
		conf_free(&cfg);
		unsetenv("OTEL_EXPORTER_OTLP_HEADERS");
	}
	free(text);
	return 0;
}
