/* accounts.h — the sender's side of accounts (design.md §4.2): resolving the principal behind the
 * host's credentials, linking the identity, queueing the alias, account switches.
 *
 * Called by the drain loop; it never calls back. It queues aliases (first in the queue) and
 * rewrites records through the queue module, and logs resolutions to sent.log. */
#ifndef USAGE_REPORT_ACCOUNTS_H
#define USAGE_REPORT_ACCOUNTS_H

#include <stdbool.h>

#include <jansson.h>

#include "budget.h"
#include "conf.h"
#include "queue.h"

/* Lazy linking: resolve the account behind the credentials once per change of the
 * credentials file (or per hour after a failure), link, and queue the alias. Whether it
 * looked the account up (then the identity or the queue may have changed). */
bool accounts_link_lazy(const struct conf *cfg, const struct budget *budget);

/* The identity of capture (design.md §4.2): the credentials copy called copy (credsnap.h),
 * or when copy is NULL the oldest one a queued record names, is resolved once, and every
 * record naming it gets that account (or stays anonymous when it has none): its anon id is
 * linked when the identity still has it, and aliased on its own when a logout or an account
 * switch moved the identity on. Whether a copy was settled (false: none is named, or no
 * time is left to ask). With copy NULL and no copy on disk, no record is read: one whose
 * copy a sender purged in the moment between the copy and the record is settled when its
 * batch comes (by name, from the credentials file while it is unchanged). */
bool accounts_resolve_captured(const struct conf *cfg, const struct budget *budget, const char *copy);

/* A queued login whose account the sender resolves (or names: a login --principal-id
 * whose foreground found the identity locked): link, alias, then the record becomes a
 * plain event, written back in place of entry. */
void accounts_resolve_login(const struct conf *cfg, const struct budget *budget, struct record *record,
                        const struct queue_entry *entry);

/* An event under the linked principal whose alias was never acknowledged and is no longer
 * queued (a disable discarded it with the queue): queue the alias again, first, so that no
 * event under that principal reaches the intake before it (one the intake refused for good
 * is not). Whether it queued one. */
bool accounts_restore_alias(const struct conf *cfg, const struct record *record);

#endif
