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
#include "history.h"
#include "http.h"
#include "identity.h"
#include "sender-proto.h"
#include "queue.h"
#include "notice.h"
#include "session.h"
#include "request.h"
#include "budget.h"
#include "accounts.h"
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

#define REQUEST_LIMIT_MS 5000L

enum outcome { DONE, STOP };

/* This run: the config, the time it has, and what it was asked to do. */
struct sender {
	struct conf cfg;
	struct budget budget;
	bool ignore_backoff;
	bool stay_idle; /* detached: wait IDLE_MS for more events before leaving */
	int watch;      /* on the queue folder while idle (compat_watch_open), or -1 */
	bool lazy_checked;
	bool alias_restored; /* at most once a run: an alias the intake drops is not re-sent in a loop */
	bool out_of_time;    /* stopped at the deadline with events still queued */
	bool forced_only;    /* held or disabled: only the records the person asked to send go */
	char **argv;         /* as started: what a successor is started with */
	struct session session; /* as last acknowledged by the intake */
};

/* One loaded queue record and its queue entry. */
struct item {
	json_t *record;
	struct queue_entry *entry;
};

static const char *backend(const struct sender *s)
{
	return backend_name(s->cfg.backend);
}

static json_t *uuids_of(struct item *items, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(record_uuid(items[i].record)));
	return a;
}

/* A forget request among items left the queue (delivered or dropped): its mark goes. */
static void forced_done(struct sender *s, const struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (record_forced(items[i].record)) {
			queue_clear_forced(s->cfg.state_dir);
			return;
		}
}

static void drop(struct sender *s, struct item *items, size_t n, long status, const char *why)
{
	json_t *uuids = uuids_of(items, n);
	sentlog_append(s->cfg.state_dir, backend(s), "dropped", uuids, status, why);
	json_decref(uuids);
	for (size_t i = 0; i < n; i++)
		(void)queue_remove(s->cfg.state_dir, items[i].entry);
	forced_done(s, items, n);
	trace("dropped %zu event(s): %s", n, why);
}

/* The entry's record; NULL when the file is gone (another sender took it), or holds no
 * record (then it is removed, and logged). */
