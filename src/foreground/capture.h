/* capture.h — the foreground path of track, login, logout and exec: consent, identity,
 * the queue, and starting the sender. Never touches the network. */
#ifndef USAGE_REPORT_CAPTURE_H
#define USAGE_REPORT_CAPTURE_H

#include "conf.h"
#include "event.h"

/* What a run asks to record: built from the command line by main(); the domain code never
 * sees argv or the parser's options. */
enum capture_kind {
	CAPTURE_TRACK,  /* track and exec: one event */
	CAPTURE_LOGIN,  /* link principal (or resolve it through [auth] when NULL), alias, event */
	CAPTURE_LOGOUT, /* the event, then a fresh anonymous identity */
};

enum delivery_mode {
	DELIVER_DETACHED, /* start the detached sender and return */
	DELIVER_WAIT,     /* --wait: run the sender in the foreground */
	DELIVER_DEBUG,    /* --debug: the same, tracing */
};

struct capture_request {
	enum capture_kind kind;
	const char *principal; /* login only */
	const struct event_input *ev;
	enum delivery_mode mode;
};

/* Record the run req describes. Always returns 0: a runtime failure is traced, never raised. */
int capture(const struct conf *cfg, const struct capture_request *req);

/* forget's exit status when reporting is off (nothing sent). */
#define FORGET_OFF 3

/* forget (design.md §4.8): discard the queue and the history, queue one forced event naming
 * every id of this device, reset the identity as logout does, with disable_after persist
 * "off", then deliver as mode says. Says what it did on stdout. 0; FORGET_OFF when
 * reporting is off (nothing done); 1 when the request could not be queued. */
int capture_forget(const struct conf *cfg, bool disable_after, enum delivery_mode mode);

/* Print what capture would send (--dry-run); write nothing. */
int dry_run(const struct conf *cfg, const struct capture_request *req);


#endif
