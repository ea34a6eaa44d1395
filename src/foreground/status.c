/* status.c — the status, enable, disable and flush subcommands. */
#include "config.h"
#include "status.h"
#include "consent.h"
#include "credsnap.h"
#include "backoff.h"
#include "fsutil.h"
#include "history.h"
#include "identity.h"
#include "notice.h"
#include "queue.h"
#include "rate.h"
#include "record.h"
#include "session.h"
#include "spawn.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

/* Everything status reports, as one object (new reference). */
static json_t *status_object(const struct conf *cfg)
{
	struct consent c;
	struct identity id = {0};
	consent_decide(cfg, &c);
	bool have_id = identity_read(cfg->identity_file, &id) == 0;
	long queued = queue_count(cfg->state_dir);
	char *endpoint = conf_endpoint(cfg);

	json_t *s = json_object();
	json_object_set_new(s, "enabled", json_boolean(c.enabled));
	json_object_set_new(s, "source", json_string(c.source));
	json_object_set_new(s, "level", json_string(conf_level_name(c.level)));
	json_object_set_new(s, "level_source", json_string(c.level_source));
	json_object_set_new(s, "app", json_string(cfg->app));
	json_object_set_new(s, "backend", cfg->backend_ready ? json_string(backend_name(cfg->backend)) : json_null());
	json_object_set_new(s, "endpoint", cfg->backend_ready && endpoint ? json_string(endpoint)
	                                   : cfg->backend_ready && cfg->file_path ? json_string(cfg->file_path)
	                                                                          : json_null());
	json_object_set_new(s, "anon_id", have_id ? json_string(identity_anon(&id)) : json_null());
	json_object_set_new(s, "linked_principal_id",
	                    have_id && identity_principal(&id) ? json_string(identity_principal(&id)) : json_null());
	json_t *meta = have_id ? identity_meta(&id) : NULL;
	json_object_set_new(s, "link", meta ? json_deep_copy(meta) : json_null());
	json_object_set_new(s, "queued", json_integer(queued < 0 ? 0 : queued));
	enum notice_state notice = notice_state(cfg);
	json_object_set_new(s, "notice", json_string(notice_state_name(notice)));
	json_object_set_new(s, "held", json_integer(notice == NOTICE_PENDING && queued > 0 ? queued : 0));
	json_object_set_new(s, "max_per_minute", json_integer(cfg->max_per_minute));
	json_object_set_new(s, "rate_limited", json_integer(rate_pending(cfg)));
	struct session session;
	session_load(cfg->state_dir, &session);
	json_object_set_new(s, "session_id", *session.id && !session.ended ? json_string(session.id) : json_null());
	json_object_set_new(s, "ci", json_boolean(env_ci()));
	json_object_set_new(s, "config_file", cfg->path ? json_string(cfg->path) : json_null());
	json_t *searched = json_array();
	for (char *const *p = cfg->searched; *p; p++)
		json_array_append_new(searched, json_string(*p));
	json_object_set_new(s, "config_searched", searched);
	json_object_set_new(s, "policy_file", cfg->policy_path ? json_string(cfg->policy_path) : json_null());
	json_object_set_new(s, "state_dir", json_string(cfg->state_dir));
	json_object_set_new(s, "identity_file", json_string(cfg->identity_file));
	json_t *issues = json_array();
	for (size_t i = 0; i < cfg->n_issues; i++)
		json_array_append_new(issues, json_string(cfg->issues[i]));
	json_object_set_new(s, "config_issues", issues);

	json_t *backoff = backoff_status(cfg->state_dir);
	json_object_set(s, "last_delivery", json_object_get(backoff, "last"));
	json_object_set(s, "backoff_until", json_object_get(backoff, "backoff_until"));
	json_decref(backoff);
	free(endpoint);
	identity_release(&id);
	return s;
}

static const char *str_or(json_t *s, const char *key, const char *fallback)
{
	const char *v = json_string_value(json_object_get(s, key));
	return v ? v : fallback;
}

static long long int_of(json_t *s, const char *key)
{
	return (long long)json_integer_value(json_object_get(s, key));
}

