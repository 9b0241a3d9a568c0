/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><tpm>: parsed and formatted (schema-valid, the same after a
 * second parse), libvirt's define-time rules (qemu_tpm_validate() through
 * qemu_validate_def()), and the host side at start (qemu_tpm_prepare())
 * on a made-up device and sysfs. */

#include <fcntl.h>
#include <ftw.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "domain-test.h"
#include "qemu-swtpm.h"
#include "qemu-tpm.h"
#include "qemu-validate.h"
#include "util.h"
#include "qemu-refuse-test.h"

#define TPM_REFUSED(devices, name, needle) QEMU_REFUSED(NULL, devices, name, needle)

static void test_rules(void) {
        TPM_REFUSED("<tpm model='tpm-tis'></tpm>", VB_ERROR_XML, "missing TPM device backend");
        TPM_REFUSED("<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>", VB_ERROR_NOT_SUPPORTED,
                    "TPM version '1.2' is not supported with model 'tpm-crb'");
        TPM_REFUSED("<tpm><backend type='emulator' version='1.2'><active_pcr_banks><sha1/></active_pcr_banks>"
                    "</backend></tpm>", VB_ERROR_NOT_SUPPORTED, "needs TPM version '2.0'");
        TPM_REFUSED("<tpm model='tpm-spapr'><backend type='emulator'/></tpm>", VB_ERROR_NOT_SUPPORTED,
                    "TPM model 'tpm-spapr' of <devices/tpm> is not supported on x86");
        TPM_REFUSED("<tpm><backend type='emulator'/></tpm><tpm><backend type='emulator'/></tpm>",
                    VB_ERROR_NOT_SUPPORTED, "only one TPM device");
        /* (an <encryption secret=''/> is taken: its passphrase goes to swtpm, test_swtpm_argv) */
        TPM_REFUSED("<tpm><backend type='passthrough'><source type='unix' mode='connect' path='/x'/></backend></tpm>",
                    VB_ERROR_NOT_SUPPORTED, "element <devices/tpm/backend/source> is not supported");
        TPM_REFUSED("<tpm><backend type='passthrough' persistent_state='yes'/></tpm>", VB_ERROR_XML,
                    "persistent_state");
}

static void test_round_trip(void) {
        static const char *const tpms[] = {
                "<tpm model='tpm-crb'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>",
                "<tpm model='tpm-tis'><backend type='emulator' version='2.0' persistent_state='yes'>"
                "<active_pcr_banks><sha256/><sha512/></active_pcr_banks></backend></tpm>",
                "<tpm><backend type='external'><source type='unix' mode='connect' path='/run/swtpm.sock'/>"
                "</backend></tpm>",
        };
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(tpms); i++) {
                _cleanup_free_ char *xml = domain_with(NULL, tpms[i]), *a = NULL, *b = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "tpm"), *again = NULL;
                ConfError err = {};

                if (!def)
                        continue;
                CHECK(qemu_validate_def(def, &err) == 0);
                a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
                again = a ? parse_ok(a, "formatted tpm") : NULL;
                b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(a && b && streq(a, b));
                if (schema && a)
                        CHECK(schema_valid(schema, a));
        }
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

static int prepare(const char *tpm, ConfError *err) {
        _cleanup_free_ char *xml = domain_with(NULL, tpm);
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "tpm");

        return def ? qemu_tpm_prepare(def, "/nonexistent-sys", err) : -EINVAL;
}

