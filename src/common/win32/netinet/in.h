/* netinet/in.h — struct in6_addr and its kin, from Winsock (posix.h). */
#ifndef USAGE_REPORT_WIN32_NETINET_IN_H
#define USAGE_REPORT_WIN32_NETINET_IN_H
#include <winsock2.h>
#include <ws2tcpip.h>
#endif
