/* unit.h — what every unit test file includes: cmocka, in the order it needs its headers.
 * The tests print TAP (CMOCKA_MESSAGE_OUTPUT=tap) for automake's TAP driver. */
#ifndef USAGE_REPORT_UNIT_H
#define USAGE_REPORT_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* The folder of the running test (unit_setup_dir), under $TMPDIR or /tmp. */
static char unit_dir[512];

/* cmocka setup and teardown: a fresh folder of the test's own, then removed with all it holds. */
static inline int unit_setup_dir(void **state)
{
	(void)state;
	snprintf(unit_dir, sizeof unit_dir, "%s/usage-report-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(unit_dir) ? 0 : -1;
}

static inline int unit_teardown_dir(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", unit_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* An environment the test controls: every variable gone but cmocka's own (its TAP output). */
static inline void unit_clear_environment(void)
{
	for (size_t i = 0; environ[i];) {
		char name[256];
		size_t n = strcspn(environ[i], "=");
		if (strncmp(environ[i], "CMOCKA_", 7) == 0 || n >= sizeof name) {
			i++;
			continue;
		}
		memcpy(name, environ[i], n);
		name[n] = '\0';
		unsetenv(name); /* environ shifts: the same index holds the next one */
	}
}

#endif
