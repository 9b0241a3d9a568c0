/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemud's security labels: checks, the start step, the stop, the labels. */
#include <fcntl.h>
#include <sys/stat.h>

#include "conf-file.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "qemu-apparmor.h"
#include "qemu-domain.h"
#include "qemu-hostdev-nodes.h"
#include "qemu-security.h"
#include "security-dac.h"
#include "security-manager.h"
#include "security-selinux.h"
#include "util.h"
#include "xml-util.h"

/* The last settings read: the capabilities show them. */
static SecurityConf last_conf = {
        .dynamic_ownership = true,
        .remember_owner = true,
        .primary = SECURITY_MODEL_NONE,
};

static int load_conf(Manager *m, SecurityConf *c, ConfError *err) {
        int r;

        security_conf_init(c);
        r = conf_load_file(m->paths.confdir, "qemud.conf", security_conf_apply, c);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s", m->paths.confdir,
                               c->bad[0] ? c->bad : strerror(-r));
                return r;
        }
        if (!security_model_available(c->primary)) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED,
                               "unsupported configuration: security driver '%s' (qemud.conf) is not available on this host",
                               security_model_to_string(c->primary));
                return -EOPNOTSUPP;
        }
        last_conf = *c;
        return 0;
}

/* ---- checks --------------------------------------------------------------- */

/* A model qemud knows, at define time; libvirt's define keeps a label of a
 * model this host lacks and its start refuses it (virSecurityManagerCheckAllLabel),
 * so a definition written for an SELinux host can be kept here. */
static int check_model(const char *model, const char *what, bool at_start, ConfError *err) {
        int m;

        if (!model)
                return 0;
        m = security_model_from_string(model);
        if (m < 0) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED,
                               "unsupported configuration: security model '%s' of %s is not known "
                               "(dac, selinux, apparmor or none)", model, what);
                return -EOPNOTSUPP;
        }
        if (at_start && !security_model_available(m)) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED,
                               "unsupported configuration: security model '%s' of %s is not available on this host%s",
                               model, what, m == SECURITY_MODEL_SELINUX ? " (its kernel runs no SELinux)" :
                               m == SECURITY_MODEL_APPARMOR ? " (its kernel runs no AppArmor)" : "");
                return -EOPNOTSUPP;
        }
        return 0;
}

static int check_label(const char *model, const char *label, const char *what, ConfError *err) {
        uid_t u;
        gid_t g;
        int r = 0;

        if (!label)
                return 0;
        if (streq_ptr(model, "dac"))
                r = security_dac_parse_label(label, &u, &g);
        else if (streq_ptr(model, "selinux"))
                r = selinux_context_check(label);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: %s label '%s' of %s is not valid%s",
                               model, label, what,
                               r == -ESRCH ? ": no such user or group" :
                               streq_ptr(model, "dac") ? ": use '+uid:+gid' or 'user:group'" : "");
                return -EINVAL;
        }
        return 0;
}

