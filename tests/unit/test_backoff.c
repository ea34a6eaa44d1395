/* test_backoff.c — the backoff's arithmetic (design.md §4.5, src/common/backoff.c): 1 s
 * doubling to 1 h with equal jitter, at least a Retry-After and at most a day of it, cleared
 * by a success, and never honoured when it lies further ahead than any backoff we set. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backoff.h"
#include "fsutil.h"
#include "util.h"

static void each_failure_doubles_the_range_up_to_an_hour(void **state)
{
	(void)state;
	long long base = 1000;
	for (int failure = 1; failure <= 16; failure++) {
		long long wait = backoff_failed(unit_dir, 1, 503, NULL, 0);
		assert_in_range(wait, base / 2, base); /* equal jitter: half the base, plus up to half */
		assert_true(backoff_active(unit_dir));
		base = base * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : base * 2;
	}
	backoff_succeeded(unit_dir, 1, 200, NULL);
	assert_false(backoff_active(unit_dir));
	assert_in_range(backoff_failed(unit_dir, 1, 0, "timeout", 0), 500, 1000); /* from the start again */
}

static void retry_after_is_a_floor_and_a_day_the_ceiling(void **state)
{
	(void)state;
	assert_int_equal(backoff_failed(unit_dir, 1, 429, NULL, 120), 120 * 1000);
	assert_int_equal(backoff_failed(unit_dir, 1, 429, NULL, 10L * 24 * 3600), RETRY_AFTER_MAX_MS);
	assert_true(backoff_active(unit_dir)); /* a day ahead, set with a Retry-After that long */
	assert_in_range(backoff_failed(unit_dir, 1, 429, NULL, -5), 1, BACKOFF_MAX_MS);
}

static void an_expiry_no_backoff_of_ours_could_have_is_ignored(void **state)
{
	(void)state;
	backoff_failed(unit_dir, 1, 503, NULL, 0);
	char *path = path_join(unit_dir, DELIVERY_FILE);
	assert_int_equal(fs_set_mtime_ms(path, now_ms() + 2 * BACKOFF_MAX_MS), 0); /* 2 h, no Retry-After */
	assert_false(backoff_active(unit_dir));
	assert_int_equal(fs_set_mtime_ms(path, now_ms() + 60 * 1000), 0);
	assert_true(backoff_active(unit_dir));
	assert_int_equal(fs_set_mtime_ms(path, now_ms() - 1000), 0); /* expired */
	assert_false(backoff_active(unit_dir));
	free(path);
}

static void a_hostile_count_of_failures_is_clamped(void **state)
{
	(void)state;
	char *path = path_join(unit_dir, DELIVERY_FILE);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"failures\": 9223372036854775807}", f);
	fclose(f);
	assert_in_range(backoff_failed(unit_dir, 1, 503, NULL, 0), BACKOFF_MAX_MS / 2, BACKOFF_MAX_MS);
	free(path);
}

static void the_session_kept_by_a_success_outlives_failures(void **state)
{
	(void)state;
	assert_null(backoff_session(unit_dir));
	json_t *session = json_pack("{s:s}", "id", "kept");
	backoff_succeeded(unit_dir, 1, 200, session);
	assert_false(backoff_active(unit_dir)); /* a success's file, as written, holds no backoff */
	(void)backoff_failed(unit_dir, 1, 503, NULL, 0);
	backoff_succeeded(unit_dir, 1, 200, NULL); /* no session given: the one there stays */
	json_t *kept = backoff_session(unit_dir);
	assert_true(json_equal(kept, session));
	json_decref(kept);
	json_decref(session);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(each_failure_doubles_the_range_up_to_an_hour, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(retry_after_is_a_floor_and_a_day_the_ceiling, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(an_expiry_no_backoff_of_ours_could_have_is_ignored, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(a_hostile_count_of_failures_is_clamped, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(the_session_kept_by_a_success_outlives_failures, unit_setup_dir, unit_teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
