#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs every benchmark present: bench/*-bench.sh and bench/*-bench.py (the
# *-bench.c files are clients that those scripts build). Python ones run with
# Debian's /usr/bin/python3 (python3-dbus, python3-libvirt). Each benchmark
# prints its own figures beside its targets; this prints a summary line and
# fails when any benchmark failed to run (a missed target is not a failure).
# Usage: bench/run-all.sh [NAME...]   e.g. bench/run-all.sh qemud
# VIRTBUS_BUILD: where the daemons are (default build/).
cd "$(dirname "$0")/.." || exit 1
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
ran=0 failed=""
for f in bench/*-bench.*; do
	case "$f" in *.sh|*.py) ;; *) continue ;; esac
	[ -f "$f" ] || continue
	name=$(basename "$f"); name=${name%-bench.*}
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	echo "=== $f"
	sync    # what an earlier benchmark wrote is not flushed during this one
	start=$(date +%s)
	case "$f" in
	*.py) "$PY" "$f" ;;
	*) sh "$f" ;;
	esac
	rc=$?
	echo "=== $f: exit $rc, $(( $(date +%s) - start )) s"
	echo
	ran=$((ran + 1))
	[ $rc -eq 0 ] || failed="$failed $name"
done
if [ -n "$failed" ]; then
	echo "benchmarks run: $ran, failed:$failed"
	exit 1
fi
echo "benchmarks run: $ran"
