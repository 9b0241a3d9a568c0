/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: interface bandwidth (Get/SetInterfaceParameters).
 *
 * The parameters are libvirt's (VIR_DOMAIN_BANDWIDTH_*), all unsigned:
 * inbound.average/peak/burst/floor, outbound.average/peak/burst. A Set
 * changes the ones given and keeps the others; an average of 0 (and no
 * floor) removes that direction's limits, as in libvirt. The live change
 * is the driver's (the tap's shaping, DomainInterfaceOps); the definitions
 * change only once it is in force. */
#include <stdio.h>
#include <strings.h>

#include "bus-util.h"
#include "domain-affect.h"
#include "domain-dbus.h"
#include "domain-handle.h"
#include "domain-interface.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "domain.h"
#include "error.h"
#include "log.h"
#include "network-conf.h"
#include "util.h"

#define AFFECT_FLAGS (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG)
#define TYPED_PARAM_STRING_OKAY (1u << 2)

static const DomainInterfaceOps *ops_of(const Domain *d) {
        return d->manager->driver->iface;
}

enum {
        IN_AVERAGE,
        IN_PEAK,
        IN_BURST,
        IN_FLOOR,
        OUT_AVERAGE,
        OUT_PEAK,
        OUT_BURST,
        _PARAM_MAX,
};

static const char *const param_names[_PARAM_MAX] = {
        [IN_AVERAGE] = "inbound.average", [IN_PEAK] = "inbound.peak",   [IN_BURST] = "inbound.burst",
        [IN_FLOOR] = "inbound.floor",     [OUT_AVERAGE] = "outbound.average", [OUT_PEAK] = "outbound.peak",
        [OUT_BURST] = "outbound.burst",
};

static uint64_t *param_field(NetworkBandwidth *bw, int i) {
        switch (i) {
        case IN_AVERAGE: return &bw->in.average;
        case IN_PEAK: return &bw->in.peak;
        case IN_BURST: return &bw->in.burst;
        case IN_FLOOR: return &bw->in.floor;
        case OUT_AVERAGE: return &bw->out.average;
        case OUT_PEAK: return &bw->out.peak;
        default: return &bw->out.burst;
        }
}

/* The interface that device names: its target dev (the tap) or its MAC. */
static ssize_t find_net(const DomainDef *def, const char *device) {
        unsigned b[6];
        int end = 0;
        bool is_mac = strlen(device) == 17 &&
                      sscanf(device, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) == 6 &&
                      end == 17;

        for (size_t i = 0; def && i < def->n_nets; i++) {
                const DomainNetDef *net = &def->nets[i];

                if (streq_ptr(net->ifname, device))
                        return (ssize_t) i;
                if (is_mac) {
                        bool same = true;
                        for (size_t k = 0; k < 6; k++)
                                same = same && net->mac[k] == b[k];
                        if (same)
                                return (ssize_t) i;
                }
        }
        return -1;
}

static ssize_t find_by_mac(const DomainDef *def, const uint8_t mac[6]) {
        for (size_t i = 0; def && i < def->n_nets; i++)
                if (memcmp(def->nets[i].mac, mac, 6) == 0)
                        return (ssize_t) i;
        return -1;
}

static int no_device(Domain *d, const char *device, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid argument: Can't find device %s in domain '%s'",
                             device, d->def->name);
}

static int append_u(sd_bus_message *m, const char *key, uint32_t v) {
        return sd_bus_message_append(m, "{sv}", key, "u", v);
}

static uint32_t clamp32(uint64_t v) {
        return v > UINT32_MAX ? UINT32_MAX : (uint32_t) v;
}

