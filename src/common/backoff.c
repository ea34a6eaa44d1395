/* backoff.c — STATE_DIR/delivery.json: whether the intake is in backoff, the last result, and
 * the session. */
#include "config.h"
#include "backoff.h"
#include "compat.h"
#include "fsutil.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <unistd.h>

#define BACKOFF_FIRST_MS 1000LL
#define MAX_STATE_BYTES (64 * 1024)
#define CLOCK_SLACK_MS 1000LL

static json_t *load_state(const char *state_dir)
{
	json_t *doc = fs_read_json(state_dir, DELIVERY_FILE, MAX_STATE_BYTES);
	return doc ? doc : json_object();
}

/* A backoff is synced: a crash must not forget it (the intake asked for the pause). A
 * success is not: losing it costs at most an early retry, and it is every delivery's write. */
static void save_state(const char *state_dir, json_t *doc, long long until_ms, enum fs_sync sync)
{
	char *path = path_join(state_dir, DELIVERY_FILE);
	char *text = json_dumps(doc, JSON_INDENT(2));
	if (text && fs_write_atomic(path, text, strlen(text), sync) == 0)
		fs_set_mtime_ms(path, until_ms);
	free(text);
	free(path);
}

/* The attempt's result at time now: a backoff's expiry is reckoned from the same instant, so
 * that status shows exactly the pause the intake asked for. */
static json_t *last_result(long long now, size_t n, long status, const char *error)
{
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now, stamp, sizeof stamp);
	json_t *last = json_pack("{s:s, s:I}", "time", stamp, "events", (json_int_t)n);
	if (status)
		json_object_set_new(last, "status", json_integer(status));
	if (error)
		json_object_set_new(last, "error", json_string(error));
	return last;
}

void backoff_succeeded(const char *state_dir, size_t n, long status, json_t *session)
{
	json_t *doc = load_state(state_dir);
	json_object_set_new(doc, "failures", json_integer(0));
	json_object_set_new(doc, "backoff_until", json_null());
	json_object_set_new(doc, "last", last_result(now_ms(), n, status, NULL));
	if (session)
		json_object_set(doc, "session", session);
	save_state(state_dir, doc, 0, FS_SYNC_NONE);
	json_decref(doc);
}

json_t *backoff_session(const char *state_dir)
{
	json_t *doc = load_state(state_dir);
	json_t *session = json_incref(json_object_get(doc, "session"));
	json_decref(doc);
	return session;
}

long long backoff_failed(const char *state_dir, size_t n, long status, const char *error, long retry_after)
{
	json_t *doc = load_state(state_dir);
	json_int_t failures = clamp_i64(json_integer_value(json_object_get(doc, "failures")), 0, 64) + 1;
	retry_after = (long)clamp_i64(retry_after, 0, RETRY_AFTER_MAX_MS / 1000);
	long long base = BACKOFF_FIRST_MS;
	for (json_int_t i = 1; i < failures && base < BACKOFF_MAX_MS; i++)
		base *= 2;
	if (base > BACKOFF_MAX_MS)
		base = BACKOFF_MAX_MS;
	unsigned int r = 0;
	if (compat_random_bytes(&r, sizeof r) != 0)
		r = (unsigned int)getpid();
	long long delay = base / 2 + (long long)(r % (unsigned int)(base / 2 + 1)); /* equal jitter */
	if (delay < retry_after * 1000LL)
		delay = retry_after * 1000LL;
	if (delay > RETRY_AFTER_MAX_MS)
		delay = RETRY_AFTER_MAX_MS;
	long long now = now_ms();
	long long until = now + delay;
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(until, stamp, sizeof stamp);
	json_object_set_new(doc, "failures", json_integer(failures));
	json_object_set_new(doc, "backoff_until", json_string(stamp));
	json_object_set_new(doc, "retry_after", retry_after > 0 ? json_integer(retry_after) : json_null());
	json_object_set_new(doc, "last", last_result(now, n, status, error));
	save_state(state_dir, doc, until, FS_SYNC_FILE);
	json_decref(doc);
	return delay;
}

/* Whether a backoff that expires ahead_ms from now was set with a Retry-After that long:
 * only such an expiry may lie more than BACKOFF_MAX_MS ahead. Rare, so it may read. */
static bool retry_after_covers(const char *state_dir, long long ahead_ms)
{
	json_t *doc = load_state(state_dir);
	json_int_t retry_after = clamp_i64(json_integer_value(json_object_get(doc, "retry_after")), 0, RETRY_AFTER_MAX_MS / 1000);
	json_decref(doc);
	return retry_after * 1000LL + CLOCK_SLACK_MS >= ahead_ms;
}

bool backoff_active(const char *state_dir)
{
	char *path = path_join(state_dir, DELIVERY_FILE);
	struct stat st;
	bool exists = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	if (!exists)
		return false;
	long long now = now_ms();
	long long expiry = (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	long long written = (long long)st.st_ctim.tv_sec * 1000 + st.st_ctim.tv_nsec / 1000000;
	long long ahead = expiry - now;
	if (ahead <= 0)
		return false;
	/* The clock stepped back since the backoff was written, or it was written by a clock
	 * that ran ahead: no backoff this long was ever set, so it is not honoured. */
	if (written > now + CLOCK_SLACK_MS || ahead > RETRY_AFTER_MAX_MS + CLOCK_SLACK_MS)
		return false;
	return ahead <= BACKOFF_MAX_MS + CLOCK_SLACK_MS || retry_after_covers(state_dir, ahead);
}

json_t *backoff_status(const char *state_dir)
{
	json_t *doc = load_state(state_dir);
	json_t *last = json_object_get(doc, "last");
	json_t *until = json_object_get(doc, "backoff_until");
	json_t *out = json_pack("{s:O, s:O}", "last", json_is_object(last) ? last : json_null(), "backoff_until",
	                        json_is_string(until) && backoff_active(state_dir) ? until : json_null());
	json_decref(doc);
	return out;
}
