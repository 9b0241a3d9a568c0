#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds virtbus's test guest: Debian's kernel and a busybox initramfs.
#
#   tests/guest/build-guest.sh OUTDIR
#
# Output: OUTDIR/vmlinuz, OUTDIR/initrd.gz, OUTDIR/kernel-version and, when the
# kernel allows it, OUTDIR/vmlinux: the same kernel uncompressed, which QEMU
# boots directly through its PVH entry - twice as fast under TCG.
# OUTDIR/agent holds the version of Debian's QEMU guest agent (qemu-ga) when the
# initramfs has it: the guest starts it on the virtio port
# org.qemu.guest_agent.0 when it has one. A guest without that port boots as
# before; a build that cannot fetch the agent leaves it out (with a warning).
# Nothing is installed into the system: the kernel and agent packages are
# fetched with `apt-get download` into OUTDIR/cache and unpacked there with
# `dpkg-deb -x`; the agent's shared libraries are the host's (ldd), which
# qemu-system-x86's own dependencies provide.
# A second run with the same inputs returns at once (OUTDIR/stamp).
#
# Environment:
#   GUEST_KERNEL_DEB   use this linux-image .deb instead of asking apt
#   EXTRA_MODULES      more kernel modules for the initramfs (space separated;
#                      their dependencies are added from modinfo)
#   REBUILD=1          ignore the stamp
#   GUEST_KERNEL_REFRESH=1  ask apt for the current kernel even when one is cached
#   GUEST_AGENT_DEB    use this qemu-guest-agent .deb instead of asking apt
#   GUEST_AGENT=0      build without the guest agent
#
# Needs: busybox-static (/bin/busybox), cpio, gzip, dpkg-deb, kmod (modinfo),
# ldd (libc-bin).
# The guest's behaviour (markers on ttyS0, DHCP, ACPI power button) is in
# tests/guest/init; see the header there.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
CACHE="$OUT/cache"
mkdir -p "$CACHE"

MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
failover net_failover virtio_net virtio_blk button evdev virtio_balloon pvpanic-mmio pvpanic-pci
virtio_console ${EXTRA_MODULES:-}"
BUSYBOX=${BUSYBOX:-/bin/busybox}
MODINFO=$(command -v modinfo || echo /sbin/modinfo)

die() { echo "build-guest: $*" >&2; exit 1; }
log() { echo "build-guest: $*" >&2; }

for t in cpio gzip dpkg-deb; do
	command -v $t >/dev/null || die "$t is missing (sh scripts/install-deps.sh check)"
done
[ -x "$MODINFO" ] || die "modinfo is missing (package kmod)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing (package busybox-static)"
file_out=$(LC_ALL=C file -L "$BUSYBOX" 2>/dev/null || true)
case "$file_out" in
	*"dynamically linked"*) die "$BUSYBOX is not static (install busybox-static)" ;;
esac

# One build at a time per OUTDIR (parallel test sessions share the cache).
exec 9>"$OUT/.lock"
flock 9

