/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plugs under way (AttachDevice, qemu-hotplug.c) in the live state, so
 * that a qemud killed in the middle of one takes back after a restart what
 * it had made on the host and in QEMU:
 *
 *   <plug alias='net1' kind='interface' pid='QEMU' [deleting='yes']
 *         [port='UUID'] [direct='macvtap0' direct-source='eth0'
 *         direct-mode='N' mac='52:54:..'] [lease='PATH'] [disk='PATH']
 *         [pool='P' volume='V'] [passt='yes'] [virtiofsd='yes'] [pr='yes'] [key='PATH']
 *         [nodes='["/dev/..."]'] undo='[{"execute": ...}]'/>
 *
 * A plug is recorded before its first host-side step and again right
 * before its first QMP command (by then the port, the macvtap, passt,
 * virtiofsd, qemu-pr-helper and a host device's nodes are known), and leaves the record in the status save
 * that puts the device in the live definition, or once it failed and was
 * undone. Met again once the monitor is back, a plug's device is looked
 * for in QEMU's /machine/peripheral:
 * - not there: the undo list goes to QEMU (what was never made fails there
 *   and harms nothing) and the host-side steps are undone;
 * - there (killed between device_add and its answer): it is device_del'd,
 *   as libvirt, which keeps no record, would leave a device the live XML
 *   does not name; the undo runs on its DEVICE_DELETED (waited for again
 *   after another restart). The live XML stays as it was before the call,
 *   as for any plug that did not end: the call was never answered.
 * The guest's definitions are never touched: a plug changes them only once
 * it ended. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-status.h"
#include "log.h"
#include "network-addr.h"
#include "networkd-client.h"
#include "qemu-confine.h"
#include "qemu-domain.h"
#include "qemu-hotplug-internal.h"
#include "qemu-monitor.h"
#include "qemu-net-direct.h"
#include "qemu-passt.h"
#include "qemu-pr-helper.h"
#include "qemu-security.h"
#include "qemu-virtiofs.h"
#include "storaged-client.h"
#include "util.h"

typedef struct PlugRecord {
        DomainHandle *handle;
        char *alias, *kind;
        pid_t pid;                /* the QEMU it is for */
        json_object *undo;        /* the plug's undo list: QMP commands */
        char *port;               /* networkd's port, released */
        char *direct, *direct_source; /* a macvtap made, deleted */
        unsigned direct_mode;
        uint8_t mac[6];
        char *lease;              /* a lease asked for, released */
        char *disk;               /* an image given to QEMU's user, given back */
        char *pool, *volume;      /* a volume disk: storaged learns this guest does not use it */
        bool passt;               /* the interface's passt, stopped */
        bool virtiofsd;           /* a share's virtiofsd, stopped */
        bool pr;                  /* the guest's qemu-pr-helper, started for it: ended */
        char *key;                /* the guest's master key file, written for it: removed */
        json_object *nodes;       /* a host device's nodes given to QEMU, taken back */
        bool deleting;            /* found in QEMU after a restart: device_del sent */
        struct PlugRecord *next;
} PlugRecord;

static PlugRecord *records;

static PlugRecord *record_free(PlugRecord *r) {
        domain_handle_unref(r->handle);
        free(r->alias);
        free(r->kind);
        json_object_put(r->undo);
        free(r->port);
        free(r->direct);
        free(r->direct_source);
        free(r->lease);
        free(r->disk);
        free(r->pool);
        free(r->volume);
        free(r->key);
        json_object_put(r->nodes);
        return mfree(r);
}

/* Of d's QEMU: a record of a domain gone, or of a QEMU no longer running, is
 * nobody's. */
static bool record_of(const PlugRecord *r, const Domain *d) {
        return r->handle->owner == d && d->pid > 0 && r->pid == d->pid;
}

static PlugRecord *record_find(Domain *d, const char *alias) {
        for (PlugRecord *r = records; r; r = r->next)
                if (record_of(r, d) && streq_ptr(r->alias, alias))
                        return r;
        return NULL;
}

static void record_unlink(PlugRecord *r) {
        for (PlugRecord **i = &records; *i; i = &(*i)->next)
                if (*i == r) {
                        *i = r->next;
                        break;
                }
        record_free(r);
}

static int set_str(char **to, const char *s) {
        char *n = s ? strdup(s) : NULL;

        if (s && !n)
                return -ENOMEM;
        free_and_replace_str(to, n);
        return 0;
}

/* A disk whose source is a file or node of the host, given to QEMU's user. */
static bool host_image(const DomainDiskDef *disk) {
        return disk->type == DOMAIN_DISK_TYPE_FILE || disk->type == DOMAIN_DISK_TYPE_BLOCK ||
               disk->type == DOMAIN_DISK_TYPE_VOLUME;
}

/* What p made, or is about to make, on the host. */
static int record_fill(PlugRecord *r, const Plug *p) {
        const DomainDiskDef *disk = p->ref.family == QEMU_DEVICE_DISK ? &p->live->disks[p->ref.index] : NULL;
        const DomainNetDef *net = p->ref.family == QEMU_DEVICE_NET ? &p->live->nets[p->ref.index] : NULL;
        int k = 0;

        json_object_put(r->undo);
        r->undo = json_object_get(p->undo);
        /* before the lease is asked for, and the disk given: the undo of
         * what was not done yet harms nothing */
        k |= set_str(&r->lease, p->lease_path ?: disk && hotplug_disk_needs_lease(disk) ? disk->src : NULL);
        k |= set_str(&r->disk, disk && host_image(disk) ? disk->src : NULL);
        /* storaged is told the guest uses it once the plug runs */
        k |= set_str(&r->pool, disk && disk->type == DOMAIN_DISK_TYPE_VOLUME ? disk->src_pool : NULL);
        k |= set_str(&r->volume, r->pool ? disk->src_volume : NULL);
        k |= set_str(&r->port, p->port_uuid);
        k |= set_str(&r->direct, p->direct_made ? net->ifname : NULL);
        k |= set_str(&r->direct_source, p->direct_made ? net->source : NULL);
        if (p->direct_made) {
                r->direct_mode = net->opts.direct_mode;
                memcpy(r->mac, net->mac, 6);
        }
        r->passt = p->passt_started;
        r->virtiofsd = p->fs_started;
        r->pr = p->pr_started;
        k |= set_str(&r->key, hotplug_secrets_key_path(p));
        json_object_put(r->nodes);
        r->nodes = NULL;
        for (size_t i = 0; p->hostdev_nodes && p->hostdev_nodes[i]; i++) {
                if (!r->nodes && !(r->nodes = json_object_new_array()))
                        return -ENOMEM;
                json_object_array_add(r->nodes, json_object_new_string(p->hostdev_nodes[i]));
        }
        return k < 0 ? -ENOMEM : 0;
}

int hotplug_plug_record(Plug *p, Domain *d) {
        PlugRecord *r = record_find(d, p->alias);
        bool new = !r;
        int k;

        if (new) {
                r = calloc(1, sizeof(*r));
                if (!r)
                        return -ENOMEM;
                r->pid = d->pid;
                r->handle = domain_handle_get(&d->handle, d);
                r->alias = strdup(p->alias);
                r->kind = strdup(p->ref.kind);
                if (!r->handle || !r->alias || !r->kind) {
                        record_free(r);
                        return -ENOMEM;
                }
        }
        k = record_fill(r, p);
        if (k < 0) {
                if (new)
                        record_free(r);
                return k;
        }
        if (new) {
                r->next = records;
                records = r;
        }
        return domain_status_save(d);
}

void hotplug_plug_record_drop(Plug *p, bool save) {
        Domain *d = p->handle ? p->handle->owner : NULL;

        /* also one of a QEMU gone meanwhile: nobody else frees it */
        for (PlugRecord *r = records; d && p->alias && r; r = r->next)
                if (r->handle->owner == d && streq_ptr(r->alias, p->alias)) {
                        record_unlink(r);
                        if (save)
                                (void) domain_status_save(d);
                        return;
                }
}

/* ---- a test's window ---- */

/* A test's window for a SIGKILL of qemud in the middle of a plug:
 * VIRTBUS_TEST_PLUG_PAUSE=<alias> in qemud's environment holds the plug of
 * that alias right before its device_add, for ever; <alias>:after holds it
 * once QEMU answered the device_add (QEMU has the device). Read once. */
static const char *plug_pause_alias(bool *after) {
        static bool read, is_after;
        static char alias[256];

        if (!read) {
                const char *v = getenv("VIRTBUS_TEST_PLUG_PAUSE") ?: "";

                is_after = endswith(v, ":after");
                snprintf(alias, sizeof(alias), "%.*s", (int) (strlen(v) - (is_after ? strlen(":after") : 0)), v);
                read = true;
        }
        *after = is_after;
        return alias[0] ? alias : NULL;
}

bool hotplug_plug_held(json_object *c, bool answered) {
        bool after;
        const char *alias = plug_pause_alias(&after);
        json_object *exe, *args, *id;

        if (!alias || after != answered || !json_object_object_get_ex(c, "execute", &exe) ||
            !streq(json_object_get_string(exe), "device_add") || !json_object_object_get_ex(c, "arguments", &args) ||
            !json_object_object_get_ex(args, "id", &id) || !streq_ptr(json_object_get_string(id), alias))
                return false;
        log_info("Plug of %s held %s its device_add (VIRTBUS_TEST_PLUG_PAUSE)", alias, after ? "after" : "before");
        return true;
}

/* ---- the live state ---- */

static char *json_escaped(json_object *o, const char *none) {
        return domain_status_escape(o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : none);
}

/* ' name='value'' of a value escaped, "" when there is none */
static int attr(char **s, const char *name, const char *value) {
        _cleanup_free_ char *v = NULL;
        char *n;

        if (!value)
                return 0;
        v = domain_status_escape(value);
        if (!v || asprintf(&n, "%s %s='%s'", *s, name, v) < 0)
                return -ENOMEM;
        free_and_replace_str(s, n);
        return 0;
}

static int format_one(const PlugRecord *r, char **s) {
        _cleanup_free_ char *a = strdup(""), *undo = json_escaped(r->undo, "[]"),
                            *nodes = r->nodes ? json_escaped(r->nodes, NULL) : NULL;
        char mac[32], mode[16], *n;
        int k = a && undo && (!r->nodes || nodes) ? 0 : -ENOMEM;

        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", r->mac[0], r->mac[1], r->mac[2], r->mac[3],
                 r->mac[4], r->mac[5]);
        snprintf(mode, sizeof(mode), "%u", r->direct_mode);
        if (k >= 0)
                k = attr(&a, "alias", r->alias) | attr(&a, "kind", r->kind) |
                    attr(&a, "deleting", r->deleting ? "yes" : NULL) | attr(&a, "port", r->port) |
                    attr(&a, "direct", r->direct) | attr(&a, "direct-source", r->direct ? r->direct_source : NULL) |
                    attr(&a, "direct-mode", r->direct ? mode : NULL) | attr(&a, "mac", r->direct ? mac : NULL) |
                    attr(&a, "lease", r->lease) | attr(&a, "disk", r->disk) | attr(&a, "pool", r->pool) |
                    attr(&a, "volume", r->pool ? r->volume : NULL) |
                    attr(&a, "passt", r->passt ? "yes" : NULL) | attr(&a, "virtiofsd", r->virtiofsd ? "yes" : NULL) |
                    attr(&a, "pr", r->pr ? "yes" : NULL) | attr(&a, "key", r->key);
        if (k < 0 || asprintf(&n, "%s  <plug%s pid='%d'%s%s%s undo='%s'/>\n", *s, a, (int) r->pid,
                              nodes ? " nodes='" : "", nodes ?: "", nodes ? "'" : "", undo) < 0)
                return -ENOMEM;
        free_and_replace_str(s, n);
        return 0;
}

