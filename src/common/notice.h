/* notice.h — the first-run notice and the events held until it is shown (SPEC §4.3).
 *
 * With [consent] notice on, nothing is sent before a person could have read the notice:
 * until it has been shown (on a terminal, or by `usage-report notice`), events are queued
 * but held. The foreground then starts no sender, and a sender started anyway (flush)
 * delivers nothing. Whether it was shown is STATE_DIR/NOTICE_FILE, written once.
 *
 * Calling sequence (foreground): notice_state(); when pending and a person can read it,
 * notice_mark_shown(), and notice_text() to them only when that returned 1, so that of
 * several first runs at once exactly one shows it. */
#ifndef USAGE_REPORT_NOTICE_H
#define USAGE_REPORT_NOTICE_H

#include "conf.h"

#define NOTICE_FILE "notice.json"
/* Longest [consent] notice_file that is shown; a longer or unreadable one is not used. */
#define MAX_NOTICE_BYTES (8 * 1024)

enum notice_state {
	NOTICE_OFF,     /* [consent] notice = off: the host shows it; nothing is held */
	NOTICE_SHOWN,   /* shown: events are delivered */
	NOTICE_PENDING, /* not shown yet: events are held */
};

/* Never blocks: only the marker file's type is looked at. */
enum notice_state notice_state(const struct conf *cfg);

/* "off", "shown" or "pending", as status reports it. */
const char *notice_state_name(enum notice_state s);

/* One paragraph ending in a newline: notice_file's content when it can be read (control
 * characters other than newline and tab masked), else the default wording, which names
 * every opt-out that applies (disable_hint, DO_NOT_TRACK, tracking_env, disabled_env).
 * Caller frees. */
char *notice_text(const struct conf *cfg);

/* Record that the notice is shown now (how: "terminal" or "notice"), creating the state
 * folder: 1 when this call recorded it, 0 when it already was, -1 with errno. */
int notice_mark_shown(const struct conf *cfg, const char *how);

#endif
