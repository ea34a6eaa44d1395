/* uuid.h — the UUIDs this tool makes and checks: anonymous ids, event uuids, session ids
 * (libuuid underneath; rpcrt4 on Windows).
 *
 * Text form only: lower-case, 36 characters and a NUL, written into the caller's buffer. */
#ifndef USAGE_REPORT_UUID_H
#define USAGE_REPORT_UUID_H

#include <stdbool.h>
#include <stdint.h>

/* A UUID as text ("xxxxxxxx-xxxx-...", 36 characters) and its NUL. */
#define UUID_STR_LEN 37

/* A fresh random (v4) UUID into out. */
void uuid_v4(char out[UUID_STR_LEN]);

/* A v7 UUID (RFC 9562: the Unix time ms in its first 48 bits) into out; its other bits are
 * random, or those of the UUID seed when given (the same seed, the same id). */
void uuid_v7(char out[UUID_STR_LEN], int64_t ms, const char *seed);

/* Whether s is a UUID in text form (8-4-4-4-12 hex digits, nothing after). */
bool uuid_text_valid(const char *s);

#endif
