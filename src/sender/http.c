/* http.c — perform one described request with libcurl (sender only). */
#include "config.h"
#include "http.h"
#include "backoff.h"
#include "trace.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define MAX_ANSWER (64 * 1024)
#define CONNECT_LIMIT_MS 2000L
#define RETRY_AFTER_MAX_S ((long)(RETRY_AFTER_MAX_MS / 1000))

/* zlib's window and hash sizes (log2) for a body of len bytes: the window no larger than the
 * body, the hash table in proportion. A one-event body compresses as well as with zlib's
 * default (32 KiB, memLevel 8), whose tables cost more to clear than the body to compress. */
#define GZIP_MIN_BITS 9
#define GZIP_MAX_BITS 15
#define GZIP_WRAPPER 16 /* added to the window bits: a gzip header and trailer, not zlib's */
#define GZIP_HASH_OFFSET 7 /* zlib's hash table has 2^(memLevel + 7) entries */

/* gzip-compress (zlib); *out is the caller's to free. 0, or -1. */
static int gzip_compress(const char *in, size_t len, char **out, size_t *out_len)
{
	int bits = GZIP_MIN_BITS;
	while (bits < GZIP_MAX_BITS && ((size_t)1 << bits) < len)
		bits++;
	z_stream z = {0};
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, bits + GZIP_WRAPPER, bits - GZIP_HASH_OFFSET,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
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

#ifndef _WIN32
/* Where Linux systems keep their CA bundle, and their folder of hashed certificates. */
static const char *const ca_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Arch, Gentoo */
	"/etc/pki/tls/certs/ca-bundle.crt",                  /* Fedora, RHEL */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL, CentOS */
	"/etc/ssl/ca-bundle.pem",                            /* openSUSE, SLES */
	"/etc/ssl/cert.pem",                                 /* Alpine */
	NULL,
};
static const char *const ca_dirs[] = {"/etc/ssl/certs", "/etc/pki/tls/certs", NULL};

/* The first of paths that is a folder (want_dir) or a regular file; NULL when none is. */
static const char *first_existing(const char *const *paths, bool want_dir)
{
	struct stat st;
	for (; *paths; paths++)
		if (stat(*paths, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
			return *paths;
	return NULL;
}

/* Whether libcurl was built with a CA bundle or folder of its own that exists here (a
 * libcurl older than 7.70 does not say: it is assumed to). */
static bool libcurl_default_exists(void)
{
#if LIBCURL_VERSION_NUM >= 0x074600
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	struct stat st;
	if (v->age < CURLVERSION_SEVENTH)
		return true;
	return (v->cainfo && stat(v->cainfo, &st) == 0) || (v->capath && stat(v->capath, &st) == 0);
#else
	return true;
#endif
}

#endif

/* Trust what the user's curl would: the curl tool, not libcurl, reads CURL_CA_BUNDLE,
 * SSL_CERT_FILE and SSL_CERT_DIR (corporate proxies that re-sign TLS depend on them).
 * Without them, libcurl's own default if it has one that exists here; else (the static
 * executables, built with none, on any distribution) the system's bundle, found at the
 * usual paths. Finding none leaves nothing trusted: the request fails and is retried,
 * never sent unverified. */
static bool set_trust(CURL *curl)
{
	const char *file = env_nonempty("CURL_CA_BUNDLE") ? env_nonempty("CURL_CA_BUNDLE") : env_nonempty("SSL_CERT_FILE");
#ifdef _WIN32
	/* Schannel: Windows' own certificate store, unless a bundle is named (no folders) */
	trace("certificates: %s", file ? file : "the Windows certificate store");
	return !file || curl_easy_setopt(curl, CURLOPT_CAINFO, file) == CURLE_OK;
#else
	const char *dir = env_nonempty("SSL_CERT_DIR");
	if (!file && !dir) {
		if (libcurl_default_exists()) {
			trace("certificates: libcurl's own default");
			return true;
		}
		file = first_existing(ca_bundles, false);
		dir = file ? NULL : first_existing(ca_dirs, true);
	}
	trace("certificates: %s%s%s", file ? file : "", file && dir ? " and " : "", dir ? dir : file ? "" : "none found");
	bool ok = true;
	if (file)
		ok = ok && curl_easy_setopt(curl, CURLOPT_CAINFO, file) == CURLE_OK;
	if (dir)
		ok = ok && curl_easy_setopt(curl, CURLOPT_CAPATH, dir) == CURLE_OK;
	return ok;
#endif
}

/* Every option the request needs; false as soon as libcurl refuses one. */
static bool set_options(CURL *curl, const struct request *r, long timeout_ms, struct curl_slist *headers,
                        struct http_result *res)
{
	bool ok = true;
	ok = ok && curl_easy_setopt(curl, CURLOPT_URL, r->url) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, res->error) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	                            CONNECT_LIMIT_MS < timeout_ms ? CONNECT_LIMIT_MS : timeout_ms) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_WRITEDATA, res) == CURLE_OK;
	/* a redirect is never followed: the events stay queued and sent.log names it */
	ok = ok && curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	ok = ok && set_trust(curl);
#if LIBCURL_VERSION_NUM >= 0x075500
	ok = ok && curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
#else
	ok = ok && curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK;
#endif
	return ok;
}

static bool set_body(CURL *curl, const char *data, size_t len)
{
	return curl_easy_setopt(curl, CURLOPT_POST, 1L) == CURLE_OK &&
	       curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data) == CURLE_OK &&
	       curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) == CURLE_OK;
}

/* What came back: status, a redirect's Location, Retry-After (at most a day). */
static void read_answer(CURL *curl, struct http_result *res)
{
	char *location = NULL;
	curl_off_t retry_after = 0;
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status) != CURLE_OK)
		res->status = 0;
	if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location)
		res->location = xstrdup(location);
	if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
		res->retry_after = retry_after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long)retry_after;
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
	int rc = -1;

	if (!headers || !set_options(curl, r, timeout_ms, headers, res)) {
		snprintf(res->error, sizeof res->error, "libcurl refused an option");
		goto out;
	}
	if (r->body) {
		body = request_body_text(r);
		if (r->gzip && gzip_compress(body, strlen(body), &packed, &packed_len) != 0) {
			snprintf(res->error, sizeof res->error, "cannot gzip the body");
			goto out;
		}
		if (!set_body(curl, packed ? packed : body, packed ? packed_len : strlen(body))) {
			snprintf(res->error, sizeof res->error, "libcurl refused the body");
			goto out;
		}
	}
	CURLcode done = curl_easy_perform(curl);
	if (done != CURLE_OK) {
		if (!res->error[0])
			snprintf(res->error, sizeof res->error, "%s", curl_easy_strerror(done));
		goto out;
	}
	read_answer(curl, res);
	rc = 0;
out:
	if (rc != 0)
		res->status = 0;
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	free(body);
	free(packed);
	return rc;
}

void http_result_free(struct http_result *res)
{
	free(res->body);
	res->body = NULL;
	free(res->location);
	res->location = NULL;
	res->body_len = 0;
}
