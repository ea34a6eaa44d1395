/* pwd.h — the user running us: USERNAME and USERPROFILE (posix.h). */
#ifndef USAGE_REPORT_WIN32_PWD_H
#define USAGE_REPORT_WIN32_PWD_H
#include <sys/types.h>

struct passwd {
	char *pw_name;
	char *pw_dir;
};
struct passwd *getpwuid(int uid);
#endif
