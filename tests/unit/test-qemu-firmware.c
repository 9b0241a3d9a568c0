/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Firmware descriptors (tests/data/qemu-firmware/: Debian's ovmf and a
 * SeaBIOS one) and the firmware='efi' selection built on them: matching by
 * architecture, machine glob and Secure Boot, /etc overriding /usr/share,
 * and filling the live definition with the NVRAM copied from its template. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-conf.h"
#include "error.h"
#include "qemu-firmware.h"
#include "unit.h"
#include "util.h"

static const char *data_dir(void) {
        static char buf[4096 + 64];
        char exe[4096];
        ssize_t n;

        if (access("tests/data/qemu-firmware", F_OK) == 0)
                return "tests/data/qemu-firmware";
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return "tests/data/qemu-firmware";
        exe[n] = 0;
        for (int i = 0; i < 3; i++) {
                char *s = strrchr(exe, '/');
                if (s)
                        *s = 0;
        }
        snprintf(buf, sizeof(buf), "%s/tests/data/qemu-firmware", exe);
        return buf;
}

static QemuFirmware *parse_data(const char *name) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        QemuFirmware *fw = NULL;

        CHECK(asprintf(&path, "%s/%s", data_dir(), name) > 0);
        CHECK(read_full_file(path, 0, &text, NULL) == 0);
        if (text)
                CHECK_INTEQ(qemu_firmware_parse(text, path, &fw), 0);
        return fw;
}

static void test_parse(void) {
        _cleanup_(qemu_firmware_freep) QemuFirmware *plain = parse_data("60-edk2-x86_64.json");
        _cleanup_(qemu_firmware_freep) QemuFirmware *secure = parse_data("50-edk2-x86_64-secure.json");
        _cleanup_(qemu_firmware_freep) QemuFirmware *enrolled = parse_data("40-edk2-x86_64-secure-enrolled.json");
        _cleanup_(qemu_firmware_freep) QemuFirmware *bios = parse_data("50-seabios-256k.json");
        QemuFirmware *fw = NULL;

        if (!plain || !secure || !enrolled || !bios)
                return;
        CHECK(plain->uefi && plain->flash_split);
        CHECK_STREQ(plain->executable, "/usr/share/OVMF/OVMF_CODE_4M.fd");
        CHECK_STREQ(plain->executable_format, "raw");
        CHECK_STREQ(plain->nvram_template, "/usr/share/OVMF/OVMF_VARS_4M.fd");
        CHECK_INTEQ(plain->n_targets, 1);
        CHECK_STREQ(plain->archs[0], "x86_64");
        CHECK_STREQ(plain->machines[0][0], "pc-i440fx-*");
        CHECK_STREQ(plain->machines[0][1], "pc-q35-*");
        CHECK(!plain->secure_boot && !plain->requires_smm);
        CHECK(secure->secure_boot && secure->requires_smm && !secure->enrolled_keys);
        CHECK(enrolled->secure_boot && enrolled->enrolled_keys);
        CHECK(!bios->uefi && !bios->flash_split);

        CHECK(qemu_firmware_matches(plain, "x86_64", "pc-q35-7.2", false, TRISTATE_ABSENT));
        CHECK(qemu_firmware_matches(plain, "x86_64", "pc-i440fx-7.2", false, TRISTATE_ABSENT));
        CHECK(!qemu_firmware_matches(plain, "x86_64", "pc-q35-7.2", true, TRISTATE_ABSENT));
        CHECK(!qemu_firmware_matches(plain, "aarch64", "virt-7.2", false, TRISTATE_ABSENT));
        CHECK(!qemu_firmware_matches(plain, "x86_64", "microvm", false, TRISTATE_ABSENT));
        CHECK(qemu_firmware_matches(secure, "x86_64", "pc-q35-7.2", true, TRISTATE_ABSENT));
        CHECK(!qemu_firmware_matches(secure, "x86_64", "pc-q35-7.2", false, TRISTATE_ABSENT));
        CHECK(!qemu_firmware_matches(secure, "x86_64", "pc-i440fx-7.2", true, TRISTATE_ABSENT));
        CHECK(!qemu_firmware_matches(bios, "x86_64", "pc-q35-7.2", false, TRISTATE_ABSENT));

        CHECK_INTEQ(qemu_firmware_parse("[1, 2]", "x", &fw), -EBADMSG);
        CHECK_INTEQ(qemu_firmware_parse("{\"mapping\": {\"device\": \"flash\"}}", "x", &fw), -EBADMSG);
        CHECK_INTEQ(qemu_firmware_parse("not json", "x", &fw), -EBADMSG);
        CHECK(fw == NULL);
}

