/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one table of virtbus's D-Bus error names. Each name maps to an errno
 * (so a handler can return -errno after setting it) and to libvirt's numeric
 * error code, so the proxy can answer legacy clients exactly. The libvirt
 * error domain depends on the daemon (QEMU 10, STORAGE 18, NETWORK 19...):
 * see error_domain_for_daemon(). */

#include <systemd/sd-bus.h>

#include "macro.h"

#define VB_ERROR_PREFIX "org.virtbus.Error."

#define VB_ERROR_INTERNAL             VB_ERROR_PREFIX "InternalError"
#define VB_ERROR_NO_MEMORY            VB_ERROR_PREFIX "NoMemory"
#define VB_ERROR_NOT_SUPPORTED        VB_ERROR_PREFIX "NotSupported"
#define VB_ERROR_INVALID_ARG          VB_ERROR_PREFIX "InvalidArg"
#define VB_ERROR_OPERATION_FAILED     VB_ERROR_PREFIX "OperationFailed"
#define VB_ERROR_XML                  VB_ERROR_PREFIX "XMLError"
#define VB_ERROR_DOMAIN_EXISTS        VB_ERROR_PREFIX "DomainExists"
#define VB_ERROR_OPERATION_DENIED     VB_ERROR_PREFIX "OperationDenied"
#define VB_ERROR_NETWORK_EXISTS       VB_ERROR_PREFIX "NetworkExists"
#define VB_ERROR_SYSTEM               VB_ERROR_PREFIX "SystemError"
#define VB_ERROR_NO_DOMAIN            VB_ERROR_PREFIX "NoDomain"
#define VB_ERROR_NO_NETWORK           VB_ERROR_PREFIX "NoNetwork"
#define VB_ERROR_INVALID_MAC          VB_ERROR_PREFIX "InvalidMAC"
#define VB_ERROR_NO_STORAGE_POOL      VB_ERROR_PREFIX "NoStoragePool"
#define VB_ERROR_NO_STORAGE_VOL       VB_ERROR_PREFIX "NoStorageVol"
#define VB_ERROR_OPERATION_INVALID    VB_ERROR_PREFIX "OperationInvalid"
#define VB_ERROR_CONFIG_UNSUPPORTED   VB_ERROR_PREFIX "ConfigUnsupported"
#define VB_ERROR_OPERATION_TIMEOUT    VB_ERROR_PREFIX "OperationTimeout"
#define VB_ERROR_OPERATION_ABORTED    VB_ERROR_PREFIX "OperationAborted"
#define VB_ERROR_OVERFLOW             VB_ERROR_PREFIX "Overflow"
#define VB_ERROR_RESOURCE_BUSY        VB_ERROR_PREFIX "ResourceBusy"
#define VB_ERROR_ACCESS_DENIED        VB_ERROR_PREFIX "AccessDenied"
#define VB_ERROR_STORAGE_POOL_EXISTS  VB_ERROR_PREFIX "StoragePoolExists"
#define VB_ERROR_STORAGE_VOL_EXISTS   VB_ERROR_PREFIX "StorageVolExists"
#define VB_ERROR_NO_LEASE             VB_ERROR_PREFIX "NoLease"
#define VB_ERROR_NO_LOG               VB_ERROR_PREFIX "NoLog"
#define VB_ERROR_NO_DOMAIN_METADATA   VB_ERROR_PREFIX "NoDomainMetadata"
#define VB_ERROR_NO_DOMAIN_SNAPSHOT   VB_ERROR_PREFIX "NoDomainSnapshot"
#define VB_ERROR_ARGUMENT_UNSUPPORTED VB_ERROR_PREFIX "ArgumentUnsupported"
#define VB_ERROR_AGENT_UNRESPONSIVE   VB_ERROR_PREFIX "AgentUnresponsive"
#define VB_ERROR_OPERATION_UNSUPPORTED VB_ERROR_PREFIX "OperationUnsupported"
#define VB_ERROR_NO_SECRET            VB_ERROR_PREFIX "NoSecret"
#define VB_ERROR_INVALID_SECRET       VB_ERROR_PREFIX "InvalidSecret"

typedef struct VbErrorInfo {
        const char *name;
        int errnum;        /* positive errno */
        int libvirt_code;  /* virErrorNumber */
} VbErrorInfo;

/* libvirt's virErrorDomain values for the daemons. */
enum {
        LIBVIRT_FROM_NONE = 0,
        LIBVIRT_FROM_RPC = 7,
        LIBVIRT_FROM_QEMU = 10,
        LIBVIRT_FROM_LXC = 17,
        LIBVIRT_FROM_STORAGE = 18,
        LIBVIRT_FROM_NETWORK = 19,
        LIBVIRT_FROM_SECRET = 30,
        LIBVIRT_FROM_DOMAIN = 20,
        LIBVIRT_FROM_LOCKING = 42,
        LIBVIRT_FROM_ACCESS = 55,
        LIBVIRT_FROM_LOGGING = 63,
};

/* NULL when the name is not one of ours. */
const VbErrorInfo *vb_error_lookup(const char *name);
const VbErrorInfo *vb_error_table(size_t *n);
/* libvirt error domain for a daemon's bus name ("org.virtbus.qemud" -> 10). */
int vb_error_domain_for_daemon(const char *bus_name);

/* Registers the table with sd-bus, so that errors we receive map back to errnos. */
int vb_error_register_map(void);

/* Sets a named error with a formatted message; returns -errno from the table. */
int vb_error_setf(sd_bus_error *e, const char *name, const char *fmt, ...) _printf_(3, 4);

/* The text of an errno for a reply. Out of fds names whose limit it is, as a
 * bare "Too many open files" reads like the caller's fault: "too many open
 * files: lockd has reached its limit of 1024 (RLIMIT_NOFILE; <holders>)",
 * where holders says what holds the daemon's fds. */
#define ERRNO_TEXT_MAX 256
const char *errno_text(int err, const char *holders, char buf[static ERRNO_TEXT_MAX]);