static int check_dev_labels(const DomainDevSeclabelDef *labels, size_t n, const char *what, bool at_start,
                            ConfError *err) {
        for (size_t j = 0; j < n; j++) {
                int r = check_model(labels[j].model, what, at_start, err);

                if (r >= 0)
                        r = check_label(labels[j].model ? labels[j].model : "dac", labels[j].label, what, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_labels(const DomainDef *def, bool at_start, ConfError *err) {
        char what[128];
        int r;

        for (size_t i = 0; i < def->n_seclabels; i++) {
                const DomainSeclabelDef *s = &def->seclabels[i];

                snprintf(what, sizeof(what), "domain '%s'", def->name ? def->name : "");
                r = check_model(s->model, what, at_start, err);
                if (r >= 0 && s->type == DOMAIN_SECLABEL_STATIC)
                        r = check_label(s->model ? s->model : "dac", s->label, what, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_chrs; i++) {
                snprintf(what, sizeof(what), "%s %zu", domain_chr_kind_to_string(def->chrs[i].kind), i);
                r = check_dev_labels(def->chrs[i].seclabels, def->chrs[i].n_seclabels, what, at_start, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_disks; i++) {
                snprintf(what, sizeof(what), "disk '%s'", def->disks[i].dst ? def->disks[i].dst : "");
                r = check_dev_labels(def->disks[i].seclabels, def->disks[i].n_seclabels, what, at_start, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_security_validate(const DomainDef *def, ConfError *err) {
        return check_labels(def, false, err);
}

/* ---- the files ------------------------------------------------------------ */

typedef struct Owned {
        char *path;
        uid_t uid;
        gid_t gid;
} Owned;

typedef struct OwnedList {
        Owned *items;
        size_t n;
} OwnedList;

static void owned_list_done(OwnedList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].path);
        l->items = mfree(l->items);
        l->n = 0;
}

static int owned_add(OwnedList *l, const char *path, uid_t uid, gid_t gid) {
        Owned *a;

        if (!path)
                return 0;
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].path, path))
                        return 0;       /* a file given twice would count twice */
        a = realloc(l->items, (l->n + 1) * sizeof(Owned));
        if (!a)
                return -ENOMEM;
        l->items = a;
        a[l->n] = (Owned) { strdup(path), uid, gid };
        if (!a[l->n].path)
                return -ENOMEM;
        l->n++;
        return 0;
}

/* A disk and its backing chain, to the disk's own label if it has one;
 * none at all with relabel='no'. */
static int add_disk(OwnedList *l, const DomainDiskDef *disk, uid_t uid, gid_t gid) {
        const DomainDevSeclabelDef *s = domain_dev_seclabel_find(disk->seclabels, disk->n_seclabels, "dac");
        _cleanup_strv_free_ char **chain = NULL;
        int r;

        if (!disk->src || (s && !domain_dev_seclabel_relabel(s)))
                return 0;
        if (s && s->label && security_dac_parse_label(s->label, &uid, &gid) < 0)
                return -EINVAL;
        r = owned_add(l, disk->src, uid, gid);
        if (r < 0 || disk->format != DOMAIN_DISK_FORMAT_QCOW2)
                return r;
        r = security_image_backing_chain(disk->src, &chain);
        if (r < 0)
                log_warning("Cannot read the backing chain of %s: %s", disk->src, strerror(-r));
        for (size_t i = 0; chain && chain[i]; i++)
                if ((r = owned_add(l, chain[i], uid, gid)) < 0)
                        return r;
        return 0;
}

/* A serial's file or tty, or the socket a chardev connects to, to its own
 * <source><seclabel model='dac'> label if it has one; none with
 * relabel='no' (libvirt's DAC driver does the same). */
static int add_chr(OwnedList *l, const DomainChrDef *chr, uid_t uid, gid_t gid) {
        const DomainDevSeclabelDef *s = domain_dev_seclabel_find(chr->seclabels, chr->n_seclabels, "dac");
        bool file = chr->type == DOMAIN_CHR_FILE || chr->type == DOMAIN_CHR_DEV;
        bool peer = chr->type == DOMAIN_CHR_UNIX && !chr->listen;

        if ((!file && !peer) || !chr->path || access(chr->path, F_OK) < 0 ||
            (s && !domain_dev_seclabel_relabel(s)))
                return 0;
        /* a connecting socket is relabelled only when its label says so */
        if (peer && !(s && s->label))
                return 0;
        if (s && s->label && security_dac_parse_label(s->label, &uid, &gid) < 0)
                return -EINVAL;
        return owned_add(l, chr->path, uid, gid);
}

/* A host device's nodes and a passthrough TPM's cancel file, as
 * libvirt's DAC driver gives them; not VFIO's container, which every VFIO
 * user opens (0666). A node the host lacks is skipped: the start's checks
 * name it. */
static int add_hostdevs(OwnedList *l, const DomainDef *def, uid_t uid, gid_t gid) {
        _cleanup_strv_free_ char **nodes = NULL;
        int r = qemu_hostdev_nodes(def, qemu_hostdev_sysfs_root(), &nodes);

        for (size_t i = 0; r >= 0 && nodes && nodes[i]; i++)
                if (!streq(nodes[i], QEMU_VFIO_CONTAINER) && access(nodes[i], F_OK) == 0)
                        r = owned_add(l, nodes[i], uid, gid);
        for (size_t i = 0; r >= 0 && i < def->n_tpms; i++) {
                const char *dev = def->tpms[i].path ?: "/dev/tpm0";
                _cleanup_free_ char *cancel = NULL;

                if (def->tpms[i].backend != DOMAIN_TPM_PASSTHROUGH)
                        continue;
                if (asprintf(&cancel, "/sys/class/tpm/%s/device/cancel", strrchr(dev, '/') + 1) < 0)
                        return -ENOMEM;
                if (access(cancel, F_OK) == 0)
                        r = owned_add(l, cancel, uid, gid);
        }
        return r;
}

/* What libvirt's DAC driver gives QEMU: disks with their chains, kernel,
 * initrd, NVRAM, the files serials write to, host devices. Sockets and the log reach
 * QEMU as open fds; its pidfile is made for it (make_pidfile). */
static int collect(const DomainDef *def, uid_t uid, gid_t gid, OwnedList *l) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_disks; i++)
                r = add_disk(l, &def->disks[i], uid, gid);
        if (r >= 0)
                r = owned_add(l, def->os.kernel, uid, gid);
        if (r >= 0)
                r = owned_add(l, def->os.initrd, uid, gid);
        if (r >= 0)
                r = owned_add(l, def->os.nvram, uid, gid);
        if (r >= 0) /* <os><acpi><table> */
                r = owned_add(l, def->os.acpi_slic, uid, gid);
        for (size_t i = 0; r >= 0 && i < def->n_chrs; i++)
                r = add_chr(l, &def->chrs[i], uid, gid);
        if (r >= 0)
                r = add_hostdevs(l, def, uid, gid);
        return r;
}

static void restore_list(const OwnedList *l, size_t upto, bool remember) {
        for (size_t i = upto; i > 0; i--) {
                int r = security_dac_restore_owner(l->items[i - 1].path, remember);
                if (r < 0)
                        log_warning("Cannot give %s back to its owner: %s", l->items[i - 1].path, strerror(-r));
        }
}

/* A serial's file that is not there yet is made (root's, 0600) so that it
 * can be given to QEMU's user: QEMU could not make it in a folder of root's. */
static void make_chr_files(const DomainDef *def) {
        for (size_t i = 0; i < def->n_chrs; i++) {
                const DomainChrDef *chr = &def->chrs[i];
                int fd;

                if (chr->type != DOMAIN_CHR_FILE || !chr->path)
                        continue;
                fd = open(chr->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd >= 0)
                        close(fd);
        }
}

/* QEMU writes its pid with -pidfile, as its user: the file is made here. */
static int make_pidfile(Domain *d, uid_t uid, gid_t gid) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;

        if (asprintf(&path, "%s/%s.pid", d->manager->rundir, d->def->name) < 0)
                return -ENOMEM;
        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (fchown(fd, uid, gid) < 0)
                return -errno;
        return 0;
}

