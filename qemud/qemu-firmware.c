/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Firmware auto-selection from QEMU's firmware descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "qemu-firmware.h"
#include "util.h"

const char *const qemu_firmware_default_dirs[] = {
        "/etc/qemu/firmware",
        "/usr/share/qemu/firmware",
        NULL,
};

#define DESCRIPTOR_MAX (64 * 1024)

QemuFirmware *qemu_firmware_free(QemuFirmware *fw) {
        if (!fw)
                return NULL;
        free(fw->path);
        free(fw->description);
        free(fw->executable);
        free(fw->executable_format);
        free(fw->nvram_template);
        free(fw->nvram_template_format);
        for (size_t i = 0; i < fw->n_targets; i++) {
                free(fw->archs[i]);
                strv_free(fw->machines[i]);
        }
        free(fw->archs);
        free(fw->machines);
        free(fw);
        return NULL;
}

static const char *json_str(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int dup_str(json_object *o, const char *key, char **ret) {
        const char *s = json_str(o, key);

        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 1 : -ENOMEM;
}

static json_object *json_array(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

static bool array_has(json_object *a, const char *s) {
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i);
                if (json_object_is_type(e, json_type_string) && streq(json_object_get_string(e), s))
                        return true;
        }
        return false;
}

static int parse_mapping(QemuFirmware *fw, json_object *mapping) {
        const char *device = json_str(mapping, "device"), *mode = json_str(mapping, "mode");
        json_object *exe, *tmpl;
        int r;

        if (!device)
                return -EBADMSG;
        /* memory (-bios) and kernel mappings are not for UEFI pflash guests */
        fw->flash_split = streq(device, "flash") && (!mode || streq(mode, "split"));
        if (!fw->flash_split)
                return 0;
        if (!json_object_object_get_ex(mapping, "executable", &exe))
                return -EBADMSG;
        r = dup_str(exe, "filename", &fw->executable);
        if (r == 0)
                return -EBADMSG;
        if (r > 0)
                r = dup_str(exe, "format", &fw->executable_format);
        if (r >= 0 && json_object_object_get_ex(mapping, "nvram-template", &tmpl)) {
                r = dup_str(tmpl, "filename", &fw->nvram_template);
                if (r > 0)
                        r = dup_str(tmpl, "format", &fw->nvram_template_format);
        }
        return r < 0 ? r : 0;
}

