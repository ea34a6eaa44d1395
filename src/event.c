/* event.c — one usage event (SPEC §2) and the queue record that carries it to the sender. */
#include "config.h"
#include "event.h"
#include "consent.h"
#include "scrub.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

bool event_builtin_property(const char *key)
{
	static const char *const builtin[] = {
		"command_name", "cli_version", "duration_ms", "exit_code", "outcome", "error_message",
		"os_type", "os_release", "arch", "ci", "app", "distinct_id", "token", "alias",
		"parent_uuid", NULL,
	};
	for (const char *const *b = builtin; *b; b++)
		if (strcmp(key, *b) == 0)
			return true;
	return false;
}

const char *event_outcome(const struct event_input *in)
{
	int code = in->has_exit_code ? in->exit_code : (in->has_error ? 1 : 0);
	if (code == 130)
		return "cancelled";
	if (code != 0 || in->has_error)
		return "failure";
	return "success";
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
		if (frac[0] > '5' || (frac[0] == '5' && (rest_nonzero || whole % 2 == 1)))
			whole++; /* above half, or exactly half with an odd integer part */
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
	json_object_set_new(props, "exit_code",
	                    json_integer(in->has_exit_code ? in->exit_code : (in->has_error ? 1 : 0)));
	json_object_set_new(props, "outcome", json_string(outcome));
	if (in->has_error && strcmp(outcome, "failure") == 0) {
		char *clean = scrub_error(in->error);
		if (*clean)
			json_object_set_new(props, "error_message", json_string(clean));
		free(clean);
	}
	if (uname(&u) == 0) {
		json_object_set_new(props, "os_type", json_string(u.sysname));
		json_object_set_new(props, "os_release", json_string(u.release));
		json_object_set_new(props, "arch", json_string(u.machine));
	}
	json_object_set_new(props, "ci", json_boolean(ci_detected()));
	json_object_set_new(props, "app", json_string(cfg->app));
	if (*in->parent_uuid)
		json_object_set_new(props, "parent_uuid", json_string(in->parent_uuid));
	set_common(props);
	for (size_t i = 0; i < in->n_props; i++)
		json_object_set_new(props, in->props[i].key, json_string(in->props[i].value));

	const char *name = strcmp(outcome, "success") == 0 ? cfg->event_success : cfg->event_failure;
	return event_shell(name, props, in->uuid);
}

json_t *event_build_alias(void)
{
	json_t *props = json_object();
	set_common(props);
	return event_shell("$create_alias", props, NULL);
}

json_t *record_new(const char *type, const char *anon_id, const char *principal, json_t *event)
{
	return json_pack("{s:i, s:s, s:s, s:s?, s:o}", "v", 1, "type", type, "anon_id", anon_id,
	                 "principal", principal, "event", event);
}

const char *record_uuid(const json_t *record)
{
	const char *u = json_string_value(json_object_get(json_object_get(record, "event"), "uuid"));
	return u ? u : "";
}

/* The principal the record's event goes out under, or NULL for anonymous. An event
 * captured before its identity was linked goes out under the principal only once the
 * intake acknowledged the alias (when the backend has aliases at all): no event under a
 * principal may reach the intake before its alias (SPEC §4.2). */
static const char *record_principal(const json_t *record, const struct identity *current, bool aliases)
{
	const char *captured = json_string_value(json_object_get(record, "principal"));
	if (captured)
		return captured;
	const char *anon = json_string_value(json_object_get(record, "anon_id"));
	if (current && current->doc && anon && identity_principal(current) &&
	    strcmp(anon, identity_anon(current)) == 0 && (!aliases || identity_aliased(current)))
		return identity_principal(current); /* linked since capture */
	return NULL;
}

