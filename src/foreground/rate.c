/* rate.c — [events] max_per_minute (SPEC §4.5). */
#include "config.h"
#include "rate.h"
#include "fsutil.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a caller waits for the count. Each holder keeps it for microseconds, but dozens
 * of callers at once on a loaded machine can queue for tens of milliseconds, and one that
 * gave up would record its event uncounted, past the cap (tests/beyond.bats). */
#define RATE_LOCK_WAIT_MS 1000
/* More runs than any count can hold in a lifetime: a larger one is not a count (it starts over). */
#define MAX_RATE_COUNT 1000000000000LL
/* "WINDOW_START_MS RECORDED DROPPED\n", with room to spare */
#define RATE_TEXT_LEN 96

struct window {
	long long start_ms, recorded, dropped;
};

/* The count in text; anything else is a count that starts over. */
static void parse_window(const char *text, struct window *w)
{
	if (sscanf(text, "%lld %lld %lld", &w->start_ms, &w->recorded, &w->dropped) != 3 ||
	    clamp_i64(w->start_ms, 0, MAX_TIME_MS) != w->start_ms || clamp_i64(w->recorded, 0, MAX_RATE_COUNT) != w->recorded ||
	    clamp_i64(w->dropped, 0, MAX_RATE_COUNT) != w->dropped)
		memset(w, 0, sizeof *w);
}

static void read_window(int fd, struct window *w)
{
	char text[RATE_TEXT_LEN];
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	parse_window(text, w);
}

static void write_window(int fd, const struct window *w)
{
	char text[RATE_TEXT_LEN];
	int n = snprintf(text, sizeof text, "%lld %lld %lld\n", w->start_ms, w->recorded, w->dropped);
	if (pwrite(fd, text, (size_t)n, 0) != n || ftruncate(fd, n) != 0)
		trace("cannot update the rate count: %s", strerror(errno));
}

long long rate_pending(const struct conf *cfg)
{
	char *path = path_join(cfg->state_dir, RATE_FILE);
	char *text = NULL;
	size_t len = 0;
	struct window w = {0};
	if (fs_read_file(path, RATE_TEXT_LEN, &text, &len) == 0)
		parse_window(text, &w);
	free(text);
	free(path);
	return w.dropped > 0 ? w.dropped : 0;
}

bool rate_admit(const struct conf *cfg, long long *dropped)
{
	*dropped = 0;
	if (cfg->max_per_minute <= 0)
		return true;
	char *path = path_join(cfg->state_dir, RATE_FILE);
	int fd = fs_lock_wait(path, RATE_LOCK_WAIT_MS);
	free(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		trace("rate count unavailable (%s): the event is recorded uncounted", fd < 0 ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		return true;
	}
	struct window w;
	read_window(fd, &w);
	long long now = now_ms();
	if (now - w.start_ms >= RATE_WINDOW_MS || now < w.start_ms) {
		w.start_ms = now;
		w.recorded = 0;
	}
	bool admit = w.recorded < cfg->max_per_minute;
	if (admit) {
		w.recorded++;
		*dropped = w.dropped;
		w.dropped = 0;
	} else {
		w.dropped++;
		trace("rate cap: %ld events this minute: not recorded, counted (%lld)", cfg->max_per_minute, w.dropped);
	}
	write_window(fd, &w);
	close(fd);
	return admit;
}
