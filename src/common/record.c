/* record.c — the queue record (its format, written and checked here only) and what it
 * becomes for each backend. */
#include "config.h"
#include "record.h"
#include "event.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A struct record is the record's JSON document itself, under a type that only this file
 * turns back into one. */
static json_t *doc(const struct record *record)
{
	return (json_t *)record;
}

/* Whether a parsed document is a record this version can send. */
static bool valid(const json_t *d)
{
	return json_integer_value(json_object_get(d, "v")) == RECORD_VERSION && json_is_string(json_object_get(d, "type")) &&
	       json_is_string(json_object_get(d, "anon_id")) && json_is_object(json_object_get(d, "event"));
}

struct record *record_parse(const char *text, size_t len)
{
	json_t *d = json_loadb(text, len, 0, NULL);
	if (!valid(d)) {
		json_decref(d);
		return NULL;
	}
	return (struct record *)d;
}

char *record_text(const struct record *record)
{
	return json_dumps(doc(record), JSON_COMPACT);
}

void record_free(struct record *record)
{
	json_decref(doc(record));
}

const char *record_type(const struct record *record)
{
	const char *t = json_string_value(json_object_get(doc(record), "type"));
	return t ? t : "";
}

void record_set_type(struct record *record, const char *type)
{
	json_object_set_new(doc(record), "type", json_string(type));
}

struct record *record_new(const char *type, const char *anon_id, const char *principal, json_t *event)
{
	return (struct record *)json_pack("{s:i, s:s, s:s, s:s?, s:o}", "v", RECORD_VERSION, "type", type, "anon_id", anon_id,
	                 "principal", principal, "event", event);
}

const char *record_credentials(const struct record *record)
{
	return json_string_value(json_object_get(doc(record), "credentials"));
}

void record_set_credentials(struct record *record, const char *name)
{
	if (name)
		json_object_set_new(doc(record), "credentials", json_string(name));
	else
		json_object_del(doc(record), "credentials");
}

const char *record_principal_captured(const struct record *record)
{
	return json_string_value(json_object_get(doc(record), "principal"));
}

const char *record_anon(const struct record *record)
{
	const char *a = json_string_value(json_object_get(doc(record), "anon_id"));
	return a ? a : "";
}

void record_set_identity(struct record *record, const char *anon_id, const char *principal)
{
	json_object_set_new(doc(record), "anon_id", json_string(anon_id));
	json_object_set_new(doc(record), "principal", principal ? json_string(principal) : json_null());
}

const char *record_uuid(const struct record *record)
{
	const char *u = json_string_value(json_object_get(json_object_get(doc(record), "event"), "uuid"));
	return u ? u : "";
}

/* The principal the record's event goes out under, or NULL for anonymous. An event
 * captured before its identity was linked goes out under the principal only once the
 * intake acknowledged the alias (when the backend has aliases at all): no event under a
 * principal may reach the intake before its alias (design.md §4.2). */
static const char *record_principal(const struct record *record, const struct identity *current, bool aliases)
{
	const char *captured = json_string_value(json_object_get(doc(record), "principal"));
	if (captured)
		return captured;
	const char *anon = json_string_value(json_object_get(doc(record), "anon_id"));
	if (current && anon && identity_principal(current) &&
	    strcmp(anon, identity_anon(current)) == 0 && (!aliases || identity_aliased(current)))
		return identity_principal(current); /* linked since capture */
	return NULL;
}

int64_t record_time_ms(const struct record *record)
{
	const char *stamp = json_string_value(json_object_get(json_object_get(doc(record), "event"), "timestamp"));
	int64_t ms = -1;
	if (!stamp || parse_rfc3339_ms(stamp, &ms) != 0)
		return -1;
	return ms;
}

const char *record_session(const struct record *record, struct session *session)
{
	int64_t ms = record_time_ms(record);
	if (strcmp(record_type(record), RECORD_EVENT) != 0 || ms < 0)
		return NULL;
	const char *id = session_assign(session, ms, record_uuid(record));
	if (json_is_true(json_object_get(doc(record), "ends_session")))
		session_end(session); /* a logout: the next event is someone else's session */
	return id;
}

