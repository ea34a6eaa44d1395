/* fcntl.h — the toolchain's, and the flags and calls POSIX adds (posix.h). */
#include_next <fcntl.h>
#ifndef USAGE_REPORT_WIN32_FCNTL_H
#define USAGE_REPORT_WIN32_FCNTL_H
#include "posix.h"

/* Windows handles are not inherited unless asked for, and never block on open: these ask
 * for nothing more. O_NOFOLLOW: win32_open refuses a reparse point. */
#define O_CLOEXEC 0
#define O_NOCTTY 0
#define O_NONBLOCK 0
#define O_DIRECTORY 0x01000000
#define O_NOFOLLOW 0x02000000

#define F_GETFD 1
#define F_SETFD 2
#define FD_CLOEXEC 1

#define open win32_open
#define fcntl win32_fcntl
#endif
