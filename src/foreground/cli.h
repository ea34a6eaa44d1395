/* cli.h — the command line (design.md §1): subcommands, options, environment fallbacks and
 * their validation. Invalid invocations are reported in one line and exit 2. */
#ifndef USAGE_REPORT_CLI_H
#define USAGE_REPORT_CLI_H

#include <stdbool.h>

#include "event.h"

enum command {
	CMD_TRACK, CMD_LOGIN, CMD_LOGOUT, CMD_EXEC, CMD_STATUS, CMD_ENABLE, CMD_DISABLE,
	CMD_FLUSH, CMD_NOTICE, CMD_ADOPT, CMD_LEVEL, CMD_HISTORY, CMD_FORGET, CMD_HELP, CMD_VERSION,
};

struct options {
	enum command cmd;
	const char *app;    /* validated; default "usage-report" */
	const char *config; /* NULL: search */
	bool dry_run, debug, wait, json;
	const char *principal_id; /* login */
	char *principal_owned;    /* login: principal_id when read from --json - */
	const char *adopt_id;     /* adopt: a UUID */
	const char *level_word;   /* level: "all" or "errors" (validated) */
	long history_n;           /* history -n: how many requests to show (0: the default) */
	bool forget_disable;      /* forget --disable */
	struct event_input ev;    /* track, login, logout, exec */
	char **program;           /* exec: PROGRAM [ARG...], NULL-terminated (points into argv) */
	bool no_event;            /* exec: nothing valid names the event; PROGRAM still runs */
};

/* Whether argv asks for exec (an "exec" argument and a later "--"), decided before any
 * allocation, so that running out of memory while parsing exits 125 there (design.md §1). */
bool cli_wants_exec(int argc, char **argv);

/* The environment variables that carry an event's facts (USAGE_REPORT_COMMAND, ...), in the
 * event options' order, NULL-ended: the one list (the Python and Node helpers keep a copy,
 * which tests/languages.bats compares with it). At most CLI_EVENT_VARIABLES_MAX. */
#define CLI_EVENT_VARIABLES_MAX 16
const char *const *cli_event_variables(void);

/* Parse argv into o. Returns 0 on success, or 2 after printing one line to stderr. */
int cli_parse(int argc, char **argv, struct options *o);

void cli_print_help(void);

void options_free(struct options *o);

#endif
