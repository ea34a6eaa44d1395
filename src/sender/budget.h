/* budget.h — the sender's time: one deadline, and what each step may spend of it.
 *
 * The sender is gone within SENDER_DEADLINE_S whatever happens (alarm); the budget makes it
 * finish cleanly before that: every request is given at most what is left, less a margin. */
#ifndef USAGE_REPORT_BUDGET_H
#define USAGE_REPORT_BUDGET_H

#include <stdint.h>

#include "util.h"

#define BUDGET_MARGIN_MS 200L
/* Too little time left for a request to be worth starting. */
#define MIN_REQUEST_MS 500L

struct budget {
	int64_t deadline; /* monotonic ms */
};

/* Milliseconds left. */
static inline long budget_left(const struct budget *b)
{
	return (long)(b->deadline - mono_ms());
}

/* want, or less when the deadline is nearer. */
static inline long budget_limit(const struct budget *b, long want)
{
	long left = budget_left(b) - BUDGET_MARGIN_MS;
	return left < want ? left : want;
}

#endif
