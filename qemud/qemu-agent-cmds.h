/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The guest agent of a running QEMU domain (qemu-agent-cmds.c): the driver's
 * DomainAgentOps, the port state QEMU reports, and the end of a run. */

#include <json-c/json.h>

#include "domain.h"

typedef struct DomainAgentOps DomainAgentOps;

extern const DomainAgentOps qemu_agent_ops;

/* VSERPORT_CHANGE (data: {"id": alias, "open": bool}): the channel's live
 * state, and AgentEvent for the agent's port. */
void qemu_agent_port_changed(Domain *d, json_object *data);
/* The same as QemuEventHandleFn, for the row of qemu-events.c. */
void qemu_agent_on_port_change(Domain *d, const char *event, json_object *data);
/* The run ended: the connection closes, commands still waiting fail. */
void qemu_agent_stop(Domain *d);
/* d is being freed: the same, with no answer to anyone. */
void qemu_agent_done(Domain *d);
