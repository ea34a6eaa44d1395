/* auth.h — resolving the account behind the host's credentials (design.md §4.2), sender only.
 * The key is read here, used in one request, and never stored, logged or traced. */
#ifndef USAGE_REPORT_AUTH_H
#define USAGE_REPORT_AUTH_H

#include <stddef.h>

#include "conf.h"

#include "credentials.h"

/* GET the credentials' validate URL with their key; the id is the first principal_path
 * found in the answer. On success *principal (caller frees) and 0. On failure -1 and *why
 * (caller frees) says what happened. */
int resolve_principal(const struct conf *cfg, const struct credentials *cred, long timeout_ms, char **principal,
                      char **why);

#endif
