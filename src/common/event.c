/* event.c — one usage event (design.md §2) and the queue record that carries it to the sender. */
#include "config.h"
#include "event.h"
#include "scrub.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

bool event_builtin_property(const char *key)
{
	static const char *const builtin[] = {
		"command_name", "cli_version", "duration_ms", "exit_code", "outcome", "error_message",
		"os_type", "os_release", "arch", "ci", "app", "distinct_id", "token", "alias",
		"parent_uuid", "error_type", "rate_limited", NULL,
	};
	for (const char *const *b = builtin; *b; b++)
		if (strcmp(key, *b) == 0)
			return true;
	return false;
}

bool event_datadog_reserved(const char *key)
{
	static const char *const reserved[] = {
		/* Datadog's reserved attributes */
		"host", "service", "status", "message", "date", "ddsource", "ddtags", "usr", "error",
		"network", "http", "trace_id", "span_id", "view", "session",
		/* the fields of the log record.c writes */
		"command", "os", "device_id", "event_id", "captured_at", NULL,
	};
	for (const char *const *r = reserved; *r; r++)
		if (strcasecmp(key, *r) == 0)
			return true;
	return event_builtin_property(key);
}

bool event_failed(const struct event_input *in)
{
	return in->has_error || in->error_type;
}

int event_exit_code(const struct event_input *in)
{
	return in->has_exit_code ? in->exit_code : event_failed(in) ? 1 : 0;
}

const char *event_outcome(const struct event_input *in)
{
	int code = event_exit_code(in);
	if (code == 130)
		return "cancelled";
	if (code != 0 || event_failed(in))
		return "failure";
	return "success";
}

const char *event_posthog_os(const char *sysname)
{
	if (strcmp(sysname, "Darwin") == 0)
		return "Mac OS X";
	if (strncmp(sysname, "CYGWIN", 6) == 0 || strncmp(sysname, "MINGW", 5) == 0 ||
	    strncmp(sysname, "MSYS", 4) == 0)
		return "Windows";
	return sysname;
}

int parse_duration(const char *s, long long *ms)
{
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 15)
		return -1;
	long long whole = 0;
	for (size_t i = 0; i < digits; i++)
		whole = whole * 10 + (s[i] - '0');
	const char *frac = s + digits;
	if (*frac == '.') {
		frac++;
		size_t n = strspn(frac, "0123456789");
		if (n == 0 || frac[n] != '\0')
			return -1;
		bool rest_nonzero = strspn(frac + 1, "0") != n - 1;
		whole = round_half_even(whole, frac[0] != '5' ? frac[0] - '5' : rest_nonzero);
	} else if (*frac != '\0') {
		return -1;
	}
	*ms = whole;
	return 0;
}

static void set_common(json_t *props)
{
	json_object_set_new(props, "$lib", json_string("usage-report"));
	json_object_set_new(props, "$lib_version", json_string(PACKAGE_VERSION));
	json_object_set_new(props, "$geoip_disable", json_true());
}

static json_t *event_shell(const char *name, json_t *props, const char *given_uuid)
{
	char uuid[UUID_STR_LEN], stamp[RFC3339_LEN];
	if (given_uuid && *given_uuid)
		snprintf(uuid, sizeof uuid, "%s", given_uuid);
	else
		uuid_v4(uuid);
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	return json_pack("{s:s, s:s, s:s, s:o}", "event", name, "uuid", uuid, "timestamp", stamp,
	                 "properties", props);
}

json_t *event_build(const struct conf *cfg, const struct event_input *in)
{
	const char *outcome = event_outcome(in);
	json_t *props = json_object();
	struct utsname u;

	json_object_set_new(props, "command_name", json_string(in->command));
	if (in->cli_version)
		json_object_set_new(props, "cli_version", json_string(in->cli_version));
	if (in->has_duration && in->duration_ms > 0)
		json_object_set_new(props, "duration_ms", json_integer(in->duration_ms));
#ifdef _WIN32
	/* a Windows exit code is a DWORD: Ctrl-C's 0xC000013A is 3221225786, as Python says it */
	json_object_set_new(props, "exit_code", json_integer((json_int_t)(unsigned)event_exit_code(in)));
#else
	json_object_set_new(props, "exit_code", json_integer(event_exit_code(in)));
#endif
	json_object_set_new(props, "outcome", json_string(outcome));
	if (in->has_error && strcmp(outcome, "failure") == 0) {
		char *clean = scrub_error(in->error);
		if (*clean)
			json_object_set_new(props, "error_message", json_string(clean));
		free(clean);
	}
	if (in->error_type)
		json_object_set_new(props, "error_type", json_string(in->error_type));
	if (uname(&u) == 0) {
		json_object_set_new(props, "os_type", json_string(u.sysname));
		json_object_set_new(props, "os_release", json_string(u.release));
		json_object_set_new(props, "arch", json_string(u.machine));
		json_object_set_new(props, "$os", json_string(event_posthog_os(u.sysname)));
		json_object_set_new(props, "$os_version", json_string(u.release));
	}
	json_object_set_new(props, "ci", json_boolean(env_ci()));
	json_object_set_new(props, "app", json_string(cfg->app));
	if (*in->parent_uuid)
		json_object_set_new(props, "parent_uuid", json_string(in->parent_uuid));
	if (in->rate_limited > 0)
		json_object_set_new(props, "rate_limited", json_integer(in->rate_limited));
	set_common(props);
	for (size_t i = 0; i < in->n_props; i++)
		json_object_set(props, in->props[i].key, in->props[i].value);

	const char *name = in->event_name                     ? in->event_name
	                   : strcmp(outcome, "success") == 0 ? cfg->event_success
	                                                      : cfg->event_failure;
	return event_shell(name, props, in->uuid);
}

json_t *event_build_alias(void)
{
	json_t *props = json_object();
	set_common(props);
	return event_shell("$create_alias", props, NULL);
}

void event_input_free(struct event_input *in)
{
	free(in->command);
	free(in->error);
	free(in->cli_version);
	free(in->event_name);
	free(in->error_type);
	for (size_t i = 0; i < in->n_props; i++) {
		free(in->props[i].key);
		json_decref(in->props[i].value);
	}
	free(in->props);
	memset(in, 0, sizeof *in);
}
