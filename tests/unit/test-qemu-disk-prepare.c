/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The start's host-side disk checks (qemu_disk_prepare()): startupPolicy
 * on a missing source (fail, eject, leave out) and a device='lun' disk on
 * something that is not a SCSI device, with real files in a temporary
 * directory (a SCSI device of the host is not there to be found). */

#include <ftw.h>
#include <sys/stat.h>

#include "confine.h"
#include "domain-test.h"
#include "qemu-disk-prepare.h"
#include "util.h"

static char tmp[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static void tmp_make(void) {
        snprintf(tmp, sizeof(tmp), "/tmp/vb-disk-prepare-XXXXXX");
        CHECK(mkdtemp(tmp) != NULL);
}

static void tmp_remove(void) {
        nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static DomainDef *def_with(const char *fmt, ...) _printf_(1, 2);
static DomainDef *def_with(const char *fmt, ...) {
        _cleanup_free_ char *devices = NULL, *xml = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&devices, fmt, ap);
        va_end(ap);
        if (r < 0)
                return NULL;
        xml = domain_with(NULL, devices);
        return xml ? parse_ok(xml, devices) : NULL;
}

static void test_startup_policy(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *present = NULL;
        ConfError err = {};

        tmp_make();
        CHECK(asprintf(&present, "%s/present.img", tmp) > 0);
        CHECK(write_file_atomic(present, "x", 1, 0644) >= 0);
        def = def_with("<disk type='file' device='cdrom'><source file='%s/gone.iso' startupPolicy='optional'/>"
                       "<target dev='hdc' bus='ide'/><readonly/></disk>"
                       "<disk type='file' device='disk'><source file='%s/gone.img' startupPolicy='optional'/>"
                       "<target dev='vda'/></disk>"
                       "<disk type='file' device='disk'><source file='%s' startupPolicy='optional'/>"
                       "<target dev='vdb'/></disk>", tmp, tmp, present);
        CHECK(def && qemu_disk_prepare(def, 0, &err) == 0);
        /* the CD-ROM ejected, the missing disk left out, the present one kept */
        CHECK(def && def->n_disks == 2);
        CHECK(def && def->disks[0].src == NULL && streq_ptr(def->disks[0].dst, "hdc"));
        CHECK(def && def->n_disks == 2 && streq_ptr(def->disks[1].dst, "vdb") && streq_ptr(def->disks[1].src, present));
        domain_def_free(def);

        def = def_with("<disk type='file' device='cdrom'><source file='%s/gone.iso' startupPolicy='requisite'/>"
                       "<target dev='hdc' bus='ide'/><readonly/></disk>", tmp);
        CHECK(def && qemu_disk_prepare(def, 0, &err) == -ENOENT);
        CHECK(strstr(err.message, "cannot access storage file") && strstr(err.message, "gone.iso") &&
              strstr(err.message, "disk 'hdc'"));
        tmp_remove();
}

static void test_lun_needs_scsi(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};

        tmp_make();
        /* a block device that takes no SCSI command, or something else */
        def = def_with("<disk type='block' device='lun'><source dev='/dev/null'/><target dev='sda' bus='scsi'/>"
                       "</disk>");
        CHECK(def && qemu_disk_prepare(def, 0, &err) == -ENODEV);
        CHECK(strstr(err.message, "disk 'sda': device='lun' needs a SCSI block device, '/dev/null' is not a "
                     "block device"));
        domain_def_free(def);
        def = def_with("<disk type='block' device='lun'><source dev='%s/nodev'/><target dev='vda'/></disk>", tmp);
        CHECK(def && qemu_disk_prepare(def, CONFINE_DROP_CAPS, &err) == -ENODEV);
        CHECK(strstr(err.message, "is missing"));
        tmp_remove();
}

/* What libvirt takes at define and refuses only at a start: an fdgroup no
 * client passed (of the image or a backing layer), a volume's mode or
 * <auth> (an iSCSI pool's; storaged has none). The definition is left as
 * it was. */
static void test_start_refusals(void) {
        static const char *const cases[][2] = {
                { "<disk type='file'><source file='/a' fdgroup='grp1'/><target dev='vda'/></disk>",
                  "file descriptor group 'grp1' was not associated" },
                { "<disk type='file'><source file='/a'/><backingStore type='file'><format type='raw'/>"
                  "<source file='/b' fdgroup='grp2'/></backingStore><target dev='vda'/></disk>",
                  "file descriptor group 'grp2'" },
                { "<disk type='file'><source file='/a'/><backingStore type='file'><format type='raw'/>"
                  "<source file='/b'><slices><slice type='storage' offset='0' size='1'/></slices></source>"
                  "</backingStore><target dev='vda'/></disk>",
                  "the storage slice of backing layer '/b'" },
                { "<disk type='nvme'><source type='pci' managed='yes' namespace='1'>"
                  "<address domain='0x00fe' bus='0xfe' slot='0x1f' function='0x7'/></source>"
                  "<target dev='vda'/></disk>",
                  "disk 'vda': NVMe device 00fe:fe:1f.7 is not on this host" },
                { "<disk type='volume' device='cdrom'><source pool='p' volume='v' mode='direct'/>"
                  "<target dev='hdc' bus='ide'/><readonly/></disk>",
                  "disk 'hdc': disk source mode is only valid when storage pool is of iscsi type" },
                { "<disk type='volume' device='cdrom'><auth username='u'><secret type='iscsi' usage='x'/></auth>"
                  "<source pool='p' volume='v'/><target dev='hdc' bus='ide'/><readonly/></disk>",
                  "<auth> of a volume is only valid when storage pool is of iscsi type, and pool 'p'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(domain_def_freep) DomainDef *def = def_with("%s", cases[i][0]);
                ConfError err = {};

                CHECK(def && qemu_disk_prepare(def, 0, &err) < 0);
                CHECK_CONTAINS(err.message, cases[i][1]);
                CHECK(def && def->n_disks == 1);
        }
}

/* A volume CD-ROM without a source is an empty drive: nothing to check. */
static void test_empty_volume(void) {
        _cleanup_(domain_def_freep) DomainDef *def = def_with("<disk type='volume' device='cdrom'>"
                                                              "<target dev='hdc' bus='ide'/><readonly/></disk>");
        ConfError err = {};

        CHECK(def && qemu_disk_prepare(def, 0, &err) == 0);
}

UNIT_TESTS(test_startup_policy, test_lun_needs_scsi, test_start_refusals, test_empty_volume)