int cmd_status(const struct conf *cfg, bool json)
{
	json_t *s = status_object(cfg);
	if (json) {
		char *text = json_dumps(s, JSON_INDENT(2));
		puts(text);
		free(text);
		json_decref(s);
		return 0;
	}
	printf("usage reporting: %s\n", json_is_true(json_object_get(s, "enabled")) ? "on" : "off");
	printf("decided by:      %s\n", str_or(s, "source", "?"));
	if (cfg->consent_invalid)
		printf("                 (the [consent] section is malformed, so reporting is off: %s)\n", cfg->consent_invalid);
	printf("level:           %s (decided by %s)%s\n", str_or(s, "level", "?"), str_or(s, "level_source", "?"),
	       !strcmp(str_or(s, "level", ""), "errors") ? ": failed runs only" : "");
	printf("config file:     %s\n", str_or(s, "config_file", "none found (see usage-report.conf(5))"));
	json_t *searched = json_object_get(s, "config_searched");
	for (size_t i = 0; i < json_array_size(searched); i++)
		printf("%s%s\n", i ? "                 " : "searched:        ", json_string_value(json_array_get(searched, i)));
	if (json_is_string(json_object_get(s, "policy_file")))
		printf("policy file:     %s\n", str_or(s, "policy_file", "?"));
	printf("backend:         %s%s%s\n", str_or(s, "backend", "none"),
	       json_is_string(json_object_get(s, "endpoint")) ? " " : "", str_or(s, "endpoint", ""));
	printf("anonymous id:    %s\n", str_or(s, "anon_id", "none yet"));
	printf("linked account:  %s", str_or(s, "linked_principal_id", "none"));
	json_t *link = json_object_get(s, "link");
	if (json_is_object(link) && json_is_string(json_object_get(link, "linked_via")))
		printf(" (via %s, %s)", str_or(link, "linked_via", "?"), str_or(link, "linked_at", "?"));
	printf("\nstate folder:    %s\n", str_or(s, "state_dir", "?"));
	printf("queued events:   %lld\n", int_of(s, "queued"));
	if (int_of(s, "max_per_minute") > 0)
		printf("rate cap:        %lld a minute; %lld event(s) counted, not recorded, since the last one\n",
		       int_of(s, "max_per_minute"), int_of(s, "rate_limited"));
	printf("session:         %s\n", str_or(s, "session_id", "none yet"));
	printf("notice:          %s", str_or(s, "notice", "?"));
	if (int_of(s, "held") > 0)
		printf(" (%lld event(s) held until it is shown)", int_of(s, "held"));
	printf("\n");
	json_t *last = json_object_get(s, "last_delivery");
	json_t *code = json_object_get(last, "status");
	if (!json_is_object(last))
		printf("last delivery:   none\n");
	else if (json_is_integer(code))
		printf("last delivery:   %s, %lld event(s): HTTP %lld\n", str_or(last, "time", "?"),
		       int_of(last, "events"), int_of(last, "status"));
	else
		printf("last delivery:   %s, %lld event(s): %s\n", str_or(last, "time", "?"),
		       int_of(last, "events"), str_or(last, "error", "no answer"));
	if (json_is_string(json_object_get(s, "backoff_until")))
		printf("backoff until:   %s\n", str_or(s, "backoff_until", "?"));
	json_t *issues = json_object_get(s, "config_issues");
	for (size_t i = 0; i < json_array_size(issues); i++)
		printf("config problem:  %s\n", json_string_value(json_array_get(issues, i)));
	json_decref(s);
	return 0;
}

