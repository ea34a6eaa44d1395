/* spawn.h — starting the sender helper, detached or in the foreground (design.md §4.5).
 * The helper holds libcurl, so the foreground never loads it. */
#ifndef USAGE_REPORT_SPAWN_H
#define USAGE_REPORT_SPAWN_H

#include <stdbool.h>

#include "conf.h"

/* Start a fully detached sender unless one is running or the intake is in backoff. The
 * sender lock is taken here and handed to the sender, so two callers never start two.
 * 0 when started or not needed, -1 with errno when it could not be started. */
int spawn_sender_detached(const struct conf *cfg);

/* Run the sender in the foreground and wait for it (flush, --wait, --debug). The sender
 * waits for a running one to finish first. Returns the sender's exit status, or -1. */
int spawn_sender_wait(const struct conf *cfg, bool debug, bool ignore_backoff);

#endif
