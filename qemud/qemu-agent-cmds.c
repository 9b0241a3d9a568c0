/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest agent of a running QEMU domain: its channel, its connection
 * (qemu-agent.h), the state QEMU reports for the port (VSERPORT_CHANGE) and
 * the driver's DomainAgentOps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-agent.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "qemu-agent-cmds.h"
#include "qemu-agent.h"
#include "qemu-command-internal.h"
#include "qemu-domain.h"
#include "util.h"

#define AGENT_PORT_NAME "org.qemu.guest_agent.0"

static bool chr_is_agent(const DomainChrDef *chr) {
        return chr->kind == DOMAIN_CHR_CHANNEL && chr->type == DOMAIN_CHR_UNIX &&
               streq_ptr(chr->target_name, AGENT_PORT_NAME);
}

/* The live agent channel, NULL when the guest has none. */
static DomainChrDef *agent_channel(Domain *d) {
        for (size_t i = 0; d->live && i < d->live->n_chrs; i++)
                if (chr_is_agent(&d->live->chrs[i]))
                        return &d->live->chrs[i];
        return NULL;
}

static bool agent_connected(Domain *d) {
        const DomainChrDef *chr = agent_channel(d);

        return domain_is_active(d) && chr && streq_ptr(chr->target_state, "connected");
}

/* ---- a command's way back ---- */

typedef struct AgentReply {
        Domain *d;
        char *command;
        DomainAgentReplyFn reply;
        void *userdata;
} AgentReply;

static void on_agent_reply(json_object *result, const char *error_class, const char *error_desc, void *userdata) {
        AgentReply *ar = userdata;
        QemuDomain *q = qemu_domain(ar->d);
        char msg[1024];

        if (q->agent_dying)
                ar->reply(NULL, NULL, VB_ERROR_AGENT_UNRESPONSIVE, "the domain is gone", ar->userdata);
        else if (!error_class)
                ar->reply(ar->d, result, NULL, NULL, ar->userdata);
        else if (streq(error_class, QEMU_AGENT_ERROR_TIMEOUT))
                ar->reply(ar->d, NULL, VB_ERROR_AGENT_UNRESPONSIVE,
                          "Guest agent not available for now", ar->userdata);
        else if (streq(error_class, QEMU_AGENT_ERROR_CLOSED))
                ar->reply(ar->d, NULL, VB_ERROR_AGENT_UNRESPONSIVE,
                          "QEMU guest agent is not connected", ar->userdata);
        else {
                snprintf(msg, sizeof(msg), "unable to execute QEMU agent command '%s': %s",
                         ar->command, error_desc && *error_desc ? error_desc : error_class);
                ar->reply(ar->d, NULL, VB_ERROR_INTERNAL, msg, ar->userdata);
        }
        free(ar->command);
        free(ar);
}

static int ensure_connection(Domain *d, const DomainChrDef *chr, sd_bus_error *error) {
        QemuDomain *q = qemu_domain(d);
        int r;

        if (q->agent && !qemu_agent_is_closed(q->agent))
                return 0;
        q->agent = qemu_agent_free(q->agent);
        if (!chr->path)
                return vb_error_setf(error, VB_ERROR_AGENT_UNRESPONSIVE,
                                     "the agent channel has no socket");
        r = qemu_agent_new(d->manager->event, chr->path, &q->agent);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_AGENT_UNRESPONSIVE,
                                     "cannot connect to %s: %s", chr->path,
                                     strerror(-r));
        return 0;
}

static int agent_command(Domain *d, const char *command, json_object *arguments, bool no_reply,
                         DomainAgentReplyFn reply, void *userdata, sd_bus_error *error) {
        QemuDomain *q = qemu_domain(d);
        const DomainChrDef *chr;
        AgentReply *ar;
        int r;

        if (!domain_is_active(d) || d->starting) {
                json_object_put(arguments);
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain '%s' is not running", d->def->name);
        }
        chr = agent_channel(d);
        if (!chr) {
                json_object_put(arguments);
                return vb_error_setf(error, VB_ERROR_ARGUMENT_UNSUPPORTED,
                                     "QEMU guest agent is not configured");
        }
        if (!streq_ptr(chr->target_state, "connected")) {
                json_object_put(arguments);
                return vb_error_setf(error, VB_ERROR_AGENT_UNRESPONSIVE,
                                     "QEMU guest agent is not connected");
        }
        r = ensure_connection(d, chr, error);
        if (r < 0) {
                json_object_put(arguments);
                return r;
        }
        ar = calloc(1, sizeof(*ar));
        if (!ar || !(ar->command = strdup(command))) {
                free(ar);
                json_object_put(arguments);
                return -ENOMEM;
        }
        ar->d = d;
        ar->reply = reply;
        ar->userdata = userdata;
        r = qemu_agent_command(q->agent, command, arguments, no_reply, qemu_agent_timeout_from_env(), on_agent_reply,
                               ar);
        if (r < 0) {
                free(ar->command);
                free(ar);
                return vb_error_setf(error, VB_ERROR_AGENT_UNRESPONSIVE, "%s",
                                     strerror(-r));
        }
        return 0;
}

const DomainAgentOps qemu_agent_ops = {
        .connected = agent_connected,
        .command = agent_command,
};

/* ---- QEMU's word on the port ---- */

void qemu_agent_port_changed(Domain *d, json_object *data) {
        json_object *v;
        const char *id;
        bool open;

        if (!d->live || !json_object_object_get_ex(data, "id", &v) || !(id = json_object_get_string(v)) ||
            !json_object_object_get_ex(data, "open", &v))
                return;
        open = json_object_get_boolean(v);
        for (size_t i = 0; i < d->live->n_chrs; i++) {
                DomainChrDef *chr = &d->live->chrs[i];
                _cleanup_free_ char *alias = chr->alias ? NULL : qemu_chr_alias(d->live, i);
                const char *state = open ? "connected" : "disconnected";

                if (chr->kind != DOMAIN_CHR_CHANNEL || !streq_ptr(chr->alias ?: alias, id))
                        continue;
                if (streq_ptr(chr->target_state, state))
                        return;
                free_and_replace_str(&chr->target_state, strdup(state));
                (void) domain_status_save(d);
                if (!chr_is_agent(chr))
                        return;
                log_debug("Domain %s: the guest agent %s", d->def->name, open ? "connected" : "left");
                (void) domain_agent_emit_event(d, open ? DOMAIN_AGENT_STATE_CONNECTED : DOMAIN_AGENT_STATE_DISCONNECTED,
                                               DOMAIN_AGENT_REASON_CHANNEL);
                return;
        }
}

void qemu_agent_on_port_change(Domain *d, const char *event, json_object *data) {
        qemu_agent_port_changed(d, data);
}

void qemu_agent_stop(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        if (q)
                q->agent = qemu_agent_free(q->agent);
}

void qemu_agent_done(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        if (!q)
                return;
        q->agent_dying = true;
        q->agent = qemu_agent_free(q->agent);
}
