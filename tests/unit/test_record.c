/* test_record.c — the queue record and what it becomes for each backend (src/common/record.c):
 * PostHog's distinct_id and person-profile rule, the alias gate, Datadog's log fields and its
 * 18-hour rule. */
#include "config.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "event.h"
#include "identity.h"
#include "record.h"

#define ANON "11111111-2222-4333-8444-555555555555"

static struct conf cfg;

static int setup(void **state)
{
	(void)state;
	conf_load_string(&cfg, "mycli", "backend = datadog\n[datadog]\nclient_token = pub1\nservice = svc\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	conf_free(&cfg);
	return 0;
}

static struct record *a_record(const char *principal, int exit_code)
{
	struct event_input in = {.command = (char *)"deploy", .has_exit_code = true, .exit_code = exit_code,
	                         .has_duration = true, .duration_ms = 42, .cli_version = (char *)"2.0"};
	return record_new(RECORD_EVENT, ANON, principal, event_build(&cfg, &in));
}

static struct identity identity(const char *json)
{
	struct identity id = {0};
	assert_int_equal(identity_parse(json, strlen(json), &id), 0);
	return id;
}

static void posthog_anonymous_and_linked(void **state)
{
	(void)state;
	struct record *rec = a_record(NULL, 0);
	char *text = record_text(rec);
	struct record *again = record_parse(text, strlen(text)); /* what the queue module does */
	assert_non_null(again);
	record_free(again);
	free(text);
	json_t *ev = record_posthog_event(rec, NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(ev, "distinct_id")), ANON);
	assert_true(json_is_false(json_object_get(json_object_get(ev, "properties"), "$process_person_profile")));
	json_decref(ev);
	/* linked since capture, alias not yet acknowledged: still anonymous */
	struct identity linked = identity("{\"anon_id\":\"" ANON "\",\"linked_principal_id\":\"p1\",\"usage_report\":{}}");
	ev = record_posthog_event(rec, &linked, NULL);
	assert_string_equal(json_string_value(json_object_get(ev, "distinct_id")), ANON);
	json_decref(ev);
	identity_release(&linked);
	/* acknowledged: under the principal, no person-profile flag */
	linked = identity("{\"anon_id\":\"" ANON "\",\"linked_principal_id\":\"p1\",\"usage_report\":{\"aliased\":\"p1\"}}");
	ev = record_posthog_event(rec, &linked, NULL);
	assert_string_equal(json_string_value(json_object_get(ev, "distinct_id")), "p1");
	assert_null(json_object_get(json_object_get(ev, "properties"), "$process_person_profile"));
	json_decref(ev);
	identity_release(&linked);
	record_free(rec);
}

static void posthog_alias(void **state)
{
	(void)state;
	struct record *rec = record_new(RECORD_ALIAS, ANON, "p1", event_build_alias());
	json_t *ev = record_posthog_event(rec, NULL, NULL);
	json_t *props = json_object_get(ev, "properties");
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "$create_alias");
	assert_string_equal(json_string_value(json_object_get(ev, "distinct_id")), "p1");
	assert_string_equal(json_string_value(json_object_get(props, "alias")), ANON);
	assert_null(json_object_get(props, "$process_person_profile"));
	json_decref(ev);
	record_free(rec);
}

