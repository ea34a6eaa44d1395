/* notice.h — the first-run notice and the events held until it is shown (design.md §4.3).
 *
 * With [consent] notice on or tty, nothing is sent before the notice was written in full
 * where a person or a log can read it: a terminal, and (notice = on) a pipe, a socket or a
 * regular file — never /dev/null, a closed descriptor, another device, or a write that
 * failed part way. Until then events are queued but held: the sender only keeps the queue
 * within its bounds and delivers nothing. Whether it was shown is STATE_DIR/NOTICE_FILE,
 * which appears (by rename) only after the whole text was written.
 *
 * Calling sequence: a run calls notice_show() on its stderr and holds its event when that
 * returns NOTICE_PENDING; `usage-report notice` calls it on its stdout with always set.
 * notice_show() writes the text between notice_claim() and notice_confirm() or
 * notice_release(): of several runs at once exactly one writes the notice, the one whose
 * claim succeeded.
 *
 * Errors: nothing here fails the caller; every failure leaves the notice pending. */
#ifndef USAGE_REPORT_NOTICE_H
#define USAGE_REPORT_NOTICE_H

#include <stdbool.h>

#include "conf.h"

#define NOTICE_FILE "notice.json"
/* Held while one run writes the notice; older than NOTICE_CLAIM_STALE_S it belonged to a
 * run that died (or hangs on a pipe nobody reads), and the next run takes it over. */
#define NOTICE_CLAIM_FILE "notice.json.claim"
#define NOTICE_CLAIM_STALE_S 10
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

/* Whether text written to fd reaches a person or a log under mode: a terminal; with
 * NOTICE_MODE_ON also a pipe, a socket or a regular file. A closed fd never does. */
bool notice_fd_carries(int fd, enum notice_mode mode);

/* One paragraph ending in a newline: notice_file's content when it can be read (control
 * characters other than newline and tab masked), else the default wording, which says what
 * is collected (an account id too, once linked), names every opt-out that applies
 * (disable_hint, DO_NOT_TRACK, tracking_env, disabled_env) and notice_url. Caller frees. */
char *notice_text(const struct conf *cfg);

/* Show a pending notice on fd when fd carries it under mode, unless another run is showing
 * it right now; once written in full it counts as shown (how: "stderr" or "notice"). With
 * always, the text is written to fd whatever its state (`usage-report notice`). Returns
 * NOTICE_SHOWN when it is shown (now or before), NOTICE_OFF, else NOTICE_PENDING. */
enum notice_state notice_show(const struct conf *cfg, int fd, enum notice_mode mode, const char *how, bool always);

/* The claim to write the notice (creating the state folder): 1 claimed (write it, then
 * confirm or release), 0 when it is already shown or another run holds a fresh claim, -1
 * with errno. */
int notice_claim(const struct conf *cfg);
/* The whole text was written (how: "stderr" or "notice"): it counts as shown. 0, or -1 with
 * errno (then it stays pending). */
int notice_confirm(const struct conf *cfg, const char *how);
/* The text was not written in full: it stays pending. */
void notice_release(const struct conf *cfg);

#endif
