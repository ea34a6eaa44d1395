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

#define MAX_STDIN_EVENT (64 * 1024)
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

static int invalid(const char *what, const char *value, const char *why)
{
	if (quiet) {
		trace("invalid %s: %s: left out of the event (exec runs PROGRAM all the same)", what, why);
		return 2;
	}
	char *shown = printable(value);
	fprintf(stderr, "usage-report: invalid %s '%s': %s\n", what, shown, why);
	free(shown);
	return 2;
}

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
	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n &&
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
		return invalid(what, v, "expected 1-200 bytes of UTF-8 without control characters");
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
	if (n == 0 || n > 3 || strspn(v, "0123456789") != n || atoi(v) > 255)
		return invalid(what, v, "expected an integer from 0 to 255");
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
	if (!valid_text(v, 100))
		return invalid(what, v, "expected 1-100 bytes of UTF-8 without control characters");
	free(ev->cli_version);
	ev->cli_version = xstrdup(v);
	return 0;
}

static int set_event_name(struct event_input *ev, const char *what, const char *v)
{
	if (!valid_text(v, MAX_COMMAND_BYTES) || v[0] == '$')
		return invalid(what, v, "expected 1-200 bytes of UTF-8 without control characters, not starting with '$'");
	free(ev->event_name);
	ev->event_name = xstrdup(v);
	return 0;
}

