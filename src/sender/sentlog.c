/* sentlog.c — STATE_DIR/sent.log: one JSON line per delivery attempt (sender only). */
#include "config.h"
#include "sentlog.h"
#include "fsutil.h"
#include "util.h"

#define SENT_LOG_FILE "sent.log"
#define SENT_LOG_ROTATE (512 * 1024) /* sent.log + sent.log.1 stay under 1 MiB */

void sentlog_append(const char *state_dir, const char *backend, const char *result, json_t *uuids,
              long status, const char *error)
{
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	json_t *line = json_pack("{s:s, s:s, s:s, s:I, s:O}", "time", stamp, "backend", backend,
	                         "result", result, "events", (json_int_t)json_array_size(uuids), "uuids", uuids);
	if (status)
		json_object_set_new(line, "status", json_integer(status));
	if (error)
		json_object_set_new(line, "error", json_string(error));
	(void)fs_append_json_line(state_dir, SENT_LOG_FILE, line, SENT_LOG_ROTATE);
	json_decref(line);
}
