/* test_util.c — durations, rounding, timestamps, UTF-8 and UUIDs (src/common/util.c,
 * parse_duration in src/common/event.c). */
#include "config.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "util.h"
#include "uuid.h"

static long long duration(const char *s)
{
	long long ms = -1;
	assert_int_equal(parse_duration(s, &ms), 0);
	return ms;
}

static void durations_round_half_to_even(void **state)
{
	(void)state;
	assert_int_equal(duration("42"), 42);
	assert_int_equal(duration("2.5"), 2);
	assert_int_equal(duration("3.5"), 4);
	assert_int_equal(duration("2.5001"), 3);
	assert_int_equal(duration("2.50000"), 2);
	assert_int_equal(duration("0.50001"), 1);
	assert_int_equal(duration("2.4999"), 2);
	assert_int_equal(duration("250.75"), 251);
	assert_int_equal(duration("999999999999999"), 999999999999999LL);
}

static void durations_malformed(void **state)
{
	(void)state;
	long long ms;
	const char *bad[] = {"", "abc", "-1", "1.", ".5", "1e3", "1.5x", "1 ", "1234567890123456", NULL};
	for (const char **b = bad; *b; b++)
		assert_int_equal(parse_duration(*b, &ms), -1);
}

static void division_rounds_half_to_even(void **state)
{
	(void)state;
	assert_int_equal(round_half_even_div(2500000, 1000000), 2);
	assert_int_equal(round_half_even_div(3500000, 1000000), 4);
	assert_int_equal(round_half_even_div(2500001, 1000000), 3);
	assert_int_equal(round_half_even_div(2499999, 1000000), 2);
	assert_int_equal(round_half_even_div(0, 1000000), 0);
}

static void timestamps_are_valid_for_any_clock(void **state)
{
	(void)state;
	char out[RFC3339_LEN];
	format_rfc3339_ms(1795468244123LL, out, sizeof out);
	assert_string_equal(out, "2026-11-23T21:10:44.123Z");
	format_rfc3339_ms(-315619200000LL, out, sizeof out); /* 1960 */
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	format_rfc3339_ms(-1, out, sizeof out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	format_rfc3339_ms(INT64_MAX, out, sizeof out);
	assert_string_equal(out, "9999-12-31T23:59:59.999Z");
	int64_t ms = 0;
	assert_int_equal(parse_rfc3339_ms("2026-11-23T21:10:44.123Z", &ms), 0);
	assert_int_equal(ms, 1795468244123LL);
	assert_int_equal(parse_rfc3339_ms("2026-11-23T20:30:44Z", &ms), -1);
	assert_int_equal(parse_rfc3339_ms("2026-11-23T20:30:44.123Zx", &ms), -1);
}

static void utf8_is_decoded_strictly(void **state)
{
	(void)state;
	uint32_t cp;
	assert_int_equal(utf8_decode("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xE9);
	assert_int_equal(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(utf8_decode("\xc0\x80", 2, &cp), 0);     /* overlong */
	assert_int_equal(utf8_decode("\xed\xa0\x80", 3, &cp), 0); /* surrogate */
	assert_int_equal(utf8_decode("\xe2\x82", 2, &cp), 0);     /* truncated */
	assert_int_equal(utf8_decode("\xff", 1, &cp), 0);
	assert_true(utf8_valid("plain é 😀", strlen("plain é 😀")));
	assert_false(utf8_valid("bad \xfe", 5));
}

static void controls_and_uuids(void **state)
{
	(void)state;
	assert_true(is_control(0x1B));
	assert_true(is_control(0x7F));
	assert_true(is_control(0x85));
	assert_false(is_control('a'));
	assert_false(is_control(0xE9));
	char s[] = "a\x01" "b\x7f";
	mask_controls(s);
	assert_string_equal(s, "a?b?");
	assert_true(uuid_text_valid("11111111-2222-4333-8444-555555555555"));
	assert_false(uuid_text_valid("11111111-2222-4333-8444-55555555555"));
	assert_false(uuid_text_valid("11111111-2222-4333-8444-5555555555555"));
	assert_false(uuid_text_valid("1111111x-2222-4333-8444-555555555555"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations_round_half_to_even),
		cmocka_unit_test(durations_malformed),
		cmocka_unit_test(division_rounds_half_to_even),
		cmocka_unit_test(timestamps_are_valid_for_any_clock),
		cmocka_unit_test(utf8_is_decoded_strictly),
		cmocka_unit_test(controls_and_uuids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
