/* compat-win32.c — compat.h and the POSIX twins of win32/posix.h, on Windows (design.md §9.1).
 *
 * Built instead of compat.c by configure --host=*-mingw32. Paths are UTF-8 in the program and
 * UTF-16 at every call into Windows; what a call returns comes back with '/' separators. */
#include "config.h"
#include "compat.h"
#include "trace.h"
#include "buf.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <pwd.h>
#include <unistd.h>

#include <windows.h>
#include <bcrypt.h>
#include <rpc.h>
#include <shellapi.h>
#include <uuid/uuid.h> /* after rpc.h, whose uuid_t it renames */

/* A file another process holds without sharing (an antivirus scanning it, an indexer) is
 * retried this often, this long apart, before the call fails: a second at most, paid only
 * when a file is held. */
#define SHARING_RETRIES 20
#define SHARING_PAUSE_MS 50
/* The byte LockFileEx locks: far beyond any data, so that the lock stays advisory (Windows
 * locks are mandatory: a locked range cannot be read through another handle). */
#define LOCK_OFFSET_HIGH 0x7fffffffUL
/* 100-ns intervals between 1601-01-01 and 1970-01-01. */
#define EPOCH_DIFF 116444736000000000LL

/* ---- UTF-8 and UTF-16 ------------------------------------------------------------------- */

/* path in UTF-16, '/' as '\\', "/dev/null" as NUL; NULL (EINVAL) if it is not UTF-8. Caller frees. */
static wchar_t *wide(const char *s)
{
	if (!strcmp(s, "/dev/null"))
		s = "NUL";
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	if (n <= 0) {
		errno = EINVAL;
		return NULL;
	}
	wchar_t *w = xcalloc((size_t)n, sizeof *w);
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
	return w;
}

static wchar_t *wide_path(const char *s)
{
	wchar_t *w = wide(s);
	for (wchar_t *p = w; p && *p; p++)
		if (*p == L'/')
			*p = L'\\';
	return w;
}

/* UTF-8 of w (len units, or -1: up to its NUL). Caller frees. */
static char *narrow_n(const wchar_t *w, int len)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, len, NULL, 0, NULL, NULL);
	char *s = xcalloc((size_t)n + 1, 1);
	WideCharToMultiByte(CP_UTF8, 0, w, len, s, n, NULL, NULL);
	return s;
}

static char *narrow(const wchar_t *w)
{
	return narrow_n(w, -1);
}

static char *forward_slashes(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\\')
			*p = '/';
	return s;
}

int win32_errno(unsigned long error)
{
	switch (error) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH:
	case ERROR_BAD_NET_NAME:
		errno = ENOENT;
		break;
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS:
		errno = EEXIST;
		break;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
	case ERROR_WRITE_PROTECT:
		errno = EACCES;
		break;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		errno = ENOMEM;
		break;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		errno = ENOSPC;
		break;
	case ERROR_TOO_MANY_OPEN_FILES:
		errno = EMFILE;
		break;
	case ERROR_DIRECTORY:
		errno = ENOTDIR;
		break;
	case ERROR_DIR_NOT_EMPTY:
		errno = ENOTEMPTY;
		break;
	case ERROR_INVALID_HANDLE:
		errno = EBADF;
		break;
	case ERROR_CANT_RESOLVE_FILENAME:
		errno = ELOOP;
		break;
	case ERROR_FILENAME_EXCED_RANGE:
		errno = ENAMETOOLONG;
		break;
	default:
		errno = EIO;
	}
	return -1;
}

/* Whether a call that failed with error is worth another try: the file is held by a process
 * that did not share it, most often briefly (an antivirus, a backup, an indexer). */
static bool retry_sharing(int *tries)
{
	DWORD e = GetLastError();
	if ((e != ERROR_SHARING_VIOLATION && e != ERROR_LOCK_VIOLATION && e != ERROR_ACCESS_DENIED) ||
	    ++*tries > SHARING_RETRIES)
		return false;
	if (*tries == 1)
		trace("a file is held by another process: retrying for up to %d ms", SHARING_RETRIES * SHARING_PAUSE_MS);
	Sleep(SHARING_PAUSE_MS);
	SetLastError(e);
	return true;
}

/* ---- files -------------------------------------------------------------------------------- */

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