static int method_get(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        NetworkBandwidth none = {}, bw;
        const char *device;
        uint32_t flags;
        bool live;
        ssize_t i;
        int r;

        r = sd_bus_message_read(msg, "su", &device, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, AFFECT_FLAGS | TYPED_PARAM_STRING_OKAY, error);
        if (r >= 0)
                r = domain_affect_one(d, flags & AFFECT_FLAGS, &live, error);
        if (r < 0)
                return r;
        def = live && d->live ? d->live : *domain_persistent_def(d);
        i = find_net(def, device);
        /* a tap's name is live only: the persistent interface has its MAC */
        if (i < 0 && d->live && def != d->live) {
                ssize_t k = find_net(d->live, device);
                if (k >= 0)
                        i = find_by_mac(def, d->live->nets[k].mac);
        }
        if (i < 0)
                return no_device(d, device, error);
        bw = def->nets[i].bandwidth ? *def->nets[i].bandwidth : none;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        for (int k = 0; r >= 0 && k < _PARAM_MAX; k++)
                r = append_u(reply, param_names[k], clamp32(*param_field(&bw, k)));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

/* ---- Set ---- */

typedef struct Change {
        uint64_t value[_PARAM_MAX];
        bool given[_PARAM_MAX];
} Change;

static int read_change(sd_bus_message *msg, Change *c, sd_bus_error *error) {
        int r;

        *c = (Change) {};
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *contents;
                uint32_t v;
                int k;

                r = sd_bus_message_read(msg, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(msg, NULL, &contents);
                if (r < 0)
                        return r;
                for (k = 0; k < _PARAM_MAX && !streq(param_names[k], key); k++)
                        ;
                if (k == _PARAM_MAX)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "invalid argument: parameter '%s' not supported", key);
                if (!streq(contents, "u"))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "invalid argument: invalid type '%s' for parameter '%s', expected 'u'",
                                             contents, key);
                if (c->given[k])
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "invalid argument: parameter '%s' given twice", key);
                r = sd_bus_message_read(msg, "v", "u", &v);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
                c->given[k] = true;
                c->value[k] = v;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static void settle_rate(NetworkRate *rate) {
        if (!rate->average && !rate->floor)
                *rate = (NetworkRate) {};
        else
                rate->present = true;
}

/* old with the change made. */
static int apply_change(const NetworkBandwidth *old, const Change *c, const DomainNetDef *net, const char *device,
                        NetworkBandwidth *ret, sd_bus_error *error) {
        NetworkBandwidth bw = old ? *old : (NetworkBandwidth) {};

        for (int k = 0; k < _PARAM_MAX; k++)
                if (c->given[k])
                        *param_field(&bw, k) = c->value[k];
        settle_rate(&bw.in);
        settle_rate(&bw.out);
        bw.present = bw.in.present || bw.out.present;
        if (bw.in.floor && net->type != DOMAIN_NET_NETWORK)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: floor is supported only for interfaces of type "
                                     "network (interface %s)", device);
        if ((bw.in.peak && bw.in.peak < bw.in.average) || (bw.out.peak && bw.out.peak < bw.out.average))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "invalid argument: the peak of interface %s is below its average", device);
        *ret = bw;
        return 0;
}

static int set_net_bandwidth(DomainNetDef *net, const NetworkBandwidth *bw) {
        if (!bw->present) {
                net->bandwidth = mfree(net->bandwidth);
                return 0;
        }
        if (!net->bandwidth) {
                net->bandwidth = calloc(1, sizeof(*net->bandwidth));
                if (!net->bandwidth)
                        return -ENOMEM;
        }
        *net->bandwidth = *bw;
        return 0;
}