void record_set_ends_session(struct record *record)
{
	json_object_set_new(doc(record), "ends_session", json_true());
}

void record_set_forced(struct record *record)
{
	json_object_set_new(doc(record), "forced", json_true());
}

bool record_forced(const struct record *record)
{
	return json_is_true(json_object_get(doc(record), "forced"));
}

/* What every backend's form of an event starts from. */
struct facts {
	json_t *event, *props; /* borrowed */
	const char *command, *outcome;
	bool failed;
	int64_t ms;
};

static void facts_of(const struct record *record, struct facts *f)
{
	f->event = json_object_get(doc(record), "event");
	f->props = json_object_get(f->event, "properties");
	f->command = json_string_value(json_object_get(f->props, "command_name"));
	f->outcome = json_string_value(json_object_get(f->props, "outcome"));
	f->failed = f->outcome && strcmp(f->outcome, "failure") == 0;
	f->ms = record_time_ms(record);
	if (f->ms < 0)
		f->ms = 0;
}

/* "<command> <outcome>", the message of a log. New reference. */
static json_t *facts_message(const struct facts *f, const char *outcome)
{
	return json_sprintf("%s %s", f->command ? f->command : "", outcome ? outcome : "");
}

json_t *record_posthog_event(const struct record *record, const struct identity *current, const char *session_id)
{
	json_t *event = json_deep_copy(json_object_get(doc(record), "event"));
	json_t *props = json_object_get(event, "properties");
	const char *anon = json_string_value(json_object_get(doc(record), "anon_id"));
	const char *type = json_string_value(json_object_get(doc(record), "type"));

	if (type && strcmp(type, RECORD_ALIAS) == 0) {
		const char *principal = json_string_value(json_object_get(doc(record), "principal"));
		json_object_set_new(event, "distinct_id", json_string(principal ? principal : ""));
		json_object_set_new(props, "distinct_id", json_string(principal ? principal : ""));
		json_object_set_new(props, "alias", json_string(anon ? anon : ""));
		return event;
	}
	const char *principal = record_principal(record, current, true);
	json_object_set_new(event, "distinct_id", json_string(principal ? principal : anon ? anon : ""));
	if (session_id)
		json_object_set_new(props, "$session_id", json_string(session_id));
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

json_t *record_datadog_log(const struct record *record, const struct identity *current, const struct conf *cfg,
                          int64_t now)
{
	struct facts f;
	facts_of(record, &f);
	json_t *event = f.event, *props = f.props;
	const char *outcome = f.outcome;
	const char *version = json_string_value(json_object_get(props, "cli_version"));
	const char *sysname = json_string_value(json_object_get(props, "os_type"));
	const char *principal = record_principal(record, current, conf_has_aliases(cfg));
	int64_t date = f.ms;
	bool failed = f.failed;

	json_t *log = json_object();
	const char *error_type = json_string_value(json_object_get(props, "error_type"));
	/* AssemblyAI's dashboards read a failure's class in outcome ("error" when it has none) */
	if (failed && cfg->dd_outcome_error_type)
		outcome = error_type ? error_type : "error";
	json_object_set_new(log, "ddsource", json_string(cfg->dd_source));
	json_object_set_new(log, "service", json_string(cfg->dd_service));
	if (version)
		json_object_set_new(log, "ddtags", json_sprintf("version:%s", version));
	json_object_set_new(log, "message", facts_message(&f, outcome));
	json_object_set_new(log, "status", json_string(failed ? "error" : "info"));
	if (now - date <= DATADOG_MAX_AGE_MS) {
		json_object_set_new(log, "date", json_integer(date));
	} else {
		/* the intake would discard it silently: let it stamp the log, keep the real time */
		json_object_set_new(log, "captured_at", json_integer(date));
	}
	copy_prop(log, "command", props, "command_name");
	json_object_set_new(log, "outcome", json_string(outcome ? outcome : ""));
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
	json_object_set(log, "device_id", json_object_get(doc(record), "anon_id"));
	if (principal)
		json_object_set_new(log, "usr", json_pack("{s:s}", "id", principal));
	json_object_set(log, "event_id", json_object_get(event, "uuid"));
	if (failed) {
		json_t *error = json_pack("{s:s}", "kind", error_type ? error_type : outcome);
		copy_prop(error, "message", props, "error_message");
		json_object_set_new(log, "error", error);
	}
	/* --property values sit at the top level, so that facets such as @python_version work;
	 * the command line refused reserved names, and a record never overwrites a field */
	const char *key;
	json_t *value;
	json_object_foreach(props, key, value) {
		if (key[0] != '$' && !event_datadog_reserved(key) && !json_object_get(log, key))
			json_object_set(log, key, value);
	}
	return log;
}

json_t *record_otlp_value(const json_t *value)
{
	if (json_is_string(value))
		return json_pack("{s:O}", "stringValue", value);
	if (json_is_integer(value))
		return json_pack("{s:O}", "intValue", value); /* a number, as the JavaScript exporter writes it */
	if (json_is_real(value))
		return json_pack("{s:O}", "doubleValue", value);
	if (json_is_boolean(value))
		return json_pack("{s:O}", "boolValue", value);
	if (json_is_array(value)) {
		json_t *values = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(value, i, v)
			json_array_append_new(values, record_otlp_value(v));
		return json_pack("{s:{s:o}}", "arrayValue", "values", values);
	}
	if (json_is_object(value)) {
		json_t *values = json_array();
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)value, k, v)
			json_array_append_new(values, json_pack("{s:s, s:o}", "key", k, "value", record_otlp_value(v)));
		return json_pack("{s:{s:o}}", "kvlistValue", "values", values);
	}
	return json_object(); /* null: an empty AnyValue */
}