# --- which kernel -----------------------------------------------------------
find_deb() {
	if [ -n "${GUEST_KERNEL_DEB:-}" ]; then
		[ -f "$GUEST_KERNEL_DEB" ] || die "GUEST_KERNEL_DEB=$GUEST_KERNEL_DEB not found"
		echo "$GUEST_KERNEL_DEB"
		return
	fi
	# A kernel fetched before is kept (fast, and the same kernel run after run).
	if [ "${GUEST_KERNEL_REFRESH:-0}" != 1 ]; then
		deb=$(ls -t "$CACHE"/linux-image-[0-9]*-amd64_*.deb 2>/dev/null | head -n1 || true)
		[ -n "$deb" ] && { echo "$deb"; return; }
	fi
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$pkg" ]; then
		# No apt lists (or no apt): take whatever we fetched before.
		deb=$(ls -t "$CACHE"/linux-image-[0-9]*-amd64_*.deb 2>/dev/null | head -n1 || true)
		[ -n "$deb" ] && { echo "$deb"; return; }
		[ "$(id -u)" = 0 ] && { log "apt-get update (no package lists)"; apt-get update -q >&2 || true; }
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
		[ -n "$pkg" ] || die "cannot find Debian's kernel package (apt-cache depends linux-image-amd64)"
	fi
	deb=$(ls -t "$CACHE/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		log "downloading $pkg"
		# apt drops privileges to _apt and warns when it cannot write there; harmless.
		if ! (cd "$CACHE" && apt-get download -q "$pkg" >&2 2>"$CACHE/apt.log"); then
			if [ "$(id -u)" = 0 ]; then
				log "download failed, running apt-get update"
				apt-get update -q >&2 || true
				(cd "$CACHE" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
			else
				cat "$CACHE/apt.log" >&2; die "apt-get download $pkg failed"
			fi
		fi
		deb=$(ls -t "$CACHE/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
		[ -n "$deb" ] || die "apt-get download $pkg left no .deb in $CACHE"
	fi
	echo "$deb"
}

DEB=$(find_deb)
DEBNAME=$(basename "$DEB" .deb)

# --- the guest agent (optional: the guest boots the same without it) ---------
find_agent_deb() {
	[ "${GUEST_AGENT:-1}" = 0 ] && return 0
	if [ -n "${GUEST_AGENT_DEB:-}" ]; then
		[ -f "$GUEST_AGENT_DEB" ] || die "GUEST_AGENT_DEB=$GUEST_AGENT_DEB not found"
		echo "$GUEST_AGENT_DEB"
		return
	fi
	deb=$(ls -t "$CACHE"/qemu-guest-agent_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		log "downloading qemu-guest-agent"
		(cd "$CACHE" && apt-get download -q qemu-guest-agent >"$CACHE/apt-agent.log" 2>&1) ||
			{ [ "$(id -u)" = 0 ] && apt-get update -q >&2 &&
			  (cd "$CACHE" && apt-get download -q qemu-guest-agent >"$CACHE/apt-agent.log" 2>&1); } ||
			{ log "WARNING: cannot fetch qemu-guest-agent: the guest has no agent"; return 0; }
		deb=$(ls -t "$CACHE"/qemu-guest-agent_*.deb 2>/dev/null | head -n1 || true)
	fi
	echo "$deb"
}
AGENT_DEB=$(find_agent_deb)
AGENT_NAME=""
AGENT_LIBS=""
if [ -n "$AGENT_DEB" ]; then
	AGENT_NAME=$(basename "$AGENT_DEB" .deb)
	ADIR="$CACHE/$AGENT_NAME"
	if [ ! -f "$ADIR/.done" ]; then
		rm -rf "$ADIR" "$ADIR.tmp"
		dpkg-deb -x "$AGENT_DEB" "$ADIR.tmp"
		touch "$ADIR.tmp/.done"
		mv "$ADIR.tmp" "$ADIR"
		for old in "$CACHE"/qemu-guest-agent_*; do
			[ -d "$old" ] && [ "$old" != "$ADIR" ] && rm -rf "$old"
		done
	fi
	QGA="$ADIR/usr/sbin/qemu-ga"
	[ -x "$QGA" ] || die "$AGENT_NAME has no usr/sbin/qemu-ga"
	# Its libraries as this host resolves them (the loader too); one missing
	# is a missing package: name it.
	ldd_out=$(ldd "$QGA") || die "ldd $QGA failed"
	missing=$(echo "$ldd_out" | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')
	[ -z "$missing" ] || die "qemu-ga needs $missing: install them (apt-cache depends qemu-guest-agent)"
	AGENT_LIBS=$(echo "$ldd_out" | sed -n 's/.*=> \(\/[^ ]*\) (.*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | sort -u)
fi

# --- stamp: nothing to do when every input is unchanged ----------------------
stamp_of() {
	{
		echo "deb $DEBNAME"
		echo "modules $MODULES"
		echo "agent $AGENT_NAME"
		for l in $AGENT_LIBS; do ls -lL "$l"; done
		cat "$0" "$HERE/init" "$HERE/udhcpc.script" "$HERE/acpi-power" "$HERE/shutdown" "$HERE/chpasswd"
		"$BUSYBOX" 2>&1 | head -n1
		ls -l "$BUSYBOX"
	} | sha256sum | cut -d' ' -f1
}
STAMP=$(stamp_of)
if [ "${REBUILD:-0}" != 1 ] && [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ] &&
	[ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ]; then
	exit 0
fi

# --- unpack the kernel once: keep vmlinuz and the modules tree ---------------
KDIR="$CACHE/$DEBNAME"
if [ ! -f "$KDIR/.done" ]; then
	log "unpacking $DEBNAME"
	rm -rf "$KDIR" "$KDIR.tmp"
	mkdir -p "$KDIR.tmp"
	dpkg-deb -x "$DEB" "$KDIR.tmp/root"
	mkdir -p "$KDIR.tmp/lib"
	mv "$KDIR.tmp/root/lib/modules" "$KDIR.tmp/lib/modules"
	cp "$KDIR.tmp/root"/boot/vmlinuz-* "$KDIR.tmp/vmlinuz"
	rm -rf "$KDIR.tmp/root"
	touch "$KDIR.tmp/.done"
	mv "$KDIR.tmp" "$KDIR"
	# Older unpacked kernels are of no more use.
	for old in "$CACHE"/linux-image-*; do
		[ -d "$old" ] && [ "$old" != "$KDIR" ] && rm -rf "$old"
	done
fi
KVER=$(ls "$KDIR/lib/modules" | head -n1)
MODDIR="$KDIR/lib/modules/$KVER"

# --- modules in dependency order ---------------------------------------------
modfile() {	# name -> path of its .ko[.xz|.zst|.gz] (names may use - or _)
	n1=$1; n2=$(echo "$1" | tr _ -); n3=$(echo "$1" | tr - _)
	find "$MODDIR/kernel" \( -name "$n1.ko*" -o -name "$n2.ko*" -o -name "$n3.ko*" \) | head -n1
}
ORDER=""
VISITING=""
visit() {	# depth-first: dependencies before the module
	local m f deps d
	m=$(echo "$1" | tr - _)
	case " $ORDER " in *" $m "*) return 0 ;; esac
	case " $VISITING " in *" $m "*) die "module dependency loop at $m" ;; esac
	VISITING="$VISITING $m"
	f=$(modfile "$m")
	[ -n "$f" ] || die "module $m not found in $DEBNAME"
	deps=$("$MODINFO" -F depends "$f" | tr ',' ' ')
	for d in $deps; do visit "$d"; done
	ORDER="$ORDER $m"
}
for m in $MODULES; do visit "$m"; done

# --- the initramfs tree --------------------------------------------------------
WORK="$OUT/.tree.$$"
trap 'rm -rf "$WORK" "$OUT/.initrd.$$" "$OUT/.vmlinuz.$$" "$OUT/.vmlinux.$$"' EXIT
rm -rf "$OUT"/.tree.*
mkdir -p "$WORK"
cd "$WORK"
mkdir -p bin sbin usr/bin usr/sbin dev proc sys tmp run root var/log etc/acpi/PWRF \
	usr/share/udhcpc lib/modules
chmod 1777 tmp
cp "$BUSYBOX" bin/busybox
ln -s busybox bin/sh
cp "$HERE/init" init
cp "$HERE/udhcpc.script" usr/share/udhcpc/default.script
# busybox acpid, for input event "button/power PWRF 00000080", looks up PWRF in
# /etc/acpid.conf and runs /etc/acpi/<action> (a directory: run-parts on it).
cp "$HERE/acpi-power" etc/acpi/PWRF/00000080
echo "PWRF PWRF/00000080" > etc/acpid.conf
chmod 0755 init usr/share/udhcpc/default.script etc/acpi/PWRF/00000080
# A console device node for the kernel to open before devtmpfs is mounted.
mknod -m 600 dev/console c 5 1 2>/dev/null || true
echo "root:x:0:0:root:/root:/bin/sh" > etc/passwd
echo "root:x:0:" > etc/group
echo "virtbus-guest" > etc/hostname

# The guest agent: its binary, its libraries at the paths the loader looks at,
# and what it runs: /sbin/shutdown and chpasswd (ours: busybox-static has
# neither) and /sbin/hwclock (busybox's).
if [ -n "$AGENT_NAME" ]; then
	cp "$QGA" usr/sbin/qemu-ga
	for l in $AGENT_LIBS; do
		mkdir -p ".$(dirname "$l")"
		cp -L "$l" ".$l"
	done
	cp "$HERE/shutdown" sbin/shutdown
	cp "$HERE/chpasswd" usr/sbin/chpasswd
	chmod 0755 sbin/shutdown usr/sbin/chpasswd
	ln -s /bin/busybox sbin/hwclock
	mkdir -p etc/qemu var/run
fi

: > lib/modules/order
for m in $ORDER; do
	f=$(modfile "$m")
	case "$f" in
		*.ko) cp "$f" "lib/modules/$m.ko" ;;
		*.ko.xz) xz -dc "$f" > "lib/modules/$m.ko" ;;
		*.ko.zst) zstd -qdc "$f" > "lib/modules/$m.ko" ;;
		*.ko.gz) gzip -dc "$f" > "lib/modules/$m.ko" ;;
		*) die "unknown module file $f" ;;
	esac
	echo "$m" >> lib/modules/order
