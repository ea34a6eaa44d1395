/* conf.c — the INI configuration (design.md §3): search order, every key, defaults, problems. */
#define _DEFAULT_SOURCE /* glibc declares realpath (POSIX.1-2008) only with it or XSI */
#include "config.h"
#include "conf.h"
#include "fsutil.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_CONFIG_BYTES (1024 * 1024)
#define MAX_OTLP_HEADERS_BYTES 8192
#define MAX_TEXT_BYTES 200        /* a text value: a key, a service name, an event name */
#define MAX_SOURCE_BYTES 100      /* [datadog] source */
#define MAX_NOTICE_URL_BYTES 500  /* [consent] notice_url */
#define MAX_FILE_NAME_BYTES 255   /* [consent] project_file */
#define MAX_PER_MINUTE_CAP 1000000 /* [events] max_per_minute */
#define URL_SAFE "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static void add_issue(struct conf *cfg, char *text)
{
	cfg->issues = xrealloc(cfg->issues, (cfg->n_issues + 1) * sizeof *cfg->issues);
	cfg->issues[cfg->n_issues++] = text;
}

static bool valid_env_name(const char *s);

static void set_str(void *field, const char *value)
{
	char **slot = field;
	free(*slot);
	*slot = xstrdup(value);
}

/* The value of ${NAME} or ${NAME:-default} at *pos (just past "${"), appended to b with a
 * default's leading "~" expanded; *pos ends past the "}". -1 when malformed, or when NAME
 * is unset (or empty) and there is no default: a path is never guessed. */
static int expand_variable(const char **pos, struct buf *b)
{
	const char *p = *pos, *close = strchr(p, '}');
	size_t name_len = strcspn(p, ":}");
	if (!close || name_len == 0 || name_len > 255)
		return -1;
	char *name = xstrndup(p, name_len);
	bool named = valid_env_name(name);
	const char *v = named ? env_nonempty(name) : NULL;
	free(name);
	if (!named || (p[name_len] == ':' && strncmp(p + name_len, ":-", 2) != 0))
		return -1;
	if (!v && p[name_len] != ':')
		return -1;
	char *fallback = v ? NULL : xstrndup(p + name_len + 2, (size_t)(close - p - name_len - 2));
	char *value = v ? xstrdup(v) : expand_tilde(fallback);
	buf_adds(b, value);
	free(value);
	free(fallback);
	*pos = close + 1;
	return 0;
}

/* "~" at the start, and every ${NAME} / ${NAME:-default}; NULL when a variable cannot be
 * expanded. */
static char *expand_path(const char *value)
{
	char *tilde = expand_tilde(value);
	struct buf b = {0};
	buf_adds(&b, "");
	for (const char *p = tilde; *p;) {
		if (p[0] == '$' && p[1] == '{') {
			p += 2;
			if (expand_variable(&p, &b) != 0) {
				buf_free(&b);
				free(tilde);
				return NULL;
			}
		} else {
			buf_addc(&b, *p++);
		}
	}
	free(tilde);
	return buf_detach(&b);
}

/* Where usage-report's folders are (design.md §3): XDG's on POSIX systems; on Windows the
 * profile's roaming (config) and local (state) application data, and ProgramData for what
 * the administrator sets. */
#ifdef _WIN32
#define CONFIG_HOME_VAR "APPDATA"
#define CONFIG_UNDER_HOME "AppData/Roaming"
#define STATE_HOME_VAR "LOCALAPPDATA"
#define STATE_UNDER_HOME "AppData/Local"
#else
#define CONFIG_HOME_VAR "XDG_CONFIG_HOME"
#define CONFIG_UNDER_HOME ".config"
#define STATE_HOME_VAR "XDG_STATE_HOME"
#define STATE_UNDER_HOME ".local/state"
#endif

/* var/usage-report when var is an absolute path, else HOME/under_home/usage-report; NULL
 * when neither is known. Caller frees. */
static char *user_dir(const char *var, const char *under_home)
{
	const char *v = getenv(var);
	const char *home = home_dir();
	if (v && path_absolute(v)) {
		char *base = path_from_env(v);
		char *dir = path_join(base, "usage-report");
		free(base);
		return dir;
	}
	return home ? xasprintf("%s/%s/usage-report", home, under_home) : NULL;
}

/* The administrator's folder: SYSCONFDIR/usage-report; on Windows
 * %PROGRAMDATA%\usage-report. Caller frees. */
