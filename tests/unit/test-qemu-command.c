/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QEMU command line builder: tests/data/qemu-command/NAME.xml must give
 * NAME.args (one argument per line; REGENERATE=1 rewrites them).
 * test-qemu-golden-run has the real qemu-system-x86_64 run every golden argv
 * (with TCG instead of KVM when /dev/kvm does not open, or when
 * QEMU_COMMAND_TEST_TCG is set). */

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "domain-conf.h"
#include "error.h"
#include "qemu-address.h"
#include "qemu-caps.h"
#include "qemu-command.h"
#include "qemu-command-test.h"
#include "unit.h"
#include "util.h"

static void report_first_difference(const char *name, const char *got, const char *want) {
        size_t line = 1, start = 0;

        for (size_t i = 0; got[i] && got[i] == want[i]; i++)
                if (got[i] == '\n') {
                        line++;
                        start = i + 1;
                }
        fprintf(stderr, "  %s: differs from the golden file at line %zu:\n    got:  %.*s\n    want: %.*s\n",
                name, line, (int) strcspn(got + start, "\n"), got + start,
                (int) strcspn(want + start, "\n"), want + start);
}

/* ---- golden files ---- */

static void check_golden(const char *dir, const char *xml_name, bool regenerate) {
        _cleanup_free_ char *path = NULL, *args_path = NULL, *got = NULL, *want = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        size_t stem = strlen(xml_name) - strlen(".xml");
        ConfError err = {};
        int r;

        CHECK(asprintf(&path, "%s/%s", dir, xml_name) >= 0);
        CHECK(asprintf(&args_path, "%s/%.*s.args", dir, (int) stem, xml_name) >= 0);
        if (!path || !args_path)
                return;
        r = parse_xml_file(path, &def);
        CHECK(r == 0);
        if (r < 0)
                return;
        /* as qemud defines it: the addresses written in first */
        r = qemu_domain_assign_addresses(def, &err);
        if (r < 0)
                fprintf(stderr, "  %s: address assignment failed: %s\n", xml_name, err.message);
        CHECK(r == 0);
        if (r < 0)
                return;
        r = build(def, &argv, &err);
        if (r < 0)
                fprintf(stderr, "  %s: build failed: %s: %s\n", xml_name, err.name ?: "?", err.message);
        CHECK(r == 0);
        if (r < 0)
                return;
        got = join_lines(argv);
        CHECK(got);
        if (!got)
                return;
        if (regenerate) {
                r = write_file_atomic(args_path, got, strlen(got), 0644);
                CHECK(r == 0);
                return;
        }
        r = read_full_file(args_path, 0, &want, NULL);
        if (r < 0)
                fprintf(stderr, "  %s: missing golden file (run with REGENERATE=1)\n", args_path);
        CHECK(r == 0);
        if (r < 0)
                return;
        if (!streq(got, want))
                report_first_difference(xml_name, got, want);
        CHECK(streq(got, want));
}

static void test_golden_files(void) {
        const char *dir = data_dir();
        bool regenerate = getenv("REGENERATE") && streq(getenv("REGENERATE"), "1");
        _cleanup_strv_free_ char **xmls = NULL, **args = NULL;

        CHECK(list_files(dir, ".xml", &xmls) == 0);
        CHECK(list_files(dir, ".args", &args) == 0);
        CHECK(strv_length(xmls) >= 9);
        for (char **x = xmls; x && *x; x++)
                check_golden(dir, *x, regenerate);
        /* an .args without its .xml tests nothing: an orphan */
        for (char **a = args; a && *a; a++) {
                _cleanup_free_ char *x = NULL;

                CHECK(asprintf(&x, "%.*s.xml", (int) (strlen(*a) - 5), *a) >= 0);
                if (x && !strv_has(xmls, x)) {
                        fprintf(stderr, "  orphan golden file %s/%s\n", dir, *a);
                        CHECK(!"orphan .args file");
                }
        }
}

/* ---- specific properties ---- */

