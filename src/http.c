/* http.c — perform one described request with libcurl (sender only). */
#include "config.h"
#include "http.h"
#include "trace.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_ANSWER (64 * 1024)
#define CONNECT_LIMIT_MS 2000L

int gzip_compress(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream z = {0};
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	char *buf = xmalloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct http_result *res = user;
	size_t len = size * n;
	size_t keep = res->body_len + len > MAX_ANSWER ? MAX_ANSWER - res->body_len : len;
	if (keep) {
		res->body = xrealloc(res->body, res->body_len + keep + 1);
		memcpy(res->body + res->body_len, data, keep);
		res->body_len += keep;
		res->body[res->body_len] = '\0';
	}
	return len;
}

int http_perform(const struct request *r, long timeout_ms, struct http_result *res)
{
	memset(res, 0, sizeof *res);
	CURL *curl = curl_easy_init();
	if (!curl) {
		snprintf(res->error, sizeof res->error, "cannot start libcurl");
		return -1;
	}
	struct curl_slist *headers = NULL;
	for (size_t i = 0; i < r->n_headers; i++)
		headers = curl_slist_append(headers, r->headers[i]);
	headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
	char *body = NULL, *packed = NULL;
	size_t packed_len = 0;

	curl_easy_setopt(curl, CURLOPT_URL, r->url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, res->error);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_LIMIT_MS < timeout_ms ? CONNECT_LIMIT_MS : timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, res);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	/* Trust what the user's curl would: the curl tool, not libcurl, reads these. */
	const char *ca_file = env_nonempty("CURL_CA_BUNDLE") ? env_nonempty("CURL_CA_BUNDLE") : env_nonempty("SSL_CERT_FILE");
	if (ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
	if (env_nonempty("SSL_CERT_DIR"))
		curl_easy_setopt(curl, CURLOPT_CAPATH, env_nonempty("SSL_CERT_DIR"));
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (r->body) {
		body = request_body_text(r);
		if (r->gzip && gzip_compress(body, strlen(body), &packed, &packed_len) != 0) {
			snprintf(res->error, sizeof res->error, "cannot gzip the body");
			goto fail;
		}
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, packed ? packed : body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)(packed ? packed_len : strlen(body)));
	}
	CURLcode rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		if (!res->error[0])
			snprintf(res->error, sizeof res->error, "%s", curl_easy_strerror(rc));
		goto fail;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	curl_off_t retry_after = 0;
	if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
		res->retry_after = retry_after > 86400 ? 86400 : (long)retry_after;
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	free(body);
	free(packed);
	return 0;
fail:
	res->status = 0;
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	free(body);
	free(packed);
	return -1;
}

void http_result_free(struct http_result *res)
{
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}