json_t *record_posthog_event(const json_t *record, const struct identity *current)
{
	json_t *event = json_deep_copy(json_object_get(record, "event"));
	json_t *props = json_object_get(event, "properties");
	const char *anon = json_string_value(json_object_get(record, "anon_id"));
	const char *type = json_string_value(json_object_get(record, "type"));

	if (type && strcmp(type, RECORD_ALIAS) == 0) {
		const char *principal = json_string_value(json_object_get(record, "principal"));
		json_object_set_new(event, "distinct_id", json_string(principal ? principal : ""));
		json_object_set_new(props, "distinct_id", json_string(principal ? principal : ""));
		json_object_set_new(props, "alias", json_string(anon ? anon : ""));
		return event;
	}
	const char *principal = record_principal(record, current, true);
	json_object_set_new(event, "distinct_id", json_string(principal ? principal : anon ? anon : ""));
	if (principal)
		json_object_del(props, "$process_person_profile");
	else
		json_object_set_new(props, "$process_person_profile", json_false());
	return event;
}

static void copy_prop(json_t *log, const char *to, json_t *props, const char *from)
{
	json_t *v = json_object_get(props, from);
	if (v)
		json_object_set(log, to, v);
}

json_t *record_datadog_log(const json_t *record, const struct identity *current, const struct conf *cfg,
                          int64_t now)
{
	json_t *event = json_object_get(record, "event");
	json_t *props = json_object_get(event, "properties");
	const char *command = json_string_value(json_object_get(props, "command_name"));
	const char *outcome = json_string_value(json_object_get(props, "outcome"));
	const char *version = json_string_value(json_object_get(props, "cli_version"));
	const char *sysname = json_string_value(json_object_get(props, "os_type"));
	const char *principal = record_principal(record, current, false);
	int64_t date = 0;
	const char *stamp = json_string_value(json_object_get(event, "timestamp"));
	if (stamp)
		(void)parse_rfc3339_ms(stamp, &date);
	bool failed = outcome && strcmp(outcome, "failure") == 0;

	json_t *log = json_object();
	json_object_set_new(log, "ddsource", json_string(cfg->app));
	json_object_set_new(log, "service", json_string(cfg->dd_service));
	if (version)
		json_object_set_new(log, "ddtags", json_sprintf("version:%s", version));
	json_object_set_new(log, "message", json_sprintf("%s %s", command ? command : "", outcome ? outcome : ""));
	json_object_set_new(log, "status", json_string(failed ? "error" : "info"));
	if (now - date <= DATADOG_MAX_AGE_MS) {
		json_object_set_new(log, "date", json_integer(date));
	} else {
		/* the intake would discard it silently: let it stamp the log, keep the real time */
		json_object_set_new(log, "captured_at", json_integer(date));
	}
	copy_prop(log, "command", props, "command_name");
	copy_prop(log, "outcome", props, "outcome");
	copy_prop(log, "exit_code", props, "exit_code");
	json_t *duration = json_object_get(props, "duration_ms");
	json_object_set_new(log, "duration_ms", duration ? json_incref(duration) : json_integer(0));
	copy_prop(log, "cli_version", props, "cli_version");
	if (sysname) {
		char *os = xstrdup(sysname);
		for (char *p = os; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		json_object_set_new(log, "os", json_string(os));
		free(os);
	}
	copy_prop(log, "ci", props, "ci");
	json_object_set(log, "device_id", json_object_get(record, "anon_id"));
	if (principal)
		json_object_set_new(log, "usr", json_pack("{s:s}", "id", principal));
	json_object_set(log, "event_id", json_object_get(event, "uuid"));
	if (failed) {
		json_t *error = json_pack("{s:s}", "kind", "failure");
		copy_prop(error, "message", props, "error_message");
		json_object_set_new(log, "error", error);
	}
	/* --property values travel under "properties", clear of Datadog's reserved names */
	json_t *custom = json_object();
	const char *key;
	json_t *value;
	json_object_foreach(props, key, value) {
		if (key[0] != '$' && !event_builtin_property(key))
			json_object_set(custom, key, value);
	}
	if (json_object_size(custom))
		json_object_set_new(log, "properties", custom);
	else
		json_decref(custom);
	return log;
}

void event_input_free(struct event_input *in)
{
	free(in->command);
	free(in->error);
	free(in->cli_version);
	for (size_t i = 0; i < in->n_props; i++) {
		free(in->props[i].key);
		free(in->props[i].value);
	}
	free(in->props);
	memset(in, 0, sizeof *in);
}
