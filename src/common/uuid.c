/* uuid.c — see uuid.h. */
#include "config.h"
#include "uuid.h"

#include <ctype.h>

#include <uuid/uuid.h>

void uuid_v4(char out[UUID_STR_LEN])
{
	uuid_t u;
	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

void uuid_v7(char out[UUID_STR_LEN], int64_t ms, const char *seed)
{
	uuid_t u;
	if (!seed || uuid_parse(seed, u) != 0)
		uuid_generate_random(u);
	u[8] = (unsigned char)(0x80 | (u[8] & 0x3f)); /* RFC 9562 variant */
	uint64_t t = ms < 0 ? 0 : (uint64_t)ms;
	for (int i = 0; i < 6; i++)
		u[i] = (unsigned char)(t >> (8 * (5 - i)));
	u[6] = (unsigned char)(0x70 | (u[6] & 0x0f));
	uuid_unparse_lower(u, out);
}

bool uuid_text_valid(const char *s)
{
	for (size_t i = 0; i < UUID_STR_LEN - 1; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[UUID_STR_LEN - 1] == '\0';
}
