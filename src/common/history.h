/* history.h — STATE_DIR/history.jsonl: what left the machine (design.md §4.7).
 *
 * One JSON line per delivered request: {"time": when it was sent, "backend", "intake": the
 * URL, "status": the intake's 2xx, "body": the body exactly as sent, its credentials masked}.
 * Nothing in it is new data: it is a copy of what the intake received.
 *
 * Calling sequence and ownership: the sender appends (history_append) after each 2xx; the
 * foreground reads (history_read, for `usage-report history`) and removes (history_remove,
 * for disable). This module alone names, writes, reads and removes the files. The file is
 * 0600, appended with one write per line, and renamed to history.jsonl.1 once past
 * HISTORY_ROTATE bytes, so the two stay under 1 MiB. Every function is best effort: a
 * history that cannot be written is no reason to fail a delivery. */
#ifndef USAGE_REPORT_HISTORY_H
#define USAGE_REPORT_HISTORY_H

#include <stddef.h>

#include <jansson.h>

#define HISTORY_ROTATE (512 * 1024)
/* How many requests `history` shows unless told otherwise. */
#define HISTORY_DEFAULT_SHOWN 100

/* Append one delivered request (entry borrowed). */
void history_append(const char *state_dir, const json_t *entry);

/* The newest n entries, newest first, as a JSON array (new reference; empty when there is
 * no history). Lines that are not JSON objects are skipped. */
json_t *history_read(const char *state_dir, size_t n);

/* Remove the history (both files). */
void history_remove(const char *state_dir);

#endif
