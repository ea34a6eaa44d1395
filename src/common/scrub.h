/* scrub.h — make an error message safe to leave the machine (design.md §6). */
#ifndef USAGE_REPORT_SCRUB_H
#define USAGE_REPORT_SCRUB_H

#include <stddef.h>

/* Longest scrubbed message, in characters. */
#define SCRUB_MAX_CHARS 300

/* Scrub len bytes of msg (design.md §6): invalid UTF-8 → U+FFFD, controls → spaces, home → "~",
 * login name → "<user>", another user's home folder → "<home>", PEM private keys, known
 * key prefixes, AWS key ids, JWTs, Bearer/Basic credentials and long mixed runs →
 * "<redacted>", e-mail → "<email>", URL credentials and query strings removed, the value
 * of a key=value or key: value pair whose key names a secret → "<redacted>", IP addresses
 * → "<ip>", then cut to 300 characters. home and user may be NULL. Caller frees. */
char *scrub_message(const char *msg, size_t len, const char *home, const char *user);

/* The same with this process's $HOME and login name. */
char *scrub_error(const char *msg);

#endif
