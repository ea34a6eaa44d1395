/* compat.c — facilities beyond POSIX.1-2008, each with its portable fallback (compat.h). */

/* This file alone is compiled with each system's extensions visible: */
#undef _POSIX_C_SOURCE
#define _GNU_SOURCE      /* glibc: close_range, closefrom, getentropy, timegm, explicit_bzero, vfork */
#define _DARWIN_C_SOURCE /* macOS: _NSGetExecutablePath, F_FULLFSYNC, flock, NSIG */

#include "config.h"
#include "compat.h"
#include "buf.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h> /* getrandom; getentropy on macOS */
#endif
#ifdef HAVE__NSGETEXECUTABLEPATH
#include <mach-o/dyld.h>
#endif
#if HAVE_DECL_SYS_CLOSE_RANGE
#include <sys/syscall.h>
#endif
#ifdef HAVE_INOTIFY_INIT1
#include <poll.h>
#include <sys/inotify.h>
#endif

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
/* getentropy's limit per call (POSIX.1-2024, OpenBSD, glibc, macOS). */
#define ENTROPY_CHUNK 256
/* With neither close_range nor closefrom, descriptors are closed one by one up to the soft
 * limit, but no further than this: a vfork child's loop stalls its parent meanwhile. */
#define CLOSE_LOOP_MAX 65536

static const char *saved_argv0;

void compat_set_argv0(const char *argv0)
{
	saved_argv0 = argv0;
}

void compat_main(int *argc, char ***argv)
{
	(void)argc;
	compat_set_argv0((*argv)[0]);
}

void compat_deadline(unsigned seconds)
{
	alarm(seconds);
}

int compat_watch_open(const char *dir)
{
#ifdef HAVE_INOTIFY_INIT1
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd >= 0 && inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
#else
	(void)dir;
	return -1;
#endif
}

int compat_watch_wait(int watch, int timeout_ms)
{
#ifdef HAVE_INOTIFY_INIT1
	if (watch >= 0) {
		struct pollfd p = {.fd = watch, .events = POLLIN};
		int ready = poll(&p, 1, timeout_ms);
		char drain[4096];
		while (ready > 0 && read(watch, drain, sizeof drain) > 0)
			;
		return ready != 0; /* an error (EINTR) too: look again */
	}
#endif
	(void)watch;
	struct timespec pause = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
	nanosleep(&pause, NULL);
	return 1;
}

void compat_watch_close(int watch)
{
	if (watch >= 0)
		close(watch);
}

void compat_background_priority(void)
{
	(void)setpriority(PRIO_PROCESS, 0, 10);
}

static char *self_from_system(void)
{
#if defined(HAVE_PROC_SELF_EXE)
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		return xstrdup(buf);
	}
#elif defined(HAVE__NSGETEXECUTABLEPATH)
	char buf[PATH_MAX];
	uint32_t size = sizeof buf;
	if (_NSGetExecutablePath(buf, &size) == 0)
		return realpath(buf, NULL);
#endif
	return NULL;
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* argv[0] as a shell found it: a path when it has a slash, else the first match on PATH
 * (an empty entry is the current folder, as for execvp). */
static char *self_from_argv0(void)
{
	if (!saved_argv0 || !*saved_argv0)
		return NULL;
	if (strchr(saved_argv0, '/'))
		return is_executable_file(saved_argv0) ? realpath(saved_argv0, NULL) : NULL;
	const char *path = getenv("PATH");
	for (const char *dir = path; dir && *dir;) {
		size_t len = strcspn(dir, ":");
		char *candidate = len ? xasprintf("%.*s/%s", (int)len, dir, saved_argv0) : xstrdup(saved_argv0);
		char *found = is_executable_file(candidate) ? realpath(candidate, NULL) : NULL;
		free(candidate);
		if (found)
			return found;
		dir += len + (dir[len] == ':');
	}
	return NULL;
}

char *compat_self_exe(void)
{
	char *self = self_from_system();
	return self ? self : self_from_argv0();
}

static int read_urandom(void *buf, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n <= 0 && !(n < 0 && errno == EINTR)) {
			int saved = errno;
			close(fd);
			errno = n == 0 ? EIO : saved;
			return -1;
		}
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	close(fd);
	return 0;
}

int compat_random_bytes(void *buf, size_t len)
{
#ifdef HAVE_GETENTROPY
	size_t done = 0;
	while (done < len) {
		size_t n = len - done < ENTROPY_CHUNK ? len - done : ENTROPY_CHUNK;
		if (getentropy((char *)buf + done, n) != 0)
			break;
		done += n;
	}
	if (done == len)
		return 0;
#endif
#ifdef HAVE_GETRANDOM
	if (getrandom(buf, len, 0) == (ssize_t)len) /* up to 256 bytes never come back short */
		return 0;
#endif
	return read_urandom(buf, len);
}

void compat_close_from(int lowest)
{
#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned)lowest, ~0U, 0) == 0)
		return;
#elif HAVE_DECL_SYS_CLOSE_RANGE
	if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0U) == 0)
		return; /* a kernel older than 5.9 says ENOSYS: the loop below */
#endif
#ifdef HAVE_CLOSEFROM
	closefrom(lowest);
	return;
