/* spawn.c — starting the sender helper, detached or in the foreground (design.md §4.5). */
#include "config.h"
#include "spawn.h"
#include "compat.h"
#include "backoff.h"
#include "fsutil.h"
#include "sender-proto.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/wait.h>
#endif

#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR "/usr/local/libexec/usage-report"
#endif

/* Only these reach the sender: what it needs to find its files and the network. Event
 * facts passed in USAGE_REPORT_* variables never do. */
static const char *const kept_env[] = SENDER_ENV_ALLOWLIST;

#ifdef _WIN32
/* compat_start builds the sender's environment from kept_env itself. */
static char **sender_env(void)
{
	return NULL;
}
#else
extern char **environ;

/* At most one entry per allowed name (the first, as getenv() finds it: an environment may
 * hold a name twice), so the array is bounded by the allowlist, whatever the caller passed. */
static char **sender_env(void)
{
	size_t n = 0;
	char **env = xcalloc(sizeof kept_env / sizeof *kept_env + 1, sizeof *env);
	for (const char *const *k = kept_env; *k; k++) {
		size_t kl = strlen(*k);
		for (char **e = environ; *e; e++)
			if (strncmp(*e, *k, kl) == 0 && (*e)[kl] == '=') {
				env[n++] = *e;
				break;
			}
	}
	env[n] = NULL;
	return env;
}
#endif

/* Beside this executable (build tree), then ../libexec/usage-report (a relocated install),
 * then the configured libexec folder. */
static char *find_sender(void)
{
	char *self = compat_self_exe();
	if (self) {
		char *dir = dirname(self);
		char *candidates[] = {
			xasprintf("%s/%s", dir, SENDER_FILE),
			xasprintf("%s/../libexec/usage-report/%s", dir, SENDER_FILE),
		};
		free(self);
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
	return xstrdup(PKGLIBEXECDIR "/" SENDER_FILE);
}

#ifndef _WIN32
struct detached {
	char *sender;
	char **argv, **env;
	int lock_fd;
	sigset_t none;
};

/* In the child: stdio on /dev/null, the locked descriptor as SENDER_LOCK_FD and no other, a
 * session of its own, cwd "/", an empty signal mask (the sender resets dispositions itself).
 * It shares the caller's memory until execve (vfork): system calls only. Never returns. */
static void exec_detached(void *arg)
{
	struct detached *d = arg;
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || setsid() < 0 || chdir("/") != 0)
		_exit(126);
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	if (d->lock_fd != SENDER_LOCK_FD)
		dup2(d->lock_fd, SENDER_LOCK_FD); /* dup2 clears close-on-exec on the copy */
	else
		fcntl(d->lock_fd, F_SETFD, 0);
	compat_close_from(SENDER_LOCK_FD + 1);
	sigprocmask(SIG_SETMASK, &d->none, NULL);
	execve(d->sender, d->argv, d->env);
	_exit(127);
}

/* One child, which execs the sender: no intermediate process is left for the caller, a
 * subreaper or PID 1 to reap but the sender itself, and when the caller returns the child
 * has already left the caller's session (a hangup of the caller's terminal cannot reach it)
 * and let go of its stdout and stderr, so "$(usage-report ...)" never waits for a child the
 * scheduler has not run yet. The caller waits only for that (compat_spawn), which costs less
 * than copying its address space (make bench). */
static int spawn_detached(char *sender, char **argv, char **env, int lock_fd)
{
	struct detached d = {.sender = sender, .argv = argv, .env = env, .lock_fd = lock_fd};
	sigset_t all, old;
	sigfillset(&all);
	sigemptyset(&d.none);
	sigprocmask(SIG_BLOCK, &all, &old); /* no handler of the caller's runs in the child */
	pid_t pid = compat_spawn(exec_detached, &d);
	int saved_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved_errno;
	return pid > 0 ? 0 : -1;
}

#else
/* A Windows lock belongs to its process: the sender takes the lock again itself, and a
 * sender that finds it taken leaves the events to the one holding it (design.md §9.1). */
static int spawn_detached(char *sender, char **argv, char **env, int lock_fd)
{
	(void)env;
	compat_lock(lock_fd, COMPAT_LOCK_UNLOCK);
	return compat_start(sender, argv, kept_env, true, NULL);
}
#endif

static char **sender_argv(char *sender, const struct conf *cfg, const char *mode, bool debug, bool ignore_backoff)
{
	char **argv = xcalloc(12, sizeof *argv);
	size_t n = 0;
	argv[n++] = sender;
	argv[n++] = (char *)SENDER_ARG_APP;
	argv[n++] = cfg->app;
	argv[n++] = (char *)SENDER_ARG_CONFIG;
	argv[n++] = cfg->path;
	argv[n++] = (char *)mode;
	if (debug)
		argv[n++] = (char *)SENDER_ARG_DEBUG;
	if (ignore_backoff)
		argv[n++] = (char *)SENDER_ARG_IGNORE_BACKOFF;
	argv[n++] = (char *)SENDER_ARG_PROTO;
	argv[n++] = (char *)SENDER_PROTO_TEXT;
	argv[n] = NULL;
	return argv;
}

int spawn_sender_detached(const struct conf *cfg)
{
	if (backoff_active(cfg->state_dir)) {
		trace("intake in backoff: not starting a sender");
		return 0;
	}
	char *lock_path = path_join(cfg->state_dir, SENDER_LOCK_FILE);
	int lock = fs_lock(lock_path, COMPAT_LOCK_EXCLUSIVE | COMPAT_LOCK_NOWAIT);
	free(lock_path);
	if (lock < 0) {
		if (errno == EWOULDBLOCK) {
			trace("a sender is running: it will pick this event up");
			return 0;
		}
		return -1;
	}
	char *sender = find_sender();
	char **argv = sender_argv(sender, cfg, SENDER_ARG_DETACHED, false, false);
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

int spawn_sender_wait(const struct conf *cfg, bool debug, bool ignore_backoff)
{
	char *sender = find_sender();
	char **argv = sender_argv(sender, cfg, SENDER_ARG_FOREGROUND, debug, ignore_backoff);
	trace("running %s in the foreground", sender);
#ifdef _WIN32
	int status = -1;
	int rc = compat_start(sender, argv, kept_env, false, &status);
	free(argv);
	free(sender);
	return rc == 0 ? status : -1;
#else
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		compat_close_from(STDERR_FILENO + 1);
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
#endif
}
