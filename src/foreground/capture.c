/* capture.c — the foreground path of track, login, logout and exec. */
#include "config.h"
#include "capture.h"
#include "consent.h"
#include "credsnap.h"
#include "event.h"
#include "record.h"
#include "fsutil.h"
#include "history.h"
#include "identity.h"
#include "notice.h"
#include "queue.h"
#include "rate.h"
#include "spawn.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Show the notice where it can be read. While it is pending the run's event is held: the
 * sender this run starts anyway only keeps the held events within the queue's bounds. */
static void show_notice(const struct conf *cfg)
{
	if (notice_show(cfg, STDERR_FILENO, cfg->notice, "stderr", false) == NOTICE_PENDING)
		trace("events are held until the notice is shown");
}

/* The identity as usage.json holds it, created when missing or corrupt. */
static int read_identity(const struct conf *cfg, struct identity *id)
{
	if (identity_read(cfg->identity_file, id) == 0)
		return 0;
	if (errno == ENOENT) {
		trace("identity %s: none yet", cfg->identity_file);
		return identity_create(cfg->identity_file, id); /* no lock: of several first runs, one makes it */
	}
	if (errno != EINVAL)
		return -1; /* unreadable or not a file: never replaced */
	trace("identity %s: not an identity", cfg->identity_file);
	return identity_try_update(cfg->identity_file, cfg->identity_shared, NULL, NULL, NULL, id);
}

static void queue_alias(const struct link_request *req, void *cfg);

/* The identity this run captures under: usage.json with a logout's reset and the logins
 * that wait applied, now or as they will be (design.md §4.2). 0, 1 when logins still wait,
 * -1 when there is none. */
static int load_identity(const struct conf *cfg, struct identity *id)
{
	if (identity_settle_reset(cfg->identity_file, cfg->identity_shared, cfg->state_dir, false, id) == 0 &&
	    read_identity(cfg, id) != 0)
		return -1;
	if (identity_settle_logins(cfg->identity_file, cfg->identity_shared, cfg->state_dir, false, queue_alias,
	                           (void *)cfg, id) != 1)
		return 0;
	trace("a login waits for usage.json's lock: captured as it will be");
	return 1;
}

/* [auth] (design.md §4.2, the identity of capture): when the credentials file exists but the
 * identity was not linked with it as it is now, the record names a copy of it, so that the
 * sender resolves the account this run was captured under, even after a logout or an
 * account switch. One stat, and one lstat once the copy exists. */
static struct record *with_credentials(const struct conf *cfg, const struct identity *id, struct record *record)
{
	char *signature = conf_has_auth(cfg) ? fs_stat_signature(cfg->auth_credentials_file) : NULL;
	if (signature && !identity_covers_credentials(id, signature)) {
		char *name = credsnap_take(cfg, signature);
		if (name)
			record_set_credentials(record, name);
		else
			trace("cannot keep a copy of the credentials: %s", strerror(errno));
		free(name);
	}
	free(signature);
	return record;
}

/* Queue record (freed here); aliases go before every pending event. */
static int enqueue(const struct conf *cfg, struct record *record)
{
	char *text = record_text(record);
	size_t size = text ? strlen(text) : 0;
	int rc = -1;
	if (!text)
		trace("cannot serialise the event");
	else if (size > MAX_EVENT_BYTES)
		trace("event of %zu bytes is over the %d byte limit: dropped", size, MAX_EVENT_BYTES);
	else if ((rc = queue_put_text(cfg->state_dir, text, record_uuid(record),
	                              !strcmp(record_type(record), RECORD_ALIAS))) != 0)
		trace("cannot queue the event in '%s': %s", cfg->state_dir, strerror(errno));
	else
		trace("queued %s event %s", record_type(record), record_uuid(record));
	free(text);
	record_free(record);
	return rc;
}

/* identity_alias_fn: the alias principal <- anon, queued before every pending event. */
static void queue_alias(const struct link_request *req, void *cfg)
{
	if (conf_has_aliases(cfg))
		enqueue(cfg, record_new(RECORD_ALIAS, req->anon, req->principal, event_build_alias()));
}

struct login_edit {
	struct link_request req;
	const struct conf *cfg;
};

/* Under the identity lock: link, and queue the alias before the link is written, so that
 * no event captured under the principal can be queued (or sent) ahead of its alias. */
static int edit_link_and_alias(json_t *doc, void *arg)
{
	struct login_edit *e = arg;
	int changed = identity_edit_link(doc, &e->req);
	if (e->req.alias_needed)
		queue_alias(&e->req, (void *)e->cfg);
	return changed;
}

