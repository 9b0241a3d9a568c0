/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/cdrom.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-file.h"
#include "domain-driver.h"
#include "domain-log.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "log.h"
#include "qemu-domain.h"
#include "qemu-driver.h"
#include "qemu-taint.h"
#include "security-manager.h"
#include "util.h"

/* libvirt's names and texts (virDomainTaint, virDomainTaintMessage). */
static const struct {
        const char *name, *message;
} taints[_QEMU_TAINT_MAX] = {
        [QEMU_TAINT_CUSTOM_ARGV] = { "custom-argv", "custom configuration parameters specified" },
        [QEMU_TAINT_CUSTOM_MONITOR] = { "custom-monitor", "custom monitor control commands issued" },
        [QEMU_TAINT_HIGH_PRIVILEGES] = { "high-privileges", "running with undesirable elevated privileges" },
        [QEMU_TAINT_SHELL_SCRIPTS] = { "shell-scripts", "network configuration using opaque shell scripts" },
        [QEMU_TAINT_DISK_PROBING] = { "disk-probing", "potentially unsafe disk format probing" },
        [QEMU_TAINT_EXTERNAL_LAUNCH] = { "external-launch", "managing externally launched configuration" },
        [QEMU_TAINT_HOST_CPU] = { "host-cpu", "potentially unsafe use of host CPU passthrough" },
        [QEMU_TAINT_HOOK] = { "hook-script", "configuration potentially modified by hook script" },
        [QEMU_TAINT_CDROM_PASSTHROUGH] = { "cdrom-passthrough", "use of host cdrom passthrough" },
        [QEMU_TAINT_CUSTOM_DTB] = { "custom-dtb", "custom device tree blob used" },
        [QEMU_TAINT_CUSTOM_GA_COMMAND] = { "custom-ga-command", "custom guest agent control commands issued" },
        [QEMU_TAINT_CUSTOM_HYPERVISOR_FEATURE] = { "custom-hypervisor-feature",
                                                   "hypervisor feature autodetection override" },
        [QEMU_TAINT_DEPRECATED_CONFIG] = { "deprecated-config", "use of deprecated configuration settings" },
        [QEMU_TAINT_CUSTOM_DEVICE] = { "custom-device", "custom device configuration" },
};

const char *qemu_taint_to_string(QemuTaint t) {
        return t >= 0 && t < _QEMU_TAINT_MAX ? taints[t].name : NULL;
}

int qemu_taint_from_string(const char *s) {
        for (int t = 0; s && t < _QEMU_TAINT_MAX; t++)
                if (streq(taints[t].name, s))
                        return t;
        return -EINVAL;
}

const char *qemu_taint_message(QemuTaint t) {
        return t >= 0 && t < _QEMU_TAINT_MAX ? taints[t].message : NULL;
}

#define BIT(t) (1u << (t))

/* ---- the rules (libvirt's qemuDomainObjCheckTaint and its per-device checks) ---- */

static unsigned check_disks(const DomainDef *def, const QemuTaintHost *host) {
        unsigned f = 0;

        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDiskDef *disk = &def->disks[i];

                if (disk->rawio == TRISTATE_ON)
                        f |= BIT(QEMU_TAINT_HIGH_PRIVILEGES);
                /* a volume is its resolved path in the live definition */
                if (disk->device == DOMAIN_DISK_DEVICE_CDROM && disk->src &&
                    (disk->type == DOMAIN_DISK_TYPE_BLOCK || disk->type == DOMAIN_DISK_TYPE_VOLUME) &&
                    host->is_cdrom && host->is_cdrom(disk->src))
                        f |= BIT(QEMU_TAINT_CDROM_PASSTHROUGH);
        }
        return f;
}

static unsigned check_devices(const DomainDef *def, const QemuTaintHost *host) {
        unsigned f = check_disks(def, host);

        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i].type == DOMAIN_HOSTDEV_SCSI && def->hostdevs[i].rawio == TRISTATE_ON)
                        f |= BIT(QEMU_TAINT_HIGH_PRIVILEGES);
        /* any interface type: a script is the user's sauce in the soup */
        for (size_t i = 0; i < def->n_nets; i++)
                if (def->nets[i].opts.script)
                        f |= BIT(QEMU_TAINT_SHELL_SCRIPTS);
        return f;
}

