/* uuid/uuid.h — libuuid's calls used here, from Windows' rpcrt4 (UuidCreate,
 * UuidFromStringA) in RFC 9562 byte order (posix.h). */
#ifndef USAGE_REPORT_WIN32_UUID_H
#define USAGE_REPORT_WIN32_UUID_H

/* Windows' rpc.h has a uuid_t of its own (a GUID): this one is renamed. */
typedef unsigned char win32_uuid[16];
#define uuid_t win32_uuid

void uuid_generate_random(uuid_t out);
int uuid_parse(const char *in, uuid_t out);
void uuid_unparse_lower(const uuid_t u, char *out);
#endif
