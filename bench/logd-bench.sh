#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# logd figures, each beside its target:
#  - one writer into its log pipe, sustained, with rotation on (2 MiB, 3 kept);
#  - 100 concurrent writers, one log each;
#  - after each run, the files of every log put together are compared with the
#    tail of what was written (byte for byte, FNV-1a checksums printed), and
#    a run with every rotated file kept checks a whole 1 GiB stream.
# Throughput counts from the first write to the moment logd has drained and
# closed every pipe. Usage: bench/logd-bench.sh [SINGLE_GIB]

# ---- a private system bus and the daemon under a temporary --root, both
# stopped (by pid) on exit
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${VIRTBUS_BUILD:-$REPO/build}
WORK=$(mktemp -d /tmp/virtbus-bench.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# bench_cc NAME [extra cc args]: builds bench/NAME.c into build/bench/NAME.
bench_cc() {
	name=$1; shift
	mkdir -p "$BUILD/bench"
	cc -O2 -Wall -o "$BUILD/bench/$name" "$REPO/bench/$name.c" "$@" $(pkg-config --cflags --libs libsystemd)
}

start_bus() {
	dbus-daemon --config-file="$REPO/scripts/dbus-test-bus.conf" --address="unix:path=$WORK/bus" \
		--nofork --nopidfile --print-address=1 >"$WORK/bus.addr" 2>"$WORK/bus.log" &
	PIDS="$PIDS $!"
	while [ ! -s "$WORK/bus.addr" ]; do sleep 0.02; done
	export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$WORK/bus"
}

# start_daemon NAME: build/virtbus-NAME --root $WORK/root; sets DAEMON_PID.
start_daemon() {
	"$BUILD/virtbus-$1" --root "$WORK/root" >"$WORK/$1.log" 2>&1 &
	DAEMON_PID=$!
	PIDS="$PIDS $DAEMON_PID"
	until busctl --system status "org.virtbus.$1" >/dev/null 2>&1; do
		kill -0 "$DAEMON_PID" || { cat "$WORK/$1.log"; exit 1; }
		sleep 0.02
	done
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# verdict VALUE OP TARGET: "ok" or "MISSED" (OP is ge or le).
verdict() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "ge") ? v >= t : v <= t; print ok ? "ok" : "MISSED" }'
}
# ----

GIB=${1:-4}
bench_cc logd-bench -pthread
start_bus
start_daemon logd
B="$BUILD/bench/logd-bench"

echo "== virtbus-logd benchmark ($(nproc) CPUs; logs on $(df --output=fstype "$WORK" | tail -1))"
out=$("$B" 1 $((GIB * 1024 * 1024 * 1024)) "$WORK")
rate=$(echo "$out" | sed -n 's/.*MiB_per_second=\([0-9]*\).*/\1/p')
echo "one writer, rotation on: $rate MiB/s (target >= 500) $(verdict "$rate" ge 500)"
echo "$out" | sed 's/^/    /'
out=$("$B" 100 $((8 * 1024 * 1024)) "$WORK")
rate=$(echo "$out" | sed -n 's/.*MiB_per_second=\([0-9]*\).*/\1/p')
ver=$(echo "$out" | sed -n 's/^verified=\([0-9]*\/[0-9]*\).*/\1/p')
echo "100 concurrent writers (8 MiB each, all kept): $rate MiB/s total, $ver logs byte-identical $(verdict "${ver%/*}" ge 100)"
echo "$out" | sed 's/^/    /'

# The whole stream: keep every rotated file.
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
rm -rf "$WORK/root/var/log"
mkdir -p "$WORK/root/etc/virtbus"
echo "max_backups = 600" >"$WORK/root/etc/virtbus/logd.conf"
start_daemon logd
out=$("$B" 1 $((1024 * 1024 * 1024)) "$WORK")
ok=$(echo "$out" | grep -c identical || true)
echo "one writer, 1 GiB, all 512 rotated files kept: $(echo "$out" | sed -n 's/.*MiB_per_second=\([0-9]*\).*/\1/p') MiB/s, whole stream byte-identical: $([ "$ok" = 1 ] && echo yes || echo NO)"
echo "$out" | sed 's/^/    /'