static HANDLE open_handle(const char *path, DWORD access, DWORD disposition, DWORD flags)
{
	wchar_t *w = wide_path(path);
	if (!w)
		return INVALID_HANDLE_VALUE;
	HANDLE h;
	int tries = 0;
	do
		h = CreateFileW(w, access, SHARE_ALL, NULL, disposition, flags, NULL);
	while (h == INVALID_HANDLE_VALUE && retry_sharing(&tries));
	DWORD e = GetLastError();
	free(w);
	SetLastError(e);
	return h;
}

int win32_open(const char *path, int flags, ...)
{
	DWORD access = (flags & O_ACCMODE) == O_RDONLY ? GENERIC_READ
	             : (flags & O_ACCMODE) == O_WRONLY ? GENERIC_WRITE
	                                               : GENERIC_READ | GENERIC_WRITE;
	if (flags & O_APPEND)
		access = (access & ~GENERIC_WRITE) | FILE_APPEND_DATA | SYNCHRONIZE;
	DWORD disposition = (flags & O_CREAT) ? ((flags & O_EXCL) ? CREATE_NEW : (flags & O_TRUNC) ? CREATE_ALWAYS : OPEN_ALWAYS)
	                  : (flags & O_TRUNC) ? TRUNCATE_EXISTING
	                                      : OPEN_EXISTING;
	DWORD fl = FILE_ATTRIBUTE_NORMAL;
	if (flags & O_NOFOLLOW)
		fl |= FILE_FLAG_OPEN_REPARSE_POINT;
	if (flags & O_DIRECTORY) {
		errno = EISDIR; /* a folder's entries are durable with its files on NTFS */
		return -1;
	}
	HANDLE h = open_handle(path, access, disposition, fl);
	if (h == INVALID_HANDLE_VALUE)
		return win32_errno(GetLastError());
	BY_HANDLE_FILE_INFORMATION info;
	if ((flags & O_NOFOLLOW) && GetFileInformationByHandle(h, &info) &&
	    (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
		CloseHandle(h);
		errno = ELOOP;
		return -1;
	}
	int fd = _open_osfhandle((intptr_t)h, (flags & O_APPEND) | ((flags & O_ACCMODE) == O_RDONLY ? O_RDONLY : 0));
	if (fd < 0) {
		CloseHandle(h);
		errno = EMFILE;
		return -1;
	}
	_setmode(fd, O_BINARY);
	return fd;
}

static int64_t filetime_ns100(FILETIME ft)
{
	return ((int64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime) - EPOCH_DIFF;
}

static struct timespec filetime_ts(FILETIME ft)
{
	int64_t t = filetime_ns100(ft);
	int64_t s = t / 10000000, r = t % 10000000;
	if (r < 0) {
		s--;
		r += 10000000;
	}
	return (struct timespec){.tv_sec = (time_t)s, .tv_nsec = (long)(r * 100)};
}

static int stat_handle(HANDLE h, struct win32_stat *st)
{
	memset(st, 0, sizeof *st);
	DWORD type = GetFileType(h);
	if (type == FILE_TYPE_CHAR || type == FILE_TYPE_PIPE) {
		st->st_mode = (type == FILE_TYPE_PIPE ? S_IFIFO : S_IFCHR) | 0600;
		st->st_nlink = 1;
		return 0;
	}
	BY_HANDLE_FILE_INFORMATION info;
	if (!GetFileInformationByHandle(h, &info)) {
		if (type != FILE_TYPE_DISK)
			return win32_errno(GetLastError());
		/* a file opened for writing only (stderr redirected to a file): no right to read
		 * its attributes, but a file it is */
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		return 0;
	}
	st->st_dev = info.dwVolumeSerialNumber;
	st->st_ino = (unsigned long long)info.nFileIndexHigh << 32 | info.nFileIndexLow;
	st->st_nlink = info.nNumberOfLinks;
	st->st_size = (long long)((unsigned long long)info.nFileSizeHigh << 32 | info.nFileSizeLow);
	st->st_atim = filetime_ts(info.ftLastAccessTime);
	st->st_mtim = filetime_ts(info.ftLastWriteTime);
	st->st_ctim = filetime_ts(info.ftCreationTime);
	unsigned perm = info.dwFileAttributes & FILE_ATTRIBUTE_READONLY ? 0500 : 0700;
	if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
		st->st_mode = S_IFLNK | 0777;
	else if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
		st->st_mode = S_IFDIR | perm;
	else
		st->st_mode = S_IFREG | (perm & 0600);
	return 0;
}

static int stat_path(const char *path, struct win32_stat *st, bool follow)
{
	/* no access asked for: a file held open without sharing can still be looked at */
	HANDLE h = open_handle(path, FILE_READ_ATTRIBUTES, OPEN_EXISTING,
	                       FILE_FLAG_BACKUP_SEMANTICS | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT));
	if (h == INVALID_HANDLE_VALUE)
		return win32_errno(GetLastError());
	int rc = stat_handle(h, st);
	CloseHandle(h);
	return rc;
}

int win32_stat(const char *path, struct win32_stat *st)
{
	return stat_path(path, st, true);
}

int win32_lstat(const char *path, struct win32_stat *st)
{
	return stat_path(path, st, false);
}

int win32_fstat(int fd, struct win32_stat *st)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	if (h == INVALID_HANDLE_VALUE || h == (HANDLE)-2) {
		errno = EBADF;
		return -1;
	}
	return stat_handle(h, st);
}

