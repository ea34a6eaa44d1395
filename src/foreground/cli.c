/* cli.c — the command line (design.md §1): subcommands, options, environment fallbacks and
 * their validation. */
#include "config.h"
#include "cli.h"
#include "conf.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

/* The largest event the limits below allow, JSON-escaped: 64 properties of 1000 bytes, each
 * byte a control character written as \u00XX (6 bytes), are 390 KB; the helpers send that. */
#define MAX_STDIN_EVENT (512 * 1024)
#define MAX_APP_BYTES 64
#define MAX_CLI_VERSION_BYTES 100
#define MAX_PRINCIPAL_BYTES 200
#define MAX_PROPERTY_KEY_BYTES 64
#define MAX_EXIT_CODE 255
/* history -n: more than the history can hold is no error, but a number this large is */
#define HISTORY_MAX_SHOWN 1000000

static const char help_text[] =
	"usage: usage-report [GLOBAL] [track] --command NAME [EVENT]\n"
	"       usage-report [GLOBAL] login [--principal-id ID] [EVENT]\n"
	"       usage-report [GLOBAL] logout [EVENT]\n"
	"       usage-report [GLOBAL] exec [EVENT] -- PROGRAM [ARG...]\n"
	"       usage-report [GLOBAL] status [--json]\n"
	"       usage-report [GLOBAL] history [--json] [-n N]\n"
	"       usage-report [GLOBAL] enable | disable | flush | notice\n"
	"       usage-report [GLOBAL] adopt ANON_ID\n"
	"       usage-report [GLOBAL] level all|errors\n"
	"       usage-report [GLOBAL] forget [--disable]\n"
	"       usage-report --help | --version\n"
	"\n"
	"Record one anonymous usage event for a command-line tool and deliver it in the\n"
	"background. Never slows or changes the caller; runtime failures exit 0.\n"
	"\n"
	"Global options:\n"
	"  --app NAME           the host CLI's name [a-z0-9._-] (USAGE_REPORT_APP)\n"
	"  --config FILE        read this config file (USAGE_REPORT_CONFIG)\n"
	"  --dry-run            print the HTTP request(s) instead; send and write nothing\n"
	"  --debug              trace decisions to stderr, deliver in the foreground (USAGE_REPORT_DEBUG=1)\n"
	"  --wait               deliver in the foreground before exiting\n"
	"\n"
	"Event options:\n"
	"  --command NAME       the command path, e.g. 'mycli deploy' (USAGE_REPORT_COMMAND)\n"
	"  --duration MS        wall-clock milliseconds (USAGE_REPORT_DURATION)\n"
	"  --exit-code N        0-255 (USAGE_REPORT_EXIT_CODE)\n"
	"  --error MESSAGE      the run failed; MESSAGE is scrubbed (USAGE_REPORT_ERROR)\n"
	"  --cli-version V      the host CLI's version (USAGE_REPORT_CLI_VERSION)\n"
	"  --event NAME         the event's name instead of the configured one (USAGE_REPORT_EVENT)\n"
	"  --error-type KIND    a failure class [a-z0-9_.-]; the run failed (USAGE_REPORT_ERROR_TYPE)\n"
	"  --property KEY=VALUE extra string property, repeatable (at most 64)\n"
	"  --property KEY:=JSON the same, typed: a JSON number, boolean, null, array or object\n"
	"  --json -             track, login, logout: read the event as one JSON object on stdin\n"
	"\n"
	"Other options:\n"
	"  --principal-id ID    login: the account id to link\n"
	"  --json               status: print one JSON object; history: one per line\n"
	"  -n N                 history: the newest N requests (default 100)\n"
	"  --disable            forget: turn reporting off too, once the request is queued\n"
	"  -h, --help           print this help\n"
	"  --version            print the version (after --debug, also the system facilities used)\n"
	"\n"
	"See usage-report(1) and usage-report.conf(5).\n";

void cli_print_help(void)
{
	fputs(help_text, stdout);
}

/* While set, invalid() only returns 2: exec's tolerated environment values. */
static bool quiet;

