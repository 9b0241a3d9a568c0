/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcd's pure parts: a definition into a container plan (lxc-plan.c), the
 * plan through the supervisor's arguments and back, and the LXC policy
 * (lxc-validate.c). */
#include <stdlib.h>
#include <string.h>

#include "lxc-plan.h"
#include "lxc-procview.h"
#include "lxc-validate.h"
#include "unit.h"
#include "util.h"

#define CONTAINER(os, devices)                                                  \
        "<domain type='lxc'><name>c1</name><memory unit='MiB'>64</memory>"      \
        "<os><type>exe</type>" os "</os><devices>" devices "</devices></domain>"

static DomainDef *parse(const char *xml) {
        DomainDef *def = NULL;
        ConfError err = {};
        int r = domain_def_parse(xml, strlen(xml), &def, &err);

        if (r < 0)
                fprintf(stderr, "  parse: %s\n", err.message);
        CHECK(r >= 0);
        return def;
}

static const char *const full_xml =
        CONTAINER("<init>/bin/sh</init><initarg>-c</initarg><initarg>echo $$</initarg>"
                  "<initenv name='FOO'>bar baz</initenv><initdir>/work</initdir>"
                  "<inituser>nobody</inituser><initgroup>nogroup</initgroup>",
                  "<filesystem type='mount'><source dir='/srv/root'/><target dir='/'/></filesystem>"
                  "<filesystem type='mount'><source dir='/srv/data'/><target dir='/data'/><readonly/></filesystem>"
                  "<filesystem type='ram'><source usage='2048' units='KiB'/><target dir='/tmp'/></filesystem>");

static void test_plan_from_def(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(full_xml);
        _cleanup_(lxc_plan_freep) LxcPlan *p = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(lxc_plan_from_def(def, "/run/x/c1.exit", &p, &err), 0);
        CHECK_STREQ(p->name, "c1");
        CHECK_STREQ(p->root, "/srv/root");
        CHECK_INTEQ(p->n_mounts, 2);
        CHECK(p->mounts[0].kind == LXC_MOUNT_BIND && p->mounts[0].readonly);
        CHECK_STREQ(p->mounts[0].src, "/srv/data");
        CHECK_STREQ(p->mounts[0].dst, "/data");
        CHECK(p->mounts[1].kind == LXC_MOUNT_TMPFS && p->mounts[1].size_kib == 2048);
        CHECK_STREQ(p->workdir, "/work");
        CHECK_STREQ(p->user, "nobody");
        CHECK_STREQ(p->group, "nogroup");
        CHECK_INTEQ(strv_length(p->argv), 3);
        CHECK_STREQ(p->argv[2], "echo $$");
        _cleanup_free_ char *env = strv_join(p->env, "|");
        CHECK_STREQ(env, "PATH=/bin:/sbin:/usr/bin:/usr/sbin|container=lxc-libvirt|LIBVIRT_LXC_NAME=c1|FOO=bar baz");
        _cleanup_free_ char *init = lxc_plan_host_path(p, p->argv[0]);
        CHECK_STREQ(init, "/srv/root/bin/sh");
}

