/* sender.c — usage-report-sender: drain the queue to the intake, then exit (design.md §4.5).
 *
 * Started detached by usage-report (holding sender.lock on descriptor 3) or in the
 * foreground for flush, --wait and --debug. One runs at a time; it ends by itself within
 * 10 s whatever the network does. */
#include "config.h"
#include "conf.h"
#include "compat.h"
#include "consent.h"
#include "credsnap.h"
#include "backoff.h"
#include "record.h"
#include "fsutil.h"
#include "http.h"
#include "identity.h"
#include "sender-proto.h"
#include "queue.h"
#include "notice.h"
#include "session.h"
#include "request.h"
#include "budget.h"
#include "accounts.h"
#include "delivery.h"
#include "run.h"
#include "sentlog.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/resource.h>
#include <sys/wait.h>
#endif

#define SOFT_DEADLINE_MS 9500
#define MAX_QUEUED 1000
#define MAX_QUEUE_BYTES (5 * 1024 * 1024)
#define MAX_AGE_NS (7ULL * 24 * 3600 * 1000000000ULL)
#define MAX_BODY_BYTES (5 * 1024 * 1024)
#define LINGER_STEP_MS 25
#define LINGER_MAX_MS 250
/* How long a detached sender stays once the queue is empty: the callers of a burst of
 * commands find it running and start none of their own (make bench: one sender per burst). */
#define IDLE_MS 500

/* The entry's record; NULL when the file is gone (another sender took it), or holds no
 * record (then it is removed, and logged). */
static struct record *load_record(struct sender *s, const struct queue_entry *entry)
{
	struct record *rec = NULL;
	if (queue_read(s->cfg.state_dir, entry, &rec) == 0 || errno == ENOENT)
		return rec;
	json_t *none = json_array();
	sentlog_append(s->cfg.state_dir, sender_backend(s), "dropped", none, 0, "unreadable queue file");
	json_decref(none);
	(void)queue_remove(s->cfg.state_dir, entry);
	return NULL;
}

/* Oldest first: nothing older than 7 days, at most 1000 records and 5 MiB. */
static void enforce_bounds(struct sender *s, struct queue_entry *e, size_t *n)
{
	uint64_t now = (uint64_t)now_ms() * 1000000ULL;
	size_t total = 0, keep_from = 0;
	for (size_t i = 0; i < *n; i++)
		total += e[i].size;
	while (keep_from < *n && ((*n - keep_from) > MAX_QUEUED || total > MAX_QUEUE_BYTES ||
	                          (e[keep_from].order > 0 && now > MAX_AGE_NS && e[keep_from].order < now - MAX_AGE_NS))) {
		total -= e[keep_from].size;
		keep_from++;
	}
	if (!keep_from)
		return;
	json_t *uuids = json_array();
	for (size_t i = 0; i < keep_from; i++) {
		(void)queue_remove(s->cfg.state_dir, &e[i]);
		char *uuid = queue_entry_uuid(&e[i]);
		json_array_append_new(uuids, json_string(uuid));
		free(uuid);
		free(e[i].name);
	}
	sentlog_append(s->cfg.state_dir, sender_backend(s), "dropped", uuids, 0, "queue bounds (1000 events, 5 MiB, 7 days)");
	json_decref(uuids);
	memmove(e, e + keep_from, (*n - keep_from) * sizeof *e);
	*n -= keep_from;
}

/* Held events (the notice is pending) obey the queue's bounds too (design.md §4.3). */
static void keep_within_bounds(struct sender *s)
{
	struct queue_entry *e;
	size_t n;
	if (queue_list(s->cfg.state_dir, &e, &n) != 0)
		return;
	enforce_bounds(s, e, &n);
	queue_entries_free(e, n);
}

static size_t max_per_request(const struct sender *s)
{
	return s->cfg.backend == BACKEND_DATADOG ? 50 : s->cfg.backend == BACKEND_FILE ? 1000 : 100;
}