/* "invalid WHAT 'VALUE': WHY" on stderr (VALUE shown printable), WHY formatted; 2. */
static int invalid(const char *what, const char *value, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int invalid(const char *what, const char *value, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (quiet) {
		trace("invalid %s: %s: left out of the event (exec runs PROGRAM all the same)", what, why);
		return 2;
	}
	char *shown = printable(value);
	fprintf(stderr, "usage-report: invalid %s '%s': %s\n", what, shown, why);
	free(shown);
	return 2;
}

#define TEXT_EXPECTED "expected 1-%d bytes of UTF-8 without control characters"

/* One line on stderr; control characters shown as '?', the line cut at 200 bytes. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char line[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	mask_controls(line);
	fprintf(stderr, "usage-report: %s\n", line);
	return 2;
}

static bool valid_app(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= MAX_APP_BYTES && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static bool valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n >= 1 && n <= max && !has_control(s) && utf8_valid(s, n);
}

/* Setters validate one value; `what` names its source in the message (--x or VAR). */
static int set_command(struct event_input *ev, const char *what, const char *v)
{
	if (!valid_text(v, MAX_COMMAND_BYTES))
		return invalid(what, v, TEXT_EXPECTED, MAX_COMMAND_BYTES);
	free(ev->command);
	ev->command = xstrdup(v);
	return 0;
}

static int set_duration(struct event_input *ev, const char *what, const char *v)
{
	if (parse_duration(v, &ev->duration_ms) != 0)
		return invalid(what, v, "expected milliseconds");
	ev->has_duration = true;
	return 0;
}

static int set_exit_code(struct event_input *ev, const char *what, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 3 || strspn(v, "0123456789") != n || atoi(v) > MAX_EXIT_CODE)
		return invalid(what, v, "expected an integer from 0 to %d", MAX_EXIT_CODE);
	ev->exit_code = atoi(v);
	ev->has_exit_code = true;
	return 0;
}

static int set_error(struct event_input *ev, const char *what, const char *v)
{
	free(ev->error);
	ev->error = xstrdup(v); /* anything goes: it is scrubbed, not validated */
	ev->has_error = true;
	return 0;
}

static int set_cli_version(struct event_input *ev, const char *what, const char *v)
{
	if (!valid_text(v, MAX_CLI_VERSION_BYTES))
		return invalid(what, v, TEXT_EXPECTED, MAX_CLI_VERSION_BYTES);
	free(ev->cli_version);
	ev->cli_version = xstrdup(v);
	return 0;
}

static int set_event_name(struct event_input *ev, const char *what, const char *v)
{
	if (!valid_text(v, MAX_COMMAND_BYTES) || v[0] == '$')
		return invalid(what, v, TEXT_EXPECTED ", not starting with '$'", MAX_COMMAND_BYTES);
	free(ev->event_name);
	ev->event_name = xstrdup(v);
	return 0;
}