int win32_isatty(int fd)
{
	DWORD mode;
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode);
}

int win32_rename(const char *from, const char *to)
{
	wchar_t *wf = wide_path(from), *wt = wide_path(to);
	BOOL ok = FALSE;
	int tries = 0;
	if (wf && wt)
		do
			ok = MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
		while (!ok && retry_sharing(&tries));
	DWORD e = GetLastError();
	free(wf);
	free(wt);
	return ok ? 0 : win32_errno(e);
}

int win32_link(const char *from, const char *to)
{
	wchar_t *wf = wide_path(from), *wt = wide_path(to);
	BOOL ok = wf && wt && CreateHardLinkW(wt, wf, NULL);
	DWORD e = GetLastError();
	free(wf);
	free(wt);
	return ok ? 0 : win32_errno(e);
}

/* fn(path in UTF-16), retried while another process holds the file when retry: 0, or -1
 * with errno. */
static int call_w(const char *path, BOOL(WINAPI *fn)(LPCWSTR), bool retry)
{
	wchar_t *w = wide_path(path);
	if (!w)
		return -1; /* not UTF-8: EINVAL */
	BOOL ok;
	int tries = 0;
	do
		ok = fn(w);
	while (!ok && retry && retry_sharing(&tries));
	DWORD e = GetLastError();
	free(w);
	return ok ? 0 : win32_errno(e);
}

int win32_unlink(const char *path)
{
	return call_w(path, DeleteFileW, true);
}

int win32_mkdir(const char *path, int mode)
{
	(void)mode; /* a profile's folders inherit the profile's access list: the user's alone */
	wchar_t *w = wide_path(path);
	BOOL ok = w && CreateDirectoryW(w, NULL);
	DWORD e = GetLastError();
	DWORD attr = w && !ok ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
	free(w);
	if (ok)
		return 0;
	if (attr != INVALID_FILE_ATTRIBUTES) /* "C:" and other roots refuse creation, not EEXIST */
		e = ERROR_ALREADY_EXISTS;
	return win32_errno(e);
}

int win32_rmdir(const char *path)
{
	return call_w(path, RemoveDirectoryW, false);
}

int win32_access(const char *path, int mode)
{
	struct win32_stat st;
	if (win32_stat(path, &st) != 0)
		return -1;
	if ((mode & W_OK) && !(st.st_mode & 0200)) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

int win32_chdir(const char *path)
{
	return call_w(path, SetCurrentDirectoryW, false);
}

char *win32_getcwd(char *buf, size_t size)
{
	wchar_t w[MAX_PATH * 4];
	DWORD n = GetCurrentDirectoryW(sizeof w / sizeof *w, w);
	if (n == 0 || n >= sizeof w / sizeof *w) {
		win32_errno(n ? ERROR_FILENAME_EXCED_RANGE : GetLastError());
		return NULL;
	}
	char *s = forward_slashes(narrow(w));
	if (strlen(s) >= size) {
		free(s);
		errno = ERANGE;
		return NULL;
	}
	memcpy(buf, s, strlen(s) + 1);
	free(s);
	return buf;
}

int win32_fsync(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	return h != INVALID_HANDLE_VALUE && FlushFileBuffers(h) ? 0 : win32_errno(GetLastError());
}

int win32_ftruncate(int fd, long long length)
{
	return _chsize_s(fd, length) == 0 ? 0 : -1;
}

int win32_utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
	(void)dirfd;
	HANDLE h = open_handle(path, FILE_WRITE_ATTRIBUTES, OPEN_EXISTING,
	                       FILE_FLAG_BACKUP_SEMANTICS | (flags & AT_SYMLINK_NOFOLLOW ? FILE_FLAG_OPEN_REPARSE_POINT : 0));
	if (h == INVALID_HANDLE_VALUE)
		return win32_errno(GetLastError());
	FILETIME ft[2];
	for (int i = 0; i < 2; i++) {
		int64_t t = (int64_t)times[i].tv_sec * 10000000 + times[i].tv_nsec / 100 + EPOCH_DIFF;
		ft[i].dwLowDateTime = (DWORD)t;
		ft[i].dwHighDateTime = (DWORD)(t >> 32);
	}
	BOOL ok = SetFileTime(h, NULL, &ft[0], &ft[1]);
	DWORD e = GetLastError();
	CloseHandle(h);
	return ok ? 0 : win32_errno(e);
}

