/* scrub.c — make an error message safe to leave the machine (design.md §6).
 * Each pass reads a NUL-terminated UTF-8 string and returns a new one. */
#include "config.h"
#include "scrub.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A run of letters, digits, '_' and '-' this long, mixing letters and digits, is a secret. */
#define SECRET_RUN_MIN 24

/* Invalid bytes become U+FFFD; C0, DEL and C1 controls become spaces. */
static char *pass_encoding(const char *msg, size_t len)
{
	struct buf out = {0};
	const unsigned char *s = (const unsigned char *)msg;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(msg + i, len - i, &cp);
		if (n == 0) {
			buf_adds(&out, "\xEF\xBF\xBD");
			i++;
		} else if (is_control(cp)) {
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

static bool all_of(const char *t, size_t n, const char *set)
{
	for (size_t k = 0; k < n; k++)
		if (!strchr(set, t[k]))
			return false;
	return true;
}

#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define BASE64_CHARS UPPER_DIGITS "abcdefghijklmnopqrstuvwxyz+/="

/* Whether the token t[0..n) (letters, digits, '_', '-') looks like a credential. */
static bool looks_secret(const char *t, size_t n)
{
	static const char *const prefixes[] = {
		"phc_", "phx_", "sk-", "sk_live_", "sk_test_", "rk_live_", "ghp_", "gho_", "ghs_", "ghu_",
		"github_pat_", "glpat-", "xoxb-", "xoxa-", "xoxp-", "arc_", NULL,
	};
	for (const char *const *p = prefixes; *p; p++) {
		size_t pl = strlen(*p);
		if (n >= pl + 6 && strncmp(t, *p, pl) == 0)
			return true;
	}
	/* AWS access key ids: AKIA or ASIA and 16 upper-case letters or digits */
	if (n == 20 && (!strncmp(t, "AKIA", 4) || !strncmp(t, "ASIA", 4)) && all_of(t + 4, 16, UPPER_DIGITS))
		return true;
	if (n >= 3 + 16 && strncmp(t, "pub", 3) == 0 && all_of(t + 3, n - 3, "0123456789abcdefABCDEF"))
		return true; /* Datadog client token: pub + hex */
	if (n >= SECRET_RUN_MIN) {
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

/* Length of the JWT (eyJ<header>.<payload>.<signature>) at s, or 0. */
static size_t jwt_len(const char *s)
{
	if (strncmp(s, "eyJ", 3) != 0)
		return 0;
	size_t i = 0;
	for (int part = 0; part < 3; part++) {
		size_t start = i;
		while (token_char(s[i]))
			i++;
		if (part < 2 && (i == start || s[i] != '.'))
			return 0;
		if (part < 2)
			i++;
	}
	return i;
}

/* Length of the credential after an HTTP scheme word ("Bearer x", "Basic dXNlcjpw"), or 0.
 * Basic's value must look like base64, so that "Basic auth failed" stays a sentence. */
static size_t scheme_len(const char *s, size_t i)
{
	static const char *const schemes[] = {"bearer ", "basic ", NULL};
	for (const char *const *p = schemes; *p; p++) {
		size_t pl = strlen(*p), end = i + pl, tok;
		if (strncasecmp(s + i, *p, pl) != 0 || (i > 0 && token_char(s[i - 1])))
			continue;
		while (s[end] == ' ')
			end++;
		tok = end;
		while (s[end] && !isspace((unsigned char)s[end]) && s[end] != '"' && s[end] != '\'')
			end++;
		bool basic = (*p)[1] == 'a';
		if (end > tok && (!basic || (end - tok >= 8 && all_of(s + tok, end - tok, BASE64_CHARS) &&
		                             !all_of(s + tok, end - tok, "abcdefghijklmnopqrstuvwxyz"))))
			return end - i;
	}
	return 0;
}

/* Whether the PEM label at s (after "-----BEGIN ") names a private key: upper-case words up
 * to "-----", the end of a line, or the end of a message cut inside the label. */
static bool pem_private_label(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ");
	char label[128];
	snprintf(label, sizeof label, "%.*s", (int)(n < sizeof label ? n : sizeof label - 1), s);
	return strstr(label, "PRIVATE") != NULL;
}

/* PEM private-key blocks, whole: to the END line, or to the end of the text when the block
 * (or its BEGIN line) was cut before it. */
static char *pass_pem(const char *s)
{
	struct buf out = {0};
	const char *p = s, *begin;
	while ((begin = strstr(p, "-----BEGIN ")) != NULL) {
		if (!pem_private_label(begin + 11)) {
			buf_add(&out, p, (size_t)(begin + 11 - p));
			p = begin + 11;
			continue;
		}
		buf_add(&out, p, (size_t)(begin - p));
		buf_adds(&out, "<redacted>");
		const char *end = strstr(begin + 11, "-----END ");
		const char *close = end ? strstr(end + 9, "-----") : NULL;
		p = close ? close + 5 : begin + strlen(begin);
	}
	buf_adds(&out, p);
	return buf_detach(&out);
}

static char *pass_secrets(const char *s)
{
	struct buf out = {0};
	size_t i = 0, n = strlen(s), len;
	while (i < n) {
		if ((len = scheme_len(s, i)) || ((i == 0 || !token_char(s[i - 1])) && (len = jwt_len(s + i)))) {
			buf_adds(&out, "<redacted>");
			i += len;
			continue;
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

/* Whether the key k[0..n) names a secret: one of the words, any case, as the whole key or
 * as its last parts, parts being split at '_', '-', '.' and a lower-to-upper case change
 * ("DB_Password", "x-api-key", "clientSecret", "Proxy-Authorization"); never a word that
 * merely starts like one ("authenticated", "tokenizer"). Keys of any length. */
static bool secret_key(const char *k, size_t n)
{
	static const char *const words[] = {
		"password", "passwd", "pwd", "secret", "token", "apikey", "accesskey", "auth",
		"authorization", "credential", "credentials", "privatekey", "session", NULL,
	};
	char *norm = xmalloc(n + 1);
	size_t m = 0;
	/* the suffixes that start at a part boundary, in norm's (separator-free, lower-case) terms */
	bool ok = false;
	size_t *starts = xmalloc((n + 1) * sizeof *starts), n_starts = 0;
	for (size_t i = 0; i < n; i++) {
		bool sep = k[i] == '_' || k[i] == '-' || k[i] == '.';
		bool camel = i > 0 && islower((unsigned char)k[i - 1]) && isupper((unsigned char)k[i]);
		if (sep)
			continue;
		if (m == 0 || camel || (i > 0 && (k[i - 1] == '_' || k[i - 1] == '-' || k[i - 1] == '.')))
			starts[n_starts++] = m;
		norm[m++] = (char)tolower((unsigned char)k[i]);
	}
	norm[m] = '\0';
	for (size_t j = 0; j < n_starts && !ok; j++)
		for (const char *const *w = words; *w && !ok; w++)
			ok = strcmp(norm + starts[j], *w) == 0;
	free(starts);
	free(norm);
	return ok;
}

static bool value_end(char c)
{
	return c == '\0' || isspace((unsigned char)c) || strchr("\"',;&)}]", c) != NULL;
}

/* "Authorization: SCHEME VALUE": the value of an authorization header whose first word is
 * a scheme name (letters only) goes on to the end of the next word. */
static size_t scheme_value_end(const char *s, size_t key, size_t key_end, size_t v, size_t v_end)
{
	static const char *const auth_words[] = {"authorization", NULL};
	char last[32];
	size_t part = key_end;
	while (part > key && word_char(s[part - 1]) && s[part - 1] != '_' && s[part - 1] != '-' && s[part - 1] != '.')
		part--;
	const char *colon = memchr(s + key_end, ':', v - key_end);
	if (key_end - part >= sizeof last || s[v_end] != ' ' || !colon) /* a header: "Name: value" */
		return v_end;
	for (size_t i = 0; i < key_end - part; i++)
		last[i] = (char)tolower((unsigned char)s[part + i]);
	last[key_end - part] = '\0';
	bool scheme = v_end > v && v_end - v <= 20;
	for (size_t i = v; i < v_end && scheme; i++)
		scheme = isalpha((unsigned char)s[i]);
	if (!scheme || !word_in(last, auth_words))
		return v_end;
	size_t next = v_end;
	while (s[next] == ' ')
		next++;
	size_t word = next;
	while (!value_end(s[next]))
		next++;
	return next == word || memchr(s + word, '=', next - word) ? v_end : next;
}

/* key=value and key: value (quoted or not) whose key names a secret: the value goes. */
static char *pass_key_values(const char *s)
{
	struct buf out = {0};
	size_t i = 0, n = strlen(s);
	while (i < n) {
		if (!word_char(s[i]) || (i > 0 && word_char(s[i - 1]))) {
			buf_addc(&out, s[i++]);
			continue;
		}
		size_t key_end = i;
		while (key_end < n && word_char(s[key_end]))
			key_end++;
		size_t v = key_end;
		if (s[v] == '"' || s[v] == '\'')
			v++;
		while (s[v] == ' ')
			v++;
		bool pair = s[v] == '=' || s[v] == ':';
		char quote = 0;
		if (pair) {
			v++;
			while (s[v] == ' ')
				v++;
			if (s[v] == '"' || s[v] == '\'')
				quote = s[v++];
		}
		size_t v_end = v;
		if (quote) { /* a quoted value is whole, spaces included, to its closing quote */
			while (s[v_end] && s[v_end] != quote)
				v_end++;
		} else {
			while (!value_end(s[v_end]))
				v_end++;
			v_end = scheme_value_end(s, i, key_end, v, v_end);
		}
		buf_add(&out, s + i, (pair ? v : key_end) - i);
		if (pair && v_end > v && secret_key(s + i, key_end - i) && strncmp(s + v, "<redacted>", 10) != 0) {
			buf_adds(&out, "<redacted>");
			i = v_end;
		} else {
			i = pair ? v : key_end;
		}
	}
	return buf_detach(&out);
}

/* Another user's home folder (/home/NAME, /Users/NAME, C:\Users\NAME) becomes "<home>". */
static char *pass_homes(const char *s)
{
	static const char *const roots[] = {"/home/", "/var/home/", "/Users/", "C:\\Users\\", "C:/Users/", NULL};
	struct buf out = {0};
	size_t i = 0, n = strlen(s);
	while (i < n) {
		size_t rl = 0;
		for (const char *const *r = roots; *r && !rl; r++)
			if (strncasecmp(s + i, *r, strlen(*r)) == 0 && (i == 0 || !word_char(s[i - 1])))
				rl = strlen(*r);
		size_t end = i + rl;
		while (rl && end < n && !isspace((unsigned char)s[end]) && !strchr("/\\\"'<>:", s[end]))
			end++;
		if (rl && end > i + rl) {
			buf_adds(&out, "<home>");
			i = end;
		} else {
			buf_addc(&out, s[i++]);
		}
	}
	return buf_detach(&out);
}

/* Length of the address at s[0..) made of chars in set that inet_pton(family) takes, 0
 * when there is none: trailing '.' (and a lone trailing ':') belong to the sentence. */
static size_t address_len(const char *s, const char *set, int family)
{
	size_t end = strspn(s, set);
	while (end > 0 && (s[end - 1] == '.' || (s[end - 1] == ':' && (end == 1 || s[end - 2] != ':'))))
		end--;
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char bin[sizeof(struct in6_addr)];
	if (end == 0 || end >= sizeof addr || isalnum((unsigned char)s[end]) || s[end] == '_' ||
	    (s[end] == '.' && isdigit((unsigned char)s[end + 1])))
		return 0;
	memcpy(addr, s, end);
	addr[end] = '\0';
	if (family == AF_INET6 && (!strchr(addr, ':') || !strchr(strchr(addr, ':') + 1, ':') ||
	                           strspn(addr, ":") == end))
		return 0; /* at least two colons and a digit: never a time of day or a bare "::" */
	return inet_pton(family, addr, bin) == 1 ? end : 0;
}

/* IPv4 and IPv6 addresses become "<ip>" ("10.0.0.1:443", "fe80::1", "[::1]:8080"), when
 * they stand on their own: never "v1.2.3.4", "12:30:45" or "std::vector". */
static char *pass_ips(const char *s)
{
	struct buf out = {0};
	size_t i = 0, n = strlen(s);
	while (i < n) {
		size_t len = 0;
		if (i == 0 || (!word_char(s[i - 1]) && s[i - 1] != ':')) {
			len = address_len(s + i, "0123456789.", AF_INET);
			if (!len)
				len = address_len(s + i, "0123456789abcdefABCDEF:.", AF_INET6);
		}
		if (len) {
			buf_adds(&out, "<ip>");
			i += len;
		} else {
			buf_addc(&out, s[i++]);
		}
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
	if (home && strlen(home) >= 2 && strcmp(home, "/") != 0) {
		step(&s, pass_replace(s, home, "~", false));
		if (home[1] == ':') { /* a Windows profile, given as C:/Users/NAME: C:\Users\NAME too */
			char *back = xstrdup(home);
			for (char *p = back; *p; p++)
				if (*p == '/')
					*p = '\\';
			step(&s, pass_replace(s, back, "~", false));
			free(back);
		}
	}
	if (user && *user)
		step(&s, pass_replace(s, user, "<user>", true));
	step(&s, pass_homes(s));
	step(&s, pass_pem(s));
	step(&s, pass_urls(s));
	step(&s, pass_emails(s));
	step(&s, pass_secrets(s));
	step(&s, pass_key_values(s));
	step(&s, pass_ips(s));
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
