/* fuzz_state.c — libFuzzer target: the state files every run or sender reads (delivery.json
 * with the session, rate, notice.json, consent.json, reset.json, login.json, history.jsonl,
 * earlier_ids.json), each written with the input and read back by its owner, and the OTLP
 * collector's answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "backoff.h"
#include "conf.h"
#include "consent.h"
#include "history.h"
#include "identity.h"
#include "notice.h"
#include "rate.h"
#include "request.h"
#include "session.h"
#include "util.h"

static const char *const files[] = {"delivery.json", "rate",         "notice.json",
                                    "consent.json", "reset.json",    "history.jsonl", IDENTITY_EARLIER_FILE,
                                    IDENTITY_LOGIN_FILE};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	static struct conf cfg;
	if (!*dir) {
		snprintf(dir, sizeof dir, "/tmp/fuzz-state-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		char *text = xasprintf("state_dir = %s\n[posthog]\napi_key = phc_k\n[events]\nmax_per_minute = 5\n", dir);
		conf_load_string(&cfg, "fuzz", text);
		free(text);
	}
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char *path = path_join(dir, files[i]);
		FILE *f = fopen(path, "w");
		if (f) {
			fwrite(data, 1, size, f);
			fclose(f);
		}
		free(path);
	}
	struct session s;
	session_load(dir, &s);
	(void)session_assign(&s, 1764756000000LL, "00000000-0000-4000-8000-000000000001");
	(void)backoff_active(dir);
	(void)rate_pending(&cfg);
	long long dropped;
	(void)rate_admit(&cfg, &dropped);
	(void)notice_state(&cfg);
	(void)consent_persisted(dir);
	struct consent c;
	consent_decide(&cfg, &c); /* the persisted level too */
	json_decref(history_read(dir, 3));
	json_decref(identity_earlier(dir));
	struct identity id = {0};
	(void)identity_settle_reset(cfg.identity_file, false, dir, false, &id);
	identity_release(&id);
	(void)identity_settle_logins(cfg.identity_file, false, dir, false, NULL, NULL, &id);
	identity_release(&id);
	char *why = request_otlp_rejected((const char *)data, size);
	free(why);
	return 0;
}