static json_t *load_record(struct sender *s, const struct queue_entry *entry)
{
	json_t *rec = NULL;
	if (queue_read(s->cfg.state_dir, entry, &rec) == 0 || errno == ENOENT)
		return rec;
	json_t *none = json_array();
	sentlog_append(s->cfg.state_dir, backend(s), "dropped", none, 0, "unreadable queue file");
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
	sentlog_append(s->cfg.state_dir, backend(s), "dropped", uuids, 0, "queue bounds (1000 events, 5 MiB, 7 days)");
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

/* Whether an answer says "later" (design.md §4.5, §5.4): for every backend, OTLP included (a
 * collector that restarts answers 500: its data is kept, unlike the exporters' default). */
static bool retryable(long status)
{
	return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* Append the events to [file] path under an flock: whole lines or nothing. A write that
 * fails half way (a full disk, a file-size limit) is rolled back to where it started. */
static long append_file(struct sender *s, json_t *events, char *error, size_t error_size)
{
	struct buf b = {0};
	for (size_t i = 0; i < json_array_size(events); i++) {
		char *line = json_dumps(json_array_get(events, i), JSON_COMPACT);
		buf_adds(&b, line);
		buf_addc(&b, '\n');
		free(line);
	}
	long status = 0;
	struct stat st;
	int fd = open(s->cfg.file_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0 || compat_lock(fd, COMPAT_LOCK_EXCLUSIVE) != 0 || fstat(fd, &st) != 0) {
		snprintf(error, error_size, "cannot open '%s': %s", s->cfg.file_path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(error, error_size, "'%s' is not a regular file", s->cfg.file_path);
	} else if (write_all(fd, b.data, b.len) != 0 || compat_fsync(fd) != 0) {
		snprintf(error, error_size, "cannot write '%s': %s", s->cfg.file_path, strerror(errno));
		if (ftruncate(fd, st.st_size) != 0)
			trace("cannot roll back '%s': %s", s->cfg.file_path, strerror(errno));
	} else {
		status = 200;
	}
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return status;
}

/* The request body for items, as the backend takes them under the identity as it is now;
 * *session ends as the sessions of these events leave it. */
static json_t *payload_of(struct sender *s, struct item *items, size_t n, struct session *session)
{
	struct identity id = {0};
	(void)identity_read(s->cfg.identity_file, &id);
	json_t *payload = json_array();
	int64_t now = now_ms();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(payload, record_for_backend(items[i].record, &s->cfg, &id, session, now));
	identity_release(&id);
	return payload;
}

/* The intake took an alias (edit: identity_edit_aliased; from now on the events captured
 * before the link may go out under the principal), or refused it for good
 * (identity_edit_alias_refused). */
static void alias_answered(struct sender *s, const json_t *record, identity_edit_fn edit)
{
	struct link_request req = {.principal = json_string_value(json_object_get(record, "principal"))};
	struct identity id;
	snprintf(req.anon, sizeof req.anon, "%s", json_string_value(json_object_get(record, "anon_id")));
	if (req.principal && identity_update(s->cfg.identity_file, s->cfg.identity_shared, edit, &req, NULL, &id) == 0)
		identity_release(&id);
}

/* An OTLP intake that took the request but rejected some records says so in partialSuccess
 * (they would be rejected again: not retried): noted in sent.log. */
static void log_partial_success(struct sender *s, const struct http_result *res, json_t *uuids)
{
	char *why = request_otlp_rejected(res->body, res->body ? res->body_len : 0);
	if (why) {
		sentlog_append(s->cfg.state_dir, backend(s), "partial", uuids, res->status, why);
		trace("%s", why);
		free(why);
	}
}

/* A copy of what the intake accepted, for the person at the keyboard (history.h). */
static void remember_sent(struct sender *s, const struct request *r, const char *stamp, long status)
{
	json_t *entry = json_pack("{s:s, s:s}", "time", stamp, "backend", backend(s));
	json_t *shown = request_shown(r);
	json_object_update(entry, shown);
	json_object_set_new(entry, "status", json_integer(status));
	history_append(s->cfg.state_dir, entry);
	json_decref(shown);
	json_decref(entry);
}

/* Send the payload; the answer in res. Whether the request had less time than a request
 * is given (the deadline is near): then a request that got no answer says nothing about
 * the intake. */
static bool send_payload(struct sender *s, json_t *payload, struct http_result *res)
{
	memset(res, 0, sizeof *res);
	if (s->cfg.backend == BACKEND_FILE) {
		res->status = append_file(s, payload, res->error, sizeof res->error);
		return false;
	}
	struct request r;
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp); /* sent_at: fresh on every attempt */
	request_delivery(&r, &s->cfg, payload, stamp);
	if (trace_on)
		request_print(stderr, &r, true);
	long limit = budget_limit(&s->budget, REQUEST_LIMIT_MS);
	(void)http_perform(&r, limit, res);
	if (res->status >= 200 && res->status < 300)
		remember_sent(s, &r, stamp, res->status);
	request_free(&r);
	return limit < REQUEST_LIMIT_MS;
}

/* Deliver items in one request. A 413, or a 400 that one bad record may have caused, is
 * split in halves until the record at fault travels alone and is dropped. */
static enum outcome deliver(struct sender *s, struct item *items, size_t n)
{
	/* every request, the second half of a split one too: libcurl reads a timeout of 0 as
	 * "never" and a negative one as an error */
	if (budget_left(&s->budget) < MIN_REQUEST_MS + BUDGET_MARGIN_MS) {
		trace("deadline: %zu event(s) stay queued", n);
		s->out_of_time = true;
		return STOP;
	}
	struct session session = s->session;
	json_t *payload = payload_of(s, items, n, &session);
	struct http_result res;
	bool cut_short = send_payload(s, payload, &res);
	json_decref(payload);
	trace("answer: %s%ld%s%s", res.status ? "HTTP " : "", res.status, res.error[0] ? " " : "", res.error);

	json_t *uuids = uuids_of(items, n);
	enum outcome out = DONE;
	if (res.status >= 200 && res.status < 300) {
		for (size_t i = 0; i < n; i++)
			(void)queue_remove(s->cfg.state_dir, items[i].entry);
		forced_done(s, items, n);
		if (!strcmp(record_type(items[0].record), RECORD_ALIAS))
			alias_answered(s, items[0].record, identity_edit_aliased);
		s->session = session;
		if (session_save(s->cfg.state_dir, &session) != 0)
			trace("cannot save the session: %s", strerror(errno));
		backoff_succeeded(s->cfg.state_dir, n, res.status);
		sentlog_append(s->cfg.state_dir, backend(s), "delivered", uuids, res.status, NULL);
		if (s->cfg.backend == BACKEND_OTLP)
			log_partial_success(s, &res, uuids);
	} else if ((res.status == 413 || res.status == 400) && n > 1) {
		sentlog_append(s->cfg.state_dir, backend(s), "split", uuids, res.status, NULL);
		out = deliver(s, items, n / 2);
		if (out == DONE)
			out = deliver(s, items + n / 2, n - n / 2);
	} else if (res.status == 0 && cut_short) {
		/* our own deadline ended it, not the intake: no backoff, a successor goes on */
		sentlog_append(s->cfg.state_dir, backend(s), "retry", uuids, 0, res.error);
		trace("the deadline cut the request short: %zu event(s) stay queued", n);
		s->out_of_time = true;
		out = STOP;
	} else if (retryable(res.status) || (res.status >= 300 && res.status < 400)) {
		char *why = res.location ? xasprintf("redirected to %s: fix the intake URL", res.location)
		                         : xstrdup(res.error);
		long long wait = backoff_failed(s->cfg.state_dir, n, res.status, *why ? why : NULL, res.retry_after);
		sentlog_append(s->cfg.state_dir, backend(s), "retry", uuids, res.status, *why ? why : NULL);
		trace("keeping %zu event(s); backoff %lld ms", n, wait);
		free(why);
		out = STOP;
	} else {
		drop(s, items, n, res.status, "rejected by the intake");
		if (!strcmp(record_type(items[0].record), RECORD_ALIAS))
			alias_answered(s, items[0].record, identity_edit_alias_refused);
	}
	json_decref(uuids);
	http_result_free(&res);
	return out;
}

static void items_free(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].record);
		queue_entries_free(items[i].entry, 1);
	}
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
 * below a full request, wait a moment (at most LINGER_MAX_MS) before sending. */
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

