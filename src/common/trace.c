/* trace.c — the --debug trace: every decision, one line each, on stderr. */
#include "config.h"
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>

bool trace_on = false;

void trace(const char *fmt, ...)
{
	if (!trace_on)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("usage-report: debug: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
