/* filesink.h — the [file] backend (design.md §5.3): events appended to a file the host
 * names, one JSON object per line.
 *
 * Under an flock on the file: whole lines or nothing. A write that fails half way (a full
 * disk, a file-size limit) is rolled back to where it started. The file is created 0600;
 * anything but a regular file is refused. */
#ifndef USAGE_REPORT_FILESINK_H
#define USAGE_REPORT_FILESINK_H

#include <stddef.h>

#include <jansson.h>

/* Append the events (an array) to path. 200 when written, 0 with error[0..error_size) saying
 * why not: the sender's answer, as an intake's would be. */
long filesink_append(const char *path, const json_t *events, char *error, size_t error_size);

#endif