/* ---- selection in a directory of our own ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static void write_text(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = path_join(dir, name);

        CHECK(p && write_file_atomic(p, text, strlen(text), 0644) == 0);
}

/* A descriptor for files under root. */
static char *descriptor(const char *root, const char *code, const char *vars, const char *machines,
                        const char *features) {
        char *s = NULL;

        if (asprintf(&s, "{ \"description\": \"%s\", \"interface-types\": [ \"uefi\" ],"
                     " \"mapping\": { \"device\": \"flash\","
                     " \"executable\": { \"filename\": \"%s/%s\", \"format\": \"raw\" },"
                     " \"nvram-template\": { \"filename\": \"%s/%s\", \"format\": \"raw\" } },"
                     " \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ %s ] } ],"
                     " \"features\": [ %s ], \"tags\": [] }",
                     code, root, code, root, vars, machines, features) < 0)
                return NULL;
        return s;
}

static void test_select_and_prepare(void) {
        char root[] = "/tmp/vbtest-qemu-firmware-XXXXXX";
        _cleanup_free_ char *etc = NULL, *usr = NULL, *state = NULL, *d1 = NULL, *d2 = NULL, *d3 = NULL;
        _cleanup_free_ char *nvram = NULL, *copied = NULL;
        const char *dirs[3];
        QemuFirmware *fw = NULL;

        CHECK(mkdtemp(root) != NULL);
        CHECK(asprintf(&etc, "%s/etc", root) > 0 && asprintf(&usr, "%s/usr", root) > 0 &&
              asprintf(&state, "%s/state", root) > 0);
        CHECK(mkdir(etc, 0755) == 0 && mkdir(usr, 0755) == 0);
        dirs[0] = etc, dirs[1] = usr, dirs[2] = NULL;
        write_text(root, "CODE.fd", "code");
        write_text(root, "CODE.secboot.fd", "secure code");
        write_text(root, "VARS.fd", "template vars");

        d1 = descriptor(root, "CODE.fd", "VARS.fd", "\"pc-i440fx-*\", \"pc-q35-*\"", "\"acpi-s3\"");
        d2 = descriptor(root, "CODE.secboot.fd", "VARS.fd", "\"pc-q35-*\"",
                        "\"requires-smm\", \"secure-boot\"");
        d3 = descriptor(root, "MISSING.fd", "VARS.fd", "\"pc-q35-*\"", "");
        write_text(usr, "10-missing-file.json", d3);
        write_text(usr, "50-secure.json", d2);
        write_text(usr, "60-plain.json", d1);
        write_text(usr, "README", "not a descriptor");

        /* no secure boot unless asked for; descriptors whose files are missing are skipped */
        CHECK_INTEQ(qemu_firmware_select(dirs, "x86_64", "pc-q35-7.2", false, TRISTATE_ABSENT, &fw), 0);
        CHECK(fw && endswith(fw->executable, "/CODE.fd") && endswith(fw->path, "/usr/60-plain.json"));
        fw = qemu_firmware_free(fw);
        CHECK_INTEQ(qemu_firmware_select(dirs, "x86_64", "pc-q35-7.2", true, TRISTATE_ABSENT, &fw), 0);
        CHECK(fw && endswith(fw->executable, "/CODE.secboot.fd"));
        fw = qemu_firmware_free(fw);
        CHECK_INTEQ(qemu_firmware_select(dirs, "x86_64", "pc-i440fx-7.2", true, TRISTATE_ABSENT, &fw), -ENOENT);
        CHECK_INTEQ(qemu_firmware_select(dirs, "aarch64", "virt", false, TRISTATE_ABSENT, &fw), -ENOENT);

        /* /etc overrides /usr/share by name; an empty file masks */
        write_text(etc, "60-plain.json", "");
        CHECK_INTEQ(qemu_firmware_select(dirs, "x86_64", "pc-q35-7.2", false, TRISTATE_ABSENT, &fw), -ENOENT);
        write_text(etc, "60-plain.json", d1);
        CHECK_INTEQ(qemu_firmware_select(dirs, "x86_64", "pc-q35-7.2", false, TRISTATE_ABSENT, &fw), 0);
        CHECK(fw && endswith(fw->path, "/etc/60-plain.json"));
        fw = qemu_firmware_free(fw);

        /* the live definition of a secure-boot guest */
        {
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};

                CHECK_INTEQ(domain_def_parse("<domain type='kvm'><name>efi</name><memory>65536</memory>"
                                             "<os firmware='efi'><type machine='pc-q35-7.2'>hvm</type>"
                                             "<loader secure='yes'/></os></domain>", 0, &def, &err), 0);
                if (!def)
                        goto out;
                CHECK_INTEQ(qemu_firmware_prepare(def, dirs, state, "x86_64", &err), 0);
                CHECK(def->os.loader && endswith(def->os.loader, "/CODE.secboot.fd"));
                CHECK_INTEQ(def->os.loader_type, DOMAIN_LOADER_PFLASH);
                CHECK_INTEQ(def->os.loader_readonly, TRISTATE_ON);
                CHECK_INTEQ(def->features.smm, TRISTATE_ON);
                CHECK(asprintf(&nvram, "%s/qemu/nvram/efi_VARS.fd", state) > 0);
                CHECK_STREQ(def->os.nvram, nvram);
                CHECK(read_full_file(nvram, 0, &copied, NULL) == 0);
                CHECK_STREQ(copied, "template vars");
        }
        /* a second start keeps the guest's variables */
        {
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                _cleanup_free_ char *again = NULL;
                ConfError err = {};

                CHECK(write_file_atomic(nvram, "guest vars", 10, 0600) == 0);
                CHECK_INTEQ(domain_def_parse("<domain type='kvm'><name>efi</name><memory>65536</memory>"
                                             "<os firmware='efi'><type machine='pc-q35-7.2'>hvm</type></os>"
                                             "</domain>", 0, &def, &err), 0);
                if (!def)
                        goto out;
                CHECK_INTEQ(qemu_firmware_prepare(def, dirs, state, "x86_64", &err), 0);
                CHECK(def->os.loader && endswith(def->os.loader, "/CODE.fd"));
                CHECK_INTEQ(def->features.smm, TRISTATE_ABSENT);
                CHECK(read_full_file(nvram, 0, &again, NULL) == 0);
                CHECK_STREQ(again, "guest vars");
        }
        /* nothing fits: NotSupported naming what was asked */
        {
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};

                CHECK_INTEQ(domain_def_parse("<domain type='kvm'><name>efi2</name><memory>65536</memory>"
                                             "<os firmware='efi'><type machine='pc-i440fx-7.2'>hvm</type>"
                                             "<loader secure='yes'/></os></domain>", 0, &def, &err), 0);
                if (!def)
                        goto out;
                CHECK_INTEQ(qemu_firmware_prepare(def, dirs, state, "x86_64", &err), -ENOENT);
                CHECK_STREQ(err.name, VB_ERROR_NOT_SUPPORTED);
                CHECK(strstr(err.message, "with Secure Boot") && strstr(err.message, "pc-i440fx-7.2"));
                CHECK(def->os.loader == NULL);
        }
        /* <firmware> features pick among the descriptors; stateless has no variables */
        {
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};

                CHECK_INTEQ(domain_def_parse("<domain type='kvm'><name>sb</name><memory>65536</memory>"
                                             "<os firmware='efi'><type machine='pc-q35-7.2'>hvm</type><firmware>"
                                             "<feature enabled='yes' name='secure-boot'/></firmware>"
                                             "<loader stateless='yes'/></os></domain>", 0, &def, &err), 0);
                if (!def)
                        goto out;
                CHECK_INTEQ(qemu_firmware_prepare(def, dirs, state, "x86_64", &err), 0);
                CHECK(def->os.loader && endswith(def->os.loader, "/CODE.secboot.fd"));
                CHECK_INTEQ(def->os.loader_secure, TRISTATE_ON);
                CHECK_INTEQ(def->features.smm, TRISTATE_ON);
                CHECK(def->os.nvram == NULL);
        }
        {
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};

                CHECK_INTEQ(domain_def_parse("<domain type='kvm'><name>ek</name><memory>65536</memory>"
                                             "<os firmware='efi'><type machine='pc-q35-7.2'>hvm</type><firmware>"
                                             "<feature enabled='yes' name='enrolled-keys'/></firmware></os>"
                                             "</domain>", 0, &def, &err), 0);
                if (!def)
                        goto out;
                CHECK_INTEQ(qemu_firmware_prepare(def, dirs, state, "x86_64", &err), -ENOENT);
                CHECK(strstr(err.message, "with Secure Boot and enrolled keys"));
        }
        /* a given loader with a template: the guest's own copy */
        {
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                _cleanup_free_ char *xml = NULL, *vars = NULL, *got = NULL;
                ConfError err = {};

                CHECK(asprintf(&xml, "<domain type='kvm'><name>tmpl</name><memory>65536</memory><os><type "
                               "machine='pc-q35-7.2'>hvm</type><loader readonly='yes' type='pflash'>%s/"
                               "CODE.fd</loader><nvram template='%s/VARS.fd'/></os></domain>", root, root) > 0);
                CHECK_INTEQ(domain_def_parse(xml, 0, &def, &err), 0);
                if (!def)
                        goto out;
                CHECK_INTEQ(qemu_firmware_prepare(def, dirs, state, "x86_64", &err), 0);
                CHECK(asprintf(&vars, "%s/qemu/nvram/tmpl_VARS.fd", state) > 0);
                CHECK_STREQ(def->os.nvram, vars);
                CHECK(read_full_file(vars, 0, &got, NULL) == 0);
                CHECK_STREQ(got, "template vars");
        }
        /* a given loader, or BIOS, is left alone */
        {
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};

                CHECK_INTEQ(domain_def_parse("<domain type='kvm'><name>bios</name><memory>65536</memory>"
                                             "<os firmware='bios'><type machine='pc-q35-7.2'>hvm</type></os>"
                                             "</domain>", 0, &def, &err), 0);
                if (def) {
                        CHECK_INTEQ(qemu_firmware_prepare(def, dirs, state, "x86_64", &err), 0);
                        CHECK(def->os.loader == NULL && def->os.nvram == NULL);
                }
        }
out:
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

UNIT_TESTS(test_parse, test_select_and_prepare)
