/* auth.h — resolving the account behind the host's credentials (SPEC §4.2), sender only.
 * The key is read here, used in one request, and never stored, logged or traced. */
#ifndef USAGE_REPORT_AUTH_H
#define USAGE_REPORT_AUTH_H

#include <stddef.h>

#include "conf.h"

/* GET validate_url with the key; on success *principal (caller frees) and 0. On failure -1
 * and *why (caller frees) says what happened. */
int resolve_principal(const struct conf *cfg, const char *key, long timeout_ms, char **principal, char **why);

#endif