/* One step of waiting for the queue to change. */
static void nap(void)
{
	struct timespec pause = {0, LINGER_STEP_MS * 1000000L};
	nanosleep(&pause, NULL);
}

/* Let a burst of concurrent callers fill the batch: while the queue keeps growing and is
 * below a full request, wait a moment (at most LINGER_MAX_MS) before sending. Not before
 * the first batch: the run that started us queued one event, and an event alone goes at
 * once (a sleep costs it 25 ms and, measured, 3% more CPU); the events of a burst that come
 * meanwhile fill the batches after it. */
static void linger(struct sender *s, struct queue_entry **e, size_t *n)
{
	for (int waited = 0; *n < max_per_request(s) && waited < LINGER_MAX_MS && budget_left(&s->budget) > 2000; waited += LINGER_STEP_MS) {
		nap();
		struct queue_entry *more;
		size_t m;
		if (queue_list(s->cfg.state_dir, &more, &m) != 0)
			return;
		bool grew = m > *n;
		queue_entries_free(*e, *n);
		*e = more;
		*n = m;
		if (!grew)
			return;
	}
}

static bool restore_alias(struct sender *s, struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (accounts_restore_alias(&s->cfg, items[i].record))
			return s->alias_restored = true;
	return false;
}

/* The next batch from the queue e[0..n): plain events up to the request's limits, or one
 * alias or login (to resolve) alone, in queue order. Sets *count; the items are the caller's. */
static struct item *next_batch(struct sender *s, const struct queue_entry *e, size_t n, size_t *count)
{
	size_t max = max_per_request(s), bytes = 0;
	struct item *items = xcalloc(max, sizeof *items);
	*count = 0;
	for (size_t i = 0; i < n && *count < max; i++) {
		struct record *rec = load_record(s, &e[i]);
		if (!rec)
			continue;
		if (s->forced_only && !record_forced(rec)) {
			record_free(rec); /* held, or left by a disable: not ours to send now */
			continue;
		}
		bool plain = strcmp(record_type(rec), RECORD_EVENT) == 0 && !record_credentials(rec);
		if ((!plain && *count > 0) || bytes + e[i].size > MAX_BODY_BYTES - 4096) {
			record_free(rec);
			break;
		}
		items[(*count)++] = (struct item){rec, queue_entry_dup(&e[i])};
		bytes += e[i].size;
		if (!plain)
			break;
	}
	return items;
}

/* What a batch needs: its accounts resolved, a record dropped, its alias first, or delivery. */
static enum outcome handle_batch(struct sender *s, struct item *items, size_t count, bool *empty)
{
	const char *type = count ? record_type(items[0].record) : NULL;
	enum outcome out = DONE;
	if (!type && s->forced_only)
		*empty = true; /* nothing the person asked to send is left */
	else if (!type)
		; /* every file was unreadable (and is gone now) */
	else if (record_credentials(items[0].record))
		(void)accounts_resolve_captured(&s->cfg, &s->budget, record_credentials(items[0].record));
	else if (!strcmp(type, RECORD_LOGIN))
		accounts_resolve_login(&s->cfg, &s->budget, items[0].record, items[0].entry);
	else if (!strcmp(type, RECORD_ALIAS) && !conf_has_aliases(&s->cfg))
		delivery_drop(s, items, 1, 0, "aliases do not apply to datadog");
	else if (strcmp(type, RECORD_EVENT) != 0 && strcmp(type, RECORD_ALIAS) != 0)
		delivery_drop(s, items, 1, 0, "unknown record type");
	else if (!strcmp(type, RECORD_EVENT) && !s->alias_restored && restore_alias(s, items, count))
		; /* the alias goes first, on the next round */
	else
		out = delivery_send(s, items, count);
	return out;
}

