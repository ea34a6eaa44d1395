/* delivery.c — see delivery.h. */
#include "config.h"
#include "delivery.h"
#include "backoff.h"
#include "filesink.h"
#include "history.h"
#include "http.h"
#include "identity.h"
#include "record.h"
#include "request.h"
#include "sentlog.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_LIMIT_MS 5000L

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

void delivery_drop(struct sender *s, struct item *items, size_t n, long status, const char *why)
{
	json_t *uuids = uuids_of(items, n);
	sentlog_append(s->cfg.state_dir, sender_backend(s), "dropped", uuids, status, why);
	json_decref(uuids);
	for (size_t i = 0; i < n; i++)
		(void)queue_remove(s->cfg.state_dir, items[i].entry);
	forced_done(s, items, n);
	trace("dropped %zu event(s): %s", n, why);
}

/* Whether an answer says "later" (design.md §4.5, §5.4): for every backend, OTLP included (a
 * collector that restarts answers 500: its data is kept, unlike the exporters' default). */
static bool retryable(long status)
{
	return status == 0 || status == 408 || status == 429 || status >= 500;
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
static void alias_answered(struct sender *s, const struct record *record, identity_edit_fn edit)
{
	struct link_request req = {.principal = record_principal_captured(record)};
	struct identity id;
	snprintf(req.anon, sizeof req.anon, "%s", record_anon(record));
	if (req.principal && identity_update(s->cfg.identity_file, s->cfg.identity_shared, edit, &req, NULL, &id) == 0)
		identity_release(&id);
}

/* An OTLP intake that took the request but rejected some records says so in partialSuccess
 * (they would be rejected again: not retried): noted in sent.log. */
static void log_partial_success(struct sender *s, const struct http_result *res, json_t *uuids)
{
	char *why = request_otlp_rejected(res->body, res->body ? res->body_len : 0);
	if (why) {
		sentlog_append(s->cfg.state_dir, sender_backend(s), "partial", uuids, res->status, why);
		trace("%s", why);
		free(why);
	}
}

/* A copy of what the intake accepted, for the person at the keyboard (history.h). */
static void remember_sent(struct sender *s, const struct request *r, const char *stamp, long status)
{
	json_t *entry = json_pack("{s:s, s:s}", "time", stamp, "backend", sender_backend(s));
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
		res->status = filesink_append(s->cfg.file_path, payload, res->error, sizeof res->error);
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

enum outcome delivery_send(struct sender *s, struct item *items, size_t n)
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
		json_t *kept = session_json(&session);
		backoff_succeeded(s->cfg.state_dir, n, res.status, kept);
		json_decref(kept);
		sentlog_append(s->cfg.state_dir, sender_backend(s), "delivered", uuids, res.status, NULL);
		if (s->cfg.backend == BACKEND_OTLP)
			log_partial_success(s, &res, uuids);
	} else if ((res.status == 413 || res.status == 400) && n > 1) {
		sentlog_append(s->cfg.state_dir, sender_backend(s), "split", uuids, res.status, NULL);
		out = delivery_send(s, items, n / 2);
		if (out == DONE)
			out = delivery_send(s, items + n / 2, n - n / 2);
	} else if (res.status == 0 && cut_short) {
		/* our own deadline ended it, not the intake: no backoff, a successor goes on */
		sentlog_append(s->cfg.state_dir, sender_backend(s), "retry", uuids, 0, res.error);
		trace("the deadline cut the request short: %zu event(s) stay queued", n);
		s->out_of_time = true;
		out = STOP;
	} else if (retryable(res.status) || (res.status >= 300 && res.status < 400)) {
		char *why = res.location ? xasprintf("redirected to %s: fix the intake URL", res.location)
		                         : xstrdup(res.error);
		long long wait = backoff_failed(s->cfg.state_dir, n, res.status, *why ? why : NULL, res.retry_after);
		sentlog_append(s->cfg.state_dir, sender_backend(s), "retry", uuids, res.status, *why ? why : NULL);
		trace("keeping %zu event(s); backoff %lld ms", n, wait);
		free(why);
		out = STOP;
	} else {
		delivery_drop(s, items, n, res.status, "rejected by the intake");
		if (!strcmp(record_type(items[0].record), RECORD_ALIAS))
			alias_answered(s, items[0].record, identity_edit_alias_refused);
	}
	json_decref(uuids);
	http_result_free(&res);
	return out;
}

void delivery_items_free(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		record_free(items[i].record);
		queue_entries_free(items[i].entry, 1);
	}
}
