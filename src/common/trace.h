/* trace.h — the --debug trace: every decision, one line each, on stderr. */
#ifndef USAGE_REPORT_TRACE_H
#define USAGE_REPORT_TRACE_H

#include <stdbool.h>

extern bool trace_on;

/* "usage-report: debug: ..." when tracing; nothing otherwise. */
void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
