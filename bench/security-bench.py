#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the DAC security driver adds to a start: virtbus-qemud's Create and
Destroy with the guest's files given to QEMU's user and given back, beside
the same without, and beside libvirt's (which always labels), in one run.

    /usr/bin/python3 bench/security-bench.py        (as root; make first)

The plumbing is bench/qemud-bench.py's (imported, not copied): its private
bus, its way of running libvirtd, its paired bare-QEMU runs. The domain is
its 64 MiB q35 guest plus a qcow2 disk with a raw backing file (two files
to give and take back), always TCG: QEMU's DAC user
cannot open a root-only /dev/kvm, and the figures must compare like with
like. qemud.conf is rewritten between the series (it is read at each start):

  off      dynamic_ownership = 0, user root: nothing chowned, QEMU root
  root     the default: user root, files checked (already root's: untouched)
  64055    user = "+64055": files chowned and remembered in xattrs, QEMU
           dropped to 64055

Environment: as qemud-bench.py (VIRTBUS_BUILD, VIRTBUS_BENCH_NO_LIBVIRT=1)."""

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("qemud_bench", REPO / "bench" / "qemud-bench.py")
qb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qb)

qb.RUNS = int(os.environ.get("VIRTBUS_BENCH_RUNS", "10"))

DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>{qemu}</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
"""

SETTINGS = [
    ("off", "dynamic_ownership = 0\n"),
    ("root", ""),
    ("64055", 'user = "+64055"\ngroup = "+64055"\n'),
]


class SecBench(qb.Bench):
    def files(self, tag):
        d = self.work / f"files-{tag}"
        d.mkdir(exist_ok=True)
        os.chmod(d, 0o755)
        base, top = d / "base.raw", d / "top.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(base), "16M"], check=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "raw", str(top)],
                       check=True)
        return top

    def domain_xml(self, name, tag):
        return DOMAIN_XML.format(name=name, qemu=qb.QEMU, disk=self.files(tag))

    def qemud_conf(self, text):
        conf = self.work / "root" / "etc" / "virtbus" / "qemud.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(text)

    def series_virtbus(self):
        self.start_qemud()
        qemud_pid = self.qemud.pid
        for tag, text in SETTINGS:
            self.qemud_conf(text)
            name = qb.PREFIX + "sec" + tag
            path = str(self.dcall(qb.QEMUD_DEST, qb.QEMUD_ROOT, "org.libvirt.Connect", "DomainDefineXML", "s",
                                  self.domain_xml(name, tag)))

            def qemu_pid(name=name):
                want = f"guest={name},".encode()
                for k in qb.children(qemud_pid):
                    try:
                        with open(f"/proc/{k}/cmdline", "rb") as f:
                            if want in f.read():
                                return k
                    except OSError:
                        pass
                raise RuntimeError(f"no QEMU of {name}")
            qb.log(f"virtbus-qemud, DAC {tag}: Create / Destroy, {qb.RUNS} runs")
            bare, _, cr, de = self.lifecycle(
                lambda: self.dcall(qb.QEMUD_DEST, path, "org.libvirt.Domain", "Create", "u", 0),
                lambda: self.dcall(qb.QEMUD_DEST, path, "org.libvirt.Domain", "Destroy", "u", 0),
                lambda: int(self.dcall(qb.QEMUD_DEST, path, "org.libvirt.Domain", "GetState", "u", 0)[0]),
                qemu_pid, "virtbus-qemud")
            self.res[f"vb-{tag}"] = (bare, cr, de, self.res["paired"]["vb"])
            self.dcall(qb.QEMUD_DEST, path, "org.libvirt.Domain", "Undefine", "u", 0)
        self.stop_qemud()

    def series_libvirt(self):
        self.libvirt_preflight()
        import libvirt
        libvirt.registerErrorHandler(lambda c, e: None, None)
        if not qb.procs_named("virtlogd"):
            self.virtlogd = self.spawn([qb.VIRTLOGD], "virtlogd.log", env=self.env_nobus(), start_new_session=True)
            qb.wait_for(lambda: os.path.exists("/run/libvirt/virtlogd-sock") or self.virtlogd.poll() is not None,
                        30, "virtlogd's socket")
        self.start_libvirtd()
        c = self.lv_open()
        self.lv_defined = True
        dom = c.defineXML(self.domain_xml(qb.PREFIX + "seclv", "lv"))
        name = dom.name()

        def qemu_pid():
            with open(f"/run/libvirt/qemu/{name}.pid") as f:
                return int(f.read())
        qb.log(f"libvirtd (DAC as configured in /etc/libvirt/qemu.conf): create / destroy, {qb.RUNS} runs")
        bare, _, cr, de = self.lifecycle(dom.create, dom.destroy, lambda: dom.state()[0], qemu_pid, "libvirtd")
        self.res["lv"] = (bare, cr, de, self.res["paired"]["lv"])
        dom.undefine()
        c.close()

    def show(self):
        ms = lambda s: s["median"] * 1e3          # noqa: E731
        print("\nStart (Create) and stop (Destroy), TCG, median of "
              f"{qb.RUNS} runs, ms; 'overhead' = Create minus a bare QEMU's exec->running, paired per run")
        print(f"{'':28} {'Create':>9} {'overhead':>9} {'Destroy':>9}")
        rows = [(f"virtbus-qemud DAC {tag}", f"vb-{tag}") for tag, _ in SETTINGS] + [("libvirtd (labels)", "lv")]
        for label, key in rows:
            v = self.res.get(key)
            if not v:
                print(f"{label:28} {'n/a':>9}")
                continue
            bare, cr, de, paired = v
            print(f"{label:28} {ms(cr):9.1f} {ms(paired):9.1f} {ms(de):9.1f}")
        if self.lv_skip:
            print(f"libvirt: n/a ({self.lv_skip})")
        off, on = self.res.get("vb-off"), self.res.get("vb-64055")
        if off and on:
            print(f"DAC on (64055) minus off: Create {ms(on[1]) - ms(off[1]):+.1f} ms, "
                  f"Destroy {ms(on[2]) - ms(off[2]):+.1f} ms")


def main():
    b = SecBench()

    def on_signal(sig, frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rc = 0
    try:
        b.setup()
        b.accel, b.dtype = "tcg", "qemu"
        try:
            b.series_virtbus()
        except Exception as e:     # noqa: BLE001 - libvirt's figures still count
            import traceback
            traceback.print_exc()
            rc = 1
        try:
            b.series_libvirt()
        except qb.Skip as e:
            b.lv_skip = str(e)
        except Exception as e:     # noqa: BLE001
            b.lv_skip = f"libvirt part failed: {e}"
            rc = 1
        b.show()
    except KeyboardInterrupt:
        rc = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        b.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
