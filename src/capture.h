/* capture.h — the foreground path of track, login, logout and exec: consent, identity,
 * the queue, and starting the sender. Never touches the network. */
#ifndef USAGE_REPORT_CAPTURE_H
#define USAGE_REPORT_CAPTURE_H

#include "cli.h"
#include "conf.h"

/* Record the run o describes. Always returns 0: a runtime failure is traced, never raised. */
int capture(const struct options *o, const struct conf *cfg);

/* Print what capture would send (--dry-run). */
int dry_run(const struct options *o, const struct conf *cfg);

/* The first-run notice, on stderr. */
void print_notice(const struct conf *cfg);

#endif