static void add_attribute(json_t *attributes, const char *key, json_t *value)
{
	json_array_append_new(attributes, json_pack("{s:s, s:o}", "key", key, "value", record_otlp_value(value)));
	json_decref(value);
}

json_t *record_for_backend(const struct record *record, const struct conf *cfg, const struct identity *current,
                           struct session *session, int64_t now)
{
	if (cfg->backend == BACKEND_DATADOG)
		return record_datadog_log(record, current, cfg, now);
	const char *sid = record_session(record, session);
	if (cfg->backend == BACKEND_OTLP)
		return record_otlp_log(record, current, sid);
	return record_posthog_event(record, current, sid);
}

/* Timestamps in ns, as strings (int64 in OTLP's JSON encoding). */
static json_t *otlp_nanos(int64_t ms)
{
	return json_sprintf("%lld000000", (long long)ms);
}

json_t *record_otlp_log(const struct record *record, const struct identity *current, const char *session_id)
{
	static const char *const ours[] = {"$process_person_profile", "$geoip_disable", "event.id", "user.id",
	                                   "device.id", "$session_id", NULL};
	struct facts f;
	facts_of(record, &f);
	const char *name = json_string_value(json_object_get(f.event, "event"));
	const char *principal = record_principal(record, current, false);

	json_t *attributes = json_array();
	const char *key;
	json_t *value;
	json_object_foreach(f.props, key, value) {
		if (!word_in(key, ours)) /* ours are set below, whatever a --property said */
			add_attribute(attributes, key, json_incref(value));
	}
	if (session_id)
		add_attribute(attributes, "$session_id", json_string(session_id));
	add_attribute(attributes, "event.id", json_string(record_uuid(record)));
	if (principal)
		add_attribute(attributes, "user.id", json_string(principal));
	else
		add_attribute(attributes, "device.id", json_incref(json_object_get(doc(record), "anon_id")));
	return json_pack("{s:o, s:o, s:i, s:s, s:{s:o}, s:s, s:o, s:i}", "timeUnixNano", otlp_nanos(f.ms),
	                 "observedTimeUnixNano", otlp_nanos(f.ms), "severityNumber", f.failed ? 17 : 9, "severityText",
	                 f.failed ? "ERROR" : "INFO", "body", "stringValue", facts_message(&f, f.outcome), "eventName",
	                 name ? name : "", "attributes", attributes, "droppedAttributesCount", 0);
}
