/* exec.c — run PROGRAM transparently, then record it (SPEC §4.6). */
#include "config.h"
#include "exec.h"
#include "capture.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Fork and exec PROGRAM; a close-on-exec pipe carries errno back when exec fails. */
static pid_t start_program(char **program, int *exec_errno)
{
	int pipefd[2];
	*exec_errno = 0;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL); /* ignored dispositions survive exec: give PROGRAM the defaults */
		signal(SIGXFSZ, SIG_DFL);
		execvp(program[0], program);
		int e = errno;
		ssize_t unused = write(pipefd[1], &e, sizeof e);
		(void)unused;
		_exit(e == ENOENT ? 127 : 126);
	}
	close(pipefd[1]);
	if (pid > 0) {
		int e;
		ssize_t n;
		while ((n = read(pipefd[0], &e, sizeof e)) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof e)
			*exec_errno = e;
	}
	close(pipefd[0]);
	return pid;
}

int cmd_exec(struct options *o, const struct conf *cfg)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_int, old_quit;
	int exec_errno = 0, status = 0;

	/* As system() does: Ctrl-C and Ctrl-\ go to PROGRAM, which shares our process group. */
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = start_program(o->program, &exec_errno);
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
	if (pid < 0 || exec_errno) {
		int e = pid < 0 ? errno : exec_errno;
		char *shown = printable(o->program[0]);
		fprintf(stderr, "usage-report: cannot run '%s': %s\n", shown, strerror(e));
		free(shown);
		code = e == ENOENT ? 127 : 126;
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
