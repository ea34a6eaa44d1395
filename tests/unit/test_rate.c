/* test_rate.c — [events] max_per_minute (design.md §4.5, src/foreground/rate.c): within a
 * minute the first N runs are recorded and the rest only counted; the next minute's first
 * recorded run carries the count, once. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "rate.h"
#include "util.h"

static void load(struct conf *cfg, long cap)
{
	char *text = xasprintf("state_dir = %s\n[posthog]\napi_key = phc_k\n[events]\nmax_per_minute = %ld\n", unit_dir, cap);
	conf_load_string(cfg, "mycli", text);
	free(text);
	assert_int_equal(cfg->n_issues, 0);
}

/* The minute file of an earlier minute, as runs of that minute left it: n bytes. */
static void earlier_minute(long long minutes_ago, int n)
{
	char *path = xasprintf("%s/" RATE_DIR "/%lld", unit_dir, now_ms() / RATE_WINDOW_MS - minutes_ago);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < n; i++)
		fputc('.', f);
	fclose(f);
	free(path);
}

static void the_first_n_of_a_minute_are_recorded_and_the_rest_counted(void **state)
{
	(void)state;
	struct conf cfg;
	long long dropped = -1;
	load(&cfg, 3);
	/* a minute boundary in the middle would split the count: start just after one */
	while (now_ms() % RATE_WINDOW_MS > RATE_WINDOW_MS - 2000)
		;
	for (int i = 0; i < 3; i++) {
		assert_true(rate_admit(&cfg, &dropped));
		assert_int_equal(dropped, 0);
	}
	for (int i = 0; i < 4; i++)
		assert_false(rate_admit(&cfg, &dropped));
	assert_int_equal(rate_pending(&cfg), 4);
	conf_free(&cfg);
}

static void the_next_minute_carries_what_was_counted_once(void **state)
{
	(void)state;
	struct conf cfg;
	long long dropped = -1;
	load(&cfg, 2);
	assert_true(rate_admit(&cfg, &dropped)); /* makes the folder */
	earlier_minute(1, 7); /* 7 runs a minute ago: 5 past the cap */
	earlier_minute(3, 1); /* within the cap: nothing counted */
	char *now = xasprintf("%s/" RATE_DIR "/%lld", unit_dir, now_ms() / RATE_WINDOW_MS);
	assert_int_equal(remove(now), 0); /* as if this were the minute's first run */
	free(now);
	assert_int_equal(rate_pending(&cfg), 5);
	assert_true(rate_admit(&cfg, &dropped));
	assert_int_equal(dropped, 5);
	assert_true(rate_admit(&cfg, &dropped));
	assert_int_equal(dropped, 0);
	assert_int_equal(rate_pending(&cfg), 0);
	conf_free(&cfg);
}

static void no_cap_admits_everything_and_writes_nothing(void **state)
{
	(void)state;
	struct conf cfg;
	long long dropped = -1;
	load(&cfg, 0);
	for (int i = 0; i < 100; i++)
		assert_true(rate_admit(&cfg, &dropped));
	char *folder = xasprintf("%s/" RATE_DIR, unit_dir);
	assert_int_not_equal(access(folder, F_OK), 0);
	free(folder);
	conf_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_first_n_of_a_minute_are_recorded_and_the_rest_counted, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(the_next_minute_carries_what_was_counted_once, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(no_cap_admits_everything_and_writes_nothing, unit_setup_dir, unit_teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