/* One pass: the next request's worth of records, oldest first. DONE when the queue is
 * empty, STOP on backoff or deadline. */
static enum outcome drain_once(struct sender *s, bool *empty)
{
	struct queue_entry *e;
	size_t n;
	*empty = false;
	if (queue_list(s->cfg.state_dir, &e, &n) != 0)
		return STOP;
	enforce_bounds(s, e, &n);
	if (n == 0) {
		queue_entries_free(e, n);
		*empty = true;
		return DONE;
	}
	if (!s->ignore_backoff && backoff_active(s->cfg.state_dir)) {
		trace("intake in backoff: %zu event(s) stay queued", n);
		queue_entries_free(e, n);
		return STOP;
	}
	if (budget_left(&s->budget) < MIN_REQUEST_MS + 500) {
		trace("deadline: %zu event(s) stay queued", n);
		s->out_of_time = true;
		queue_entries_free(e, n);
		return STOP;
	}
	if (!s->lazy_checked && !s->forced_only) {
		/* accounts first, oldest first: what each event was captured under, then what the
		 * credentials say now */
		queue_entries_free(e, n);
		s->lazy_checked = true;
		while (accounts_resolve_captured(&s->cfg, &s->budget))
			;
		accounts_link_lazy(&s->cfg, &s->budget);
		return DONE;
	}
	linger(s, &e, &n);

