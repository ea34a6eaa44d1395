/* fuzz_identity.c — libFuzzer target: the usage.json reader, and the edits applied to it. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct identity id;
	if (identity_parse((const char *)data, size, &id) != 0)
		return 0;
	(void)identity_anon(&id);
	(void)identity_principal(&id);
	(void)identity_meta(&id);
	identity_release(&id);
	/* the edits, on the same document as identity_update() hands them one */
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct link_request req = {.principal = "principal", .via = "fuzz", .fingerprint = "0-0"};
	identity_edit_link(doc, &req);
	identity_edit_reset(doc, NULL);
	json_decref(doc);
	return 0;
}