static void datadog_fields(void **state)
{
	(void)state;
	struct record *rec = a_record("p1", 3);
	int64_t date = record_time_ms(rec);
	assert_true(date > 0);
	json_t *log = record_datadog_log(rec, NULL, &cfg, date + 1000);
	assert_string_equal(json_string_value(json_object_get(log, "ddsource")), "mycli");
	assert_string_equal(json_string_value(json_object_get(log, "service")), "svc");
	assert_string_equal(json_string_value(json_object_get(log, "ddtags")), "version:2.0");
	assert_string_equal(json_string_value(json_object_get(log, "message")), "deploy failure");
	assert_string_equal(json_string_value(json_object_get(log, "status")), "error");
	assert_int_equal(json_integer_value(json_object_get(log, "date")), date);
	assert_int_equal(json_integer_value(json_object_get(log, "exit_code")), 3);
	assert_int_equal(json_integer_value(json_object_get(log, "duration_ms")), 42);
	assert_string_equal(json_string_value(json_object_get(log, "device_id")), ANON);
	assert_string_equal(json_string_value(json_object_get(json_object_get(log, "usr"), "id")), "p1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(log, "error"), "kind")), "failure");
	assert_null(json_object_get(log, "captured_at"));
	json_decref(log);
	/* older than the intake keeps: no date, captured_at instead */
	log = record_datadog_log(rec, NULL, &cfg, date + DATADOG_MAX_AGE_MS + 1);
	assert_null(json_object_get(log, "date"));
	assert_int_equal(json_integer_value(json_object_get(log, "captured_at")), date);
	json_decref(log);
	record_free(rec);
}

/* AssemblyAI's dashboard: custom properties at the top level, the failure class in
 * outcome and error.kind, ddsource from [datadog] source. */
static void datadog_as_assemblyai_reads_it(void **state)
{
	(void)state;
	struct conf aai;
	conf_load_string(&aai, "assembly",
	                 "backend = datadog\n[datadog]\nclient_token = pub1\nsource = aai-cli\noutcome = error_type\n");
	assert_int_equal(aai.n_issues, 0);
	struct prop props[] = {{(char *)"python_version", json_string("3.12.9")}, {(char *)"retries", json_integer(2)}};
	struct event_input in = {.command = (char *)"assembly balance", .error_type = (char *)"api_error",
	                         .has_error = true, .error = (char *)"Insufficient balance", .props = props, .n_props = 2};
	struct record *rec = record_new(RECORD_EVENT, ANON, NULL, event_build(&aai, &in));
	json_t *log = record_datadog_log(rec, NULL, &aai, now_ms());
	assert_string_equal(json_string_value(json_object_get(log, "ddsource")), "aai-cli");
	assert_string_equal(json_string_value(json_object_get(log, "outcome")), "api_error");
	assert_string_equal(json_string_value(json_object_get(log, "message")), "assembly balance api_error");
	assert_string_equal(json_string_value(json_object_get(json_object_get(log, "error"), "kind")), "api_error");
	assert_string_equal(json_string_value(json_object_get(json_object_get(log, "error"), "message")), "Insufficient balance");
	assert_string_equal(json_string_value(json_object_get(log, "python_version")), "3.12.9");
	assert_int_equal(json_integer_value(json_object_get(log, "retries")), 2);
	assert_null(json_object_get(log, "properties"));
	assert_null(json_object_get(log, "error_type")); /* carried by outcome and error.kind */
	json_decref(log);
	record_free(rec);
	/* a failure without a class: "error", as AssemblyAI's typer.Exit(n) */
	struct event_input plain = {.command = (char *)"assembly stream", .has_exit_code = true, .exit_code = 3};
	rec = record_new(RECORD_EVENT, ANON, NULL, event_build(&aai, &plain));
	log = record_datadog_log(rec, NULL, &aai, now_ms());
	assert_string_equal(json_string_value(json_object_get(log, "outcome")), "error");
	assert_string_equal(json_string_value(json_object_get(json_object_get(log, "error"), "kind")), "error");
	json_decref(log);
	record_free(rec);
	/* outcome = outcome (the default) keeps "failure" but error.kind is still the class */
	in.props = NULL;
	in.n_props = 0;
	rec = record_new(RECORD_EVENT, ANON, NULL, event_build(&cfg, &in));
	log = record_datadog_log(rec, NULL, &cfg, now_ms());
	assert_string_equal(json_string_value(json_object_get(log, "outcome")), "failure");
	assert_string_equal(json_string_value(json_object_get(json_object_get(log, "error"), "kind")), "api_error");
	assert_string_equal(json_string_value(json_object_get(log, "ddsource")), "mycli");
	json_decref(log);
	record_free(rec);
	json_decref(props[0].value);
	json_decref(props[1].value);
	conf_free(&aai);
}

static void posthog_event_names_and_types(void **state)
{
	(void)state;
	struct prop props[] = {{(char *)"tool_count", json_integer(12)}};
	struct event_input in = {.command = (char *)"mcp.serve", .event_name = (char *)"MCP server started",
	                         .props = props, .n_props = 1};
	struct record *rec = record_new(RECORD_EVENT, ANON, NULL, event_build(&cfg, &in));
	json_t *ev = record_posthog_event(rec, NULL, NULL);
	json_t *p = json_object_get(ev, "properties");
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "MCP server started");
	assert_int_equal(json_integer_value(json_object_get(p, "tool_count")), 12);
	assert_string_equal(json_string_value(json_object_get(p, "$os")), event_posthog_os(json_string_value(json_object_get(p, "os_type"))));
	assert_string_equal(event_posthog_os("Darwin"), "Mac OS X");
	assert_string_equal(event_posthog_os("Linux"), "Linux");
	assert_string_equal(event_posthog_os("MINGW64_NT-10.0"), "Windows");
	json_decref(ev);
	record_free(rec);
	json_decref(props[0].value);
}

