/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* USB ports of the devices on USB: see qemu-usb-address.h. */

#include "error.h"
#include "qemu-hostdev.h"
#include "qemu-usb-address.h"
#include "util.h"
#include "xml-util.h"

#define HUB_PORTS 8
#define MAX_BUSES 32

/* A bus or a hub: which ports are taken, and the hubs on them. */
typedef struct UsbHub {
        unsigned n_ports;
        bool used[32];
        struct UsbHub *sub[32];
} UsbHub;

typedef struct UsbSet {
        UsbHub *buses[MAX_BUSES];
        DomainDef *def;
        ConfError *err;
} UsbSet;

/* One USB device of the definition: its address and how errors name it. */
typedef struct UsbDev {
        DomainDeviceAddress *addr;
        char what[48];
        bool hub;
} UsbDev;

static void hub_free(UsbHub *h) {
        if (!h)
                return;
        for (size_t i = 0; i < ELEMENTSOF(h->sub); i++)
                hub_free(h->sub[i]);
        free(h);
}

static void set_done(UsbSet *s) {
        for (size_t i = 0; i < MAX_BUSES; i++)
                hub_free(s->buses[i]);
}

static bool is_usb_input(const DomainInputDef *in) {
        return streq_ptr(in->bus, "usb") || (!in->bus && streq_ptr(in->type, "tablet"));
}

/* The devices in the order their ports are given: hubs, disks, inputs,
 * sound cards, redirdevs. Returns how many (at most max). */
static size_t usb_devices(DomainDef *def, UsbDev *l, size_t max) {
        size_t n = 0;

#define ADD(a, h, ...) do { if (n < max) { l[n] = (UsbDev) { .addr = (a), .hub = (h) }; \
                                snprintf(l[n].what, sizeof(l[n].what), __VA_ARGS__); n++; } } while (0)
        for (size_t i = 0; i < def->n_hubs; i++)
                ADD(&def->hubs[i].addr, true, "hub %zu", i);
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == DOMAIN_CONTROLLER_CCID)
                        ADD(&def->controllers[i].addr, false, "controller 'ccid' index %u", def->controllers[i].index);
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].bus == DOMAIN_DISK_BUS_USB)
                        ADD(&def->disks[i].addr, false, "disk '%s'", def->disks[i].dst ?: "");
        for (size_t i = 0; i < def->n_inputs; i++)
                if (is_usb_input(&def->inputs[i]))
                        ADD(&def->inputs[i].addr, false, "input %zu ('%s')", i, def->inputs[i].type ?: "");
        for (size_t i = 0; i < def->n_sounds; i++)
                if (def->sounds[i].model == DOMAIN_SOUND_USB)
                        ADD(&def->sounds[i].addr, false, "sound %zu ('usb')", i);
        for (size_t i = 0; i < def->n_redirdevs; i++)
                ADD(&def->redirdevs[i].addr, false, "redirdev %zu", i);
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i].type == DOMAIN_HOSTDEV_USB)
                        ADD(&def->hostdevs[i].addr, false, "hostdev %zu", i);
#undef ADD
        return n;
}

static size_t usb_device_max(const DomainDef *def) {
        return def->n_hubs + def->n_disks + def->n_inputs + def->n_sounds + def->n_redirdevs + def->n_hostdevs +
               def->n_controllers;
}

bool qemu_usb_needed(const DomainDef *def) {
        for (size_t i = 0; i < def->n_inputs; i++)
                if (is_usb_input(&def->inputs[i]))
                        return true;
        for (size_t i = 0; i < def->n_sounds; i++)
                if (def->sounds[i].model == DOMAIN_SOUND_USB)
                        return true;
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].bus == DOMAIN_DISK_BUS_USB)
                        return true;
        /* a smartcard's reader, usb-ccid */
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == DOMAIN_CONTROLLER_CCID)
                        return true;
        return def->n_redirdevs > 0 || def->n_hubs > 0 || qemu_hostdev_needs_usb(def) || def->n_smartcards > 0;
}

/* libvirt's port counts; 0 for no bus of its own (none, a companion). */
static unsigned controller_ports(const DomainControllerDef *c) {
        const char *m = c->model ?: "piix3-uhci";

        if (streq(m, "none") || c->has_master || strncmp(m, "ich9-uhci", 9) == 0)
                return 0;
        if (strstr(m, "xhci"))
                return c->ports ?: 4;
        if (streq(m, "ehci") || streq(m, "ich9-ehci1"))
                return 6;
        if (streq(m, "pci-ohci"))
                return 3;
        if (streq(m, "qusb2"))
                return 8;
        return c->ports ?: 2;
}

