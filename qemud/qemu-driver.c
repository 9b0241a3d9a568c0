/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "error.h"
#include "log.h"
#include "qemu-secrets.h"
#include "qemu-swtpm.h"
#include "qemu-address.h"
#include "qemu-agent-cmds.h"
#include "qemu-capabilities.h"
#include "qemu-console.h"
#include "qemu-blockjob.h"
#include "qemu-control.h"
#include "qemu-domain.h"
#include "qemu-driver.h"
#include "qemu-hotplug.h"
#include "qemu-interface.h"
#include "qemu-monitor.h"
#include "qemu-perf.h"
#include "qemu-process.h"
#include "qemu-rules.h"
#include "qemu-resources.h"
#include "qemu-save.h"
#include "qemu-migrate.h"
#include "qemu-security.h"
#include "qemu-spice-tls.h"
#include "qemu-snapshot.h"
#include "qemu-stats.h"
#include "qemu-tune.h"
#include "qemu-validate.h"
#include "qemu-chains.h"
#include "qemu-chr-generated.h"
#include "qemu-taint.h"
#include "util.h"

struct CapsWaiter {
        qemu_caps_fn done;
        void *userdata;
        CapsWaiter *next;
};

static int driver_init(Manager *m) {
        QemuDriver *q = calloc(1, sizeof(*q));
        const char *emu = getenv("VIRTBUS_QEMU");
        int r;

        if (!q)
                return -ENOMEM;
        m->priv = q;
        q->emulator = emu && *emu ? emu : QEMUD_DEFAULT_EMULATOR;
        r = domain_perf_dbus_register(m); /* org.virtbus.Domain1 (domain-perf.h) */
        if (r < 0)
                return r;
        r = qemu_chains_watch_storaged(m, &q->storaged_watch);
        if (r < 0)
                return r;
        return vb_paths_make_dir(m->paths.statedir, "qemu/capabilities", &q->cachedir);
}

static void driver_done(Manager *m) {
        QemuDriver *q = m->priv;

        if (!q)
                return;
        while (q->caps_waiters) {
                CapsWaiter *w = q->caps_waiters;
                q->caps_waiters = w->next;
                free(w);
        }
        qemu_caps_free(q->caps);
        free(q->cachedir);
        sd_bus_slot_unref(q->storaged_watch);
        m->priv = mfree(q);
}

static bool driver_is_busy(Manager *m) {
        return qemu_driver_data(m)->caps_probing;
}

static void caps_done(int r, QemuCaps *caps, void *userdata) {
        Manager *m = userdata;
        QemuDriver *q = m->priv;
        CapsWaiter *w;

        q->caps_probing = false;
        if (r >= 0) {
                qemu_caps_free(q->caps);
                q->caps = caps;
                log_debug("QEMU %s: version %u, kvm %s", caps->binary, caps->version,
                          caps->kvm_available ? "yes" : "no");
        } else
                log_error_errno(r, "Cannot probe %s: %m", q->emulator);
        /* Waiters may start domains that add waiters: take the list first. */
        w = TAKE_PTR(q->caps_waiters);
        while (w) {
                CapsWaiter *next = w->next;
                w->done(m, r, w->userdata);
                free(w);
                w = next;
        }
}

int qemu_driver_with_caps(Manager *m, qemu_caps_fn done, void *userdata) {
        QemuDriver *q = m->priv;
        CapsWaiter *w;
        int r;

        if (q->caps) {
                done(m, 0, userdata);
                return 0;
        }
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (CapsWaiter) { .done = done, .userdata = userdata, .next = q->caps_waiters };
        q->caps_waiters = w;
        if (q->caps_probing)
                return 0;
        q->caps_probing = true;
        r = qemu_caps_get_async(m->event, q->emulator, q->cachedir, m->rundir, caps_done, m);
        if (r < 0)
                caps_done(r, NULL, m); /* the waiters learn it the usual way */
        return 0;
}

static int domain_init(Domain *d) {
        d->priv = calloc(1, sizeof(QemuDomain));
        return d->priv ? 0 : -ENOMEM;
}

/* QEMU's own part of a domain that goes away. */
static void domain_done(Domain *d) {
        QemuDomain *q = d->priv;

        if (!q)
                return;
        qemu_agent_done(d);
        qemu_monitor_free(q->mon);
        qemu_save_state_free(d);
        qemu_migrate_free(d);
        qemu_blockjob_free_all(d);
        qemu_chains_done(d);
        free(q->monitor_path);
        strv_free(q->start_argv);
        strv_free(q->transient_overlays);
        strv_free(q->nbd_tls_on);
        strv_free(q->nbd_tls_off);
        strv_free(q->deprecations);
        free(q->vcpu_tids);
        qemu_perf_free(d);
        qemu_secrets_done(d);
        d->priv = mfree(q);
}

/* The perf counters follow the live definition (qemu-perf.h): they are
 * opened whenever a guest's live state is written (its QEMU spawned, the
 * start done, a change) and again when a restarted qemud adopts it. */
static int status_format(Domain *d, char **ret) {
        qemu_perf_sync(d);
        return qemu_status_format(d, ret);
}

static int adopt(Domain *d, pid_t pid) {
        int r = qemu_process_adopt(d, pid);

        if (r >= 0)
                qemu_perf_sync(d);
        return r;
}

/* The QEMU policy on top of the shared model (qemu-validate.h). */
static int validate(Manager *m, const DomainDef *def, ConfError *err) {
        int r = qemu_validate_def(def, err);

        return r < 0 ? r : qemu_security_validate(def, err);
}