/* What lxcd hands the supervisor is what the supervisor reads back. */
static void test_argv_round_trip(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(full_xml);
        _cleanup_(lxc_plan_freep) LxcPlan *p = NULL, *q = NULL;
        _cleanup_strv_free_ char **argv = NULL, **again = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(lxc_plan_from_def(def, "/run/x/c1.exit", &p, &err), 0);
        CHECK_INTEQ(strv_extend(&p->cgroups, "/sys/fs/cgroup/virtbus/lxc-x/cgroup.procs"), 0);
        CHECK_INTEQ(lxc_plan_to_argv(p, &argv), 0);
        a = strv_join(argv, " ");
        CHECK_STREQ(a, "--name c1 --root /srv/root --workdir /work --user nobody --group nogroup "
                       "--exit-file /run/x/c1.exit --bind /srv/data /data ro --tmpfs /tmp 2048 "
                       "--cgroup /sys/fs/cgroup/virtbus/lxc-x/cgroup.procs "
                       "--env PATH=/bin:/sbin:/usr/bin:/usr/sbin --env container=lxc-libvirt "
                       "--env LIBVIRT_LXC_NAME=c1 --env FOO=bar baz -- /bin/sh -c echo $$");
        CHECK_INTEQ(lxc_plan_parse(argv, &q), 0);
        CHECK_INTEQ(lxc_plan_to_argv(q, &again), 0);
        b = strv_join(again, " ");
        CHECK_STREQ(a, b);
        /* an argument an older or newer lxcd would not know */
        char *bad[] = { (char *) "--name", (char *) "x", (char *) "--frobnicate", (char *) "--", (char *) "/i", NULL };
        LxcPlan *r = NULL;
        CHECK_INTEQ(lxc_plan_parse(bad, &r), -EINVAL);
        char *noinit[] = { (char *) "--name", (char *) "x", (char *) "--", NULL };
        CHECK_INTEQ(lxc_plan_parse(noinit, &r), -EINVAL);
}

/* Interfaces: eth0, eth1... unless <guest dev>; <ip> (with libvirt's
 * default prefix) and <route>; through the arguments and back, and the
 * XML formatted again. */
static void test_interfaces(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(CONTAINER(
                "<init>/bin/sh</init>",
                "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>"
                "<interface type='ethernet'><mac address='52:54:00:00:00:02'/><target dev='veth9'/>"
                "<guest dev='inner0'/><ip address='10.1.2.3' prefix='16'/><ip address='172.20.0.5'/>"
                "<ip address='fd00::5' prefix='64'/>"
                "<route address='10.9.0.0' prefix='16' gateway='10.1.0.1'/></interface>"
                "<interface type='bridge'><mac address='52:54:00:00:00:03'/><source bridge='br0'/></interface>"));
        _cleanup_(lxc_plan_freep) LxcPlan *p = NULL, *q = NULL;
        _cleanup_strv_free_ char **argv = NULL, **again = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL, *xml = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(lxc_validate_def(def, &err), 0);
        CHECK_INTEQ(lxc_plan_from_def(def, NULL, &p, &err), 0);
        CHECK_INTEQ(p->n_nets, 3);
        CHECK_STREQ(p->nets[0].guest, "eth0");
        CHECK_STREQ(p->nets[1].guest, "inner0");
        CHECK_STREQ(p->nets[2].guest, "eth2");
        /* no peer yet: lxcd names them when it makes them */
        CHECK_INTEQ(lxc_plan_to_argv(p, &argv), -EINVAL);
        p->nets[0].peer = strdup("vc1");
        p->nets[1].peer = strdup("vc2");
        p->nets[2].peer = strdup("vc3");
        CHECK_INTEQ(lxc_plan_to_argv(p, &argv), 0);
        a = strv_join(argv, " ");
        CHECK(strstr(a, "--net vc1 eth0 52:54:00:00:00:01 --net vc2 inner0 52:54:00:00:00:02 --ip 10.1.2.3/16 "
                        "--ip 172.20.0.5/16 --ip fd00::5/64 --route 10.9.0.0/16 10.1.0.1 "
                        "--net vc3 eth2 52:54:00:00:00:03 --env") != NULL);
        CHECK_INTEQ(lxc_plan_parse(argv, &q), 0);
        CHECK_INTEQ(lxc_plan_to_argv(q, &again), 0);
        b = strv_join(again, " ");
        CHECK_STREQ(a, b);
        CHECK(q->n_nets == 3 && q->nets[1].mac[5] == 2);
        CHECK_INTEQ(domain_def_format(def, 0, &xml), 0);
        CHECK(strstr(xml, "<interface type='ethernet'>") && strstr(xml, "<guest dev='inner0'/>") &&
              strstr(xml, "<ip address='10.1.2.3' prefix='16'/>") && strstr(xml, "<ip address='172.20.0.5'/>") &&
              strstr(xml, "<route address='10.9.0.0' prefix='16' gateway='10.1.0.1'/>"));
}