static int add_buses(UsbSet *s) {
        for (size_t i = 0; i < s->def->n_controllers; i++) {
                const DomainControllerDef *c = &s->def->controllers[i];
                unsigned n;

                if (c->type != DOMAIN_CONTROLLER_USB || c->index >= MAX_BUSES || s->buses[c->index])
                        continue;
                n = MIN(controller_ports(c), 31u);
                if (n == 0)
                        continue;
                s->buses[c->index] = calloc(1, sizeof(UsbHub));
                if (!s->buses[c->index])
                        return xml_err_oom(s->err);
                s->buses[c->index]->n_ports = n;
        }
        return 0;
}

static bool has_full_port(const DomainDeviceAddress *a) {
        return a->type == DOMAIN_ADDRESS_USB && a->n_usb_port > 0;
}

/* The hub or bus that port path a leads to, up to its last level. */
static int find_parent(UsbSet *s, const DomainDeviceAddress *a, const char *what, UsbHub **ret) {
        char where[64];
        UsbHub *h;

        domain_address_to_string(a, where, sizeof(where));
        h = a->bus < MAX_BUSES ? s->buses[a->bus] : NULL;
        if (!h)
                return xml_err_invalid(s->err, "%s: its address %s names USB bus %u, which has no controller",
                                       what, where, a->bus);
        for (size_t k = 0; k < a->n_usb_port; k++) {
                unsigned p = a->usb_port[k];

                if (p < 1 || p > h->n_ports)
                        return xml_err_invalid(s->err, "%s: port %u of its address %s is out of range: the %s "
                                               "has ports 1 to %u", what, p, where, k ? "hub" : "controller",
                                               h->n_ports);
                if (k + 1 == a->n_usb_port)
                        break;
                if (!h->sub[p])
                        return xml_err_invalid(s->err, "%s: its address %s goes through port %u, where there "
                                               "is no hub", what, where, p);
                h = h->sub[p];
        }
        *ret = h;
        return 0;
}

static int add_hub_at(UsbSet *s, UsbHub *parent, unsigned port) {
        parent->sub[port] = calloc(1, sizeof(UsbHub));
        if (!parent->sub[port])
                return xml_err_oom(s->err);
        parent->sub[port]->n_ports = HUB_PORTS;
        return 0;
}

/* Takes the port a names (the path is known to be valid). */
static int reserve(UsbSet *s, const UsbDev *d) {
        unsigned p = d->addr->usb_port[d->addr->n_usb_port - 1];
        char where[64];
        UsbHub *h = NULL;
        int r;

        r = find_parent(s, d->addr, d->what, &h);
        if (r < 0)
                return r;
        if (h->used[p]) {
                domain_address_to_string(d->addr, where, sizeof(where));
                return xml_err_invalid(s->err, "%s: USB port %s is taken by another device", d->what, where);
        }
        h->used[p] = true;
        return d->hub ? add_hub_at(s, h, p) : 0;
}

/* The hubs given a port, parents before children whatever their order. */
static int reserve_hubs(UsbSet *s, UsbDev *l, size_t n) {
        for (size_t depth = 1; depth <= DOMAIN_USB_PORT_DEPTH; depth++)
                for (size_t i = 0; i < n; i++)
                        if (l[i].hub && has_full_port(l[i].addr) && l[i].addr->n_usb_port == depth) {
                                int r = reserve(s, &l[i]);

                                if (r < 0)
                                        return r;
                        }
        return 0;
}

static size_t count_free(const UsbHub *h) {
        size_t n = 0;

        for (unsigned p = 1; p <= h->n_ports; p++)
                n += !h->used[p] + (h->sub[p] ? count_free(h->sub[p]) : 0);
        return n;
}

/* The first free port of h: its own first, then those behind its hubs. */
static bool find_free(UsbHub *h, DomainDeviceAddress *a, size_t level) {
        if (level >= DOMAIN_USB_PORT_DEPTH)
                return false;
        for (unsigned p = 1; p <= h->n_ports; p++)
                if (!h->used[p]) {
                        h->used[p] = true;
                        a->usb_port[level] = p;
                        a->n_usb_port = level + 1;
                        return true;
                }
        for (unsigned p = 1; p <= h->n_ports; p++)
                if (h->sub[p]) {
                        a->usb_port[level] = p;
                        if (find_free(h->sub[p], a, level + 1))
                                return true;
                }
        return false;
}

