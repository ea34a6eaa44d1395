/* filesink.c — see filesink.h. */
#include "config.h"
#include "filesink.h"
#include "compat.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

long filesink_append(const char *path, const json_t *events, char *error, size_t error_size)
{
	struct buf b = {0};
	for (size_t i = 0; i < json_array_size(events); i++) {
		char *line = json_dumps(json_array_get(events, i), JSON_COMPACT);
		buf_adds(&b, line);
		buf_addc(&b, '\n');
		free(line);
	}
	long status = 0;
	struct stat st;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0 || compat_lock(fd, COMPAT_LOCK_EXCLUSIVE) != 0 || fstat(fd, &st) != 0) {
		snprintf(error, error_size, "cannot open '%s': %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(error, error_size, "'%s' is not a regular file", path);
	} else if (write_all(fd, b.data, b.len) != 0 || compat_fsync(fd) != 0) {
		snprintf(error, error_size, "cannot write '%s': %s", path, strerror(errno));
		if (ftruncate(fd, st.st_size) != 0)
			trace("cannot roll back '%s': %s", path, strerror(errno));
	} else {
		status = 200;
	}
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return status;
}