/* Why nothing goes now though events are queued (backoff, no time left), or NULL. */
static const char *cannot_send(struct sender *s)
{
	if (!s->ignore_backoff && backoff_active(s->cfg.state_dir))
		return "intake in backoff";
	if (budget_left(&s->budget) < MIN_REQUEST_MS + 500) {
		s->out_of_time = true;
		return "deadline";
	}
	return NULL;
}

/* One pass: the next request's worth of records, oldest first. DONE when the queue is
 * empty, STOP on backoff or deadline. */
static enum outcome drain_once(struct sender *s, bool *empty)
{
	struct queue_entry *e;
	size_t n, count;
	*empty = false;
	if (queue_list(s->cfg.state_dir, &e, &n) != 0)
		return STOP;
	enforce_bounds(s, e, &n);
	const char *why = n ? cannot_send(s) : NULL;
	if (n == 0 || why) {
		if (why)
			trace("%s: %zu event(s) stay queued", why, n);
		queue_entries_free(e, n);
		*empty = n == 0;
		return n == 0 ? DONE : STOP;
	}
	if (!s->lazy_checked && !s->forced_only) {
		/* accounts first, oldest first: what each event was captured under, then what the
		 * credentials say now; when either changed the queue, it is listed again */
		s->lazy_checked = true;
		bool changed = false;
		while (accounts_resolve_captured(&s->cfg, &s->budget, NULL))
			changed = true;
		if (accounts_link_lazy(&s->cfg, &s->budget) || changed) {
			queue_entries_free(e, n);
			return DONE;
		}
	}
	if (s->batched_once)
		linger(s, &e, &n);
	struct item *items = next_batch(s, e, n, &count);
	queue_entries_free(e, n);
	enum outcome out = handle_batch(s, items, count, empty);
	s->batched_once = true;
	delivery_items_free(items, count);
	free(items);
	return out;
}

/* With the queue empty, wait up to IDLE_MS (and never into the time a last request needs)
 * for another event; whether one came. A caller meanwhile sees the lock held. */
static bool idle(struct sender *s)
{
	int64_t end = mono_ms() + IDLE_MS;
	if (s->watch < 0) {
		char *dir = queue_dir(s->cfg.state_dir);
		s->watch = compat_watch_open(dir); /* before the look below: nothing slips between */
		free(dir);
	}
	for (;;) {
		long wait = (long)(end - mono_ms());
		long spare = budget_left(&s->budget) - (MIN_REQUEST_MS + 2000);
		if (spare < wait)
			wait = spare;
		if (wait <= 0)
			return false;
		/* woken by a new file in the queue (inotify), else every LINGER_STEP_MS to look */
		if (compat_watch_wait(s->watch, s->watch >= 0 ? (int)wait : LINGER_STEP_MS) != 0 &&
		    queue_count(s->cfg.state_dir) > 0)
			return true;
	}
}

/* Leaving at the deadline with events queued, the intake not in backoff: a successor (this
 * program detached again, handed the lock on SENDER_LOCK_FD) delivers them, so that an
 * event whose caller found the lock held waits for no later command (design.md §4.5). A chain
 * of successors ends when the queue is empty or the intake is in backoff. */