static int set_error_type(struct event_input *ev, const char *what, const char *v)
{
	size_t n = strlen(v);
	if (n < 1 || n > MAX_ERROR_TYPE_BYTES || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return invalid(what, v, "expected 1-%d of [a-z0-9_.-]", MAX_ERROR_TYPE_BYTES);
	free(ev->error_type);
	ev->error_type = xstrdup(v);
	return 0;
}

/* Takes value (a new reference) in every case. */
static int add_property(struct event_input *ev, const char *what, const char *key, json_t *value, const char *shown)
{
	int rc = 0;
	size_t kl = strlen(key);
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	if (kl < 1 || kl > MAX_PROPERTY_KEY_BYTES ||
	    strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != kl)
		rc = invalid(what, shown, "KEY must be 1-%d of [A-Za-z0-9_.-]", MAX_PROPERTY_KEY_BYTES);
	else if (event_builtin_property(key))
		rc = invalid(what, shown, "KEY is a built-in property name");
	else if (ev->n_props >= MAX_PROPERTIES) /* bounds the duplicate check below too */
		rc = invalid(what, shown, "at most %d properties", MAX_PROPERTIES);
	else if (!text || (json_is_string(value) ? json_string_length(value) : strlen(text)) > MAX_PROPERTY_BYTES)
		rc = invalid(what, shown, "VALUE must be at most %d bytes", MAX_PROPERTY_BYTES);
	for (size_t i = 0; i < ev->n_props && !rc; i++)
		if (strcmp(ev->props[i].key, key) == 0)
			rc = invalid(what, shown, "KEY given twice");
	free(text);
	if (rc) {
		json_decref(value);
		return rc;
	}
	ev->props = xrealloc(ev->props, (ev->n_props + 1) * sizeof *ev->props);
	ev->props[ev->n_props].key = xstrdup(key);
	ev->props[ev->n_props].value = value;
	ev->n_props++;
	return 0;
}

/* KEY=VALUE (a string) or KEY:=JSON (typed, HTTPie's convention). */
static int set_property(struct event_input *ev, const char *what, const char *v)
{
	const char *eq = strchr(v, '=');
	if (!eq)
		return invalid(what, v, "expected KEY=VALUE or KEY:=JSON");
	bool typed = eq > v && eq[-1] == ':';
	json_t *value;
	if (typed) {
		value = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
		if (!value)
			return invalid(what, v, "expected KEY:=JSON with a valid JSON value");
	} else {
		if (!utf8_valid(eq + 1, strlen(eq + 1)))
			return invalid(what, v, "VALUE must be UTF-8");
		value = json_string(eq + 1);
	}
	char *key = xstrndup(v, (size_t)(eq - v) - typed);
	int rc = add_property(ev, what, key, value, v);
	free(key);
	return rc;
}

typedef int (*setter)(struct event_input *, const char *, const char *);

/* Each fact of an event: its option, its environment variable and its field in the JSON
 * read by --json - (NULL: none; numeric: the field may be a JSON number), and its setter.
 * The one list of them. */
struct event_option {
	const char *flag, *env, *json;
	bool numeric;
	setter set;
};

static const struct event_option event_options[] = {
	{"--command", "USAGE_REPORT_COMMAND", "command", false, set_command},
	{"--duration", "USAGE_REPORT_DURATION", "duration_ms", true, set_duration},
	{"--exit-code", "USAGE_REPORT_EXIT_CODE", "exit_code", true, set_exit_code},
	{"--error", "USAGE_REPORT_ERROR", "error", false, set_error},
	{"--cli-version", "USAGE_REPORT_CLI_VERSION", "cli_version", false, set_cli_version},
	{"--event", "USAGE_REPORT_EVENT", "event", false, set_event_name},
	{"--error-type", "USAGE_REPORT_ERROR_TYPE", "error_type", false, set_error_type},
	{"--property", NULL, NULL, false, set_property},
};
#define N_EVENT_OPTIONS (sizeof event_options / sizeof *event_options)
_Static_assert(N_EVENT_OPTIONS <= CLI_EVENT_VARIABLES_MAX, "cli_event_variables() has room for every option");

const char *const *cli_event_variables(void)
{
	static const char *names[CLI_EVENT_VARIABLES_MAX + 1];
	if (!names[0])
		for (size_t i = 0, n = 0; i < N_EVENT_OPTIONS; i++)
			if (event_options[i].env)
				names[n++] = event_options[i].env;
	return names;
}

static const struct {
	const char *name;
	enum command cmd;
} commands[] = {
	{"track", CMD_TRACK}, {"login", CMD_LOGIN}, {"logout", CMD_LOGOUT},
	{"exec", CMD_EXEC}, {"status", CMD_STATUS}, {"enable", CMD_ENABLE},
	{"disable", CMD_DISABLE}, {"flush", CMD_FLUSH}, {"notice", CMD_NOTICE},
	{"adopt", CMD_ADOPT}, {"level", CMD_LEVEL}, {"history", CMD_HISTORY},
	{"forget", CMD_FORGET},
};

static bool takes_event(enum command c)
{
	return c == CMD_TRACK || c == CMD_LOGIN || c == CMD_LOGOUT || c == CMD_EXEC;
}

static const char *command_name(enum command c)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (commands[i].cmd == c)
			return commands[i].name;
	return "track";
}

/* Event options seen on the command line, applied once the subcommand is known. */
struct pending {
	const struct event_option *opt;
	const char *value;
};

