/* credentials.h — reading the host's credentials file (YAML) and the validate answer
 * (JSON). The key is returned to the caller only; nothing here stores or logs it. */
#ifndef USAGE_REPORT_CREDENTIALS_H
#define USAGE_REPORT_CREDENTIALS_H

#include <stddef.h>

#include "conf.h"

/* The scalar at a dotted path ("cloud.api.key") in a YAML document, or NULL. Caller frees. */
char *yaml_lookup(const char *text, size_t len, const char *dotted);

/* The string (or integer) at a dotted path in a JSON document, or NULL. Caller frees. */
char *json_lookup(const char *text, size_t len, const char *dotted);

/* A fingerprint of the credentials file's content ("crc32-size" in hex), or NULL when it
 * cannot be read. Caller frees. */
char *credentials_fingerprint(const char *path);

/* The API key from [auth] credentials_file at key_path, or NULL. Caller frees. */
char *credentials_key(const struct conf *cfg);

#endif
