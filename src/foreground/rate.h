/* rate.h — [events] max_per_minute (SPEC §4.5): at most that many events a minute per
 * device are recorded; the rest are only counted, and the next recorded event carries the
 * count as rate_limited.
 *
 * The count lives in STATE_DIR/RATE_FILE ("WINDOW_START_MS RECORDED DROPPED"), read and
 * rewritten in place under an flock of the file itself: one open, one lock, one read and
 * one write per call, whatever the queue holds. A window starts with the first event
 * after the previous one ended (or when the clock stepped back). Anything wrong with the
 * file (not a regular file, a lock held too long) lets the event through uncounted: the
 * cap never costs an event it cannot account for. */
#ifndef USAGE_REPORT_RATE_H
#define USAGE_REPORT_RATE_H

#include <stdbool.h>

#include "conf.h"

#define RATE_FILE "rate"
#define RATE_WINDOW_MS 60000LL

/* Whether one more event may be recorded now. When it may, *dropped is how many were not
 * recorded since the last one that was (to carry as rate_limited). Always true when
 * cfg->max_per_minute is 0. */
bool rate_admit(const struct conf *cfg, long long *dropped);

/* How many events were counted and not recorded since the last recorded one (for status;
 * changes nothing). */
long long rate_pending(const struct conf *cfg);

#endif