int cmd_enable(const struct conf *cfg, bool on)
{
	if (consent_persist(cfg->state_dir, on) != 0) {
		fprintf(stderr, "usage-report: cannot save the choice in '%s': %s\n", cfg->state_dir, strerror(errno));
		return 1;
	}
	if (!on) {
		long queued = queue_count(cfg->state_dir);
		queue_purge(cfg->state_dir);
		history_remove(cfg->state_dir);
		credsnap_purge(cfg);
		printf("usage reporting disabled for %s", cfg->app);
		if (queued > 0)
			printf("; %ld queued event(s) discarded", queued);
		printf("\n");
		return 0;
	}
	printf("usage reporting enabled for %s\n", cfg->app);
	struct consent c;
	consent_decide(cfg, &c);
	if (strcmp(c.source, "policy") == 0)
		printf("note: the administrator's policy (%s) keeps usage reporting off; enable cannot override it\n",
		       cfg->policy_path);
	else if (strncmp(c.source, "project:", 8) == 0)
		printf("note: %s turns usage reporting off in this folder and the ones below it\n", c.source + 8);
	else if (c.env_switch)
		printf("note: %s is set and keeps usage reporting off until it is unset\n", c.env_switch);
	else if (strcmp(c.source, CONSENT_SOURCE_INVALID) == 0)
		printf("note: the config's [consent] section is malformed (%s), so nothing is recorded until it is mended\n",
		       cfg->consent_invalid);
	else if (strcmp(c.source, "ci") == 0)
		printf("note: this is a CI environment and the config says ci = skip, so nothing is recorded here\n");
	else if (strcmp(c.source, "no-backend") == 0)
		printf("note: no backend is configured, so nothing is recorded\n");
	return 0;
}

int cmd_level(const struct conf *cfg, const char *word)
{
	enum report_level level = REPORT_ALL;
	(void)conf_level_parse(word, &level); /* the command line accepted it */
	if (consent_persist_level(cfg->state_dir, level) != 0) {
		fprintf(stderr, "usage-report: cannot save the level in '%s': %s\n", cfg->state_dir, strerror(errno));
		return 1;
	}
	printf("usage reporting level for %s: %s%s\n", cfg->app, conf_level_name(level),
	       level == REPORT_ERRORS ? " (failed runs only; a successful one records nothing)" : " (every run)");
	struct consent c;
	consent_decide(cfg, &c);
	if (!c.enabled)
		printf("note: usage reporting is off (%s): nothing is recorded at any level\n", c.source);
	else if (c.level != level)
		printf("note: %s=%s is set and decides the level until it is unset\n", CONSENT_LEVEL_ENV,
		       conf_level_name(c.level));
	return 0;
}

/* What is queued, newest first, each event as the backend would receive it now, with
 * whether it is held for the notice (a new array). Reads only. */
static json_t *queued_events(const struct conf *cfg)
{
	json_t *out = json_array();
	struct queue_entry *entries = NULL;
	size_t n = 0;
	if (queue_list(cfg->state_dir, &entries, &n) != 0)
		return out;
	struct identity id = {0};
	bool have_id = identity_read(cfg->identity_file, &id) == 0;
	struct session session;
	session_load(cfg->state_dir, &session);
	bool held = notice_state(cfg) == NOTICE_PENDING;
	int64_t now = now_ms();
	for (size_t i = n; i > 0; i--) {
		struct record *record = NULL;
		if (queue_read(cfg->state_dir, &entries[i - 1], &record) != 0)
			continue;
		struct session copy = session;
		json_t *event = record_for_backend(record, cfg, have_id ? &id : NULL, &copy, now);
		json_array_append_new(out, json_pack("{s:b, s:b, s:o}", "queued", true, "held", held, "event", event));
		record_free(record);
	}
	queue_entries_free(entries, n);
	identity_release(&id);
	return out;
}

static void print_pretty(const json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		puts(text);
	free(text);
}

/* One compact JSON object a line. */
static void print_lines(const json_t *items)
{
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item) {
		char *line = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (line)
			puts(line);
		free(line);
	}
}