static void test_default_init_and_idmap(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(
                "<domain type='lxc'><name>c2</name><memory unit='MiB'>64</memory><os><type>exe</type></os>"
                "<idmap><uid start='0' target='100000' count='65536'/><gid start='0' target='100000' count='65536'/>"
                "</idmap><devices/></domain>");
        _cleanup_(lxc_plan_freep) LxcPlan *p = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(lxc_plan_from_def(def, NULL, &p, &err), 0);
        CHECK_STREQ(p->argv[0], "/sbin/init");
        CHECK(p->root == NULL);
        CHECK_STREQ(p->uid_map, "0 100000 65536\n");
        CHECK_STREQ(p->gid_map, "0 100000 65536\n");
        _cleanup_free_ char *init = lxc_plan_host_path(p, "/sbin/init");
        CHECK_STREQ(init, "/sbin/init");
}

static void expect_refused(const char *xml, const char *needle) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r = domain_def_parse(xml, strlen(xml), &def, &err);

        if (r >= 0)
                r = domain_def_validate(def, &err);
        if (r >= 0)
                r = lxc_validate_def(def, &err);
        CHECK(r < 0);
        if (r < 0 && !strstr(err.message, needle))
                fprintf(stderr, "  expected '%s' in: %s\n", needle, err.message);
        CHECK(r < 0 && strstr(err.message, needle));
}

static void test_policy(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(full_xml);
        ConfError err = {};

        CHECK(def && lxc_validate_def(def, &err) == 0);
        expect_refused("<domain type='kvm'><name>v</name><memory unit='MiB'>64</memory><os><type>hvm</type></os>"
                       "</domain>", "only 'lxc'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<disk type='file' device='disk'><source file='/x.img'/>"
                                                         "<target dev='vda'/></disk>"), "<devices/disk>");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<graphics type='vnc'/>"), "<devices/graphics>");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<filesystem type='mount'><source dir='/srv/../etc'/>"
                                                         "<target dir='/mnt'/></filesystem>"), "'..'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<filesystem type='mount'><source dir='/srv'/>"
                                                         "<target dir='/mnt/../etc'/></filesystem>"), "'..'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<filesystem type='file'><source file='/srv/../x.img'/>"
                                                         "<target dir='/mnt'/></filesystem>"), "source file");
        expect_refused("<domain type='lxc'><name>c</name><memory unit='MiB'>64</memory><os><type>exe</type></os>"
                       "<idmap><uid start='0' target='1000' count='10'/><uid start='5' target='5000' count='10'/>"
                       "<gid start='0' target='1000' count='10'/></idmap></domain>", "overlap");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<interface type='user'/>"), "type='user'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<interface type='ethernet'/>"
                                                         "<interface type='ethernet'><guest dev='eth0'/></interface>"),
                       "both named 'eth0'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<interface type='ethernet'>"
                                                         "<ip address='10.0.0.1' prefix='33'/></interface>"),
                       "invalid prefix 33");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<interface type='ethernet'><route address='10.0.0.0' "
                                                         "prefix='8' gateway='fd00::1'/></interface>"),
                       "invalid gateway 'fd00::1'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<interface type='ethernet'><source network='x'/>"
                                                         "</interface>"), "source");
}

/* <hostdev mode='capabilities'>: the interfaces and nodes through the
 * supervisor's arguments; bus devices and nodes outside /dev refused. */
