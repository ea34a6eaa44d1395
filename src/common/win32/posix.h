/* posix.h — the POSIX facilities usage-report uses, on Windows (design.md §9.1).
 *
 * The Windows build (configure --host=*-mingw32) puts this folder first on the include path
 * (-isystem): each header here includes the toolchain's own header of that name, then names
 * a POSIX call after its Windows twin below, so that the code above compat is the same on
 * both systems. Everything here is implemented in src/common/compat-win32.c.
 *
 *   POSIX call            Windows                                         here
 *   open, fsync           CreateFileW sharing read, write and delete      win32_open, fsync
 *                         (a reader never stops a replace or a remove),
 *                         retried briefly on a sharing violation
 *                         (an antivirus holding the file); FlushFileBuffers
 *   stat, lstat, fstat,   GetFileInformationByHandle (a reparse point is  win32_stat, win32_lstat,
 *   fstatat               a symbolic link; a console, NUL: a device)      sys/stat.h
 *   utimensat             SetFileTime                                     win32_utimensat
 *   isatty                GetConsoleMode (NUL is no terminal)             win32_isatty
 *   rename                MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH)   win32_rename
 *   link                  CreateHardLinkW (fails if the name exists)      win32_link
 *   unlink, mkdir, rmdir  DeleteFileW, CreateDirectoryW, RemoveDirectoryW win32_unlink, win32_mkdir
 *   access, chdir, getcwd _waccess, _wchdir, _wgetcwd                     win32_access, ...
 *   opendir, readdir,     FindFirstFileW / FindNextFileW; dirfd names    dirent.h
 *   dirfd, unlinkat       the open folder for fstatat and unlinkat
 *   realpath              GetFullPathNameW                                win32_realpath
 *   mkstemp               a random name created with CREATE_NEW           win32_mkstemp
 *   getenv                _wgetenv, converted to UTF-8 (kept until exit) win32_getenv
 *   getpwuid              USERNAME and USERPROFILE                        pwd.h
 *   uname                 RtlGetVersion, GetNativeSystemInfo              sys/utsname.h
 *   geteuid               0: one user owns a profile's folders            unistd.h
 *   flock                 LockFileEx / UnlockFileEx (compat_lock)         compat.h
 *
 * Paths are UTF-8 in the program and UTF-16 at every call into Windows; either slash is a
 * separator, and the program itself writes '/'. Error convention: as the POSIX call, -1 (or
 * NULL) with errno set from GetLastError() by win32_errno(). */
#ifndef USAGE_REPORT_WIN32_POSIX_H
#define USAGE_REPORT_WIN32_POSIX_H

#include <stddef.h>
#include <sys/types.h>

struct win32_stat;
struct timespec;

int win32_open(const char *path, int flags, ...);
int win32_stat(const char *path, struct win32_stat *st);
int win32_lstat(const char *path, struct win32_stat *st);
int win32_fstat(int fd, struct win32_stat *st);
int win32_fstatat(int dirfd, const char *name, struct win32_stat *st, int flags);
int win32_unlinkat(int dirfd, const char *name, int flags);
int win32_utimensat(int dirfd, const char *path, const struct timespec times[2], int flags);
int win32_isatty(int fd);
int win32_rename(const char *from, const char *to);
int win32_link(const char *from, const char *to);
int win32_unlink(const char *path);
int win32_mkdir(const char *path, int mode);
int win32_rmdir(const char *path);
int win32_access(const char *path, int mode);
int win32_chdir(const char *path);
char *win32_getcwd(char *buf, size_t size);
int win32_fsync(int fd);
int win32_ftruncate(int fd, long long length);
char *win32_realpath(const char *path, char *resolved);
int win32_mkstemp(char *template_name);
char *win32_getenv(const char *name);
int win32_fcntl(int fd, int cmd, ...);

/* Set errno from a Windows error code (GetLastError()); returns -1. */
int win32_errno(unsigned long error);

#endif