/* login --principal-id: alias and link now (file writes), then the login event. When another
 * process holds the identity's lock, the foreground does not wait: the login waits in
 * login.json, this and later runs capture under it, and the sender (or the first run that
 * can take the lock) links and aliases it before anything captured under it goes. */
static int capture_login_with_id(const struct capture_request *req, const struct conf *cfg, struct identity *id,
                                 bool logins_wait)
{
	struct login_edit edit = {.req = {.principal = req->principal, .via = "login"}, .cfg = cfg};
	struct identity linked;
	/* behind logins that wait it waits too: they are applied first, in order */
	if (logins_wait ||
	    identity_try_update(cfg->identity_file, cfg->identity_shared, edit_link_and_alias, &edit, NULL, &linked) != 0) {
		if (!logins_wait && errno != ETIMEDOUT)
			return -1;
		if (identity_login_waits(cfg->state_dir, req->principal, id) != 0)
			trace("cannot note the login that waits: %s", strerror(errno));
		trace("identity locked by another process: the login of %s waits", req->principal);
		return enqueue(cfg, record_new(RECORD_LOGIN, identity_anon(id), req->principal, event_build(cfg, req->ev)));
	}
	enqueue(cfg, record_new(RECORD_EVENT, identity_anon(&linked), req->principal, event_build(cfg, req->ev)));
	identity_release(id);
	*id = linked;
	return 0;
}

static int capture_logout(const struct capture_request *req, const struct conf *cfg, struct identity *id)
{
	struct record *record = record_new(RECORD_EVENT, identity_anon(id), identity_principal(id), event_build(cfg, req->ev));
	record_set_ends_session(record);
	enqueue(cfg, with_credentials(cfg, id, record));
	struct identity fresh;
	char *signature = conf_has_auth(cfg) ? fs_stat_signature(cfg->auth_credentials_file) : NULL;
	if (identity_note_earlier(cfg->state_dir, id) != 0) /* for forget to name it */
		trace("cannot note the anonymous id that ends: %s", strerror(errno));
	int rc = identity_logout(cfg->identity_file, cfg->identity_shared, cfg->state_dir, signature, &fresh);
	free(signature);
	if (rc < 0)
		return -1;
	trace("identity reset%s: new anonymous id %s", rc ? " waits (usage.json cannot be rewritten now)" : "",
	      identity_anon(&fresh));
	identity_release(&fresh);
	return 0;
}

/* The forget event: every id this device is known by (earlier ones, and the current anonymous
 * id and linked account, added to ids), for the CLI's owner to delete at the vendor. */
static struct record *forget_record(const struct conf *cfg, const struct identity *id, json_t *ids)
{
	struct event_input ev = {0};
	ev.command = xstrdup("usage-report forget");
	ev.event_name = xstrdup(cfg->event_forget);
	ev.props = xcalloc(2, sizeof *ev.props);
	ev.props[ev.n_props++] = (struct prop){xstrdup("forget_anon_ids"), json_incref(json_object_get(ids, "anon_ids"))};
	ev.props[ev.n_props++] = (struct prop){xstrdup("forget_principal_ids"),
	                                       json_incref(json_object_get(ids, "principal_ids"))};
	struct record *record = record_new(RECORD_EVENT, identity_anon(id), identity_principal(id), event_build(cfg, &ev));
	event_input_free(&ev);
	record_set_forced(record); /* the person asked: never held, sent even once disabled */
	record_set_ends_session(record);
	return record;
}

/* "a, b and c" of a list of ids. */
static void print_ids(json_t *list)
{
	size_t i, n = json_array_size(list);
	json_t *v;
	json_array_foreach(list, i, v)
		printf("%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", json_string_value(v));
}

static void print_forgotten(const struct conf *cfg, json_t *ids, bool disabled)
{
	printf("forget requested for %s: the queue and the history are discarded, and the owner of %s is "
	       "asked to delete what was sent under the anonymous id(s) ", cfg->app, cfg->app);
	print_ids(json_object_get(ids, "anon_ids"));
	if (json_array_size(json_object_get(ids, "principal_ids"))) {
		printf(" and the account(s) ");
		print_ids(json_object_get(ids, "principal_ids"));
	}
	printf(".\n%s\n", disabled ? "usage reporting is now off (that one request still goes)."
	                             : "a new anonymous id starts now.");
}