char *win32_realpath(const char *path, char *resolved)
{
	wchar_t *w = wide_path(path);
	wchar_t full[MAX_PATH * 4];
	DWORD n = w ? GetFullPathNameW(w, sizeof full / sizeof *full, full, NULL) : 0;
	DWORD e = GetLastError();
	free(w);
	if (n == 0 || n >= sizeof full / sizeof *full) {
		win32_errno(n ? ERROR_FILENAME_EXCED_RANGE : e);
		return NULL;
	}
	if (GetFileAttributesW(full) == INVALID_FILE_ATTRIBUTES) {
		win32_errno(GetLastError());
		return NULL;
	}
	char *s = forward_slashes(narrow(full));
	if (!resolved)
		return s;
	snprintf(resolved, MAX_PATH, "%s", s);
	free(s);
	return resolved;
}

int win32_mkstemp(char *template_name)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t len = strlen(template_name);
	if (len < 6 || strcmp(template_name + len - 6, "XXXXXX") != 0) {
		errno = EINVAL;
		return -1;
	}
	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned char r[6];
		if (compat_random_bytes(r, sizeof r) != 0)
			return -1;
		for (int i = 0; i < 6; i++)
			template_name[len - 6 + i] = letters[r[i] % (sizeof letters - 1)];
		int fd = win32_open(template_name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Values live until exit, as getenv's do: one entry per name and value seen. */
struct env_value {
	char *name, *value;
	struct env_value *next;
};
static struct env_value *env_values;

char *win32_getenv(const char *name)
{
	wchar_t *wn = wide(name);
	const wchar_t *wv = wn ? _wgetenv(wn) : NULL;
	free(wn);
	if (!wv)
		return NULL;
	char *v = narrow(wv);
	for (struct env_value *e = env_values; e; e = e->next)
		if (!strcmp(e->name, name) && !strcmp(e->value, v)) {
			free(v);
			return e->value;
		}
	struct env_value *e = xcalloc(1, sizeof *e);
	e->name = xstrdup(name);
	e->value = v;
	e->next = env_values;
	env_values = e;
	return v;
}

int win32_fcntl(int fd, int cmd, ...)
{
	if (_get_osfhandle(fd) == -1 || _get_osfhandle(fd) == -2) {
		errno = EBADF;
		return -1;
	}
	return cmd == F_GETFD ? FD_CLOEXEC : 0; /* handles are never inherited unless asked for */
}

/* ---- folders ------------------------------------------------------------------------------ */

struct win32_dir {
	HANDLE find;
	WIN32_FIND_DATAW data;
	bool first;
	char *path;
	struct dirent entry;
};

/* The open folders dirfd() names, for fstatat and unlinkat. */
#define OPEN_DIRS_MAX 16
#define DIRFD_BASE 1000
static DIR *open_dirs[OPEN_DIRS_MAX];

DIR *opendir(const char *path)
{
	char *pattern = xasprintf("%s/*", path);
	wchar_t *w = wide_path(pattern);
	free(pattern);
	if (!w)
		return NULL;
	DIR *d = xcalloc(1, sizeof *d);
	d->find = FindFirstFileExW(w, FindExInfoBasic, &d->data, FindExSearchNameMatch, NULL, 0);
	DWORD e = GetLastError();
	free(w);
	if (d->find == INVALID_HANDLE_VALUE && e != ERROR_FILE_NOT_FOUND) {
		free(d);
		win32_errno(e == ERROR_DIRECTORY ? ERROR_DIRECTORY : e);
		return NULL;
	}
	d->first = true;
	d->path = xstrdup(path);
	for (int i = 0; i < OPEN_DIRS_MAX; i++)
		if (!open_dirs[i]) {
			open_dirs[i] = d;
			break;
		}
	return d;
}

struct dirent *readdir(DIR *d)
{
	if (d->find == INVALID_HANDLE_VALUE)
		return NULL;
	if (!d->first && !FindNextFileW(d->find, &d->data))
		return NULL;
	d->first = false;
	char *name = narrow(d->data.cFileName);
	snprintf(d->entry.d_name, sizeof d->entry.d_name, "%s", name);
	free(name);
	return &d->entry;
}

int closedir(DIR *d)
{
	for (int i = 0; i < OPEN_DIRS_MAX; i++)
		if (open_dirs[i] == d)
			open_dirs[i] = NULL;
	if (d->find != INVALID_HANDLE_VALUE)
		FindClose(d->find);
	free(d->path);
	free(d);
	return 0;
}

int dirfd(DIR *d)
{
	for (int i = 0; i < OPEN_DIRS_MAX; i++)
		if (open_dirs[i] == d)
			return DIRFD_BASE + i;
	errno = EMFILE;
	return -1;
}

/* dir/name for a dirfd() number or AT_FDCWD; NULL (EBADF) for anything else. Caller frees. */
static char *at_path(int dirfd, const char *name)
{
	if (dirfd == AT_FDCWD)
		return xstrdup(name);
	if (dirfd < DIRFD_BASE || dirfd >= DIRFD_BASE + OPEN_DIRS_MAX || !open_dirs[dirfd - DIRFD_BASE]) {
		errno = EBADF;
		return NULL;
	}
	return xasprintf("%s/%s", open_dirs[dirfd - DIRFD_BASE]->path, name);
}

int win32_fstatat(int dirfd, const char *name, struct win32_stat *st, int flags)
{
	char *path = at_path(dirfd, name);
	int rc = path ? stat_path(path, st, !(flags & AT_SYMLINK_NOFOLLOW)) : -1;
	free(path);
	return rc;
}

int win32_unlinkat(int dirfd, const char *name, int flags)
{
	char *path = at_path(dirfd, name);
	int rc = path ? win32_unlink(path) : -1;
	free(path);
	return rc;
}

/* ---- the user and the system ------------------------------------------------------------- */

struct passwd *getpwuid(int uid)
{
	static struct passwd pw;
	(void)uid;
	free(pw.pw_name);
	free(pw.pw_dir);
	const char *name = getenv("USERNAME"), *dir = getenv("USERPROFILE");
	pw.pw_name = xstrdup(name ? name : "");
	pw.pw_dir = forward_slashes(xstrdup(dir ? dir : ""));
	return &pw;
}

int uname(struct utsname *u)
{
	typedef LONG(WINAPI * get_version_fn)(OSVERSIONINFOW *);
	OSVERSIONINFOW v = {.dwOSVersionInfoSize = sizeof v};
	/* RtlGetVersion tells the truth; GetVersionEx answers what the manifest allows */
	get_version_fn get = (get_version_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "RtlGetVersion");
	if (!get || get(&v) != 0)
		v.dwMajorVersion = v.dwMinorVersion = v.dwBuildNumber = 0;
	SYSTEM_INFO si;
	GetNativeSystemInfo(&si);
	snprintf(u->sysname, sizeof u->sysname, "Windows");
	snprintf(u->release, sizeof u->release, "%lu.%lu.%lu", v.dwMajorVersion, v.dwMinorVersion, v.dwBuildNumber);
	snprintf(u->machine, sizeof u->machine, "%s",
	         si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64   ? "x86_64"
	         : si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_ARM64 ? "aarch64"
	         : si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_INTEL ? "i686"
	                                                                     : "unknown");
	return 0;
}

/* ---- uuid/uuid.h: a GUID's first three fields are little-endian in memory --------------- */

static void guid_to_bytes(const UUID *g, uuid_t out)
{
	for (int i = 0; i < 4; i++)
		out[i] = (unsigned char)(g->Data1 >> (24 - 8 * i));
	out[4] = (unsigned char)(g->Data2 >> 8);
	out[5] = (unsigned char)g->Data2;
	out[6] = (unsigned char)(g->Data3 >> 8);
	out[7] = (unsigned char)g->Data3;
	memcpy(out + 8, g->Data4, 8);
}

void uuid_generate_random(uuid_t out)
{
	UUID g;
	UuidCreate(&g); /* version 4, from the system's random generator */
	guid_to_bytes(&g, out);
}

int uuid_parse(const char *in, uuid_t out)
{
	UUID g;
	if (strlen(in) != 36 || UuidFromStringA((RPC_CSTR)in, &g) != RPC_S_OK)
		return -1;
	guid_to_bytes(&g, out);
	return 0;
}

void uuid_unparse_lower(const uuid_t u, char *out)
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
	         u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* ---- compat.h ----------------------------------------------------------------------------- */

void compat_main(int *argc, char ***argv)
{
	int n = 0;
	wchar_t **w = CommandLineToArgvW(GetCommandLineW(), &n);
	_setmode(STDIN_FILENO, O_BINARY);
	_setmode(STDOUT_FILENO, O_BINARY);
	_setmode(STDERR_FILENO, O_BINARY);
	if (!w)
		return;
	char **args = xcalloc((size_t)n + 1, sizeof *args);
	for (int i = 0; i < n; i++)
		args[i] = narrow(w[i]);
	LocalFree(w);
	*argc = n;
	*argv = args; /* lives until exit, as the system's argv */
}

char *compat_self_exe(void)
{
	wchar_t w[MAX_PATH * 4];
	DWORD n = GetModuleFileNameW(NULL, w, sizeof w / sizeof *w);
	if (n == 0 || n >= sizeof w / sizeof *w)
		return NULL;
	return forward_slashes(narrow(w));
}

int compat_random_bytes(void *buf, size_t len)
{
	if (BCryptGenRandom(NULL, buf, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int compat_fsync(int fd)
{
	return win32_fsync(fd);
}

time_t compat_timegm(const struct tm *tm)
{
	struct tm copy = *tm;
	return (time_t)_mkgmtime64(&copy);
}

void compat_wipe(void *p, size_t len)
{
	SecureZeroMemory(p, len);
}

int compat_lock(int fd, int how)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov = {.OffsetHigh = LOCK_OFFSET_HIGH};
	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	if (how & COMPAT_LOCK_UNLOCK)
		return UnlockFileEx(h, 0, 1, 0, &ov) || GetLastError() == ERROR_NOT_LOCKED ? 0 : win32_errno(GetLastError());
	DWORD flags = (how & COMPAT_LOCK_EXCLUSIVE ? LOCKFILE_EXCLUSIVE_LOCK : 0) |
	              (how & COMPAT_LOCK_NOWAIT ? LOCKFILE_FAIL_IMMEDIATELY : 0);
	if (LockFileEx(h, flags, 0, 1, 0, &ov))
		return 0;
	if (GetLastError() == ERROR_LOCK_VIOLATION || GetLastError() == ERROR_IO_PENDING) {
		errno = EWOULDBLOCK;
		return -1;
	}
	return win32_errno(GetLastError());
}

int compat_signal_count(void)
{
	return NSIG;
}

static DWORD WINAPI deadline_thread(void *arg)
{
	Sleep((DWORD)(uintptr_t)arg * 1000);
	TerminateProcess(GetCurrentProcess(), 0);
	return 0;
}

void compat_deadline(unsigned seconds)
{
	HANDLE t = CreateThread(NULL, 0, deadline_thread, (void *)(uintptr_t)seconds, 0, NULL);
	if (t)
		CloseHandle(t);
}

/* No watch on Windows yet: the sender naps and looks, as the portable fallback does. */
int compat_watch_open(const char *dir)
{
	(void)dir;
	return -1;
}

int compat_watch_wait(int watch, int timeout_ms)
{
	(void)watch;
	Sleep((DWORD)timeout_ms);
	return 1;
}

void compat_watch_close(int watch)
{
	(void)watch;
}

void compat_background_priority(void)
{
	SetPriorityClass(GetCurrentProcess(), BELOW_NORMAL_PRIORITY_CLASS);
}

/* ---- starting programs -------------------------------------------------------------------- */

/* Append arg to b quoted as the MSVC runtime (and CommandLineToArgvW) splits it: in quotes
 * when it holds a space, a tab or a quote or is empty; backslashes doubled before a quote
 * and before the closing one. */
static void quote_arg(struct buf *b, const char *arg)
{
	if (*arg && !strpbrk(arg, " \t\n\v\"")) {
		buf_adds(b, arg);
		return;
	}
	buf_addc(b, '"');
	for (const char *p = arg;; p++) {
		size_t slashes = 0;
		while (*p == '\\') {
			p++;
			slashes++;
		}
		if (!*p) {
			for (size_t i = 0; i < slashes * 2; i++)
				buf_addc(b, '\\');
			break;
		}
		if (*p == '"') {
			for (size_t i = 0; i < slashes * 2 + 1; i++)
				buf_addc(b, '\\');
		} else {
			for (size_t i = 0; i < slashes; i++)
				buf_addc(b, '\\');
		}
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

char *compat_command_line(char *const argv[])
{
	struct buf b = {0};
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			buf_addc(&b, ' ');
		quote_arg(&b, argv[i]);
	}
	return buf_detach(&b);
}

static bool env_named(const wchar_t *entry, const char *const names[])
{
	for (size_t i = 0; names && names[i]; i++) {
		wchar_t *w = wide(names[i]);
		size_t n = wcslen(w);
		bool hit = _wcsnicmp(entry, w, n) == 0 && entry[n] == L'=';
		free(w);
		if (hit)
			return true;
	}
	return false;
}

/* Our environment, as a CreateProcessW block: with keep, only the variables it names; else
 * all but those drop names; then add ("NAME=VALUE") if given. Caller frees. */
static wchar_t *env_block(const char *const keep[], const char *const drop[], const char *add)
{
	static const wchar_t end[2] = {L'\0', L'\0'}; /* an empty string ends the block */
	wchar_t *env = GetEnvironmentStringsW();
	struct buf b = {0};
	for (const wchar_t *e = env; *e; e += wcslen(e) + 1)
		if (keep ? env_named(e, keep) || *e == L'=' : !env_named(e, drop))
			buf_add(&b, e, (wcslen(e) + 1) * sizeof *e);
	FreeEnvironmentStringsW(env);
	wchar_t *extra = add ? wide(add) : NULL;
	if (extra)
		buf_add(&b, extra, (wcslen(extra) + 1) * sizeof *extra);
	free(extra);
	buf_add(&b, end, sizeof end);
	return (wchar_t *)(void *)buf_detach(&b);
}

/* si gives the child our stdin, stdout and stderr (made inheritable; our other handles never
 * are), for a child that shares our console. */
static void share_std(STARTUPINFOW *si)
{
	HANDLE *std[] = {&si->hStdInput, &si->hStdOutput, &si->hStdError};
	DWORD which[] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
	si->dwFlags |= STARTF_USESTDHANDLES;
	for (int i = 0; i < 3; i++) {
		*std[i] = GetStdHandle(which[i]);
		if (*std[i] && *std[i] != INVALID_HANDLE_VALUE)
			SetHandleInformation(*std[i], HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
	}
}

/* exe's folder, for a detached process's working folder (it never pins another). */
static wchar_t *folder_of(const wchar_t *exe)
{
	wchar_t *dir = _wcsdup(exe);
	wchar_t *slash = wcsrchr(dir, L'\\');
	if (slash)
		*slash = L'\0';
	return dir;
}

int compat_start(const char *exe, char *const argv[], const char *const keep[], bool detached, int *status)
{
	wchar_t *wexe = wide_path(exe);
	char *line = compat_command_line(argv);
	wchar_t *wline = wide(line);
	free(line);
	if (!wexe || !wline) {
		free(wexe);
		free(wline);
		return -1;
	}
	wchar_t *env = env_block(keep, NULL, NULL), *dir = folder_of(wexe);
	STARTUPINFOW si = {.cb = sizeof si};
	PROCESS_INFORMATION pi;
	DWORD flags = CREATE_UNICODE_ENVIRONMENT;
	if (detached)
		flags |= DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB;
	else
		share_std(&si);
	BOOL ok = CreateProcessW(wexe, wline, NULL, NULL, !detached, flags, env, dir, &si, &pi);
	if (!ok && detached && GetLastError() == ERROR_ACCESS_DENIED) /* a job that forbids breaking away */
		ok = CreateProcessW(wexe, wline, NULL, NULL, FALSE, flags & ~CREATE_BREAKAWAY_FROM_JOB, env, dir, &si, &pi);
	DWORD e = GetLastError();
	free(wexe);
	free(wline);
	free(env);
	free(dir);
	if (!ok)
		return win32_errno(e);
	if (!detached) {
		DWORD code = 0;
		WaitForSingleObject(pi.hProcess, INFINITE);
		GetExitCodeProcess(pi.hProcess, &code);
		*status = (int)code;
	}
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return 0;
}

/* Whether w names a file (not a folder). */
static bool is_file(const wchar_t *w)
{
	DWORD a = GetFileAttributesW(w);
	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/* name in dir, as is if it has an extension, else with each of PATHEXT's in turn. */
static wchar_t *try_folder(const wchar_t *dir, const wchar_t *name, bool has_ext)
{
	wchar_t *pathext = _wgetenv(L"PATHEXT");
	wchar_t *exts = _wcsdup(pathext && *pathext ? pathext : L".COM;.EXE;.BAT;.CMD");
	size_t cap = wcslen(dir) + wcslen(name) + wcslen(exts) + 3;
	wchar_t *path = xcalloc(cap, sizeof *path);
	bool found = false;
	if (has_ext) {
		swprintf(path, cap, L"%ls%ls%ls", dir, *dir ? L"\\" : L"", name);
		found = is_file(path);
	}
	wchar_t *save = NULL;
	for (wchar_t *ext = wcstok_s(exts, L";", &save); ext && !found; ext = wcstok_s(NULL, L";", &save)) {
		swprintf(path, cap, L"%ls%ls%ls%ls", dir, *dir ? L"\\" : L"", name, ext);
		found = is_file(path);
	}
	free(exts);
	if (!found) {
		free(path);
		return NULL;
	}
	return path;
}

/* PROGRAM as cmd finds it: a name with a folder in it as given; else the working folder,
 * then each folder of PATH; a name without an extension with each of PATHEXT's. */
static wchar_t *find_program(const char *program)
{
	wchar_t *name = wide_path(program);
	if (!name)
		return NULL;
	const wchar_t *base = wcsrchr(name, L'\\') ? wcsrchr(name, L'\\') + 1 : name;
	bool has_ext = wcschr(base, L'.') != NULL;
	wchar_t *found = NULL;
	if (base != name || wcschr(name, L':')) {
		found = try_folder(L"", name, has_ext);
	} else {
		found = try_folder(L".", name, has_ext);
		wchar_t *path = _wgetenv(L"PATH");
		wchar_t *dirs = _wcsdup(path ? path : L""), *save = NULL;
		for (wchar_t *d = wcstok_s(dirs, L";", &save); d && !found; d = wcstok_s(NULL, L";", &save))
			if (*d)
				found = try_folder(d, name, has_ext);
		free(dirs);
	}
	free(name);
	return found;
}

/* While PROGRAM runs, Ctrl-C and Ctrl-Break reach it (it shares our console) and must not
 * end us first: handled by doing nothing. A handler, not SetConsoleCtrlHandler(NULL, TRUE),
 * which PROGRAM would inherit. */
static BOOL WINAPI outlive_ctrl(DWORD type)
{
	return type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT;
}

int compat_run_program(char *const argv[], const char *const drop[], const char *add, unsigned long *code)
{
	wchar_t *exe = find_program(argv[0]);
	if (!exe) {
		errno = ENOENT;
		return -1;
	}
	char *line = compat_command_line(argv);
	wchar_t *wline = wide(line);
	free(line);
	wchar_t *env = env_block(NULL, drop, add);
	STARTUPINFOW si = {.cb = sizeof si};
	share_std(&si);
	PROCESS_INFORMATION pi;
	SetConsoleCtrlHandler(outlive_ctrl, TRUE);
	/* .bat and .cmd files: CreateProcessW starts cmd.exe for them itself */
	BOOL ok = wline && CreateProcessW(exe, wline, NULL, NULL, TRUE, CREATE_UNICODE_ENVIRONMENT, env, NULL, &si, &pi);
	DWORD e = GetLastError();
	free(exe);
	free(wline);
	free(env);
	if (!ok) {
		SetConsoleCtrlHandler(outlive_ctrl, FALSE);
		win32_errno(e);
		if (e == ERROR_BAD_EXE_FORMAT || e == ERROR_EXE_MACHINE_TYPE_MISMATCH)
			errno = ENOEXEC;
		return -1;
	}
	DWORD status = 0;
	WaitForSingleObject(pi.hProcess, INFINITE);
	GetExitCodeProcess(pi.hProcess, &status);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	SetConsoleCtrlHandler(outlive_ctrl, FALSE);
	*code = status;
	return 0;
}

const char *compat_paths(void)
{
	return "self-exe=GetModuleFileNameW random=BCryptGenRandom close=not-inherited spawn=CreateProcessW"
	       " sync=FlushFileBuffers timegm=_mkgmtime64 wipe=SecureZeroMemory watch=nap lock=LockFileEx";
}
