/* test_queue.c — the queue's names and order (design.md §4.5, src/common/queue.c): a file per
 * record named by capture time and uuid, listed oldest first, aliases before everything
 * pending, and nothing but our names counted. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue.h"
#include "util.h"

#define U(i) "00000000-0000-4000-8000-00000000000" #i

static void records_are_listed_in_the_order_they_were_queued(void **state)
{
	(void)state;
	const char *uuids[] = {U(1), U(2), U(3), U(4), U(5)};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(queue_put_text(unit_dir, "{}", uuids[i], false), 0);
	struct queue_entry *e;
	size_t n;
	assert_int_equal(queue_list(unit_dir, &e, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		char *uuid = queue_entry_uuid(&e[i]);
		assert_string_equal(uuid, uuids[i]);
		free(uuid);
		assert_true(i == 0 || e[i].order > e[i - 1].order);
		assert_int_equal(e[i].size, 2);
	}
	queue_entries_free(e, n);
	assert_int_equal(queue_count(unit_dir), 5);
}

static void an_alias_goes_before_everything_pending(void **state)
{
	(void)state;
	assert_int_equal(queue_put_text(unit_dir, "{}", U(1), false), 0);
	assert_int_equal(queue_put_text(unit_dir, "{}", U(2), false), 0);
	assert_int_equal(queue_put_text(unit_dir, "{}", U(9), true), 0);
	struct queue_entry *e;
	size_t n;
	assert_int_equal(queue_list(unit_dir, &e, &n), 0);
	assert_int_equal(n, 3);
	char *first = queue_entry_uuid(&e[0]);
	assert_string_equal(first, U(9));
	assert_int_equal(e[0].order, QUEUE_ORDER_FIRST);
	free(first);
	queue_entries_free(e, n);
}

static void names_that_are_not_ours_are_not_records(void **state)
{
	(void)state;
	char *qdir = queue_dir(unit_dir);
	assert_int_equal(queue_put_text(unit_dir, "{}", U(1), false), 0);
	const char *others[] = {".tmp-123", "notes.txt", "123-x.json.part"};
	for (size_t i = 0; i < 3; i++) {
		char *path = xasprintf("%s/%s", qdir, others[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
		free(path);
	}
	assert_int_equal(queue_count(unit_dir), 1);
	free(qdir);
}

static void a_missing_folder_is_an_empty_queue(void **state)
{
	(void)state;
	struct queue_entry *e;
	size_t n = 7;
	assert_int_equal(queue_list(unit_dir, &e, &n), 0);
	assert_int_equal(n, 0);
	queue_entries_free(e, n);
	assert_int_equal(queue_count(unit_dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(records_are_listed_in_the_order_they_were_queued, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(an_alias_goes_before_everything_pending, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(names_that_are_not_ours_are_not_records, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(a_missing_folder_is_an_empty_queue, unit_setup_dir, unit_teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
