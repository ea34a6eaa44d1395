/* request.c — the HTTP requests delivery makes, described without sending them. */
#include "config.h"
#include "request.h"
#include "identity.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void add_header(struct request *r, char *header)
{
	if (r->n_headers < MAX_HEADERS)
		r->headers[r->n_headers++] = header;
	else
		free(header);
}

void request_posthog(struct request *r, const struct conf *cfg, json_t *events, const char *sent_at)
{
	memset(r, 0, sizeof *r);
	r->method = "POST";
	r->url = xasprintf("%s/batch/", cfg->posthog_host);
	add_header(r, xstrdup("Content-Type: application/json"));
	add_header(r, xstrdup("Content-Encoding: gzip"));
	add_header(r, xstrdup("User-Agent: usage-report/" PACKAGE_VERSION));
	r->body = json_pack("{s:s, s:O, s:s}", "api_key", cfg->posthog_api_key, "batch", events,
	                    "sent_at", sent_at);
	r->gzip = true;
	r->secret = xstrdup(cfg->posthog_api_key);
}

void request_datadog(struct request *r, const struct conf *cfg, json_t *logs)
{
	char id[UUID_STR_LEN];
	uuid_v4(id);
	char *base = conf_endpoint(cfg);
	memset(r, 0, sizeof *r);
	r->method = "POST";
	r->url = xasprintf("%s%cddsource=%s&dd-api-key=%s&dd-request-id=%s", base,
	                   strchr(base, '?') ? '&' : '?', cfg->dd_source, cfg->dd_client_token, id);
	free(base);
	add_header(r, xasprintf("DD-API-KEY: %s", cfg->dd_client_token));
	add_header(r, xstrdup("Content-Type: application/json"));
	add_header(r, xstrdup("User-Agent: usage-report/" PACKAGE_VERSION));
	r->body = json_incref(logs);
	r->secret = xstrdup(cfg->dd_client_token);
}

void request_validate(struct request *r, const char *url, const char *key, const char *key_shown)
{
	memset(r, 0, sizeof *r);
	r->method = "GET";
	r->url = xstrdup(url);
	if (key) {
		add_header(r, xasprintf("Authorization: Bearer %s", key));
		r->secret = xstrdup(key);
	} else {
		add_header(r, xasprintf("Authorization: Bearer %s", key_shown));
	}
	add_header(r, xstrdup("Accept: application/json"));
	add_header(r, xstrdup("User-Agent: usage-report/" PACKAGE_VERSION));
}

/* A key of at least this many characters shows its first MASK_SHOWN in traces; a shorter
 * one shows nothing of itself, so that no key is ever shown whole or nearly. */
#define MASK_MIN_SHOWN_LEN 16
#define MASK_SHOWN 4

/* text with every occurrence of secret masked; freshly allocated. */
static char *masked(const char *text, const char *secret)
{
	if (!secret || !*secret)
		return xstrdup(text);
	struct buf b = {0};
	size_t sl = strlen(secret);
	const char *p = text, *hit;
	while ((hit = strstr(p, secret)) != NULL) {
		buf_add(&b, p, (size_t)(hit - p));
		buf_add(&b, secret, sl >= MASK_MIN_SHOWN_LEN ? MASK_SHOWN : 0);
		buf_adds(&b, "…");
		p = hit + sl;
	}
	buf_adds(&b, p);
	return buf_detach(&b);
}

void request_print(FILE *f, const struct request *r, bool mask)
{
	struct buf b = {0};
	char *line = xasprintf("%s %s\n", r->method, r->url);
	buf_adds(&b, line);
	free(line);
	for (size_t i = 0; i < r->n_headers; i++) {
		buf_adds(&b, r->headers[i]);
		buf_addc(&b, '\n');
	}
	buf_addc(&b, '\n');
	if (r->body) {
		char *body = json_dumps(r->body, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (body) {
			buf_adds(&b, body);
			buf_adds(&b, "\n\n");
		}
		free(body);
	}
	char *text = mask ? masked(b.data, r->secret) : xstrdup(b.data);
	fputs(text, f);
	free(text);
	buf_free(&b);
}

char *request_body_text(const struct request *r)
{
	return r->body ? json_dumps(r->body, JSON_COMPACT | JSON_PRESERVE_ORDER) : xstrdup("");
}

void request_free(struct request *r)
{
	free(r->url);
	for (size_t i = 0; i < r->n_headers; i++)
		free(r->headers[i]);
	json_decref(r->body);
	free(r->secret);
	memset(r, 0, sizeof *r);
}
