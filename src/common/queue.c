/* queue.c — the on-disk event queue: one file per record in STATE_DIR/queue/ (design.md §4.5). */
#include "config.h"
#include "queue.h"
#include "event.h"
#include "fsutil.h"
#include "record.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ABANDONED_TEMP_SECONDS 60
/* A new event is not fsynced: that costs the caller about a third of an exec (make bench),
 * and a power cut may at worst lose the newest events or leave a file that queue_read()
 * rejects (not JSON, or not a record), never one taken for an event. */
#define QUEUE_SYNC FS_SYNC_NONE
#define RECORD_OVERHEAD 4096 /* a record's bytes beyond its event's */
#define ORDER_DIGITS 20                    /* "<20 digits>-<uuid>.json" */
#define NAME_MIN_LEN (ORDER_DIGITS + 1 + 5) /* the order, '-', ".json" */

char *queue_dir(const char *state_dir)
{
	return path_join(state_dir, "queue");
}

static uint64_t next_order(void)
{
	static uint64_t last;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* a clock before 1970 counts as 1970: the order never wraps */
	uint64_t t = ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (t <= last)
		t = last + 1; /* keep records of one process in the order they were made */
	last = t;
	return t;
}

static int put(const char *state_dir, const char *text, const char *uuid, uint64_t order)
{
	char *dir = queue_dir(state_dir);
	char *path = xasprintf("%s/%0*llu-%s.json", dir, ORDER_DIGITS, (unsigned long long)order, uuid ? uuid : "x");
	int rc = -1;
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		rc = fs_write_atomic(path, text, strlen(text), QUEUE_SYNC);
	int saved_errno = errno;
	free(path);
	free(dir);
	errno = saved_errno;
	return rc;
}


int queue_put_ordered(const char *state_dir, const struct record *record, uint64_t order)
{
	char *text = record_text(record);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	int rc = put(state_dir, text, record_uuid(record), order);
	free(text);
	return rc;
}


int queue_put_text(const char *state_dir, const char *text, const char *uuid, bool first)
{
	return put(state_dir, text, uuid, first ? QUEUE_ORDER_FIRST : next_order());
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct queue_entry *)a)->name, ((const struct queue_entry *)b)->name);
}

int queue_list(const char *state_dir, struct queue_entry **out, size_t *n)
{
	char *dir = queue_dir(state_dir);
	DIR *d = opendir(dir);
	*out = NULL;
	*n = 0;
	if (!d) {
		int missing = errno == ENOENT;
		free(dir);
		return missing ? 0 : -1;
	}
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < NAME_MIN_LEN || strcmp(e->d_name + len - 5, ".json") != 0 ||
		    e->d_name[ORDER_DIGITS] != '-')
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct queue_entry *q = &(*out)[(*n)++];
		q->name = xstrdup(e->d_name);
		q->order = strtoull(e->d_name, NULL, 10);
		q->size = (size_t)st.st_size;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, by_name);
	return 0;
}

static char *entry_path(const char *state_dir, const struct queue_entry *entry)
{
	char *dir = queue_dir(state_dir);
	char *path = path_join(dir, entry->name);
	free(dir);
	return path;
}

int queue_read(const char *state_dir, const struct queue_entry *entry, struct record **record)
{
	char *path = entry_path(state_dir, entry), *text = NULL;
	size_t len = 0;
	*record = NULL;
	int rc = fs_read_file(path, MAX_EVENT_BYTES + RECORD_OVERHEAD, &text, &len);
	free(path);
	if (rc != 0 && errno == ENOENT)
		return -1;
	*record = text ? record_parse(text, len) : NULL;
	free(text);
	if (!*record) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int queue_remove(const char *state_dir, const struct queue_entry *entry)
{
	char *path = entry_path(state_dir, entry);
	int rc = unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	free(path);
	return rc;
}

int queue_replace(const char *state_dir, const struct queue_entry *entry, const struct record *record)
{
	char *path = entry_path(state_dir, entry), *text = record_text(record);
	int rc = text ? fs_write_atomic(path, text, strlen(text), FS_SYNC_FILE) : -1;
	int saved_errno = text ? errno : ENOMEM;
	free(text);
	free(path);
	errno = saved_errno;
	return rc;
}

struct queue_entry *queue_entry_dup(const struct queue_entry *entry)
{
	struct queue_entry *copy = xmalloc(sizeof *copy);
	*copy = *entry;
	copy->name = xstrdup(entry->name);
	return copy;
}

char *queue_entry_uuid(const struct queue_entry *entry)
{
	const char *start = entry->name + ORDER_DIGITS + 1;
	return xstrndup(start, strlen(start) - 5);
}

void queue_sweep(const char *state_dir)
{
	char *dir = queue_dir(state_dir);
	DIR *d = opendir(dir);
	free(dir);
	if (!d)
		return;
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] == '.' && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && now - st.st_mtime > ABANDONED_TEMP_SECONDS)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

void queue_entries_free(struct queue_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(entries[i].name);
	free(entries);
}

long queue_count(const char *state_dir)
{
	struct queue_entry *e;
	size_t n;
	if (queue_list(state_dir, &e, &n) != 0)
		return -1;
	queue_entries_free(e, n);
	return (long)n;
}

void queue_purge(const char *state_dir)
{
	struct queue_entry *e;
	size_t n;
	if (queue_list(state_dir, &e, &n) != 0)
		return;
	bool forced = queue_forced_pending(state_dir);
	for (size_t i = 0; i < n; i++) {
		struct record *record = NULL;
		/* a forget request the person made stays until it is delivered */
		if (!(forced && queue_read(state_dir, &e[i], &record) == 0 && record_forced(record)))
			(void)queue_remove(state_dir, &e[i]);
		record_free(record);
	}
	queue_entries_free(e, n);
}

int queue_mark_forced(const char *state_dir)
{
	char *path = path_join(state_dir, QUEUE_FORCED_FILE);
	int rc = fs_write_atomic(path, "", 0, FS_SYNC_FILE);
	free(path);
	return rc;
}

bool queue_forced_pending(const char *state_dir)
{
	char *path = path_join(state_dir, QUEUE_FORCED_FILE);
	struct stat st;
	bool pending = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return pending;
}

void queue_clear_forced(const char *state_dir)
{
	fs_remove(state_dir, QUEUE_FORCED_FILE);
}
