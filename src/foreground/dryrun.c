/* dryrun.c — --dry-run: print exactly the requests delivery would make; write nothing. */
#include "config.h"
#include "capture.h"
#include "consent.h"
#include "event.h"
#include "fsutil.h"
#include "record.h"
#include "identity.h"
#include "notice.h"
#include "request.h"
#include "session.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The record as the sender would deliver it now, with the session it would give it. */
static void print_delivery(const struct conf *cfg, struct record *record, const struct identity *id)
{
	struct session session;
	session_load(cfg->state_dir, &session);
	json_t *item = record_for_backend(record, cfg, id, &session, now_ms());
	record_free(record);
	if (cfg->backend == BACKEND_FILE) {
		char *line = json_dumps(item, JSON_INDENT(2));
		printf("APPEND %s\n\n%s\n\n", cfg->file_path, line);
		free(line);
		json_decref(item);
		return;
	}
	struct request r;
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	json_t *payload = json_pack("[o]", item);
	request_delivery(&r, cfg, payload, stamp);
	json_decref(payload);
	request_print(stdout, &r, false);
	request_free(&r);
}

/* The validate request for the first key_path: the credentials file is not read here. */
static void print_validate(const struct conf *cfg)
{
	struct request r;
	char **paths = list_split(cfg->auth_key_path, NULL);
	char **urls = list_split(cfg->auth_validate_url, NULL);
	char *url = urls[0][0] == '/' ? xasprintf("<%s in %s>%s", cfg->auth_validate_url_path ? cfg->auth_validate_url_path : "?",
	                                          cfg->auth_credentials_file, urls[0])
	                              : xstrdup(urls[0]);
	char *key = xasprintf("<%s in %s>", paths[0], cfg->auth_credentials_file);
	request_validate(&r, url, NULL, key);
	request_print(stdout, &r, false);
	request_free(&r);
	free(key);
	free(url);
	list_free(paths);
	list_free(urls);
}

int dry_run(const struct conf *cfg, const struct capture_request *req)
{
	struct consent c;
	struct identity id = {0};
	consent_decide(cfg, &c);
	if (!c.enabled) {
		fprintf(stderr, "usage-report: dry run: nothing would be sent: reporting is off (%s)\n", c.source);
		for (size_t i = 0; i < cfg->n_issues; i++) /* the config problem behind it, if any */
			fprintf(stderr, "usage-report: dry run: config problem: %s\n", cfg->issues[i]);
		return 0;
	}
	if (c.level == REPORT_ERRORS && req->kind == CAPTURE_TRACK && strcmp(event_outcome(req->ev), "failure") != 0) {
		fprintf(stderr, "usage-report: dry run: nothing would be sent: level errors (%s) records failed runs only\n",
		        c.level_source);
		return 0;
	}
	if (identity_read(cfg->identity_file, &id) != 0)
		identity_new(&id); /* what a first run would make */
	if (notice_state(cfg) == NOTICE_PENDING && notice_fd_carries(STDERR_FILENO, cfg->notice))
		fprintf(stderr, "usage-report: dry run: the notice has not been shown yet: this run would show it on "
		                "stderr first\n");
	else if (notice_state(cfg) == NOTICE_PENDING)
		fprintf(stderr, "usage-report: dry run: the notice has not been shown yet and stderr reaches no person "
		                "or log: this event would be held (queued, not sent) until it is\n");
	const char *anon = identity_anon(&id), *principal = identity_principal(&id);

	/* [auth]: the sender would resolve the account behind credentials this run sees */
	char *signature = conf_has_auth(cfg) ? fs_stat_signature(cfg->auth_credentials_file) : NULL;
	bool resolves = req->kind != CAPTURE_LOGIN && signature && !identity_covers_credentials(&id, signature);
	free(signature);
	if ((req->kind == CAPTURE_LOGIN && !req->principal) || resolves) {
		print_validate(cfg);
		principal = "<principal from validate_url>";
	} else if (req->kind == CAPTURE_LOGIN) {
		principal = req->principal;
	}
	if ((req->kind == CAPTURE_LOGIN || resolves) && conf_has_aliases(cfg) &&
	    !(identity_principal(&id) && strcmp(identity_principal(&id), principal) == 0))
		print_delivery(cfg, record_new(RECORD_ALIAS, anon, principal, event_build_alias()), &id);
	print_delivery(cfg, record_new(RECORD_EVENT, anon, principal, event_build(cfg, req->ev)), &id);
	if (req->kind == CAPTURE_LOGOUT)
		fprintf(stderr, "usage-report: dry run: then the identity is reset to a new anonymous id\n");
	if (cfg->max_per_minute > 0)
		fprintf(stderr, "usage-report: dry run: at most %ld events a minute are recorded; the rest are counted "
		                "(rate_limited)\n", cfg->max_per_minute);
	identity_release(&id);
	return 0;
}
