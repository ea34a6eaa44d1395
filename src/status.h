/* status.h — the status, enable, disable and flush subcommands. */
#ifndef USAGE_REPORT_STATUS_H
#define USAGE_REPORT_STATUS_H

#include "cli.h"
#include "conf.h"

int cmd_status(const struct options *o, const struct conf *cfg);
int cmd_enable(const struct conf *cfg, bool on);
int cmd_flush(const struct options *o, const struct conf *cfg);

#endif
