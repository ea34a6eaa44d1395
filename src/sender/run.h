/* run.h — the state of one sender run, shared by the drain loop (sender.c) and delivery
 * (delivery.c). Nothing outside src/sender/ sees it. */
#ifndef USAGE_REPORT_RUN_H
#define USAGE_REPORT_RUN_H

#include <stdbool.h>

#include <jansson.h>

#include "budget.h"
#include "conf.h"
#include "queue.h"
#include "session.h"

enum outcome { DONE, STOP };

/* This run: the config, the time it has, and what it was asked to do. */
struct sender {
	struct conf cfg;
	struct budget budget;
	bool ignore_backoff;
	bool stay_idle; /* detached: wait IDLE_MS for more events before leaving */
	int watch;      /* on the queue folder while idle (compat_watch_open), or -1 */
	bool lazy_checked;
	bool batched_once;   /* a batch went: the next ones linger while the queue grows */
	bool alias_restored; /* at most once a run: an alias the intake drops is not re-sent in a loop */
	bool out_of_time;    /* stopped at the deadline with events still queued */
	bool forced_only;    /* held or disabled: only the records the person asked to send go */
	char **argv;         /* as started: what a successor is started with */
	struct session session; /* as last acknowledged by the intake */
};

/* One loaded queue record and its queue entry. */
struct item {
	struct record *record;
	struct queue_entry *entry;
};

/* The configured backend's name, as sent.log records it. */
static inline const char *sender_backend(const struct sender *s)
{
	return backend_name(s->cfg.backend);
}

#endif
