/* buf.h — a growable byte buffer, for text built a piece at a time. A leaf beside
 * xmalloc.h: on failure to grow, the process exits as xmalloc does. */
#ifndef USAGE_REPORT_BUF_H
#define USAGE_REPORT_BUF_H

#include <stddef.h>

/* A growable byte buffer; zero-initialise it, release with buf_free(). */
struct buf {
	char *data;
	size_t len, cap;
};
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
char *buf_detach(struct buf *b); /* NUL-terminated; the caller frees it */
void buf_free(struct buf *b);

#endif
