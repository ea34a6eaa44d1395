/* http.h — perform one described request with libcurl (sender only). */
#ifndef USAGE_REPORT_HTTP_H
#define USAGE_REPORT_HTTP_H

#include <curl/curl.h>

#include "request.h"

struct http_result {
	long status;          /* HTTP status, 0 when no answer came */
	long retry_after;     /* seconds from Retry-After, 0 when absent */
	char error[CURL_ERROR_SIZE]; /* why no answer came */
	char *body;           /* the answer's body (NUL-terminated, at most 64 KiB); caller frees */
	char *location;       /* a 3xx answer's Location, resolved; caller frees (http_result_free) */
	size_t body_len;
};

/* Send r with a connect limit of 2 s and a total limit of timeout_ms. TLS is verified and the
 * proxy variables are honoured (libcurl's own handling). Returns 0 when an answer came (any
 * status), -1 when none did (error says why). release with http_result_free(). */
int http_perform(const struct request *r, long timeout_ms, struct http_result *res);

void http_result_free(struct http_result *res);

#endif