/* The JSON object on stdin (at most MAX_STDIN_EVENT bytes), or NULL after a message. */
static json_t *read_stdin_doc(void)
{
	struct buf b = {0};
	char chunk[4096];
	ssize_t n;
	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (b.len + (size_t)n > MAX_STDIN_EVENT) {
			buf_free(&b);
			invalid("--json", "-", "the event on stdin is larger than %d KiB", MAX_STDIN_EVENT / 1024);
			return NULL;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	json_t *doc = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, NULL);
	buf_free(&b);
	if (!json_is_object(doc)) {
		json_decref(doc);
		invalid("--json", "-", "expected one JSON object on stdin");
		return NULL;
	}
	return doc;
}

/* One field of the --json - object: a fact set as its option would be (a number only where
 * the fact is numeric). */
static int json_fact(struct event_input *ev, const char *key, json_t *v)
{
	const struct event_option *opt = NULL;
	for (size_t i = 0; i < N_EVENT_OPTIONS && !opt; i++)
		if (event_options[i].json && strcmp(key, event_options[i].json) == 0)
			opt = &event_options[i];
	char num[64];
	const char *s = json_string_value(v);
	if (opt && opt->numeric && json_is_integer(v))
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
	else if (opt && opt->numeric && json_is_real(v))
		snprintf(num, sizeof num, "%.6f", json_real_value(v) < 0 ? -1.0 : json_real_value(v));
	if (opt && opt->numeric && json_is_number(v))
		s = num;
	if (!s)
		return invalid("--json field", key, "expected a string or number");
	if (!opt)
		return invalid("--json field", key, "unknown field");
	char *what = xasprintf("--json %s", key);
	int rc = opt->set(ev, what, s);
	free(what);
	return rc;
}

/* Read one JSON object from stdin into o's event (track, login and logout --json -), and a
 * login's principal_id: facts that must not show in argv. CLI flags override it. */
static int read_stdin_event(struct options *o)
{
	json_t *doc = read_stdin_doc();
	if (!doc)
		return 2;
	int rc = 0;
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v) {
		if (!strcmp(key, "properties") && json_is_object(v)) {
			const char *pk;
			json_t *pv;
			json_object_foreach(v, pk, pv) {
				if ((rc = add_property(&o->ev, "--json property", pk, json_incref(pv), pk)) != 0)
					break;
			}
		} else if (!strcmp(key, "principal_id") && o->cmd == CMD_LOGIN && json_is_string(v)) {
			const char *s = json_string_value(v);
			if (!valid_text(s, MAX_PRINCIPAL_BYTES))
				rc = invalid("--json principal_id", s, TEXT_EXPECTED, MAX_PRINCIPAL_BYTES);
			else if (!o->principal_id)
				o->principal_id = o->principal_owned = xstrdup(s);
		} else {
			rc = json_fact(&o->ev, key, v);
		}
		if (rc)
			break;
	}
	json_decref(doc);
	return rc;
}

/* Environment fallbacks for event fields the command line left unset. With tolerant
 * (exec), a malformed value is skipped: telemetry never stands between the user and
 * PROGRAM (design.md §4.6). */
static int apply_env(struct event_input *ev, const struct pending *p, size_t np, bool tolerant)
{
	for (size_t i = 0; i < N_EVENT_OPTIONS; i++) {
		const struct event_option *opt = &event_options[i];
		if (!opt->env)
			continue;
		bool given = false;
		for (size_t k = 0; k < np; k++)
			given |= p[k].opt == opt;
		bool set = (opt->set == set_command && ev->command) ||
		           (opt->set == set_duration && ev->has_duration) ||
		           (opt->set == set_exit_code && ev->has_exit_code) ||
		           (opt->set == set_error && ev->has_error) ||
		           (opt->set == set_cli_version && ev->cli_version) ||
		           (opt->set == set_event_name && ev->event_name) ||
		           (opt->set == set_error_type && ev->error_type);
		const char *v = env_nonempty(opt->env);
		if (!given && !set && v) {
			quiet = tolerant;
			int rc = opt->set(ev, opt->env, v);
			quiet = false;
			if (rc && !tolerant)
				return rc;
		}
	}
	return 0;
}

