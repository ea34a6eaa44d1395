/* capture.c — the foreground path of track, login, logout and exec. */
#include "config.h"
#include "capture.h"
#include "consent.h"
#include "event.h"
#include "record.h"
#include "fsutil.h"
#include "identity.h"
#include "queue.h"
#include "spawn.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void print_notice(const struct conf *cfg)
{
	fprintf(stderr,
	        "%s collects anonymous usage data (the command name, its outcome, exit code and "
	        "duration, the tool and OS versions, whether it runs in CI, and a random id) to "
	        "improve the tool; never arguments, paths or file contents. Turn it off with "
	        "'usage-report --app %s disable' or by setting DO_NOT_TRACK=1%s%s.\n",
	        cfg->app, cfg->app, cfg->tracking_env ? " or " : "",
	        cfg->tracking_env ? cfg->tracking_env : "");
	if (cfg->tracking_env)
		fprintf(stderr, "(%s=0 also turns it off.)\n", cfg->tracking_env);
}

/* The identity, created when missing (*first_run) or corrupt. */
static int load_identity(const struct conf *cfg, struct identity *id, bool *first_run)
{
	*first_run = false;
	if (identity_read(cfg->identity_file, id) == 0)
		return 0;
	if (errno != ENOENT && errno != EINVAL)
		return -1; /* unreadable or not a file: never replaced */
	trace("identity %s: %s", cfg->identity_file, errno == ENOENT ? "none yet" : "not an identity");
	return identity_update(cfg->identity_file, cfg->identity_shared, NULL, NULL, first_run, id);
}

/* Queue record (reference stolen); aliases go before every pending event. */
static int enqueue(const struct conf *cfg, json_t *record)
{
	char *text = json_dumps(record, JSON_COMPACT);
	size_t size = text ? strlen(text) : 0;
	int rc = -1;
	if (!text)
		trace("cannot serialise the event");
	else if (size > MAX_EVENT_BYTES)
		trace("event of %zu bytes is over the %d byte limit: dropped", size, MAX_EVENT_BYTES);
	else if ((rc = queue_put_text(cfg->state_dir, text, record_uuid(record),
	                              !strcmp(json_string_value(json_object_get(record, "type")), RECORD_ALIAS))) != 0)
		trace("cannot queue the event in '%s': %s", cfg->state_dir, strerror(errno));
	else
		trace("queued %s event %s", json_string_value(json_object_get(record, "type")), record_uuid(record));
	free(text);
	json_decref(record);
	return rc;
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
	if (e->req.alias_needed && conf_has_aliases(e->cfg))
		enqueue(e->cfg, record_new(RECORD_ALIAS, e->req.anon, e->req.principal, event_build_alias()));
	return changed;
}

/* login --principal-id: alias and link now (file writes), then the login event. */
static int capture_login_with_id(const struct capture_request *req, const struct conf *cfg, struct identity *id, bool record_event)
{
	struct login_edit edit = {.req = {.principal = req->principal, .via = "login"}, .cfg = cfg};
	struct identity linked;
	if (identity_update(cfg->identity_file, cfg->identity_shared, edit_link_and_alias, &edit, NULL, &linked) != 0)
		return -1;
	if (record_event)
		enqueue(cfg, record_new(RECORD_EVENT, identity_anon(&linked), req->principal, event_build(cfg, req->ev)));
	identity_release(id);
	*id = linked;
	return 0;
}

static int capture_logout(const struct capture_request *req, const struct conf *cfg, struct identity *id, bool record_event)
{
	if (record_event)
		enqueue(cfg, record_new(RECORD_EVENT, identity_anon(id), identity_principal(id), event_build(cfg, req->ev)));
	struct identity fresh;
	char *signature = conf_has_auth(cfg) ? fs_stat_signature(cfg->auth_credentials_file) : NULL;
	int rc = identity_update(cfg->identity_file, cfg->identity_shared, identity_edit_logout, signature, NULL, &fresh);
	free(signature);
	if (rc != 0)
		return -1;
	trace("identity reset: new anonymous id %s", identity_anon(&fresh));
	identity_release(&fresh);
	return 0;
}

int capture(const struct conf *cfg, const struct capture_request *req)
{
	struct identity id = {0};
	bool first_run = false;

	if (!consent_allows(cfg))
		return 0;
	if (fs_safe_dir(cfg->state_dir, true) != 0) {
		trace("state folder '%s' refused: %s", cfg->state_dir, strerror(errno));
		return 0;
	}
	if (load_identity(cfg, &id, &first_run) != 0) {
		trace("cannot keep identity '%s': %s", cfg->identity_file, strerror(errno));
		return 0;
	}
	trace("identity: anon_id %s, linked principal %s", identity_anon(&id),
	      identity_principal(&id) ? identity_principal(&id) : "none");
	bool record_event = !(first_run && cfg->notice);
	if (!record_event) {
		print_notice(cfg);
		trace("first run: notice shown, this run's event is not recorded");
	}

	int rc = 0;
	if (req->kind == CAPTURE_LOGIN && req->principal)
		rc = capture_login_with_id(req, cfg, &id, record_event);
	else if (req->kind == CAPTURE_LOGIN)
		rc = enqueue(cfg, record_new(RECORD_LOGIN, identity_anon(&id), NULL, event_build(cfg, req->ev)));
	else if (req->kind == CAPTURE_LOGOUT)
		rc = capture_logout(req, cfg, &id, record_event);
	else if (record_event)
		rc = enqueue(cfg, record_new(RECORD_EVENT, identity_anon(&id), identity_principal(&id),
		                             event_build(cfg, req->ev)));
	else
		rc = -1; /* nothing queued: nothing to deliver */
	identity_release(&id);
	if (rc != 0)
		return 0;

	if (req->mode != DELIVER_DETACHED) {
		if (sender_run(cfg, req->mode == DELIVER_DEBUG, false) < 0)
			trace("cannot run the sender: %s", strerror(errno));
	} else if (sender_start_detached(cfg) != 0) {
		trace("cannot start the sender: %s", strerror(errno));
	}
	return 0;
}
