/* unit.h — what every unit test file includes: cmocka, in the order it needs its headers.
 * The tests print TAP (CMOCKA_MESSAGE_OUTPUT=tap) for automake's TAP driver. */
#ifndef USAGE_REPORT_UNIT_H
#define USAGE_REPORT_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

extern char **environ;

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