static void test_aliases(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *path = NULL;

        CHECK(asprintf(&path, "%s/uefi-custom.xml", data_dir()) >= 0);
        if (!path || parse_xml_file(path, &def) < 0) {
                CHECK(!"uefi-custom.xml parses");
                return;
        }
        CHECK(qemu_command_assign_aliases(def) == 0);
        CHECK(def->n_disks == 2 && def->n_nets == 1 && def->n_chrs == 4 && def->n_rngs == 1 &&
              def->n_controllers == 5 && def->n_inputs == 3 && def->n_videos == 1);
        if (unit_failed_checks)
                return;
        CHECK_STREQ(def->disks[0].alias, "virtio-disk0");
        CHECK_STREQ(def->disks[1].alias, "sata0-0-0");
        CHECK_STREQ(def->nets[0].alias, "net0");
        CHECK_STREQ(def->chrs[0].alias, "serial0");
        CHECK_STREQ(def->chrs[1].alias, "serial1");
        CHECK_STREQ(def->chrs[2].alias, "serial0"); /* the serial console is serial0 */
        CHECK_STREQ(def->chrs[3].alias, "console1");
        CHECK_STREQ(def->rngs[0].alias, "rng0");
        CHECK_STREQ(def->controllers[0].alias, "usb");
        CHECK_STREQ(def->controllers[3].alias, "usb"); /* the companions share the EHCI's */
        CHECK_STREQ(def->controllers[4].alias, "virtio-serial0");
        CHECK_STREQ(def->inputs[2].alias, "input2");
        CHECK_STREQ(def->videos[0].alias, "video0");
        CHECK(!def->memballoon.alias);          /* model none */

        /* every alias is a device id in the argv, with its chardev */
        CHECK(build(def, &argv, NULL) == 0);
        CHECK(has_device_with(argv, "{\"driver\":\"virtio-blk-pci\",\"id\":\"virtio-disk0\",\"bus\":\"pcie.0\",\"drive\":\"virtio-disk0-fmt\"}"));
        CHECK(has_device(argv, "{\"driver\":\"ide-cd\",\"id\":\"sata0-0-0\",\"bus\":\"ide.0\"}"));
        CHECK(has_device(argv, "{\"driver\":\"isa-serial\",\"id\":\"serial1\",\"chardev\":\"charserial1\",\"index\":1}"));
        CHECK(has_device(argv, "{\"driver\":\"virtconsole\",\"id\":\"console1\",\"chardev\":\"charconsole1\"}"));
        CHECK(find_opt(argv, "-chardev", "socket,id=charserial1,path=" TEST_ROOT "/run/uefi-custom.serial1,server=on,wait=off"));
        CHECK(has_device(argv, "{\"driver\":\"virtio-rng-pci\",\"id\":\"rng0\",\"bus\":\"pcie.0\",\"rng\":\"objrng0\"}"));
        /* assigning twice changes nothing */
        CHECK(qemu_command_assign_aliases(def) == 0);
        CHECK_STREQ(def->chrs[3].alias, "console1");
}

static void test_disk_alias_numbering(void) {
        static const struct {
                const char *dst;
                DomainDiskBus bus;
                const char *alias;
        } vec[] = {
                { "vda", DOMAIN_DISK_BUS_VIRTIO, "virtio-disk0" },
                { "vdz", DOMAIN_DISK_BUS_VIRTIO, "virtio-disk25" },
                { "vdaa", DOMAIN_DISK_BUS_VIRTIO, "virtio-disk26" },
                { "sdc", DOMAIN_DISK_BUS_SATA, "sata0-0-2" },
                { "sdg", DOMAIN_DISK_BUS_SATA, "sata1-0-0" },
                { "hdc", DOMAIN_DISK_BUS_IDE, "ide0-1-0" },
                { "hdb", DOMAIN_DISK_BUS_IDE, "ide0-0-1" },
                { "sdb", DOMAIN_DISK_BUS_SCSI, "scsi0-0-0-1" },
                { "sdi", DOMAIN_DISK_BUS_SCSI, "scsi1-0-0-1" }, /* lsilogic: 7 per controller */
        };
        DomainDef def = {};

        for (size_t i = 0; i < ELEMENTSOF(vec); i++) {
                DomainDiskDef disk = { .dst = (char *) vec[i].dst, .bus = vec[i].bus, .bus_given = true };
                _cleanup_free_ char *alias = NULL;

                CHECK(qemu_command_disk_alias(&def, &disk, &alias) == 0);
                CHECK_STREQ(alias, vec[i].alias);
        }
        DomainDiskDef bad = { .dst = (char *) "vd1", .bus_given = true };
        char *alias = NULL;
        CHECK(qemu_command_disk_alias(&def, &bad, &alias) == -EINVAL);
        CHECK(!alias);
}