/* Every device gets its place at define time, as libvirt does: the saved
 * definition shows it and the guest's hardware stays where it is. */
static int post_parse(Manager *m, DomainDef *def, ConfError *err) {
        int r;

        qemu_resources_post_parse(def);
        /* the per-guest directories (qemu-confine.c) are in the rundir */
        r = qemu_chr_drop_generated_paths(def, m->rundir, err);
        if (r < 0)
                return r;
        return qemu_domain_assign_addresses(def, err);
}

/* libvirt's define-time rules (qemu-rules.h), for what a caller gives. */
static int define_rules(Manager *m, const DomainDef *def, ConfError *err) {
        QemuSpiceTls tls;
        int r = qemu_rules_check(def, err);

        if (r < 0 || def->n_graphics == 0)
                return r;
        /* read at each define, as at each start: a changed setting needs no restart */
        r = qemu_spice_tls_load(m->paths.confdir, &tls, err);
        return r < 0 ? r : qemu_spice_tls_validate(def, tls.enabled, err);
}

static void capabilities_reply(Manager *m, int r, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = userdata;
        _cleanup_free_ char *xml = NULL;
        QemuDriver *q = m->priv;

        if (r >= 0) {
                qemu_security_refresh(m);
                r = qemu_capabilities_format(q->caps, &xml);
        }
        if (r < 0) {
                (void) sd_bus_reply_method_errorf(msg, VB_ERROR_OPERATION_FAILED, "cannot get the capabilities of %s: %s",
                                                  q->emulator, strerror(-r));
                return;
        }
        (void) sd_bus_reply_method_return(msg, "s", xml);
}

static int get_capabilities(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        int r = qemu_driver_with_caps(m, capabilities_reply, sd_bus_message_ref(msg));

        if (r < 0) {
                sd_bus_message_unref(msg);
                return r;
        }
        return 1;
}

typedef struct DomcapsCall {
        sd_bus_message *msg;
        char *emulator, *arch, *machine, *virttype;
} DomcapsCall;

static void domcaps_call_free(DomcapsCall *c) {
        sd_bus_message_unref(c->msg);
        free(c->emulator);
        free(c->arch);
        free(c->machine);
        free(c->virttype);
        free(c);
}

static void domcaps_reply(Manager *m, int r, void *userdata) {
        DomcapsCall *c = userdata;
        _cleanup_free_ char *xml = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        QemuDriver *q = m->priv;

        if (r < 0)
                (void) vb_error_setf(&e, VB_ERROR_OPERATION_FAILED, "cannot probe %s: %s", q->emulator, strerror(-r));
        else if (qemu_domain_capabilities_format(q->caps, c->emulator, c->arch, c->machine, c->virttype, &xml, &e) >= 0)
                (void) sd_bus_reply_method_return(c->msg, "s", xml);
        if (sd_bus_error_is_set(&e))
                (void) sd_bus_reply_method_error(c->msg, &e);
        sd_bus_error_free(&e);
        domcaps_call_free(c);
}

static int get_domain_capabilities(Manager *m, sd_bus_message *msg, const char *emu, const char *arch,
                                   const char *machine, const char *virttype, sd_bus_error *error) {
        DomcapsCall *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->msg = sd_bus_message_ref(msg);
        c->emulator = strdup(emu);
        c->arch = strdup(arch);
        c->machine = strdup(machine);
        c->virttype = strdup(virttype);
        if (!c->emulator || !c->arch || !c->machine || !c->virttype) {
                domcaps_call_free(c);
                return -ENOMEM;
        }
        r = qemu_driver_with_caps(m, domcaps_reply, c);
        if (r < 0) {
                domcaps_call_free(c);
                return r;
        }
        return 1;
}

static uint64_t version(Manager *m) {
        QemuDriver *q = m->priv;

        return q->caps ? q->caps->version : 0;
}

const DomainDriver qemu_driver = {
        .name = "QEMU",
        .dir = "qemu",
        .bus_name = QEMUD_BUS_NAME,
        .root = QEMUD_ROOT,
        .os_type = "hvm",
        .manager_init = driver_init,
        .manager_done = driver_done,
        .is_busy = driver_is_busy,
        .domain_init = domain_init,
        .domain_done = domain_done,
        .validate = validate,
        .post_parse = post_parse,
        .define_rules = define_rules,
        .undefined = qemu_swtpm_undefine,
        .start = qemu_process_start,
        .destroy = qemu_process_destroy,
        .shutdown = qemu_process_shutdown,
        .reboot = qemu_process_reboot,
        .reset = qemu_process_reset,
        .suspend = qemu_process_suspend,
        .resume = qemu_process_resume,
        .adopt = adopt,
        .lost = qemu_process_lost,
        .rollback = qemu_status_rollback,
        .status_format = status_format,
        .status_parse = qemu_status_parse,
        .get_messages = qemu_taint_get_messages,
        .get_capabilities = get_capabilities,
        .get_domain_capabilities = get_domain_capabilities,
        .version = version,
        .with_version = qemu_driver_with_caps,
        .resources = &qemu_resources_ops,
        .save = &qemu_save_ops,
        .snapshot = &qemu_snapshot_ops,
        .control = &qemu_control_ops,
        .block = &qemu_block_ops,
        .stats = &qemu_stats_ops,
        .devices = &qemu_device_ops,
        .agent = &qemu_agent_ops,
        .tune = &qemu_tune_ops,
        .iface = &qemu_interface_ops,
        .console = &qemu_console_ops,
        .migrate = &qemu_migrate_ops,
        .perf = &qemu_perf_ops,
        .security = &qemu_security_ops,
};