static int assign_one(UsbSet *s, UsbDev *d) {
        DomainDeviceAddress a = { .type = DOMAIN_ADDRESS_USB };
        bool bus_given = d->addr->type == DOMAIN_ADDRESS_USB;
        UsbHub *h;

        for (unsigned b = bus_given ? d->addr->bus : 0; b < MAX_BUSES; b++) {
                if (s->buses[b] && find_free(s->buses[b], &a, 0)) {
                        a.bus = b;
                        *d->addr = a;
                        if (!d->hub)
                                return 0;
                        /* the hub's own ports join the set */
                        h = s->buses[b];
                        for (size_t k = 0; k + 1 < a.n_usb_port; k++)
                                h = h->sub[a.usb_port[k]];
                        return add_hub_at(s, h, a.usb_port[a.n_usb_port - 1]);
                }
                if (bus_given)
                        break;
        }
        if (bus_given && (d->addr->bus >= MAX_BUSES || !s->buses[d->addr->bus]))
                return xml_err_invalid(s->err, "%s: its address names USB bus %u, which has no controller",
                                       d->what, d->addr->bus);
        return xml_err_unsupported(s->err, "%s: no free USB port is left", d->what);
}

/* A hub without an address at the end of def->hubs, keeping the array's
 * capacity a power of two (see LIST_APPEND). */
static int append_hub(DomainDef *def) {
        size_t cap = 1;
        DomainHubDef *l;

        while (cap < def->n_hubs + 1)
                cap <<= 1;
        l = realloc(def->hubs, cap * sizeof(*l));
        if (!l)
                return -ENOMEM;
        def->hubs = l;
        l[def->n_hubs++] = (DomainHubDef) {};
        return 0;
}

/* libvirt adds hubs to a definition whose devices without a port
 * outnumber the free ports: one for each 7 ports missing (a hub takes
 * one of the ports it adds). Returns how many it added. */
static int add_needed_hubs(UsbSet *s, const UsbDev *l, size_t n) {
        size_t want = 0, free_ports = 0, hubs = 0;

        /* a hub still to place brings its 8 ports */
        for (size_t i = 0; i < n; i++) {
                want += !has_full_port(l[i].addr);
                free_ports += l[i].hub && !has_full_port(l[i].addr) ? HUB_PORTS : 0;
        }
        for (size_t b = 0; b < MAX_BUSES; b++)
                free_ports += s->buses[b] ? count_free(s->buses[b]) : 0;
        if (free_ports > 0 && want > free_ports)
                hubs = (want - free_ports + 1 + HUB_PORTS - 2) / (HUB_PORTS - 1);
        for (size_t i = 0; i < hubs; i++)
                if (append_hub(s->def) < 0)
                        return xml_err_oom(s->err);
        return (int) hubs;
}

static bool usb_off(const DomainDef *def) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == DOMAIN_CONTROLLER_USB && streq_ptr(def->controllers[i].model, "none"))
                        return true;
        return false;
}

static int assign_all(UsbSet *s) {
        _cleanup_free_ UsbDev *l = NULL;
        size_t n;
        int r;

        r = add_buses(s);
        if (r < 0)
                return r;
        l = calloc(usb_device_max(s->def) + 1, sizeof(UsbDev));
        if (!l)
                return xml_err_oom(s->err);
        n = usb_devices(s->def, l, usb_device_max(s->def));
        r = reserve_hubs(s, l, n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (!l[i].hub && has_full_port(l[i].addr))
                        r = reserve(s, &l[i]);
        if (r >= 0)
                r = add_needed_hubs(s, l, n);
        if (r < 0)
                return r;
        if (r > 0) {
                /* def->hubs moved: list again */
                free(l);
                l = calloc(usb_device_max(s->def) + 1, sizeof(UsbDev));
                if (!l)
                        return xml_err_oom(s->err);
                n = usb_devices(s->def, l, usb_device_max(s->def));
        }
        /* hubs lead the list: their ports are there for the rest */
        for (size_t i = 0; i < n; i++)
                if (!has_full_port(l[i].addr)) {
                        r = assign_one(s, &l[i]);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int qemu_usb_assign_ports(DomainDef *def, ConfError *err) {
        UsbSet s = { .def = def, .err = err };
        int r;

        /* with USB off, the define rules refuse any USB device (qemu-rules.c) */
        if (!qemu_usb_needed(def) || usb_off(def))
                return 0;
        r = assign_all(&s);
        set_done(&s);
        return r;
}
