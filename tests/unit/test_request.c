/* test_request.c — what history keeps of a request (src/common/request.c, design.md §4.7):
 * the body as sent, every credential in it and in the URL masked as in traces, wherever it
 * stands: a value, part of a value, a key. */
#include "config.h"
#include "unit.h"

#include "request.h"

#define LONG_KEY "phc_0123456789abcdefKEY"

static struct conf posthog(char *key)
{
	return (struct conf){.backend = BACKEND_POSTHOG, .posthog_host = "https://intake.example", .posthog_api_key = key};
}

static char *shown_text(const struct request *r)
{
	json_t *shown = request_shown(r);
	char *text = json_dumps(shown, JSON_COMPACT);
	json_decref(shown);
	return text;
}

static void the_key_is_masked_wherever_it_stands(void **state)
{
	(void)state;
	struct conf cfg = posthog(LONG_KEY);
	json_t *payload = json_pack("[{s:s, s:{s:s, s:[s, i], s:b}}]", "event", "command", "properties",
	                            "note", "key=" LONG_KEY " twice " LONG_KEY, "list", LONG_KEY, 7, LONG_KEY, 1);
	struct request r;
	request_delivery(&r, &cfg, payload, "2026-01-01T00:00:00.000Z");
	char *text = shown_text(&r);
	assert_string_equal(text, "{\"intake\":\"https://intake.example/batch/\",\"body\":{\"api_key\":\"phc_…\","
	                          "\"batch\":[{\"event\":\"command\",\"properties\":{\"note\":\"key=phc_… twice phc_…\","
	                          "\"list\":[\"phc_…\",7],\"phc_…\":true}}],\"sent_at\":\"2026-01-01T00:00:00.000Z\"}}");
	free(text);
	/* the request itself is untouched: it is what was sent */
	assert_string_equal(json_string_value(json_object_get(r.body, "api_key")), LONG_KEY);
	request_free(&r);
	json_decref(payload);
}

static void a_short_key_shows_nothing_of_itself(void **state)
{
	(void)state;
	struct conf cfg = posthog("phc_short");
	json_t *payload = json_pack("[{s:s}]", "event", "phc_short");
	struct request r;
	request_delivery(&r, &cfg, payload, "t");
	json_t *shown = request_shown(&r);
	json_t *body = json_object_get(shown, "body");
	assert_string_equal(json_string_value(json_object_get(body, "api_key")), "…");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(body, "batch"), 0), "event")), "…");
	json_decref(shown);
	request_free(&r);
	json_decref(payload);
}

static void the_datadog_url_is_masked_too(void **state)
{
	(void)state;
	struct conf cfg = {.backend = BACKEND_DATADOG, .dd_url = "https://logs.example/api/v2/logs",
	                   .dd_client_token = "pub0123456789abcdef0123", .dd_source = "app"};
	json_t *payload = json_pack("[{s:s}]", "message", "m");
	struct request r;
	request_delivery(&r, &cfg, payload, "t");
	json_t *shown = request_shown(&r);
	const char *url = json_string_value(json_object_get(shown, "intake"));
	assert_non_null(strstr(url, "dd-api-key=pub0…&"));
	assert_null(strstr(url, "pub0123456789abcdef0123"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(shown, "body"), 0), "message")), "m");
	json_decref(shown);
	request_free(&r);
	json_decref(payload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_key_is_masked_wherever_it_stands),
		cmocka_unit_test(a_short_key_shows_nothing_of_itself),
		cmocka_unit_test(the_datadog_url_is_masked_too),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
