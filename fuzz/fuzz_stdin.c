/* fuzz_stdin.c — libFuzzer target: `track --json -` and `login --json -`, the event a hook
 * writes on usage-report's standard input, through the command line's validation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "cli.h"

static void parse(char **argv, int argc, int input)
{
	lseek(input, 0, SEEK_SET);
	dup2(input, STDIN_FILENO);
	struct options o;
	(void)cli_parse(argc, argv, &o);
	options_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = tmpfile();
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fflush(f);
	int saved_stdin = dup(STDIN_FILENO), saved_stderr = dup(STDERR_FILENO);
	int null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO); /* the one-line errors are expected: keep quiet */
	char *track[] = {"usage-report", "track", "--json", "-", NULL};
	char *login[] = {"usage-report", "login", "--json", "-", "--command", "x", NULL};
	parse(track, 4, fileno(f));
	parse(login, 6, fileno(f));
	dup2(saved_stdin, STDIN_FILENO);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stdin);
	close(saved_stderr);
	close(null);
	fclose(f);
	return 0;
}
