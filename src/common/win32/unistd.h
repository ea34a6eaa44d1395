/* unistd.h — the toolchain's, and the calls POSIX adds (posix.h). */
#include_next <unistd.h>
#ifndef USAGE_REPORT_WIN32_UNISTD_H
#define USAGE_REPORT_WIN32_UNISTD_H
#include "posix.h"

#define unlink(path) win32_unlink(path)
#define rmdir(path) win32_rmdir(path)
#define access(path, mode) win32_access(path, mode)
#define chdir(path) win32_chdir(path)
#define getcwd(buf, size) win32_getcwd(buf, size)
#define link(from, to) win32_link(from, to)
#define fsync(fd) win32_fsync(fd)
#define isatty(fd) win32_isatty(fd)
#undef ftruncate
#define ftruncate(fd, length) win32_ftruncate(fd, length)
#ifndef X_OK
#define X_OK 0 /* Windows has no execute bit: a file that exists can be started */
#endif
/* One user owns a profile's folders; the owner checks of fsutil compare equal numbers. */
#define geteuid() 0
#define getuid() 0
#endif
