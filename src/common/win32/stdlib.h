/* stdlib.h — the toolchain's, and the calls POSIX adds (posix.h). */
#include_next <stdlib.h>
#ifndef USAGE_REPORT_WIN32_STDLIB_H
#define USAGE_REPORT_WIN32_STDLIB_H
#include "posix.h"

#define getenv(name) win32_getenv(name)
#define realpath(path, resolved) win32_realpath(path, resolved)
#define mkstemp(template_name) win32_mkstemp(template_name)
#endif
