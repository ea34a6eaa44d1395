/* request.h — the HTTP requests delivery makes, described without sending them, so that
 * --dry-run prints exactly what the sender sends (design.md §4.5, §5). */
#ifndef USAGE_REPORT_REQUEST_H
#define USAGE_REPORT_REQUEST_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "conf.h"

#define MAX_HEADERS 24

struct request {
	const char *method;
	char *url;
	char *headers[MAX_HEADERS]; /* "Name: value" */
	size_t n_headers;
	json_t *body;  /* NULL for a GET */
	bool gzip;     /* the body goes out gzip-compressed */
	char *secrets[MAX_HEADERS]; /* credentials inside url/headers/body, masked in traces */
	size_t n_secrets;
	size_t masked_headers_from; /* headers from this index on (a host's own) show no value in traces */
};

/* The delivery request of the configured backend for payload (borrowed: an array from
 * record_for_backend), sent at sent_at: PostHog's POST HOST/batch/ with {"api_key",
 * "batch", "sent_at"}; Datadog's intake with a fresh dd-request-id; OTLP's POST
 * ENDPOINT/v1/logs, one resource per service.version (the records' cli_version), in order,
 * scope usage-report, the configured headers masked in traces. */
void request_delivery(struct request *r, const struct conf *cfg, json_t *payload, const char *sent_at);

/* GET url with the key as a bearer token; a NULL key shows key_shown instead (dry run). */
void request_validate(struct request *r, const char *url, const char *key, const char *key_shown);

/* Method and URL, headers, a blank line, the pretty JSON body and a blank line. With
 * mask, the secret is shown as "…", after its first 4 characters when it has 16 or more. */
void request_print(FILE *f, const struct request *r, bool mask);

/* What a person may see of the request (history): {"intake": the URL, "body": the body as
 * sent}, every credential in either masked as in traces. New reference. */
json_t *request_shown(const struct request *r);

/* The body as sent (compact JSON), freshly allocated. */
char *request_body_text(const struct request *r);

void request_free(struct request *r);

/* What an OTLP collector's answer says it rejected (its partialSuccess: rejectedLogRecords, an
 * int64 as a string or a number, and errorMessage), as one line without control
 * characters; NULL when it rejected nothing or is not such an answer. Caller frees. */
char *request_otlp_rejected(const char *body, size_t len);

#endif
