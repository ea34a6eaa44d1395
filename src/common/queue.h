/* queue.h — the on-disk event queue: one file per record in STATE_DIR/queue/ (design.md §4.5).
 *
 * The one module that creates, lists, reads, replaces or removes queue files; everyone else
 * names a file by its struct queue_entry. Names are "<20-digit capture time in ns>-<uuid>
 * .json", so name order is capture order. Files are written to a dot-named temp file and
 * renamed, so a reader never sees half a record; readers ignore dot files.
 *
 * Calling sequence (the sender): queue_list() the entries oldest first, queue_read() each,
 * then queue_remove() it once delivered or dropped, or queue_replace() it when its record
 * changes (a login resolved, an account switch). Every function returns 0, or -1 with errno;
 * none blocks. */
#ifndef USAGE_REPORT_QUEUE_H
#define USAGE_REPORT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct record; /* record.h */

/* STATE_DIR/queue, freshly allocated. */
char *queue_dir(const char *state_dir);

/* Write record as a new queue file (creating the folder) with an explicit order key (the
 * sender puts aliases before pending events). Not fsynced: a power cut may lose the newest
 * records, or leave a file queue_read() rejects, never a false record. */
int queue_put_ordered(const char *state_dir, const struct record *record, uint64_t order);

/* The order of records that go before everything captured (aliases). */
#define QUEUE_ORDER_FIRST 0

/* Same, for a record already serialised (text) whose event has this uuid; with first, it
 * goes before every pending record whatever the clock says. */
int queue_put_text(const char *state_dir, const char *text, const char *uuid, bool first);

struct queue_entry {
	char *name;     /* file name inside the queue folder */
	uint64_t order; /* capture time in ns, from the name */
	size_t size;    /* bytes */
};

/* The queued files, oldest first. The caller frees with queue_entries_free(). A missing
 * folder is an empty queue. Changes nothing. */
int queue_list(const char *state_dir, struct queue_entry **out, size_t *n);

/* The entry's record: 0 and *record (a new reference), or -1 with ENOENT when the file is
 * gone (another sender took it) or EINVAL when it holds no valid record (the caller logs
 * that and removes it). */
int queue_read(const char *state_dir, const struct queue_entry *entry, struct record **record);

/* Remove the entry's file (delivered, dropped, or past the bounds). */
int queue_remove(const char *state_dir, const struct queue_entry *entry);

/* Write record in place of the entry's file, atomically, keeping its place in the queue. */
int queue_replace(const char *state_dir, const struct queue_entry *entry, const struct record *record);

/* A copy of entry (its name duplicated); free with queue_entries_free(copy, 1). */
struct queue_entry *queue_entry_dup(const struct queue_entry *entry);

/* The uuid part of an entry's name, freshly allocated. */
char *queue_entry_uuid(const struct queue_entry *entry);

/* Remove temp files that writers killed mid-write left behind (sender only). */
void queue_sweep(const char *state_dir);
void queue_entries_free(struct queue_entry *entries, size_t n);

/* How many records are queued (for status), or -1. */
long queue_count(const char *state_dir);

/* Remove every queued record (after `disable`), but a forget request still to deliver. */
void queue_purge(const char *state_dir);

/* A record the person asked to send (forget's) waits in the queue: marked by
 * STATE_DIR/QUEUE_FORCED_FILE, so that a run that records nothing (reporting off) can see
 * with one stat that the sender still has that one request to deliver. Mark it after
 * queueing it; the sender clears the mark once it was delivered or dropped. */
#define QUEUE_FORCED_FILE "forced.pending"
int queue_mark_forced(const char *state_dir);
bool queue_forced_pending(const char *state_dir);
void queue_clear_forced(const char *state_dir);

#endif
