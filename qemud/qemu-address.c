/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Addresses, implied controllers and ports written into a definition at
 * define time: see qemu-address.h. */


#include "error.h"
#include "qemu-address.h"
#include "qemu-command-internal.h"
#include "qemu-hostdev.h"
#include "qemu-memdev.h"
#include "qemu-smartcard.h"
#include "qemu-usb-address.h"
#include "util.h"
#include "xml-util.h"

#define N_BUSES 256
#define N_SLOTS 32

typedef struct Assign {
        DomainDef *def;
        ConfError *err;
        bool q35;
        bool out_of_slots;      /* a conventional PCI device found no slot: a pci-bridge would give some */
        uint8_t used[N_BUSES][N_SLOTS]; /* bit f: function f of bus:slot is taken */
} Assign;

static bool machine_q35(const char *m) {
        return m && (streq(m, "q35") || startswith(m, "pc-q35-"));
}

static bool machine_pc(const char *m) {
        return !m || streq(m, "pc") || startswith(m, "pc-i440fx-");
}

/* ---- controllers ---- */

/* Inserts a controller after the last one of its type (libvirt keeps them
 * grouped), keeping the array's capacity a power of two (see LIST_APPEND).
 * Returns its position, or -ENOMEM. */
static ssize_t add_controller(DomainDef *def, DomainControllerType type, unsigned index, const char *model) {
        size_t cap = 1, pos = def->n_controllers;
        DomainControllerDef *list, c = { .type = type, .index = index };

        if (model) {
                c.model = strdup(model);
                if (!c.model)
                        return -ENOMEM;
        }
        while (cap < def->n_controllers + 1)
                cap <<= 1;
        list = realloc(def->controllers, cap * sizeof(*list));
        if (!list) {
                free(c.model);
                return -ENOMEM;
        }
        def->controllers = list;
        for (size_t i = def->n_controllers; i > 0; i--)
                if (list[i - 1].type == type) {
                        pos = i;
                        break;
                }
        memmove(list + pos + 1, list + pos, (def->n_controllers - pos) * sizeof(*list));
        list[pos] = c;
        def->n_controllers++;
        return (ssize_t) pos;
}

static ssize_t find_controller(const DomainDef *def, DomainControllerType type, unsigned index) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == type && def->controllers[i].index == index)
                        return (ssize_t) i;
        return -1;
}

static int ensure_controller(DomainDef *def, DomainControllerType type, unsigned index, const char *model) {
        ssize_t r;

        if (find_controller(def, type, index) >= 0)
                return 0;
        r = add_controller(def, type, index, model);
        return r < 0 ? (int) r : 0;
}

static bool is_usb_input(const DomainInputDef *in) {
        return streq_ptr(in->bus, "usb") || (!in->bus && streq_ptr(in->type, "tablet"));
}

static bool needs_usb(const DomainDef *def) {
        return qemu_usb_needed(def);
}

static bool is_virtio_serial_port(const DomainChrDef *chr) {
        return (chr->kind == DOMAIN_CHR_CHANNEL && !streq_ptr(chr->target_type, "guestfwd")) ||
               (chr->kind == DOMAIN_CHR_CONSOLE && !qemu_console_is_serial(chr));
}

static bool needs_virtio_serial(const DomainDef *def) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if (is_virtio_serial_port(&def->chrs[i]))
                        return true;
        return false;
}

/* Disks on a drive bus get their drive address (and bus) written, and the
 * controller they sit on. */
static int assign_drives(Assign *a) {
        DomainDef *def = a->def;

        for (size_t i = 0; i < def->n_disks; i++) {
                DomainDiskDef *disk = &def->disks[i];
                DomainControllerType type;
                QemuDiskAddr q;
                int r;

                if (qemu_disk_address(def, disk, &q) < 0)
                        continue;       /* the start reports it */
                disk->bus = q.bus;
                disk->bus_given = true;
                if (q.bus == DOMAIN_DISK_BUS_VIRTIO || q.bus == DOMAIN_DISK_BUS_USB || q.bus == DOMAIN_DISK_BUS_SD)
                        continue;
                if (disk->addr.type == DOMAIN_ADDRESS_NONE)
                        disk->addr = (DomainDeviceAddress) {
                                .type = DOMAIN_ADDRESS_DRIVE,
                                .controller = q.controller, .bus = q.bus_nr, .target = q.target, .unit = q.unit,
                        };
                if (q.bus == DOMAIN_DISK_BUS_SATA)
                        type = DOMAIN_CONTROLLER_SATA;
                else if (q.bus == DOMAIN_DISK_BUS_SCSI)
                        type = DOMAIN_CONTROLLER_SCSI;
                else if (q.bus == DOMAIN_DISK_BUS_FDC)
                        type = DOMAIN_CONTROLLER_FDC;
                else if (!a->q35)
                        type = DOMAIN_CONTROLLER_IDE;
                else
                        continue;       /* q35 has no IDE: the start says so */
                r = ensure_controller(def, type, q.controller, type == DOMAIN_CONTROLLER_SCSI ? "lsilogic" : NULL);
                if (r < 0)
                        return xml_err_oom(a->err);
        }
        return 0;
}

/* Whether a SCSI disk or hostdev other than skip sits at controller:unit
 * (bus 0, and target 0 on virtio-scsi: the places this assigns). */
