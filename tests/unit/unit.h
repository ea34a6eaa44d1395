/* unit.h — what every unit test file includes: cmocka, in the order it needs its headers.
 * The tests print TAP (CMOCKA_MESSAGE_OUTPUT=tap) for automake's TAP driver. */
#ifndef USAGE_REPORT_UNIT_H
#define USAGE_REPORT_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#endif