static unsigned check_namespace(const DomainDef *def) {
        unsigned f = 0;

        if (strv_length(def->qemu_args) > 0 || strv_length(def->qemu_env) > 0)
                f |= BIT(QEMU_TAINT_CUSTOM_ARGV);
        if (strv_length(def->qemu_caps_add) > 0 || strv_length(def->qemu_caps_del) > 0)
                f |= BIT(QEMU_TAINT_CUSTOM_HYPERVISOR_FEATURE);
        if (def->n_qemu_overrides > 0)
                f |= BIT(QEMU_TAINT_CUSTOM_DEVICE);
        return f;
}

static int note_add(char ***notes, const char *what, const char *name) {
        char *s;

        if (asprintf(&s, "%s '%s'", what, name) < 0)
                return -ENOMEM;
        return strv_consume(notes, s);
}

/* A deprecated machine type or CPU model: the flag and a note naming it. */
static int check_deprecated(const DomainDef *def, const QemuCaps *caps, const QemuTaintHost *host, unsigned *f,
                            char ***notes) {
        const DomainCpuDef *cpu = &def->cpu;
        int r;

        if (def->os.machine && qemu_caps_machine_deprecated(caps, def->os.machine)) {
                *f |= BIT(QEMU_TAINT_DEPRECATED_CONFIG);
                r = note_add(notes, "machine type", def->os.machine);
                if (r < 0)
                        return r;
        }
        switch (cpu->mode) {
        case DOMAIN_CPU_MODE_HOST_PASSTHROUGH:
        case DOMAIN_CPU_MODE_MAXIMUM:
                /* the host it came from need not have had this CPU */
                if (host->incoming)
                        *f |= BIT(QEMU_TAINT_HOST_CPU);
                return 0;
        case DOMAIN_CPU_MODE_CUSTOM:
                if (!cpu->model || !qemu_caps_cpu_model_deprecated(caps, cpu->model))
                        return 0;
                *f |= BIT(QEMU_TAINT_DEPRECATED_CONFIG);
                return note_add(notes, "CPU model", cpu->model);
        default:
                return 0;
        }
}

int qemu_taint_check(const DomainDef *def, const QemuCaps *caps, const QemuTaintHost *host, unsigned *ret_flags,
                     char ***ret_notes) {
        _cleanup_strv_free_ char **notes = NULL;
        unsigned f = 0;
        int r;

        /* libvirt's privileged driver running QEMU as root (user or group) */
        if (host->privileged && (host->user == 0 || host->group == 0))
                f |= BIT(QEMU_TAINT_HIGH_PRIVILEGES);
        f |= check_namespace(def) | check_devices(def, host);
        r = check_deprecated(def, caps, host, &f, &notes);
        if (r < 0)
                return r;
        *ret_flags = f;
        *ret_notes = TAKE_PTR(notes);
        return 0;
}

/* ---- what is told ---- */

