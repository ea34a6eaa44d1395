/* test_conf.c — the INI configuration (design.md §3): every key read, defaults, and problems that
 * are reported and never fatal (src/common/conf.c). */
#include "config.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

static bool has_issue(const struct conf *cfg, const char *text)
{
	for (size_t i = 0; i < cfg->n_issues; i++)
		if (strcmp(cfg->issues[i], text) == 0)
			return true;
	return false;
}

static void posthog_defaults(void **state)
{
	(void)state;
	struct conf cfg;
	conf_load_string(&cfg, "mycli", "[posthog]\napi_key = phc_k\n");
	assert_true(cfg.backend_ready);
	assert_int_equal(cfg.backend, BACKEND_POSTHOG);
	assert_string_equal(cfg.posthog_host, DEFAULT_POSTHOG_HOST);
	assert_string_equal(cfg.event_success, "CLI execution succeeded");
	assert_true(cfg.consent_default_on);
	assert_int_equal(cfg.notice, NOTICE_MODE_ON);
	assert_int_equal(cfg.n_issues, 0);
	char *endpoint = conf_endpoint(&cfg);
	assert_string_equal(endpoint, "https://us.i.posthog.com/batch/");
	free(endpoint);
	conf_free(&cfg);
}

static void every_section(void **state)
{
	(void)state;
	struct conf cfg;
	conf_load_string(&cfg, "mycli",
	                 "backend = datadog ; inline comment\n"
	                 "[datadog]\nsite = us3.datadoghq.com\nclient_token = pub1 # comment\n"
	                 "[consent]\ndefault = off\ntracking_env = ARCADE_USAGE_TRACKING\nci = skip\nnotice = no\n"
	                 "[events]\nsuccess = ok\nfailure = ko\n");
	assert_int_equal(cfg.n_issues, 0);
	assert_string_equal(cfg.dd_client_token, "pub1");
	char *endpoint = conf_endpoint(&cfg);
	assert_string_equal(endpoint, "https://browser-intake-us3-datadoghq.com/api/v2/logs");
	free(endpoint);
	assert_false(cfg.consent_default_on);
	assert_true(cfg.ci_skip);
	assert_int_equal(cfg.notice, NOTICE_MODE_OFF);
	assert_string_equal(cfg.tracking_env, "ARCADE_USAGE_TRACKING");
	assert_string_equal(cfg.event_failure, "ko");
	conf_free(&cfg);
}

static void auth_lists_and_notice_keys(void **state)
{
	(void)state;
	struct conf cfg;
	conf_load_string(&cfg, "arcade",
	                 "[posthog]\napi_key = phc_k\n"
	                 "[auth]\ncredentials_file = /c.yaml\nkey_path = cloud.auth.access_token, cloud.api.key\n"
	                 "validate_url = /api/v1/auth/whoami, https://h/api/v1/auth/validate\n"
	                 "validate_url_path = cloud.coordinator_url\nprincipal_path = data.account_id,data.principal_id\n"
	                 "[consent]\nnotice_file = /n.txt\ndisable_hint = arcade telemetry off\n");
	assert_int_equal(cfg.n_issues, 0);
	assert_true(conf_has_auth(&cfg));
	size_t n = 0;
	char **paths = list_split(cfg.auth_principal_path, &n);
	assert_int_equal(n, 2);
	assert_string_equal(paths[0], "data.account_id");
	assert_string_equal(paths[1], "data.principal_id");
	assert_null(paths[2]);
	list_free(paths);
	assert_string_equal(cfg.notice_file, "/n.txt");
	assert_string_equal(cfg.disable_hint, "arcade telemetry off");
	conf_free(&cfg);
	/* a /path with no base to put it under, and empty lists, are reported */
	conf_load_string(&cfg, "arcade",
	                 "[auth]\nvalidate_url = /api/v1/auth/validate\nkey_path = , ,\n"
	                 "[datadog]\nsource = a b\noutcome = maybe\n");
	assert_int_equal(cfg.n_issues, 5); /* + the missing api_key */
	assert_null(cfg.auth_key_path);
	conf_free(&cfg);
}

