/* fsutil.h — durable, race-free file operations: atomic replace, sidecar locks, safe folders.
 *
 * Every function returns 0 on success and -1 with errno set on failure; every descriptor
 * is opened close-on-exec and non-blocking, so a FIFO or a device where a file is expected
 * never hangs the caller. */
#ifndef USAGE_REPORT_FSUTIL_H
#define USAGE_REPORT_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

/* Create dir and any missing parents; folders created here get mode. */
int fs_mkdirs(const char *dir, mode_t mode);

/* Check that dir is a real folder (not a symlink) owned by this user; with create,
 * make it (mode 0700) when missing. ENOTDIR/ELOOP/EPERM say why it was refused. */
int fs_safe_dir(const char *dir, bool create);

/* How much of a write must survive a power cut. */
enum fs_sync {
	FS_SYNC_NONE, /* a crash may lose the write, or leave a file its reader must reject */
	FS_SYNC_FILE, /* fsync the data before the rename */
	FS_SYNC_ALL,  /* and the folder after it */
};

/* Replace path with data: temp file in the same folder (mode 0600), full write, the syncs
 * sync asks for, rename. Readers never see half a file; the temp file never survives a
 * failure. */
int fs_write_atomic(const char *path, const void *data, size_t len, enum fs_sync sync);

/* The same, but only when path does not exist yet: -1 with EEXIST when it does (another
 * writer made it first, whole). Needs no lock: of several at once exactly one succeeds. */
int fs_write_new(const char *path, const void *data, size_t len, enum fs_sync sync);

/* The JSON object in dir/name (fs_read_file(), at most max bytes), a new reference; NULL
 * when it is missing, unreadable, larger, not JSON or not an object. */
json_t *fs_read_json(const char *dir, const char *name, size_t max);

/* doc, serialised with flags (jansson's), written atomically as dir/name. 0, or -1 with
 * errno. */
int fs_write_json(const char *dir, const char *name, const json_t *doc, size_t flags, enum fs_sync sync);

/* Append doc as one compact JSON line to dir/name (0600, O_APPEND: one write per line, so
 * concurrent writers never interleave), first renaming the file to name.1 when it is larger
 * than rotate bytes (so that the two stay under twice that). Best effort: 0, or -1. */
int fs_append_json_line(const char *dir, const char *name, const json_t *doc, off_t rotate);

/* Remove dir/name; a missing file is no error. Best effort. */
void fs_remove(const char *dir, const char *name);

/* Read a whole regular file of at most max bytes into *data (NUL-terminated, the caller
 * frees it). Never blocks: anything but a regular file fails at once, EISDIR for a folder,
 * ENXIO for a FIFO, socket or device. EFBIG when larger. */
int fs_read_file(const char *path, size_t max, char **data, size_t *len);

/* Open (creating, 0600) path and take an flock of kind (LOCK_EX or LOCK_SH, optionally
 * | LOCK_NB). Returns the descriptor, which holds the lock until closed; -1 on failure
 * (EWOULDBLOCK when LOCK_NB and held). */
int fs_lock(const char *path, int kind);

/* Like fs_lock(LOCK_EX) but gives up after timeout_ms (ETIMEDOUT): for every lock the
 * foreground takes, so that a stuck holder never makes the caller wait long. */
int fs_lock_wait(const char *path, int timeout_ms);

/* "inode:size:mtime_ns" of path (freshly allocated), or NULL when it cannot be stat()ed:
 * cheap enough for the foreground to tell whether a file changed. */
char *fs_stat_signature(const char *path);

/* Set path's modification time to ms since the epoch (creating nothing). */
int fs_set_mtime_ms(const char *path, long long ms);

#endif