/* ---- the labels ----------------------------------------------------------- */

/* The DAC label of the live definition: the one given (any model-less label
 * is taken as dac while the primary is none), else a new implicit one. It
 * is taken out of the list (the caller puts it back once the files are
 * given). */
static int take_dac_label(DomainDef *live, const SecurityConf *c, DomainSeclabelDef *ret) {
        for (size_t i = 0; i < live->n_seclabels; i++) {
                DomainSeclabelDef *s = &live->seclabels[i];

                if (!s->model && c->primary == SECURITY_MODEL_NONE) {
                        s->model = strdup("dac");
                        if (!s->model)
                                return -ENOMEM;
                }
                if (streq_ptr(s->model, "dac")) {
                        *ret = *s;
                        memmove(s, s + 1, (live->n_seclabels - i - 1) * sizeof(*s));
                        live->n_seclabels--;
                        return 0;
                }
        }
        *ret = (DomainSeclabelDef) { .model = strdup("dac"), .type = DOMAIN_SECLABEL_DYNAMIC, .relabel = 1,
                                     .implicit = true };
        return ret->model ? 0 : -ENOMEM;
}

/* The model's lists keep a power of two of capacity (domain-conf-internal.h). */
static int put_label(DomainDef *live, DomainSeclabelDef *s) {
        size_t cap = 1;

        while (cap < live->n_seclabels + 1)
                cap *= 2;
        DomainSeclabelDef *a = realloc(live->seclabels, cap * sizeof(*a));

        if (!a)
                return -ENOMEM;
        live->seclabels = a;
        a[live->n_seclabels++] = *s;
        *s = (DomainSeclabelDef) {};
        return 0;
}