#ifndef _WIN32
static void hand_over(struct sender *s, int lock)
{
	(void)lock; /* the successor inherits it */
	char *self = compat_self_exe();
	pid_t pid = self ? fork() : -1;
	if (pid == 0) {
		if (setsid() < 0 || fork() != 0)
			_exit(0); /* the successor is a grandchild: nobody but init ever reaps it */
		int flags = fcntl(SENDER_LOCK_FD, F_GETFD);
		if (flags >= 0 && fcntl(SENDER_LOCK_FD, F_SETFD, flags & ~FD_CLOEXEC) == 0)
			execv(self, s->argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	trace("deadline: %s", pid > 0 ? "a successor delivers the rest" : "no successor could be started");
	free(self);
}
#else
/* Windows: a lock is its process's; released first, so that the successor can take it. */
static void hand_over(struct sender *s, int lock)
{
	static const char *const kept_env[] = SENDER_ENV_ALLOWLIST;
	char *self = compat_self_exe();
	compat_lock(lock, COMPAT_LOCK_UNLOCK);
	int rc = self ? compat_start(self, s->argv, kept_env, true, NULL) : -1;
	trace("deadline: %s", rc == 0 ? "a successor delivers the rest" : "no successor could be started");
	free(self);
}
#endif

/* Drain until empty (and idle a while, detached); then release the lock, look once more,
 * and take it back if an event arrived meanwhile (its writer saw the lock held and started
 * no sender). */
static void drain_while_queued(struct sender *s, int lock)
{
	for (;;) {
		bool empty = false;
		while (drain_once(s, &empty) == DONE && !empty)
			;
		if (!empty) {
			if (s->out_of_time && s->stay_idle && !backoff_active(s->cfg.state_dir))
				hand_over(s, lock);
			break;
		}
		if (s->forced_only)
			break; /* what is left stays held (or was discarded by disable) */
		if (s->stay_idle && idle(s))
			continue;
		compat_lock(lock, COMPAT_LOCK_UNLOCK);
		long left = queue_count(s->cfg.state_dir);
		if (left == 0)
			credsnap_purge(&s->cfg); /* no record names a copy of the credentials any more */
		if (left <= 0 || compat_lock(lock, COMPAT_LOCK_EXCLUSIVE | COMPAT_LOCK_NOWAIT) != 0)
			break;
		trace("%ld event(s) arrived while finishing: draining again", left);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: %s --app NAME --config FILE (--detached | --foreground) [--debug] [--ignore-backoff] --proto N\n"
	                "(started by usage-report; see usage-report(1))\n", SENDER_NAME);
	return 2;
}

/* The arguments the foreground starts us with (sender-proto.h). */
struct sender_args {
	const char *app, *config, *proto;
	bool detached, foreground;
};

/* 0, or 2 after usage() when an argument is not the contract's. */
static int parse_args(int argc, char **argv, struct sender *s, struct sender_args *a)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], SENDER_ARG_APP) && i + 1 < argc)
			a->app = argv[++i];
		else if (!strcmp(argv[i], SENDER_ARG_CONFIG) && i + 1 < argc)
			a->config = argv[++i];
		else if (!strcmp(argv[i], SENDER_ARG_DETACHED))
			a->detached = true;
		else if (!strcmp(argv[i], SENDER_ARG_FOREGROUND))
			a->foreground = true;
		else if (!strcmp(argv[i], SENDER_ARG_DEBUG))
			trace_on = true;
		else if (!strcmp(argv[i], SENDER_ARG_IGNORE_BACKOFF))
			s->ignore_backoff = true;
		else if (!strcmp(argv[i], SENDER_ARG_PROTO) && i + 1 < argc)
			a->proto = argv[++i];
		else
			return usage();
	}
	return !a->app || !a->config || a->detached == a->foreground ? usage() : 0;
}

/* Whatever the caller left us (signal dispositions, its CPU), and the deadline: this
 * process is gone within SENDER_DEADLINE_S, whatever happens. */
static void settle_process(struct sender *s)
{
#ifndef _WIN32
	for (int sig = 1; sig < compat_signal_count(); sig++) /* a caller's ignored SIGALRM would survive exec */
		signal(sig, SIG_DFL);
#endif
	compat_deadline(SENDER_DEADLINE_S);
	s->budget.deadline = mono_ms() + SOFT_DEADLINE_MS;
#ifndef _WIN32
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file-size limit fails the write (and it is rolled back) */
#endif
}

/* The sender lock: handed to a detached sender on SENDER_LOCK_FD (taken here on Windows,
 * where a lock cannot be handed over), waited for by a foreground one. The descriptor, or
 * -1 when another sender delivers. */
