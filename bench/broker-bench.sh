#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bus-bound figures of the other benchmarks, on dbus-daemon and on
# dbus-broker (scripts/dbus-broker-run) in the same run, one bus after the
# other, each with its own fresh daemons:
#  - lockd: acquire+release pairs/s over the bus, 64 in flight, releases
#    answered and unanswered (lockd-bench.sh's client);
#  - qemud with N domains defined: DomainDefineXML x N one at a time,
#    GetXMLDesc calls/s with 64 in flight and one at a time, ListDomains
#    latency (qemud-bench.py's client, bench/qemud-callrate.c);
#  - the bus process's CPU time over all of it and its RSS at the end.
# Usage: bench/broker-bench.sh [PAIRS] [DOMAINS]   (defaults 100000 1000)

set -eu
. "$(dirname "$0")/lib.sh"

PAIRS=${1:-100000}
N=${2:-1000}
if [ ! -x /usr/bin/dbus-broker-launch ]; then
	echo "broker-bench: dbus-broker is not installed (sh scripts/install-deps.sh bench)" >&2
	exit 1
fi
bench_cc lockd-bench
bench_cc qemud-callrate
LB="$BUILD/bench/lockd-bench"
QC="$BUILD/bench/qemud-callrate"
QEMU=$(command -v qemu-system-x86_64 || echo /usr/bin/qemu-system-x86_64)
cat >"$WORK/domain.xml.in" <<EOF
<domain type='qemu'>
  <name>@NAME@</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>$QEMU</emulator></devices>
</domain>
EOF

# The process that routes the messages: dbus-daemon itself, or the
# dbus-broker below dbus-broker-run and dbus-broker-launch.
router_pid() {
	p=$BUS_PID
	while [ "$(cat /proc/$p/comm)" != dbus-daemon ] && [ "$(cat /proc/$p/comm)" != dbus-broker ]; do
		p=$(ps -o pid= --ppid "$p" | awk '{ print $1; exit }')
		[ -n "$p" ] || return 1
	done
	echo "$p"
}

stop_all() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
	PIDS=""
	rm -rf "$WORK/root" "$WORK/bus"
}

val() { echo "$2" | sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

# run LABEL: every figure on the bus start_bus gives; appends to $WORK/results.
run() {
	label=$1
	start_bus
	R=$(router_pid)
	cpu0=$(cpu_ms "$R")
	start_daemon lockd
	"$LB" pairs 2000 64 >/dev/null
	p1=$(val pairs_per_second "$("$LB" pairs "$PAIRS" 64)")
	p2=$(val pairs_per_second "$(LOCKD_BENCH_NOREPLY=1 "$LB" pairs "$PAIRS" 64)")
	start_daemon qemud
	out=$("$QC" define org.virtbus.qemud /org/virtbus/qemud "$WORK/domain.xml.in" "bb$$-" "$N" "$WORK/paths")
	def=$(val seconds "$out")
	pipe=$(val median "$("$QC" rate org.virtbus.qemud "$WORK/paths" 64 1.5 3)")
	seq=$(val median "$("$QC" rate org.virtbus.qemud "$WORK/paths" 1 1.5 3)")
	lat=$(val median_ms "$("$QC" latency org.virtbus.qemud /org/virtbus/qemud 101)")
	cpu=$(awk -v a="$cpu0" -v b="$(cpu_ms "$R")" 'BEGIN { printf "%.0f", b - a }')
	rss=$(rss_kib "$R")
	echo "$label|$p1|$p2|$def|$pipe|$seq|$lat|$cpu|$rss" >>"$WORK/results"
	stop_all
}

load0=$(cut -d' ' -f1 /proc/loadavg)
VIRTBUS_BUS= run dbus-daemon
VIRTBUS_BUS=broker run dbus-broker
load1=$(cut -d' ' -f1 /proc/loadavg)

echo "== bus benchmark: dbus-daemon $(dbus-daemon --version | awk 'NR == 1 { print $NF }') beside dbus-broker" \
	"$(dbus-broker --version 2>/dev/null | awk 'NR == 1 { print $NF }') ($(nproc) CPUs; load average $load0 at the start, $load1 at the end)"
awk -F'|' -v pairs="$PAIRS" -v n="$N" '
	{ for (i = 2; i <= 9; i++) v[NR, i] = $i; name[NR] = $1 }
	function row(what, i, fmt, better,    a, b, r, verdict) {
		a = v[1, i]; b = v[2, i]
		r = 0
		if (a > 0 && b > 0)
			r = (better == "high") ? b / a : a / b
		verdict = (r >= 1) ? "better" : "worse"
		printf "%-44s %12s %12s   broker %.2fx %s\n", what, sprintf(fmt, a), sprintf(fmt, b), r, verdict
	}
	END {
		printf "%-44s %12s %12s\n", "figure", name[1], name[2]
		row("lockd pairs/s (" pairs ", 64 in flight)", 2, "%d", "high")
		row("lockd pairs/s, release unanswered", 3, "%d", "high")
		row("qemud define " n ", one at a time (s)", 4, "%.2f", "low")
		row("qemud GetXMLDesc calls/s, 64 in flight", 5, "%d", "high")
		row("qemud GetXMLDesc calls/s, one at a time", 6, "%d", "high")
		row("qemud ListDomains, " n " defined (ms)", 7, "%.3f", "low")
		row("bus process CPU over the run (ms)", 8, "%d", "low")
		row("bus process RSS at the end (KiB)", 9, "%d", "low")
	}' "$WORK/results"