static char *system_dir(void)
{
#ifdef _WIN32
	const char *v = getenv("PROGRAMDATA");
	char *base = path_from_env(v && path_absolute(v) ? v : "C:/ProgramData");
	char *dir = path_join(base, "usage-report");
	free(base);
	return dir;
#else
	return xstrdup(SYSCONFDIR "/usage-report");
#endif
}

/* A path value: "~" and ${NAME} expanded; must then be absolute. */
static bool set_path(struct conf *cfg, void *field, const char *key, const char *value)
{
	char **slot = field;
	char *p = expand_path(value);
	if (!p) {
		add_issue(cfg, xasprintf("%s: '%s' names a variable that is not set, or not as ${NAME} or ${NAME:-default}", key, value));
		return false;
	}
	if (!path_absolute(p)) {
		add_issue(cfg, xasprintf("%s: '%s' is not an absolute path", key, value));
		free(p);
		return false;
	}
	free(*slot);
	*slot = p;
	return true;
}

static bool set_url(struct conf *cfg, void *field, const char *key, const char *value)
{
	char **slot = field;
	if (!url_is_http(value)) {
		add_issue(cfg, xasprintf("%s: '%s' is not an http(s) URL", key, value));
		return false;
	}
	set_str(slot, value);
	size_t n = strlen(*slot);
	while (n > 0 && (*slot)[n - 1] == '/')
		(*slot)[--n] = '\0';
	return true;
}

/* validate_url: one URL, or a list paired with key_path; each an http(s) URL, or a path
 * ("/api/...") under the base URL that validate_url_path finds in the credentials file. */
static bool set_url_list(struct conf *cfg, void *slot, const char *key, const char *value)
{
	char **items = list_split(value, NULL);
	bool ok = items[0] != NULL;
	for (char **p = items; *p && ok; p++)
		ok = (*p)[0] == '/' || url_is_http(*p);
	list_free(items);
	if (!ok || has_control(value)) {
		add_issue(cfg, xasprintf("%s: '%s' is not a list of http(s) URLs or /paths", key, value));
		return false;
	}
	set_str(slot, value);
	return true;
}

static bool set_bool(struct conf *cfg, void *field, const char *key, const char *value)
{
	bool *slot = field;
	static const char *const on[] = {"on", "true", "yes", "1", NULL};
	static const char *const off[] = {"off", "false", "no", "0", NULL};
	if (word_in(value, on))
		*slot = true;
	else if (word_in(value, off))
		*slot = false;
	else {
		add_issue(cfg, xasprintf("%s: '%s' is not on or off", key, value));
		return false;
	}
	return true;
}

/* A host name of at least two labels, the last one (the TLD) letters only:
 * "datadoghq.com", "us3.datadoghq.com", "datadoghq.eu". */
static bool valid_site(const char *v)
{
	size_t n = strlen(v);
	const char *tld = strrchr(v, '.');
	if (n == 0 || n > 200 || !tld || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n ||
	    strspn(tld + 1, "abcdefghijklmnopqrstuvwxyz") != strlen(tld + 1) || strlen(tld + 1) < 2)
		return false;
	for (const char *p = v; *p; p++) /* no empty label, no label starting or ending in '-' */
		if ((*p == '.' || *p == '-') && (p == v || p[-1] == '.' || p[1] == '.' || p[1] == '\0'))
			return false;
	return true;
}

static bool valid_env_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static bool set_env_name(struct conf *cfg, void *slot, const char *key, const char *value)
{
	if (!valid_env_name(value)) {
		add_issue(cfg, xasprintf("%s: '%s' is not an environment variable name", key, value));
		return false;
	}
	set_str(slot, value);
	return true;
}

static bool set_text(struct conf *cfg, void *slot, const char *key, const char *value)
{
	if (strlen(value) > MAX_TEXT_BYTES || has_control(value) || !utf8_valid(value, strlen(value))) {
		add_issue(cfg, xasprintf("%s: value is not 1-%d bytes of printable UTF-8", key, MAX_TEXT_BYTES));
		return false;
	}
	set_str(slot, value);
	return true;
}

/* A list of dotted paths ("cloud.auth.access_token, cloud.api.key"), at least one. */
static bool set_dotted_list(struct conf *cfg, void *slot, const char *key, const char *value)
{
	char **items = list_split(value, NULL);
	bool ok = items[0] != NULL;
	list_free(items);
	if (!ok) {
		add_issue(cfg, xasprintf("%s: '%s' names no path", key, value));
		return false;
	}
	return set_text(cfg, slot, key, value);
}

