#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo: a private system bus, virtbus-qemud on it, the test guest booted,
# its serial console shown, controlled with busctl, then shut down cleanly.
# Everything lives in a temporary directory that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

WORK=$(mktemp -d /tmp/virtbus-demo.XXXXXX)
BUS_PID="" QEMUD_PID="" LOGD_PID=""
cleanup() {
	[ -n "$QEMUD_PID" ] && kill "$QEMUD_PID" 2>/dev/null || true
	[ -n "$LOGD_PID" ] && kill "$LOGD_PID" 2>/dev/null || true
	[ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null || true
	# A guest left behind by a failed demo: its pid is in qemud's live state.
	for f in "$WORK"/root/run/virtbus/qemu/*.xml; do
		[ -e "$f" ] || continue
		p=$(sed -n "s/.* pid='\([0-9]*\)'.*/\1/p" "$f" | head -n1)
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

say "Building the test guest (Debian's kernel + a busybox initramfs)"
sh tests/guest/build-guest.sh tests/.guest >/dev/null
KERNEL="$REPO/tests/.guest/vmlinux"
INITRD="$REPO/tests/.guest/initrd.gz"

say "Starting a private system bus, virtbus-logd and virtbus-qemud (--root $WORK/root)"
dbus-daemon --config-file="$REPO/scripts/dbus-test-bus.conf" --address="unix:path=$WORK/bus" \
	--nofork --nopidfile >"$WORK/dbus.log" 2>&1 &
BUS_PID=$!
for _ in $(seq 100); do [ -S "$WORK/bus" ] && break; sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$WORK/bus"
build/virtbus-logd --root "$WORK/root" 2>"$WORK/logd.log" &
LOGD_PID=$!
for _ in $(seq 100); do busctl --system status org.virtbus.logd >/dev/null 2>&1 && break; sleep 0.05; done
build/virtbus-qemud --root "$WORK/root" 2>"$WORK/qemud.log" &
QEMUD_PID=$!
for _ in $(seq 100); do busctl --system status org.virtbus.qemud >/dev/null 2>&1 && break; sleep 0.05; done

# KVM when it can boot a kernel here, TCG otherwise (see notes on nested KVM).
TYPE=${VIRTBUS_DEMO_TYPE:-qemu}
cat >"$WORK/demo.xml" <<XML
<domain type='$TYPE'>
  <name>demo</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$KERNEL</kernel>
    <initrd>$INITRD</initrd>
    <cmdline>console=ttyS0 quiet</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='user'><model type='virtio'/></interface>
    <serial type='file'><source path='$WORK/serial.log'/><target port='0'/></serial>
    <memballoon model='virtio'/>
  </devices>
</domain>
XML

Q="busctl --system"
DEST="org.virtbus.qemud"
ROOT="/org/virtbus/qemud"

say "Defining the guest"
run $Q call $DEST $ROOT org.libvirt.Connect DomainDefineXML s "$(cat "$WORK/demo.xml")"
DOM=$($Q call $DEST $ROOT org.libvirt.Connect DomainLookupByName s demo | awk '{print $2}' | tr -d '"')
run $Q call $DEST $ROOT org.libvirt.Connect ListDomains u 0

say "Starting it"
run $Q call $DEST "$DOM" org.libvirt.Domain Create u 0
run $Q call $DEST "$DOM" org.libvirt.Domain GetState u 0
run $Q get-property $DEST "$DOM" org.libvirt.Domain Id

say "Waiting for the guest's serial console"
for _ in $(seq 600); do grep -q VIRTBUS-GUEST-IP "$WORK/serial.log" 2>/dev/null && break; sleep 0.1; done
grep -E 'Linux version|VIRTBUS-GUEST' "$WORK/serial.log" | sed 's/^/  serial| /'

say "Pausing and resuming"
run $Q call $DEST "$DOM" org.libvirt.Domain Suspend
run $Q call $DEST "$DOM" org.libvirt.Domain GetState u 0
run $Q call $DEST "$DOM" org.libvirt.Domain Resume
run $Q call $DEST "$DOM" org.libvirt.Domain GetStats uu 0 0

say "Shutting it down cleanly (ACPI power button)"
run $Q call $DEST "$DOM" org.libvirt.Domain Shutdown u 0
for _ in $(seq 300); do
	state=$($Q call $DEST "$DOM" org.libvirt.Domain GetState u 0 | awk '{print $2}')
	[ "$state" = 5 ] && break
	sleep 0.1
done
grep -E 'VIRTBUS-GUEST-POWEROFF|reboot: Power down' "$WORK/serial.log" | sed 's/^/  serial| /' || true
run $Q call $DEST "$DOM" org.libvirt.Domain GetState u 0
[ "$state" = 5 ] || { echo "the guest did not shut down"; cat "$WORK/qemud.log"; exit 1; }

say "The guest's log, kept by virtbus-logd (QEMU's output and the serial console)"
LOG="$WORK/root/var/log/virtbus/qemu/demo.log"
run $Q get-property org.virtbus.logd /org/virtbus/logd org.virtbus.Log1 OpenLogs
grep -E 'starting up|VIRTBUS-GUEST|Power down' "$LOG" | sed 's/^/  log| /'

say "Undefining it"
run $Q call $DEST "$DOM" org.libvirt.Domain Undefine u 0
echo
echo "Demo finished."