/* libvirt-dbus's Tunable, with the parameters set: "bandwidth.<device>.inbound.average" ... */
static void emit_tunable(Domain *d, const char *device, const Change *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        char key[128];
        int r;

        r = sd_bus_message_new_signal(d->manager->bus, &m, d->path, "org.libvirt.Domain", "Tunable");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        for (int k = 0; r >= 0 && k < _PARAM_MAX; k++)
                if (c->given[k]) {
                        snprintf(key, sizeof(key), "bandwidth.%s.%s", device, param_names[k]);
                        r = append_u(m, key, clamp32(c->value[k]));
                }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_send(NULL, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot emit Tunable for %s: %m", d->def->name);
}

typedef struct SetCall {
        sd_bus_message *msg;
        DomainHandle *handle;
        char *device;
        uint8_t mac[6];
        NetworkBandwidth live_bw;
        DomainDef *config;       /* the persistent definition to commit, or NULL */
        Change change;
} SetCall;

static SetCall *set_call_free(SetCall *s) {
        if (!s)
                return NULL;
        sd_bus_message_unref(s->msg);
        domain_handle_unref(s->handle);
        free(s->device);
        domain_def_free(s->config);
        return mfree(s);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(SetCall *, set_call_free);

/* The live change is in force (or there was none): the definitions follow. */
static int finish_set(Domain *d, SetCall *s, bool live, sd_bus_error *error) {
        int r;

        if (live) {
                ssize_t i = find_by_mac(d->live, s->mac);

                if (i >= 0) {
                        r = set_net_bandwidth(&d->live->nets[i], &s->live_bw);
                        if (r < 0)
                                return r;
                        (void) domain_status_save(d);
                }
        }
        if (s->config) {
                r = domain_config_commit(d, s->config, error);
                if (r < 0)
                        return r;
                s->config = NULL;
        }
        emit_tunable(d, s->device, &s->change);
        return 0;
}

static void on_live_done(int r, const sd_bus_error *e, void *userdata) {
        _cleanup_(set_call_freep) SetCall *s = userdata;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        Domain *d = s->handle->owner;

        if (!d)
                (void) sd_bus_reply_method_errorf(s->msg, VB_ERROR_OPERATION_INVALID,
                                                  "the domain stopped before the bandwidth of %s was set", s->device);
        else if (r < 0 && e && e->name)
                (void) sd_bus_reply_method_error(s->msg, e);
        else if (r < 0)
                (void) sd_bus_reply_method_errorf(s->msg, VB_ERROR_OPERATION_FAILED,
                                                  "cannot set the bandwidth of %s: %s", s->device, strerror(-r));
        else if ((r = finish_set(d, s, true, &error)) < 0) {
                if (!sd_bus_error_is_set(&error))
                        sd_bus_error_set_errno(&error, r);
                (void) sd_bus_reply_method_error(s->msg, &error);
        } else
                (void) sd_bus_reply_method_return(s->msg, NULL);
        sd_bus_error_free(&error);
}

static int method_set(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(set_call_freep) SetCall *s = NULL;
        Domain *d = userdata;
        const char *device;
        const DomainNetDef *live_net = NULL;
        bool live, config;
        uint32_t flags;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        r = sd_bus_message_read(msg, "s", &device);
        if (r >= 0)
                r = read_change(msg, &s->change, error);
        if (r >= 0)
                r = bus_read_flags(msg, AFFECT_FLAGS, &flags, error);
        if (r >= 0)
                r = domain_affect(d, flags, &live, &config, error);
        if (r < 0)
                return r;
        if (live && (!d->live || d->starting))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is still starting", d->def->name);
        s->device = strdup(device);
        s->msg = sd_bus_message_ref(msg);
        if (!s->device)
                return -ENOMEM;

        if (live) {
                ssize_t i = find_net(d->live, device);

                if (i < 0)
                        return no_device(d, device, error);
                live_net = &d->live->nets[i];
                memcpy(s->mac, live_net->mac, 6);
                r = apply_change(live_net->bandwidth, &s->change, live_net, device, &s->live_bw, error);
                if (r < 0)
                        return r;
        }
        if (config) {
                const DomainDef *pdef = *domain_persistent_def(d);
                ssize_t i = find_net(pdef, device);
                NetworkBandwidth bw;

                if (i < 0 && live_net)
                        i = find_by_mac(pdef, live_net->mac);
                if (i < 0)
                        return no_device(d, device, error);
                r = apply_change(pdef->nets[i].bandwidth, &s->change, &pdef->nets[i], device, &bw, error);
                if (r >= 0)
                        r = domain_def_copy(pdef, &s->config);
                if (r >= 0)
                        r = set_net_bandwidth(&s->config->nets[i], &bw);
                if (r < 0)
                        return r;
        }
        if (!live) {
                r = finish_set(d, s, false, error);
                return domain_reply_done(msg, r);
        }

        if (live_net->type != DOMAIN_NET_NETWORK && live_net->type != DOMAIN_NET_BRIDGE)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: bandwidth of interface %s of type '%s' cannot be "
                                     "set", device, domain_net_type_to_string(live_net->type));
        if (!ops_of(d) || !ops_of(d)->set_bandwidth)
                return domain_not_supported(d, "the bandwidth of a running interface", error);
        s->handle = domain_handle_get(&d->handle, d);
        if (!s->handle)
                return -ENOMEM;
        r = ops_of(d)->set_bandwidth(d, live_net, &s->live_bw, on_live_done, s, error);
        if (r < 0)
                return r;
        TAKE_PTR(s);
        return 1;
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_interface_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("GetInterfaceParameters", "su", SD_BUS_PARAM(device) SD_BUS_PARAM(flags), "a{sv}",
                                 SD_BUS_PARAM(interfaceParameters), method_get, READ),
        SD_BUS_METHOD_WITH_NAMES("SetInterfaceParameters", "sa{sv}u",
                                 SD_BUS_PARAM(device) SD_BUS_PARAM(params) SD_BUS_PARAM(flags), NULL, , method_set, 0),
        SD_BUS_VTABLE_END,
};
