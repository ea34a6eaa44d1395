/* request.c — the HTTP requests delivery makes, described without sending them. */
#include "config.h"
#include "request.h"
#include "uuid.h"
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

static void add_secret(struct request *r, const char *secret)
{
	if (r->n_secrets < MAX_HEADERS && secret && *secret)
		r->secrets[r->n_secrets++] = xstrdup(secret);
}

static void request_posthog(struct request *r, const struct conf *cfg, json_t *events, const char *sent_at)
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
	add_secret(r, cfg->posthog_api_key);
}

static void request_datadog(struct request *r, const struct conf *cfg, json_t *logs)
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
	add_secret(r, cfg->dd_client_token);
}

static void request_otlp(struct request *r, const struct conf *cfg, json_t *log_records);

void request_delivery(struct request *r, const struct conf *cfg, json_t *payload, const char *sent_at)
{
	if (cfg->backend == BACKEND_POSTHOG)
		request_posthog(r, cfg, payload, sent_at);
	else if (cfg->backend == BACKEND_OTLP)
		request_otlp(r, cfg, payload);
	else
		request_datadog(r, cfg, payload);
}

void request_validate(struct request *r, const char *url, const char *key, const char *key_shown)
{
	memset(r, 0, sizeof *r);
	r->method = "GET";
	r->url = xstrdup(url);
	if (key) {
		add_header(r, xasprintf("Authorization: Bearer %s", key));
		add_secret(r, key);
	} else {
		add_header(r, xasprintf("Authorization: Bearer %s", key_shown));
	}
	add_header(r, xstrdup("Accept: application/json"));
	add_header(r, xstrdup("User-Agent: usage-report/" PACKAGE_VERSION));
}

/* The value of the attribute key in an OTLP attribute list, or NULL. */
static json_t *otlp_attribute(json_t *attributes, const char *key)
{
	size_t i;
	json_t *kv;
	json_array_foreach(attributes, i, kv)
		if (json_is_string(json_object_get(kv, "key")) && !strcmp(json_string_value(json_object_get(kv, "key")), key))
			return json_object_get(kv, "value");
	return NULL;
}

/* The resourceLogs entry for service.version version (NULL: none), created when missing. */
static json_t *otlp_resource(json_t *resource_logs, const char *app, json_t *version)
{
	size_t i;
	json_t *rl;
	json_array_foreach(resource_logs, i, rl) {
		json_t *v = otlp_attribute(json_object_get(json_object_get(rl, "resource"), "attributes"), "service.version");
		if (version ? v && json_equal(v, version) : !v)
			return rl;
	}
	json_t *attributes = json_pack("[{s:s, s:{s:s}}]", "key", "service.name", "value", "stringValue", app);
	if (version)
		json_array_append_new(attributes, json_pack("{s:s, s:O}", "key", "service.version", "value", version));
	rl = json_pack("{s:{s:o, s:i}, s:[{s:{s:s, s:s}, s:[]}]}", "resource", "attributes", attributes,
	               "droppedAttributesCount", 0, "scopeLogs", "scope", "name", "usage-report", "version",
	               PACKAGE_VERSION, "logRecords");
	json_array_append_new(resource_logs, rl);
	return rl;
}

static void request_otlp(struct request *r, const struct conf *cfg, json_t *log_records)
{
	memset(r, 0, sizeof *r);
	r->method = "POST";
	r->url = conf_endpoint(cfg);
	add_header(r, xstrdup("Content-Type: application/json"));
	add_header(r, xstrdup("Content-Encoding: gzip"));
	add_header(r, xstrdup("User-Agent: usage-report/" PACKAGE_VERSION));
	r->masked_headers_from = r->n_headers;
	for (char **h = cfg->otlp_headers; h && *h; h++)
		add_header(r, xstrdup(*h));
	json_t *resource_logs = json_array();
	size_t i;
	json_t *log;
	json_array_foreach(log_records, i, log) {
		json_t *rl = otlp_resource(resource_logs, cfg->app, otlp_attribute(json_object_get(log, "attributes"), "cli_version"));
		json_array_append(json_object_get(json_array_get(json_object_get(rl, "scopeLogs"), 0), "logRecords"), log);
	}
	r->body = json_pack("{s:o}", "resourceLogs", resource_logs);
	r->gzip = true;
}