static bool scsi_unit_taken(const DomainDef *def, const DomainHostdevDef *skip, unsigned ctrl, unsigned unit) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDeviceAddress *d = &def->disks[i].addr;

                if (def->disks[i].bus == DOMAIN_DISK_BUS_SCSI && d->type == DOMAIN_ADDRESS_DRIVE &&
                    d->controller == ctrl && d->bus == 0 && d->target == 0 && d->unit == unit)
                        return true;
        }
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                const DomainDeviceAddress *d = &def->hostdevs[i].addr;

                if (&def->hostdevs[i] != skip && d->type == DOMAIN_ADDRESS_DRIVE && d->controller == ctrl &&
                    d->bus == 0 && d->target == 0 && d->unit == unit)
                        return true;
        }
        return false;
}

/* A SCSI hostdev without an address gets the first free unit of the first
 * SCSI controller with one (lsilogic: units 0-6, 7 is the HBA's own id;
 * virtio-scsi: LUNs of target 0), and that controller is added if absent. */
static int assign_hostdev_drives(Assign *a) {
        DomainDef *def = a->def;

        for (size_t i = 0; i < def->n_hostdevs; i++) {
                DomainHostdevDef *h = &def->hostdevs[i];
                unsigned ctrl = 0, unit = 0;

                if (h->type != DOMAIN_HOSTDEV_SCSI)
                        continue;
                if (h->addr.type == DOMAIN_ADDRESS_DRIVE)
                        ctrl = h->addr.controller;
                else {
                        for (;; ctrl++) {
                                unsigned max = streq(qemu_scsi_controller_model(def, ctrl), "virtio-scsi") ? 16384 : 7;

                                for (unit = 0; unit < max && scsi_unit_taken(def, h, ctrl, unit); unit++)
                                        ;
                                if (unit < max)
                                        break;
                        }
                        h->addr = (DomainDeviceAddress) { .type = DOMAIN_ADDRESS_DRIVE, .controller = ctrl,
                                                          .unit = unit };
                }
                if (ensure_controller(def, DOMAIN_CONTROLLER_SCSI, ctrl, "lsilogic") < 0)
                        return xml_err_oom(a->err);
        }
        return 0;
}

static int add_implied_controllers(Assign *a) {
        DomainDef *def = a->def;
        int r;

        r = ensure_controller(def, DOMAIN_CONTROLLER_PCI, 0, a->q35 ? "pcie-root" : "pci-root");
        /* the machine's own disk controller */
        if (r >= 0)
                r = ensure_controller(def, a->q35 ? DOMAIN_CONTROLLER_SATA : DOMAIN_CONTROLLER_IDE, 0, NULL);
        /* each smartcard's reader (libvirt's slot numbering: qemu-smartcard.c) */
        qemu_smartcard_assign_addresses(def);
        for (size_t i = 0; r >= 0 && i < def->n_smartcards; i++)
                r = ensure_controller(def, DOMAIN_CONTROLLER_CCID, def->smartcards[i].addr.controller, NULL);
        if (r >= 0 && needs_usb(def))
                r = ensure_controller(def, DOMAIN_CONTROLLER_USB, 0, a->q35 ? "qemu-xhci" : "piix3-uhci");
        if (r >= 0 && needs_virtio_serial(def) && !qemu_has_controller_type(def, DOMAIN_CONTROLLER_VIRTIO_SERIAL))
                r = ensure_controller(def, DOMAIN_CONTROLLER_VIRTIO_SERIAL, 0, NULL);
        if (r < 0)
                return xml_err_oom(a->err);
        /* the default models, written out (as libvirt does) */
        for (size_t i = 0; i < def->n_controllers; i++) {
                DomainControllerDef *c = &def->controllers[i];
                const char *model = NULL;

                if (c->model)
                        continue;
                if (c->type == DOMAIN_CONTROLLER_PCI)
                        model = c->index == 0 ? (a->q35 ? "pcie-root" : "pci-root") :
                                                (a->q35 ? "pcie-root-port" : "pci-bridge");
                else if (c->type == DOMAIN_CONTROLLER_USB)
                        model = a->q35 ? "qemu-xhci" : "piix3-uhci";
                else if (c->type == DOMAIN_CONTROLLER_SCSI)
                        model = "lsilogic";
                if (model && !(c->model = strdup(model)))
                        return xml_err_oom(a->err);
        }
        return 0;
}

/* ---- virtio-serial and USB ports ---- */

