/* credsnap.h — the host's credentials as a run saw them (design.md §4.2, the identity of capture).
 *
 * A run captured while [auth]'s credentials file exists, but before the sender resolved the
 * account behind it, keeps a copy of that file in STATE_DIR/CREDSNAP_DIR, named by the
 * file's stat signature; its queue record names the copy. The sender resolves the account
 * from the copy, whatever happened to the original since (a logout removes it, a login as
 * someone else replaces it), so every event goes out under the identity of its capture.
 * This module alone creates, reads and removes those copies.
 *
 * Calling sequence: the foreground calls credsnap_take() for a run's record; the sender
 * calls credsnap_any() and credsnap_path() to read one, and credsnap_purge() once the queue is empty (and
 * disable does, with the queue). Errors: NULL or nothing done, errno set; never fatal. */
#ifndef USAGE_REPORT_CREDSNAP_H
#define USAGE_REPORT_CREDSNAP_H

#include <stdbool.h>

#include "conf.h"

#define CREDSNAP_DIR "credentials"
/* Largest credentials file copied (as large as the sender reads). */
#define CREDSNAP_MAX_BYTES (256 * 1024)

/* The copy of cfg's credentials file whose stat signature is signature (fs_stat_signature),
 * made (0600, atomically) when missing: its name, or NULL. Caller frees. One lstat when the
 * copy exists already. */
char *credsnap_take(const struct conf *cfg, const char *signature);

/* The path of the copy called name, or NULL when name is not one of ours. Caller frees. */
char *credsnap_path(const struct conf *cfg, const char *name);

/* The stat signature a copy was named by (for the identity's bookkeeping). Caller frees. */
char *credsnap_signature(const char *name);

/* Whether any copy exists: one look at the folder. A sender that finds none reads no queued
 * record in search of one (accounts.h). */
bool credsnap_any(const struct conf *cfg);

/* Remove every copy. */
void credsnap_purge(const struct conf *cfg);

#endif