static int label_ids(const DomainSeclabelDef *s, uid_t *uid, gid_t *gid) {
        return security_dac_parse_label(s->label, uid, gid);
}

/* A dynamic SELinux label: a category pair none of the running guests
 * has (their live definitions say which), kept in the live definition.
 * Only on a host with SELinux: elsewhere the model is refused before. */
static int selinux_gen_label(Domain *d, ConfError *err) {
        DomainSeclabelDef *s = NULL;
        SelinuxMcsSet used = {};
        unsigned c1, c2;
        int r;

        for (size_t i = 0; i < d->live->n_seclabels; i++)
                if (streq_ptr(d->live->seclabels[i].model, "selinux"))
                        s = &d->live->seclabels[i];
        if (!s || domain_seclabel_type(s) != DOMAIN_SECLABEL_DYNAMIC)
                return 0;
        for (size_t i = 0; i < d->manager->n_domains; i++) {
                const Domain *o = d->manager->domains[i];
                const DomainSeclabelDef *os = o != d && o->live ?
                        domain_seclabel_find(o->live->seclabels, o->live->n_seclabels, "selinux") : NULL;

                if (os && os->label && selinux_context_mcs(os->label, &c1, &c2) >= 0)
                        (void) selinux_mcs_reserve(&used, c1, c2);
        }
        r = selinux_mcs_allocate(&used, &c1, &c2);
        selinux_mcs_set_done(&used);
        if (r >= 0) {
                free(s->label);
                free(s->imagelabel);
                s->label = s->imagelabel = NULL;
                r = selinux_dynamic_labels(s->baselabel, c1, c2, &s->label, &s->imagelabel);
        }
        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot pick an SELinux label for domain '%s': %s",
                               d->def->name, strerror(-r));
        return r;
}

