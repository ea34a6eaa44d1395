/* session.c — PostHog's $session_id (design.md §2, §4.5). */
#include "config.h"
#include "session.h"
#include "backoff.h"
#include "uuid.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void session_load(const char *state_dir, struct session *s)
{
	memset(s, 0, sizeof *s);
	json_t *doc = backoff_session(state_dir);
	const char *id = json_string_value(json_object_get(doc, "id"));
	json_t *start = json_object_get(doc, "start_ms"), *last = json_object_get(doc, "last_ms");
	if (id && uuid_text_valid(id) && json_is_integer(start) && json_is_integer(last) &&
	    clamp_i64(json_integer_value(start), 0, MAX_TIME_MS) == json_integer_value(start) &&
	    clamp_i64(json_integer_value(last), 0, MAX_TIME_MS) == json_integer_value(last)) {
		snprintf(s->id, sizeof s->id, "%s", id);
		s->start_ms = json_integer_value(start);
		s->last_ms = json_integer_value(last);
		s->ended = json_is_true(json_object_get(doc, "ended"));
	}
	json_decref(doc);
}

const char *session_assign(struct session *s, int64_t ms, const char *uuid)
{
	/* a timestamp before the last one (a clock that stepped back) continues the session */
	if (!*s->id || s->ended || ms - s->last_ms > SESSION_IDLE_MS || ms - s->start_ms > SESSION_MAX_MS ||
	    ms < s->start_ms - SESSION_IDLE_MS) {
		uuid_v7(s->id, ms, uuid);
		s->ended = false;
		s->start_ms = ms;
		s->last_ms = ms;
	} else if (ms > s->last_ms) {
		s->last_ms = ms;
	}
	return s->id;
}

void session_end(struct session *s)
{
	s->ended = true;
}

json_t *session_json(const struct session *s)
{
	if (!*s->id)
		return NULL;
	return json_pack("{s:s, s:I, s:I, s:b}", "id", s->id, "start_ms", (json_int_t)s->start_ms, "last_ms",
	                 (json_int_t)s->last_ms, "ended", s->ended);
}
