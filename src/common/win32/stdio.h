/* stdio.h — the toolchain's, and rename as POSIX has it (replacing the target; posix.h). */
#include_next <stdio.h>
#ifndef USAGE_REPORT_WIN32_STDIO_H
#define USAGE_REPORT_WIN32_STDIO_H
#include "posix.h"

#define rename(from, to) win32_rename(from, to)
#endif
