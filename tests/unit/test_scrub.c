/* test_scrub.c — error-message scrubbing (design.md §6), pass by pass, with a fixed home folder
 * and login name. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrub.h"
#include "util.h"

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

/* The lines of tests/data/NAME, less comments and blank lines; NULL-ended, caller frees. */
static char **corpus(const char *name)
{
	const char *srcdir = getenv("USAGE_REPORT_SRCDIR");
	char *path = xasprintf("%s/tests/data/%s", srcdir ? srcdir : ".", name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char **lines = NULL, line[4096];
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		lines = xrealloc(lines, (n + 2) * sizeof *lines);
		lines[n++] = xstrdup(line);
	}
	fclose(f);
	free(path);
	lines[n] = NULL;
	return lines;
}

static void corpus_free(char **lines)
{
	for (char **l = lines; *l; l++)
		free(*l);
	free(lines);
}

/* Real CLIs' error messages pass unchanged (at least 100 of them). */
static void ordinary_messages_pass_unchanged(void **state)
{
	(void)state;
	char **lines = corpus("ordinary-errors.txt");
	size_t n = 0;
	for (char **l = lines; *l; l++, n++) {
		char *got = scrub_message(*l, strlen(*l), "/home/ann", "ann");
		if (strcmp(got, *l) != 0)
			fail_msg("changed: '%s'\n     to: '%s'", *l, got);
		free(got);
	}
	assert_true(n >= 100);
	corpus_free(lines);
}

/* Messages with a secret lose it. */
static void secrets_never_pass(void **state)
{
	(void)state;
	char **lines = corpus("secrets.txt");
	for (char **l = lines; *l; l++) {
		char *tab = strchr(*l, '\t');
		assert_non_null(tab);
		*tab = '\0';
		char *got = scrub_message(*l, strlen(*l), "/home/ann", "ann");
		if (strstr(got, tab + 1))
			fail_msg("'%s' survived in '%s'", tab + 1, got);
		free(got);
	}
	corpus_free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(home_user_email_urls),
		cmocka_unit_test(secrets),
		cmocka_unit_test(homes_and_addresses),
		cmocka_unit_test(encoding_and_length),
		cmocka_unit_test(ordinary_messages_pass_unchanged),
		cmocka_unit_test(secrets_never_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