/* A key of at least this many characters shows its first MASK_SHOWN in traces; a shorter
 * one shows nothing of itself, so that no key is ever shown whole or nearly. */
#define MASK_MIN_SHOWN_LEN 16
#define MASK_SHOWN 4

/* text with every occurrence of secret masked; freshly allocated. */
static char *masked(const char *text, const char *secret)
{
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

/* text with every secret of r masked; takes text. */
static char *masked_all(const struct request *r, char *text)
{
	for (size_t i = 0; i < r->n_secrets; i++) {
		char *next = masked(text, r->secrets[i]);
		free(text);
		text = next;
	}
	return text;
}

void request_print(FILE *f, const struct request *r, bool mask)
{
	struct buf b = {0};
	char *line = xasprintf("%s %s\n", r->method, r->url);
	buf_adds(&b, line);
	free(line);
	for (size_t i = 0; i < r->n_headers; i++) {
		if (mask && r->masked_headers_from && i >= r->masked_headers_from)
			buf_add(&b, r->headers[i], (size_t)(strchr(r->headers[i], ':') + 2 - r->headers[i]));
		buf_adds(&b, mask && r->masked_headers_from && i >= r->masked_headers_from ? "…" : r->headers[i]);
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
	char *text = xstrdup(b.data);
	if (mask)
		text = masked_all(r, text);
	fputs(text, f);
	free(text);
	buf_free(&b);
}

/* Whether text holds one of r's secrets. */
static bool has_secret(const struct request *r, const char *text)
{
	for (size_t i = 0; i < r->n_secrets; i++)
		if (strstr(text, r->secrets[i]))
			return true;
	return false;
}

/* The string text, which holds a secret, as a person may see it: a new reference. */
static json_t *masked_string(const struct request *r, const char *text)
{
	char *shown = masked_all(r, xstrdup(text));
	json_t *v = json_string(shown);
	free(shown);
	return v ? v : json_string("…"); /* a key cut inside a character: no text at all */
}

/* v with every secret of r masked in its strings and its keys, masked as in traces: a new
 * reference that shares what holds no secret. Walking the tree costs a tenth of printing
 * the body, masking the text and reading it back. */
static json_t *masked_json(const struct request *r, json_t *v)
{
	if (json_is_string(v))
		return has_secret(r, json_string_value(v)) ? masked_string(r, json_string_value(v)) : json_incref(v);
	json_t *copy = json_is_array(v) ? json_array() : json_is_object(v) ? json_object() : NULL;
	if (!copy)
		return json_incref(v);
	size_t i;
	json_t *item;
	const char *key;
	json_array_foreach (v, i, item)
		json_array_append_new(copy, masked_json(r, item));
	json_object_foreach (v, key, item) {
		json_t *k = has_secret(r, key) ? masked_string(r, key) : NULL;
		json_object_set_new(copy, k ? json_string_value(k) : key, masked_json(r, item));
		json_decref(k);
	}
	return copy;
}

json_t *request_shown(const struct request *r)
{
	char *url = masked_all(r, xstrdup(r->url));
	json_t *shown = json_pack("{s:s, s:o}", "intake", url, "body", r->body ? masked_json(r, r->body) : json_null());
	free(url);
	return shown;
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
	for (size_t i = 0; i < r->n_secrets; i++)
		free(r->secrets[i]);
	memset(r, 0, sizeof *r);
}

char *request_otlp_rejected(const char *body, size_t len)
{
	json_t *answer = body ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *partial = json_object_get(answer, "partialSuccess");
	json_t *rejected = json_object_get(partial, "rejectedLogRecords"); /* int64: a string or a number */
	long long n = json_is_integer(rejected) ? json_integer_value(rejected)
	              : json_is_string(rejected) ? strtoll(json_string_value(rejected), NULL, 10)
	                                         : 0;
	char *why = NULL;
	if (n > 0) {
		const char *msg = json_string_value(json_object_get(partial, "errorMessage"));
		why = xasprintf("%lld log record(s) rejected%s%s", n, msg ? ": " : "", msg ? msg : "");
		mask_controls(why);
	}
	json_decref(answer);
	return why;
}