static int take_lock(struct sender *s, bool detached)
{
	int lock;
	if (!detached) {
		char *path = path_join(s->cfg.state_dir, SENDER_LOCK_FILE);
		lock = fs_lock_wait(path, (int)(budget_left(&s->budget) - 2000));
		free(path);
		if (lock < 0)
			trace("cannot take the sender lock: %s", strerror(errno));
		return lock;
	}
	/* What the caller's process would not give a background job: files for us alone,
	 * and the CPU only when the user's next command does not want it. */
	umask(077);
	compat_background_priority();
	s->stay_idle = true;
#ifdef _WIN32
	char *path = path_join(s->cfg.state_dir, SENDER_LOCK_FILE);
	lock = fs_lock(path, COMPAT_LOCK_EXCLUSIVE | COMPAT_LOCK_NOWAIT);
	free(path);
	if (lock < 0)
		trace("a sender is running: it delivers");
#else
	lock = SENDER_LOCK_FD;
	if (fcntl(lock, F_SETFD, FD_CLOEXEC) != 0)
		lock = -1;
#endif
	return lock;
}

/* With the lock: a logout's reset that could not be written at the time, then the queue
 * (held events only kept within bounds). */
static void deliver_locked(struct sender *s, int lock, bool held)
{
	struct identity settled = {0};
	if (identity_settle_reset(s->cfg.identity_file, s->cfg.identity_shared, s->cfg.state_dir, true, &settled) == 1)
		trace("a logout's identity reset still waits: %s", strerror(errno));
	identity_release(&settled);
	if (held && !s->forced_only) {
		trace("nothing delivered: events are held until the notice is shown");
		keep_within_bounds(s);
		return;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return;
	queue_sweep(s->cfg.state_dir);
	session_load(s->cfg.state_dir, &s->session);
	drain_while_queued(s, lock);
	curl_global_cleanup();
}

/* The end of a run: every file is written and closed. A process about to vanish needs none
 * of its libraries' exit handlers: OpenSSL's alone frees its tables for half a million
 * instructions, 4% of a delivery (design.md §11). A sanitizer build leaves by exit(), for
 * the leak check. */
static int leave(int status)
{
#ifndef SANITIZED
	fflush(NULL);
	_exit(status);
#endif
	return status;
}

int main(int argc, char **argv)
{
	struct sender s = {.argv = argv, .watch = -1};
	struct sender_args a = {0};
	compat_main(&argc, &argv); /* the foreground starts us by our full path: a successor's too */
	settle_process(&s);
	if (parse_args(argc, argv, &s, &a) != 0)
		return 2;
	if (!a.proto || strcmp(a.proto, SENDER_PROTO_TEXT) != 0) {
		/* usage-report and its sender from two different installs: touch nothing */
		trace("this sender speaks protocol %d, usage-report %s: nothing done (reinstall usage-report)",
		      SENDER_PROTO_VERSION, a.proto ? a.proto : "(none given)");
		return 0;
	}

	conf_load(&s.cfg, a.app, a.config);
	bool disabled = consent_persisted(s.cfg.state_dir) == 0;
	bool held = notice_state(&s.cfg) == NOTICE_PENDING;
	s.forced_only = (disabled || held) && queue_forced_pending(s.cfg.state_dir);
	int lock = -1;
	if (!s.cfg.backend_ready || (disabled && !s.forced_only) || s.cfg.policy_off)
		trace("nothing to deliver: %s", !s.cfg.backend_ready ? "no backend"
		                                : s.cfg.policy_off  ? "the administrator's policy"
		                                                    : "reporting disabled");
	else if ((lock = take_lock(&s, a.detached)) >= 0)
		deliver_locked(&s, lock, held);
	compat_watch_close(s.watch);
	if (lock >= 0)
		close(lock);
	conf_free(&s.cfg);
	return leave(0);
}
