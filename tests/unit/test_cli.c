/* test_cli.c — the command line (design.md §1, src/foreground/cli.c): argv into the intent
 * each subcommand needs, the environment's fallbacks, and the one-line refusals (exit 2). */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

/* Parse a NULL-ended argument list (argv[0] added) with stderr silenced; the status. */
static int parse(struct options *o, const char *const *args)
{
	char *argv[32] = {"usage-report"};
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	fflush(stderr);
	int saved = dup(2);
	assert_true(freopen("/dev/null", "w", stderr) != NULL);
	int rc = cli_parse(argc, argv, o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return rc;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static int setup(void **state)
{
	(void)state;
	unit_clear_environment();
	return 0;
}

static void a_tracked_command_with_its_facts(void **state)
{
	(void)state;
	struct options o;
	assert_int_equal(parse(&o, ARGS("--app", "mycli", "--command", "mycli deploy", "--duration=12.5",
	                                 "--exit-code", "3", "--property", "region=eu", "--cli-version", "1.2")), 0);
	assert_int_equal(o.cmd, CMD_TRACK);
	assert_string_equal(o.app, "mycli");
	assert_string_equal(o.ev.command, "mycli deploy");
	assert_true(o.ev.has_duration);
	assert_int_equal(o.ev.duration_ms, 12); /* half to even */
	assert_int_equal(o.ev.exit_code, 3);
	assert_int_equal(o.ev.n_props, 1);
	assert_string_equal(o.ev.cli_version, "1.2");
	options_free(&o);
}

static void the_environment_fills_what_argv_left_unset(void **state)
{
	(void)state;
	struct options o;
	setenv("USAGE_REPORT_APP", "envcli", 1);
	setenv("USAGE_REPORT_COMMAND", "from-env", 1);
	setenv("USAGE_REPORT_EXIT_CODE", "7", 1);
	assert_int_equal(parse(&o, ARGS("--exit-code", "1")), 0);
	assert_string_equal(o.app, "envcli");
	assert_string_equal(o.ev.command, "from-env");
	assert_int_equal(o.ev.exit_code, 1); /* the command line wins */
	options_free(&o);
}

static void subcommands_take_their_own_arguments(void **state)
{
	(void)state;
	struct options o;
	assert_int_equal(parse(&o, ARGS("login", "--principal-id", "acct-1", "--command", "login")), 0);
	assert_int_equal(o.cmd, CMD_LOGIN);
	assert_string_equal(o.principal_id, "acct-1");
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("level", "errors")), 0);
	assert_string_equal(o.level_word, "errors");
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("history", "-n", "5", "--json")), 0);
	assert_int_equal(o.history_n, 5);
	assert_true(o.json);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("exec", "--command", "x", "--", "sh", "-c", "true")), 0);
	assert_string_equal(o.program[0], "sh");
	assert_string_equal(o.program[2], "true");
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("--dry-run", "--wait", "--debug", "--command", "x")), 0);
	assert_true(o.dry_run && o.wait && o.debug);
	assert_false(o.forget_disable);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("forget", "--disable")), 0);
	assert_true(o.forget_disable);
	assert_false(o.dry_run || o.wait);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("--help", "--no-such-option")), 0); /* the rest is not read */
	assert_int_equal(o.cmd, CMD_HELP);
	options_free(&o);
}

static void what_does_not_belong_is_refused_with_status_2(void **state)
{
	(void)state;
	struct options o;
	const char *const *bad[] = {
		ARGS("--command"),                            /* a value missing */
		ARGS("--command", "x", "--no-such-option"),   /* unknown */
		ARGS("nosuch"),                               /* unknown subcommand */
		ARGS("status", "--principal-id", "p"),        /* not this subcommand's */
		ARGS("--command", "x", "--"),                 /* only exec's */
		ARGS("exec", "--command", "x", "--"),         /* no PROGRAM */
		ARGS("--command", "x", "--exit-code", "256"), /* out of range */
		ARGS("--command", "x", "--property", "exit_code=x"), /* a built-in name */
		ARGS("adopt", "not-a-uuid"),
		ARGS("level", "some"),
		ARGS("history", "-n", "0"),
		ARGS("track"),                                /* no command */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (parse(&o, bad[i]) != 2)
			fail_msg("accepted: case %zu", i);
		options_free(&o);
	}
}

static void exec_runs_program_even_with_a_malformed_fact(void **state)
{
	(void)state;
	struct options o;
	setenv("USAGE_REPORT_EXIT_CODE", "not-a-number", 1);
	assert_int_equal(parse(&o, ARGS("exec", "--command", "x", "--", "true")), 0);
	assert_false(o.ev.has_exit_code);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("exec", "--app", "Bad App", "--", "true")), 0);
	assert_true(o.no_event);
	options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(a_tracked_command_with_its_facts, setup),
		cmocka_unit_test_setup(the_environment_fills_what_argv_left_unset, setup),
		cmocka_unit_test_setup(subcommands_take_their_own_arguments, setup),
		cmocka_unit_test_setup(what_does_not_belong_is_refused_with_status_2, setup),
		cmocka_unit_test_setup(exec_runs_program_even_with_a_malformed_fact, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
