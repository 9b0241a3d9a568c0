/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt's paths as the daemons know them and back (proxy/dbus-forward.c),
 * the routing of the merged Connect, the copy of a message body with its
 * object paths rewritten and libvirt-dbus's double variants, the merged
 * introspection, and the policy file units/org.libvirt.conf against the
 * list the proxy checks. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>

#include "dbus-forward.h"
#include "libvirt-dbus.h"
#include "bus-test.h"
#include "unit.h"
#include "util.h"

static const FwdDriver *qemu = &fwd_drivers[0], *lxc = &fwd_drivers[1];

static void check_to(const FwdDriver *drv, const char *path, const FwdDaemon *root_daemon, const char *want,
                     const FwdDaemon *want_daemon) {
        const FwdDaemon *d = (const FwdDaemon *) 1;
        _cleanup_free_ char *got = fwd_path_to_daemon(drv, path, root_daemon, &d);

        CHECK_STREQ(got, want);
        CHECK(d == want_daemon);
}

static void check_from(const FwdDriver *drv, const char *path, const char *want) {
        _cleanup_free_ char *got = fwd_path_from_daemon(drv, path);

        CHECK_STREQ(got, want);
}

static void test_paths_to_daemons(void) {
        const char *u = "/_6695eb01_f6a4_8304_79aa_97f2502e193f";
        char buf[256];

        snprintf(buf, sizeof(buf), "/org/libvirt/QEMU/domain%s", u);
        check_to(qemu, buf, &fwd_qemud, "/org/virtbus/qemud/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f",
                 &fwd_qemud);
        check_to(qemu, "/org/libvirt/QEMU/domainsnapshot/_66_5fsnap", NULL,
                 "/org/virtbus/qemud/domainsnapshot/_66_5fsnap", &fwd_qemud);
        check_to(qemu, "/org/libvirt/QEMU/storagepool/_1", NULL, "/org/virtbus/storaged/storagepool/_1",
                 &fwd_storaged);
        check_to(qemu, "/org/libvirt/QEMU/storagevol/_2fpath_2fto_2fsome_2ffile_2eimg", NULL,
                 "/org/virtbus/storaged/storagevol/_2fpath_2fto_2fsome_2ffile_2eimg", &fwd_storaged);
        check_to(qemu, "/org/libvirt/QEMU/network/_9", NULL, "/org/virtbus/networkd/network/_9", &fwd_networkd);
        /* the kind node itself (introspected for its children) */
        check_to(qemu, "/org/libvirt/QEMU/domain", NULL, "/org/virtbus/qemud/domain", &fwd_qemud);
        /* the root goes where the call goes */
        check_to(qemu, "/org/libvirt/QEMU", &fwd_storaged, "/org/virtbus/storaged", &fwd_storaged);
        check_to(qemu, "/org/libvirt/QEMU", NULL, "/org/libvirt/QEMU", NULL);
        /* LXC's domains are lxcd's, its storage and networks the same daemons */
        check_to(lxc, "/org/libvirt/LXC/domain/_1", NULL, "/org/virtbus/lxcd/domain/_1", &fwd_lxcd);
        check_to(lxc, "/org/libvirt/LXC/storagevol/x", NULL, "/org/virtbus/storaged/storagevol/x", &fwd_storaged);
        /* kinds no daemon has, and paths that are not ours: unchanged */
        check_to(qemu, "/org/libvirt/QEMU/nodedev/scsi_5fhost2", NULL, "/org/libvirt/QEMU/nodedev/scsi_5fhost2",
                 NULL);
        check_to(qemu, "/org/libvirt/QEMUX/domain/_1", NULL, "/org/libvirt/QEMUX/domain/_1", NULL);
        check_to(qemu, "/org/libvirt/LXC/domain/_1", NULL, "/org/libvirt/LXC/domain/_1", NULL);
        check_to(qemu, "/", NULL, "/", NULL);
}

