/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The memory backing directory (qemud/qemu-memory-dir.c): which guests
 * need it, qemud.conf's memory_backing_dir, the guest's directory made
 * and removed on a made-up state directory, and the errors naming a
 * missing or unusable one. The command lines are the golden files'
 * (disk-vhostuser-numa, memory-backing-numa, memdev);
 * test_qemud_memory_shared.py boots a guest with it. */

#include <ftw.h>
#include <sys/stat.h>

#include "domain-manager.h"
#include "qemu-command-test.h"
#include "qemu-device.h"
#include "qemu-command-internal.h"
#include "qemu-memory-dir.h"

#define DOM(numa, backing, devices)                                                                          \
        "<domain type='qemu'><name>a-rather-long-guest-name-here</name>"                                      \
        "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory unit='MiB'>256</memory>" backing          \
        "<vcpu>2</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><cpu>" numa "</cpu><devices>"     \
        devices "</devices></domain>"

#define CELLS(access)                                                                                    \
        "<numa><cell id='0' cpus='0' memory='128' unit='MiB'" access "/>"                              \
        "<cell id='1' cpus='1' memory='128' unit='MiB'/></numa>"

#define CHECK_CONTAINS(haystack, needle)                                                                 \
        do {                                                                                             \
                if (!(haystack) || !strstr(haystack, needle)) {                                          \
                        fprintf(stderr, "  line %d: \"%s\" does not contain \"%s\"\n", __LINE__,          \
                                (haystack) ?: "(null)", needle);                                         \
                        unit_failed_checks++;                                                            \
                }                                                                                        \
        } while (0)

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(p);
}

static bool needed(const char *xml) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;

        if (parse_xml_string(xml, &def) < 0) {
                CHECK(!"parses");
                return false;
        }
        return qemu_memory_dir_needed(def);
}

static void test_needed(void) {
        CHECK(!needed(DOM(CELLS(""), "", "")));
        CHECK(needed(DOM(CELLS(" memAccess='shared'"), "", "")));
        CHECK(needed(DOM(CELLS(" memAccess='private'"), "", "")));
        CHECK(needed(DOM("", "<memoryBacking><access mode='shared'/></memoryBacking>", "")));
        CHECK(needed(DOM("", "<memoryBacking><source type='file'/></memoryBacking>", "")));
        /* as libvirt: memfd with shared access makes it too, though unused */
        CHECK(needed(DOM("", "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>", "")));
        CHECK(!needed(DOM("", "<memoryBacking><source type='memfd'/></memoryBacking>", "")));
}

