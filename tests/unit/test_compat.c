/* test_compat.c — each facility beyond POSIX (src/common/compat.c) does its job, whichever
 * path this build takes: the system's own, or (./configure --enable-portable-fallbacks) the
 * portable fallback. Both builds run this file in .ci/run. */
#include "config.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "util.h"

static const char *argv0;

/* compat_timegm undoes gmtime_r, over 100,000 instants from 1901 to 2200. */
static void timegm_undoes_gmtime(void **state)
{
	(void)state;
	unsigned seed = 12345;
	for (int i = 0; i < 100000; i++) {
		seed = seed * 1103515245u + 12345u;
		time_t t = (time_t)-2145916800 + (time_t)(((long long)seed << 3) % 9467107200LL); /* 1902..2200 */
		struct tm tm;
		assert_non_null(gmtime_r(&t, &tm));
		assert_int_equal((long long)compat_timegm(&tm), (long long)t);
	}
}

static time_t utc(int year, int mon, int mday, int hour, int min, int sec)
{
	struct tm tm = {.tm_year = year - 1900, .tm_mon = mon, .tm_mday = mday, .tm_hour = hour, .tm_min = min, .tm_sec = sec};
	return compat_timegm(&tm);
}

/* Known instants, and out-of-range fields carried over as timegm does. */
static void timegm_known_values_and_carries(void **state)
{
	(void)state;
	assert_int_equal((long long)utc(1970, 0, 1, 0, 0, 0), 0);
	assert_int_equal((long long)utc(2000, 1, 29, 12, 0, 0), 951825600);  /* a leap day */
	assert_int_equal((long long)utc(2026, 11, 1, 23, 59, 59), 1796169599);
	assert_int_equal((long long)utc(1969, 11, 31, 23, 59, 59), -1);
	assert_int_equal((long long)utc(2026, 12, 1, 0, 0, 0), (long long)utc(2027, 0, 1, 0, 0, 0)); /* month 13 */
	assert_int_equal((long long)utc(2026, -1, 1, 0, 0, 0), (long long)utc(2025, 11, 1, 0, 0, 0));
	assert_int_equal((long long)utc(2026, -13, 1, 0, 0, 0), (long long)utc(2024, 11, 1, 0, 0, 0));
	for (int mon = -36; mon < 36; mon++) /* every month of the years around: a floor, not a truncation */
		assert_int_equal((long long)utc(2026, mon, 1, 0, 0, 0),
		                 (long long)utc(2026 + (mon + 36) / 12 - 3, (mon + 36) % 12, 1, 0, 0, 0));
	assert_int_equal((long long)utc(2024, 2, 0, 0, 0, 0), (long long)utc(2024, 1, 29, 0, 0, 0)); /* day 0 */
	assert_int_equal((long long)utc(2026, 0, 1, 0, 0, -1), (long long)utc(2025, 11, 31, 23, 59, 59));
}

static void random_bytes_are_random(void **state)
{
	(void)state;
	unsigned char a[1000] = {0}, b[1000] = {0}; /* more than one getentropy call */
	assert_int_equal(compat_random_bytes(a, sizeof a), 0);
	assert_int_equal(compat_random_bytes(b, sizeof b), 0);
	assert_memory_not_equal(a, b, sizeof a);
	int counts[256] = {0};
	for (size_t i = 0; i < sizeof a; i++)
		counts[a[i]]++;
	for (int v = 0; v < 256; v++)
		assert_true(counts[v] < 30); /* 1000 bytes: about 4 of each value */
	assert_int_equal(compat_random_bytes(a, 0), 0);
}