	size_t max = max_per_request(s), count = 0, bytes = 0;
	struct item *items = xcalloc(max, sizeof *items);
	for (size_t i = 0; i < n && count < max; i++) {
		json_t *rec = load_record(s, &e[i]);
		if (!rec)
			continue;
		if (s->forced_only && !record_forced(rec)) {
			json_decref(rec); /* held, or left by a disable: not ours to send now */
			continue;
		}
		bool plain = strcmp(record_type(rec), RECORD_EVENT) == 0 && !record_credentials(rec);
		/* aliases and logins to resolve travel alone, in queue order */
		if ((!plain && count > 0) || bytes + e[i].size > MAX_BODY_BYTES - 4096) {
			json_decref(rec);
			break;
		}
		items[count++] = (struct item){rec, queue_entry_dup(&e[i])};
		bytes += e[i].size;
		if (!plain)
			break;
	}
	queue_entries_free(e, n);
	const char *type = count ? record_type(items[0].record) : NULL;
	enum outcome out = DONE;
	if (!type && s->forced_only)
		*empty = true; /* nothing the person asked to send is left */
	else if (!type)
		; /* every file was unreadable (and is gone now) */
	else if (record_credentials(items[0].record))
		(void)accounts_resolve_captured(&s->cfg, &s->budget); /* captured since this run began */
	else if (!strcmp(type, RECORD_LOGIN))
		accounts_resolve_login(&s->cfg, &s->budget, items[0].record, items[0].entry);
	else if (!strcmp(type, RECORD_ALIAS) && !conf_has_aliases(&s->cfg))
		drop(s, items, 1, 0, "aliases do not apply to datadog");
	else if (strcmp(type, RECORD_EVENT) != 0 && strcmp(type, RECORD_ALIAS) != 0)
		drop(s, items, 1, 0, "unknown record type");
	else if (!strcmp(type, RECORD_EVENT) && !s->alias_restored && restore_alias(s, items, count))
		; /* the alias goes first, on the next round */
	else
		out = deliver(s, items, count);
	items_free(items, count);
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

int main(int argc, char **argv)
{
	const char *app = NULL, *config = NULL, *proto = NULL;
	bool detached = false, foreground = false;
	struct sender s = {.argv = argv, .watch = -1};
	compat_main(&argc, &argv); /* the foreground starts us by our full path: a successor's too */

#ifndef _WIN32
	for (int sig = 1; sig < compat_signal_count(); sig++) /* a caller's ignored SIGALRM would survive exec */
		signal(sig, SIG_DFL);
#endif
	compat_deadline(SENDER_DEADLINE_S); /* whatever happens, this process is gone within 10 s */
	s.budget.deadline = mono_ms() + SOFT_DEADLINE_MS;
#ifndef _WIN32
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file-size limit fails the write (and it is rolled back) */
#endif
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], SENDER_ARG_APP) && i + 1 < argc)
			app = argv[++i];
		else if (!strcmp(argv[i], SENDER_ARG_CONFIG) && i + 1 < argc)
			config = argv[++i];
		else if (!strcmp(argv[i], SENDER_ARG_DETACHED))
			detached = true;
		else if (!strcmp(argv[i], SENDER_ARG_FOREGROUND))
			foreground = true;
		else if (!strcmp(argv[i], SENDER_ARG_DEBUG))
			trace_on = true;
		else if (!strcmp(argv[i], SENDER_ARG_IGNORE_BACKOFF))
			s.ignore_backoff = true;
		else if (!strcmp(argv[i], SENDER_ARG_PROTO) && i + 1 < argc)
			proto = argv[++i];
		else
			return usage();
	}
	if (!app || !config || detached == foreground)
		return usage();
	if (!proto || strcmp(proto, SENDER_PROTO_TEXT) != 0) {
		/* usage-report and its sender from two different installs: touch nothing */
		trace("this sender speaks protocol %d, usage-report %s: nothing done (reinstall usage-report)",
		      SENDER_PROTO_VERSION, proto ? proto : "(none given)");
		return 0;
	}

	conf_load(&s.cfg, app, config);
	int lock = -1;
	bool disabled = consent_persisted(s.cfg.state_dir) == 0;
	bool held = notice_state(&s.cfg) == NOTICE_PENDING;
	s.forced_only = (disabled || held) && queue_forced_pending(s.cfg.state_dir);
	if (!s.cfg.backend_ready || (disabled && !s.forced_only) || s.cfg.policy_off) {
		trace("nothing to deliver: %s", !s.cfg.backend_ready ? "no backend"
		                                : s.cfg.policy_off  ? "the administrator's policy"
		                                                    : "reporting disabled");
		goto out;
	}
	if (detached) {
		/* What the caller's process would not give a background job: files for us alone,
		 * and the CPU only when the user's next command does not want it. */
		umask(077);
		compat_background_priority();
		s.stay_idle = true;
#ifdef _WIN32
		/* handed no lock (spawn.c): taken here, or another sender delivers */
		char *path = path_join(s.cfg.state_dir, SENDER_LOCK_FILE);
		lock = fs_lock(path, COMPAT_LOCK_EXCLUSIVE | COMPAT_LOCK_NOWAIT);
		free(path);
		if (lock < 0) {
			trace("a sender is running: it delivers");
			goto out;
		}
#else
		lock = SENDER_LOCK_FD;
		if (fcntl(lock, F_SETFD, FD_CLOEXEC) != 0)
			goto out;
#endif
	} else {
		char *path = path_join(s.cfg.state_dir, SENDER_LOCK_FILE);
		lock = fs_lock_wait(path, (int)(budget_left(&s.budget) - 2000));
		free(path);
		if (lock < 0) {
			trace("cannot take the sender lock: %s", strerror(errno));
			goto out;
		}
	}
	struct identity settled = {0}; /* a logout's reset that could not be written at the time */
	if (identity_settle_reset(s.cfg.identity_file, s.cfg.identity_shared, s.cfg.state_dir, true, &settled) == 1)
		trace("a logout's identity reset still waits: %s", strerror(errno));
	identity_release(&settled);
	if (held && !s.forced_only) {
		trace("nothing delivered: events are held until the notice is shown");
		keep_within_bounds(&s);
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto out;
	queue_sweep(s.cfg.state_dir);
	session_load(s.cfg.state_dir, &s.session);
	drain_while_queued(&s, lock);
	curl_global_cleanup();
out:
	compat_watch_close(s.watch);
	if (lock >= 0)
		close(lock);
	conf_free(&s.cfg);
	return 0;
}
