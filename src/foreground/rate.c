/* rate.c — [events] max_per_minute (design.md §4.5), counted without a lock. */
#include "config.h"
#include "rate.h"
#include "fsutil.h"
#include "trace.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the minutes other than `keep` counted past the cap; with remove, their files go. */
static long long past_minutes(const char *dir, long long keep, long cap, bool remove)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long long over = 0;
	while (d && (e = readdir(d)) != NULL) {
		char *end;
		long long minute = strtoll(e->d_name, &end, 10);
		if (*end || end == e->d_name || minute == keep)
			continue;
		char *path = path_join(dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > cap)
			over += clamp_i64(st.st_size - cap, 0, INT64_MAX / 2 - over);
		if (remove)
			(void)unlink(path);
		free(path);
	}
	if (d)
		closedir(d);
	return over;
}

long long rate_pending(const struct conf *cfg)
{
	if (cfg->max_per_minute <= 0)
		return 0;
	char *dir = path_join(cfg->state_dir, RATE_DIR);
	long long over = past_minutes(dir, -1, cfg->max_per_minute, false);
	free(dir);
	return over;
}

bool rate_admit(const struct conf *cfg, long long *dropped)
{
	*dropped = 0;
	if (cfg->max_per_minute <= 0)
		return true;
	long long minute = now_ms() / RATE_WINDOW_MS;
	char *dir = path_join(cfg->state_dir, RATE_DIR);
	char name[32];
	snprintf(name, sizeof name, "%lld", minute);
	char *path = path_join(dir, name);
	struct stat st;
	int fd = fs_safe_dir(dir, true) != 0 ? -1
	         : open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	off_t rank = -1;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && write(fd, "", 1) == 1)
		rank = lseek(fd, 0, SEEK_CUR); /* where our byte landed: this run's place this minute */
	if (fd >= 0)
		close(fd);
	free(path);
	bool admit = true;
	if (rank < 0) {
		trace("rate count unavailable (%s): the event is recorded uncounted", strerror(errno));
	} else if (rank > cfg->max_per_minute) {
		admit = false;
		trace("rate cap: %ld events this minute: not recorded, counted (%lld)", cfg->max_per_minute,
		      (long long)rank - cfg->max_per_minute);
	} else if (rank == 1) {
		*dropped = past_minutes(dir, minute, cfg->max_per_minute, true); /* the minute's first */
	}
	free(dir);
	return admit;
}
