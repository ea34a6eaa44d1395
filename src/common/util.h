/* util.h — string, path, UTF-8 and clock helpers shared by both programs (and, for their
 * users, xmalloc.h and buf.h). */
#ifndef USAGE_REPORT_UTIL_H
#define USAGE_REPORT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "xmalloc.h"

/* Write all of data to fd, retrying short writes and EINTR. 0, or -1 with errno (ENOSPC
 * when the file accepts no more). */
int write_all(int fd, const void *data, size_t len);

/* q rounded up or not by half to even, given how the dropped remainder compares with one
 * half (< 0 below, 0 exactly, > 0 above): the one rounding rule of durations. */
long long round_half_even(long long q, int vs_half);
/* n / d (n >= 0, d > 0), rounded half to even. */
long long round_half_even_div(long long n, long long d);

/* "dir/name", freshly allocated. */
char *path_join(const char *dir, const char *name);
/* Whether path is absolute: "/..."; on Windows also "C:/...", "C:\\..." and "\\\\server\\...". */
bool path_absolute(const char *path);
/* A path from the environment with Windows' '\\' separators as '/' (a copy; the caller
 * frees it), so that the program splits it on '/' alone. Elsewhere a plain copy. */
char *path_from_env(const char *value);

/* The environment variable's value, or NULL when it is unset or empty. */
const char *env_nonempty(const char *name);
/* Whether the variable is set to anything but empty, 0 or false. */
bool env_truthy(const char *name);
/* Whether this run is in CI: one of the CI services' variables is set, and CI is not
 * "false" (design.md §4.4). */
bool env_ci(void);

/* The user's home folder ($HOME when absolute, else the password database), or NULL. */
const char *home_dir(void);

/* "~" or "~/x" becomes "$HOME" or "$HOME/x"; anything else is copied. Caller frees. */
char *expand_tilde(const char *path);

/* "2026-11-22T10:15:30.123Z" and its NUL, with room to spare. */
#define RFC3339_LEN 32

/* Wall clock and monotonic clock, in milliseconds. The wall clock never reads before the
 * epoch: a clock set before 1970 counts as 1970 (design.md §4.5). */
int64_t now_ms(void);

/* The last instant an RFC 3339 timestamp can say, 9999-12-31T23:59:59.999Z, in ms: the upper
 * bound of every time read from a file. */
#define MAX_TIME_MS 253402300799999LL

/* v within [lo, hi]: every number read from a file is clamped to what it can mean, so that
 * no arithmetic on it overflows. */
int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi);
int64_t mono_ms(void);
/* 2026-11-22T10:15:30.123Z into out (RFC3339_LEN bytes). Any ms gives a valid stamp:
 * before the epoch is the epoch, after year 9999 is its last millisecond. */
void format_rfc3339_ms(int64_t ms, char *out, size_t size);
/* Parses the format above; 0 on success, -1 otherwise. */
int parse_rfc3339_ms(const char *s, int64_t *ms);

/* The well-formed UTF-8 sequence at s (at most avail bytes): its length (1-4) with the code
 * point in *cp, or 0 when it is not one (overlong, surrogate, truncated, stray byte). The
 * one UTF-8 decoder of the project. */
size_t utf8_decode(const char *s, size_t avail, uint32_t *cp);
/* Whether s[0..len) is well-formed UTF-8. */
bool utf8_valid(const char *s, size_t len);
/* Whether the code point is a control character: C0, DEL or C1. The one control test. */
bool is_control(uint32_t cp);
/* Replace every control byte (C0, DEL) of s with '?', in place. */
void mask_controls(char *s);
/* Whether s holds a C0 control character or DEL. */
bool has_control(const char *s);
/* Whether s starts with http:// or https://. */
bool url_is_http(const char *s);

/* The items of a comma-separated list ("a, b,c"), trimmed, empty ones left out, as a
 * NULL-ended array; *n (when not NULL) is their count. Free with list_free(). */
char **list_split(const char *s, size_t *n);
void list_free(char **items);

/* Case-insensitive comparison with one of a NULL-terminated list of words. */
bool word_in(const char *s, const char *const *words);

/* A copy of s fit for quoting in a one-line message: control bytes become '?',
 * and anything past 60 bytes is cut with "...". Caller frees. */
char *printable(const char *s);

#endif
