/* delivery.c — backoff state and the attempt log, between sender runs. */
#include "config.h"
#include "delivery.h"
#include "fsutil.h"
#include "paths.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <sys/random.h>
#include <unistd.h>

#define BACKOFF_FIRST_MS 1000LL
#define BACKOFF_MAX_MS (3600LL * 1000)
#define SENT_LOG_ROTATE (512 * 1024) /* sent.log + sent.log.1 stay under 1 MiB */

static json_t *load_state(const char *state_dir)
{
	char *path = path_join(state_dir, DELIVERY_FILE);
	json_t *doc = json_load_file(path, 0, NULL);
	free(path);
	if (!json_is_object(doc)) {
		json_decref(doc);
		doc = json_object();
	}
	return doc;
}

static void save_state(const char *state_dir, json_t *doc, long long until_ms)
{
	char *path = path_join(state_dir, DELIVERY_FILE);
	char *text = json_dumps(doc, JSON_INDENT(2));
	if (text && fs_write_atomic(path, text, strlen(text), false) == 0)
		fs_set_mtime_ms(path, until_ms);
	free(text);
	free(path);
}

static json_t *last_result(size_t n, long status, const char *error)
{
	char stamp[32];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	json_t *last = json_pack("{s:s, s:I}", "time", stamp, "events", (json_int_t)n);
	if (status)
		json_object_set_new(last, "status", json_integer(status));
	if (error)
		json_object_set_new(last, "error", json_string(error));
	return last;
}

void delivery_succeeded(const char *state_dir, size_t n, long status)
{
	json_t *doc = load_state(state_dir);
	json_object_set_new(doc, "failures", json_integer(0));
	json_object_set_new(doc, "backoff_until", json_null());
	json_object_set_new(doc, "last", last_result(n, status, NULL));
	save_state(state_dir, doc, 0);
	json_decref(doc);
}

long long delivery_failed(const char *state_dir, size_t n, long status, const char *error, long retry_after)
{
	json_t *doc = load_state(state_dir);
	json_int_t failures = json_integer_value(json_object_get(doc, "failures")) + 1;
	long long base = BACKOFF_FIRST_MS;
	for (json_int_t i = 1; i < failures && base < BACKOFF_MAX_MS; i++)
		base *= 2;
	if (base > BACKOFF_MAX_MS)
		base = BACKOFF_MAX_MS;
	unsigned int r = 0;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (unsigned int)getpid();
	long long delay = base / 2 + (long long)(r % (unsigned int)(base / 2 + 1)); /* equal jitter */
	if (delay < retry_after * 1000LL)
		delay = retry_after * 1000LL;
	long long until = now_ms() + delay;
	char stamp[32];
	format_rfc3339_ms(until, stamp, sizeof stamp);
	json_object_set_new(doc, "failures", json_integer(failures));
	json_object_set_new(doc, "backoff_until", json_string(stamp));
	json_object_set_new(doc, "last", last_result(n, status, error));
	save_state(state_dir, doc, until);
	json_decref(doc);
	return delay;
}

void sent_log(const char *state_dir, const char *backend, const char *result, json_t *uuids,
              long status, const char *error)
{
	char *path = path_join(state_dir, SENT_LOG_FILE);
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > SENT_LOG_ROTATE) {
		char *old = xasprintf("%s.1", path);
		rename(path, old);
		free(old);
	}
	char stamp[32];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	json_t *line = json_pack("{s:s, s:s, s:s, s:I, s:O}", "time", stamp, "backend", backend,
	                         "result", result, "events", (json_int_t)json_array_size(uuids), "uuids", uuids);
	if (status)
		json_object_set_new(line, "status", json_integer(status));
	if (error)
		json_object_set_new(line, "error", json_string(error));
	char *text = json_dumps(line, JSON_COMPACT);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && text) {
		size_t len = strlen(text);
		text[len] = '\n'; /* json_dumps leaves room for the NUL we overwrite */
		ssize_t unused = write(fd, text, len + 1);
		(void)unused;
	}
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(line);
	free(path);
}

bool delivery_in_backoff(const char *state_dir)
{
	char *path = path_join(state_dir, DELIVERY_FILE);
	struct stat st;
	bool in_backoff = stat(path, &st) == 0 &&
	                  (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 > now_ms();
	free(path);
	return in_backoff;
}
