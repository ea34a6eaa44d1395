/* main.c — usage-report: record one anonymous usage event for a command-line tool. */
#include "config.h"
#include "capture.h"
#include "cli.h"
#include "compat.h"
#include "conf.h"
#include "exec.h"
#include "status.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* So that nothing we open can land on a closed stdin, stdout or stderr. */
static void ensure_std_fds(void)
{
	int fd;
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
		;
	if (fd > STDERR_FILENO)
		close(fd);
}

/* What was asked for was printed, or the exit status says it was not (--help > /dev/full). */
static int finish_stdout(int rc)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	fprintf(stderr, "usage-report: cannot write the output: %s\n", strerror(errno));
	return rc ? rc : 1;
}

static void trace_config(const struct conf *cfg)
{
	for (char *const *p = cfg->searched; *p; p++)
		trace("config searched: %s", *p);
	trace("app %s, config %s", cfg->app, cfg->path ? cfg->path : "(none found)");
	for (size_t i = 0; i < cfg->n_issues; i++)
		trace("config problem: %s", cfg->issues[i]);
	trace("backend %s%s, state folder %s", backend_name(cfg->backend),
	      cfg->backend_ready ? "" : " (not configured)", cfg->state_dir);
}

/* With the Datadog backend, custom properties sit at the top level of the log: one named
 * like a reserved attribute would overwrite what the intake reads (design.md §5.2). */
static int check_datadog_properties(const struct conf *cfg, const struct event_input *ev)
{
	if (cfg->backend != BACKEND_DATADOG)
		return 0;
	for (size_t i = 0; i < ev->n_props; i++) {
		if (event_datadog_reserved(ev->props[i].key)) {
			char *shown = printable(ev->props[i].key);
			fprintf(stderr, "usage-report: invalid --property '%s': a reserved Datadog attribute\n", shown);
			free(shown);
			return 2;
		}
	}
	return 0;
}

/* The parser's options become what each subcommand needs, and nothing more. */
static int run(struct options *o, const struct conf *cfg)
{
	struct capture_request req = {
		.kind = o->cmd == CMD_LOGIN ? CAPTURE_LOGIN : o->cmd == CMD_LOGOUT ? CAPTURE_LOGOUT : CAPTURE_TRACK,
		.principal = o->principal_id,
		.ev = &o->ev,
		.mode = o->debug ? DELIVER_DEBUG : o->wait ? DELIVER_WAIT : DELIVER_DETACHED,
	};
	struct exec_request exec = {
		.program = o->program, .ev = &o->ev, .record = !o->no_event, .dry_run = o->dry_run, .mode = req.mode,
	};
	switch (o->cmd) {
	case CMD_STATUS:
		return cmd_status(cfg, o->json);
	case CMD_ENABLE:
	case CMD_DISABLE:
		return cmd_enable(cfg, o->cmd == CMD_ENABLE);
	case CMD_FLUSH:
		return cmd_flush(cfg, o->debug);
	case CMD_NOTICE:
		return cmd_notice(cfg);
	case CMD_ADOPT:
		return cmd_adopt(cfg, o->adopt_id);
	case CMD_LEVEL:
		return cmd_level(cfg, o->level_word);
	case CMD_HISTORY:
		return cmd_history(cfg, o->json, o->history_n);
	case CMD_FORGET:
		return capture_forget(cfg, o->forget_disable, req.mode);
	case CMD_EXEC:
		return cmd_exec(cfg, &exec);
	default:
		return o->dry_run ? dry_run(cfg, &req) : capture(cfg, &req);
	}
}

/* With --debug, also which system facilities this build uses (compat.h). */
static void print_version(bool debug)
{
	printf("usage-report %s\n", PACKAGE_VERSION);
	if (debug)
		printf("portability: %s\n", compat_paths());
}

int main(int argc, char **argv)
{
	struct options o;
	struct conf cfg;

	compat_main(&argc, &argv);
	/* Before PROGRAM runs, a failure of our own must never pass for PROGRAM's success. */
	if (cli_wants_exec(argc, argv))
		oom_exit_status = EXEC_SELF_FAILED;
	exec_note_caller(); /* before a descriptor or a disposition of ours changes */
	ensure_std_fds();
#ifndef _WIN32 /* Windows has neither signal: a write fails */
	/* A closed pipe or a file-size limit must fail a write, not kill the caller's command. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
#endif
	int rc = cli_parse(argc, argv, &o);
	if (rc == 0 && o.cmd == CMD_HELP)
		cli_print_help();
	else if (rc == 0 && o.cmd == CMD_VERSION)
		print_version(o.debug);
	if (rc != 0 || o.cmd == CMD_HELP || o.cmd == CMD_VERSION) {
		options_free(&o);
		return finish_stdout(rc);
	}
	trace_on = o.debug;
	conf_load(&cfg, o.app, o.config);
	trace_config(&cfg);
	if (o.cmd == CMD_LOGIN && !o.principal_id && !conf_has_auth(&cfg)) {
		fprintf(stderr, "usage-report: login needs --principal-id, or an [auth] section in the config\n");
		rc = 2;
	} else if ((rc = check_datadog_properties(&cfg, &o.ev)) != 0) {
		; /* reported */
	} else {
		rc = run(&o, &cfg);
	}
	bool exec = o.cmd == CMD_EXEC;
	conf_free(&cfg);
	options_free(&o);
	return exec ? (fflush(stdout), rc) : finish_stdout(rc); /* exec: always PROGRAM's status */
}
