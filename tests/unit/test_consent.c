/* test_consent.c — the consent chain (design.md §4.3, src/common/consent.c) with an
 * environment the test controls: each setting in the order the chain asks, the first that
 * speaks decides, and the source it names. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "consent.h"
#include "util.h"

/* An empty environment (no CI, no opt-out variable) and a state folder of our own. */
/* An empty environment (no CI, no opt-out variable) and a state folder of our own. */
static int setup(void **state)
{
	unit_clear_environment();
	return unit_setup_dir(state);
}

/* The decision for a config made of extra lines. */
static struct consent decide(const char *extra)
{
	struct conf cfg;
	struct consent c;
	char *text = xasprintf("state_dir = %s\n[posthog]\napi_key = phc_k\n%s", unit_dir, extra);
	conf_load_string(&cfg, "mycli", text);
	consent_decide(&cfg, &c);
	conf_free(&cfg);
	free(text);
	return c;
}

static void nothing_said_is_the_hosts_default(void **state)
{
	(void)state;
	struct consent c = decide("");
	assert_true(c.enabled);
	assert_string_equal(c.source, "default");
	c = decide("[consent]\ndefault = off\n");
	assert_false(c.enabled);
	assert_string_equal(c.source, "default");
}

static void the_persons_choice_beats_the_default(void **state)
{
	(void)state;
	assert_int_equal(consent_persist(unit_dir, false), 0);
	struct consent c = decide("");
	assert_false(c.enabled);
	assert_string_equal(c.source, "config");
	assert_int_equal(consent_persist(unit_dir, true), 0);
	c = decide("[consent]\ndefault = off\n");
	assert_true(c.enabled);
	assert_string_equal(c.source, "config");
}

static void the_environment_beats_the_persons_choice_in_its_order(void **state)
{
	(void)state;
	assert_int_equal(consent_persist(unit_dir, true), 0);
	setenv("DO_NOT_TRACK", "1", 1);
	struct consent c = decide("[consent]\ntracking_env = MYCLI_TRACKING\ndisabled_env = MYCLI_NO_TELEMETRY\n");
	assert_false(c.enabled);
	assert_string_equal(c.source, "env:DO_NOT_TRACK");
	setenv("MYCLI_TRACKING", "false", 1);
	c = decide("[consent]\ntracking_env = MYCLI_TRACKING\ndisabled_env = MYCLI_NO_TELEMETRY\n");
	assert_string_equal(c.source, "env:MYCLI_TRACKING");
	setenv("MYCLI_NO_TELEMETRY", "yes", 1);
	c = decide("[consent]\ntracking_env = MYCLI_TRACKING\ndisabled_env = MYCLI_NO_TELEMETRY\n");
	assert_string_equal(c.source, "env:MYCLI_NO_TELEMETRY");
	setenv("USAGE_REPORT_DISABLED", "1", 1);
	c = decide("[consent]\ntracking_env = MYCLI_TRACKING\ndisabled_env = MYCLI_NO_TELEMETRY\n");
	assert_string_equal(c.source, "env:USAGE_REPORT_DISABLED");
	/* "0" and "false" are no opt-out */
	unit_clear_environment();
	setenv("DO_NOT_TRACK", "0", 1);
	setenv("USAGE_REPORT_DISABLED", "false", 1);
	c = decide("");
	assert_true(c.enabled);
}

static void ci_skips_only_when_the_host_says_so(void **state)
{
	(void)state;
	setenv("GITHUB_ACTIONS", "true", 1);
	struct consent c = decide("");
	assert_true(c.enabled);
	c = decide("[consent]\nci = skip\n");
	assert_false(c.enabled);
	assert_string_equal(c.source, "ci");
	setenv("CI", "false", 1); /* said outright: not CI */
	c = decide("[consent]\nci = skip\n");
	assert_true(c.enabled);
}

static void an_invalid_consent_line_fails_closed_before_every_variable(void **state)
{
	(void)state;
	assert_int_equal(consent_persist(unit_dir, true), 0);
	struct consent c = decide("[consent]\ndefault = disabled\n");
	assert_false(c.enabled);
	assert_string_equal(c.source, CONSENT_SOURCE_INVALID);
}

static void no_backend_means_off_whatever_the_chain_said(void **state)
{
	(void)state;
	struct conf cfg;
	struct consent c;
	char *text = xasprintf("state_dir = %s\n", unit_dir);
	conf_load_string(&cfg, "mycli", text);
	consent_decide(&cfg, &c);
	assert_false(c.enabled);
	assert_string_equal(c.source, "no-backend");
	conf_free(&cfg);
	free(text);
}

static void the_level_env_beats_the_persons_which_beats_the_hosts(void **state)
{
	(void)state;
	struct consent c = decide("[consent]\nlevel = errors\n");
	assert_int_equal(c.level, REPORT_ERRORS);
	assert_string_equal(c.level_source, "default");
	assert_int_equal(consent_persist_level(unit_dir, REPORT_ALL), 0);
	c = decide("[consent]\nlevel = errors\n");
	assert_int_equal(c.level, REPORT_ALL);
	assert_string_equal(c.level_source, "config");
	setenv(CONSENT_LEVEL_ENV, "errors", 1);
	c = decide("");
	assert_int_equal(c.level, REPORT_ERRORS);
	assert_string_equal(c.level_source, "env:" CONSENT_LEVEL_ENV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nothing_said_is_the_hosts_default, setup, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(the_persons_choice_beats_the_default, setup, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(the_environment_beats_the_persons_choice_in_its_order, setup, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(ci_skips_only_when_the_host_says_so, setup, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(an_invalid_consent_line_fails_closed_before_every_variable, setup, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(no_backend_means_off_whatever_the_chain_said, setup, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(the_level_env_beats_the_persons_which_beats_the_hosts, setup, unit_teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
