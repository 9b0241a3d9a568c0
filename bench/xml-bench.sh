#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# XML figures: the largest documents the models accept and those the bounds
# refuse, timed through parse + validate + format (target: milliseconds, so
# that no call holds a daemon's loop up). No daemon and no bus needed.
set -eu
. "$(dirname "$0")/lib.sh"

make -C "$REPO" -s "$BUILD/libvirtbus-common.a"
mkdir -p "$BUILD/bench"
PKGS="libsystemd libxml-2.0 json-c"
cc -O2 -Wall -D_GNU_SOURCE -I"$REPO/common" -I"$REPO/common/conf" $(pkg-config --cflags $PKGS) \
	-o "$BUILD/bench/xml-bench" "$REPO/bench/xml-bench.c" "$BUILD/libvirtbus-common.a" $(pkg-config --libs $PKGS)
"$BUILD/bench/xml-bench"