int hotplug_plug_records_format(Domain *d, char **s) {
        for (PlugRecord *r = records; r; r = r->next)
                if (record_of(r, d) && format_one(r, s) < 0)
                        return -ENOMEM;
        return 0;
}

static char *prop(xmlNodePtr n, const char *name) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *) name);
        char *s = v ? strdup((const char *) v) : NULL;

        xmlFree(v);
        return s;
}

static json_object *prop_json_array(xmlNodePtr n, const char *name) {
        _cleanup_free_ char *v = prop(n, name);
        json_object *o = v ? json_tokener_parse(v) : NULL;

        if (o && !json_object_is_type(o, json_type_array)) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static bool direct_readable(PlugRecord *r, const char *mode, const char *mac, int *m) {
        return r->direct_source && mode && safe_atoi(mode, m) >= 0 && *m >= 0 && mac && mac_parse(mac, r->mac) >= 0;
}

int hotplug_plug_record_parse(Domain *d, xmlNodePtr n) {
        _cleanup_free_ char *pid = prop(n, "pid"), *mode = prop(n, "direct-mode"), *mac = prop(n, "mac"),
                            *passt = prop(n, "passt"), *deleting = prop(n, "deleting"),
                            *virtiofsd = prop(n, "virtiofsd"), *pr = prop(n, "pr");
        PlugRecord *r = calloc(1, sizeof(*r));
        int p, m = 0;

        if (!r)
                return -ENOMEM;
        r->alias = prop(n, "alias");
        r->kind = prop(n, "kind");
        r->undo = prop_json_array(n, "undo");
        r->port = prop(n, "port");
        r->direct = prop(n, "direct");
        r->direct_source = prop(n, "direct-source");
        r->lease = prop(n, "lease");
        r->disk = prop(n, "disk");
        r->pool = prop(n, "pool");
        r->volume = prop(n, "volume");
        r->nodes = prop_json_array(n, "nodes");
        r->passt = streq_ptr(passt, "yes");
        r->virtiofsd = streq_ptr(virtiofsd, "yes");
        r->pr = streq_ptr(pr, "yes");
        r->key = prop(n, "key");
        r->deleting = streq_ptr(deleting, "yes");
        if (!r->alias || !r->kind || !r->undo || !pid || safe_atoi(pid, &p) < 0 || (r->pool && !r->volume) ||
            (r->direct && !direct_readable(r, mode, mac, &m))) {
                log_warning("Domain %s: ignoring an unreadable <plug> in its live state", d->def->name);
                record_free(r);
                return 0;
        }
        r->pid = p;
        r->direct_mode = (unsigned) m;
        r->handle = domain_handle_get(&d->handle, d);
        if (!r->handle) {
                record_free(r);
                return -ENOMEM;
        }
        r->next = records;
        records = r;
        return 0;
}

/* ---- after a restart ---- */

/* The host-side steps taken back, as attach_failed() does for a plug that
 * failed while qemud ran. */
static void undo_host_side(Domain *d, const PlugRecord *r) {
        char msg[512];

        if (r->nodes) {
                _cleanup_strv_free_ char **nodes = calloc(json_object_array_length(r->nodes) + 1, sizeof(char *));

                for (size_t i = 0; nodes && i < json_object_array_length(r->nodes); i++)
                        nodes[i] = strdup(json_object_get_string(json_object_array_get_idx(r->nodes, i)) ?: "");
                if (nodes) {
                        qemu_security_restore_hostdev_nodes(d, nodes);
                        if (qemu_confine_hostdev(d, nodes, false, msg, sizeof(msg)) < 0)
                                log_warning("Domain %s: %s", d->def->name, msg);
                }
        }
        if (r->disk) {
                struct stat st;

                if (stat(r->disk, &st) >= 0)
                        qemu_security_blockjob_take(d, r->disk, DOMAIN_DISK_FORMAT_RAW, S_ISBLK(st.st_mode));
        }
        hotplug_release_lease(d, r->lease);
        if (r->pool)
                (void) storaged_set_in_use_async(d->manager->bus, r->pool, r->volume, d->uuid_str, false, NULL, NULL,
                                                 NULL);
        if (r->passt)
                qemu_passt_stop_alias(d, r->alias);
        if (r->virtiofsd) {
                DomainFsDef fs = { .virtiofs = true, .alias = r->alias, .dst = r->alias };

                qemu_virtiofs_stop_one(d, &fs);
        }
        if (r->pr)
                qemu_pr_helper_end(d);
        if (r->key)
                (void) unlink(r->key);
        if (r->port)
                (void) networkd_release_port_async(d->manager->bus, r->port, NULL, NULL, NULL);
        if (r->direct) {
                DomainNetDef net = { .type = DOMAIN_NET_DIRECT, .ifname = r->direct, .source = r->direct_source };

                net.opts.direct_mode = r->direct_mode;
                memcpy(net.mac, r->mac, 6);
                qemu_net_direct_delete(d->manager->rundir, d->def->name, &net);
        }
}

static void undo_and_drop(Domain *d, PlugRecord *r) {
        log_info("Domain %s: taking back the plug of %s that qemud left half done", d->def->name, r->alias);
        hotplug_send_quietly(d, r->undo, 0);
        undo_host_side(d, r);
        record_unlink(r);
        (void) domain_status_save(d);
}

static void plug_rechecked(Domain *d, const char *alias, bool listed) {
        PlugRecord *r = record_find(d, alias);
        json_object *args;

        if (r && !listed)
                undo_and_drop(d, r);
        else if (r && hotplug_id_args(alias, &args) >= 0) {
                /* in QEMU, not in the live XML: it goes, then what it used */
                log_info("Domain %s: %s was plugged while qemud went down: unplugging it", d->def->name, alias);
                (void) qemu_monitor_command(qemu_domain(d)->mon, "device_del", args, NULL, NULL);
                r->deleting = true;
                (void) domain_status_save(d);
        }
}

void hotplug_plug_records_recover(Domain *d) {
        for (PlugRecord *r = records; r; r = r->next)
                if (record_of(r, d) && hotplug_ask_listed(d, r->alias, plug_rechecked) < 0)
                        log_warning("Domain %s: cannot ask QEMU whether %s was plugged", d->def->name, r->alias);
}

bool hotplug_plug_record_deleted(Domain *d, const char *alias) {
        PlugRecord *r = record_find(d, alias);

        if (!r || !r->deleting)
                return false;
        undo_and_drop(d, r);
        return true;
}

/* The guest stops with a plug still recorded (its QEMU died, or stopped
 * while the plug was being taken back): what the plug took on the host
 * goes back; QEMU has nothing left to undo. */
void hotplug_plug_records_stopped(Domain *d) {
        PlugRecord *next;

        for (PlugRecord *r = records; r; r = next) {
                next = r->next;
                if (r->handle->owner != d)
                        continue;
                log_info("Domain %s: taking back what the unfinished plug of %s took on the host", d->def->name,
                         r->alias);
                undo_host_side(d, r);
                record_unlink(r);
        }
}
