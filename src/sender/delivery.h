/* delivery.h — one batch to the intake and what its answer means (design.md §4.5, §5): the
 * configured backend's request (or the file sink's append), the answer's classification
 * (delivered, split, retried later with a backoff, dropped for good), and what each leaves
 * in the queue, sent.log, the session, the backoff state and the identity (an alias taken
 * or refused).
 *
 * Called by the drain loop (sender.c) with records it loaded from the queue; it never calls
 * back. */
#ifndef USAGE_REPORT_DELIVERY_H
#define USAGE_REPORT_DELIVERY_H

#include <stddef.h>

#include "run.h"

/* Deliver items[0..n) in one request: DONE when the answer settled them (delivered or
 * dropped), STOP when they stay queued (a backoff, the deadline). A 413, or a 400 that one
 * bad record may have caused, is split in halves until the record at fault travels alone
 * and is dropped. No request starts with less than a request's minimum time left. */
enum outcome delivery_send(struct sender *s, struct item *items, size_t n);

/* Remove items[0..n) from the queue for good, logged in sent.log with status and why. */
void delivery_drop(struct sender *s, struct item *items, size_t n, long status, const char *why);

/* Release the items (their records and entries; not the array). */
void delivery_items_free(struct item *items, size_t n);

#endif