static void test_path_and_conf(void) {
        _cleanup_free_ char *p = NULL;
        QemuMemoryDir t;
        char root[] = "/tmp/vbtest-memdir-XXXXXX", conf[96];
        ConfError err = {};

        /* libvirt's short name: the id, the name cut to 20 bytes */
        CHECK(qemu_memory_dir_path("/var/lib/virtbus/qemu/ram", 7, "a-rather-long-guest-name-here", &p) == 0);
        CHECK_STREQ(p, "/var/lib/virtbus/qemu/ram/7-a-rather-long-guest-");
        qemu_memory_dir_init(&t, "/var/lib/virtbus");
        CHECK_STREQ(t.base, "/var/lib/virtbus/qemu/ram");
        CHECK(t.is_default);
        CHECK(qemu_memory_dir_apply(&t, "memory_backing_dir", "relative/ram") == -EINVAL);
        CHECK_CONTAINS(t.bad, "memory_backing_dir = relative/ram");
        CHECK(qemu_memory_dir_apply(&t, "nbd_tls", "1") == 0 && t.is_default);
        CHECK(qemu_memory_dir_apply(&t, "memory_backing_dir", "/srv/ram") == 0);
        CHECK_STREQ(t.base, "/srv/ram");
        CHECK(!t.is_default);
        if (!mkdtemp(root)) {
                CHECK(!"mkdtemp");
                return;
        }
        snprintf(conf, sizeof(conf), "%s/qemud.conf", root);
        CHECK(write_file_atomic(conf, "memory_backing_dir = \"/dev/shm/x\"\n", 34, 0600) == 0);
        CHECK(qemu_memory_dir_load(root, "/var/lib/virtbus", &t, &err) == 0);
        CHECK_STREQ(t.base, "/dev/shm/x");
        CHECK(write_file_atomic(conf, "memory_backing_dir = \"x\"\n", 25, 0600) == 0);
        CHECK(qemu_memory_dir_load(root, "/var/lib/virtbus", &t, &err) == -EINVAL);
        CHECK_CONTAINS(err.message, "qemud.conf: bad setting memory_backing_dir = x");
        nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A domain of a manager whose state and configuration are under root. */
typedef struct FakeGuest {
        Manager m;
        Domain d;
        DomainDef *def;
} FakeGuest;

static int fake_guest(FakeGuest *g, const char *root, const char *xml) {
        *g = (FakeGuest) {};
        if (parse_xml_string(xml, &g->def) < 0)
                return -EBADMSG;
        g->m.paths.confdir = (char *) root;
        g->m.paths.statedir = (char *) root;
        g->d = (Domain) { .manager = &g->m, .def = g->def, .live = g->def, .id = 4 };
        return 0;
}

static void set_conf(const char *root, const char *text) {
        char conf[96];

        snprintf(conf, sizeof(conf), "%s/qemud.conf", root);
        CHECK(write_file_atomic(conf, text, strlen(text), 0600) == 0);
}

static void test_make_and_remove(void) {
        char root[] = "/tmp/vbtest-memdir-XXXXXX", dir[128], file[160];
        _cleanup_free_ char *path = NULL;
        ConfError err = {};
        struct stat st;
        FakeGuest g;

        if (!mkdtemp(root) || fake_guest(&g, root, DOM(CELLS(" memAccess='shared'"), "", "")) < 0) {
                CHECK(!"setup");
                return;
        }
        /* the default, made at the first start that needs it */
        CHECK(qemu_memory_dir_prepare(&g.d, &path, &err) == 0);
        snprintf(dir, sizeof(dir), "%s/qemu/ram/4-a-rather-long-guest-", root);
        CHECK_STREQ(path, dir);
        CHECK(qemu_memory_dir_make(&g.d, 65534, 65534, &err) == 0);
        CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700 && st.st_uid == 65534);
        snprintf(file, sizeof(file), "%s/ram-node0", dir);
        CHECK(write_file_atomic(file, "x", 1, 0600) == 0);
        qemu_memory_dir_remove(&g.d);
        CHECK(access(dir, F_OK) < 0 && errno == ENOENT);
        /* a directory set in qemud.conf must be there */
        set_conf(root, "memory_backing_dir = \"/nonexistent/virtbus-ram\"\n");
        path = mfree(path);
        CHECK(qemu_memory_dir_prepare(&g.d, &path, &err) == -ENOENT);
        CHECK_CONTAINS(err.message, "memory backing directory /nonexistent/virtbus-ram (memory_backing_dir in "
                       "qemud.conf) does not exist");
        CHECK(!path);
        set_conf(root, "memory_backing_dir = \"/dev/null\"\n");
        CHECK(qemu_memory_dir_prepare(&g.d, &path, &err) == -ENOTDIR);
        CHECK_CONTAINS(err.message, "/dev/null (memory_backing_dir in qemud.conf) is not a directory");
        /* /proc is not writable, even for root */
        set_conf(root, "memory_backing_dir = \"/proc/self\"\n");
        CHECK(qemu_memory_dir_prepare(&g.d, &path, &err) < 0);
        CHECK_CONTAINS(err.message, "/proc/self (memory_backing_dir in qemud.conf) is not writable");
        /* a guest that does not need it: nothing checked, nothing made */
        domain_def_free(g.def);
        CHECK(fake_guest(&g, root, DOM(CELLS(""), "", "")) == 0);
        err = (ConfError) {};
        CHECK(qemu_memory_dir_prepare(&g.d, &path, &err) == 0 && !path);
        CHECK(qemu_memory_dir_make(&g.d, 0, 0, &err) == 0);
        domain_def_free(g.def);
        nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static int build_in(const char *xml, const char *memory_dir, char ***argv, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        QemuCommandParams params;
        char pidfile[512];

        if (parse_xml_string(xml, &def) < 0)
                return -EBADMSG;
        fake_params(def, pidfile, sizeof(pidfile), &params);
        params.memory_dir = memory_dir;
        int r = qemu_command_build(def, &fake_caps, &params, argv, NULL, NULL, err);

        if (r < 0)
                fprintf(stderr, "  build: %s\n", err->message);
        return r;
}

#define MAXMEM "<maxMemory slots='4' unit='GiB'>4</maxMemory><features><acpi/></features>"
#define MB_MEMFD "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"
#define DIMM_ON_1 "<memory model='dimm'><target><size unit='MiB'>128</size><node>1</node></target></memory>"

/* A memory device takes its cell's memAccess and discard, as libvirt's
 * qemuBuildMemoryBackendProps, and its file is named after its alias. */
static void test_command_line(void) {
        _cleanup_strv_free_ char **a = NULL, **b = NULL, **c = NULL, **d = NULL;
        ConfError err = {};

        CHECK(build_in(DOM("<numa><cell id='0' cpus='0' memory='64' unit='MiB'/><cell id='1' cpus='1' memory='64' "
                        "unit='MiB' memAccess='shared' discard='no'/></numa>", MAXMEM, DIMM_ON_1),
                    "/r/4-x", &a, &err) == 0);
        CHECK(find_opt(a, "-object", "memory-backend-ram,id=ram-node0,size=65536k"));
        CHECK(find_opt(a, "-object", "memory-backend-file,id=ram-node1,mem-path=/r/4-x/ram-node1,share=on,"
                       "discard-data=off,size=65536k"));
        CHECK(find_opt(a, "-object", "{\"qom-type\":\"memory-backend-file\",\"id\":\"memdimm0\",\"mem-path\":"
                       "\"/r/4-x/dimm0\",\"size\":134217728,\"share\":true,\"discard-data\":false}"));
        /* memfd: no file, whatever the access */
        CHECK(build_in(DOM("", MB_MEMFD, ""), "/r/4-x", &b, &err) == 0);
        CHECK(find_opt(b, "-object", "memory-backend-memfd,id=pc.ram,share=on,"));
        /* no directory from the driver: a cell's file cannot be made */
        CHECK(build_in(DOM(CELLS(" memAccess='private'"), "", ""), NULL, &c, &err) == -EINVAL);
        CHECK_CONTAINS(err.message, "RAM backend ram-node0 must be a file, but the driver gave no memory backing "
                       "directory");
        /* a hot-plug's (no directory either): anonymous RAM, shared */
        CHECK(build_in(DOM("<numa><cell id='0' cpus='0' memory='64' unit='MiB'/><cell id='1' cpus='1' memory='64' "
                        "unit='MiB'/></numa>", MAXMEM, "<memory model='dimm' access='shared'><target><size unit='MiB'>128"
                        "</size><node>0</node></target></memory>"), NULL, &d, &err) == 0);
        CHECK(find_opt(d, "-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"memdimm0\",\"size\":"
                       "134217728,\"share\":true}"));
}

/* A hot-plugged dimm with an access mode: the hot-plug's anonymous RAM
 * becomes the file of the guest's directory, made as QEMU's process is
 * owned (here: this process's); its unplug removes the file. */
static void test_hotplug(void) {
        char root[] = "/tmp/vbtest-memdir-XXXXXX", dir[128], file[160];
        _cleanup_free_ char *json = NULL;
        QemuDeviceProps p = {};
        ConfError err = {};
        json_object *o;
        FakeGuest g;

        if (!mkdtemp(root) ||
            fake_guest(&g, root, DOM("<numa><cell id='0' cpus='0' memory='64' unit='MiB'/><cell id='1' cpus='1' "
                                     "memory='64' unit='MiB' discard='yes'/></numa>", MAXMEM,
                                     "<memory model='dimm' access='shared'><target><size unit='MiB'>128</size>"
                                     "<node>1</node></target></memory>")) < 0) {
                CHECK(!"setup");
                return;
        }
        g.d.pid = getpid();
        CHECK(qemu_memdev_assign_aliases(g.def) == 0);
        CHECK(qemu_device_props(g.def, &fake_caps, QEMU_DEVICE_MEMORY, 0, &p, &err) == 0);
        CHECK(qemu_memory_dir_plug(&g.d, g.def, 0, p.objects, &err) == 0);
        snprintf(dir, sizeof(dir), "%s/qemu/ram/4-a-rather-long-guest-", root);
        snprintf(file, sizeof(file), "%s/dimm0", dir);
        o = json_object_array_get_idx(p.objects, 0);
        json = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        CHECK_CONTAINS(json, "\"qom-type\":\"memory-backend-file\"");
        CHECK_CONTAINS(json, "\"share\":true");
        CHECK_CONTAINS(json, "\"discard-data\":true");
        CHECK(json_object_object_get_ex(o, "mem-path", NULL) &&
              streq(json_object_get_string(json_object_object_get(o, "mem-path")), file));
        CHECK(access(dir, F_OK) == 0);
        CHECK(write_file_atomic(file, "x", 1, 0600) == 0);
        qemu_memory_dir_unplug(&g.d, "dimm0");
        CHECK(access(file, F_OK) < 0 && errno == ENOENT);
        qemu_device_props_done(&p);
        /* one without an access mode stays anonymous RAM */
        g.def->mems[0].access = DOMAIN_MEMORY_ACCESS_DEFAULT;
        CHECK(qemu_device_props(g.def, &fake_caps, QEMU_DEVICE_MEMORY, 0, &p, &err) == 0);
        CHECK(qemu_memory_dir_plug(&g.d, g.def, 0, p.objects, &err) == 0);
        CHECK(streq(json_object_get_string(json_object_object_get(json_object_array_get_idx(p.objects, 0),
                                                                  "qom-type")), "memory-backend-ram"));
        qemu_device_props_done(&p);
        domain_def_free(g.def);
        nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

UNIT_TESTS(test_needed, test_path_and_conf, test_make_and_remove, test_command_line, test_hotplug)
