/* status.h — the status, enable, disable and flush subcommands. */
#ifndef USAGE_REPORT_STATUS_H
#define USAGE_REPORT_STATUS_H

#include <stdbool.h>

#include "conf.h"

/* For a person, or one JSON object (SPEC §1). */
int cmd_status(const struct conf *cfg, bool json);
/* Persist the choice; disable also discards the queue. 1 when it cannot be saved. */
int cmd_enable(const struct conf *cfg, bool on);
/* Deliver now, in the foreground, ignoring any backoff. */
int cmd_flush(const struct conf *cfg, bool debug);

#endif