/* --app or USAGE_REPORT_APP. For exec a malformed name records nothing (no app to record it
 * for) and PROGRAM runs all the same: 0; otherwise 2. */
static int set_app(struct options *o, const char *what, const char *value, bool exec)
{
	if (valid_app(value)) {
		o->app = value;
		return 0;
	}
	quiet = exec;
	int rc = invalid(what, value, "expected 1-%d of [a-z0-9._-]", MAX_APP_BYTES);
	quiet = false;
	if (!exec)
		return rc;
	o->no_event = true;
	return 0;
}

/* The value of an option: "--x=v" or the next argument. */
static int option_value(int argc, char **argv, int *i, const char *arg, const char *flag, const char **value)
{
	size_t fl = strlen(flag);
	if (arg[fl] == '=') {
		*value = arg + fl + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return usage_error("option '%s' needs a value", flag);
	*value = argv[++*i];
	return 0;
}

/* history -n: 1 to HISTORY_MAX_SHOWN requests. */
static int set_history_n(struct options *o, const char *v)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > HISTORY_MAX_SHOWN)
		return invalid("-n", v, "expected a number of requests from 1 to %d", HISTORY_MAX_SHOWN);
	o->history_n = n;
	return 0;
}

static bool is_flag(const char *arg, const char *flag)
{
	size_t n = strlen(flag);
	return strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* USAGE_REPORT_PARENT=APP:UUID, set by an enclosing exec: for an event of the same app,
 * the enclosing event's uuid. Anything malformed is not ours to judge: ignored. */
static void set_parent(struct options *o)
{
	const char *v = env_nonempty(EXEC_PARENT_ENV);
	size_t al = strlen(o->app);
	if (v && strncmp(v, o->app, al) == 0 && v[al] == ':' && uuid_text_valid(v + al + 1))
		snprintf(o->ev.parent_uuid, sizeof o->ev.parent_uuid, "%s", v + al + 1);
}

/* The options as a whole: each must apply to its subcommand; then the event's facts, from
 * stdin, the options and the environment. */
static int complete_options(struct options *o, struct pending *p, size_t np, bool json_stdin, bool principal_given)
{
	if (o->json && json_stdin && o->cmd != CMD_TRACK && o->cmd != CMD_LOGIN && o->cmd != CMD_LOGOUT)
		return usage_error("option '--json -' applies only to '%s'", "track, login and logout");
	if (o->json && !json_stdin && o->cmd != CMD_STATUS && o->cmd != CMD_HISTORY)
		return usage_error("option '--json' applies to 'status' and 'history' (or 'track --json -'), not '%s'",
		                   command_name(o->cmd));
	if (o->dry_run && o->cmd == CMD_FORGET)
		return usage_error("option '--dry-run' does not apply to '%s': it would discard nothing", "forget");
	if (o->forget_disable && o->cmd != CMD_FORGET)
		return usage_error("option '--disable' applies only to 'forget', not '%s'", command_name(o->cmd));
	if (o->history_n && o->cmd != CMD_HISTORY)
		return usage_error("option '-n' applies only to 'history', not '%s'", command_name(o->cmd));
	if (principal_given && o->cmd != CMD_LOGIN)
		return usage_error("option '--principal-id' applies only to 'login', not '%s'", command_name(o->cmd));
	if (np && !takes_event(o->cmd))
		return usage_error("option '%s' does not apply to this subcommand", p[0].opt->flag);
	if (o->cmd == CMD_ADOPT && !o->adopt_id)
		return usage_error("%s: expected ANON_ID", "adopt");
	if (o->cmd == CMD_LEVEL && !o->level_word)
		return usage_error("%s: expected all or errors", "level");
	if (o->cmd == CMD_EXEC && !o->program)
		return usage_error("%s: expected '-- PROGRAM [ARG...]'", "exec");
	if (!takes_event(o->cmd))
		return 0;
	int rc = json_stdin ? read_stdin_event(o) : 0;
	bool tolerant = o->cmd == CMD_EXEC;
	for (size_t k = 0; k < np && !rc; k++) {
		quiet = tolerant; /* exec: a malformed fact is left out, PROGRAM runs */
		rc = p[k].opt->set(&o->ev, p[k].opt->flag, p[k].value);
		quiet = false;
		if (tolerant)
			rc = 0;
	}
	if (!rc)
		rc = apply_env(&o->ev, p, np, o->cmd == CMD_EXEC);
	if (rc)
		return rc;
	set_parent(o);
	if (!o->ev.command) {
		if (o->cmd == CMD_TRACK)
			return usage_error("missing %s (or USAGE_REPORT_COMMAND); see usage-report --help", "--command");
		if (o->cmd == CMD_LOGIN || o->cmd == CMD_LOGOUT)
			o->ev.command = xstrdup(command_name(o->cmd));
		else {
			const char *base = strrchr(o->program[0], '/');
			base = base ? base + 1 : o->program[0];
			if (valid_text(base, MAX_COMMAND_BYTES))
				o->ev.command = xstrdup(base);
			else
				o->no_event = true; /* nothing names the event; PROGRAM runs all the same */
		}
	}
	return 0;
}

bool cli_wants_exec(int argc, char **argv)
{
	bool exec = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return exec;
		exec |= !strcmp(argv[i], "exec");
	}
	return false;
}