/* OTEL_EXPORTER_OTLP_HEADERS' format: "k=v,k2=v2", values percent-decoded. The headers as
 * "Name: value", NULL-ended, or NULL when any item is malformed. */
static char **otlp_headers(const char *text)
{
	static const char token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+.^_`|~-";
	size_t n = 0;
	char **items = list_split(text, &n);
	char **out = xcalloc(n + 1, sizeof *out);
	bool ok = strlen(text) <= MAX_OTLP_HEADERS_BYTES;
	for (size_t i = 0; i < n && ok; i++) {
		char *eq = strchr(items[i], '=');
		size_t kl = eq ? (size_t)(eq - items[i]) : 0;
		while (kl > 0 && (items[i][kl - 1] == ' ' || items[i][kl - 1] == '\t'))
			kl--;
		ok = eq && kl > 0 && strspn(items[i], token) == kl;
		struct buf value = {0};
		for (const char *p = eq ? eq + 1 : ""; ok && *p; p++) {
			if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
				char hex[3] = {p[1], p[2], '\0'};
				char c = (char)strtol(hex, NULL, 16);
				ok = c != '\0'; /* %00 would cut the value short */
				buf_addc(&value, c);
				p += 2;
			} else if (*p != ' ' || value.len > 0) {
				buf_addc(&value, *p);
			}
		}
		char *v = buf_detach(&value);
		ok = ok && *v && !has_control(v);
		out[i] = ok ? xasprintf("%.*s: %s", (int)kl, items[i], v) : NULL;
		free(v);
	}
	list_free(items);
	if (!ok || n == 0) {
		list_free(out);
		return NULL;
	}
	return out;
}

static bool set_headers(struct conf *cfg, void *field, const char *key, const char *value)
{
	char ***slot = field;
	char **headers = otlp_headers(value);
	if (!headers) {
		add_issue(cfg, xasprintf("%s: not a list of key=value with header names", key));
		return false;
	}
	list_free(*slot);
	*slot = headers;
	return true;
}

/* inih strips ';' comments; '#' after whitespace is a comment here too. */
static char *strip_value(const char *value)
{
	char *v = xstrdup(value);
	for (char *p = v; *p; p++)
		if ((*p == '#' || *p == ';') && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	size_t n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
	return v;
}

/* One of several words: its index in words (NULL-ended) into *slot, as an int. */
static bool set_word(struct conf *cfg, int *slot, const char *key, const char *value, const char *const *words,
                     const char *expected)
{
	for (int i = 0; words[i]; i++)
		if (!strcmp(value, words[i])) {
			*slot = i;
			return true;
		}
	add_issue(cfg, xasprintf("%s: '%s' is not %s", key, value, expected));
	return false;
}

static bool set_backend(struct conf *cfg, void *field, const char *key, const char *value)
{
	static const char *const words[] = {"posthog", "datadog", "otlp", "file", NULL};
	static const enum backend backends[] = {BACKEND_POSTHOG, BACKEND_DATADOG, BACKEND_OTLP, BACKEND_FILE};
	int w;
	if (!set_word(cfg, &w, key, value, words, "posthog, datadog, otlp or file"))
		return false;
	*(enum backend *)field = backends[w];
	return true;
}

/* One of two words: whether it is the second, into a bool field. */
static bool set_either(struct conf *cfg, void *field, const char *key, const char *value, const char *first,
                       const char *second)
{
	const char *const words[] = {first, second, NULL};
	char *expected = xasprintf("%s or %s", first, second);
	int w;
	bool ok = set_word(cfg, &w, key, value, words, expected);
	free(expected);
	if (ok)
		*(bool *)field = w == 1;
	return ok;
}

static bool set_dd_outcome(struct conf *cfg, void *field, const char *key, const char *value)
{
	return set_either(cfg, field, key, value, "outcome", "error_type"); /* dd_outcome_error_type */
}

static bool set_ci(struct conf *cfg, void *field, const char *key, const char *value)
{
	return set_either(cfg, field, key, value, "report", "skip"); /* ci_skip */
}

static bool set_site(struct conf *cfg, void *slot, const char *key, const char *value)
{
	if (!valid_site(value)) {
		add_issue(cfg, xasprintf("%s: '%s' is not a Datadog site", key, value));
		return false;
	}
	set_str(slot, value);
	return true;
}

static bool set_source(struct conf *cfg, void *slot, const char *key, const char *value)
{
	if (strlen(value) > MAX_SOURCE_BYTES || strspn(value, URL_SAFE) != strlen(value)) {
		add_issue(cfg, xasprintf("%s: '%s' is not 1-%d of [A-Za-z0-9._-]", key, value, MAX_SOURCE_BYTES));
		return false;
	}
	set_str(slot, value);
	return true;
}

static bool set_level(struct conf *cfg, void *field, const char *key, const char *value)
{
	if (conf_level_parse(value, field) == 0)
		return true;
	add_issue(cfg, xasprintf("%s: '%s' is not all or errors", key, value));
	return false;
}

/* on or off, as every switch, or tty */
static bool set_notice(struct conf *cfg, void *field, const char *key, const char *value)
{
	enum notice_mode *slot = field;
	bool on = true;
	if (!strcmp(value, "tty"))
		*slot = NOTICE_MODE_TTY;
	else if (set_bool(cfg, &on, key, value))
		*slot = on ? NOTICE_MODE_ON : NOTICE_MODE_OFF;
	else
		return false;
	return true;
}

static bool set_notice_url(struct conf *cfg, void *slot, const char *key, const char *value)
{
	if (!url_is_http(value) || has_control(value) || strlen(value) > MAX_NOTICE_URL_BYTES) {
		add_issue(cfg, xasprintf("%s: '%s' is not an http(s) URL", key, value));
		return false;
	}
	set_str(slot, value);
	return true;
}

static bool set_file_name(struct conf *cfg, void *slot, const char *key, const char *value)
{
	if (strlen(value) > MAX_FILE_NAME_BYTES || strchr(value, '/') || !strcmp(value, ".") || !strcmp(value, "..") ||
	    has_control(value)) {
		add_issue(cfg, xasprintf("%s: '%s' is not a file name", key, value));
		return false;
	}
	set_str(slot, value);
	return true;
}

static bool set_rate(struct conf *cfg, void *field, const char *key, const char *value)
{
	char *end;
	long n = strtol(value, &end, 10);
	if (*end || n < 0 || n > MAX_PER_MINUTE_CAP || strspn(value, "0123456789") != strlen(value)) {
		add_issue(cfg, xasprintf("%s: '%s' is not a number from 0 to %d", key, value, MAX_PER_MINUTE_CAP));
		return false;
	}
	*(long *)field = n;
	return true;
}

/* Every key the parser accepts ("section.key", "key" at the top level), how its value is
 * read, and the field it sets. The one list of keys (tests/docs.bats reads it). */
#define FIELD(name) offsetof(struct conf, name)
static const struct conf_key {
	const char *name;
	bool (*set)(struct conf *cfg, void *field, const char *key, const char *value);
	size_t field;
} conf_keys[] = {
	{"backend", set_backend, FIELD(backend)},
	{"state_dir", set_path, FIELD(state_dir)},
	{"identity_file", set_path, FIELD(identity_file)},
	{"posthog.host", set_url, FIELD(posthog_host)},
	{"posthog.api_key", set_text, FIELD(posthog_api_key)},
	{"datadog.site", set_site, FIELD(dd_site)},
	{"datadog.client_token", set_text, FIELD(dd_client_token)},
	{"datadog.service", set_text, FIELD(dd_service)},
	{"datadog.url", set_url, FIELD(dd_url)},
	{"datadog.source", set_source, FIELD(dd_source)},
	{"datadog.outcome", set_dd_outcome, FIELD(dd_outcome_error_type)},
	{"file.path", set_path, FIELD(file_path)},
	{"otlp.endpoint", set_url, FIELD(otlp_endpoint)},
	{"otlp.headers", set_headers, FIELD(otlp_headers)},
	{"auth.credentials_file", set_path, FIELD(auth_credentials_file)},
	{"auth.key_path", set_dotted_list, FIELD(auth_key_path)},
	{"auth.validate_url", set_url_list, FIELD(auth_validate_url)},
	{"auth.principal_path", set_dotted_list, FIELD(auth_principal_path)},
	{"auth.validate_url_path", set_text, FIELD(auth_validate_url_path)},
	{"consent.default", set_bool, FIELD(consent_default_on)},
	{"consent.level", set_level, FIELD(consent_level)},
	{"consent.tracking_env", set_env_name, FIELD(tracking_env)},
	{"consent.disabled_env", set_env_name, FIELD(disabled_env)},
	{"consent.ci", set_ci, FIELD(ci_skip)},
	{"consent.notice", set_notice, FIELD(notice)},
	{"consent.notice_url", set_notice_url, FIELD(notice_url)},
	{"consent.notice_file", set_path, FIELD(notice_file)},
	{"consent.disable_hint", set_text, FIELD(disable_hint)},
	{"consent.project_file", set_file_name, FIELD(project_file)},
	{"events.success", set_text, FIELD(event_success)},
	{"events.failure", set_text, FIELD(event_failure)},
	{"events.forget", set_text, FIELD(event_forget)},
	{"events.max_per_minute", set_rate, FIELD(max_per_minute)},
};
#undef FIELD

static void apply(struct conf *cfg, const char *key, const char *v)
{
	for (size_t i = 0; i < sizeof conf_keys / sizeof *conf_keys; i++)
		if (!strcmp(key, conf_keys[i].name)) {
			(void)conf_keys[i].set(cfg, (char *)cfg + conf_keys[i].field, key, v);
			return;
		}
	add_issue(cfg, xasprintf("%s: unknown key", key));
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct conf *cfg = user;
	char *key = *section ? xasprintf("%s.%s", section, name) : xstrdup(name);
	char *v = strip_value(value);
	size_t issues_before = cfg->n_issues;
	if (*v) /* an empty value leaves the default in place */
		apply(cfg, key, v);
	/* consent fails closed: a [consent] line that was not understood turns reporting off */
	if (cfg->n_issues > issues_before && !strcmp(section, "consent") && !cfg->consent_invalid)
		cfg->consent_invalid = cfg->issues[cfg->n_issues - 1];
	free(v);
	free(key);
	return 1;
}

static void set_defaults(struct conf *cfg, const char *app)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->app = xstrdup(app);
	cfg->backend = BACKEND_POSTHOG;
	cfg->consent_default_on = true;
	cfg->notice = NOTICE_MODE_ON;
}

/* Fill what the file left out and decide whether the backend can deliver. */
static void complete(struct conf *cfg)
{
	if (!cfg->state_dir) {
		char *base = user_dir(STATE_HOME_VAR, STATE_UNDER_HOME);
		cfg->state_dir = xasprintf("%s/%s", base ? base : "/nonexistent/usage-report", cfg->app);
		free(base);
	}
	if (!cfg->identity_file) {
		cfg->identity_file = path_join(cfg->state_dir, "usage.json");
	} else {
		const char *slash = strrchr(cfg->identity_file, '/');
		size_t dl = (size_t)(slash - cfg->identity_file);
		cfg->identity_shared = strlen(cfg->state_dir) != dl || strncmp(cfg->state_dir, cfg->identity_file, dl) != 0;
	}
	if (!cfg->posthog_host)
		cfg->posthog_host = xstrdup(DEFAULT_POSTHOG_HOST);
	if (!cfg->dd_site)
		cfg->dd_site = xstrdup("datadoghq.com");
	if (!cfg->dd_service)
		cfg->dd_service = xstrdup(cfg->app);
	if (!cfg->dd_source)
		cfg->dd_source = xstrdup(cfg->app);
	if (!cfg->event_success)
		cfg->event_success = xstrdup("CLI execution succeeded");
	if (!cfg->event_failure)
		cfg->event_failure = xstrdup("CLI execution failed");
	if (!cfg->event_forget)
		cfg->event_forget = xstrdup("usage-report forget requested");

	if (cfg->backend == BACKEND_OTLP && !cfg->otlp_endpoint) {
		const char *env = env_nonempty("OTEL_EXPORTER_OTLP_ENDPOINT");
		if (env)
			set_url(cfg, &cfg->otlp_endpoint, "OTEL_EXPORTER_OTLP_ENDPOINT", env);
	}
	if (cfg->backend == BACKEND_OTLP && !cfg->otlp_headers) {
		const char *env = env_nonempty("OTEL_EXPORTER_OTLP_HEADERS");
		if (env)
			set_headers(cfg, &cfg->otlp_headers, "OTEL_EXPORTER_OTLP_HEADERS", env);
	}
	if (cfg->auth_validate_url && !cfg->auth_validate_url_path &&
	    (cfg->auth_validate_url[0] == '/' || strstr(cfg->auth_validate_url, ", /") || strstr(cfg->auth_validate_url, ",/")))
		add_issue(cfg, xstrdup("auth.validate_url: a /path needs auth.validate_url_path"));
	if (!cfg->path)
		cfg->backend_ready = false;
	else if (cfg->backend == BACKEND_POSTHOG)
		cfg->backend_ready = cfg->posthog_api_key != NULL;
	else if (cfg->backend == BACKEND_DATADOG)
		cfg->backend_ready = cfg->dd_client_token != NULL;
	else if (cfg->backend == BACKEND_OTLP)
		cfg->backend_ready = cfg->otlp_endpoint != NULL;
	else
		cfg->backend_ready = cfg->file_path != NULL;
	if (cfg->path && !cfg->backend_ready)
		add_issue(cfg, xasprintf("backend %s: required key missing (%s)", backend_name(cfg->backend),
		                         cfg->backend == BACKEND_POSTHOG   ? "posthog.api_key"
		                         : cfg->backend == BACKEND_DATADOG ? "datadog.client_token"
		                         : cfg->backend == BACKEND_OTLP    ? "otlp.endpoint or OTEL_EXPORTER_OTLP_ENDPOINT"
		                                                           : "file.path"));
}

static void parse_text(struct conf *cfg, const char *text)
{
	int line = ini_parse_string(text, on_entry, cfg);
	if (line > 0)
		add_issue(cfg, xasprintf("line %d: not a key = value, [section] or comment", line));
}

static void parse_file(struct conf *cfg, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	if (fs_read_file(path, MAX_CONFIG_BYTES, &text, &len) != 0) {
		add_issue(cfg, xasprintf("cannot read '%s': %s", path, strerror(errno)));
		return;
	}
	/* absolute, because the detached sender reads it again after chdir("/") */
	char *absolute = path_absolute(path) ? NULL : realpath(path, NULL);
	cfg->path = absolute ? absolute : xstrdup(path);
	parse_text(cfg, text);
	free(text);
}

/* The policy's keys; a problem is reported like the config's, and never loosens anything. */
static int on_policy_entry(void *user, const char *section, const char *name, const char *value)
{
	struct conf *cfg = user;
	char *v = strip_value(value);
	bool on = false;
	if (*section) {
		add_issue(cfg, xasprintf("%s: [%s]: the policy has no sections", POLICY_FILE, section));
	} else if (!strcmp(name, "disabled")) {
		if (set_bool(cfg, &on, "policy disabled", v) && on)
			cfg->policy_off = true;
	} else if (!strcmp(name, "disabled_apps")) {
		char **apps = list_split(v, NULL);
		for (char **a = apps; *a; a++)
			cfg->policy_off |= strcmp(*a, cfg->app) == 0;
		list_free(apps);
	} else if (!strcmp(name, "ci")) {
		if (!strcmp(v, "skip"))
			cfg->policy_ci_skip = true;
		else if (strcmp(v, "report") != 0)
			add_issue(cfg, xasprintf("policy ci: '%s' is not report or skip", v));
	} else {
		add_issue(cfg, xasprintf("policy %s: unknown key", name));
	}
	free(v);
	return 1;
}

static void parse_policy_text(struct conf *cfg, const char *text)
{
	int line = ini_parse_string(text, on_policy_entry, cfg);
	if (line > 0)
		add_issue(cfg, xasprintf("%s line %d: not a key = value or comment", POLICY_FILE, line));
}

/* Read before anything else; a policy that exists but cannot be read turns reporting off:
 * the administrator's word is never lost to a permission or a full descriptor table. */
static void load_policy(struct conf *cfg)
{
	char *system = system_dir();
	char *path = path_join(system, POLICY_FILE);
	free(system);
	char *text = NULL;
	size_t len = 0;
	if (fs_read_file(path, MAX_CONFIG_BYTES, &text, &len) == 0) {
		cfg->policy_path = path;
		parse_policy_text(cfg, text);
		free(text);
	} else if (errno != ENOENT && errno != ENOTDIR) {
		cfg->policy_path = path;
		cfg->policy_off = true;
		add_issue(cfg, xasprintf("cannot read the policy '%s': %s (reporting stays off)", path, strerror(errno)));
	} else {
		free(path);
	}
}

void conf_load(struct conf *cfg, const char *app, const char *explicit_path)
{
	set_defaults(cfg, app);
	load_policy(cfg);
	if (explicit_path) {
		char *p = expand_tilde(explicit_path);
		parse_file(cfg, p);
		free(p);
	} else {
		char *user = user_dir(CONFIG_HOME_VAR, CONFIG_UNDER_HOME), *system = system_dir();
		if (user)
			cfg->searched[0] = xasprintf("%s/%s.conf", user, app);
		cfg->searched[user ? 1 : 0] = xasprintf("%s/%s.conf", system, app);
		free(user);
		free(system);
		for (char **p = cfg->searched; *p && !cfg->path; p++)
			if (access(*p, F_OK) == 0)
				parse_file(cfg, *p);
	}
	complete(cfg);
}

void conf_load_strings(struct conf *cfg, const char *app, const char *text, const char *policy_text)
{
	set_defaults(cfg, app);
	if (policy_text) {
		cfg->policy_path = xstrdup("(policy string)");
		parse_policy_text(cfg, policy_text);
	}
	cfg->path = xstrdup("(string)");
	parse_text(cfg, text);
	complete(cfg);
}

void conf_load_string(struct conf *cfg, const char *app, const char *text)
{
	conf_load_strings(cfg, app, text, NULL);
}

void conf_free(struct conf *cfg)
{
	char **strings[] = {
		&cfg->app, &cfg->path, &cfg->state_dir, &cfg->identity_file, &cfg->posthog_host,
		&cfg->posthog_api_key, &cfg->dd_site, &cfg->dd_client_token, &cfg->dd_service,
		&cfg->dd_url, &cfg->file_path, &cfg->auth_credentials_file, &cfg->auth_key_path,
		&cfg->auth_validate_url, &cfg->auth_principal_path, &cfg->auth_validate_url_path,
		&cfg->dd_source, &cfg->otlp_endpoint, &cfg->notice_url, &cfg->notice_file, &cfg->disable_hint, &cfg->project_file, &cfg->policy_path,
		&cfg->tracking_env,
		&cfg->disabled_env, &cfg->event_success, &cfg->event_failure, &cfg->event_forget,
	};
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
	list_free(cfg->otlp_headers);
	cfg->otlp_headers = NULL;
	for (size_t i = 0; i < sizeof cfg->searched / sizeof *cfg->searched; i++) {
		free(cfg->searched[i]);
		cfg->searched[i] = NULL;
	}
	for (size_t i = 0; i < cfg->n_issues; i++)
		free(cfg->issues[i]);
	free(cfg->issues);
	cfg->issues = NULL;
	cfg->n_issues = 0;
}

int conf_level_parse(const char *word, enum report_level *out)
{
	if (!strcmp(word, "all"))
		*out = REPORT_ALL;
	else if (!strcmp(word, "errors"))
		*out = REPORT_ERRORS;
	else
		return -1;
	return 0;
}

const char *conf_level_name(enum report_level level)
{
	return level == REPORT_ERRORS ? "errors" : "all";
}

bool conf_has_auth(const struct conf *cfg)
{
	return cfg->auth_credentials_file && cfg->auth_key_path && cfg->auth_validate_url &&
	       cfg->auth_principal_path;
}

bool conf_has_aliases(const struct conf *cfg)
{
	return cfg->backend == BACKEND_POSTHOG || cfg->backend == BACKEND_FILE;
}

const char *backend_name(enum backend b)
{
	return b == BACKEND_POSTHOG ? "posthog" : b == BACKEND_DATADOG ? "datadog" : b == BACKEND_OTLP ? "otlp" : "file";
}

char *conf_endpoint(const struct conf *cfg)
{
	if (cfg->backend == BACKEND_POSTHOG)
		return xasprintf("%s/batch/", cfg->posthog_host);
	if (cfg->backend == BACKEND_FILE)
		return NULL;
	if (cfg->backend == BACKEND_OTLP)
		return xasprintf("%s/v1/logs", cfg->otlp_endpoint);
	if (cfg->dd_url)
		return xstrdup(cfg->dd_url);
	/* browser-intake-<site with the dots before the TLD as dashes> */
	char *site = xstrdup(cfg->dd_site);
	char *tld = strrchr(site, '.');
	*tld++ = '\0';
	for (char *p = site; *p; p++)
		if (*p == '.')
			*p = '-';
	char *url = xasprintf("https://browser-intake-%s.%s/api/v2/logs", site, tld);
	free(site);
	return url;
}