done

find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6 > "$OUT/.initrd.$$"
cp "$KDIR/vmlinuz" "$OUT/.vmlinuz.$$"

# vmlinux: the same kernel uncompressed, an ELF with a PVH entry note that QEMU
# boots directly (-kernel vmlinux). Under TCG that saves the kernel's own
# decompression - about half of the boot time. Skipped if the bzImage payload
# is not xz (then only vmlinuz is there).
rm -f "$OUT/.vmlinux.$$"
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$KDIR/vmlinuz" 2>/dev/null | head -n1 | cut -d: -f1)
if [ -n "$off" ] &&
	tail -c +$((off + 1)) "$KDIR/vmlinuz" | xz -dc --single-stream > "$OUT/.vmlinux.$$" 2>/dev/null &&
	[ "$(head -c 4 "$OUT/.vmlinux.$$" | od -An -c | tr -d ' ')" = '177ELF' ] &&
	{ ! command -v readelf >/dev/null ||	# XEN_ELFNOTE_PHYS32_ENTRY (18)
	  LC_ALL=C readelf -n "$OUT/.vmlinux.$$" 2>/dev/null | grep -q 'PHYS32_ENTRY\|note type: (0x00000012)'; }; then
	mv "$OUT/.vmlinux.$$" "$OUT/vmlinux"
else
	rm -f "$OUT/.vmlinux.$$" "$OUT/vmlinux"
	log "no PVH vmlinux (kernel payload not xz or no PVH note): only vmlinuz"
fi
mv "$OUT/.initrd.$$" "$OUT/initrd.gz"
mv "$OUT/.vmlinuz.$$" "$OUT/vmlinuz"
echo "$KVER" > "$OUT/kernel-version"
if [ -n "$AGENT_NAME" ]; then
	echo "${AGENT_NAME#qemu-guest-agent_}" | sed "s/%3a/:/" > "$OUT/agent"
else
	rm -f "$OUT/agent"
fi
echo "$STAMP" > "$OUT/stamp"
log "built in $OUT: vmlinuz$([ -f "$OUT/vmlinux" ] && echo ", vmlinux") ($KVER), initrd.gz (modules:$ORDER${AGENT_NAME:+; $AGENT_NAME})"
