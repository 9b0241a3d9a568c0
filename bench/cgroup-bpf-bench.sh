#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cgroup v2 device filter's cost (bench/cgroup-bpf-bench.c): a guest's
# BPF program built, loaded and swapped in, and read back, for 12 to 76
# rules. Root; on the host's cgroup2 hierarchy (a hybrid host's unified one).
set -eu
. "$(dirname "$0")/lib.sh"

make -C "$REPO" -s "$BUILD/libvirtbus-common.a"
mkdir -p "$BUILD/bench"
PKGS="libsystemd libxml-2.0 json-c"
cc -O2 -Wall -D_GNU_SOURCE -I"$REPO/common" $(pkg-config --cflags $PKGS) \
	-o "$BUILD/bench/cgroup-bpf-bench" "$REPO/bench/cgroup-bpf-bench.c" "$BUILD/libvirtbus-common.a" \
	$(pkg-config --libs $PKGS)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/cgroup-bpf-bench"
