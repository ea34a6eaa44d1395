/* dirent.h — a folder's entries with UTF-8 names (FindFirstFileW; posix.h). */
#ifndef USAGE_REPORT_WIN32_DIRENT_H
#define USAGE_REPORT_WIN32_DIRENT_H

struct dirent {
	char d_name[1024]; /* UTF-8: up to 255 UTF-16 units, 3 bytes each at most */
};
#include "posix.h"

typedef struct win32_dir DIR;

DIR *opendir(const char *path);
struct dirent *readdir(DIR *dir);
int closedir(DIR *dir);
/* A number for fstatat and unlinkat naming the open folder (not a descriptor). */
int dirfd(DIR *dir);
#define unlinkat win32_unlinkat
#endif