static void test_paths_from_daemons(void) {
        check_from(qemu, "/org/virtbus/qemud/domain/_1", "/org/libvirt/QEMU/domain/_1");
        check_from(qemu, "/org/virtbus/qemud", "/org/libvirt/QEMU");
        check_from(qemu, "/org/virtbus/storaged/storagevol/_2fa", "/org/libvirt/QEMU/storagevol/_2fa");
        check_from(qemu, "/org/virtbus/networkd/network/_9", "/org/libvirt/QEMU/network/_9");
        check_from(lxc, "/org/virtbus/lxcd/domain/_1", "/org/libvirt/LXC/domain/_1");
        check_from(lxc, "/org/virtbus/storaged/storagepool/_1", "/org/libvirt/LXC/storagepool/_1");
        /* another daemon's, a look-alike prefix, the bus's own: unchanged */
        check_from(qemu, "/org/virtbus/lxcd/domain/_1", "/org/virtbus/lxcd/domain/_1");
        check_from(qemu, "/org/virtbus/qemudx/domain/_1", "/org/virtbus/qemudx/domain/_1");
        check_from(qemu, "/org/freedesktop/DBus", "/org/freedesktop/DBus");
}

static void check_text(const char *text, const char *want) {
        _cleanup_free_ char *got = fwd_text_from_daemon(qemu, text);

        CHECK_STREQ(got, want);
}

static void test_text_from_daemons(void) {
        check_text("Unknown object '/org/virtbus/qemud/domain/_1'.", "Unknown object '/org/libvirt/QEMU/domain/_1'.");
        check_text("/org/virtbus/storaged/storagevol/_2fa and /org/virtbus/networkd",
                   "/org/libvirt/QEMU/storagevol/_2fa and /org/libvirt/QEMU");
        check_text("no path here", "no path here");
        check_text("", "");
        check_text("/org/virtbus/qemudx/a /org/virtbus/lxcd/domain/_1", "/org/virtbus/qemudx/a /org/virtbus/lxcd/domain/_1");
}

static void test_driver_of_path(void) {
        const FwdDriver *served[] = { qemu };
        const char *rest = NULL;

        CHECK(fwd_driver_of_path(served, 1, "/org/libvirt/QEMU", &rest) == qemu);
        CHECK_STREQ(rest, "");
        CHECK(fwd_driver_of_path(served, 1, "/org/libvirt/QEMU/domain/_1", &rest) == qemu);
        CHECK_STREQ(rest, "/domain/_1");
        CHECK(fwd_driver_of_path(served, 1, "/org/libvirt/LXC/domain/_1", &rest) == NULL);
        CHECK(fwd_driver_of_path(served, 1, "/org/libvirt/QEMUX", &rest) == NULL);
        CHECK(fwd_driver_of_path(served, 1, "/org/libvirt", &rest) == NULL);
}

static void test_root_calls(void) {
        static const struct {
                const char *interface, *member;
                const FwdDaemon *want;
        } rows[] = {
                { "org.libvirt.Connect", "ListDomains", &fwd_qemud },
                { "org.libvirt.Connect", "DomainLookupByName", &fwd_qemud },
                { "org.libvirt.Connect", "GetCapabilities", &fwd_qemud },
                { "org.libvirt.Connect", "GetDomainCapabilities", &fwd_qemud },
                { "org.libvirt.Connect", "NodeGetMemoryStats", &fwd_qemud },
                { "org.libvirt.Connect", "ListStoragePools", &fwd_storaged },
                { "org.libvirt.Connect", "StoragePoolLookupByName", &fwd_storaged },
                { "org.libvirt.Connect", "StoragePoolDefineXML", &fwd_storaged },
                { "org.libvirt.Connect", "StorageVolLookupByPath", &fwd_storaged },
                { "org.libvirt.Connect", "FindStoragePoolSources", &fwd_storaged },
                { "org.libvirt.Connect", "GetStoragePoolCapabilities", &fwd_storaged },
                { "org.libvirt.Connect", "ListNetworks", &fwd_networkd },
                { "org.libvirt.Connect", "NetworkLookupByName", &fwd_networkd },
                { "org.libvirt.Connect", "NetworkCreateXML", &fwd_networkd },
                { "org.libvirt.Connect", "ListSecrets", &fwd_secretd },
                { "org.libvirt.Connect", "SecretDefineXML", &fwd_secretd },
                { "org.libvirt.Connect", "SecretLookupByUsage", &fwd_secretd },
                /* properties of Connect (member NULL): the driver's */
                { "org.libvirt.Connect", NULL, &fwd_qemud },
                { "org.virtbus.Storage1", "ListJobs", &fwd_storaged },
                { "org.virtbus.Storage1", NULL, &fwd_storaged },
                { "org.virtbus.NetworkPort1", "ListPorts", &fwd_networkd },
                { "org.freedesktop.DBus.Properties", "Get", &fwd_qemud },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const FwdDaemon *d = fwd_daemon_of_root_call(qemu, rows[i].interface, rows[i].member);
                if (d != rows[i].want)
                        fprintf(stderr, "  %s.%s went to %s\n", rows[i].interface, rows[i].member ?: "(property)",
                                d ? d->bus_name : "nobody");
                CHECK(d == rows[i].want);
        }
        CHECK(fwd_daemon_of_root_call(lxc, "org.libvirt.Connect", "ListDomains") == &fwd_lxcd);
        CHECK(fwd_daemon_of_root_call(lxc, "org.libvirt.Connect", "ListNetworks") == &fwd_networkd);
}