int cmd_history(const struct conf *cfg, bool json, long n)
{
	json_t *queued = queued_events(cfg);
	json_t *sent = history_read(cfg->state_dir, n > 0 ? (size_t)n : HISTORY_DEFAULT_SHOWN);
	size_t i;
	json_t *item;
	if (json) {
		print_lines(queued);
		print_lines(sent);
	} else {
		json_array_foreach(queued, i, item) {
			printf("queued, not sent yet%s:\n",
			       json_is_true(json_object_get(item, "held")) ? " (held until the first-run notice is shown)" : "");
			print_pretty(json_object_get(item, "event"));
		}
		json_array_foreach(sent, i, item) {
			printf("sent %s to %s (%s, HTTP %lld):\n", str_or(item, "time", "?"), str_or(item, "intake", "?"),
			       str_or(item, "backend", "?"), int_of(item, "status"));
			print_pretty(json_object_get(item, "body"));
		}
		if (!json_array_size(queued) && !json_array_size(sent))
			printf("nothing was sent and nothing is queued\n");
	}
	json_decref(queued);
	json_decref(sent);
	return 0;
}

int cmd_flush(const struct conf *cfg, bool debug)
{
	/* off: only a forget request the person made after which they disabled reporting */
	if (!consent_allows(cfg) && !(queue_forced_pending(cfg->state_dir) && consent_persisted(cfg->state_dir) == 0))
		return 0;
	if (fs_safe_dir(cfg->state_dir, false) != 0) {
		trace("state folder '%s': %s: nothing to flush", cfg->state_dir, strerror(errno));
		return 0;
	}
	if (spawn_sender_wait(cfg, debug, true) < 0)
		trace("cannot run the sender: %s", strerror(errno));
	return 0;
}

int cmd_notice(const struct conf *cfg)
{
	fflush(stdout);
	if (!cfg->backend_ready) { /* nothing configured: nothing is ever collected, nothing to tell */
		trace("no backend: nothing is collected, so there is no notice to print");
		return 0;
	}
	if (!consent_allows(cfg)) { /* off means no file written and no process started */
		char *text = notice_text(cfg);
		(void)write_all(STDOUT_FILENO, text, strlen(text));
		free(text);
		return 0;
	}
	/* the host's own interface: any kind of stdout that carries it, whatever notice = tty says */
	if (notice_show(cfg, STDOUT_FILENO, NOTICE_MODE_ON, "notice", true) == NOTICE_PENDING)
		return 0;
	if (queue_count(cfg->state_dir) > 0 && spawn_sender_detached(cfg) != 0)
		trace("cannot start the sender: %s", strerror(errno));
	return 0;
}

struct adopt {
	const char *anon;
	const bool *created;
	bool was_corrupt; /* replaced by a fresh identity: that one may take the host's id */
};

/* Only a fresh identity takes the host's id. */
static int edit_adopt(json_t *doc, void *arg)
{
	const struct adopt *a = arg;
	if (!*a->created && !a->was_corrupt)
		return 0;
	json_object_set_new(doc, "anon_id", json_string(a->anon));
	return 1;
}

int cmd_adopt(const struct conf *cfg, const char *anon)
{
	struct identity id = {0};
	bool created = false;
	struct adopt a = {.anon = anon, .created = &created};
	if (!consent_allows(cfg)) {
		printf("usage reporting is off for %s: nothing adopted\n", cfg->app);
		return 3; /* a run-once migration tries again on a later run */
	}
	if (identity_read(cfg->identity_file, &id) == 0) {
		fprintf(stderr, "usage-report: %s already has the anonymous id %s: nothing adopted\n", cfg->app,
		        identity_anon(&id));
		identity_release(&id);
		return 1;
	}
	a.was_corrupt = errno == EINVAL;
	if (fs_safe_dir(cfg->state_dir, true) != 0 ||
	    identity_try_update(cfg->identity_file, cfg->identity_shared, edit_adopt, &a, &created, &id) != 0) {
		fprintf(stderr, "usage-report: cannot write '%s': %s\n", cfg->identity_file, strerror(errno));
		return 1;
	}
	int rc = 0;
	if (strcmp(identity_anon(&id), anon) == 0) {
		printf("%s now uses the anonymous id %s\n", cfg->app, anon);
	} else { /* another run created it meanwhile */
		fprintf(stderr, "usage-report: %s already has the anonymous id %s: nothing adopted\n", cfg->app,
		        identity_anon(&id));
		rc = 1;
	}
	identity_release(&id);
	return rc;
}