/* The parser's walk over argv. */
struct parse {
	int argc, i;
	char **argv;
	struct options *o;
	struct pending *p; /* the event options given, in order, applied once the subcommand is known */
	size_t np;
	bool have_cmd, json_stdin, principal_given;
	bool exec; /* telemetry never stands between the user and PROGRAM */
	bool stop; /* --help or --version: the rest is not read */
};

static int opt_help(struct parse *ps, const char *value)
{
	(void)value;
	ps->o->cmd = CMD_HELP;
	ps->stop = true;
	return 0;
}

static int opt_version(struct parse *ps, const char *value)
{
	(void)value;
	ps->o->cmd = CMD_VERSION;
	ps->stop = true;
	return 0;
}

/* --json, or --json - (the event on stdin) */
static int opt_json(struct parse *ps, const char *value)
{
	(void)value;
	ps->o->json = true;
	if (ps->i + 1 < ps->argc && strcmp(ps->argv[ps->i + 1], "-") == 0) {
		ps->json_stdin = true;
		ps->i++;
	}
	return 0;
}

static int opt_app(struct parse *ps, const char *value)
{
	return set_app(ps->o, "--app", value, ps->exec);
}

static int opt_config(struct parse *ps, const char *value)
{
	ps->o->config = value;
	return *value ? 0 : invalid("--config", value, "expected a file name");
}

static int opt_history_n(struct parse *ps, const char *value)
{
	return set_history_n(ps->o, value);
}

static int opt_principal_id(struct parse *ps, const char *value)
{
	ps->o->principal_id = value;
	ps->principal_given = true;
	return valid_text(value, MAX_PRINCIPAL_BYTES) ? 0 : invalid("--principal-id", value, TEXT_EXPECTED, MAX_PRINCIPAL_BYTES);
}

/* The options that are not an event's facts: flag, whether it takes a value ("--x V" or
 * "--x=V"; the others must match whole), and what it sets: a function, or (set NULL) the
 * switch at that offset in struct options. */
#define SWITCH(name) false, NULL, offsetof(struct options, name)
static const struct general_option {
	const char *flag;
	bool takes_value;
	int (*set)(struct parse *ps, const char *value);
	size_t switch_field;
} general_options[] = {
	{"--help", false, opt_help, 0},
	{"-h", false, opt_help, 0},
	{"--version", false, opt_version, 0},
	{"--json", false, opt_json, 0},
	{"--dry-run", SWITCH(dry_run)},
	{"--debug", SWITCH(debug)},
	{"--wait", SWITCH(wait)},
	{"--disable", SWITCH(forget_disable)},
	{"--app", true, opt_app, 0},
	{"--config", true, opt_config, 0},
	{"-n", true, opt_history_n, 0},
	{"--principal-id", true, opt_principal_id, 0},
};
#undef SWITCH

