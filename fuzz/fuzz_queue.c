/* fuzz_queue.c — libFuzzer target: a queue file as the sender reads it back. The input is a
 * file name and its content, split at the first NUL: the queue's listing (names, their
 * order), queue_read() and record_parse(), then what each backend makes of the record. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "conf.h"
#include "fsutil.h"
#include "queue.h"
#include "record.h"
#include "session.h"
#include "util.h"

static const char *const configs[] = {
	"[posthog]\napi_key = phc_k\n",
	"backend = datadog\n[datadog]\nclient_token = pub_k\noutcome = error_type\n",
	"backend = otlp\n[otlp]\nendpoint = http://127.0.0.1:4318\n",
	"backend = file\n[file]\npath = /dev/null\n",
};

static void each_backend(const struct record *record)
{
	for (size_t i = 0; i < sizeof configs / sizeof *configs; i++) {
		struct conf cfg;
		conf_load_string(&cfg, "fuzz", configs[i]);
		struct session session = {0};
		json_t *out = record_for_backend(record, &cfg, NULL, &session, 1764756000000LL);
		free(json_dumps(out, JSON_COMPACT));
		json_decref(out);
		conf_free(&cfg);
	}
	(void)record_credentials(record);
	(void)record_time_ms(record);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	if (!*dir) {
		snprintf(dir, sizeof dir, "/tmp/fuzz-queue-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	const char *sep = memchr(data, '\0', size);
	size_t name_len = sep ? (size_t)(sep - (const char *)data) : size;
	if (name_len == 0 || name_len > 200 || memchr(data, '/', name_len) || (name_len <= 2 && data[0] == '.'))
		return 0;
	char *name = xstrndup((const char *)data, name_len);
	char *qdir = path_join(dir, "queue");
	char *path = path_join(qdir, name);
	(void)fs_mkdirs(qdir, 0700);
	FILE *f = fopen(path, "w");
	if (f) {
		if (sep)
			fwrite(sep + 1, 1, size - name_len - 1, f);
		fclose(f);
	}
	struct queue_entry *e;
	size_t n;
	if (queue_list(dir, &e, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct record *record = NULL;
			if (queue_read(dir, &e[i], &record) == 0)
				each_backend(record);
			record_free(record);
			free(queue_entry_uuid(&e[i]));
		}
		queue_entries_free(e, n);
	}
	unlink(path);
	free(name);
	free(qdir);
	free(path);
	return 0;
}
