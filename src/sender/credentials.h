/* credentials.h — reading the host's credentials file (YAML) and the validate answer
 * (JSON). The key is returned to the caller only; nothing here stores or logs it. */
#ifndef USAGE_REPORT_CREDENTIALS_H
#define USAGE_REPORT_CREDENTIALS_H

#include <stddef.h>

#include "conf.h"

/* The scalar at a dotted path ("cloud.api.key") in a YAML document, or NULL. Caller frees. */
char *credentials_yaml_lookup(const char *text, size_t len, const char *dotted);

/* The string (or integer) at a dotted path in a JSON document, or NULL. Caller frees. */
char *credentials_json_lookup(const char *text, size_t len, const char *dotted);

/* A fingerprint of the credentials file's content ("crc32-size" in hex), or NULL when it
 * cannot be read. Caller frees. */
char *credentials_fingerprint(const char *path);

/* What [auth] finds in the credentials file: the first key found along key_path, and the
 * validate URL that goes with it (validate_url's item at the same position, or its last;
 * under the base URL at validate_url_path when that is in the file). */
struct credentials {
	char *key;      /* the secret: credentials_free() wipes it */
	char *key_path; /* where it was found */
	char *url;      /* where to validate it */
};

/* Fill c from [auth]'s credentials file at path (the file, or a copy of it: credsnap.h). 0,
 * or -1 with *why (caller frees) saying what is missing. */
int credentials_read_file(const struct conf *cfg, const char *path, struct credentials *c, char **why);

/* The URL for validate_url item `item` given the base found in the credentials file (or
 * NULL): an http(s) item keeps its path under the base; a "/path" item needs a base.
 * NULL when there is none. Caller frees. */
char *credentials_url(const char *item, const char *base);

void credentials_free(struct credentials *c);

#endif
