/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the hot-plug files share: qemu-hotplug.c (attach, the command
 * lists, the device events), qemu-hotplug-detach.c (DetachDevice) and
 * qemu-hotplug-media.c (UpdateDevice's medium change). */

#include <json-c/json.h>
#include <libxml/tree.h>
#include <systemd/sd-bus.h>

#include "domain-manager.h"
#include "qemu-device.h"
#include "qemu-hotplug.h"

/* A device of a definition: the list it is in (by its XML element name,
 * "disk") and its index there. */
typedef struct DevRef {
        const char *kind;
        QemuDeviceFamily family;
        size_t index;
} DevRef;

typedef struct Plug Plug;
typedef struct HotplugSecrets HotplugSecrets;
typedef void (*PlugDoneFn)(Plug *p, Domain *d, const char *error_class, const char *error_desc);

/* One change of a running guest: commands sent one after the other. */
struct Plug {
        DomainHandle *handle;
        DomainDef *live;          /* the live definition once done */
        DomainDef *config;        /* the persistent one (CONFIG), or NULL */
        json_object *cmds;        /* [{execute, arguments}] */
        json_object *undo;        /* taking back what cmds made, if they fail half-way */
        size_t next;
        PlugDoneFn done;
        char *lease_path;         /* taken for this plug: released if it fails */
        char *what;               /* "disk 'vdb'", for messages */
        char *alias;
        char *old_src, *new_src;  /* a medium change */
        size_t pty_chr;           /* a pty chardev's chr index in live, or SIZE_MAX */
        size_t n_ctrl_before;     /* the live definition's controllers before the device */
        bool volume_marked;       /* storaged was told this guest uses the volume */
        bool labelled;            /* the disk (p->live's, at ref) was given to QEMU's user */
        int tapfd;                /* an interface's tap from networkd, for getfd; -1 */
        int *queue_fds;           /* a multiqueue tap's other queues, each for a getfd after tapfd's */
        unsigned n_queue_fds;
        unsigned n_fds_sent;      /* getfds sent: which fd the next one passes */
        char *port_uuid;          /* networkd's port for it: released if the plug fails */
        bool direct_made;         /* an interface's macvtap, made for the plug: deleted if it fails */
        bool fs_started;          /* a virtiofs share's virtiofsd: stopped if the plug fails */
        HotplugSecrets *secrets;  /* the device's secrets, fetched for the plug */
        char *failure;            /* QEMU's word on a failed plug, told once the undo is done */
        bool pr_started;          /* the guest's qemu-pr-helper, started for this plug: ended if it fails */
        bool passt_started;       /* a passt interface's passt: stopped if the plug fails */
        char **hostdev_nodes;     /* a host device's nodes given to QEMU for this plug: taken back if it fails */
        DevRef ref;
};

/* A device_del the guest has not answered yet. Kept beyond the call when
 * the guest takes longer than UNPLUG_WAIT_USEC (libvirt's async removal). */
typedef struct Unplug {
        DomainHandle *handle;
        char *alias;
        char *kind;
        json_object *backends;    /* blockdev-del/object-del/chardev-remove/netdev_del once it is gone */
        char *lease_path;
        char *pool, *volume;      /* a volume disk: storaged learns this guest let it go */
        bool port;                /* an interface with a port of networkd's: released once gone */
        bool end_pr;              /* the last managed-reservations disk: its qemu-pr-helper ends after it */
        uint8_t mac[6];
        DomainJob *job;           /* the call waiting, until answered */
        DomainDef *config;        /* CONFIG: the persistent definition to save with the answer */
        sd_event_source *timer;
        pid_t pid;                /* the QEMU it is for: stale once another runs (or none) */
        bool deleted;             /* the device is gone: its backends are being removed */
        struct Unplug *next;
} Unplug;

/* qemu-hotplug-net.c: a tap's fds (each of a multiqueue tap's queues) by
 * getfd under names of their own, which netdev_add's args take ("fd" or
 * "fds"), and the closefds that undo them. */
int hotplug_tap_getfds(const DomainNetDef *net, json_object *cmds, json_object *args);
int hotplug_tap_closefds(const DomainNetDef *net, json_object *undo);
/* Opens the other queues of net's multiqueue tap (net->ifname) for p. */
int hotplug_tap_queues_open(Plug *p, const DomainNetDef *net);
/* An interface type='direct': its macvtap made and opened (each queue)
 * for p, before the getfds; undone (the link deleted, a passthrough
 * parent's MAC given back) if the plug fails. 0 for another type. */
int hotplug_direct_open(Plug *p, Domain *d, sd_bus_error *error);
void hotplug_direct_undo(Plug *p, Domain *d);
/* The fds of the interface reach QEMU by getfd: a port's tap or a macvtap. */
bool hotplug_net_takes_fds(const DomainNetDef *net);

/* qemu-hotplug-fs.c: <filesystem> (virtiofs) and <shmem> */
bool hotplug_is_fs_or_shmem(const DevRef *ref);
int hotplug_fs_attach_check(const DomainDef *live, const DevRef *ref, sd_bus_error *error);
int hotplug_fs_keep_aliases(const DomainDef *old, DomainDef *def);
/* chardev-add (and its undo) of the device's socket */
int hotplug_fs_host_side(Plug *p, Domain *d, json_object *cmds, sd_bus_error *error);
/* a share's virtiofsd, started right before the commands go to QEMU, and
 * stopped if they fail */
int hotplug_fs_start(Plug *p, Domain *d, sd_bus_error *error);
void hotplug_fs_undo(Plug *p, Domain *d);
/* libvirt's refusals, and the chardev-remove sent once the device is gone */
int hotplug_fs_detach_prepare(const DomainDef *live, const DevRef *ref, json_object *backends,
                              sd_bus_error *error);
/* DEVICE_DELETED: a share's virtiofsd ends */
void hotplug_fs_removed(Domain *d, const DevRef *ref);
/* qemu-hotplug-passt.c: <interface type='user'><backend type='passt'/>:
 * netdev_add's stream arguments to passt's socket (args has the id), and
 * its passt started right before the commands go to QEMU, stopped if they
 * fail. */
int hotplug_passt_netdev(Domain *d, const DomainNetDef *net, json_object *args);
int hotplug_passt_start(Plug *p, Domain *d, sd_bus_error *error);
void hotplug_passt_undo(Plug *p, Domain *d);
/* qemu-hotplug-disk-vhostuser.c: a vhostuser disk's socket chardev, by
 * chardev-add before its device (chardev-remove to undo), and chardev-remove
 * once its device is gone. */
int hotplug_disk_vhostuser_chardev(const DomainDiskDef *disk, json_object *cmds, json_object *undo);
int hotplug_disk_vhostuser_unplug(const char *alias, json_object *backends);

/* qemu-hotplug-secret.c: a disk's or an iSCSI hostdev's secrets, asked of
 * secretd at plug time: 0 when the device has none (build it now), 1 when
 * asked (hotplug_attach_resume() runs once all answered; a missing secret
 * fails the job naming the device), -errno with error set. */
int hotplug_secrets_fetch(Plug *p, Domain *d, sd_bus_error *error);
/* The secret objects of objects (id only, from the builder) get their
 * values, encrypted with the guest's master key; a guest without one gets
 * it first, by cmds (its object-del in p->undo). */
int hotplug_secrets_fill(Plug *p, Domain *d, json_object *objects, json_object *cmds, sd_bus_error *error);
/* A failed plug: the master key file it wrote goes (also when p is freed
 * before its commands went to QEMU); a plug QEMU took keeps it. */
void hotplug_secrets_undo(Plug *p);
void hotplug_secrets_keep(Plug *p);
/* The master key file written for p (removed if it fails), or NULL. */
const char *hotplug_secrets_key_path(const Plug *p);
void hotplug_secrets_free(HotplugSecrets *s);

/* qemu-hotplug-disk.c: the device's props as qemu_device_props(), a
 * disk's with qemud.conf's NBD TLS (checked for a plug, as at start) and
 * the guest's directory, as the start builds them. */
int hotplug_device_props(Domain *d, const DomainDef *def, const DevRef *ref, bool plug, QemuDeviceProps *ret,
                         ConfError *e);
/* <reservations managed='yes'>: the guest's qemu-pr-helper runs (started
 * right before QEMU gets the commands if it does not), and ends if the
 * plug that started it fails. */
int hotplug_pr_start(Plug *p, Domain *d, sd_bus_error *error);
void hotplug_pr_undo(Plug *p, Domain *d);
/* An unplug leaves pr-helper0 to the other managed disks; the last one's
 * takes it, and its helper ends once the disk is gone. */
int hotplug_pr_detach_prepare(const DomainDef *live, const DevRef *ref, json_object *backends);
bool hotplug_pr_last(const DomainDef *live, const DevRef *ref);

/* qemu-hotplug.c */
/* Builds and runs the plug once its definition is complete (a volume's
 * path known, its secrets fetched); on failure the job fails and p goes. */
void hotplug_attach_resume(Plug *p, Domain *d);
int hotplug_push_cmd(json_object *cmds, const char *execute, json_object *args);
int hotplug_push_all(json_object *cmds, const char *execute, json_object *list);
int hotplug_family_of(const char *kind, QemuDeviceFamily *ret);
const char *hotplug_dev_alias(const DomainDef *def, const DevRef *r);
void hotplug_dev_what(const DomainDef *def, const DevRef *r, char *buf, size_t size);
int hotplug_find_device(const DomainDef *def, const DomainDef *holder, const char *kind, DevRef *ret);
int hotplug_no_such_device(const DomainDef *holder, const char *kind, const char *where, sd_bus_error *error);
const DomainDef *hotplug_config_def(Domain *d);
int hotplug_conf_to_bus(const ConfError *e, int r, const char *fallback, sd_bus_error *error);
int hotplug_parse_device(const char *xml, const char *verb, DomainDef **ret_holder, const char **ret_kind,
                         QemuDeviceFamily *ret_family, sd_bus_error *error);
int hotplug_save_config(Domain *d, DomainDef *config, sd_bus_error *error);
Plug *hotplug_plug_free(Plug *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Plug *, hotplug_plug_free);
void hotplug_plug_step(Plug *p);
void hotplug_send_quietly(Domain *d, json_object *cmds, size_t from);
void hotplug_release_lease(Domain *d, const char *path);
/* The disk at p->ref of p->live given to QEMU's user before QEMU opens it
 * (qemu-security.h), and given back if the plug fails. */
int hotplug_label_disk(Plug *p, Domain *d, sd_bus_error *error);
void hotplug_unlabel_disk(Plug *p, Domain *d);
void hotplug_fail_job(Domain *d, const char *name, const char *fmt, ...) _printf_(3, 4);
void hotplug_finish_job(Plug *p, Domain *d);
bool hotplug_disk_needs_lease(const DomainDiskDef *disk);
void hotplug_name_rng_device(QemuDeviceProps *props, const char *alias);

/* qemu-hotplug-detach.c. The unplugs under way are in the live state
 * (qemu-hotplug-pending.c): each change is saved. */
void hotplug_unplug_remove(Unplug *u);
Unplug *hotplug_unplug_find(Domain *d, const char *alias);
/* The unplug of d's device at ref (aliased alias; ref NULL: filled later),
 * with what it gives back once the device is gone (lease, volume, port)
 * read from the live definition (hotplug_unplug_fill()); backends (taken)
 * are sent then. hotplug_unplug_add() puts it in the list. */
Unplug *hotplug_unplug_new(Domain *d, const DevRef *ref, const char *alias, const char *kind, json_object *backends);
void hotplug_unplug_fill(Unplug *u, const DomainDef *live, const DevRef *ref);
void hotplug_unplug_add(Unplug *u);
/* The unplugs of d's QEMU, in order. */
Unplug *hotplug_unplug_next(Domain *d, Unplug *after);
/* The device is gone: its backends are sent (again, after a restart). */
void hotplug_unplug_send_backends(Unplug *u, Domain *d);
void hotplug_unplug_answer(Unplug *u, Domain *d, const char *error_name, const char *message);
void hotplug_unplug_finish(Unplug *u, Domain *d);
int hotplug_detach(Domain *d, const char *xml, unsigned flags, sd_bus_error *error);

/* qemu-hotplug-plug-record.c: a plug under way in the live state, from
 * before its first host-side step until its device is in the live XML (or
 * it failed and was undone), so that a restarted qemud undoes one that a
 * SIGKILL cut short. hotplug_plug_record() adds or updates p's record and
 * saves the status; _drop() removes it (saving the status if save). */
int hotplug_plug_record(Plug *p, Domain *d);
void hotplug_plug_record_drop(Plug *p, bool save);
int hotplug_plug_records_format(Domain *d, char **s);
int hotplug_plug_record_parse(Domain *d, xmlNodePtr n);
/* Once the monitor is back: each plug's device looked for in QEMU. */
void hotplug_plug_records_recover(Domain *d);
/* DEVICE_DELETED of a plug found in QEMU after a restart: true when it was
 * one (undone now). */
bool hotplug_plug_record_deleted(Domain *d, const char *alias);
/* A test's window for a SIGKILL of qemud in the middle of a plug: with
 * VIRTBUS_TEST_PLUG_PAUSE=<alias> in qemud's environment, true for the
 * device_add command c of that alias (answered: <alias>:after, once QEMU
 * answered it): the attach holds there for ever. */
bool hotplug_plug_held(json_object *c, bool answered);
/* qemu-hotplug-pending.c: asks QEMU whether alias is among its devices
 * (/machine/peripheral); fn is called with the answer if d is still there
 * and QEMU answered. A restarted qemud's check of a plug or an unplug. */
typedef void (*HotplugListedFn)(Domain *d, const char *alias, bool listed);
int hotplug_ask_listed(Domain *d, const char *alias, HotplugListedFn fn);

/* qemu-hotplug-media.c */
int hotplug_id_args(const char *alias, json_object **ret);
/* a virtio-mem's <requested> (qemu-hotplug-memory.c) */
int hotplug_update_memory(Domain *d, const DomainDef *holder, unsigned flags, sd_bus_error *error);
int hotplug_keep_memory_aliases(const DomainDef *old, DomainDef *def);
/* <hostdev> (qemu-hotplug-hostdev.c) */
/* An <interface type='hostdev'> is a hostdev (in the hostdev list, a
 * vfio-pci device to QEMU): *kind and *family say so. 0. */
int hotplug_interface_hostdev_kind(const DomainDef *holder, const char **kind, QemuDeviceFamily *family);
/* One added to def at ref shows after the interfaces def has. */
void hotplug_interface_hostdev_place(DomainDef *def, const DevRef *ref);
int hotplug_hostdev_check(const DomainDef *live, const DevRef *ref, sd_bus_error *error);
/* Its nodes (qemu_hostdev_nodes_own()) let through QEMU's device filter,
 * made in its /dev and given to its user before device_add; taken back if
 * the plug fails, and once the guest let the device go. */
int hotplug_hostdev_give(Plug *p, Domain *d, sd_bus_error *error);
void hotplug_hostdev_take_back(Plug *p, Domain *d);
void hotplug_hostdev_removed(Domain *d, const DevRef *ref);
int hotplug_update(Domain *d, const char *xml, unsigned flags, sd_bus_error *error);
