/* fsutil.c — durable, race-free file operations: atomic replace, sidecar locks, safe folders. */
#include "config.h"
#include "fsutil.h"
#include "compat.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The sticky bit (XSI's S_ISVTX, outside POSIX.1-2008 proper): a shared folder such as /tmp. */
#define STICKY_BIT 01000

/* Whether a folder we would create in parent is one parent's owner would own: we are that
 * owner, or parent is a shared folder (sticky, as /tmp). Root with another user's HOME
 * (sudo -E) must not leave that user root-owned folders they cannot write (design.md §4.1). */
static bool ours_to_create_in(const char *parent)
{
	struct stat st;
	if (lstat(parent, &st) != 0)
		return true; /* mkdir says what is wrong */
	return st.st_uid == geteuid() || (st.st_mode & STICKY_BIT);
}

int fs_mkdirs(const char *dir, mode_t mode)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		struct stat st;
		if (lstat(p, &st) != 0 && errno == ENOENT) {
			char *slash = strrchr(p, '/');
			*slash = '\0';
			bool ours = ours_to_create_in(slash == p ? "/" : p);
			*slash = '/';
			if (!ours) {
				errno = EPERM;
				rc = -1;
				break;
			}
		}
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	int saved_errno = errno;
	free(p);
	errno = saved_errno;
	return rc;
}

int fs_safe_dir(const char *dir, bool create)
{
	struct stat st;
	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT || !create)
			return -1;
		if (fs_mkdirs(dir, 0700) != 0)
			return -1;
		if (lstat(dir, &st) != 0)
			return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (st.st_uid != geteuid()) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd); /* a folder: F_FULLFSYNC is for files' data */
	close(fd);
	return rc;
}

/* Write a temporary file beside path, then put it in place: by rename (replace) or by link,
 * which fails with EEXIST when path exists (a file made whole or not at all, by one writer
 * of several). */
static int write_whole(const char *path, const void *data, size_t len, enum fs_sync sync, bool replace)
{
	char *copy = xstrdup(path);
	char *tmp = xasprintf("%s/.%s.XXXXXX", dirname(copy), strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	int saved_errno = 0, rc = -1;
	int fd = mkstemp(tmp); /* neither program starts another before FD_CLOEXEC is set */
	if (fd < 0)
		goto out;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || write_all(fd, data, len) != 0 ||
	    (sync != FS_SYNC_NONE && compat_fsync(fd) != 0)) {
		saved_errno = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		saved_errno = errno;
		goto fail;
	}
	if (replace ? rename(tmp, path) != 0 : link(tmp, path) != 0) {
		saved_errno = errno;
		goto fail;
	}
	if (!replace)
		unlink(tmp);
	if (sync == FS_SYNC_ALL)
		(void)fsync_dir_of(path); /* best effort: the data itself is already safe */
	rc = 0;
	goto out;
fail:
	unlink(tmp);
	errno = saved_errno;
out:
	saved_errno = errno;
	free(tmp);
	free(copy);
	errno = saved_errno;
	return rc;
}

int fs_write_atomic(const char *path, const void *data, size_t len, enum fs_sync sync)
{
	return write_whole(path, data, len, sync, true);
}

int fs_write_new(const char *path, const void *data, size_t len, enum fs_sync sync)
{
	return write_whole(path, data, len, sync, false);
}

int fs_read_file(const char *path, size_t max, char **data, size_t *len)
{
	/* O_NONBLOCK: a FIFO (or a device) put here must not hang us in open() or read() */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENXIO;
		goto fail;
	}
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	struct buf b = {0};
	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf_free(&b);
			goto fail;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			buf_free(&b);
			errno = EFBIG;
			goto fail;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*len = b.len;
	*data = buf_detach(&b);
	return 0;
fail:;
	int saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return -1;
}

int fs_lock(const char *path, int kind)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0)
		return -1;
	while (compat_lock(fd, kind) != 0) {
		if (errno == EINTR)
			continue;
		int saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return -1;
	}
	return fd;
}

int fs_lock_wait(const char *path, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	for (;;) {
		int fd = fs_lock(path, COMPAT_LOCK_EXCLUSIVE | COMPAT_LOCK_NOWAIT);
		if (fd >= 0 || errno != EWOULDBLOCK)
			return fd;
		if (mono_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct timespec pause = {0, 5 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
}

int fs_set_mtime_ms(const char *path, long long ms)
{
	struct timespec times[2];
	times[0].tv_sec = times[1].tv_sec = (time_t)(ms / 1000);
	times[0].tv_nsec = times[1].tv_nsec = (long)(ms % 1000) * 1000000L;
	return utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
}

char *fs_stat_signature(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return NULL;
	return xasprintf("%llu:%lld:%lld", (unsigned long long)st.st_ino, (long long)st.st_size,
	                 (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
}

json_t *fs_read_json(const char *dir, const char *name, size_t max)
{
	char *path = path_join(dir, name);
	char *text = NULL;
	size_t len = 0;
	json_t *doc = fs_read_file(path, max, &text, &len) == 0 ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	free(path);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int fs_write_json(const char *dir, const char *name, const json_t *doc, size_t flags, enum fs_sync sync)
{
	char *text = json_dumps(doc, flags);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	char *path = path_join(dir, name);
	int rc = fs_write_atomic(path, text, strlen(text), sync);
	int saved = errno;
	free(path);
	free(text);
	errno = saved;
	return rc;
}

int fs_append_json_line(const char *dir, const char *name, const json_t *doc, off_t rotate)
{
	char *path = path_join(dir, name);
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > rotate) {
		char *old = xasprintf("%s.1", path);
		(void)rename(path, old);
		free(old);
	}
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = -1;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd >= 0 && text) {
		size_t len = strlen(text);
		text[len] = '\n'; /* json_dumps leaves room for the NUL we overwrite */
		rc = write_all(fd, text, len + 1);
	}
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
	return rc;
}

void fs_remove(const char *dir, const char *name)
{
	char *path = path_join(dir, name);
	(void)unlink(path);
	free(path);
}
