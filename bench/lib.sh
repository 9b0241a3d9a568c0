#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What the shell benchmarks share: a private system bus and a daemon under a
# temporary --root, both stopped (by pid) on exit; building a C client; RSS and
# verdicts. Sourced by bench/*-bench.sh.
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

# start_bus: the private system bus, dbus-daemon, or dbus-broker with
# VIRTBUS_BUS=broker (scripts/dbus-broker-run); BUS_PID is its pid.
start_bus() {
	bus=dbus-daemon
	[ "${VIRTBUS_BUS:-}" = broker ] && bus="$REPO/scripts/dbus-broker-run"
	rm -f "$WORK/bus.addr"
	"$bus" --config-file="$REPO/scripts/dbus-test-bus.conf" --address="unix:path=$WORK/bus" \
		--nofork --nopidfile --print-address=1 >"$WORK/bus.addr" 2>"$WORK/bus.log" &
	BUS_PID=$!
	PIDS="$PIDS $BUS_PID"
	while [ ! -s "$WORK/bus.addr" ]; do
		kill -0 $BUS_PID 2>/dev/null || { cat "$WORK/bus.log"; exit 1; }
		sleep 0.02
	done
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

# cpu_ms PID: user + system CPU time the process used so far, in ms.
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# verdict VALUE OP TARGET: "ok" or "MISSED" (OP is ge or le).
verdict() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "ge") ? v >= t : v <= t; print ok ? "ok" : "MISSED" }'
}
# ----