static int assign_virtio_serial_ports(Assign *a) {
        DomainDef *def = a->def;
        uint32_t used[100] = {};        /* per controller: ports 0..31 */

        for (size_t i = 0; i < def->n_chrs; i++) {
                const DomainDeviceAddress *d = &def->chrs[i].addr;

                if (d->type == DOMAIN_ADDRESS_VIRTIO_SERIAL && d->has_port && d->bus == 0 && d->port < 32 &&
                    d->controller < ELEMENTSOF(used))
                        used[d->controller] |= UINT32_C(1) << d->port;
        }
        for (size_t i = 0; i < def->n_chrs; i++) {
                DomainChrDef *chr = &def->chrs[i];
                DomainDeviceAddress *d = &chr->addr;
                unsigned ctrl;
                /* QEMU keeps port 0 for a virtconsole */
                unsigned first = chr->kind == DOMAIN_CHR_CONSOLE ? 0 : 1;

                if (!is_virtio_serial_port(chr) || (d->type != DOMAIN_ADDRESS_NONE &&
                                                    (d->type != DOMAIN_ADDRESS_VIRTIO_SERIAL || d->has_port)))
                        continue;
                ctrl = d->type == DOMAIN_ADDRESS_VIRTIO_SERIAL ? d->controller : 0;
                if (d->type == DOMAIN_ADDRESS_VIRTIO_SERIAL && d->bus != 0)
                        continue;       /* a bus the start refuses */
                if (ctrl >= ELEMENTSOF(used))
                        continue;
                for (unsigned p = first; p < 32; p++)
                        if (!(used[ctrl] & (UINT32_C(1) << p))) {
                                used[ctrl] |= UINT32_C(1) << p;
                                *d = (DomainDeviceAddress) {
                                        .type = DOMAIN_ADDRESS_VIRTIO_SERIAL,
                                        .controller = ctrl, .port = p, .has_port = true,
                                };
                                break;
                        }
        }
        return 0;
}

static int assign_usb_ports(Assign *a) {
        DomainDef *def = a->def;

        /* a tablet without a bus is on USB: say so, as libvirt does */
        for (size_t i = 0; i < def->n_inputs; i++)
                if (is_usb_input(&def->inputs[i]) && !def->inputs[i].bus && !(def->inputs[i].bus = strdup("usb")))
                        return xml_err_oom(a->err);
        return qemu_usb_assign_ports(def, a->err);
}

/* ---- PCI ---- */

typedef enum PciKind {
        PCI_NONE,       /* not on PCI, or fixed by the machine */
        PCI_PCIE,       /* a PCIe endpoint: on a pcie-root-port of its own on q35 */
        PCI_LEGACY,     /* a conventional PCI device: on the root bus */
} PciKind;

static bool wants_pci(const DomainDeviceAddress *d) {
        return d->type == DOMAIN_ADDRESS_NONE || domain_address_pci_is_empty(d);
}

static void mark(Assign *a, const DomainDeviceAddress *d) {
        if (d->type == DOMAIN_ADDRESS_PCI && !domain_address_pci_is_empty(d) && d->bus < N_BUSES &&
            d->slot < N_SLOTS && d->function < 8)
                a->used[d->bus][d->slot] |= (uint8_t) (1u << d->function);
}

static void set_pci(Assign *a, DomainDeviceAddress *d, unsigned bus, unsigned slot, unsigned fn, Tristate mf) {
        *d = (DomainDeviceAddress) {
                .type = DOMAIN_ADDRESS_PCI, .bus = bus, .slot = slot, .function = fn, .multifunction = mf,
        };
        a->used[bus][slot] |= (uint8_t) (1u << fn);
}

/* The lowest root-bus slot with no function taken. */
static int free_root_slot(Assign *a, const char *what, unsigned *ret) {
        for (unsigned s = 1; s < N_SLOTS; s++)
                if (!a->used[0][s]) {
                        *ret = s;
                        return 0;
                }
        return xml_err_unsupported(a->err, "%s: no free slot is left on the PCI root bus", what);
}

static bool is_pci_model(const DomainControllerDef *c, const char *model) {
        return c->type == DOMAIN_CONTROLLER_PCI && streq_ptr(c->model, model);
}

/* A free slot of a bus behind a pci-bridge or pci-expander-bus (conventional
 * PCI buses; a bridge's slot 0 is its hot-plug controller's), lowest index
 * first. */
static bool free_bridge_slot(Assign *a, unsigned *ret_bus, unsigned *ret_slot) {
        const DomainDef *def = a->def;

        for (unsigned idx = 1; idx < N_BUSES; idx++)
                for (size_t i = 0; i < def->n_controllers; i++) {
                        const DomainControllerDef *c = &def->controllers[i];
                        unsigned first = is_pci_model(c, "pci-bridge") ? 1 : 0;

                        if (c->index != idx || !(is_pci_model(c, "pci-bridge") || is_pci_model(c, "pci-expander-bus")))
                                continue;
                        for (unsigned s = first; s < N_SLOTS; s++)
                                if (!a->used[idx][s]) {
                                        *ret_bus = idx, *ret_slot = s;
                                        return true;
                                }
                }
        return false;
}

/* A conventional PCI device: the root bus, else a bridge's or expander's
 * bus. When all are full, libvirt adds a pci-bridge: out_of_slots says so. */
static int place_on_root(Assign *a, DomainDeviceAddress *d, const char *what) {
        unsigned bus = 0, slot = 1;

        while (slot < N_SLOTS && a->used[0][slot])
                slot++;
        if (slot == N_SLOTS && !free_bridge_slot(a, &bus, &slot)) {
                a->out_of_slots = true;
                return free_root_slot(a, what, &slot);
        }
        set_pci(a, d, bus, slot, 0, TRISTATE_ABSENT);
        return 0;
}

static bool is_root_port(const DomainControllerDef *c) {
        return c->type == DOMAIN_CONTROLLER_PCI && streq_ptr(c->model, "pcie-root-port");
}

