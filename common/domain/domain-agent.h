/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The guest agent group: org.libvirt.Domain's methods answered by an agent
 * in the guest (QEMU's qemu-ga on the virtio port org.qemu.guest_agent.0),
 * the agent-driven Shutdown/Reboot and the AgentEvent signal.
 *
 * The bus surface (domain-agent-dbus.c) reads the arguments, takes the
 * domain's job and turns the agent's JSON answers into libvirt's shapes; the
 * driver only carries a command to the agent and back (DomainAgentOps). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "domain-driver.h"

/* libvirt's flags and values. */
enum {
        DOMAIN_SHUTDOWN_GUEST_AGENT = 1 << 1,   /* VIR_DOMAIN_SHUTDOWN_GUEST_AGENT */
        DOMAIN_REBOOT_GUEST_AGENT = 1 << 1,     /* VIR_DOMAIN_REBOOT_GUEST_AGENT */
        DOMAIN_TIME_SYNC = 1 << 0,              /* VIR_DOMAIN_TIME_SYNC */
        DOMAIN_PASSWORD_ENCRYPTED = 1 << 0,     /* VIR_DOMAIN_PASSWORD_ENCRYPTED */
};

typedef enum DomainIfaddrSource {
        DOMAIN_IFADDR_SOURCE_LEASE = 0,
        DOMAIN_IFADDR_SOURCE_AGENT = 1,
        DOMAIN_IFADDR_SOURCE_ARP = 2,
} DomainIfaddrSource;

typedef enum DomainAgentState {
        DOMAIN_AGENT_STATE_CONNECTED = 1,       /* VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_* */
        DOMAIN_AGENT_STATE_DISCONNECTED = 2,
} DomainAgentState;

typedef enum DomainAgentReason {
        DOMAIN_AGENT_REASON_UNKNOWN = 0,
        DOMAIN_AGENT_REASON_DOMAIN_STARTED = 1,
        DOMAIN_AGENT_REASON_CHANNEL = 2,
} DomainAgentReason;

/* The agent's answer: result (borrowed) or error_name/error_message (a
 * VB_ERROR_*, libvirt's words). */
typedef void (*DomainAgentReplyFn)(Domain *d, json_object *result, const char *error_name,
                                   const char *error_message, void *userdata);

struct DomainAgentOps {
        /* Whether d has an agent channel and the agent is connected (for the
         * default of Shutdown/Reboot with no flags). */
        bool (*connected)(Domain *d);
        /* Sends command (arguments consumed, may be NULL) to d's agent. 0:
         * reply runs later, always (also when the guest goes away); -errno
         * with error set when it cannot be sent (not running, no channel:
         * ArgumentUnsupported, not connected: AgentUnresponsive). no_reply:
         * the agent sends no answer (guest-shutdown): reply runs once it was
         * sent. */
        int (*command)(Domain *d, const char *command, json_object *arguments, bool no_reply,
                       DomainAgentReplyFn reply, void *userdata, sd_bus_error *error);
};

/* Shutdown/Reboot (domain-dbus.c): whether the agent does it, for flags
 * (libvirt's rule: the GUEST_AGENT flag, or no flag at all and an agent
 * connected). */
bool domain_agent_takes_power(Domain *d, uint32_t flags);
/* Runs Shutdown (reboot false) or Reboot by the agent as the domain's job
 * for msg; self runs again when a queued call gets its turn. With the
 * ACPI flag too, or no flag, a failing agent falls back to the driver's
 * shutdown/reboot (the power button). */
int domain_agent_power(sd_bus_message *msg, Domain *d, uint32_t flags, bool reboot, sd_bus_message_handler_t self,
                       sd_bus_error *error);

/* The AgentEvent signal. */
int domain_agent_emit_event(Domain *d, DomainAgentState state, DomainAgentReason reason);

/* domain-agent.c: helpers of the group. */
/* "0-3,5" for the indexes set among n. */
int domain_agent_format_cpulist(const bool *set, size_t n, char **ret);
/* Standard base64 with padding; NULL when out of memory. */
char *domain_agent_base64(const void *data, size_t n);
/* The IPv4 addresses of mac (lower or upper case) among the complete
 * entries of table (the text of /proc/net/arp): returns how many, *ret a
 * NULL-terminated list. */
int domain_agent_arp_lookup(const char *table, const char *mac, char ***ret);
/* InterfaceAddresses from the host's ARP table (answered now) and from
 * networkd's DHCP leases (answered later: returns 1). */
int domain_agent_reply_arp(sd_bus_message *msg, Domain *d, sd_bus_error *error);
int domain_agent_reply_leases(sd_bus_message *msg, Domain *d, sd_bus_error *error);