static void test_wraps(void) {
        CHECK(fwd_wraps_variants("org.freedesktop.DBus.Properties", "GetAll", "org.libvirt.Domain"));
        CHECK(fwd_wraps_variants("org.freedesktop.DBus.Properties", "GetAll", "org.libvirt.Connect"));
        /* our own interfaces are not libvirt-dbus's: plain */
        CHECK(!fwd_wraps_variants("org.freedesktop.DBus.Properties", "GetAll", "org.virtbus.StorageVol1"));
        CHECK(!fwd_wraps_variants("org.freedesktop.DBus.Properties", "Get", "org.libvirt.Domain"));
        CHECK(fwd_wraps_variants("org.libvirt.Domain", "GetStats", NULL));
        CHECK(fwd_wraps_variants("org.libvirt.Domain", "JobCompleted", NULL));
        CHECK(fwd_wraps_variants("org.libvirt.Connect", "GetAllDomainStats", NULL));
        CHECK(!fwd_wraps_variants("org.libvirt.Connect", "NodeGetMemoryStats", NULL)); /* a{st} */
        CHECK(!fwd_wraps_variants("org.libvirt.Domain", "GetXMLDesc", NULL));
        CHECK(!fwd_wraps_variants(NULL, NULL, NULL));
}

static char *to_daemon(const char *path, void *userdata) {
        const FwdDaemon *d;
        return fwd_path_to_daemon(qemu, path, userdata, &d);
}

static char *from_daemon(const char *path, void *userdata) {
        return fwd_path_from_daemon(qemu, path);
}

