#!/bin/sh
# Installs the Debian packages virtbus needs to build, test and run the demo.
# Usage: scripts/install-deps.sh [build|check|demo|bench]
# Only what is missing is installed; apt-get update runs first when something is.
set -eu

BUILD="gcc make pkg-config libsystemd-dev libxml2-dev libxml2-utils libjson-c-dev
libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libselinux1-dev libapparmor-dev libfuse3-dev libgnutls28-dev"
RUN="dbus dbus-daemon systemd qemu-system-x86 qemu-utils busybox-static cpio gzip
python3 python3-dbus python3-gi python3-pytest kmod libvirt0 iproute2 util-linux
lvm2 xfsprogs btrfs-progs e2fsprogs scrub
dnsmasq-base nftables iputils-ping openssl ovmf
libvirt-clients python3-libvirt python3-pexpect polkitd
openssh-server netcat-openbsd libvirt-daemon virtinst fuse3 apparmor"
BENCH="libvirt-daemon libvirt-daemon-driver-qemu libvirt-dbus hyperfine libvirt-daemon-driver-lxc"
# cockpit-machines in headless Chromium against the proxy's org.libvirt
# (tests/integration/test_cockpit.py runs its own cockpit-ws, never cockpit.socket)
COCKPIT="cockpit-ws cockpit-bridge cockpit-machines chromium chromium-driver python3-selenium"
# swtpm, swtpm-tools: <tpm><backend type='emulator'> (qemud runs swtpm_setup and swtpm)
RUN="$RUN swtpm swtpm-tools"
# qemu-system-common: /usr/lib/qemu/virtiofsd, which qemud runs for a virtiofs
# <filesystem> (Debian 12 has no separate virtiofsd package)
RUN="$RUN qemu-system-common"
# passt: <interface type='user'><backend type='passt'/> (qemud runs passt)
RUN="$RUN passt"
# qemu-system-gui: /usr/lib/qemu/vhost-user-gpu, which qemud runs for a
# <video><driver name='vhostuser'/> (named by /usr/share/qemu/vhost-user/50-qemu-gpu.json)
RUN="$RUN qemu-system-gui"
# dbus-broker: tests/run-all.sh runs the bus's tests on it too, and
# bench/broker-bench.sh (both through scripts/dbus-broker-run, a private bus).
# Debian's package enables itself as dbus.service: the system bus from the next boot.
CHECK_ONLY="dbus-broker"
# qemu-block-extra: QEMU's iscsi (libiscsi) block driver, for iSCSI disks and
# <hostdev type='scsi'><source protocol='iscsi'>; tgt: the user-space iSCSI
# target tests/integration/test_qemud_hostdev_iscsi.py runs on loopback (the
# install must not start the system's tgtd: policy-rc.d below)
RUN="$RUN qemu-block-extra"
CHECK_ONLY="$CHECK_ONLY tgt"

case "${1:-check}" in
	build) want="$BUILD" ;;
	check) want="$BUILD $RUN $COCKPIT $CHECK_ONLY" ;;
	demo) want="$BUILD $RUN" ;;
	bench) want="$BUILD $RUN $BENCH $CHECK_ONLY" ;;
	*) echo "usage: $0 [build|check|demo|bench]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# openssh-server is here for the tests' own sshd (on loopback, started by the
# test): the install must not start the system's sshd (nor tgt's tgtd). A
# policy-rc.d that says no to those alone, for this run, unless the host already has one.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	cat >"$policy" <<-'EOF'
	#!/bin/sh
	# written by virtbus' scripts/install-deps.sh for one apt-get run
	for a; do
		case "$a" in
		-*) ;;
		ssh|ssh.service|sshd|sshd.service|ssh.socket) exit 101 ;;
		tgt|tgt.service) exit 101 ;;
		*) exit 0 ;;
		esac
	done
	exit 0
	EOF
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
	trap 'exit 1' INT TERM
fi
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
