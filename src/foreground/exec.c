/* exec.c — run PROGRAM transparently, then record it (design.md §4.6). */
#include "config.h"
#include "exec.h"
#include "cli.h"
#include "capture.h"
#include "uuid.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _WIN32
#include "compat.h"
#else
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;
#endif

/* The event's facts travel to us in these (cli.h), and the enclosing exec's event in
 * EXEC_PARENT_ENV; PROGRAM must not take them for its own. NULL-ended. */
static const char *const *event_env(void)
{
	static const char *names[CLI_EVENT_VARIABLES_MAX + 2];
	if (!names[0]) {
		size_t n = 0;
		for (const char *const *v = cli_event_variables(); *v; v++)
			names[n++] = *v;
		names[n] = EXEC_PARENT_ENV;
	}
	return names;
}

static void cannot_run(const char *program, int error)
{
	char *shown = printable(program);
	fprintf(stderr, "usage-report: cannot run '%s': %s\n", shown, strerror(error));
	free(shown);
}

#ifndef _WIN32
/* Signals passed on to PROGRAM rather than ending us first, leaving it an orphan. */
static const int forwarded[] = {SIGTERM, SIGHUP};
#define N_FORWARDED (sizeof forwarded / sizeof *forwarded)

static volatile sig_atomic_t program_pid;

/* The caller's, as exec_note_caller() found them. */
static bool std_closed[3];
static sigset_t caller_ignores;

/* The dispositions usage-report changes for itself; every other one PROGRAM inherits as is. */
static const int changed[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ};
#define N_CHANGED (sizeof changed / sizeof *changed)