int qemu_security_start(Domain *d, ConfError *err) {
        _cleanup_(domain_seclabel_clear) DomainSeclabelDef s = {};
        _cleanup_(owned_list_done) OwnedList l = {};
        char label[32];
        SecurityConf c;
        uid_t uid;
        gid_t gid;
        int r;

        r = load_conf(d->manager, &c, err);
        if (r >= 0)
                r = check_labels(d->live, true, err);
        if (r >= 0)
                r = selinux_gen_label(d, err);
        if (r < 0)
                return r;
        r = take_dac_label(d->live, &c, &s);
        if (r < 0)
                return r;
        if (domain_seclabel_type(&s) == DOMAIN_SECLABEL_STATIC) {
                if (label_ids(&s, &uid, &gid) < 0) {
                        conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: dac label '%s' of domain '%s' "
                                       "is not valid", s.label, d->def->name);
                        return -EINVAL;
                }
        } else {
                uid = c.user;
                gid = c.group;
                security_dac_format_label(uid, gid, label, sizeof(label));
                free_and_replace_str(&s.label, strdup(label));
        }
        if (!s.imagelabel)
                s.imagelabel = strdup(s.label);
        if (!s.label || !s.imagelabel)
                return -ENOMEM;
        /* relabel='no' (or dynamic_ownership = 0): the files stay as they are */
        if (!c.dynamic_ownership)
                s.relabel = 0;
        if (domain_seclabel_type(&s) != DOMAIN_SECLABEL_NONE && domain_seclabel_relabel(&s)) {
                uid_t iu;
                gid_t ig;

                if (security_dac_parse_label(s.imagelabel, &iu, &ig) < 0) {
                        conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: dac imagelabel '%s' of domain '%s' "
                                       "is not valid", s.imagelabel, d->def->name);
                        return -EINVAL;
                }
                make_chr_files(d->live);
                r = collect(d->live, iu, ig, &l);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < l.n; i++) {
                        r = security_dac_set_owner(l.items[i].path, l.items[i].uid, l.items[i].gid, c.remember_owner);
                        if (r < 0) {
                                conf_error_set(err, VB_ERROR_OPERATION_FAILED,
                                               "cannot give '%s' to QEMU's user +%u:+%u for domain '%s': %s",
                                               l.items[i].path, (unsigned) l.items[i].uid,
                                               (unsigned) l.items[i].gid, d->def->name, strerror(-r));
                                restore_list(&l, i, c.remember_owner);
                                return r;
                        }
                }
        }
        if (d->live->virt_type == DOMAIN_VIRT_KVM && uid != 0) {
                _cleanup_free_ gid_t *groups = NULL;
                size_t n = 0;

                r = security_dac_groups(uid, gid, true, &groups, &n);
                if (r >= 0 && !security_dac_may_open("/dev/kvm", uid, gid, groups, n)) {
                        conf_error_set(err, VB_ERROR_OPERATION_FAILED,
                                       "QEMU's user +%u:+%u cannot open /dev/kvm for domain '%s': give the node "
                                       "a kvm group with mode 0660, or use domain type 'qemu'",
                                       (unsigned) uid, (unsigned) gid, d->def->name);
                        r = -EACCES;
                }
                if (r < 0) {
                        restore_list(&l, l.n, c.remember_owner);
                        return r;
                }
        }
        r = make_pidfile(d, uid, gid);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot make the pidfile of '%s' in %s: %s",
                               d->def->name, d->manager->rundir, strerror(-r));
                restore_list(&l, l.n, c.remember_owner);
                return r;
        }
        /* QEMU's profile, made from what it was just given */
        r = qemu_apparmor_start(d, c.primary, err);
        if (r < 0) {
                restore_list(&l, l.n, c.remember_owner);
                return r;
        }
        /* From here the live state says the files are given. */
        r = put_label(d->live, &s);
        if (r < 0) {
                restore_list(&l, l.n, c.remember_owner);
                return r;
        }
        (void) domain_status_save(d);
        return 0;
}

static const DomainSeclabelDef *dac_label(const DomainDef *live) {
        return live ? domain_seclabel_find(live->seclabels, live->n_seclabels, "dac") : NULL;
}

void qemu_security_stop(Domain *d) {
        _cleanup_(owned_list_done) OwnedList l = {};
        const DomainSeclabelDef *s = dac_label(d->live);
        ConfError err = {};
        SecurityConf c;
        uid_t uid;
        gid_t gid;

        qemu_apparmor_stop(d);
        if (!s || domain_seclabel_type(s) == DOMAIN_SECLABEL_NONE || !domain_seclabel_relabel(s))
                return;
        if (load_conf(d->manager, &c, &err) < 0) {
                log_warning("%s; giving %s's files back as remembered", err.message, d->def->name);
                security_conf_init(&c);
        }
        if (!s->imagelabel || security_dac_parse_label(s->imagelabel, &uid, &gid) < 0 ||
            collect(d->live, uid, gid, &l) < 0) {
                log_warning("Cannot list the files of %s to give them back", d->def->name);
                return;
        }
        restore_list(&l, l.n, c.remember_owner);
        /* a copy's destination still in <mirror> (QEMU gone before its
         * job's end was seen): given as a disk of its own, so back alone */
        for (size_t i = 0; i < d->live->n_disks; i++) {
                const DomainDiskMirror *m = d->live->disks[i].mirror;
                _cleanup_(owned_list_done) OwnedList ml = {};
                DomainDiskDef dest = {};

                if (!m || !streq_ptr(m->job, "copy") || !m->path || access(m->path, F_OK) < 0)
                        continue;
                dest = (DomainDiskDef) { .src = m->path, .format = m->format, .type = m->type };
                if (add_disk(&ml, &dest, uid, gid) >= 0)
                        restore_list(&ml, ml.n, c.remember_owner);
        }
        /* once only, whatever calls this again */
        for (size_t i = 0; i < d->live->n_seclabels; i++)
                if (&d->live->seclabels[i] == s)
                        d->live->seclabels[i].relabel = 0;
}