static void test_fds_and_purity(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **a = NULL, **b = NULL;
        _cleanup_free_ char *path = NULL, *ja = NULL, *jb = NULL;
        _cleanup_free_ int *fds = NULL;
        QemuCommandParams params;
        char pidfile[256];
        size_t n_fds = 0;

        CHECK(asprintf(&path, "%s/pc-legacy.xml", data_dir()) >= 0);
        if (!path || parse_xml_file(path, &def) < 0) {
                CHECK(!"pc-legacy.xml parses");
                return;
        }
        fake_params(def, pidfile, sizeof(pidfile), &params);
        CHECK(qemu_command_build(def, &fake_caps, &params, &a, &fds, &n_fds, NULL) == 0);
        /* monitor first, then the taps of interfaces 0 (bridge) and 1 (network) */
        CHECK_INTEQ(n_fds, 3);
        if (n_fds == 3) {
                CHECK_INTEQ(fds[0], TEST_MONITOR_FD);
                CHECK_INTEQ(fds[1], 20);
                CHECK_INTEQ(fds[2], 21);
        }
        CHECK(find_opt(a, "-netdev", "tap,fd=20,id=hostnet0"));
        CHECK(find_opt(a, "-netdev", "tap,fd=21,id=hostnet1"));
        /* the same input gives the same argv */
        CHECK(qemu_command_build(def, &fake_caps, &params, &b, NULL, NULL, NULL) == 0);
        ja = join_lines(a);
        jb = join_lines(b);
        CHECK(ja && jb && streq(ja, jb));
}

static const char *const xml_head =
        "<domain type='qemu'><name>%s</name><uuid>11111111-2222-4333-8444-555555555555</uuid>"
        "<memory unit='MiB'>128</memory><vcpu>%s</vcpu>"
        "<os><type arch='x86_64' machine='%s'>hvm</type></os>%s<devices>%s</devices></domain>";

static int build_snippet(const char *name, const char *vcpu, const char *machine, const char *extra,
                         const char *devices, char ***ret_argv, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *xml = NULL;

        if (asprintf(&xml, xml_head, name, vcpu, machine, extra, devices) < 0)
                return -ENOMEM;
        if (parse_xml_string(xml, &def) < 0)
                return -EBADMSG;
        return build(def, ret_argv, err);
}

/* The PIT's discard policy is KVM's in-kernel PIT's; on TCG libvirt 9.0
 * still gives the global (QEMU takes it and leaves it unused), and so do
 * we; delay is TCG's own way and needs nothing. */
static void test_pit_tickpolicy_tcg(void) {
        _cleanup_strv_free_ char **argv = NULL, **delay = NULL;
        ConfError err = {};

        CHECK(build_snippet("pit", "1", "q35", "<clock offset='utc'><timer name='pit' tickpolicy='discard'/></clock>",
                            "", &argv, &err) == 0);
        CHECK(find_opt(argv, "-global", "kvm-pit.lost_tick_policy=discard"));
        CHECK(build_snippet("pit", "1", "q35", "<clock offset='utc'><timer name='pit' tickpolicy='delay'/></clock>",
                            "", &delay, &err) == 0);
        CHECK(delay && !find_opt(delay, "-global", "kvm-pit"));
}

static void test_escaping(void) {
        _cleanup_strv_free_ char **argv = NULL;

        CHECK(build_snippet("a,b", "1", "q35", "",
                            "<disk type='file' device='disk'><source file='/img/x,y \"z\".raw'/>"
                            "<target dev='vda' bus='virtio'/></disk>"
                            "<channel type='pty'><target type='virtio' name='org.example,\"x\"=1'/></channel>",
                            &argv, NULL) == 0);
        CHECK(strv_has(argv, "guest=a,,b,debug-threads=on"));
        /* JSON needs no comma doubling: the strings are taken whole */
        CHECK(has_json(argv, "-blockdev", "{\"driver\":\"file\",\"filename\":\"/img/x,y \\\"z\\\".raw\","
                       "\"node-name\":\"virtio-disk0-file\"}", false));
        CHECK(find_opt(argv, "-blockdev", "{\"driver\":\"file\",\"filename\":\"/img/x,y \\\"z\\\".raw\""));
        CHECK(has_device_with(argv, "{\"driver\":\"virtserialport\",\"name\":\"org.example,\\\"x\\\"=1\"}"));
        strv_free(argv);
        argv = NULL;

        /* an IPv6 VNC address goes in brackets */
        CHECK(build_snippet("v6", "1", "q35", "",
                            "<graphics type='vnc' port='5903' autoport='no'>"
                            "<listen type='address' address='::1'/></graphics>", &argv, NULL) == 0);
        CHECK(find_opt(argv, "-vnc", "[::1]:3"));
}