static void test_hostdevs(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(CONTAINER(
                "<init>/bin/sh</init>",
                "<interface type='ethernet'><ip address='10.0.0.2' prefix='24'/></interface>"
                "<hostdev mode='capabilities' type='net'><source><interface>dummy7</interface></source>"
                "<ip address='192.0.2.7' prefix='24'/><route address='198.51.100.0' prefix='24' gateway='192.0.2.1'/>"
                "</hostdev>"
                "<hostdev mode='capabilities' type='storage'><source><block>/dev/loop3</block></source></hostdev>"
                "<hostdev mode='capabilities' type='misc'><source><char>/dev/net/tun</char></source></hostdev>"));
        _cleanup_(lxc_plan_freep) LxcPlan *p = NULL, *back = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(lxc_validate_def(def, &err), 0);
        CHECK_INTEQ(lxc_plan_from_def(def, "/run/x/c1.exit", &p, &err), 0);
        if (!p)
                return;
        CHECK_INTEQ(p->n_hostnets, 1);
        CHECK_INTEQ(p->n_nodes, 2);
        free(p->nets[0].peer);
        p->nets[0].peer = strdup("vc0");
        CHECK_INTEQ(lxc_plan_to_argv(p, &argv), 0);
        CHECK_INTEQ(lxc_plan_parse(argv, &back), 0);
        if (!back)
                return;
        CHECK_INTEQ(back->n_nets, 1);
        CHECK_STREQ(back->nets[0].ips ? back->nets[0].ips[0] : NULL, "10.0.0.2/24");
        CHECK_INTEQ(back->n_hostnets, 1);
        if (back->n_hostnets == 1) {
                CHECK_STREQ(back->hostnets[0].peer, "dummy7");
                CHECK_STREQ(back->hostnets[0].guest, "dummy7");
                CHECK_STREQ(back->hostnets[0].ips ? back->hostnets[0].ips[0] : NULL, "192.0.2.7/24");
                CHECK_INTEQ(strv_length(back->hostnets[0].routes), 2);
        }
        CHECK_INTEQ(back->n_nodes, 2);
        if (back->n_nodes == 2) {
                CHECK(back->nodes[0].block && !back->nodes[1].block);
                CHECK_STREQ(back->nodes[1].path, "/dev/net/tun");
        }
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<hostdev mode='subsystem' type='usb'><source>"
                                                         "<address bus='1' device='2'/></source></hostdev>"),
                       "mode='subsystem' type='usb'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<hostdev mode='capabilities' type='storage'><source>"
                                                         "<block>/srv/disk</block></source></hostdev>"),
                       "only a node under /dev");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<hostdev mode='capabilities' type='misc'><source>"
                                                         "<char>/dev/../etc/x</char></source></hostdev>"),
                       "'..'");
}

/* <driver type='loop'|'nbd'> of an image file: qemu-nbd's format
 * through the supervisor's arguments; a loop device takes raw only. */
static void test_fs_drivers(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(CONTAINER(
                "<init>/bin/sh</init>",
                "<filesystem type='file'><driver type='nbd' format='qcow2'/><source file='/srv/a.qcow2'/>"
                "<target dir='/a'/></filesystem>"
                "<filesystem type='file'><driver type='loop' format='raw'/><source file='/srv/b.img'/>"
                "<target dir='/b'/><readonly/></filesystem>"));
        _cleanup_(lxc_plan_freep) LxcPlan *p = NULL, *back = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(lxc_validate_def(def, &err), 0);
        CHECK_INTEQ(lxc_plan_from_def(def, "/run/x/c1.exit", &p, &err), 0);
        if (!p)
                return;
        CHECK_INTEQ(lxc_plan_to_argv(p, &argv), 0);
        CHECK_INTEQ(lxc_plan_parse(argv, &back), 0);
        CHECK(back && back->n_mounts == 2);
        if (back && back->n_mounts == 2) {
                CHECK_STREQ(back->mounts[0].nbd_format, "qcow2");
                CHECK(back->mounts[1].nbd_format == NULL && back->mounts[1].readonly);
        }
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<filesystem type='file'><driver type='loop' format='qcow2'/>"
                                                         "<source file='/srv/a.qcow2'/><target dir='/a'/></filesystem>"),
                       "a loop device takes 'raw' only");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<filesystem type='mount'><driver type='path'/>"
                                                         "<source dir='/srv'/><target dir='/a'/></filesystem>"),
                       "only for 'file'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<filesystem type='file'><driver type='ploop'/>"
                                                         "<source file='/srv/a.img'/><target dir='/a'/></filesystem>"),
                       "<driver type='ploop'>");
}