/* A port taking one PCIe device in its slot 0. */
static bool is_port(const DomainControllerDef *c) {
        return is_root_port(c) || is_pci_model(c, "pcie-switch-downstream-port");
}

/* A root port for a PCIe device: a free one given in the definition, else
 * a new one with the next index (its own address comes later). */
static int root_port_bus(Assign *a, const char *what, unsigned *ret) {
        DomainDef *def = a->def;
        unsigned next = 1;
        ssize_t pos;

        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *c = &def->controllers[i];

                if (c->type == DOMAIN_CONTROLLER_PCI && c->index >= next)
                        next = c->index + 1;
                if (is_port(c) && c->index < N_BUSES && !a->used[c->index][0]) {
                        *ret = c->index;
                        return 0;
                }
        }
        if (next >= N_BUSES)
                return xml_err_unsupported(a->err, "%s: no PCI bus is left for another pcie-root-port", what);
        pos = add_controller(def, DOMAIN_CONTROLLER_PCI, next, "pcie-root-port");
        if (pos < 0)
                return xml_err_oom(a->err);
        def->controllers[pos].model_name = strdup("pcie-root-port");
        if (!def->controllers[pos].model_name)
                return xml_err_oom(a->err);
        *ret = next;
        return 0;
}

static int place(Assign *a, DomainDeviceAddress *d, PciKind kind, const char *what) {
        unsigned bus = 0;
        int r;

        if (kind == PCI_NONE || !wants_pci(d))
                return 0;
        if (!a->q35 || kind == PCI_LEGACY)
                return place_on_root(a, d, what);
        r = root_port_bus(a, what, &bus);
        if (r < 0)
                return r;
        set_pci(a, d, bus, 0, 0, TRISTATE_ABSENT);
        return 0;
}

/* libvirt's <model name=''/> and <target chassis='' port=''/> of a root
 * port: its index, and its slot and function on the root bus. */
static int root_port_target(DomainControllerDef *c, unsigned slot, unsigned fn) {
        if (!c->model_name && !(c->model_name = strdup("pcie-root-port")))
                return -ENOMEM;
        if (!c->has_target_chassis && c->index <= 255)
                c->target_chassis = c->index, c->has_target_chassis = true;
        if (!c->has_target_port)
                c->target_port = slot << 3 | fn, c->has_target_port = true;
        return 0;
}

/* Root ports without an address: packed eight to a root-bus slot, function
 * 0 with multifunction='on', filling the slots earlier root ports opened;
 * each with libvirt's chassis (its index) and port (slot << 3 | function). */
static int place_root_ports(Assign *a) {
        DomainDef *def = a->def;

        for (size_t i = 0; i < def->n_controllers; i++) {
                DomainControllerDef *c = &def->controllers[i];
                unsigned slot = 0, fn = 0;
                bool found = false;
                int r;

                if (!is_root_port(c))
                        continue;
                if (!wants_pci(&c->addr)) {
                        /* placed by the user: chassis and port as libvirt fills them in */
                        if (c->addr.type == DOMAIN_ADDRESS_PCI && c->addr.bus == 0)
                                r = root_port_target(c, c->addr.slot, c->addr.function);
                        else
                                r = 0;
                        if (r < 0)
                                return xml_err_oom(a->err);
                        continue;
                }
                for (size_t j = 0; j < def->n_controllers && !found; j++) {
                        const DomainDeviceAddress *o = &def->controllers[j].addr;

                        if (!is_root_port(&def->controllers[j]) || o->type != DOMAIN_ADDRESS_PCI || o->bus != 0 ||
                            o->function != 0 || o->multifunction != TRISTATE_ON || o->slot >= N_SLOTS ||
                            a->used[0][o->slot] == 0xff)
                                continue;
                        slot = o->slot;
                        for (fn = 1; a->used[0][slot] & (1u << fn); fn++)
                                ;
                        found = true;
                }
                if (!found) {
                        r = free_root_slot(a, "pcie-root-port", &slot);
                        if (r < 0)
                                return r;
                }
                set_pci(a, &c->addr, 0, slot, fn, fn == 0 ? TRISTATE_ON : TRISTATE_ABSENT);
                if (root_port_target(c, slot, fn) < 0)
                        return xml_err_oom(a->err);
        }
        return 0;
}

static PciKind net_kind(const DomainNetDef *n) {
        /* as libvirt: the transitional model is a conventional PCI device */
        return streq_ptr(n->model, "virtio") || streq_ptr(n->model, "virtio-non-transitional") ||
                               streq_ptr(n->model, "e1000e")
                       ? PCI_PCIE
                       : PCI_LEGACY;
}

static PciKind controller_kind(const Assign *a, const DomainControllerDef *c) {
        switch (c->type) {
        case DOMAIN_CONTROLLER_PCI:
                return PCI_NONE;        /* root ports are placed last, bridges first */
        case DOMAIN_CONTROLLER_USB:
                if (streq_ptr(c->model, "none"))
                        return PCI_NONE;
                return strstr(c->model ?: "", "xhci") ? PCI_PCIE : PCI_LEGACY;
        case DOMAIN_CONTROLLER_SCSI:
                /* as libvirt: the transitional model is a conventional PCI device */
                return domain_controller_is_virtio_scsi(c) && !streq_ptr(c->model, "virtio-transitional")
                               ? PCI_PCIE
                               : PCI_LEGACY;
        case DOMAIN_CONTROLLER_SATA:
                return a->q35 && c->index == 0 ? PCI_NONE : PCI_LEGACY;
        case DOMAIN_CONTROLLER_IDE:
                return PCI_NONE;        /* pc's IDE is PIIX3's, fixed below */
        case DOMAIN_CONTROLLER_VIRTIO_SERIAL:
                return PCI_PCIE;
        default:
                return PCI_NONE;
        }
}

