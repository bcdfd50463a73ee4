#!/usr/bin/env bash
# Runs the benchmark suite and writes the report: docs/bench/REPORT.md, charts (PNG), the JMH JSON
# results, rss.json and run.log (JMH's own output: it says why a variant failed or was unavailable).
#
#   allocator-bench/run-benchmarks.sh [quick|full|smoke]
#
# quick (default): a few minutes on 2 cores (1 fork, short iterations, a subset of the parameters).
# full: every workload and parameter, 2 forks, the annotations' iterations: over an hour.
# smoke: seconds; a handful of variants (used to refresh the report test's fixture).
# BENCH_OUT=DIR writes somewhere else. BENCH_JVM_ARGS="-Djmh.ignoreLock=true" runs even when another
# JMH holds /tmp/jmh.lock (figures then share the CPU with it: say so when quoting them). Everything runs through ./mvnw on the JDK it selects.
set -euo pipefail
mode="${1:-quick}"
case "$mode" in
  quick|full|smoke) ;;
  *) echo "usage: $0 [quick|full|smoke]" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${BENCH_OUT:-$root/docs/bench}"
mkdir -p "$out"
cd "$root"
./mvnw -B -q -pl allocator-bench -am -DskipTests -Pbench-suite package \
  -Dbench.mode="$mode" -Dbench.out="$out" -Dbench.jvm.args="${BENCH_JVM_ARGS:-}" 2>&1 | tee "$out/run.log"
echo "report: $out/REPORT.md"