void exec_note_caller(void)
{
	for (int fd = 0; fd < 3; fd++)
		std_closed[fd] = fcntl(fd, F_GETFD) < 0 && errno == EBADF;
	sigemptyset(&caller_ignores);
	for (size_t i = 0; i < N_CHANGED; i++) {
		struct sigaction sa;
		if (sigaction(changed[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			sigaddset(&caller_ignores, changed[i]);
	}
}

static void forward(int sig)
{
	if (program_pid > 0)
		kill((pid_t)program_pid, sig);
}

static bool is_event_var(const char *entry)
{
	for (const char *const *v = event_env(); *v; v++) {
		size_t n = strlen(*v);
		if (strncmp(entry, *v, n) == 0 && entry[n] == '=')
			return true;
	}
	return false;
}

/* The caller's environment less the event variables, plus USAGE_REPORT_PARENT=APP:UUID
 * (parent, freshly allocated, owned by the caller). The array is the caller's to free. */
static char **program_env(char *parent)
{
	size_t n = 0;
	for (char **e = environ; *e; e++)
		n++;
	char **env = xcalloc(n + 2, sizeof *env);
	size_t k = 0;
	for (char **e = environ; *e; e++)
		if (!is_event_var(*e))
			env[k++] = *e;
	env[k++] = parent;
	env[k] = NULL;
	return env;
}

/* PROGRAM [ARG...] run by the shell, as execvp() runs a file without "#!" that the kernel
 * cannot execute. Caller frees the array (not its strings). */
static char **through_shell(char **program)
{
	size_t n = 0;
	while (program[n])
		n++;
	char **argv = xcalloc(n + 4, sizeof *argv);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = "exec \"$0\" \"$@\""; /* the shell runs a file it cannot exec as a script */
	memcpy(argv + 3, program, n * sizeof *argv);
	return argv;
}

/* Start PROGRAM as system() does, without copying our address space: the dispositions we
 * changed for ourselves back to the caller's (default, or ignored where the caller ignores
 * them: nohup, trap '' HUP), the caller's signal mask, and a stdin, stdout or stderr the
 * caller had closed closed again. Returns its pid, or -1 with *error set. */
static pid_t start_program(char **program, char **env, const sigset_t *mask, int *error)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t actions;
	sigset_t defaults;
	pid_t pid = -1;
	sigemptyset(&defaults);
	for (size_t i = 0; i < N_CHANGED; i++)
		if (!sigismember(&caller_ignores, changed[i]))
			sigaddset(&defaults, changed[i]);
	if ((*error = posix_spawnattr_init(&attr)) != 0)
		return -1;
	if ((*error = posix_spawn_file_actions_init(&actions)) != 0) {
		posix_spawnattr_destroy(&attr);
		return -1;
	}
	for (int fd = 0; fd < 3 && !*error; fd++)
		if (std_closed[fd])
			*error = posix_spawn_file_actions_addclose(&actions, fd);
	if (!*error && (*error = posix_spawnattr_setsigdefault(&attr, &defaults)) == 0 &&
	    (*error = posix_spawnattr_setsigmask(&attr, mask)) == 0 &&
	    (*error = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) == 0) {
		*error = posix_spawnp(&pid, program[0], &actions, &attr, program, env);
		if (*error == ENOEXEC) {
			char **shell = through_shell(program);
			*error = posix_spawn(&pid, "/bin/sh", &actions, &attr, shell, env);
			free(shell);
		}
	}
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	return *error ? -1 : pid;
}

/* PROGRAM's status for exit(), from what waitpid said, or from why it could not start. */
static int program_status(pid_t pid, int wstatus, int spawn_error, int *sig)
{
	*sig = 0;
	if (pid < 0) {
		/* 127 and 126 say PROGRAM could not be found or run; anything else failed on our side */
		if (spawn_error == ENOENT || spawn_error == ENOTDIR)
			return 127;
		if (spawn_error == EAGAIN || spawn_error == ENOMEM)
			return EXEC_SELF_FAILED;
		return 126;
	}
	if (WIFSIGNALED(wstatus)) {
		*sig = WTERMSIG(wstatus);
		return 128 + *sig;
	}
	return WEXITSTATUS(wstatus);
}

/* Die the way PROGRAM died; returns for signals that do not kill. */
static void reraise(int sig)
{
	sigset_t set;
	fflush(NULL);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

/* Run PROGRAM (argv) with USAGE_REPORT_PARENT set to parent; its exit status, and in *sig
 * the signal that ended it (0 if none). */
static int run_program(char **program, char *parent, int *sig)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN}, pass = {.sa_handler = forward};
	sigset_t block, old_mask;
	int spawn_error = 0, wstatus = 0;

	/* A caller that ignores SIGCHLD would make the kernel reap PROGRAM for us, and its status
	 * would be lost: take the default back (PROGRAM inherits that default, as from a shell). */
	signal(SIGCHLD, SIG_DFL);
	/* As system() does: Ctrl-C and Ctrl-\ go to PROGRAM, which shares our process group. */
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGINT, &ignore, NULL);
	sigaction(SIGQUIT, &ignore, NULL);
	/* SIGTERM and SIGHUP are passed on (unless the caller ignores them: then so do we, and
	 * so does PROGRAM); blocked until PROGRAM's pid is known. */
	sigemptyset(&pass.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < N_FORWARDED; i++) {
		if (sigismember(&caller_ignores, forwarded[i]))
			continue;
		sigaction(forwarded[i], &pass, NULL);
		sigaddset(&block, forwarded[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	char **env = program_env(parent);
	pid_t pid = start_program(program, env, &old_mask, &spawn_error);
	program_pid = pid;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (pid > 0)
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
	free(env);
	int code = program_status(pid, wstatus, spawn_error, sig);
	if (pid < 0)
		cannot_run(program[0], spawn_error);
	return code;
}

#else /* Windows: compat_run_program finds PROGRAM, passes Ctrl-C on and waits */

void exec_note_caller(void)
{
}

static void reraise(int sig)
{
	(void)sig;
}

static int run_program(char **program, char *parent, int *sig)
{
	unsigned long code = 0;
	*sig = 0;
	if (compat_run_program(program, event_env(), parent, &code) == 0)
		return (int)code; /* all 32 bits: 0xC000013A is Ctrl-C's */
	int error = errno;
	cannot_run(program[0], error);
	return error == ENOENT ? 127 : error == ENOMEM ? EXEC_SELF_FAILED : 126;
}
#endif

int cmd_exec(const struct conf *cfg, struct exec_request *req)
{
	int sig;
	if (!*req->ev->uuid)
		uuid_v4(req->ev->uuid); /* known before PROGRAM runs, so that its own events can name it */
	char *parent = xasprintf("%s=%s:%s", EXEC_PARENT_ENV, cfg->app, req->ev->uuid);
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int code = run_program(req->program, parent, &sig);
	clock_gettime(CLOCK_MONOTONIC, &end);
	free(parent);
	oom_exit_status = code;
	long long ns = (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
	/* what exec measured wins over any --exit-code/--duration or environment value */
	req->ev->exit_code = code;
	req->ev->has_exit_code = true;
	req->ev->duration_ms = round_half_even_div(ns, 1000000);
	req->ev->has_duration = true;
	struct capture_request run = {.kind = CAPTURE_TRACK, .ev = req->ev, .mode = req->mode};
	if (!req->record)
		trace("the program's name cannot name the event: nothing recorded");
	else if (req->dry_run)
		dry_run(cfg, &run);
	else
		capture(cfg, &run);
	if (sig)
		reraise(sig);
	return code;
}
