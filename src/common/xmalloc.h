/* xmalloc.h — allocation that never returns NULL (tmux's xmalloc.c). A leaf: it uses libc
 * alone, so that every module, compat included, may use it. */
#ifndef USAGE_REPORT_XMALLOC_H
#define USAGE_REPORT_XMALLOC_H

#include <stddef.h>

/* Status used when memory runs out: 0 for the foreground (never disturb the caller),
 * or PROGRAM's status under `exec`. */
extern int oom_exit_status;

/* Allocation that never returns NULL: on failure the process exits with oom_exit_status.
 * Everything returned is the caller's to free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