static int messages_add(char ***l, const char *prefix, const char *text) {
        char *s;

        if (asprintf(&s, "%s: %s", prefix, text) < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

int qemu_taint_messages(unsigned taint, char *const *notes, uint32_t flags, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        for (int t = 0; r >= 0 && t < _QEMU_TAINT_MAX; t++)
                if ((!flags || flags & DOMAIN_MESSAGE_TAINTING) && taint & BIT(t))
                        r = messages_add(&l, "tainted", taints[t].message);
        for (size_t i = 0; r >= 0 && notes && notes[i]; i++)
                if (!flags || flags & DOMAIN_MESSAGE_DEPRECATION)
                        r = messages_add(&l, "deprecated configuration", notes[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int qemu_taint_status_format(unsigned taint, char *const *notes, char **ret) {
        _cleanup_free_ char *s = strdup("");

        for (int t = 0; s && t < _QEMU_TAINT_MAX; t++) {
                char *n;

                if (!(taint & BIT(t)))
                        continue;
                if (asprintf(&n, "%s  <taint flag='%s'/>\n", s, taints[t].name) < 0)
                        return -ENOMEM;
                free_and_replace_str(&s, n);
        }
        for (size_t i = 0; s && notes && notes[i]; i++) {
                _cleanup_free_ char *e = domain_status_escape(notes[i]);
                char *n;

                if (!e || asprintf(&n, "%s  <deprecation>%s</deprecation>\n", s, e) < 0)
                        return -ENOMEM;
                free_and_replace_str(&s, n);
        }
        if (!s)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

static bool is_element(xmlNodePtr c, const char *name) {
        return c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *) name);
}

/* A flag this qemud does not know (a newer one's) is dropped, as libvirt. */
void qemu_taint_status_parse(xmlNodePtr root, unsigned *taint, char ***notes) {
        *taint = 0;
        *notes = strv_free_null(*notes);
        for (xmlNodePtr c = root->children; c; c = c->next) {
                xmlChar *v = NULL;
                int t;

                if (is_element(c, "taint")) {
                        v = xmlGetProp(c, (const xmlChar *) "flag");
                        t = qemu_taint_from_string((const char *) v);
                        if (t >= 0)
                                *taint |= BIT(t);
                } else if (is_element(c, "deprecation")) {
                        v = xmlNodeGetContent(c);
                        if (v)
                                (void) strv_extend(notes, (const char *) v);
                }
                xmlFree(v);
        }
}

/* ---- the domain's ---- */

/* libvirt's virFileIsCDROM: a block device that answers CDROM_GET_CAPABILITY. */
static bool host_is_cdrom(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st;

        return fd >= 0 && fstat(fd, &st) >= 0 && S_ISBLK(st.st_mode) && ioctl(fd, CDROM_GET_CAPABILITY, 0) >= 0;
}

static void host_of(Domain *d, QemuTaintHost *host) {
        QemuDomain *q = qemu_domain(d);
        SecurityConf c;

        /* qemud.conf's user and group, as qemu-security.c reads them; one
         * that does not load leaves root, as it would QEMU */
        security_conf_init(&c);
        (void) conf_load_file(d->manager->paths.confdir, "qemud.conf", security_conf_apply, &c);
        *host = (QemuTaintHost) { .privileged = geteuid() == 0, .user = c.user, .group = c.group,
                                  .incoming = q->migrating_in || q->restoring, .is_cdrom = host_is_cdrom };
}

static void log_taint(Domain *d, const char *name, const char *note) {
        _cleanup_free_ char *line = NULL;

        if (asprintf(&line, "Domain id=%d is tainted: %s%s%s%s", d->id, name, note ? " (" : "", note ? note : "",
                     note ? ")" : "") < 0)
                return;
        log_warning("Domain id=%d name='%s' uuid=%s is tainted: %s%s%s%s", d->id, d->def->name, d->uuid_str, name,
                    note ? " (" : "", note ? note : "", note ? ")" : "");
        domain_log_append(d, line);
}

void qemu_taint_start(Domain *d) {
        QemuDomain *q = qemu_domain(d);
        QemuTaintHost host;
        unsigned f;
        char **notes;

        host_of(d, &host);
        if (qemu_taint_check(d->live, qemu_driver_data(d->manager)->caps, &host, &f, &notes) < 0) {
                log_oom();
                return;
        }
        qemu_taint_clear(d);
        q->taint = f;
        q->deprecations = notes;
        /* each flag once; deprecated-config once per note, saying what */
        for (int t = 0; t < _QEMU_TAINT_MAX; t++)
                if (f & BIT(t) && t != QEMU_TAINT_DEPRECATED_CONFIG)
                        log_taint(d, taints[t].name, NULL);
        for (size_t i = 0; notes && notes[i]; i++)
                log_taint(d, taints[QEMU_TAINT_DEPRECATED_CONFIG].name, notes[i]);
}

/* As libvirt's qemuDomainObjCheck{Disk,Net,Hostdev}Taint at attach: the
 * rules run on the live definition with the device in it; a flag the
 * guest did not have yet (and a new deprecation note) is logged and kept,
 * saved with the live state the plug saves next. */
void qemu_taint_attach(Domain *d, const DomainDef *live) {
        QemuDomain *q = qemu_domain(d);
        QemuTaintHost host;
        unsigned f;
        char **notes;

        host_of(d, &host);
        host.incoming = false;  /* the run's own start said that */
        if (qemu_taint_check(live, qemu_driver_data(d->manager)->caps, &host, &f, &notes) < 0) {
                log_oom();
                return;
        }
        for (int t = 0; t < _QEMU_TAINT_MAX; t++)
                if (f & ~q->taint & BIT(t) && t != QEMU_TAINT_DEPRECATED_CONFIG)
                        log_taint(d, taints[t].name, NULL);
        for (size_t i = 0; notes && notes[i]; i++)
                if (!strv_contains(q->deprecations, notes[i]) && strv_extend(&q->deprecations, notes[i]) >= 0)
                        log_taint(d, taints[QEMU_TAINT_DEPRECATED_CONFIG].name, notes[i]);
        q->taint |= f;
        strv_free(notes);
}

void qemu_taint_clear(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        q->taint = 0;
        q->deprecations = strv_free_null(q->deprecations);
}

int qemu_taint_get_messages(Domain *d, uint32_t flags, char ***ret) {
        QemuDomain *q = qemu_domain(d);

        if (!domain_is_active(d)) {
                *ret = NULL;
                return 0;
        }
        return qemu_taint_messages(q->taint, q->deprecations, flags, ret);
}