static void test_copy_body(void) {
        int fds[2] = { -1, -1 }, pipefd[2] = { -1, -1 };
        sd_bus *b = offline_bus(fds);
        sd_bus_message *src = NULL, *dst = NULL;
        const char *o1, *o2, *o3, *s, *key, *vo;
        uint32_t u;
        int fd;

        CHECK(b != NULL);
        if (!b)
                return;
        CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
        /* (s, o, ao, a{sv} with an o in a variant, h, u) */
        CHECK(sd_bus_message_new_method_call(b, &src, "org.libvirt", "/org/libvirt/QEMU", "x.y", "Z") >= 0);
        CHECK(sd_bus_message_append(src, "so", "/org/libvirt/QEMU/domain/_1", "/org/libvirt/QEMU/domain/_1") >= 0);
        CHECK(sd_bus_message_append(src, "ao", 2, "/org/libvirt/QEMU/storagevol/_2fa", "/other/path") >= 0);
        CHECK(sd_bus_message_append(src, "a{sv}", 1, "pool", "o", "/org/libvirt/QEMU/storagepool/_7") >= 0);
        CHECK(sd_bus_message_append(src, "hu", pipefd[0], 42u) >= 0);
        CHECK(sd_bus_message_seal(src, 1, 0) >= 0);

        CHECK(sd_bus_message_new_method_call(b, &dst, "org.virtbus.qemud", "/", "x.y", "Z") >= 0);
        CHECK(fwd_copy_body(dst, src, to_daemon, (void *) &fwd_qemud, false) >= 0);
        CHECK(sd_bus_message_seal(dst, 2, 0) >= 0);
        CHECK_STREQ(sd_bus_message_get_signature(dst, true), "soaoa{sv}hu");
        CHECK(sd_bus_message_read(dst, "so", &s, &o1) > 0);
        CHECK_STREQ(s, "/org/libvirt/QEMU/domain/_1"); /* a string is not a path */
        CHECK_STREQ(o1, "/org/virtbus/qemud/domain/_1");
        CHECK(sd_bus_message_read(dst, "ao", 2, &o2, &o3) > 0);
        CHECK_STREQ(o2, "/org/virtbus/storaged/storagevol/_2fa");
        CHECK_STREQ(o3, "/other/path");
        CHECK(sd_bus_message_read(dst, "a{sv}", 1, &key, "o", &vo) > 0);
        CHECK_STREQ(vo, "/org/virtbus/storaged/storagepool/_7");
        CHECK(sd_bus_message_read(dst, "hu", &fd, &u) > 0);
        CHECK(fd >= 0 && fd != pipefd[0]); /* a copy of the fd */
        CHECK_INTEQ(u, 42);
        sd_bus_message_unref(dst);
        sd_bus_message_unref(src);

        /* a reply with a{sv}: each value in a second variant, the paths ours */
        CHECK(sd_bus_message_new_method_call(b, &src, NULL, "/", "x.y", "Z") >= 0);
        CHECK(sd_bus_message_append(src, "a{sv}", 2, "Name", "s", "vm1", "Dom", "o", "/org/virtbus/qemud/domain/_1") >=
              0);
        CHECK(sd_bus_message_seal(src, 3, 0) >= 0);
        CHECK(sd_bus_message_new_method_call(b, &dst, NULL, "/", "x.y", "Z") >= 0);
        CHECK(fwd_copy_body(dst, src, from_daemon, NULL, true) >= 0);
        CHECK(sd_bus_message_seal(dst, 4, 0) >= 0);
        CHECK(sd_bus_message_read(dst, "a{sv}", 2, &key, "v", "s", &s, &o1, "v", "o", &vo) > 0);
        CHECK_STREQ(key, "Name");
        CHECK_STREQ(s, "vm1");
        CHECK_STREQ(o1, "Dom");
        CHECK_STREQ(vo, "/org/libvirt/QEMU/domain/_1");
        sd_bus_message_unref(dst);
        sd_bus_message_unref(src);

        close(pipefd[0]);
        close(pipefd[1]);
        offline_bus_close(b, fds);
}

static void test_introspect_merge(void) {
        char *xmls[] = {
                "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
                "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
                "<node><interface name=\"org.libvirt.Connect\"><method name=\"ListDomains\"/>"
                "<property name=\"Version\" type=\"t\" access=\"read\"/></interface>"
                "<interface name=\"org.freedesktop.DBus.Peer\"><method name=\"Ping\"/></interface>"
                "<node name=\"domain\"/></node>",
                NULL, /* a daemon that did not answer */
                "<node><interface name=\"org.libvirt.Connect\"><method name=\"ListStoragePools\"/>"
                "<property name=\"Version\" type=\"t\" access=\"read\"/></interface>"
                "<interface name=\"org.virtbus.Storage1\"><method name=\"ListJobs\"/></interface>"
                "<interface name=\"org.freedesktop.DBus.Peer\"><method name=\"Ping\"/></interface>"
                "<node name=\"storagepool\"/><node name=\"storagevol\"/><node name=\"domain\"/></node>",
                "not xml",
        };
        _cleanup_free_ char *m = fwd_introspect_merge(xmls, ELEMENTSOF(xmls));

        CHECK(m != NULL);
        if (!m)
                return;
        CHECK(strstr(m, "\"ListDomains\"") && strstr(m, "\"ListStoragePools\"") && strstr(m, "org.virtbus.Storage1"));
        CHECK(strstr(m, "\"storagevol\"") && strstr(m, "introspect.dtd"));
        /* nothing twice */
        CHECK(strstr(strstr(m, "\"Version\"") + 1, "\"Version\"") == NULL);
        CHECK(strstr(strstr(m, "\"domain\"") + 1, "\"domain\"") == NULL);
        CHECK(strstr(strstr(m, "\"Ping\"") + 1, "\"Ping\"") == NULL);
        CHECK(fwd_introspect_merge(xmls + 1, 1) == NULL);
}

