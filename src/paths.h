/* paths.h — names of the files inside STATE_DIR, shared by the tool and its sender. */
#ifndef USAGE_REPORT_PATHS_H
#define USAGE_REPORT_PATHS_H

#define SENDER_LOCK_FILE "sender.lock"  /* flock held by the one running sender */
#define DELIVERY_FILE "delivery.json"   /* backoff state; its mtime is the backoff expiry */
#define SENT_LOG_FILE "sent.log"        /* one JSON line per delivery attempt */
#define SENDER_NAME "usage-report-sender"

/* The descriptor number on which a detached sender receives its (locked) sender.lock. */
#define SENDER_LOCK_FD 3

#endif