static void test_hyperv(void) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};

        CHECK(build_snippet("hv", "1", "q35",
                            "<features><acpi/><hyperv mode='custom'><relaxed state='on'/><vapic state='off'/>"
                            "<spinlocks state='on' retries='4096'/><vpindex state='on'/><runtime state='on'/>"
                            "<synic state='on'/><stimer state='on'><direct state='on'/></stimer>"
                            "<reset state='on'/><vendor_id state='on' value='Microsoft Hv'/>"
                            "<frequencies state='on'/><reenlightenment state='on'/><tlbflush state='on'/>"
                            "<ipi state='on'/><evmcs state='off'/><avic state='on'/></hyperv>"
                            "<kvm><hidden state='on'/></kvm></features>"
                            "<clock offset='localtime'><timer name='hypervclock' present='yes'/></clock>",
                            "", &argv, NULL) == 0);
        CHECK(find_opt(argv, "-cpu", "qemu64,kvm=off,hv-time=on,hv-relaxed=on,hv-vapic=off,hv-spinlocks=0x1000,"
                       "hv-vpindex=on,hv-runtime=on,hv-synic=on,hv-stimer=on,hv-stimer-direct=on,hv-reset=on,"
                       "hv-vendor-id=Microsoft Hv,hv-frequencies=on,hv-reenlightenment=on,hv-tlbflush=on,"
                       "hv-ipi=on,hv-evmcs=off,hv-avic=on"));
        strv_free(argv);
        argv = NULL;

        /* off without a value: nothing to tell QEMU */
        CHECK(build_snippet("hv-off", "1", "q35",
                            "<features><hyperv><spinlocks state='off'/><vendor_id state='off'/></hyperv></features>",
                            "", &argv, NULL) == 0);
        CHECK(find_opt(argv, "-cpu", "qemu64"));
        strv_free(argv);
        argv = NULL;

        /* the hypervclock timer alone names the default model */
        CHECK(build_snippet("hv-time", "1", "q35",
                            "<clock offset='utc'><timer name='hypervclock' present='no'/></clock>", "", &argv,
                            NULL) == 0);
        CHECK(find_opt(argv, "-cpu", "qemu64,hv-time=off"));
        strv_free(argv);
        argv = NULL;

        /* passthrough asks KVM for what the host has; TCG has nothing to pass */
        CHECK(build_snippet("hv-pt", "1", "q35", "<features><hyperv mode='passthrough'/></features>", "", &argv,
                            &err) == -EOPNOTSUPP);
        CHECK_STREQ(err.name, VB_ERROR_CONFIG_UNSUPPORTED);
        CHECK(strstr(err.message, "<features><hyperv mode='passthrough'> needs KVM") != NULL);
        CHECK(parse_xml_string("<domain type='kvm'><name>hv-pt</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
                               "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                               "<features><hyperv mode='passthrough'/></features>"
                               "<cpu mode='host-passthrough'/></domain>", &def) == 0);
        CHECK(def && build(def, &argv, NULL) == 0);
        CHECK(find_opt(argv, "-cpu", "host,hv-passthrough=on"));
}

