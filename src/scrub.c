/* scrub.c — make an error message safe to leave the machine (SPEC §6).
 * Each pass reads a NUL-terminated UTF-8 string and returns a new one. */
#include "config.h"
#include "scrub.h"
#include "util.h"

#include <ctype.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Length of the well-formed UTF-8 sequence at s (1-4), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n;
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

/* Invalid bytes become U+FFFD; C0, DEL and C1 controls become spaces. */
static char *pass_encoding(const char *msg, size_t len)
{
	struct buf out = {0};
	const unsigned char *s = (const unsigned char *)msg;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq(s + i, len - i, &cp);
		if (n == 0) {
			buf_adds(&out, "\xEF\xBF\xBD");
			i++;
		} else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
			buf_addc(&out, ' ');
			i += n;
		} else {
			buf_add(&out, s + i, n);
			i += n;
		}
	}
	return buf_detach(&out);
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Replace needle by repl wherever it stands on its own: not preceded (when
 * left_boundary) nor followed by a word character. */
static char *pass_replace(const char *s, const char *needle, const char *repl, bool left_boundary)
{
	size_t nl = strlen(needle);
	struct buf out = {0};
	const char *p = s;
	while (*p) {
		const char *hit = strstr(p, needle);
		if (!hit) {
			buf_adds(&out, p);
			break;
		}
		bool left_ok = !left_boundary || hit == s || !word_char(hit[-1]);
		bool right_ok = !word_char(hit[nl]);
		buf_add(&out, p, (size_t)(hit - p));
		if (left_ok && right_ok) {
			buf_adds(&out, repl);
		} else {
			buf_add(&out, hit, nl);
		}
		p = hit + nl;
	}
	return buf_detach(&out);
}

static bool url_end(char c)
{
	return c == '\0' || isspace((unsigned char)c) || c == '"' || c == '\'' || c == '<' ||
	       c == '>' || c == '`';
}

/* scheme://user:password@host/path?query → scheme://host/path */
static char *pass_urls(const char *s)
{
	struct buf out = {0};
	const char *p = s;
	for (;;) {
		const char *sep = strstr(p, "://");
		if (!sep) {
			buf_adds(&out, p);
			break;
		}
		const char *scheme = sep;
		while (scheme > p && (isalnum((unsigned char)scheme[-1]) || scheme[-1] == '+' ||
		                      scheme[-1] == '.' || scheme[-1] == '-'))
			scheme--;
		if (scheme == sep || !isalpha((unsigned char)*scheme)) {
			buf_add(&out, p, (size_t)(sep + 3 - p));
			p = sep + 3;
			continue;
		}
		buf_add(&out, p, (size_t)(sep + 3 - p));
		const char *auth = sep + 3, *end = auth;
		while (!url_end(*end) && *end != '/' && *end != '?' && *end != '#')
			end++;
		const char *at = NULL;
		for (const char *q = auth; q < end; q++)
			if (*q == '@')
				at = q;
		buf_add(&out, at ? at + 1 : auth, (size_t)(end - (at ? at + 1 : auth)));
		const char *rest = end;
		while (!url_end(*rest) && *rest != '?')
			rest++;
		buf_add(&out, end, (size_t)(rest - end));
		if (*rest == '?')
			while (!url_end(*rest))
				rest++;
		p = rest;
	}
	return buf_detach(&out);
}

static bool email_local(char c)
{
	return isalnum((unsigned char)c) || strchr("._%+-", c) != NULL;
}