/* QEMU's profile replaced, with the files of l (a disk given while it
 * runs) allowed besides its live definition's. */
static int reload_apparmor(Domain *d, const SecurityConf *c, const OwnedList *l, ConfError *err) {
        _cleanup_strv_free_ char **extra = NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && l && i < l->n; i++)
                r = strv_extend(&extra, l->items[i].path);
        if (r >= 0)
                r = qemu_apparmor_reload(d, c->primary, extra, err->message, sizeof(err->message));
        if (r < 0 && !err->name)
                err->name = VB_ERROR_OPERATION_FAILED;
        return r;
}

/* What a hot-plug gives QEMU's user: l, each path in turn, then AppArmor's
 * profile; all given back if a step fails. */
static int give_list(Domain *d, const SecurityConf *c, const OwnedList *l, ConfError *err) {
        int r;

        for (size_t i = 0; i < l->n; i++) {
                r = security_dac_set_owner(l->items[i].path, l->items[i].uid, l->items[i].gid, c->remember_owner);
                if (r < 0) {
                        conf_error_set(err, VB_ERROR_OPERATION_FAILED,
                                       "cannot give '%s' to QEMU's user +%u:+%u for domain '%s': %s",
                                       l->items[i].path, (unsigned) l->items[i].uid, (unsigned) l->items[i].gid,
                                       d->def->name, strerror(-r));
                        restore_list(l, i, c->remember_owner);
                        return r;
                }
        }
        r = reload_apparmor(d, c, l, err);
        if (r < 0)
                restore_list(l, l->n, c->remember_owner);
        return r;
}

int qemu_security_set_disk(Domain *d, const DomainDiskDef *disk, ConfError *err) {
        _cleanup_(owned_list_done) OwnedList l = {};
        const DomainSeclabelDef *s = dac_label(d->live);
        SecurityConf c;
        uid_t uid;
        gid_t gid;
        int r;

        if (!s || domain_seclabel_type(s) == DOMAIN_SECLABEL_NONE || !domain_seclabel_relabel(s))
                return 0;
        r = load_conf(d->manager, &c, err);
        if (r < 0)
                return r;
        if (!s->imagelabel || security_dac_parse_label(s->imagelabel, &uid, &gid) < 0)
                return -EINVAL;
        r = add_disk(&l, disk, uid, gid);
        if (r < 0)
                return r;
        return give_list(d, &c, &l, err);
}

void qemu_security_restore_disk(Domain *d, const DomainDiskDef *disk) {
        _cleanup_(owned_list_done) OwnedList l = {};
        const DomainSeclabelDef *s = dac_label(d->live);
        ConfError err = {};
        SecurityConf c;
        uid_t uid;
        gid_t gid;

        if (!s || domain_seclabel_type(s) == DOMAIN_SECLABEL_NONE || !domain_seclabel_relabel(s) ||
            !s->imagelabel || security_dac_parse_label(s->imagelabel, &uid, &gid) < 0)
                return;
        if (load_conf(d->manager, &c, &err) < 0)
                security_conf_init(&c);
        if (add_disk(&l, disk, uid, gid) >= 0)
                restore_list(&l, l.n, c.remember_owner);
        if (reload_apparmor(d, &c, NULL, &err) < 0)
                log_warning("Domain %s: %s", d->def->name, err.message);
}

/* A hot-plugged host device's nodes, as the start gives them (add_hostdevs:
 * not VFIO's container, not a node the host lacks). */
