/* arpa/inet.h — inet_pton, from Winsock (posix.h). */
#ifndef USAGE_REPORT_WIN32_ARPA_INET_H
#define USAGE_REPORT_WIN32_ARPA_INET_H
#include <winsock2.h>
#include <ws2tcpip.h>
#endif
