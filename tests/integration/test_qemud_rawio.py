# SPDX-License-Identifier: LGPL-2.1-or-later
"""<disk device='lun' rawio='yes'> in virtbus-qemud: as libvirt, QEMU keeps
CAP_SYS_RAWIO (and only it, with clear_emulator_capabilities) for the SCSI
commands the guest sends; the capability sets a confined child of any user
ends with after its exec are checked by tests/unit/test-confine.c
(test_keep_rawio), with a real setuid and exec.

This host has no SCSI device (no scsi_debug module, no /dev/sg*): the start
is no longer refused for rawio, it fails naming what is missing (the source
is no SCSI block device) and leaves the guest shut off, its definition with
rawio='yes' as given."""

import dbus
import pytest

from test_qemud_common import Guest, bare_domain, module_env
from virtbus_harness import DomainState as S

env = module_env()


def test_rawio_lun_start_names_the_missing_scsi_device(env):
    src = env.root / "not-a-scsi-device.img"
    src.write_bytes(b"\0" * (1 << 20))
    disk = (f"<controller type='scsi' index='0' model='virtio-scsi'/>"
            f"<disk type='block' device='lun' rawio='yes'><driver name='qemu' type='raw'/>"
            f"<source dev='{src}'/><target dev='sda' bus='scsi'/></disk>")
    g = Guest(env, env.call("DomainDefineXML", bare_domain("rawio", disk)), "rawio")
    try:
        assert "rawio='yes'" in g.call("GetXMLDesc", 0)
        with pytest.raises(dbus.exceptions.DBusException) as e:
            g.call("Create", 0)
        msg = e.value.get_dbus_message()
        assert "needs a SCSI block device" in msg and str(src) in msg, msg
        assert "CAP_SYS_RAWIO" not in msg, msg
        assert g.state()[0] == S.SHUTOFF
        assert "rawio='yes'" in g.call("GetXMLDesc", 0)
    finally:
        g.call("Undefine", 0)
