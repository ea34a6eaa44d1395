/* auth.c — resolving the account behind the host's credentials (design.md §4.2), sender only. */
#include "config.h"
#include "auth.h"
#include "credentials.h"
#include "http.h"
#include "request.h"
#include "trace.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>


/* The first principal_path found in the answer, or NULL. */
static char *principal_in(const struct conf *cfg, const char *body, size_t len)
{
	char **paths = list_split(cfg->auth_principal_path, NULL);
	char *id = NULL;
	for (char **p = paths; *p && !id; p++)
		id = credentials_json_lookup(body, len, *p);
	list_free(paths);
	return id;
}

int resolve_principal(const struct conf *cfg, const struct credentials *cred, long timeout_ms, char **principal,
                      char **why)
{
	struct request r;
	struct http_result res;
	*principal = NULL;
	*why = NULL;
	request_validate(&r, cred->url, cred->key, NULL);
	if (trace_on)
		request_print(stderr, &r, true);
	int rc = http_perform(&r, timeout_ms, &res);
	request_free(&r);
	if (rc != 0) {
		*why = xasprintf("no answer: %s", res.error);
	} else if (res.status != 200) {
		*why = xasprintf("HTTP %ld", res.status);
	} else {
		*principal = principal_in(cfg, res.body ? res.body : "", res.body_len);
		if (!*principal)
			*why = xasprintf("no id at '%s' in the answer", cfg->auth_principal_path);
	}
	trace("validate: %s", *principal ? "principal resolved" : *why);
	http_result_free(&res);
	return *principal ? 0 : -1;
}
