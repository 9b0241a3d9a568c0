/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/machined.c: a guest's registration with systemd-machined, and the
 * arguments of CreateMachineWithNetwork / CreateMachine as libvirt sends
 * them (read back from a sealed message). machined itself needs systemd as
 * PID 1: the call is tested against a fake machine1 service on the private
 * bus (tests/integration/test_qemud_machined.py). */
#include <sys/socket.h>

#include "machined.h"
#include "bus-test.h"
#include "unit.h"
#include "util.h"

static const uint8_t UUID[16] = { 0xc7, 0xa5, 0xfd, 0xbd, 0xed, 0xaf, 0x94, 0x55,
                                  0x92, 0x6a, 0xd6, 0x5c, 0x16, 0xdb, 0x18, 0x09 };

static void test_reg(void) {
        MachineReg r;

        CHECK_INTEQ(machined_reg_init(&r, "qemu", 7, "web server", UUID, 1234, NULL), 0);
        CHECK_STREQ(r.name, "qemu-7-webserver");
        CHECK_STREQ(r.slice, "machine.slice");
        CHECK_STREQ(r.klass, "vm");
        CHECK_STREQ(r.service, "virtbus-qemud");
        CHECK_STREQ(r.after, "virtbus-qemud.service");
        CHECK_STREQ(r.root, "");
        CHECK(r.leader == 1234 && memcmp(r.uuid, UUID, 16) == 0 && r.n_ifindices == 0);
        /* a private root: the partition's own slice, below machine.slice */
        CHECK_INTEQ(machined_reg_init(&r, "lxc", 1, "c1", UUID, 99, "/tmp/vb-x"), 0);
        CHECK(strncmp(r.slice, "machine-virtbus\\x2d", 19) == 0 && endswith(r.slice, ".slice"));
        CHECK_STREQ(r.klass, "container");
        machined_reg_add_if(&r, 5);
        machined_reg_add_if(&r, 0);   /* a tap gone meanwhile */
        machined_reg_add_if(&r, 9);
        CHECK(r.n_ifindices == 2 && r.ifindices[0] == 5 && r.ifindices[1] == 9);
        for (int i = 0; i < 100; i++)
                machined_reg_add_if(&r, 10 + i);
        CHECK_INTEQ((int) r.n_ifindices, MACHINED_MAX_IFS);
}

/* The scope's properties, in order: Slice, After, Delegate, Description. */
static void check_properties(sd_bus_message *m, const MachineReg *r) {
        const char *k, *s;
        int b = 0;

        CHECK(sd_bus_message_enter_container(m, 'a', "(sv)") > 0);
        CHECK(sd_bus_message_read(m, "(sv)", &k, "s", &s) > 0);
        CHECK_STREQ(k, "Slice");
        CHECK_STREQ(s, r->slice);
        CHECK(sd_bus_message_read(m, "(sv)", &k, "as", 1, &s) > 0);
        CHECK_STREQ(k, "After");
        CHECK_STREQ(s, "virtbus-qemud.service");
        CHECK(sd_bus_message_read(m, "(sv)", &k, "b", &b) > 0);
        CHECK(streq(k, "Delegate") && b);
        CHECK(sd_bus_message_read(m, "(sv)", &k, "s", &s) > 0);
        CHECK_STREQ(k, "Description");
        CHECK_STREQ(s, "Virtual Machine qemu-3-vm1");
        CHECK(sd_bus_message_exit_container(m) >= 0);
}

static void check_create(sd_bus *b, const MachineReg *r, bool with_network) {
        sd_bus_message *m = NULL;
        const char *name, *service, *klass, *root;
        const void *uuid;
        const int32_t *ifs;
        size_t n = 0;
        uint32_t leader;

        CHECK(sd_bus_message_new_method_call(b, &m, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                                             "org.freedesktop.machine1.Manager", "CreateMachineWithNetwork") >= 0);
        CHECK(machined_append_create(m, r, with_network) >= 0);
        CHECK(sd_bus_message_seal(m, 1, 0) >= 0);
        CHECK_STREQ(sd_bus_message_get_signature(m, true), with_network ? "sayssusaia(sv)" : "sayssusa(sv)");
        CHECK(sd_bus_message_rewind(m, true) >= 0);
        CHECK(sd_bus_message_read(m, "s", &name) > 0);
        CHECK_STREQ(name, "qemu-3-vm1");
        CHECK(sd_bus_message_read_array(m, 'y', &uuid, &n) > 0 && n == 16 && memcmp(uuid, UUID, 16) == 0);
        CHECK(sd_bus_message_read(m, "ssus", &service, &klass, &leader, &root) > 0);
        CHECK(streq(service, "virtbus-qemud") && streq(klass, "vm") && leader == 4321 && streq(root, ""));
        if (with_network) {
                CHECK(sd_bus_message_read_array(m, 'i', (const void **) &ifs, &n) > 0);
                CHECK(n == 2 * sizeof(int32_t) && ifs[0] == 11 && ifs[1] == 12);
        }
        check_properties(m, r);
        sd_bus_message_unref(m);
}

static void test_create_args(void) {
        int fds[2] = { -1, -1 };
        sd_bus *b = offline_bus(fds);
        MachineReg r;

        CHECK(b != NULL);
        if (!b)
                return;
        CHECK_INTEQ(machined_reg_init(&r, "qemu", 3, "vm1", UUID, 4321, NULL), 0);
        machined_reg_add_if(&r, 11);
        machined_reg_add_if(&r, 12);
        check_create(b, &r, true);
        check_create(b, &r, false);
        offline_bus_close(b, fds);
}

UNIT_TESTS(test_reg, test_create_args)