/* At start, against the host: missing sources and init are named. */
static void test_host_checks(void) {
        _cleanup_(lxc_plan_freep) LxcPlan *p = calloc(1, sizeof(LxcPlan));
        ConfError err = {};

        p->name = strdup("c1");
        CHECK_INTEQ(strv_extend(&p->argv, "/bin/sh"), 0);
        CHECK_INTEQ(lxc_validate_host(p, &err), 0);
        free(p->argv[0]);
        p->argv[0] = strdup("/nonexistent/init");
        CHECK(lxc_validate_host(p, &err) < 0 && strstr(err.message, "'/nonexistent/init' does not exist"));
        p->root = strdup("/nonexistent-root");
        CHECK(lxc_validate_host(p, &err) < 0 && strstr(err.message, "'/nonexistent-root'") &&
              strstr(err.message, "does not exist"));
        /* a root that exists but is no folder is not said to be missing
         * (errno still holds the last failure's ENOENT here) */
        free(p->root);
        p->root = strdup("/dev/null");
        CHECK(lxc_validate_host(p, &err) < 0 && strstr(err.message, "'/dev/null'") &&
              strstr(err.message, "is not a directory"));
}

/* <filesystem type='file'> and 'block': a root image is mounted beside the
 * exit file; through the arguments and back; missing sources named. */
static void test_images(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(CONTAINER(
                "<init>/bin/sh</init>",
                "<filesystem type='file'><source file='/srv/root.img'/><target dir='/'/></filesystem>"
                "<filesystem type='block'><source dev='/dev/vbnone'/><target dir='/data'/><readonly/></filesystem>"));
        _cleanup_(lxc_plan_freep) LxcPlan *p = NULL, *q = NULL;
        _cleanup_strv_free_ char **argv = NULL, **again = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(lxc_validate_def(def, &err), 0);
        CHECK_INTEQ(lxc_plan_from_def(def, "/run/x/c1.exit", &p, &err), 0);
        CHECK_STREQ(p->root, "/run/x/c1.root");
        CHECK(lxc_plan_root_image(p) && lxc_plan_root_image(p)->kind == LXC_MOUNT_FILE);
        CHECK_INTEQ(lxc_plan_to_argv(p, &argv), 0);
        a = strv_join(argv, " ");
        CHECK(a && strstr(a, "--root /run/x/c1.root ") &&
              strstr(a, " --file /srv/root.img / rw --block /dev/vbnone /data ro "));
        CHECK_INTEQ(lxc_plan_parse(argv, &q), 0);
        CHECK_INTEQ(lxc_plan_to_argv(q, &again), 0);
        b = strv_join(again, " ");
        CHECK_STREQ(a, b);
        /* the image is named, not the root folder that does not exist yet */
        CHECK(lxc_validate_host(p, &err) < 0 && strstr(err.message, "source file '/srv/root.img'") &&
              strstr(err.message, "does not exist"));
        free(p->mounts[0].src);
        p->mounts[0].src = strdup("/dev/null");
        CHECK(lxc_validate_host(p, &err) < 0 && strstr(err.message, "'/dev/null'") &&
              strstr(err.message, "is not a regular file"));
        free(p->mounts[0].src);
        p->mounts[0].src = strdup("/proc/self/status");
        CHECK(lxc_validate_host(p, &err) < 0 && strstr(err.message, "source dev '/dev/vbnone'"));
}

