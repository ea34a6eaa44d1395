/* util.c — allocation, string, UTF-8 and clock helpers shared by both programs. */
#include "config.h"
#include "util.h"
#include "compat.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

long long round_half_even(long long q, int vs_half)
{
	return vs_half > 0 || (vs_half == 0 && q % 2 != 0) ? q + 1 : q;
}

long long round_half_even_div(long long n, long long d)
{
	long long r2 = 2 * (n % d);
	return round_half_even(n / d, r2 < d ? -1 : r2 > d ? 1 : 0);
}

char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	return xasprintf("%.*s/%s", (int)dl, dir, name);
}

bool path_absolute(const char *path)
{
#ifdef _WIN32
	if ((isalpha((unsigned char)path[0]) && path[1] == ':' && (path[2] == '/' || path[2] == '\\')) || path[0] == '\\')
		return true;
#endif
	return path[0] == '/';
}

char *path_from_env(const char *value)
{
	char *copy = xstrdup(value);
#ifdef _WIN32
	for (char *p = copy; *p; p++)
		if (*p == '\\')
			*p = '/';
#endif
	return copy;
}

const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

bool env_truthy(const char *name)
{
	static const char *const falsy[] = {"0", "false", NULL};
	const char *v = env_nonempty(name);
	return v && !word_in(v, falsy);
}

bool env_ci(void)
{
	static const char *const vars[] = {
		"CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "BUILD_ID", "RUN_ID", "CI_NAME",
		"GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "JENKINS_URL", "BUILDKITE", "CIRCLECI",
		"TRAVIS", "TEAMCITY_VERSION", "CODEBUILD_BUILD_ARN", "BITBUCKET_COMMIT", NULL,
	};
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "false") == 0)
		return false;
	for (const char *const *v = vars; *v; v++)
		if (env_nonempty(*v))
			return true;
	return false;
}


const char *home_dir(void)
{
#ifndef _WIN32 /* Windows: the profile folder, USERPROFILE, as every Windows program has it */
	const char *h = getenv("HOME");
	if (h && path_absolute(h))
		return h;
#endif
	struct passwd *pw = getpwuid(geteuid());
	return pw && pw->pw_dir && path_absolute(pw->pw_dir) ? pw->pw_dir : NULL;
}

char *expand_tilde(const char *path)
{
	if (path[0] == '~' && (path[1] == '\0' || path[1] == '/')) {
		const char *home = home_dir();
		if (home)
			return xasprintf("%s%s", home, path + 1);
	}
	return xstrdup(path);
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return ms < 0 ? 0 : ms;
}

int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void format_rfc3339_ms(int64_t ms, char *out, size_t size)
{
	ms = clamp_i64(ms, 0, MAX_TIME_MS);
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

int parse_rfc3339_ms(const char *s, int64_t *ms)
{
	struct tm tm = {0};
	int msec = 0, used = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &msec, &used) != 7 || s[used] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = compat_timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000 + msec;
	return 0;
}

size_t utf8_decode(const char *str, size_t avail, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;
	if (avail == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		n = 2;
		*cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		*cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[k] & 0x3F);
	}
	if ((n == 2 && *cp < 0x80) || (n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
		return 0;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	uint32_t cp;
	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return false;
	return true;
}

bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

void mask_controls(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x80 && is_control((unsigned char)*s))
			*s = '?';
}

bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x80 && is_control((unsigned char)*s))
			return true;
	return false;
}

bool word_in(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcasecmp(s, *words) == 0)
			return true;
	return false;
}

char *printable(const char *s)
{
	size_t n = strlen(s);
	bool cut = n > 60;
	char *p = xstrndup(s, cut ? 60 : n);
	mask_controls(p);
	if (cut) {
		char *r = xasprintf("%s...", p);
		free(p);
		return r;
	}
	return p;
}

bool url_is_http(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

char **list_split(const char *s, size_t *n)
{
	char **items = xcalloc(strlen(s) / 2 + 2, sizeof *items);
	size_t count = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		const char *start = s, *end = s + len;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start)
			items[count++] = xstrndup(start, (size_t)(end - start));
		s += len + (s[len] == ',');
	}
	if (n)
		*n = count;
	return items;
}

void list_free(char **items)
{
	for (char **p = items; p && *p; p++)
		free(*p);
	free(items);
}