/* In a child (as between vfork and exec): everything from 5 up is closed, 0-4 stay open. */
static void close_from_closes_every_higher_descriptor(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int high[] = {5, 9, 64, 300, 1000};
		for (size_t i = 0; i < sizeof high / sizeof *high; i++)
			if (dup2(STDERR_FILENO, high[i]) != high[i])
				_exit(10);
		for (int fd = 3; fd <= 4; fd++)
			if (fcntl(fd, F_GETFD) < 0 && dup2(STDERR_FILENO, fd) != fd)
				_exit(11);
		compat_close_from(5);
		for (int fd = 0; fd <= 4; fd++)
			if (fcntl(fd, F_GETFD) < 0)
				_exit(12);
		for (int fd = 5; fd <= 1000; fd++)
			if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
				_exit(13);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* What the kernel says we run, to compare with. */
static char *truth(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Found as the kernel knows it, from an argv[0] that is a path and from one that the shell
 * found on PATH (the fallback walks PATH, skipping entries that do not have it). */
static void self_exe_is_this_program(void **state)
{
	(void)state;
	char *expected = truth();
	compat_set_argv0(argv0);
	char *self = compat_self_exe();
	assert_non_null(self);
	assert_string_equal(self, expected);
	free(self);

	char *copy = xstrdup(expected);
	char *name = xstrdup(basename(copy));
	char *dir = xstrdup(dirname(copy));
	char *old_path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	char *path = xasprintf("/nonexistent::%s:/usr/bin", dir);
	setenv("PATH", path, 1);
	assert_int_equal(chdir("/"), 0); /* the empty entry is "/" now: no test_compat there */
	compat_set_argv0(name);
	self = compat_self_exe();
	assert_non_null(self);
	assert_string_equal(self, expected);
	free(self);
	if (old_path)
		setenv("PATH", old_path, 1);
	compat_set_argv0(argv0);
	free(old_path);
	free(path);
	free(dir);
	free(name);
	free(copy);
	free(expected);
}

/* An argv[0] that names a folder, a file that is not executable, or nothing on PATH finds
 * nothing by the fallback (the caller then uses the configured libexec folder); the system's
 * own way, where this build has one, does not depend on it. */
static void self_exe_is_never_a_wrong_file(void **state)
{
	(void)state;
	char *expected = strstr(compat_paths(), "self-exe=argv0+PATH") ? NULL : truth();
	char dir[] = "/tmp/usage-report-argv0-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *plain = xasprintf("%s/plain", dir);
	FILE *f = fopen(plain, "w");
	assert_non_null(f);
	fclose(f);
	char *old_path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	setenv("PATH", dir, 1);
	const char *bad[] = {dir, plain, "plain", "no-such-program", ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		compat_set_argv0(bad[i]);
		char *self = compat_self_exe();
		if (expected)
			assert_string_equal(self, expected);
		else
			assert_null(self);
		free(self);
	}
	if (old_path)
		setenv("PATH", old_path, 1);
	compat_set_argv0(argv0);
	unlink(plain);
	rmdir(dir);
	free(old_path);
	free(plain);
	free(expected);
}

/* flock semantics: the lock is the open file description's, kept by a forked child. */
static void locks_exclude_and_follow_the_descriptor(void **state)
{
	(void)state;
	char path[] = "/tmp/usage-report-lock-XXXXXX";
	int a = mkstemp(path);
	assert_true(a >= 0);
	int b = open(path, O_RDWR);
	assert_true(b >= 0);
	assert_int_equal(compat_lock(a, COMPAT_LOCK_EXCLUSIVE | COMPAT_LOCK_NOWAIT), 0);
	assert_int_equal(compat_lock(b, COMPAT_LOCK_SHARED | COMPAT_LOCK_NOWAIT), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) { /* closing the child's copy of a lets nothing go: the parent's copy holds it */
		close(a);
		_exit(compat_lock(b, COMPAT_LOCK_EXCLUSIVE | COMPAT_LOCK_NOWAIT) == -1 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(compat_lock(a, COMPAT_LOCK_UNLOCK), 0);
	assert_int_equal(compat_lock(b, COMPAT_LOCK_EXCLUSIVE | COMPAT_LOCK_NOWAIT), 0);
	close(a);
	close(b);
	unlink(path);
}

static void the_rest(void **state)
{
	(void)state;
	char secret[] = "phc_secret_value";
	compat_wipe(secret, sizeof secret);
	for (size_t i = 0; i < sizeof secret; i++)
		assert_int_equal(secret[i], 0);
	assert_true(compat_signal_count() > SIGTERM);
	char path[] = "/tmp/usage-report-sync-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(compat_fsync(fd), 0);
	close(fd);
	unlink(path);
}

/* A watch wakes for a new name at once and times out without one; the fallback (no watch)
 * naps the timeout and says "look again". */
static void watch_wakes_for_a_new_name(void **state)
{
	(void)state;
	char dir[] = "/tmp/usage-report-watch-XXXXXX";
	assert_non_null(mkdtemp(dir));
	int w = compat_watch_open(dir);
	bool inotify = strstr(compat_paths(), "watch=inotify") != NULL;
	assert_true(inotify ? w >= 0 : w == -1);
	int64_t t0 = mono_ms();
	assert_int_equal(compat_watch_wait(w, 50), inotify ? 0 : 1);
	assert_true(mono_ms() - t0 >= 45);
	char *name = path_join(dir, "new.json");
	int fd = open(name, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(compat_watch_wait(w, inotify ? 60000 : 1), 1); /* at once: not after a minute */
	if (inotify)
		assert_int_equal(compat_watch_wait(w, 0), 0); /* what it saw was taken */
	compat_watch_close(w);
	unlink(name);
	free(name);
	rmdir(dir);
	assert_int_equal(compat_watch_open("/nonexistent/folder"), -1);
}

int main(int argc, char **argv)
{
	(void)argc;
	argv0 = argv[0];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timegm_undoes_gmtime),
		cmocka_unit_test(timegm_known_values_and_carries),
		cmocka_unit_test(random_bytes_are_random),
		cmocka_unit_test(close_from_closes_every_higher_descriptor),
		cmocka_unit_test(self_exe_is_this_program),
		cmocka_unit_test(self_exe_is_never_a_wrong_file),
		cmocka_unit_test(locks_exclude_and_follow_the_descriptor),
		cmocka_unit_test(watch_wakes_for_a_new_name),
		cmocka_unit_test(the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