static void test_prepare(void) {
        char root[] = "/tmp/vbtest-tpm-XXXXXX";
        _cleanup_free_ char *sock = NULL, *ext = NULL, *dev = NULL, *pass = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        ConfError err = {};
        int fd;

        CHECK(mkdtemp(root) != NULL);
        CHECK(asprintf(&sock, "%s/swtpm.sock", root) > 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        CHECK(asprintf(&ext, "<tpm><backend type='external'><source type='unix' mode='connect' path='%s'/>"
                       "</backend></tpm>", sock) > 0);
        CHECK(prepare(ext, &err) == 0);
        /* a passthrough device that is there, but no sysfs cancel file */
        CHECK(asprintf(&dev, "%s/tpm7", root) > 0);
        CHECK(close(open(dev, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0);
        CHECK(asprintf(&pass, "<tpm model='tpm-crb'><backend type='passthrough'><device path='%s'/></backend></tpm>",
                       dev) > 0);
        CHECK(prepare(pass, &err) == -ENODEV);
        CHECK_CONTAINS(err.message, "the cancel file of the TPM device of <devices/tpm> is not on this host: "
                                    "/nonexistent-sys/class/tpm/tpm7/device/cancel");
        err = (ConfError) {};
        CHECK(prepare("<tpm><backend type='passthrough'><device path='/dev/no-tpm9'/></backend></tpm>", &err) ==
              -ENODEV);
        CHECK_CONTAINS(err.message, "the TPM device of <devices/tpm> is not on this host: /dev/no-tpm9");
        err = (ConfError) {};
        /* the emulator's swtpm is qemud's own, started beside QEMU */
        CHECK(prepare("<tpm><backend type='emulator'/></tpm>", &err) == 0);
        close(fd);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void argv_is_(const char *tpm, bool setup, const char *want, int line) {
        _cleanup_free_ char *xml = domain_with(NULL, tpm), *got = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "tpm");
        _cleanup_strv_free_ char **argv = NULL;
        SwtpmPaths p = { "/var/lib/virtbus/qemu/swtpm/U/tpm2", "/var/lib/virtbus/qemu/swtpm/U/swtpm.log",
                         "/run/virtbus/qemu/domain-1-g/tpm0.swtpm.sock", "/run/virtbus/qemu/domain-1-g/tpm0.swtpm.pid",
                         "g:U" };

        if (!def)
                return;
        CHECK((setup ? qemu_swtpm_setup_argv : qemu_swtpm_argv)(&def->tpms[0], &p, &argv) == 0);
        got = argv ? strv_join(argv, " ") : NULL;
        if (!streq_ptr(got, want)) {
                fprintf(stderr, "  line %d: got\n    %s\n  expected\n    %s\n", line, got, want);
                unit_failed_checks++;
        }
}
#define ARGV_IS(tpm, setup, want) argv_is_(tpm, setup, want, __LINE__)

/* swtpm_setup and swtpm as libvirt runs them (its qemu_tpm.c), with the
 * options of Debian 12's swtpm 0.7. */
static void test_swtpm_argv(void) {
        ARGV_IS("<tpm model='tpm-crb'><backend type='emulator' version='2.0'><active_pcr_banks><sha256/><sha384/>"
                "</active_pcr_banks></backend></tpm>", true,
                "swtpm_setup --tpm2 --tpm-state /var/lib/virtbus/qemu/swtpm/U/tpm2 --vmid g:U "
                "--logfile /var/lib/virtbus/qemu/swtpm/U/swtpm.log --createek --lock-nvram --not-overwrite "
                "--pcr-banks sha256,sha384");
        ARGV_IS("<tpm><backend type='emulator' version='1.2'/></tpm>", true,
                "swtpm_setup --tpm-state /var/lib/virtbus/qemu/swtpm/U/tpm2 --vmid g:U "
                "--logfile /var/lib/virtbus/qemu/swtpm/U/swtpm.log --createek --lock-nvram --not-overwrite");
        ARGV_IS("<tpm><backend type='emulator'/></tpm>", false,
                "swtpm socket --tpm2 --ctrl type=unixio,path=/run/virtbus/qemu/domain-1-g/tpm0.swtpm.sock,mode=0600 "
                "--tpmstate dir=/var/lib/virtbus/qemu/swtpm/U/tpm2,mode=0600 "
                "--log file=/var/lib/virtbus/qemu/swtpm/U/swtpm.log "
                "--pid file=/run/virtbus/qemu/domain-1-g/tpm0.swtpm.pid --terminate --daemon");
        ARGV_IS("<tpm><backend type='emulator' version='2.0'><encryption secret='b4a117f1-8af2-44a4-91b8-7f0d2d4d68a3'/>"
                "</backend></tpm>", true,
                "swtpm_setup --tpm2 --tpm-state /var/lib/virtbus/qemu/swtpm/U/tpm2 --vmid g:U "
                "--logfile /var/lib/virtbus/qemu/swtpm/U/swtpm.log --createek --lock-nvram --not-overwrite "
                "--pwdfile-fd 3 --cipher aes-256-cbc");
        ARGV_IS("<tpm><backend type='emulator' version='2.0'><encryption secret='b4a117f1-8af2-44a4-91b8-7f0d2d4d68a3'/>"
                "</backend></tpm>", false,
                "swtpm socket --tpm2 --ctrl type=unixio,path=/run/virtbus/qemu/domain-1-g/tpm0.swtpm.sock,mode=0600 "
                "--tpmstate dir=/var/lib/virtbus/qemu/swtpm/U/tpm2,mode=0600 "
                "--log file=/var/lib/virtbus/qemu/swtpm/U/swtpm.log "
                "--pid file=/run/virtbus/qemu/domain-1-g/tpm0.swtpm.pid --terminate --daemon "
                "--key pwdfd=3,mode=aes-256-cbc --migration-key pwdfd=4,mode=aes-256-cbc");
        ARGV_IS("<tpm><backend type='emulator' version='1.2'/></tpm>", false,
                "swtpm socket --ctrl type=unixio,path=/run/virtbus/qemu/domain-1-g/tpm0.swtpm.sock,mode=0600 "
                "--tpmstate dir=/var/lib/virtbus/qemu/swtpm/U/tpm2,mode=0600 "
                "--log file=/var/lib/virtbus/qemu/swtpm/U/swtpm.log "
                "--pid file=/run/virtbus/qemu/domain-1-g/tpm0.swtpm.pid --terminate --daemon");
}

UNIT_TESTS(test_rules, test_round_trip, test_prepare, test_swtpm_argv)
