/* status.h — the status, enable, disable, level, history, flush, notice and adopt subcommands. */
#ifndef USAGE_REPORT_STATUS_H
#define USAGE_REPORT_STATUS_H

#include <stdbool.h>

#include "conf.h"

/* For a person, or one JSON object (design.md §1). */
int cmd_status(const struct conf *cfg, bool json);
/* Persist the choice; disable also discards the queue. 1 when it cannot be saved. */
int cmd_enable(const struct conf *cfg, bool on);
/* Persist the level ("all" or "errors", already validated); 1 when it cannot be saved. */
int cmd_level(const struct conf *cfg, const char *word);
/* What left the machine (the history, newest first, at most n requests; 0: the default)
 * and what is still queued or held; for a person, or one JSON object per line. */
int cmd_history(const struct conf *cfg, bool json, long n);
/* Deliver now, in the foreground, ignoring any backoff. */
int cmd_flush(const struct conf *cfg, bool debug);
/* Print the notice to stdout; with reporting on, it counts as shown and held events go. */
int cmd_notice(const struct conf *cfg);
/* Take anon (a UUID) as the anonymous id when there is no identity yet; 1 when there is. */
int cmd_adopt(const struct conf *cfg, const char *anon);

#endif
