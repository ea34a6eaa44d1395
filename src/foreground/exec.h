/* exec.h — `usage-report exec -- PROGRAM [ARG...]`: run PROGRAM transparently, then record
 * it (design.md §4.6). */
#ifndef USAGE_REPORT_EXEC_H
#define USAGE_REPORT_EXEC_H

#include "capture.h"
#include "conf.h"

/* exec's status when usage-report itself failed before PROGRAM could start (design.md §1). */
#define EXEC_SELF_FAILED 125

/* Runs PROGRAM, records the event, and returns PROGRAM's status for exit(); when PROGRAM was
 * killed by a signal, re-raises it and only returns if that did not end this process. */
struct exec_request {
	char **program;  /* PROGRAM [ARG...], NULL-terminated */
	struct event_input *ev; /* its exit code and duration are filled in once it ran */
	bool record;     /* false: nothing valid names the event, PROGRAM runs all the same */
	bool dry_run;
	enum delivery_mode mode;
};

int cmd_exec(const struct conf *cfg, struct exec_request *req);

/* Note what PROGRAM must get from the caller as it was (design.md §4.6): which of stdin, stdout
 * and stderr were closed, and which signals the caller ignores. Called first in main(),
 * before anything opens a descriptor or sets a signal disposition. */
void exec_note_caller(void);

#endif