/* An argument starting with '-': an event option (kept for later) or a general one. */
static int parse_option(struct parse *ps, const char *arg)
{
	const char *value = NULL;
	for (size_t k = 0; k < N_EVENT_OPTIONS; k++) {
		if (!is_flag(arg, event_options[k].flag))
			continue;
		int rc = option_value(ps->argc, ps->argv, &ps->i, arg, event_options[k].flag, &value);
		if (!rc) {
			ps->p[ps->np].opt = &event_options[k];
			ps->p[ps->np++].value = value;
		}
		return rc;
	}
	for (size_t k = 0; k < sizeof general_options / sizeof *general_options; k++) {
		const struct general_option *g = &general_options[k];
		if (g->takes_value ? !is_flag(arg, g->flag) : strcmp(arg, g->flag) != 0)
			continue;
		if (!g->set) {
			*(bool *)((char *)ps->o + g->switch_field) = true;
			return 0;
		}
		int rc = g->takes_value ? option_value(ps->argc, ps->argv, &ps->i, arg, g->flag, &value) : 0;
		return rc ? rc : g->set(ps, value);
	}
	return usage_error("unknown option '%s'", arg);
}

/* A word: the subcommand, then adopt's ANON_ID or level's word. */
static int parse_word(struct parse *ps, const char *arg)
{
	struct options *o = ps->o;
	for (size_t k = 0; k < sizeof commands / sizeof *commands && !ps->have_cmd; k++)
		if (strcmp(arg, commands[k].name) == 0) {
			o->cmd = commands[k].cmd;
			ps->have_cmd = true;
			return 0;
		}
	if (ps->have_cmd && o->cmd == CMD_ADOPT && !o->adopt_id) {
		o->adopt_id = arg;
		return uuid_text_valid(arg) ? 0 : invalid("ANON_ID", arg, "expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
	}
	if (ps->have_cmd && o->cmd == CMD_LEVEL && !o->level_word) {
		enum report_level level;
		o->level_word = arg;
		return conf_level_parse(arg, &level) == 0 ? 0 : invalid("level", arg, "expected all or errors");
	}
	return usage_error(ps->have_cmd ? "unexpected argument '%s'" : "unknown subcommand '%s'", arg);
}

/* "--": exec's PROGRAM follows; nothing else takes it. */
static int parse_separator(struct parse *ps)
{
	if (ps->o->cmd != CMD_EXEC)
		return usage_error("'%s' applies only to 'exec' (exec [EVENT] -- PROGRAM [ARG...])", "--");
	if (ps->i + 1 >= ps->argc)
		return usage_error("%s: expected PROGRAM [ARG...] after '--'", "exec");
	ps->o->program = &ps->argv[ps->i + 1];
	return 0;
}

/* What the command line left unset, from the environment. */
static int apply_env_defaults(struct parse *ps)
{
	struct options *o = ps->o;
	int rc = 0;
	if (!o->app) {
		const char *env = env_nonempty("USAGE_REPORT_APP");
		if (env)
			rc = set_app(o, "USAGE_REPORT_APP", env, ps->exec);
		if (!o->app)
			o->app = "usage-report";
	}
	if (!o->config)
		o->config = env_nonempty("USAGE_REPORT_CONFIG");
	if (!o->debug)
		o->debug = env_truthy("USAGE_REPORT_DEBUG");
	return rc;
}

int cli_parse(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->cmd = CMD_TRACK;
	struct parse ps = {.argc = argc, .argv = argv, .o = o, .exec = cli_wants_exec(argc, argv)};
	ps.p = xcalloc((size_t)argc + 1, sizeof *ps.p);
	int rc = 0;
	for (ps.i = 1; ps.i < argc && !rc && !ps.stop && !o->program; ps.i++) {
		const char *arg = argv[ps.i];
		if (strcmp(arg, "--") == 0)
			rc = parse_separator(&ps);
		else if (arg[0] != '-' || arg[1] == '\0')
			rc = parse_word(&ps, arg);
		else
			rc = parse_option(&ps, arg);
	}
	if (!rc && !ps.stop && !(rc = apply_env_defaults(&ps)))
		rc = complete_options(o, ps.p, ps.np, ps.json_stdin, ps.principal_given);
	free(ps.p);
	return rc;
}

void options_free(struct options *o)
{
	free(o->principal_owned);
	event_input_free(&o->ev);
}
