/* history.c — STATE_DIR/history.jsonl: what left the machine (design.md §4.7). */
#include "config.h"
#include "history.h"
#include "fsutil.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define HISTORY_FILE "history.jsonl"
#define HISTORY_OLD HISTORY_FILE ".1"
/* A file larger than this is not read (it cannot be ours: rotation keeps it under). */
#define HISTORY_READ_MAX (2 * HISTORY_ROTATE)

void history_append(const char *state_dir, const json_t *entry)
{
	(void)fs_append_json_line(state_dir, HISTORY_FILE, entry, HISTORY_ROTATE);
}

/* Every JSON object line of dir/name, oldest first, appended to all. */
static void read_lines(const char *state_dir, const char *name, json_t *all)
{
	char *path = path_join(state_dir, name);
	char *text = NULL;
	size_t len = 0;
	if (fs_read_file(path, HISTORY_READ_MAX, &text, &len) == 0) {
		for (char *line = text, *end; line < text + len; line = end + 1) {
			end = memchr(line, '\n', (size_t)(text + len - line));
			if (!end)
				break; /* a line still being written */
			json_t *entry = json_loadb(line, (size_t)(end - line), 0, NULL);
			if (json_is_object(entry))
				json_array_append(all, entry);
			json_decref(entry);
		}
	}
	free(text);
	free(path);
}

json_t *history_read(const char *state_dir, size_t n)
{
	json_t *all = json_array();
	read_lines(state_dir, HISTORY_OLD, all);
	read_lines(state_dir, HISTORY_FILE, all);
	json_t *newest = json_array();
	for (size_t i = json_array_size(all); i > 0 && json_array_size(newest) < n; i--)
		json_array_append(newest, json_array_get(all, i - 1));
	json_decref(all);
	return newest;
}

void history_remove(const char *state_dir)
{
	fs_remove(state_dir, HISTORY_FILE);
	fs_remove(state_dir, HISTORY_OLD);
}