static void otlp_and_policy(void **state)
{
	(void)state;
	struct conf cfg;
	conf_load_strings(&cfg, "mycli",
	                  "backend = otlp\n[otlp]\nendpoint = http://collector:4318/\n"
	                  "headers = api-key=a%3Db , x-team = cli\n[events]\nmax_per_minute = 60\n"
	                  "[consent]\nproject_file = .no-telemetry\n",
	                  "disabled_apps = other, mycli\nci = skip\n");
	assert_int_equal(cfg.n_issues, 0);
	assert_true(cfg.backend_ready);
	char *endpoint = conf_endpoint(&cfg);
	assert_string_equal(endpoint, "http://collector:4318/v1/logs");
	free(endpoint);
	assert_string_equal(cfg.otlp_headers[0], "api-key: a=b");
	assert_string_equal(cfg.otlp_headers[1], "x-team: cli");
	assert_null(cfg.otlp_headers[2]);
	assert_int_equal(cfg.max_per_minute, 60);
	assert_string_equal(cfg.project_file, ".no-telemetry");
	assert_true(cfg.policy_off);
	assert_true(cfg.policy_ci_skip);
	assert_false(conf_has_aliases(&cfg));
	conf_free(&cfg);
	/* another app is not in the list; bad headers and values are reported */
	conf_load_strings(&cfg, "third", "backend = otlp\n[otlp]\nheaders = no equals sign\n"
	                  "[events]\nmax_per_minute = -1\n", "disabled = no\nsurprise = 1\n");
	assert_false(cfg.policy_off);
	assert_false(cfg.backend_ready);
	assert_int_equal(cfg.n_issues, 4); /* headers, max_per_minute, the policy's key, no endpoint */
	conf_free(&cfg);
}

static void otlp_headers_are_percent_decoded_strictly(void **state)
{
	(void)state;
	const char *bad[] = {"k=%00x", "k=", "=v", "a b=c", "k=\x01", NULL};
	for (const char **b = bad; *b; b++) {
		struct conf cfg;
		char *text = xasprintf("backend = otlp\n[otlp]\nendpoint = http://c\nheaders = %s\n", *b);
		conf_load_string(&cfg, "x", text);
		assert_null(cfg.otlp_headers);
		assert_int_equal(cfg.n_issues, 1);
		free(text);
		conf_free(&cfg);
	}
	struct conf cfg;
	conf_load_string(&cfg, "x", "backend = otlp\n[otlp]\nendpoint = http://c\nheaders = k=% 41%4,j=%41%2c\n");
	assert_string_equal(cfg.otlp_headers[0], "k: % 41%4"); /* not a %XX: kept as it is */
	assert_string_equal(cfg.otlp_headers[1], "j: A,");
	conf_free(&cfg);
}

static void lists_are_split_and_trimmed(void **state)
{
	(void)state;
	size_t n = 9;
	char **items = list_split("  a ,b,, c\t,", &n);
	assert_int_equal(n, 3);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[1], "b");
	assert_string_equal(items[2], "c");
	assert_null(items[3]);
	list_free(items);
	items = list_split("", &n);
	assert_int_equal(n, 0);
	assert_null(items[0]);
	list_free(items);
}

static void problems_are_reported_not_fatal(void **state)
{
	(void)state;
	struct conf cfg;
	conf_load_string(&cfg, "mycli",
	                 "backend = carrier-pigeon\ncolour = blue\n[datadog]\nsite = .\n[consent]\n"
	                 "default = maybe\ntracking_env = 1BAD\n[posthog]\nhost = ftp://x\napi_key = phc_k\n"
	                 "not an entry\n");
	assert_true(has_issue(&cfg, "backend: 'carrier-pigeon' is not posthog, datadog, otlp or file"));
	assert_true(has_issue(&cfg, "colour: unknown key"));
	assert_true(has_issue(&cfg, "datadog.site: '.' is not a Datadog site"));
	assert_true(has_issue(&cfg, "consent.default: 'maybe' is not on or off"));
	assert_true(has_issue(&cfg, "consent.tracking_env: '1BAD' is not an environment variable name"));
	assert_true(has_issue(&cfg, "posthog.host: 'ftp://x' is not an http(s) URL"));
	assert_true(has_issue(&cfg, "line 11: not a key = value, [section] or comment"));
	assert_true(cfg.backend_ready); /* posthog with its key, despite the rest */
	conf_free(&cfg);
}

static void identity_outside_the_state_folder_is_shared(void **state)
{
	(void)state;
	struct conf cfg;
	conf_load_string(&cfg, "mycli", "state_dir = /s/mycli\nidentity_file = /home/a/.arcade/usage.json\n");
	assert_true(cfg.identity_shared);
	conf_free(&cfg);
	conf_load_string(&cfg, "mycli", "state_dir = /s/mycli\nidentity_file = /s/mycli/usage.json\n");
	assert_false(cfg.identity_shared);
	conf_free(&cfg);
	conf_load_string(&cfg, "mycli", "state_dir = /s/mycli\n");
	assert_string_equal(cfg.identity_file, "/s/mycli/usage.json");
	assert_false(cfg.identity_shared);
	conf_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(posthog_defaults),
		cmocka_unit_test(every_section),
		cmocka_unit_test(auth_lists_and_notice_keys),
		cmocka_unit_test(lists_are_split_and_trimmed),
		cmocka_unit_test(otlp_and_policy),
		cmocka_unit_test(otlp_headers_are_percent_decoded_strictly),
		cmocka_unit_test(problems_are_reported_not_fatal),
		cmocka_unit_test(identity_outside_the_state_folder_is_shared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
