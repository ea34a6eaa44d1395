/* rate.h — [events] max_per_minute (design.md §4.5): at most that many events a minute per
 * device are recorded; the rest are only counted, and the next recorded event carries the
 * count as rate_limited.
 *
 * The count takes no lock, so no caller ever waits for another (a stopped one included):
 * each run appends one byte to STATE_DIR/RATE_DIR/<minute>, the file of the current
 * minute since the epoch, and its rank that minute is where its byte landed (an O_APPEND
 * write is placed atomically). Rank N is recorded when N <= max_per_minute. The first run
 * of a minute also adds up what earlier minutes counted past the cap (its rate_limited)
 * and removes their files: one open, one write and one lseek a run, one folder read a
 * minute. Anything wrong (the folder or file not ours to use) lets the event through
 * uncounted: the cap never costs an event it cannot account for. */
#ifndef USAGE_REPORT_RATE_H
#define USAGE_REPORT_RATE_H

#include <stdbool.h>

#include "conf.h"

#define RATE_DIR "rate.d"
#define RATE_WINDOW_MS 60000LL

/* Whether one more event may be recorded now. When it may, *dropped is how many were not
 * recorded since the last one that was (to carry as rate_limited). Always true when
 * cfg->max_per_minute is 0. */
bool rate_admit(const struct conf *cfg, long long *dropped);

/* How many events were counted and not recorded since the last recorded one (for status;
 * changes nothing). */
long long rate_pending(const struct conf *cfg);

#endif