static void otlp_values_are_typed(void **state)
{
	(void)state;
	const char *cases[][2] = {
		{"\"s\"", "{\"stringValue\":\"s\"}"},
		{"3", "{\"intValue\":3}"},
		{"0.25", "{\"doubleValue\":0.25}"},
		{"true", "{\"boolValue\":true}"},
		{"null", "{}"},
		{"[1,\"a\"]", "{\"arrayValue\":{\"values\":[{\"intValue\":1},{\"stringValue\":\"a\"}]}}"},
		{"{\"k\":false}", "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":{\"boolValue\":false}}]}}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *in = json_loads(cases[i][0], JSON_DECODE_ANY, NULL);
		json_t *out = record_otlp_value(in);
		char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
		assert_string_equal(text, cases[i][1]);
		free(text);
		json_decref(out);
		json_decref(in);
	}
}

static void otlp_log_record(void **state)
{
	(void)state;
	struct prop props[] = {{(char *)"user.id", json_string("spoofed")}};
	struct event_input in = {.command = (char *)"deploy", .error_type = (char *)"api_error", .props = props, .n_props = 1};
	struct record *rec = record_new(RECORD_EVENT, ANON, NULL, event_build(&cfg, &in));
	json_t *log = record_otlp_log(rec, NULL, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
	assert_int_equal(json_integer_value(json_object_get(log, "severityNumber")), 17);
	assert_string_equal(json_string_value(json_object_get(log, "severityText")), "ERROR");
	assert_string_equal(json_string_value(json_object_get(json_object_get(log, "body"), "stringValue")), "deploy failure");
	assert_string_equal(json_string_value(json_object_get(log, "eventName")), "CLI execution failed");
	const char *t = json_string_value(json_object_get(log, "timeUnixNano"));
	assert_int_equal(strlen(t), 19);
	assert_string_equal(t + 13, "000000");
	/* ours come last and cannot be overwritten by a --property of the same name */
	json_t *attrs = json_object_get(log, "attributes");
	size_t n = json_array_size(attrs), users = 0;
	for (size_t i = 0; i < n; i++) {
		const char *k = json_string_value(json_object_get(json_array_get(attrs, i), "key"));
		users += !strcmp(k, "user.id");
		assert_true(strcmp(k, "$process_person_profile") != 0 && strcmp(k, "$geoip_disable") != 0);
	}
	assert_int_equal(users, 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(attrs, n - 1), "key")), "device.id");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(attrs, n - 1), "value"), "stringValue")), ANON);
	assert_string_equal(json_string_value(json_object_get(json_array_get(attrs, n - 3), "key")), "$session_id");
	json_decref(log);
	record_free(rec);
	json_decref(props[0].value);
}

/* Sessions from the gaps between event times (design.md §4.5), whatever the clock did. */
static void sessions_follow_the_gaps(void **state)
{
	(void)state;
	const int64_t t = 1790000000000LL, min = 60 * 1000;
	struct session s = {0};
	char first[UUID_STR_LEN];
	snprintf(first, sizeof first, "%s", session_assign(&s, t, ANON));
	int64_t start = 0; /* the id's first 48 bits are the session's start */
	for (int i = 0; i < 12; i++)
		start = start * 16 + (first[i < 8 ? i : i + 1] <= '9' ? first[i < 8 ? i : i + 1] - '0' : first[i < 8 ? i : i + 1] - 'a' + 10);
	assert_int_equal(start, t);
	assert_int_equal(first[14], '7');
	/* the same event again (a retry): the same id */
	struct session again = {0};
	assert_string_equal(session_assign(&again, t, ANON), first);
	assert_string_equal(session_assign(&s, t + 29 * min, "22222222-2222-4222-8222-222222222222"), first);
	/* a clock that stepped back a little continues it; far back starts another */
	assert_string_equal(session_assign(&s, t + 10 * min, "33333333-3333-4333-8333-333333333333"), first);
	assert_int_equal(s.last_ms, t + 29 * min);
	struct session back = s;
	assert_string_not_equal(session_assign(&back, t - 60 * min, "44444444-4444-4444-8444-444444444444"), first);
	/* 30 minutes idle ends it */
	assert_string_not_equal(session_assign(&s, t + 60 * min, "55555555-5555-4555-8555-555555555555"), first);
	/* and so do 24 hours of events 20 minutes apart */
	struct session busy = {0};
	char id[UUID_STR_LEN];
	snprintf(id, sizeof id, "%s", session_assign(&busy, t, ANON));
	int changes = 0;
	for (int64_t at = t; at <= t + 25 * 60 * min; at += 20 * min) {
		const char *now = session_assign(&busy, at, ANON);
		changes += strcmp(now, id) != 0;
		snprintf(id, sizeof id, "%s", now);
	}
	assert_int_equal(changes, 1);
}

static void records_are_checked(void **state)
{
	(void)state;
	const char *bad[] = {"{}", "[]", "{\"v\":2,\"type\":\"event\",\"anon_id\":\"a\",\"event\":{}}",
	                     "{\"v\":1,\"type\":\"event\",\"anon_id\":7,\"event\":{}}",
	                     "{\"v\":1,\"type\":\"event\",\"anon_id\":\"a\",\"event\":[]}", NULL};
	for (const char **b = bad; *b; b++)
		assert_null(record_parse(*b, strlen(*b)));
	assert_null(record_parse("", 0));
	assert_null(record_parse("{\"v\":1,", 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(posthog_anonymous_and_linked),
		cmocka_unit_test(posthog_alias),
		cmocka_unit_test(datadog_fields),
		cmocka_unit_test(datadog_as_assemblyai_reads_it),
		cmocka_unit_test(posthog_event_names_and_types),
		cmocka_unit_test(otlp_values_are_typed),
		cmocka_unit_test(otlp_log_record),
		cmocka_unit_test(sessions_follow_the_gaps),
		cmocka_unit_test(records_are_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