#endif
	struct rlimit rl;
	rlim_t max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
	if (max == RLIM_INFINITY || max > CLOSE_LOOP_MAX)
		max = CLOSE_LOOP_MAX;
	for (int fd = lowest; fd < (int)max; fd++)
		close(fd);
}

pid_t compat_spawn(void (*child)(void *), void *arg)
{
#ifdef HAVE_VFORK
	pid_t pid = vfork(); /* the caller is suspended until the child execs or exits */
	if (pid == 0)
		child(arg);
	return pid;
#else
	int done[2];
	if (pipe(done) != 0)
		return -1;
	fcntl(done[0], F_SETFD, FD_CLOEXEC);
	fcntl(done[1], F_SETFD, FD_CLOEXEC);
	pid_t pid = fork();
	if (pid == 0) {
		close(done[0]);
		child(arg); /* done[1] closes at exec, or when the child closes descriptors */
	}
	int saved = errno;
	close(done[1]);
	char c;
	while (pid > 0 && read(done[0], &c, 1) < 0 && errno == EINTR)
		;
	close(done[0]);
	errno = saved;
	return pid;
#endif
}

int compat_fsync(int fd)
{
#if HAVE_DECL_F_FULLFSYNC
	if (fcntl(fd, F_FULLFSYNC) == 0)
		return 0; /* else a file system without it: fsync is the most there is */
#endif
	return fsync(fd);
}

#ifndef HAVE_TIMEGM
/* Days from 1970-01-01 to the given proleptic Gregorian date (month 1-12, any day count):
 * H. Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, int m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
#endif

time_t compat_timegm(const struct tm *tm)
{
#ifdef HAVE_TIMEGM
	struct tm copy = *tm;
	return timegm(&copy);
#else
	/* out-of-range fields carry over, as timegm's do */
	int64_t years = tm->tm_mon / 12 - (tm->tm_mon % 12 < 0); /* floor division */
	int month = tm->tm_mon - (int)(years * 12) + 1;
	int64_t secs = days_from_civil((int64_t)tm->tm_year + 1900 + years, month, tm->tm_mday) * 86400 +
	               (int64_t)tm->tm_hour * 3600 + (int64_t)tm->tm_min * 60 + tm->tm_sec;
	if ((int64_t)(time_t)secs != secs) {
		errno = EOVERFLOW;
		return (time_t)-1;
	}
	return (time_t)secs;
#endif
}

void compat_wipe(void *p, size_t len)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, len);
#else
	/* a call through a volatile pointer: the compiler cannot know it is memset, or drop it */
	static void *(*const volatile wipe)(void *, int, size_t) = memset;
	wipe(p, 0, len);
#endif
}

int compat_lock(int fd, int how)
{
	int op = how & COMPAT_LOCK_UNLOCK ? LOCK_UN : how & COMPAT_LOCK_SHARED ? LOCK_SH : LOCK_EX;
	return flock(fd, op | (how & COMPAT_LOCK_NOWAIT ? LOCK_NB : 0));
}

int compat_signal_count(void)
{
#ifdef NSIG
	return NSIG;
#else
	return 65; /* Linux's 64 signals and the unused 0 */
#endif
}

#if defined(HAVE_PROC_SELF_EXE)
#define PATH_SELF "/proc/self/exe"
#elif defined(HAVE__NSGETEXECUTABLEPATH)
#define PATH_SELF "_NSGetExecutablePath"
#else
#define PATH_SELF "argv0+PATH"
#endif
#if defined(HAVE_GETENTROPY)
#define PATH_RANDOM "getentropy"
#elif defined(HAVE_GETRANDOM)
#define PATH_RANDOM "getrandom"
#else
#define PATH_RANDOM "/dev/urandom"
#endif
#if defined(HAVE_CLOSE_RANGE)
#define PATH_CLOSE "close_range"
#elif HAVE_DECL_SYS_CLOSE_RANGE
#define PATH_CLOSE "close_range-syscall"
#elif defined(HAVE_CLOSEFROM)
#define PATH_CLOSE "closefrom"
#else
#define PATH_CLOSE "loop"
#endif
#ifdef HAVE_VFORK
#define PATH_SPAWN "vfork+setsid"
#else
#define PATH_SPAWN "fork+setsid"
#endif
#if HAVE_DECL_F_FULLFSYNC
#define PATH_SYNC "F_FULLFSYNC"
#else
#define PATH_SYNC "fsync"
#endif
#ifdef HAVE_TIMEGM
#define PATH_TIMEGM "timegm"
#else
#define PATH_TIMEGM "civil"
#endif
#ifdef HAVE_EXPLICIT_BZERO
#define PATH_WIPE "explicit_bzero"
#else
#define PATH_WIPE "volatile-memset"
#endif
#ifdef HAVE_INOTIFY_INIT1
#define PATH_WATCH "inotify"
#else
#define PATH_WATCH "nap"
#endif

const char *compat_paths(void)
{
	return "self-exe=" PATH_SELF " random=" PATH_RANDOM " close=" PATH_CLOSE " spawn=" PATH_SPAWN
	       " sync=" PATH_SYNC " timegm=" PATH_TIMEGM " wipe=" PATH_WIPE " watch=" PATH_WATCH " lock=flock";
}
