/* exec.c — run PROGRAM transparently, then record it (SPEC §4.6). */
#include "config.h"
#include "exec.h"
#include "capture.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Start PROGRAM as system() does: without copying our address space, with SIGINT, SIGQUIT,
 * SIGPIPE and SIGXFSZ back to their defaults (ignored dispositions would survive exec).
 * Returns its pid, or -1 with *error set when it could not be started. */
static pid_t start_program(char **program, int *error)
{
	extern char **environ;
	posix_spawnattr_t attr;
	sigset_t defaults;
	pid_t pid = -1;
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGQUIT);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGXFSZ);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	*error = posix_spawnp(&pid, program[0], NULL, &attr, program, environ);
	posix_spawnattr_destroy(&attr);
	return *error ? -1 : pid;
}

int cmd_exec(struct options *o, const struct conf *cfg)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_int, old_quit;
	int spawn_error = 0, status = 0;

	/* As system() does: Ctrl-C and Ctrl-\ go to PROGRAM, which shares our process group. */
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = start_program(o->program, &spawn_error);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* whole milliseconds, half to even, like --duration */
	long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	long long elapsed = ns / 1000000, rest = ns % 1000000;
	if (rest > 500000 || (rest == 500000 && elapsed % 2 == 1))
		elapsed++;

	int code, sig = 0;
	if (pid < 0) {
		char *shown = printable(o->program[0]);
		fprintf(stderr, "usage-report: cannot run '%s': %s\n", shown, strerror(spawn_error));
		free(shown);
		code = spawn_error == ENOENT ? 127 : 126;
	} else if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		code = 128 + sig;
	} else {
		code = WEXITSTATUS(status);
	}
	oom_exit_status = code;
	cli_set_exec_result(o, code, elapsed);
	if (o->dry_run)
		dry_run(o, cfg);
	else
		capture(o, cfg);

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (sig) {
		fflush(NULL);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig); /* die the way PROGRAM died; falls through for signals that do not kill */
	}
	return code;
}
