/* spawn.c — starting the sender helper, detached or in the foreground (SPEC §4.5). */
#include "config.h"
#include "spawn.h"
#include "delivery.h"
#include "fsutil.h"
#include "paths.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCHDIR_NP) && defined(HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP) && \
	defined(POSIX_SPAWN_SETSID)
#define SPAWN_SETSID_DIRECT 1
#endif

#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR "/usr/local/libexec/usage-report"
#endif

extern char **environ;

/* Only these reach the sender: what it needs to find its files and the network. Event
 * facts passed in USAGE_REPORT_* variables never do. */
static const char *const kept_env[] = {
	"HOME", "PATH", "TZ", "LANG", "LC_ALL", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
	"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
	"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL,
};

static char **sender_env(void)
{
	size_t n = 0;
	char **env = xcalloc(sizeof kept_env / sizeof *kept_env + 1, sizeof *env);
	for (char **e = environ; *e; e++)
		for (const char *const *k = kept_env; *k; k++) {
			size_t kl = strlen(*k);
			if (strncmp(*e, *k, kl) == 0 && (*e)[kl] == '=')
				env[n++] = *e;
		}
	env[n] = NULL;
	return env;
}

/* Beside this executable (build tree), then ../libexec/usage-report (a relocated install),
 * then the configured libexec folder. */
static char *find_sender(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *dir = dirname(self);
		char *candidates[] = {
			xasprintf("%s/%s", dir, SENDER_NAME),
			xasprintf("%s/../libexec/usage-report/%s", dir, SENDER_NAME),
		};
		char *found = NULL;
		for (size_t i = 0; i < 2; i++) {
			if (!found && access(candidates[i], X_OK) == 0)
				found = candidates[i];
			else
				free(candidates[i]);
		}
		if (found)
			return found;
	}
	return xstrdup(PKGLIBEXECDIR "/" SENDER_NAME);
}

static void close_from(int lowest)
{
#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned)lowest, ~0U, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	for (int fd = lowest; fd < (max > 0 ? max : 1024); fd++)
		close(fd);
}

#ifdef SPAWN_SETSID_DIRECT
/* The sender as our own child in a session of its own, with no intermediate process to
 * reap: stdio on /dev/null, the locked descriptor as 3 and nothing else, cwd "/", default
 * signals and an empty mask. posix_spawn returns once it has exec'd. */
static int spawn_detached(char *sender, char **argv, char **env, int lock_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	pid_t pid;
	int rc, high = fcntl(lock_fd, F_DUPFD_CLOEXEC, SENDER_LOCK_FD + 1); /* so dup2 to 3 clears CLOEXEC */
	if (high < 0)
		return -1;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDWR, 0);
	rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, STDIN_FILENO, STDOUT_FILENO);
	rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, STDIN_FILENO, STDERR_FILENO);
	rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, high, SENDER_LOCK_FD);
	rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(&fa, SENDER_LOCK_FD + 1);
	rc = rc ? rc : posix_spawn_file_actions_addchdir_np(&fa, "/");
	rc = rc ? rc : posix_spawnattr_setsigdefault(&attr, &all);
	rc = rc ? rc : posix_spawnattr_setsigmask(&attr, &none);
	rc = rc ? rc : posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = rc ? rc : posix_spawn(&pid, sender, &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(high);
	errno = rc;
	return rc ? -1 : 0;
}
#else
/* In the grandchild: a clean process that owns nothing of the caller's. Never returns. */
static void exec_detached(char *sender, char **argv, char **env, int lock_fd)
{
	sigset_t none;
	if (chdir("/") != 0)
		_exit(126);
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		_exit(126);
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	if (lock_fd != SENDER_LOCK_FD)
		dup2(lock_fd, SENDER_LOCK_FD); /* dup2 clears close-on-exec on the copy */
	else
		fcntl(lock_fd, F_SETFD, 0);
	close_from(SENDER_LOCK_FD + 1);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(sender, argv, env);
	_exit(127);
}

/* fork, setsid, fork again: the sender's parent exits at once and is reaped here, so no
 * process is left for the caller, a subreaper or PID 1 to reap but the sender itself. */
static int spawn_detached(char *sender, char **argv, char **env, int lock_fd)
{
	sigset_t all, old;
	int status;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		exec_detached(sender, argv, env, lock_fd);
	}
	int saved_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	errno = saved_errno;
	return pid > 0 ? 0 : -1;
}
#endif

static char **sender_argv(char *sender, const struct conf *cfg, const char *mode, bool debug, bool ignore_backoff)
{
	char **argv = xcalloc(10, sizeof *argv);
	size_t n = 0;
	argv[n++] = sender;
	argv[n++] = (char *)"--app";
	argv[n++] = cfg->app;
	argv[n++] = (char *)"--config";
	argv[n++] = cfg->path;
	argv[n++] = (char *)mode;
	if (debug)
		argv[n++] = (char *)"--debug";
	if (ignore_backoff)
		argv[n++] = (char *)"--ignore-backoff";
	argv[n] = NULL;
	return argv;
}

int sender_start_detached(const struct conf *cfg)
{
	if (delivery_in_backoff(cfg->state_dir)) {
		trace("intake in backoff: not starting a sender");
		return 0;
	}
	char *lock_path = path_join(cfg->state_dir, SENDER_LOCK_FILE);
	int lock = fs_lock(lock_path, LOCK_EX | LOCK_NB);
	free(lock_path);
	if (lock < 0) {
		if (errno == EWOULDBLOCK) {
			trace("a sender is running: it will pick this event up");
			return 0;
		}
		return -1;
	}
	char *sender = find_sender();
	char **argv = sender_argv(sender, cfg, "--detached", false, false);
	char **env = sender_env();
	int rc = spawn_detached(sender, argv, env, lock);
	int saved_errno = errno;
	close(lock); /* the sender keeps its own copy of the locked descriptor */
	free(env);
	free(argv);
	free(sender);
	errno = saved_errno;
	return rc;
}

int sender_run(const struct conf *cfg, bool debug, bool ignore_backoff)
{
	char *sender = find_sender();
	char **argv = sender_argv(sender, cfg, "--foreground", debug, ignore_backoff);
	trace("running %s in the foreground", sender);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		close_from(STDERR_FILENO + 1);
		execve(sender, argv, sender_env());
		_exit(127);
	}
	int status = -1;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	free(argv);
	free(sender);
	if (pid < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
