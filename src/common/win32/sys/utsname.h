/* sys/utsname.h — the system's name, version and processor (RtlGetVersion; posix.h). */
#ifndef USAGE_REPORT_WIN32_SYS_UTSNAME_H
#define USAGE_REPORT_WIN32_SYS_UTSNAME_H

struct utsname {
	char sysname[16];  /* "Windows" */
	char release[32];  /* "10.0.19045" */
	char machine[16];  /* "x86_64", "aarch64": the names Linux gives */
};
int uname(struct utsname *u);
#endif