static int hostdev_nodes_list(Domain *d, char *const *nodes, OwnedList *l) {
        const DomainSeclabelDef *s = dac_label(d->live);
        uid_t uid;
        gid_t gid;
        int r = 0;

        if (!s || domain_seclabel_type(s) == DOMAIN_SECLABEL_NONE || !domain_seclabel_relabel(s))
                return 0;
        if (!s->imagelabel || security_dac_parse_label(s->imagelabel, &uid, &gid) < 0)
                return -EINVAL;
        for (size_t i = 0; r >= 0 && nodes && nodes[i]; i++)
                if (!streq(nodes[i], QEMU_VFIO_CONTAINER) && access(nodes[i], F_OK) == 0)
                        r = owned_add(l, nodes[i], uid, gid);
        return r;
}

int qemu_security_set_hostdev_nodes(Domain *d, char *const *nodes, ConfError *err) {
        _cleanup_(owned_list_done) OwnedList l = {};
        SecurityConf c;
        int r = hostdev_nodes_list(d, nodes, &l);

        if (r < 0 || l.n == 0)
                return r;
        r = load_conf(d->manager, &c, err);
        return r < 0 ? r : give_list(d, &c, &l, err);
}

void qemu_security_restore_hostdev_nodes(Domain *d, char *const *nodes) {
        _cleanup_(owned_list_done) OwnedList l = {};
        ConfError err = {};
        SecurityConf c;

        if (hostdev_nodes_list(d, nodes, &l) < 0 || l.n == 0)
                return;
        if (load_conf(d->manager, &c, &err) < 0)
                security_conf_init(&c);
        restore_list(&l, l.n, c.remember_owner);
        if (reload_apparmor(d, &c, NULL, &err) < 0)
                log_warning("Domain %s: %s", d->def->name, err.message);
}

/* The spawn reads the profile's name at once (process_spawn_as), and
 * qemud spawns one QEMU at a time: one buffer does. */
static QemuAppArmorPlan exec_plan;

int qemu_security_creds(Domain *d, ProcessCreds *creds, gid_t **groups) {
        const DomainSeclabelDef *s = dac_label(d->live);
        size_t n = 0;
        int r;

        *groups = NULL;
        if (!s || !s->label || security_dac_parse_label(s->label, &creds->uid, &creds->gid) < 0)
                return -EINVAL;
        if (qemu_apparmor_exec_plan(d, last_conf.primary, &exec_plan) >= 0 && exec_plan.confine)
                creds->apparmor_profile = exec_plan.name;
        if (creds->uid == 0 && creds->gid == 0)
                return creds->apparmor_profile ? 1 : 0;
        r = security_dac_groups(creds->uid, creds->gid, d->live->virt_type == DOMAIN_VIRT_KVM, groups, &n);
        if (r < 0)
                return r;
        creds->groups = *groups;
        creds->n_groups = n;
        return 1;
}

/* ---- DomainSecurityOps ---------------------------------------------------- */

static int get_labels(Domain *d, DomainSecurityLabel **ret, size_t *ret_n, sd_bus_error *error) {
        const DomainSeclabelDef *s = dac_label(d->live);
        DomainSecurityLabel *l = calloc(2, sizeof(*l));

        if (!l)
                return -ENOMEM;
        /* the primary first: "none" has no label */
        l[0].label = strdup("");
        l[1].label = strdup(s && s->label ? s->label : "");
        if (!l[0].label || !l[1].label) {
                domain_security_labels_free(l, 2);
                return -ENOMEM;
        }
        *ret = l;
        *ret_n = 2;
        return 0;
}

static int node_model(Manager *m, char **ret_model, char **ret_doi, sd_bus_error *error) {
        SecurityConf c;
        ConfError err = {};

        if (load_conf(m, &c, &err) < 0)
                return vb_error_setf(error, err.name, "%s", err.message);
        *ret_model = strdup(security_model_to_string(c.primary));
        *ret_doi = strdup("0");
        return *ret_model && *ret_doi ? 0 : -ENOMEM;
}

const DomainSecurityOps qemu_security_ops = {
        .get_labels = get_labels,
        .node_model = node_model,
};

void qemu_security_refresh(Manager *m) {
        SecurityConf c;
        ConfError err = {};

        if (load_conf(m, &c, &err) < 0)
                log_warning("%s", err.message);
}

void qemu_security_format_secmodels(XmlWriter *w) {
        security_format_secmodels(w, &last_conf);
}
