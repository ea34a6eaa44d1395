/* fuzz_event.c — libFuzzer target: every EVENT input through the command-line validation,
 * then the event, its queue record, and both wire forms. The input is split on NUL bytes
 * into the values of --command, --duration, --exit-code, --error, --cli-version, --event,
 * --error-type and two --property (KEY=VALUE or KEY:=JSON). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "cli.h"
#include "conf.h"
#include "event.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const flags[] = {"--command", "--duration", "--exit-code", "--error", "--cli-version",
	                                    "--event", "--error-type", "--property", "--property"};
	enum { N_FLAGS = sizeof flags / sizeof *flags };
	char *copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	char *argv[2 * N_FLAGS + 2] = {"usage-report"};
	int argc = 1;
	char *field = copy;
	for (size_t i = 0; i < N_FLAGS && field <= copy + size; i++) {
		argv[argc++] = (char *)flags[i];
		argv[argc++] = field;
		field += strlen(field) + 1;
	}
	argv[argc] = NULL;

	int saved_stderr = dup(STDERR_FILENO); /* the one-line errors are expected: keep quiet */
	int null = open("/dev/null", 1);
	dup2(null, STDERR_FILENO);
	struct options o;
	int rc = cli_parse(argc, argv, &o);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(null);
	if (rc == 0) {
		struct conf cfg;
		conf_load_string(&cfg, "fuzz", "[posthog]\napi_key = phc_k\n[datadog]\noutcome = error_type\n");
		struct record *record = record_new(RECORD_EVENT, "anon", NULL, event_build(&cfg, &o.ev));
		json_t *ph = record_posthog_event(record, NULL, NULL);
		json_t *dd = record_datadog_log(record, NULL, &cfg, 0);
		free(json_dumps(ph, JSON_COMPACT));
		free(json_dumps(dd, JSON_COMPACT));
		json_decref(ph);
		json_decref(dd);
		record_free(record);
		conf_free(&cfg);
	}
	options_free(&o);
	free(copy);
	return 0;
}
