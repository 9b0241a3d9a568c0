/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LXC driver table (domain-driver.h): what lxcd brings to the shared
 * domain core. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include "domain-stats.h"
#include "lxc-cgroup.h"
#include "lxc-console.h"
#include "lxc-domain.h"
#include "lxc-netns.h"
#include "lxc-validate.h"
#include "util.h"

static int manager_init(Manager *m) {
        return lxc_netns_spare_init(m->event);
}

static void manager_done(Manager *m) {
        lxc_netns_spare_done();
}

static int domain_init(Domain *d) {
        LxcDomain *l = calloc(1, sizeof(*l));

        if (!l)
                return -ENOMEM;
        l->status_fd = -1;
        l->log_fd = -1;
        l->init_pidfd = -1;
        d->priv = l;
        return 0;
}

static void domain_done(Domain *d) {
        if (!d->priv)
                return;
        lxc_domain_release(d);
        strv_free(((LxcDomain *) d->priv)->start_argv);
        d->priv = mfree(d->priv);
}

static int validate(Manager *m, const DomainDef *def, ConfError *err) {
        return lxc_validate_def(def, err);
}

/* The supervisor's pid is d->pid in the core's part; nothing of our own
 * needs keeping: the init's pid is asked again when needed. */
static int status_format(Domain *d, char **ret) {
        *ret = strdup("");
        return *ret ? 0 : -ENOMEM;
}

static int status_parse(Domain *d, xmlNodePtr root) {
        return 0;
}

/* The running kernel is the "hypervisor", as for libvirt's LXC driver. */
static uint64_t version(Manager *m) {
        struct utsname u;
        unsigned major = 0, minor = 0, micro = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u.%u", &major, &minor, &micro) < 2)
                return 0;
        return (uint64_t) major * 1000000 + minor * 1000 + micro;
}

static int get_capabilities(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        struct utsname u;
        _cleanup_free_ char *xml = NULL;

        if (uname(&u) < 0)
                return -errno;
        if (asprintf(&xml,
                     "<capabilities>\n"
                     "  <host>\n"
                     "    <cpu>\n"
                     "      <arch>%s</arch>\n"
                     "    </cpu>\n"
                     "  </host>\n"
                     "  <guest>\n"
                     "    <os_type>exe</os_type>\n"
                     "    <arch name='%s'>\n"
                     "      <wordsize>%d</wordsize>\n"
                     "      <emulator>/proc/self/exe</emulator>\n"
                     "      <domain type='lxc'/>\n"
                     "    </arch>\n"
                     "  </guest>\n"
                     "</capabilities>\n",
                     u.machine, u.machine, (int) sizeof(long) * 8) < 0)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "s", xml) < 0 ? -EIO : 1;
}

const DomainDriver lxc_driver = {
        .name = "LXC",
        .dir = "lxc",
        .bus_name = "org.virtbus.lxcd",
        .root = "/org/virtbus/lxcd",
        .os_type = "exe",
        .manager_init = manager_init,
        .manager_done = manager_done,
        .domain_init = domain_init,
        .domain_done = domain_done,
        .validate = validate,
        .start = lxc_process_start,
        .destroy = lxc_process_destroy,
        .shutdown = lxc_process_shutdown,
        .reboot = lxc_process_reboot,
        .power_flags = (1u << 2) | (1u << 3), /* INITCTL, SIGNAL (lxc-power.c) */
        .suspend = lxc_process_suspend,
        .resume = lxc_process_resume,
        .adopt = lxc_process_adopt,
        .lost = lxc_process_lost,
        .rollback = lxc_process_rollback,
        .status_format = status_format,
        .status_parse = status_parse,
        .get_capabilities = get_capabilities,
        .version = version,
        .stats = &lxc_stats_ops,
        .console = &lxc_console_ops, /* lxc-console.c */
        .tune = &lxc_tune_ops,
};
