/* exec.h — `usage-report exec -- PROGRAM [ARG...]`: run PROGRAM transparently, then record
 * it (SPEC §4.6). */
#ifndef USAGE_REPORT_EXEC_H
#define USAGE_REPORT_EXEC_H

#include "cli.h"
#include "conf.h"

/* exec's status when usage-report itself failed before PROGRAM could start (SPEC §1). */
#define EXEC_SELF_FAILED 125

/* Runs PROGRAM, records the event, and returns PROGRAM's status for exit(); when PROGRAM was
 * killed by a signal, re-raises it and only returns if that did not end this process. */
int cmd_exec(struct options *o, const struct conf *cfg);

#endif
