/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The security drivers, as libvirt stacks them: one primary model (SELinux
 * or AppArmor where the host's kernel has it, else "none") with the DAC
 * driver beneath it, which runs QEMU as the configured user and gives it
 * its files (security-dac.h). SELinux label allocation is in
 * security-selinux.h; AppArmor is not written yet.
 *
 * Settings, in the daemon's configuration file (qemud.conf), with
 * libvirt's qemu.conf names:
 *   user = "root"            # or a name, or "+64055"
 *   group = "root"
 *   dynamic_ownership = 1    # 0: never chown the guest's files
 *   remember_owner = 1       # 0: restore to root:root, no xattrs
 *   security_driver = "none" # the primary: "none" or "selinux" */

#include <stdbool.h>
#include <sys/types.h>

typedef struct XmlWriter XmlWriter;

typedef enum SecurityModel {
        SECURITY_MODEL_NONE,
        SECURITY_MODEL_DAC,
        SECURITY_MODEL_SELINUX,
        SECURITY_MODEL_APPARMOR,
        _SECURITY_MODEL_MAX,
} SecurityModel;

const char *security_model_to_string(SecurityModel m);
int security_model_from_string(const char *s);
/* Whether this host can enforce model: dac and none always; selinux with
 * SELinux in the kernel (/sys/fs/selinux), apparmor likewise. */
bool security_model_available(SecurityModel m);

typedef struct SecurityConf {
        uid_t user;
        gid_t group;
        bool dynamic_ownership;
        bool remember_owner;
        SecurityModel primary;     /* security_driver */
        char bad[160];             /* the setting refused, for the message */
} SecurityConf;

void security_conf_init(SecurityConf *c);
/* conf_apply_fn for conf_load_file(): only this group's keys are read,
 * others are left to their groups. */
int security_conf_apply(void *userdata, const char *key, const char *value);

/* A DAC label: "+64055:+64055", "qemu:kvm", "+0:kvm"... -EINVAL if bad,
 * -ESRCH if a name is unknown. */
int security_dac_parse_label(const char *label, uid_t *ret_uid, gid_t *ret_gid);
/* "+uid:+gid" into buf (at least 32 bytes). */
void security_dac_format_label(uid_t uid, gid_t gid, char *buf, size_t size);

/* The <secmodel> elements of <host> in the capabilities: the primary
 * model, then dac with its base label for each domain type. */
void security_format_secmodels(XmlWriter *w, const SecurityConf *c);