static int set_error_type(struct event_input *ev, const char *what, const char *v)
{
	size_t n = strlen(v);
	if (n < 1 || n > MAX_ERROR_TYPE_BYTES || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return invalid(what, v, "expected 1-64 of [a-z0-9_.-]");
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
	if (kl < 1 || kl > 64 ||
	    strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != kl)
		rc = invalid(what, shown, "KEY must be 1-64 of [A-Za-z0-9_.-]");
	else if (event_builtin_property(key))
		rc = invalid(what, shown, "KEY is a built-in property name");
	else if (ev->n_props >= MAX_PROPERTIES) /* bounds the duplicate check below too */
		rc = invalid(what, shown, "at most 64 properties");
	else if (!text || (json_is_string(value) ? json_string_length(value) : strlen(text)) > MAX_PROPERTY_BYTES)
		rc = invalid(what, shown, "VALUE must be at most 1000 bytes");
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

struct event_option {
	const char *flag, *env;
	setter set;
};

static const struct event_option event_options[] = {
	{"--command", "USAGE_REPORT_COMMAND", set_command},
	{"--duration", "USAGE_REPORT_DURATION", set_duration},
	{"--exit-code", "USAGE_REPORT_EXIT_CODE", set_exit_code},
	{"--error", "USAGE_REPORT_ERROR", set_error},
	{"--cli-version", "USAGE_REPORT_CLI_VERSION", set_cli_version},
	{"--event", "USAGE_REPORT_EVENT", set_event_name},
	{"--error-type", "USAGE_REPORT_ERROR_TYPE", set_error_type},
	{"--property", NULL, set_property},
};
#define N_EVENT_OPTIONS (sizeof event_options / sizeof *event_options)

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

/* Read one JSON object from stdin into o's event (track, login and logout --json -), and a
 * login's principal_id: facts that must not show in argv. CLI flags override it. */
static int read_stdin_event(struct options *o)
{
	struct event_input *ev = &o->ev;
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
			return invalid("--json", "-", "the event on stdin is larger than 64 KiB");
		}
		buf_add(&b, chunk, (size_t)n);
	}
	json_error_t err;
	json_t *doc = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &err);
	buf_free(&b);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return invalid("--json", "-", "expected one JSON object on stdin");
	}
	int rc = 0;
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v) {
		char num[64];
		const char *s = json_string_value(v);
		if (json_is_number(v) && (!strcmp(key, "duration_ms") || !strcmp(key, "exit_code"))) {
			double d = json_number_value(v);
			if (json_is_integer(v))
				snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
			else
				snprintf(num, sizeof num, "%.6f", d < 0 ? -1.0 : d);
			s = num;
		}
		if (!strcmp(key, "properties") && json_is_object(v)) {
			const char *pk;
			json_t *pv;
			json_object_foreach(v, pk, pv) {
				if ((rc = add_property(ev, "--json property", pk, json_incref(pv), pk)) != 0)
					break;
			}
		} else if (!s) {
			rc = invalid("--json field", key, "expected a string or number");
		} else if (!strcmp(key, "command")) {
			rc = set_command(ev, "--json command", s);
		} else if (!strcmp(key, "duration_ms")) {
			rc = set_duration(ev, "--json duration_ms", s);
		} else if (!strcmp(key, "exit_code")) {
			rc = set_exit_code(ev, "--json exit_code", s);
		} else if (!strcmp(key, "error")) {
			rc = set_error(ev, "--json error", s);
		} else if (!strcmp(key, "cli_version")) {
			rc = set_cli_version(ev, "--json cli_version", s);
		} else if (!strcmp(key, "event")) {
			rc = set_event_name(ev, "--json event", s);
		} else if (!strcmp(key, "error_type")) {
			rc = set_error_type(ev, "--json error_type", s);
		} else if (!strcmp(key, "principal_id") && o->cmd == CMD_LOGIN) {
			if (!valid_text(s, 200))
				rc = invalid("--json principal_id", s, "expected 1-200 bytes of UTF-8 without control characters");
			else if (!o->principal_id)
				o->principal_id = o->principal_owned = xstrdup(s);
		} else {
			rc = invalid("--json field", key, "unknown field");
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
	int rc = invalid(what, value, "expected 1-64 of [a-z0-9._-]");
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
	if (errno || end == v || *end || n < 1 || n > HISTORY_MAX_SHOWN) {
		char why[64];
		snprintf(why, sizeof why, "expected a number of requests from 1 to %d", HISTORY_MAX_SHOWN);
		return invalid("-n", v, why);
	}
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

int cli_parse(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->cmd = CMD_TRACK;
	struct pending *p = xcalloc((size_t)argc + 1, sizeof *p);
	size_t np = 0;
	bool have_cmd = false, json_stdin = false, principal_given = false;
	bool exec = cli_wants_exec(argc, argv); /* telemetry never stands between the user and PROGRAM */
	int rc = 0;

	for (int i = 1; i < argc && !rc; i++) {
		const char *arg = argv[i];
		const char *value = NULL;
		bool matched = false;
		if (strcmp(arg, "--") == 0) {
			if (o->cmd != CMD_EXEC || i + 1 >= argc) {
				rc = o->cmd == CMD_EXEC ? usage_error("%s: expected PROGRAM [ARG...] after '--'", "exec")
				                        : usage_error("'%s' applies only to 'exec' (exec [EVENT] -- PROGRAM [ARG...])", arg);
				break;
			}
			o->program = &argv[i + 1];
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
				if (strcmp(arg, commands[k].name) == 0 && !have_cmd) {
					o->cmd = commands[k].cmd;
					have_cmd = matched = true;
				}
			if (!matched && have_cmd && o->cmd == CMD_ADOPT && !o->adopt_id) {
				matched = true;
				o->adopt_id = arg;
				if (!uuid_text_valid(arg))
					rc = invalid("ANON_ID", arg, "expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
			}
			if (!matched && have_cmd && o->cmd == CMD_LEVEL && !o->level_word) {
				enum report_level level;
				matched = true;
				o->level_word = arg;
				if (conf_level_parse(arg, &level) != 0)
					rc = invalid("level", arg, "expected all or errors");
			}
			if (!matched)
				rc = usage_error(have_cmd ? "unexpected argument '%s'" : "unknown subcommand '%s'", arg);
			continue;
		}
		for (size_t k = 0; k < N_EVENT_OPTIONS && !matched; k++) {
			if (!is_flag(arg, event_options[k].flag))
				continue;
			matched = true;
			rc = option_value(argc, argv, &i, arg, event_options[k].flag, &value);
			if (!rc) {
				p[np].opt = &event_options[k];
				p[np++].value = value;
			}
		}
		if (matched)
			continue;
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			o->cmd = CMD_HELP;
			break;
		} else if (!strcmp(arg, "--version")) {
			o->cmd = CMD_VERSION;
			break;
		} else if (!strcmp(arg, "--dry-run")) {
			o->dry_run = true;
		} else if (!strcmp(arg, "--debug")) {
			o->debug = true;
		} else if (!strcmp(arg, "--wait")) {
			o->wait = true;
		} else if (!strcmp(arg, "--json")) {
			o->json = true;
			if (i + 1 < argc && strcmp(argv[i + 1], "-") == 0) {
				json_stdin = true;
				i++;
			}
		} else if (is_flag(arg, "--app")) {
			if (!(rc = option_value(argc, argv, &i, arg, "--app", &value)))
				rc = set_app(o, "--app", value, exec);
		} else if (is_flag(arg, "--config")) {
			if (!(rc = option_value(argc, argv, &i, arg, "--config", &value)) && !*value)
				rc = invalid("--config", value, "expected a file name");
			o->config = value;
		} else if (!strcmp(arg, "--disable")) {
			o->forget_disable = true;
		} else if (is_flag(arg, "-n")) {
			if (!(rc = option_value(argc, argv, &i, arg, "-n", &value)))
				rc = set_history_n(o, value);
		} else if (is_flag(arg, "--principal-id")) {
			if (!(rc = option_value(argc, argv, &i, arg, "--principal-id", &value)) && !valid_text(value, 200))
				rc = invalid("--principal-id", value, "expected 1-200 bytes of UTF-8 without control characters");
			o->principal_id = value;
			principal_given = true;
		} else {
			rc = usage_error("unknown option '%s'", arg);
		}
	}
	if (!rc && (o->cmd == CMD_HELP || o->cmd == CMD_VERSION)) {
		free(p);
		return 0;
	}
	if (!rc && !o->app) {
		const char *env = env_nonempty("USAGE_REPORT_APP");
		if (env)
			rc = set_app(o, "USAGE_REPORT_APP", env, exec);
		if (!o->app)
			o->app = "usage-report";
	}
	if (!rc && !o->config)
		o->config = env_nonempty("USAGE_REPORT_CONFIG");
	if (!rc && !o->debug)
		o->debug = env_truthy("USAGE_REPORT_DEBUG");
	if (!rc)
		rc = complete_options(o, p, np, json_stdin, principal_given);
	free(p);
	return rc;
}

void options_free(struct options *o)
{
	free(o->principal_owned);
	event_input_free(&o->ev);
}