static int parse_targets(QemuFirmware *fw, json_object *targets) {
        size_t n = targets ? json_object_array_length(targets) : 0;

        fw->archs = calloc(n + 1, sizeof(char *));
        fw->machines = calloc(n + 1, sizeof(char **));
        if (!fw->archs || !fw->machines)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(targets, i);
                json_object *machines = json_array(t, "machines");
                int r;

                r = dup_str(t, "architecture", &fw->archs[fw->n_targets]);
                if (r <= 0)
                        return r < 0 ? r : -EBADMSG;
                fw->n_targets++;
                for (size_t j = 0; machines && j < json_object_array_length(machines); j++) {
                        json_object *m = json_object_array_get_idx(machines, j);
                        if (!json_object_is_type(m, json_type_string))
                                return -EBADMSG;
                        r = strv_extend(&fw->machines[fw->n_targets - 1], json_object_get_string(m));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int qemu_firmware_parse(const char *json, const char *path, QemuFirmware **ret) {
        _cleanup_(qemu_firmware_freep) QemuFirmware *fw = NULL;
        json_object *root, *mapping, *features;
        int r;

        root = json_tokener_parse(json);
        if (!root || !json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                return -EBADMSG;
        }
        fw = calloc(1, sizeof(*fw));
        if (!fw || !(fw->path = strdup(path ?: ""))) {
                json_object_put(root);
                return -ENOMEM;
        }
        r = dup_str(root, "description", &fw->description);
        fw->uefi = array_has(json_array(root, "interface-types"), "uefi");
        if (r >= 0)
                r = json_object_object_get_ex(root, "mapping", &mapping) ? parse_mapping(fw, mapping) : -EBADMSG;
        if (r >= 0)
                r = parse_targets(fw, json_array(root, "targets"));
        features = json_array(root, "features");
        fw->secure_boot = array_has(features, "secure-boot");
        fw->requires_smm = array_has(features, "requires-smm");
        fw->enrolled_keys = array_has(features, "enrolled-keys");
        fw->amd_sev_es = array_has(features, "amd-sev-es");
        json_object_put(root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(fw);
        return 0;
}

bool qemu_firmware_matches(const QemuFirmware *fw, const char *arch, const char *machine, bool secure,
                           Tristate enrolled) {
        if (!fw->uefi || !fw->flash_split || !fw->executable)
                return false;
        /* raw flash images only: that is what the command builder gives QEMU */
        if ((fw->executable_format && !streq(fw->executable_format, "raw")) ||
            (fw->nvram_template_format && !streq(fw->nvram_template_format, "raw")))
                return false;
        if (fw->secure_boot != secure || fw->amd_sev_es)
                return false;
        if (enrolled != TRISTATE_ABSENT && fw->enrolled_keys != (enrolled == TRISTATE_ON))
                return false;
        for (size_t i = 0; i < fw->n_targets; i++) {
                if (!streq(fw->archs[i], arch))
                        continue;
                for (char **m = fw->machines[i]; m && *m; m++)
                        if (fnmatch(*m, machine, 0) == 0)
                                return true;
        }
        return false;
}

static int name_cmp(const void *a, const void *b) {
        const char *x = strrchr(*(char *const *) a, '/'), *y = strrchr(*(char *const *) b, '/');
        return strcmp(x ? x + 1 : *(char *const *) a, y ? y + 1 : *(char *const *) b);
}

/* Every *.json of dirs, one path per file name (earlier directories win), sorted by name. */
static int list_descriptors(const char *const *dirs, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;

        for (const char *const *d = dirs; d && *d; d++) {
                _cleanup_(closedirp) DIR *dir = opendir(*d);
                struct dirent *de;

                if (!dir)
                        continue;
                while ((de = readdir(dir))) {
                        bool dup = false;
                        int r;

                        if (de->d_name[0] == '.' || !endswith(de->d_name, ".json"))
                                continue;
                        for (size_t i = 0; i < n && !dup; i++)
                                dup = streq(strrchr(l[i], '/') + 1, de->d_name);
                        if (dup)
                                continue;
                        r = strv_consume(&l, path_join(*d, de->d_name));
                        if (r < 0)
                                return r;
                        n++;
                }
        }
        if (n > 1)
                qsort(l, n, sizeof(char *), name_cmp);
        *ret = TAKE_PTR(l);
        return 0;
}

int qemu_firmware_select(const char *const *dirs, const char *arch, const char *machine, bool secure,
                         Tristate enrolled, QemuFirmware **ret) {
        _cleanup_strv_free_ char **paths = NULL;
        int r;

        r = list_descriptors(dirs, &paths);
        if (r < 0)
                return r;
        for (char **p = paths; p && *p; p++) {
                _cleanup_(qemu_firmware_freep) QemuFirmware *fw = NULL;
                _cleanup_free_ char *text = NULL;

                /* an empty file (or /dev/null link) masks a descriptor of that name */
                if (read_full_file(*p, DESCRIPTOR_MAX, &text, NULL) < 0 || !*text)
                        continue;
                if (qemu_firmware_parse(text, *p, &fw) < 0)
                        continue;
                if (!qemu_firmware_matches(fw, arch, machine, secure, enrolled))
                        continue;
                if (access(fw->executable, R_OK) < 0 || (fw->nvram_template && access(fw->nvram_template, R_OK) < 0))
                        continue;
                *ret = TAKE_PTR(fw);
                return 0;
        }
        return -ENOENT;
}

static int copy_file(const char *from, const char *to) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        r = read_full_file(from, 64 * 1024 * 1024, &data, &len);
        if (r < 0)
                return r;
        return write_file_atomic(to, data, len, 0600);
}

/* <nvram> unless given: <statedir>/qemu/nvram/<name>_VARS.fd. */
static int default_nvram_path(DomainDef *live, const char *statedir, ConfError *err) {
        _cleanup_free_ char *dir = NULL;
        int r;

        if (live->os.nvram)
                return 0;
        if (asprintf(&dir, "%s/qemu/nvram", statedir) < 0 ||
            asprintf(&live->os.nvram, "%s/%s_VARS.fd", dir, live->name) < 0) {
                live->os.nvram = NULL;
                return -ENOMEM;
        }
        r = mkdir_p(dir, 0700);
        if (r < 0)
                conf_error_set(err, VB_ERROR_SYSTEM, "cannot create %s: %s", dir, strerror(-r));
        return r;
}

/* The guest's variables start as a copy of the template; later starts keep them. */
static int nvram_from_template(DomainDef *live, const char *template, const char *statedir, ConfError *err) {
        DomainOsDef *os = &live->os;
        int r;

        /* a network store is its server's to fill, as libvirt leaves it */
        if (os->nvram_net)
                return 0;
        r = default_nvram_path(live, statedir, err);
        if (r < 0)
                return r;
        if (access(os->nvram, F_OK) == 0)
                return 0;
        r = copy_file(template, os->nvram);
        if (r < 0)
                conf_error_set(err, VB_ERROR_SYSTEM, "cannot copy the NVRAM template %s to %s: %s",
                               template, os->nvram, strerror(-r));
        return r;
}

/* <firmware><feature name='secure-boot'/> decides; else <loader secure=''> does. */
static bool want_secure(const DomainOsDef *os) {
        if (os->fw_secure_boot != TRISTATE_ABSENT)
                return os->fw_secure_boot == TRISTATE_ON;
        return os->loader_secure == TRISTATE_ON || os->fw_enrolled_keys == TRISTATE_ON;
}

static int select_firmware(DomainDef *live, const char *const *dirs, const char *arch, QemuFirmware **ret,
                           ConfError *err) {
        const DomainOsDef *os = &live->os;
        bool secure = want_secure(os);
        int r;

        r = qemu_firmware_select(dirs, arch, os->machine, secure, os->fw_enrolled_keys, ret);
        if (r == -ENOENT) {
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: no UEFI firmware%s%s for "
                               "architecture '%s' and machine '%s' among QEMU's firmware descriptors (%s): "
                               "install 'ovmf'", secure ? " with Secure Boot" : "",
                               os->fw_enrolled_keys == TRISTATE_ON ? " and enrolled keys" :
                               os->fw_enrolled_keys == TRISTATE_OFF ? " without enrolled keys" : "",
                               arch, os->machine, dirs && dirs[0] ? dirs[0] : "");
                return r;
        }
        if (r < 0)
                conf_error_set(err, VB_ERROR_INTERNAL, "internal error: cannot read the firmware descriptors: %s",
                               strerror(-r));
        return r;
}

int qemu_firmware_prepare(DomainDef *live, const char *const *dirs, const char *statedir, const char *arch,
                          ConfError *err) {
        _cleanup_(qemu_firmware_freep) QemuFirmware *fw = NULL;
        DomainOsDef *os = &live->os;
        int r;

        /* a given loader with a template: the guest's own copy of it */
        if (os->loader && os->nvram_template)
                return nvram_from_template(live, os->nvram_template, statedir, err);
        if (os->firmware != DOMAIN_FIRMWARE_EFI || os->loader)
                return 0;
        if (os->arch)
                arch = os->arch;
        if (!arch || !os->machine) {
                conf_error_set(err, VB_ERROR_INTERNAL, "internal error: no architecture or machine to pick a "
                               "firmware for");
                return -EINVAL;
        }
        r = select_firmware(live, dirs, arch, &fw, err);
        if (r < 0)
                return r;
        if (fw->requires_smm) {
                if (live->features.smm == TRISTATE_OFF) {
                        conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: firmware %s requires SMM "
                                       "but <smm state='off'/> is set", fw->executable);
                        return -EINVAL;
                }
                live->features.smm = TRISTATE_ON;
                /* only SMM code may then write the variables store */
                os->loader_secure = TRISTATE_ON;
        }
        os->loader = strdup(fw->executable);
        if (!os->loader)
                return -ENOMEM;
        os->loader_type = DOMAIN_LOADER_PFLASH;
        os->loader_readonly = TRISTATE_ON;
        /* stateless: the firmware alone, its variables lost at power off */
        if (!fw->nvram_template || os->loader_stateless == TRISTATE_ON)
                return 0;
        return nvram_from_template(live, os->nvram_template ?: fw->nvram_template, statedir, err);
}