static void test_errors(void) {
        static const struct {
                const char *what, *vcpu, *machine, *extra, *devices;
                int r;
                const char *name;
        } vec[] = {
                { "unknown machine", "1", "pc-q35-1.0", "", "", -EOPNOTSUPP, VB_ERROR_CONFIG_UNSUPPORTED },
                { "IDE on q35", "1", "q35", "",
                  "<disk type='file' device='disk'><source file='/a'/><target dev='hda' bus='ide'/></disk>",
                  -EOPNOTSUPP, VB_ERROR_CONFIG_UNSUPPORTED },
                { "virtio cdrom", "1", "q35", "",
                  "<disk type='file' device='cdrom'><source file='/a'/><target dev='vda' bus='virtio'/></disk>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "topology", "3", "q35", "<cpu><topology sockets='1' dies='1' cores='2' threads='1'/></cpu>", "",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "unknown CPU model", "1", "q35", "<cpu mode='custom'><model>Nehalem-9000</model></cpu>", "",
                  -EOPNOTSUPP, VB_ERROR_CONFIG_UNSUPPORTED },
                { "localtime basis", "1", "q35", "<clock offset='variable' adjustment='10' basis='localtime'/>", "",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "tablet without USB", "1", "q35", "",
                  "<controller type='usb' index='0' model='none'/><input type='tablet' bus='usb'/>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "second console as serial", "1", "q35", "",
                  "<console type='pty'><target type='serial'/></console>"
                  "<console type='pty'><target type='serial'/></console>",
                  -EOPNOTSUPP, VB_ERROR_CONFIG_UNSUPPORTED },
                { "two VNC", "1", "q35", "",
                  "<graphics type='vnc' port='5900' autoport='no'/><graphics type='vnc' port='5901' autoport='no'/>",
                  -EOPNOTSUPP, VB_ERROR_CONFIG_UNSUPPORTED },
                { "iotune total with read", "1", "q35", "",
                  "<disk type='file' device='disk'><source file='/a'/><target dev='vda' bus='virtio'/>"
                  "<iotune><total_bytes_sec>10</total_bytes_sec><read_bytes_sec>5</read_bytes_sec></iotune></disk>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "PCI bus without its controller", "1", "q35", "",
                  "<interface type='user'><address type='pci' bus='3' slot='0'/></interface>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "root port slot", "1", "q35", "",
                  "<controller type='pci' index='1' model='pcie-root-port'/>"
                  "<interface type='user'><address type='pci' bus='1' slot='2'/></interface>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "host bridge slot", "1", "q35", "",
                  "<interface type='user'><address type='pci' bus='0' slot='0' function='1'/></interface>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "q35 SATA moved", "1", "q35", "",
                  "<controller type='sata' index='0'><address type='pci' slot='5'/></controller>",
                  -EOPNOTSUPP, VB_ERROR_CONFIG_UNSUPPORTED },
                { "pc IDE moved", "1", "pc", "",
                  "<controller type='ide' index='0'><address type='pci' slot='1' function='2'/></controller>",
                  -EOPNOTSUPP, VB_ERROR_CONFIG_UNSUPPORTED },
                { "USB bus without controller", "1", "q35", "",
                  "<input type='tablet' bus='usb'><address type='usb' bus='1' port='1'/></input>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "virtio-serial controller missing", "1", "q35", "",
                  "<controller type='virtio-serial' index='0'/><channel type='pty'><target type='virtio' name='a'/>"
                  "<address type='virtio-serial' controller='1'/></channel>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "drive address taken by a target name", "1", "q35", "",
                  "<disk type='file'><source file='/a'/><target dev='sda' bus='sata'/>"
                  "<address type='drive' unit='1'/></disk>"
                  "<disk type='file'><source file='/b'/><target dev='sdb' bus='sata'/></disk>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "IDE unit QEMU has not", "1", "pc", "",
                  "<disk type='file'><source file='/a'/><target dev='hdc' bus='ide'/>"
                  "<address type='drive' controller='0' bus='0' target='0' unit='2'/></disk>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "drive address on a virtio disk", "1", "q35", "",
                  "<disk type='file'><source file='/a'/><target dev='vda'/><address type='drive' unit='1'/></disk>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "spicevmc channel without SPICE", "1", "q35", "",
                  "<channel type='spicevmc'><target type='virtio'/></channel>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "redirdev without SPICE", "1", "q35", "",
                  "<graphics type='vnc' port='5900' autoport='no'/><redirdev bus='usb' type='spicevmc'/>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "spice audio without SPICE", "1", "q35", "", "<audio id='1' type='spice'/>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "sound naming a missing audio", "1", "q35", "",
                  "<sound model='ich9'><audio id='3'/></sound><audio id='1' type='none'/>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "redirdev without USB", "1", "q35", "",
                  "<graphics type='spice' port='5900' autoport='no'/><controller type='usb' index='0' model='none'/>"
                  "<redirdev bus='usb' type='spicevmc'/>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "secure SPICE channel without a TLS port", "1", "q35", "",
                  "<graphics type='spice' port='5900' autoport='no'><channel name='main' mode='secure'/></graphics>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
                { "lsilogic target", "1", "q35", "",
                  "<disk type='file'><source file='/a'/><target dev='sda' bus='scsi'/>"
                  "<address type='drive' target='1'/></disk>",
                  -EINVAL, VB_ERROR_INVALID_ARG },
        };

        for (size_t i = 0; i < ELEMENTSOF(vec); i++) {
                _cleanup_strv_free_ char **argv = NULL;
                ConfError err = {};
                int r;

                r = build_snippet("bad", vec[i].vcpu, vec[i].machine, vec[i].extra, vec[i].devices, &argv, &err);
                if (r != vec[i].r)
                        fprintf(stderr, "  case '%s': got %d (%s), expected %d\n", vec[i].what, r,
                                err.message, vec[i].r);
                CHECK(r == vec[i].r);
                CHECK(!argv);
                if (r == vec[i].r) {
                        CHECK_STREQ(err.name, vec[i].name);
                        CHECK(err.message[0] != 0);
                }
        }
}

/* Devices without an address are placed around those with one: never on a
 * slot given to a later device, never on the machine's own. */
static void test_pci_placement(void) {
        _cleanup_strv_free_ char **argv = NULL;

        CHECK(build_snippet("pin", "1", "q35", "",
                            "<controller type='usb' index='0' model='qemu-xhci'>"
                            "<address type='pci' bus='0' slot='2'/></controller>"
                            "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"
                            "<memballoon model='virtio'><address type='pci'/></memballoon>"
                            "<rng model='virtio'><backend model='builtin'/>"
                            "<address type='pci' bus='0' slot='3' function='0'/></rng>", &argv, NULL) == 0);
        CHECK(has_device(argv, "{\"driver\":\"qemu-xhci\",\"id\":\"usb\",\"bus\":\"pcie.0\",\"addr\":\"0x2\"}"));
        CHECK(has_device_with(argv, "{\"driver\":\"e1000e\",\"id\":\"net0\",\"bus\":\"pcie.0\",\"addr\":\"0x1\",\"netdev\":\"hostnet0\"}") ||
              has_device_with(argv, "{\"driver\":\"rtl8139\",\"id\":\"net0\",\"bus\":\"pcie.0\",\"addr\":\"0x1\",\"netdev\":\"hostnet0\"}"));
        CHECK(has_device(argv, "{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\",\"bus\":\"pcie.0\",\"addr\":\"0x4\"}"));
        CHECK(has_device(argv, "{\"driver\":\"virtio-rng-pci\",\"id\":\"rng0\",\"bus\":\"pcie.0\",\"addr\":\"0x3\",\"rng\":\"objrng0\"}"));
        strv_free(argv);
        argv = NULL;

        /* on pc, slot 1 is the PIIX3's: the first free one is 2 */
        CHECK(build_snippet("pin", "1", "pc", "",
                            "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"
                            "<video><model type='vga'/><address type='pci' slot='3'/></video>", &argv, NULL) == 0);
        CHECK(has_device_with(argv, "{\"driver\":\"rtl8139\",\"bus\":\"pci.0\",\"addr\":\"0x2\",\"netdev\":\"hostnet0\"}"));
        CHECK(has_device(argv, "{\"driver\":\"VGA\",\"id\":\"video0\",\"bus\":\"pci.0\",\"addr\":\"0x3\"}"));
        strv_free(argv);
        argv = NULL;

        /* addresses behind root ports only: the root bus is QEMU's to fill */
        CHECK(build_snippet("ports", "1", "q35", "",
                            "<controller type='pci' index='1' model='pcie-root-port'><target hotplug='off'/></controller>"
                            "<interface type='user'><mac address='52:54:00:00:00:01'/>"
                            "<address type='pci' bus='1' slot='0'/></interface>"
                            "<memballoon model='virtio'/>", &argv, NULL) == 0);
        CHECK(has_device(argv, "{\"driver\":\"pcie-root-port\",\"id\":\"pci.1\",\"bus\":\"pcie.0\",\"port\":1,\"chassis\":1,\"hotplug\":false}"));
        CHECK(has_device_with(argv, "{\"driver\":\"rtl8139\",\"id\":\"net0\",\"bus\":\"pci.1\",\"addr\":\"0x0\",\"netdev\":\"hostnet0\"}"));
        CHECK(has_device(argv, "{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\",\"bus\":\"pcie.0\"}"));
        strv_free(argv);
        argv = NULL;

        /* SMM and the PM of q35 */
        CHECK(build_snippet("smm", "1", "q35",
                            "<features><acpi/><smm state='on'/></features><pm><suspend-to-mem enabled='yes'/></pm>"
                            "<clock offset='utc'><timer name='kvmclock' present='yes'/>"
                            "<timer name='pit' tickpolicy='delay'/><timer name='rtc' track='wall'/></clock>",
                            "", &argv, NULL) == 0);
        CHECK(find_opt(argv, "-machine", "pc-q35-7.2,usb=off,dump-guest-core=off,smm=on"));
        CHECK(strv_has(argv, "ICH9-LPC.disable_s3=0"));
        CHECK(!strv_has(argv, "ICH9-LPC.disable_s4=1"));
        CHECK(find_opt(argv, "-cpu", "qemu64,kvmclock=on"));
        CHECK(find_opt(argv, "-rtc", "base=utc,clock=host"));
        /* TCG's own PIT delays ticks: nothing to say */
        CHECK(!strv_has(argv, "kvm-pit.lost_tick_policy=delay"));
}

/* A sound card without <audio> gets libvirt's implicit backend: spice with
 * a SPICE display, else none; USB redirection adds the USB controller. */
static void test_sound_and_redir(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *path = NULL;

        CHECK(build_snippet("snd", "1", "q35", "", "<sound model='ich9'/>", &argv, NULL) == 0);
        CHECK(find_opt(argv, "-audiodev", "none,id=audio1"));
        CHECK(has_device(argv, "{\"driver\":\"ich9-intel-hda\",\"id\":\"sound0\",\"bus\":\"pcie.0\"}"));
        CHECK(has_device(argv, "{\"driver\":\"hda-duplex\",\"id\":\"sound0-codec0\",\"bus\":\"sound0.0\",\"cad\":0,\"audiodev\":\"audio1\"}"));
        strv_free(argv);
        argv = NULL;

        CHECK(build_snippet("snd", "1", "q35", "",
                            "<graphics type='spice' port='5900' autoport='no'/><sound model='usb'/>"
                            "<redirdev bus='usb' type='spicevmc'/>", &argv, NULL) == 0);
        CHECK(find_opt(argv, "-audiodev", "spice,id=audio1"));
        CHECK(has_device(argv, "{\"driver\":\"qemu-xhci\",\"id\":\"usb\",\"bus\":\"pcie.0\"}"));
        CHECK(has_device(argv, "{\"driver\":\"usb-audio\",\"id\":\"sound0\",\"bus\":\"usb.0\",\"audiodev\":\"audio1\"}"));
        CHECK(find_opt(argv, "-chardev", "spicevmc,id=charredir0,name=usbredir"));
        CHECK(has_device(argv, "{\"driver\":\"usb-redir\",\"id\":\"redir0\",\"bus\":\"usb.0\",\"chardev\":\"charredir0\"}"));
        strv_free(argv);
        argv = NULL;

        /* no sound card: no backend is made up */
        CHECK(build_snippet("snd", "1", "q35", "", "<graphics type='spice' port='5900' autoport='no'/>",
                            &argv, NULL) == 0);
        CHECK(!find_opt(argv, "-audiodev", ""));

        /* the live aliases are the ids of the argv */
        CHECK(asprintf(&path, "%s/virt-manager-desktop.xml", data_dir()) >= 0);
        if (!path || parse_xml_file(path, &def) < 0) {
                CHECK(!"virt-manager-desktop.xml parses");
                return;
        }
        CHECK(qemu_command_assign_aliases(def) == 0);
        CHECK(def->n_sounds == 1 && def->n_redirdevs == 2 && def->n_chrs == 4);
        if (unit_failed_checks)
                return;
        CHECK_STREQ(def->sounds[0].alias, "sound0");
        CHECK_STREQ(def->redirdevs[1].alias, "redir1");
        CHECK_STREQ(def->chrs[3].alias, "channel1");
}

/* A guest agent channel without a path gets a socket in the run directory,
 * shown in the live XML once the driver has assigned it. */
static void test_channel_paths(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *path = NULL, *live = NULL, *inactive = NULL, *want = NULL;
        char longdir[200];

        CHECK(asprintf(&path, "%s/virt-install.xml", data_dir()) >= 0);
        if (!path || parse_xml_file(path, &def) < 0) {
                CHECK(!"virt-install.xml parses");
                return;
        }
        CHECK(def->n_chrs == 3 && def->chrs[2].kind == DOMAIN_CHR_CHANNEL);
        if (unit_failed_checks)
                return;
        CHECK(qemu_command_assign_aliases(def) == 0);
        CHECK_STREQ(def->chrs[2].alias, "channel0");
        CHECK_STREQ(def->controllers[2].alias, "pci.1");
        memset(longdir, 'x', sizeof(longdir) - 1);
        longdir[0] = '/';
        longdir[sizeof(longdir) - 1] = 0;
        CHECK(qemu_command_assign_paths(def, longdir) == -ENAMETOOLONG);
        CHECK(!def->chrs[2].path);
        CHECK(qemu_command_assign_paths(def, NULL) == -EINVAL);
        CHECK(qemu_command_assign_paths(def, TEST_ROOT "/run") == 0);
        CHECK_STREQ(def->chrs[2].path, TEST_ROOT "/run/virt-install.channel0.sock");
        CHECK(def->chrs[2].path_auto && def->chrs[2].listen);
        /* assigning again keeps it */
        CHECK(qemu_command_assign_paths(def, TEST_ROOT "/run") == 0);
        CHECK_STREQ(def->chrs[2].path, TEST_ROOT "/run/virt-install.channel0.sock");

        CHECK(build(def, &argv, NULL) == 0);
        CHECK(find_opt(argv, "-chardev", "socket,id=charchannel0,path=" TEST_ROOT "/run/virt-install.channel0.sock,"
                                         "server=on,wait=off"));
        CHECK(has_device(argv, "{\"driver\":\"virtserialport\",\"id\":\"channel0\",\"bus\":\"virtio-serial0.0\",\"nr\":1,\"chardev\":\"charchannel0\",\"name\":\"org.qemu.guest_agent.0\"}"));
        CHECK(domain_def_format(def, 0, &live) == 0);
        CHECK(domain_def_format(def, DOMAIN_FORMAT_INACTIVE, &inactive) == 0);
        CHECK(live && strstr(live, "<source mode='bind' path='" TEST_ROOT "/run/virt-install.channel0.sock'/>"));
        CHECK(inactive && !strstr(inactive, "channel0.sock"));
}

/* -sandbox comes only when the params ask for it, with libvirt's denials. */
static void test_sandbox(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **plain = NULL, **confined = NULL;
        _cleanup_free_ char *path = NULL;
        QemuCommandParams params;
        char pidfile[512];

        CHECK(asprintf(&path, "%s/virt-install.xml", data_dir()) >= 0);
        if (!path || parse_xml_file(path, &def) < 0) {
                CHECK(!"virt-install.xml parses");
                return;
        }
        fake_params(def, pidfile, sizeof(pidfile), &params);
        CHECK(qemu_command_build(def, &fake_caps, &params, &plain, NULL, NULL, NULL) == 0);
        CHECK(!strv_has(plain, "-sandbox"));
        params.sandbox = true;
        CHECK(qemu_command_build(def, &fake_caps, &params, &confined, NULL, NULL, NULL) == 0);
        CHECK(find_opt(confined, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
        CHECK(strv_length(confined) == strv_length(plain) + 2);
}

static void test_missing_device_type(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *path = NULL;
        QemuCaps caps = fake_caps;
        char *devices[] = { (char *) "usb-tablet", NULL };
        QemuCommandParams params;
        char pidfile[256];
        ConfError err = {};

        CHECK(asprintf(&path, "%s/desktop.xml", data_dir()) >= 0);
        if (!path || parse_xml_file(path, &def) < 0) {
                CHECK(!"desktop.xml parses");
                return;
        }
        caps.device_types = devices;
        fake_params(def, pidfile, sizeof(pidfile), &params);
        CHECK(qemu_command_build(def, &caps, &params, &argv, NULL, NULL, &err) == -EOPNOTSUPP);
        CHECK(strstr(err.message, "qemu-xhci"));
        /* KVM asked of a QEMU without it */
        caps = fake_caps;
        caps.kvm_available = false;
        CHECK(qemu_command_build(def, &caps, &params, &argv, NULL, NULL, &err) == -EOPNOTSUPP);
        /* TCG instead: host-model becomes max */
        params.accel = QEMU_ACCEL_TCG;
        CHECK(qemu_command_build(def, &caps, &params, &argv, NULL, NULL, &err) == 0);
        CHECK(find_opt(argv, "-cpu", "max"));
        CHECK(find_opt(argv, "-accel", "tcg"));
}

UNIT_TESTS(test_golden_files,
           test_pit_tickpolicy_tcg,
           test_aliases,
           test_disk_alias_numbering,
           test_fds_and_purity,
           test_escaping,
           test_hyperv,
           test_errors,
           test_pci_placement,
           test_channel_paths,
           test_sound_and_redir,
           test_missing_device_type,
           test_sandbox)
