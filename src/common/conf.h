/* conf.h — the INI configuration (design.md §3): search order, every key, defaults, problems.
 *
 * A broken config never fails: unknown keys and malformed values are collected in
 * `issues` (for --debug and status) and otherwise ignored. */
#ifndef USAGE_REPORT_CONF_H
#define USAGE_REPORT_CONF_H

#include <stdbool.h>
#include <stddef.h>

enum backend { BACKEND_POSTHOG, BACKEND_DATADOG, BACKEND_FILE, BACKEND_OTLP };

/* [consent] notice (design.md §4.3): where the first-run notice counts as shown. */
enum notice_mode {
	NOTICE_MODE_ON,  /* a terminal, a pipe, a socket or a regular file (the default) */
	NOTICE_MODE_TTY, /* a terminal only */
	NOTICE_MODE_OFF, /* the host shows it: nothing is held */
};

/* What is recorded while reporting is on (design.md §4.3): every run, or failed runs only
 * (a successful one then records nothing at all, as when reporting is off). */
enum report_level { REPORT_ALL, REPORT_ERRORS };

struct conf {
	char *app;
	char *path;          /* the file that was read, or NULL when none was found */
	char *searched[3];   /* where it was looked for, in order, NULL-ended (none with --config) */
	enum backend backend;
	bool backend_ready;  /* the backend's required keys are present */
	char *state_dir;     /* absolute */
	char *identity_file; /* absolute */
	bool identity_shared; /* identity_file lies outside state_dir: it may hold another program's file */

	char *posthog_host, *posthog_api_key;
	char *dd_site, *dd_client_token, *dd_service, *dd_url;
	char *dd_source;            /* ddsource; default the app name */
	bool dd_outcome_error_type; /* [datadog] outcome = error_type */
	char *file_path;
	/* [otlp]: the base URL and the extra headers ("Name: value", NULL-ended), from the
	 * config, else from OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS */
	char *otlp_endpoint;
	char **otlp_headers;

	/* key_path, validate_url and principal_path are comma-separated lists (list_split) */
	char *auth_credentials_file, *auth_key_path, *auth_validate_url, *auth_principal_path;
	char *auth_validate_url_path; /* dotted path to a base URL in the credentials file */

	bool consent_default_on;
	enum report_level consent_level; /* [consent] level: the host's default level */
	char *tracking_env, *disabled_env;
	bool ci_skip;
	enum notice_mode notice;
	char *notice_url;   /* a privacy-policy link the default notice names */
	char *notice_file;  /* the host's own wording of the notice */
	char *disable_hint; /* the opt-out the default notice names */

	char *event_success, *event_failure, *event_forget;
	long max_per_minute; /* [events]: 0 means no cap */
	char *project_file;  /* [consent]: a file of this name here or above turns reporting off */

	/* The administrator's policy (SYSCONFDIR/usage-report/policy.conf), read first; it wins
	 * over everything else (design.md §3, §4.3). */
	char *policy_path; /* the file read, or NULL when there is none */
	bool policy_off;   /* disabled = yes, or this app in disabled_apps */
	bool policy_ci_skip;

	/* A malformed [consent] value: reporting is off (it fails closed, design.md §3) and this
	 * says which key; NULL when [consent] is sound. Points into issues. */
	const char *consent_invalid;

	char **issues; /* human-readable problems, in file order */
	size_t n_issues;
};

/* Where the administrator's policy lives. */
#define POLICY_FILE "policy.conf"

/* The default PostHog intake. */
#define DEFAULT_POSTHOG_HOST "https://us.i.posthog.com"

/* Fill cfg for app. explicit_path, when non-NULL, replaces the search. Never fails;
 * release with conf_free(). */
void conf_load(struct conf *cfg, const char *app, const char *explicit_path);

/* Same, from a string in memory (used by the fuzzer); policy_text, when not NULL, stands for
 * the policy file. */
void conf_load_string(struct conf *cfg, const char *app, const char *text);
void conf_load_strings(struct conf *cfg, const char *app, const char *text, const char *policy_text);

void conf_free(struct conf *cfg);

/* Whether [auth] has what the sender needs to resolve a principal. */
bool conf_has_auth(const struct conf *cfg);

/* "all" or "errors" to a level: 0, or -1 for any other word. */
int conf_level_parse(const char *word, enum report_level *out);
/* The word of a level. */
const char *conf_level_name(enum report_level level);

/* Whether the backend merges an anonymous id into an account (PostHog's $create_alias, and
 * the file backend that records PostHog's events); Datadog and OTLP have no person model.
 * The one place that rule is decided. */
bool conf_has_aliases(const struct conf *cfg);

/* "posthog", "datadog", "file" or "otlp". */
const char *backend_name(enum backend b);

/* The full URL events are delivered to (freshly allocated: for OTLP, ENDPOINT/v1/logs), or
 * NULL for the file backend. */
char *conf_endpoint(const struct conf *cfg);

#endif