/* The /proc views: the host's text with the container's figures. */
static void test_proc_views(void) {
        static const char meminfo[] = "MemTotal:        8000000 kB\nMemFree:         4000000 kB\n"
                                      "MemAvailable:    6000000 kB\nBuffers:          100000 kB\n"
                                      "Cached:          900000 kB\nActive:          500000 kB\n"
                                      "Inactive:        400000 kB\nActive(anon):    300000 kB\n"
                                      "SwapTotal:       1000000 kB\nHugePages_Total:       0\n";
        static const char v2stat[] = "anon 4194304\nfile 2097152\nactive_anon 3145728\ninactive_anon 1048576\n"
                                     "active_file 1048576\ninactive_file 1048576\nshmem 0\nunevictable 0\n";
        static const char cpuinfo[] = "processor\t: 0\nmodel name\t: A\n\nprocessor\t: 1\nmodel name\t: B\n\n"
                                      "processor\t: 2\nmodel name\t: C\n\n";
        static const char stat[] = "cpu  10 0 10 1000 0 0 0 0 0 0\ncpu0 5 0 5 500 0 0 0 0 0 0\n"
                                   "cpu1 5 0 5 500 0 0 0 0 0 0\nintr 1 2\nbtime 1000\nprocesses 7\n";
        LxcMemory m = { .limit = 64 << 20, .usage = 8 << 20 };
        bool cpus[3] = { false, true, true };
        LxcCpu c = { .uptime = 10, .boot_time = 5000, .user_usec = 2000000, .system_usec = 1000000,
                     .cpus = cpus, .n_cpus = 3, .hz = 100 };
        _cleanup_free_ char *mem = NULL, *mem_host = NULL, *cpu = NULL, *st = NULL, *up = NULL;

        lxc_memory_parse_stat(v2stat, true, &m);
        mem = lxc_render_meminfo(meminfo, &m);
        CHECK(mem && strstr(mem, "MemTotal:          65536 kB\n") && strstr(mem, "MemFree:           57344 kB\n") &&
              strstr(mem, "MemAvailable:      59392 kB\n") && strstr(mem, "Buffers:               0 kB\n") &&
              strstr(mem, "Cached:             2048 kB\n") && strstr(mem, "Active:             4096 kB\n") &&
              strstr(mem, "Active(anon):       3072 kB\n") && strstr(mem, "SwapTotal:       0 kB\n") &&
              strstr(mem, "HugePages_Total:       0\n"));
        /* a limit above the host's memory, or none: the host's */
        m.limit = UINT64_MAX;
        mem_host = lxc_render_meminfo(meminfo, &m);
        CHECK(mem_host && strstr(mem_host, "MemTotal:        8000000 kB\n"));
        cpu = lxc_render_cpuinfo(cpuinfo, &c);
        CHECK_STREQ(cpu, "processor\t: 0\nmodel name\t: B\n\nprocessor\t: 1\nmodel name\t: C\n\n");
        st = lxc_render_stat(stat, &c);
        CHECK_STREQ(st, "cpu  200 0 100 1700 0 0 0 0 0 0\ncpu0 100 0 50 850 0 0 0 0 0 0\n"
                        "cpu1 100 0 50 850 0 0 0 0 0 0\nintr 1 2\nbtime 5000\nprocesses 7\n");
        up = lxc_render_uptime(&c);
        CHECK_STREQ(up, "10.00 17.00\n");
}

/* The one console every container has, named as libvirt's LXC driver names
 * it, is kept; other character devices are refused by name. */
static void test_console(void) {
        static const char *const xml = CONTAINER("<init>/bin/sh</init>",
                                                 "<console type='pty'><target type='lxc' port='0'/></console>");
        _cleanup_(domain_def_freep) DomainDef *def = parse(xml);
        _cleanup_free_ char *out = NULL;
        ConfError err = {};

        if (!def)
                return;
        CHECK_INTEQ(lxc_validate_def(def, &err), 0);
        CHECK(domain_def_format(def, DOMAIN_FORMAT_INACTIVE, &out) >= 0);
        CHECK(out && strstr(out, "<console type='pty'>"));
        CHECK(out && strstr(out, "<target type='lxc' port='0'/>"));
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<console type='pty'/><console type='pty'/>"),
                       "one console: <console> 2 is one too many");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<serial type='pty'/>"),
                       "does not support <devices/serial> of type 'pty'");
        expect_refused(CONTAINER("<init>/bin/sh</init>", "<console type='file'><source path='/tmp/c'/></console>"),
                       "does not support <devices/console> of type 'file'");
}

UNIT_TESTS(test_console, test_fs_drivers, test_hostdevs, test_plan_from_def, test_proc_views, test_argv_round_trip, test_interfaces, test_default_init_and_idmap, test_policy, test_host_checks,
           test_images)