static PciKind video_kind(const DomainVideoDef *v) {
        const char *m = v->model ?: "vga";

        if (streq(m, "none") || streq(m, "ramfb"))
                return PCI_NONE;
        return streq(m, "virtio") ? PCI_PCIE : PCI_LEGACY;
}

static size_t primary_video(const DomainDef *def) {
        for (size_t i = 0; i < def->n_videos; i++)
                if (def->videos[i].primary)
                        return i;
        return 0;
}

typedef void (*AddressFn)(Assign *a, DomainDeviceAddress *d);

static void for_each_address(Assign *a, AddressFn fn) {
        DomainDef *def = a->def;

        for (size_t i = 0; i < def->n_disks; i++)
                fn(a, &def->disks[i].addr);
        for (size_t i = 0; i < def->n_controllers; i++)
                fn(a, &def->controllers[i].addr);
        for (size_t i = 0; i < def->n_nets; i++)
                fn(a, &def->nets[i].addr);
        for (size_t i = 0; i < def->n_chrs; i++)
                fn(a, &def->chrs[i].addr);
        for (size_t i = 0; i < def->n_videos; i++)
                fn(a, &def->videos[i].addr);
        for (size_t i = 0; i < def->n_inputs; i++)
                fn(a, &def->inputs[i].addr);
        for (size_t i = 0; i < def->n_sounds; i++)
                fn(a, &def->sounds[i].addr);
        fn(a, &def->memballoon.addr);
        for (size_t i = 0; i < def->n_rngs; i++)
                fn(a, &def->rngs[i].addr);
        for (size_t i = 0; i < def->n_filesystems; i++)
                fn(a, &def->filesystems[i].addr);
        for (size_t i = 0; i < def->n_shmems; i++)
                fn(a, &def->shmems[i].addr);
        fn(a, &def->watchdog.addr);
        fn(a, &def->vsock.addr);
        fn(a, &def->iommu.addr);
        for (size_t i = 0; i < def->n_hostdevs; i++)
                fn(a, &def->hostdevs[i].addr);
        for (size_t i = 0; i < def->n_mems; i++)
                fn(a, &def->mems[i].addr);
}

static void mark_one(Assign *a, DomainDeviceAddress *d) {
        mark(a, d);
}

static void mark_all(Assign *a) {
        for_each_address(a, mark_one);
}

/* As libvirt, function 0 of a slot whose other functions are used says
 * multifunction='on' unless the definition says otherwise. */
static void set_multi(Assign *a, DomainDeviceAddress *d) {
        if (d->type == DOMAIN_ADDRESS_PCI && !domain_address_pci_is_empty(d) && d->function == 0 &&
            d->multifunction == TRISTATE_ABSENT && d->bus < N_BUSES && d->slot < N_SLOTS &&
            (a->used[d->bus][d->slot] & 0xfe))
                d->multifunction = TRISTATE_ON;
}

/* Fixed places: the host bridge, the chipset's functions, and the primary
 * video's slot (00:01.0 on q35, 00:02.0 on pc), kept free for it even
 * without one, as libvirt does. */
static int place_fixed(Assign *a) {
        DomainDef *def = a->def;
        unsigned video_slot = a->q35 ? 1 : 2;

        a->used[0][0] = 0xff;
        for (size_t i = 0; i < def->n_controllers; i++) {
                DomainControllerDef *c = &def->controllers[i];

                if (c->index != 0 || !wants_pci(&c->addr))
                        continue;
                if (a->q35 && c->type == DOMAIN_CONTROLLER_SATA)
                        set_pci(a, &c->addr, 0, 0x1f, 2, TRISTATE_ABSENT);
                else if (!a->q35 && c->type == DOMAIN_CONTROLLER_IDE)
                        set_pci(a, &c->addr, 0, 1, 1, TRISTATE_ABSENT);
                else if (!a->q35 && c->type == DOMAIN_CONTROLLER_USB && streq_ptr(c->model, "piix3-uhci") &&
                         !(a->used[0][1] & 0x04))
                        set_pci(a, &c->addr, 0, 1, 2, TRISTATE_ABSENT);
        }
        /* the rest of the chipset: ISA bridge, PM (pc); LPC, SMBus (q35) */
        a->used[0][a->q35 ? 0x1f : 1] = 0xff;
        if (def->n_videos > 0) {
                DomainVideoDef *v = &def->videos[primary_video(def)];

                if (video_kind(v) != PCI_NONE && wants_pci(&v->addr) && !a->used[0][video_slot]) {
                        set_pci(a, &v->addr, 0, video_slot, 0, TRISTATE_ABSENT);
                        return 0;
                }
        }
        a->used[0][video_slot] |= 0x01;
        return 0;
}

/* A new root port goes into def->controllers, which moves them all: each
 * controller is found again by type and index. */
