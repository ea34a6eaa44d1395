/* sentlog.c — STATE_DIR/sent.log: one JSON line per delivery attempt (sender only). */
#include "config.h"
#include "sentlog.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SENT_LOG_FILE "sent.log"
#define SENT_LOG_ROTATE (512 * 1024) /* sent.log + sent.log.1 stay under 1 MiB */

void sentlog_append(const char *state_dir, const char *backend, const char *result, json_t *uuids,
              long status, const char *error)
{
	char *path = path_join(state_dir, SENT_LOG_FILE);
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > SENT_LOG_ROTATE) {
		char *old = xasprintf("%s.1", path);
		rename(path, old);
		free(old);
	}
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	json_t *line = json_pack("{s:s, s:s, s:s, s:I, s:O}", "time", stamp, "backend", backend,
	                         "result", result, "events", (json_int_t)json_array_size(uuids), "uuids", uuids);
	if (status)
		json_object_set_new(line, "status", json_integer(status));
	if (error)
		json_object_set_new(line, "error", json_string(error));
	char *text = json_dumps(line, JSON_COMPACT);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd >= 0 && text) {
		size_t len = strlen(text);
		text[len] = '\n'; /* json_dumps leaves room for the NUL we overwrite */
		(void)write_all(fd, text, len + 1);
	}
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(line);
	free(path);
}
