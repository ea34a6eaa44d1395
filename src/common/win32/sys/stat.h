/* sys/stat.h — the toolchain's, then a struct stat with what POSIX.1-2008 gives (st_mtim,
 * st_ino, st_dev filled from GetFileInformationByHandle), and the calls POSIX adds (posix.h). */
#include_next <sys/stat.h>
#ifndef USAGE_REPORT_WIN32_SYS_STAT_H
#define USAGE_REPORT_WIN32_SYS_STAT_H
#include <time.h>
#include "../posix.h"

#ifndef S_IFLNK
#define S_IFLNK 0xA000
#endif
#ifndef S_ISLNK
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#endif
#ifndef S_ISSOCK
#define S_ISSOCK(m) 0
#endif

/* struct stat names struct win32_stat, stat() names win32_stat(): tags and functions live
 * in different name spaces. */
struct win32_stat {
	unsigned long long st_dev, st_ino;
	unsigned int st_mode, st_nlink;
	int st_uid, st_gid;
	long long st_size;
	struct timespec st_atim, st_mtim, st_ctim;
};
#define st_mtime st_mtim.tv_sec
#undef stat
#undef fstat
#define stat win32_stat
#define lstat win32_lstat
#define fstat win32_fstat
#define mkdir(path, mode) win32_mkdir(path, mode)
/* A profile's folders carry the user's access list; there are no mode bits to set. */
static inline int win32_umask(int mask)
{
	(void)mask;
	return 0;
}
#define umask(mask) win32_umask(mask)

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define UTIME_OMIT ((1L << 30) - 2L)
#define utimensat win32_utimensat
#define fstatat win32_fstatat
#endif