static char *policy_path(void) {
        char exe[PATH_MAX];
        ssize_t n;

        if (access("units/org.libvirt.conf", F_OK) == 0)
                return strdup("units/org.libvirt.conf");
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1); /* build/tests/test-x -> ../../units */
        exe[MAX(n, 0)] = 0;
        for (int i = 0; i < 3; i++)
                *(strrchr(exe, '/') ?: exe) = 0;
        return path_join(exe, "units/org.libvirt.conf");
}

static bool standard(const char *iface, const char *member) {
        return streq(iface, "org.freedesktop.DBus.Introspectable") || streq(iface, "org.freedesktop.DBus.Peer") ||
               (streq(iface, "org.freedesktop.DBus.Properties") && member &&
                (streq(member, "Get") || streq(member, "GetAll")));
}

/* units/org.libvirt.conf opens to other users exactly what the proxy lets
 * them call, the union of the daemons' lists. */
static void test_policy_file(void) {
        _cleanup_free_ char *path = policy_path();
        _cleanup_free_ BusMethod *open = NULL;
        xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        size_t n_open = 0, in_file = 0;

        CHECK(libvirt_dbus_open_methods(&open, &n_open) >= 0);
        CHECK(n_open > 10);
        CHECK(bus_access_is_open(open, n_open, "org.libvirt.Connect", "ListDomains"));
        CHECK(bus_access_is_open(open, n_open, "org.libvirt.Connect", "ListStoragePools"));
        CHECK(bus_access_is_open(open, n_open, "org.libvirt.Network", "GetXMLDesc"));
        CHECK(!bus_access_is_open(open, n_open, "org.libvirt.Domain", "Create"));
        CHECK(!bus_access_is_open(open, n_open, "org.freedesktop.DBus.Properties", "Set"));
        CHECK(doc != NULL);
        if (!doc)
                return;
        for (xmlNodePtr pol = xmlDocGetRootElement(doc)->children; pol; pol = pol->next) {
                xmlChar *ctx = xmlGetProp(pol, BAD_CAST "context");
                bool is_default = ctx && xmlStrEqual(ctx, BAD_CAST "default");

                xmlFree(ctx);
                for (xmlNodePtr a = is_default ? pol->children : NULL; a; a = a->next) {
                        xmlChar *d, *i, *m;
                        if (a->type != XML_ELEMENT_NODE || !xmlStrEqual(a->name, BAD_CAST "allow"))
                                continue;
                        d = xmlGetProp(a, BAD_CAST "send_destination");
                        i = xmlGetProp(a, BAD_CAST "send_interface");
                        m = xmlGetProp(a, BAD_CAST "send_member");
                        CHECK(d && xmlStrEqual(d, BAD_CAST "org.libvirt") && i);
                        if (i && !standard((char *) i, (char *) m)) {
                                bool ok = bus_access_is_open(open, n_open, (char *) i, m ? (char *) m : "*");
                                if (!ok)
                                        fprintf(stderr, "  %s.%s is open in org.libvirt.conf only\n", (char *) i,
                                                m ? (char *) m : "*");
                                CHECK(ok);
                                in_file++;
                        }
                        xmlFree(d);
                        xmlFree(i);
                        xmlFree(m);
                }
        }
        xmlFreeDoc(doc);
        CHECK_INTEQ(in_file, n_open);
}

UNIT_TESTS(test_paths_to_daemons, test_paths_from_daemons, test_text_from_daemons, test_driver_of_path, test_root_calls, test_wraps,
           test_copy_body, test_introspect_merge, test_policy_file)