static char *pass_emails(const char *s)
{
	struct buf out = {0};
	size_t emitted = 0, n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '@')
			continue;
		size_t start = i;
		while (start > emitted && email_local(s[start - 1]))
			start--;
		size_t end = i + 1, last_dot = 0;
		while (end < n && (isalnum((unsigned char)s[end]) || s[end] == '.' || s[end] == '-')) {
			if (s[end] == '.')
				last_dot = end;
			end++;
		}
		while (end > i + 1 && (s[end - 1] == '.' || s[end - 1] == '-'))
			end--;
		size_t tld = 0;
		if (last_dot && last_dot < end)
			for (size_t k = last_dot + 1; k < end && isalpha((unsigned char)s[k]); k++)
				tld++;
		if (start == i || !last_dot || last_dot >= end || tld < 2 || tld != end - last_dot - 1)
			continue;
		buf_add(&out, s + emitted, start - emitted);
		buf_adds(&out, "<email>");
		emitted = end;
		i = end - 1;
	}
	buf_add(&out, s + emitted, n - emitted);
	return buf_detach(&out);
}

static bool token_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static bool looks_secret(const char *t, size_t n)
{
	static const char *const prefixes[] = {"phc_", "phx_", "sk-", "ghp_", "gho_", "ghs_", "arc_", NULL};
	for (const char *const *p = prefixes; *p; p++) {
		size_t pl = strlen(*p);
		if (n >= pl + 6 && strncmp(t, *p, pl) == 0)
			return true;
	}
	if (n >= 3 + 16 && strncmp(t, "pub", 3) == 0) { /* Datadog client token: pub + hex */
		size_t k = 3;
		while (k < n && isxdigit((unsigned char)t[k]))
			k++;
		if (k == n)
			return true;
	}
	if (n >= 24) {
		bool letter = false, digit = false;
		for (size_t k = 0; k < n; k++) {
			letter |= isalpha((unsigned char)t[k]) != 0;
			digit |= isdigit((unsigned char)t[k]) != 0;
		}
		if (letter && digit)
			return true;
	}
	return false;
}

static char *pass_secrets(const char *s)
{
	struct buf out = {0};
	size_t i = 0, n = strlen(s);
	while (i < n) {
		if (strncasecmp(s + i, "bearer ", 7) == 0 && (i == 0 || !token_char(s[i - 1]))) {
			size_t end = i + 7;
			while (end < n && s[end] == ' ')
				end++;
			size_t tok = end;
			while (end < n && !isspace((unsigned char)s[end]) && s[end] != '"' && s[end] != '\'')
				end++;
			if (end > tok) {
				buf_adds(&out, "<redacted>");
				i = end;
				continue;
			}
		}
		if (!token_char(s[i])) {
			buf_addc(&out, s[i++]);
			continue;
		}
		size_t end = i;
		while (end < n && token_char(s[end]))
			end++;
		if (looks_secret(s + i, end - i))
			buf_adds(&out, "<redacted>");
		else
			buf_add(&out, s + i, end - i);
		i = end;
	}
	return buf_detach(&out);
}

/* Cut to max characters (the input is valid UTF-8 by now). */
static char *pass_truncate(const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	while (s[i] && chars < max) {
		i++;
		while ((s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	return xstrndup(s, i);
}

static void step(char **s, char *next)
{
	free(*s);
	*s = next;
}

char *scrub_message(const char *msg, size_t len, const char *home, const char *user)
{
	char *s = pass_encoding(msg, len);
	if (home && strlen(home) >= 2 && strcmp(home, "/") != 0)
		step(&s, pass_replace(s, home, "~", false));
	if (user && *user)
		step(&s, pass_replace(s, user, "<user>", true));
	step(&s, pass_urls(s));
	step(&s, pass_emails(s));
	step(&s, pass_secrets(s));
	step(&s, pass_truncate(s, SCRUB_MAX_CHARS));
	return s;
}

char *scrub_error(const char *msg)
{
	const char *user = getenv("USER");
	struct passwd *pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		user = pw->pw_name;
	char *home = NULL;
	const char *h = home_dir();
	if (h) {
		home = xstrdup(h);
		size_t n = strlen(home);
		while (n > 1 && home[n - 1] == '/')
			home[--n] = '\0';
	}
	char *out = scrub_message(msg, strlen(msg), home, user);
	free(home);
	return out;
}