int capture_forget(const struct conf *cfg, bool disable_after, enum delivery_mode mode)
{
	struct consent c;
	consent_decide(cfg, &c);
	if (!c.enabled) {
		fprintf(stderr, "usage-report: reporting is off (%s): nothing was sent\n", c.source);
		return FORGET_OFF;
	}
	struct identity id = {0};
	if (fs_safe_dir(cfg->state_dir, true) != 0 || load_identity(cfg, &id) < 0) {
		fprintf(stderr, "usage-report: cannot read this device's identity in '%s': %s\n", cfg->state_dir, strerror(errno));
		return 1;
	}
	json_t *ids = identity_earlier(cfg->state_dir);
	json_array_append_new(json_object_get(ids, "anon_ids"), json_string(identity_anon(&id)));
	if (identity_principal(&id))
		json_array_append_new(json_object_get(ids, "principal_ids"), json_string(identity_principal(&id)));
	queue_purge(cfg->state_dir); /* an earlier forget request stays: it names older ids */
	history_remove(cfg->state_dir);
	credsnap_purge(cfg);
	int rc = enqueue(cfg, forget_record(cfg, &id, ids));
	if (rc == 0 && queue_mark_forced(cfg->state_dir) != 0)
		trace("cannot mark the forget request: %s", strerror(errno));
	if (rc == 0) {
		identity_clear_earlier(cfg->state_dir);
		struct identity fresh;
		if (identity_logout(cfg->identity_file, cfg->identity_shared, cfg->state_dir, NULL, &fresh) >= 0)
			identity_release(&fresh);
		if (disable_after && consent_persist(cfg->state_dir, false) != 0)
			fprintf(stderr, "usage-report: cannot save the choice in '%s': %s\n", cfg->state_dir, strerror(errno));
		print_forgotten(cfg, ids, disable_after);
		fflush(stdout);
		if (mode != DELIVER_DETACHED ? spawn_sender_wait(cfg, mode == DELIVER_DEBUG, false) < 0 : spawn_sender_detached(cfg) != 0)
			trace("cannot start the sender: %s", strerror(errno));
	} else {
		fprintf(stderr, "usage-report: cannot queue the forget request in '%s': %s\n", cfg->state_dir, strerror(errno));
	}
	json_decref(ids);
	identity_release(&id);
	return rc == 0 ? 0 : 1;
}

int capture(const struct conf *cfg, const struct capture_request *req)
{
	struct identity id = {0};

	/* at level errors a success records nothing at all, as when off; a login or logout
	 * always keeps the identity right */
	if (!consent_records(cfg, req->kind != CAPTURE_TRACK || !strcmp(event_outcome(req->ev), "failure"))) {
		/* nothing recorded; but after forget --disable its request may still be to deliver
		 * (the sender then sends that alone) */
		if (req->mode == DELIVER_DETACHED && queue_forced_pending(cfg->state_dir) &&
		    consent_persisted(cfg->state_dir) == 0 && spawn_sender_detached(cfg) != 0)
			trace("cannot start the sender: %s", strerror(errno));
		return 0;
	}
	if (fs_safe_dir(cfg->state_dir, true) != 0) {
		trace("state folder '%s' refused: %s", cfg->state_dir, strerror(errno));
		return 0;
	}
	int loaded = load_identity(cfg, &id);
	if (loaded < 0) {
		trace("cannot keep identity '%s': %s", cfg->identity_file, strerror(errno));
		return 0;
	}
	trace("identity: anon_id %s, linked principal %s", identity_anon(&id),
	      identity_principal(&id) ? identity_principal(&id) : "none");
	show_notice(cfg);

	/* the cap counts runs; a login's or logout's account change always happens */
	struct event_input ev = *req->ev;
	if (req->kind == CAPTURE_TRACK && !rate_admit(cfg, &ev.rate_limited)) {
		identity_release(&id);
		return 0;
	}
	struct capture_request counted = *req;
	counted.ev = &ev;
	req = &counted;

	int rc = 0;
	if (req->kind == CAPTURE_LOGIN && req->principal)
		rc = capture_login_with_id(req, cfg, &id, loaded == 1);
	else if (req->kind == CAPTURE_LOGIN)
		rc = enqueue(cfg, with_credentials(cfg, &id, record_new(RECORD_LOGIN, identity_anon(&id), NULL,
		                                                        event_build(cfg, req->ev))));
	else if (req->kind == CAPTURE_LOGOUT)
		rc = capture_logout(req, cfg, &id);
	else
		rc = enqueue(cfg, with_credentials(cfg, &id, record_new(RECORD_EVENT, identity_anon(&id),
		                                                        identity_principal(&id), event_build(cfg, req->ev))));
	identity_release(&id);
	if (rc != 0)
		return 0;

	if (req->mode != DELIVER_DETACHED) {
		if (spawn_sender_wait(cfg, req->mode == DELIVER_DEBUG, false) < 0)
			trace("cannot run the sender: %s", strerror(errno));
	} else if (spawn_sender_detached(cfg) != 0) {
		trace("cannot start the sender: %s", strerror(errno));
	}
	return 0;
}
