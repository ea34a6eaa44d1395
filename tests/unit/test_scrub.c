/* test_scrub.c — error-message scrubbing (SPEC §6), pass by pass, with a fixed home folder
 * and login name. */
#include "config.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "scrub.h"

static void expect(const char *in, const char *out)
{
	char *got = scrub_message(in, strlen(in), "/home/ann", "ann");
	assert_string_equal(got, out);
	free(got);
}

static void home_user_email_urls(void **state)
{
	(void)state;
	expect("open /home/ann/x.yaml as ann", "open ~/x.yaml as <user>");
	expect("joanne stays", "joanne stays");
	expect("mail jo.doe+x@example.co.uk now", "mail <email> now");
	expect("GET https://u:p@api.example.com/v1?token=abc done", "GET https://api.example.com/v1 done");
}

static void secrets(void **state)
{
	(void)state;
	expect("key phc_abcdefghijk", "key <redacted>");
	expect("AKIAIOSFODNN7EXAMPLE", "<redacted>");
	expect("a abcdefghijklmnopqrstuvw1 b", "a <redacted> b");
	expect("a abcdefghijklmnopqrstuv1 b", "a abcdefghijklmnopqrstuv1 b");
	expect("password=hunter2 token: abc", "password=<redacted> token: <redacted>");
	expect("Bearer abc.def", "<redacted>");
	expect("x eyJa.eyJb.sig y", "x <redacted> y");
	expect("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----", "<redacted>");
}

static void homes_and_addresses(void **state)
{
	(void)state;
	expect("/home/bob/.ssh and C:\\Users\\eve\\x", "<home>/.ssh and <home>\\x");
	expect("10.1.2.3:80 [::1] 12:30:45 v1.2.3.4", "<ip>:80 [<ip>] 12:30:45 v1.2.3.4");
}

static void encoding_and_length(void **state)
{
	(void)state;
	expect("a\tb\x1b" "c \xff", "a b c \xef\xbf\xbd");
	char big[2000];
	memset(big, 'w', sizeof big - 1);
	for (size_t i = 5; i < sizeof big - 1; i += 6)
		big[i] = ' ';
	big[sizeof big - 1] = '\0';
	char *got = scrub_message(big, strlen(big), NULL, NULL);
	assert_int_equal(strlen(got), SCRUB_MAX_CHARS);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(home_user_email_urls),
		cmocka_unit_test(secrets),
		cmocka_unit_test(homes_and_addresses),
		cmocka_unit_test(encoding_and_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
