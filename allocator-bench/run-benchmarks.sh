#!/usr/bin/env bash
# Runs the benchmark suite and writes the report: docs/bench/REPORT.md, charts (PNG), the JMH JSON
# results, the harnesses' harness-*.json, rss.json / rss-timeline.json and run.log (JMH's own output:
# it says why a variant failed or was unavailable). What each workload measures: docs/performance.md.
#
#   allocator-bench/run-benchmarks.sh [quick|full|smoke]
#
# quick (default): about 15 minutes on 2 cores: 1 fork, short iterations (the steady-state random-size
#   workload keeps a 5 s warm-up), thread scaling at 1/2/4 threads, every harness (virtual threads,
#   growth to 1 GiB, cold start, footprint at 256 MiB live, GC pauses, resident memory after churn on
#   the library's defaults, idle past the default decay).
# full: every workload and parameter, 2 forks, the annotations' iterations, full harness sizes: over an hour.
# smoke: a few minutes; a handful of variants and tiny harnesses (used to refresh the report test's fixtures).
# BENCH_OUT=DIR writes somewhere else. BENCH_JVM_ARGS="-Djmh.ignoreLock=true" runs even when another
# JMH holds /tmp/jmh.lock (figures then share the CPU with it: say so when quoting them). Everything runs
# through ./mvnw on the JDK it selects.
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