static int place_controllers(Assign *a) {
        DomainDef *def = a->def;
        size_t n = def->n_controllers;
        _cleanup_free_ DomainControllerDef *ids = calloc(n ?: 1, sizeof(*ids));
        char what[64];

        if (!ids)
                return xml_err_oom(a->err);
        for (size_t i = 0; i < n; i++)
                ids[i] = (DomainControllerDef) { .type = def->controllers[i].type,
                                                 .index = def->controllers[i].index };
        for (size_t i = 0; i < n; i++) {
                ssize_t pos = find_controller(def, ids[i].type, ids[i].index);
                PciKind kind;
                unsigned bus = 0;
                int r;

                if (pos < 0)
                        continue;
                kind = controller_kind(a, &def->controllers[pos]);
                if (kind == PCI_NONE || !wants_pci(&def->controllers[pos].addr))
                        continue;
                snprintf(what, sizeof(what), "controller '%s' index %u",
                         domain_controller_type_to_string(ids[i].type) ?: "?", ids[i].index);
                if (!a->q35 || kind == PCI_LEGACY) {
                        r = place_on_root(a, &def->controllers[pos].addr, what);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = root_port_bus(a, what, &bus);
                if (r < 0)
                        return r;
                pos = find_controller(def, ids[i].type, ids[i].index);
                set_pci(a, &def->controllers[pos].addr, bus, 0, 0, TRISTATE_ABSENT);
        }
        return 0;
}

/* vfio-pci and vhost-scsi-pci are PCIe endpoints (libvirt's guess too:
 * the host device's own kind is not known at define time). */
static PciKind hostdev_kind(const DomainHostdevDef *h) {
        return h->type == DOMAIN_HOSTDEV_PCI || h->type == DOMAIN_HOSTDEV_MDEV || h->type == DOMAIN_HOSTDEV_SCSI_HOST
                       ? PCI_PCIE : PCI_NONE;
}

/* ---- PCI controllers (libvirt places them first, in index order) ---- */

/* A free slot of the bus of a controller of one of the models, lowest
 * index first. */
static bool free_slot_behind(Assign *a, const char *const *models, unsigned first, unsigned *ret_bus,
                             unsigned *ret_slot) {
        const DomainDef *def = a->def;

        for (unsigned idx = 1; idx < N_BUSES; idx++)
                for (size_t i = 0; i < def->n_controllers; i++) {
                        const DomainControllerDef *c = &def->controllers[i];
                        bool fits = false;

                        for (size_t m = 0; models[m]; m++)
                                fits = fits || is_pci_model(c, models[m]);
                        if (c->index != idx || !fits)
                                continue;
                        for (unsigned s = first; s < N_SLOTS; s++)
                                if (!a->used[idx][s]) {
                                        *ret_bus = idx, *ret_slot = s;
                                        return true;
                                }
                }
        return false;
}

/* The dmi-to-pci-bridge at 00:1e.0 where ICH9 has it, else anywhere on the root. */
static int place_dmi_bridge(Assign *a, DomainDeviceAddress *d) {
        unsigned slot = 0x1e;

        if (a->used[0][slot]) {
                int r = free_root_slot(a, "dmi-to-pci-bridge", &slot);

                if (r < 0)
                        return r;
        }
        set_pci(a, d, 0, slot, 0, TRISTATE_ABSENT);
        return 0;
}

/* A pci-bridge on q35 goes behind a dmi-to-pci-bridge, a pcie-to-pci-bridge
 * or another pci-bridge; on pc on the root bus. */
static int place_pci_bridge(Assign *a, DomainDeviceAddress *d, const char *what) {
        static const char *const behind[] = { "dmi-to-pci-bridge", "pcie-to-pci-bridge", "pci-bridge", NULL };
        unsigned bus = 0, slot = 0;

        if (!a->q35)
                return place_on_root(a, d, what);
        if (!free_slot_behind(a, behind, 1, &bus, &slot))
                return xml_err_unsupported(a->err, "%s: a pci-bridge on q35 needs a dmi-to-pci-bridge or a "
                                           "pcie-to-pci-bridge with a free slot to sit behind", what);
        set_pci(a, d, bus, slot, 0, TRISTATE_ABSENT);
        return 0;
}

/* Downstream ports go into the slots of an upstream port's bus. */
static int place_downstream_port(Assign *a, DomainDeviceAddress *d, const char *what) {
        static const char *const upstream[] = { "pcie-switch-upstream-port", NULL };
        unsigned bus = 0, slot = 0;

        if (!free_slot_behind(a, upstream, 0, &bus, &slot))
                return xml_err_unsupported(a->err, "%s: a pcie-switch-downstream-port needs a "
                                           "pcie-switch-upstream-port with a free slot", what);
        set_pci(a, d, bus, slot, 0, TRISTATE_ABSENT);
        return 0;
}

static int place_pci_controller(Assign *a, unsigned index) {
        ssize_t pos = find_controller(a->def, DOMAIN_CONTROLLER_PCI, index);
        DomainControllerDef *c = &a->def->controllers[pos];
        const char *m = c->model ?: "";
        unsigned bus = 0;
        char what[64];
        int r;

        snprintf(what, sizeof(what), "controller 'pci' index %u", index);
        if (streq(m, "pci-bridge"))
                return place_pci_bridge(a, &c->addr, what);
        if (streq(m, "dmi-to-pci-bridge"))
                return place_dmi_bridge(a, &c->addr);
        if (streq(m, "pci-expander-bus") || streq(m, "pcie-expander-bus"))
                return place_on_root(a, &c->addr, what);
        if (streq(m, "pcie-switch-downstream-port"))
                return place_downstream_port(a, &c->addr, what);
        if (!streq(m, "pcie-switch-upstream-port") && !streq(m, "pcie-to-pci-bridge"))
                return 0;       /* root ports: placed last */
        /* into a free root or downstream port (a new root port may move the array) */
        r = root_port_bus(a, what, &bus);
        if (r < 0)
                return r;
        c = &a->def->controllers[find_controller(a->def, DOMAIN_CONTROLLER_PCI, index)];
        set_pci(a, &c->addr, bus, 0, 0, TRISTATE_ABSENT);
        return 0;
}

/* libvirt's first free busNr of a new expander bus: two below the lowest
 * one given (one for the pxb, one for its built-in bridge). */
static int expander_bus_nr(Assign *a, DomainControllerDef *c) {
        unsigned lowest = 256;

        for (size_t i = 0; i < a->def->n_controllers; i++) {
                const DomainControllerDef *o = &a->def->controllers[i];

                if (o->type == DOMAIN_CONTROLLER_PCI && o->has_target_bus_nr && o->target_bus_nr < lowest)
                        lowest = o->target_bus_nr;
        }
        if (lowest <= 2)
                return xml_err_unsupported(a->err, "No free busNr lower than current lowest busNr is available to "
                                           "auto-assign to bus %u. Must be manually assigned", c->index);
        c->target_bus_nr = lowest - 2;
        c->has_target_bus_nr = true;
        return 0;
}

/* The defaults libvirt writes once a controller has its place: the QEMU
 * device, a downstream port's chassis and port, an expander's busNr. */
static int pci_controller_defaults(Assign *a, DomainControllerDef *c) {
        const char *name = domain_pci_model_default_name(c->model);
        bool newer = name && !is_root_port(c) && !is_pci_model(c, "pci-bridge");

        if (newer && !c->model_name && !(c->model_name = strdup(name)))
                return xml_err_oom(a->err);
        if (is_pci_model(c, "pcie-switch-downstream-port")) {
                if (!c->has_target_chassis && c->index <= 255)
                        c->target_chassis = c->index, c->has_target_chassis = true;
                if (!c->has_target_port && c->addr.type == DOMAIN_ADDRESS_PCI)
                        c->target_port = c->addr.slot, c->has_target_port = true;
        }
        if ((is_pci_model(c, "pci-expander-bus") || is_pci_model(c, "pcie-expander-bus")) && !c->has_target_bus_nr)
                return expander_bus_nr(a, c);
        return 0;
}

static int place_pci_controllers(Assign *a) {
        int r = 0;

        for (unsigned idx = 1; r >= 0 && idx < N_BUSES; idx++) {
                ssize_t pos = find_controller(a->def, DOMAIN_CONTROLLER_PCI, idx);

                if (pos < 0)
                        continue;
                if (wants_pci(&a->def->controllers[pos].addr))
                        r = place_pci_controller(a, idx);
                pos = find_controller(a->def, DOMAIN_CONTROLLER_PCI, idx);
                if (r >= 0)
                        r = pci_controller_defaults(a, &a->def->controllers[pos]);
        }
        return r;
}

/* libvirt's order: PCI bridges, interfaces, sound, the other controllers,
 * disks, balloon, rng, watchdog, videos, inputs, vsock, serials; root ports last. */
static int place_devices(Assign *a) {
        DomainDef *def = a->def;
        char what[64];
        int r = 0;

        r = place_pci_controllers(a);
        for (size_t i = 0; r >= 0 && i < def->n_nets; i++) {
                snprintf(what, sizeof(what), "interface %zu", i);
                r = place(a, &def->nets[i].addr, net_kind(&def->nets[i]), what);
        }
        for (size_t i = 0; r >= 0 && i < def->n_sounds; i++) {
                DomainSoundModel m = def->sounds[i].model;

                snprintf(what, sizeof(what), "sound %zu", i);
                r = place(a, &def->sounds[i].addr,
                          m == DOMAIN_SOUND_SB16 || m == DOMAIN_SOUND_USB || m == DOMAIN_SOUND_PCSPK ? PCI_NONE :
                          PCI_LEGACY, what);
        }
        r = r < 0 ? r : place_controllers(a);
        for (size_t i = 0; r >= 0 && i < def->n_disks; i++) {
                snprintf(what, sizeof(what), "disk '%s'", def->disks[i].dst ?: "");
                r = place(a, &def->disks[i].addr, def->disks[i].bus == DOMAIN_DISK_BUS_VIRTIO ? PCI_PCIE : PCI_NONE,
                          what);
        }
        for (size_t i = 0; r >= 0 && i < def->n_filesystems; i++) {
                snprintf(what, sizeof(what), "filesystem '%s'", def->filesystems[i].dst ?: "");
                r = place(a, &def->filesystems[i].addr, PCI_PCIE, what);
        }
        for (size_t i = 0; r >= 0 && i < def->n_hostdevs; i++) {
                snprintf(what, sizeof(what), "hostdev %zu", i);
                r = place(a, &def->hostdevs[i].addr, hostdev_kind(&def->hostdevs[i]), what);
        }
        for (size_t i = 0; r >= 0 && i < def->n_shmems; i++) {
                snprintf(what, sizeof(what), "shmem '%s'", def->shmems[i].name);
                r = place(a, &def->shmems[i].addr, PCI_LEGACY, what);
        }
        if (r >= 0 && def->memballoon.present && !streq_ptr(def->memballoon.model, "none"))
                r = place(a, &def->memballoon.addr, PCI_PCIE, "memballoon");
        for (size_t i = 0; r >= 0 && i < def->n_rngs; i++) {
                snprintf(what, sizeof(what), "rng %zu", i);
                r = place(a, &def->rngs[i].addr, PCI_PCIE, what);
        }
        if (r >= 0 && def->watchdog.present && def->watchdog.model == DOMAIN_WATCHDOG_MODEL_I6300ESB)
                r = place(a, &def->watchdog.addr, PCI_LEGACY, "watchdog");
        for (size_t i = 0; r >= 0 && i < def->n_videos; i++) {
                snprintf(what, sizeof(what), "video %zu", i);
                r = place(a, &def->videos[i].addr, video_kind(&def->videos[i]), what);
        }
        for (size_t i = 0; r >= 0 && i < def->n_inputs; i++) {
                snprintf(what, sizeof(what), "input %zu", i);
                r = place(a, &def->inputs[i].addr, streq_ptr(def->inputs[i].bus, "virtio") ? PCI_PCIE : PCI_NONE,
                          what);
        }
        if (r >= 0 && def->vsock.present)
                r = place(a, &def->vsock.addr, PCI_PCIE, "vsock");
        for (size_t i = 0; r >= 0 && i < def->n_mems; i++) {
                DomainMemoryModel m = def->mems[i].model;

                snprintf(what, sizeof(what), "memory device %zu", i);
                r = place(a, &def->mems[i].addr,
                          m == DOMAIN_MEMORY_VIRTIO_MEM || m == DOMAIN_MEMORY_VIRTIO_PMEM ? PCI_PCIE : PCI_NONE, what);
        }
        if (r >= 0 && def->iommu.present && def->iommu.model == DOMAIN_IOMMU_VIRTIO)
                r = place(a, &def->iommu.addr, PCI_LEGACY, "iommu"); /* on the root bus: built first */
        for (size_t i = 0; r >= 0 && i < def->n_chrs; i++) {
                DomainChrDef *chr = &def->chrs[i];

                snprintf(what, sizeof(what), "serial %zu", i);
                r = place(a, &chr->addr, chr->kind == DOMAIN_CHR_SERIAL && streq_ptr(chr->target_type, "pci-serial") ?
                          PCI_LEGACY : PCI_NONE, what);
        }
        if (r >= 0 && a->q35)
                r = place_root_ports(a);
        return r;
}

static int assign_once(DomainDef *def, ConfError *err, bool *out_of_slots) {
        _cleanup_free_ Assign *a = NULL;
        int r;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->def = def;
        a->err = err;
        a->q35 = machine_q35(def->os.machine);

        qemu_memdev_assign_slots(def);
        r = assign_drives(a);
        if (r >= 0)
                r = assign_hostdev_drives(a);
        if (r >= 0)
                r = add_implied_controllers(a);
        if (r >= 0)
                r = assign_virtio_serial_ports(a);
        if (r >= 0)
                r = assign_usb_ports(a);
        if (r < 0)
                return r;
        mark_all(a);
        r = place_fixed(a);
        if (r >= 0)
                r = place_devices(a);
        if (r >= 0)
                for_each_address(a, set_multi);
        *out_of_slots = a->out_of_slots;
        return r;
}

/* A pci-bridge with the next free index, placed with the rest. */
static int add_pci_bridge(DomainDef *def) {
        unsigned next = 1;

        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == DOMAIN_CONTROLLER_PCI && def->controllers[i].index >= next)
                        next = def->controllers[i].index + 1;
        if (next >= N_BUSES)
                return -ENOSPC;
        return add_controller(def, DOMAIN_CONTROLLER_PCI, next, "pci-bridge") < 0 ? -ENOMEM : 0;
}

int qemu_domain_assign_addresses(DomainDef *def, ConfError *err) {
        bool out_of_slots = false;
        int r;

        if (!def || !err)
                return -EINVAL;
        if (!machine_q35(def->os.machine) && !machine_pc(def->os.machine))
                return 0;
        /* As libvirt, a PC whose conventional PCI devices fill the root bus
         * gets pci-bridges: found by dry runs on a copy, each adding one. */
        for (unsigned n = 0; !machine_q35(def->os.machine) && n < N_BUSES; n++) {
                _cleanup_(domain_def_freep) DomainDef *copy = NULL;

                if (domain_def_copy(def, &copy) < 0)
                        return xml_err_oom(err);
                r = assign_once(copy, err, &out_of_slots);
                if (r >= 0 || !out_of_slots)
                        break;
                if (add_pci_bridge(def) < 0)
                        break;
        }
        return assign_once(def, err, &out_of_slots);
}
