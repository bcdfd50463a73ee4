#!/usr/bin/env bash
# Side by side on loopback: the real memcached and the example server, each with 2 worker threads
# and the same memory limit, driven by the same memcaslap run (same key count, value size,
# get/set mix, concurrency), then loaded with the same keys to compare resident memory per item.
# Writes docs/memcached-compare.md and its chart docs/memcached-compare.png. Not part of CI (timings need a quiet machine).
#   usage: examples/scripts/compare-memcached.sh [seconds per run, default 15] [speed rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-15}
ROUNDS=${2:-3}          # speed rounds, memcached then this server in each: timings here swing by 1.5x
MEMORY_MB=1024          # room for all the data: this compares speed and footprint, not eviction
KEYS=400000
VALUE_BYTES=512
SETTLE_SECONDS=12       # past the library's default 10 s decay delay: what an idle server keeps
SLAP="-T 2 -c 32 -X $VALUE_BYTES -t ${SECONDS_PER_RUN}s -S ${SECONDS_PER_RUN}s"

for tool in memcached memcaslap; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found; install Debian's packages memcached and libmemcached-tools"; exit 0; }
done
. examples/scripts/server-lib.sh
offheap_build_classpath
work=$(mktemp -d)
trap 'kill "${MC_PID:-}" "${OFFHEAP_PID:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
free_port() { "$JAVA_HOME/bin/java" -cp "$OFFHEAP_CP" -XX:TieredStopAtLevel=1 dev.offheap.examples.memcached.FreePort; }

# slap NAME PORT: one warm-up run (a JVM compiles its hot code in the first seconds; memcached gets
# the same run), then the measured one, whose totals go to $work/NAME.slap
slap() {
  timeout $((SECONDS_PER_RUN + 60)) memcaslap -s "127.0.0.1:$2" $SLAP >"$work/$1.warmup" 2>&1
  timeout $((SECONDS_PER_RUN + 60)) memcaslap -s "127.0.0.1:$2" $SLAP >"$work/$1.slap" 2>&1
}
# the "Global" line of memcaslap's Total Statistics: ops, TPS, min, max, avg (µs)
totals() { awk '/^Total Statistics$/ {t=1} t && /^Global/ {print $3, $4, $7, $8, $9; exit}' "$1"; }
# percentile P from memcaslap's log2 latency histogram: the upper edge (µs) of the bucket it falls in
pct() {
  awk -v p="$2" '
    /^Total Statistics \(/ {t=1; next}
    t && /Log2 Dist:/ {d=1; next}
    t && d && /^ *[0-9]+:/ { base=$1; sub(":","",base); for (i=2;i<=NF;i++) { n[base+i-2]=$i; total+=$i } next }
    t && d { exit }
    END { c=0; for (b=0;b<64;b++) { c+=n[b]; if (total>0 && c>=p*total) { printf "%d", 2^(b+1); exit } } }' "$1"
}

start_memcached() {
  PORT=$(free_port)
  memcached -U 0 -l 127.0.0.1 -p "$PORT" -t 2 -m "$MEMORY_MB" -u "$(id -un)" &
  PID=$!
  MC_PID=$PID
  sleep 1
}
stop_memcached() { kill "$MC_PID"; wait "$MC_PID" 2>/dev/null || true; MC_PID=""; }
start_offheap() {
  offheap_start_server "$work/offheap-$1.log" --memory-mb "$MEMORY_MB" --threads 2 --metrics-port -1
  PORT=$OFFHEAP_PORT
  PID=$OFFHEAP_PID
}
stop_offheap() { offheap_stop_server "$work/offheap-$1.log" >>"$work/offheap.stop"; OFFHEAP_PID=""; }
load() { "$JAVA_HOME/bin/java" -cp "$OFFHEAP_CP" dev.offheap.examples.memcached.LoadKeys --port "$PORT" --keys "$KEYS" --value-bytes "$VALUE_BYTES"; }

# Footprint, each server a fresh process: resident memory idle, then after loading the same keys.
echo "== footprint: $KEYS keys of $VALUE_BYTES B" >&2
start_memcached
mc_idle=$(rss_kb "$PID"); mc_items=$(load); mc_loaded=$(rss_kb "$PID")
sleep "$SETTLE_SECONDS"; mc_settled=$(rss_kb "$PID")
stop_memcached
start_offheap footprint
oh_idle=$(rss_kb "$PID"); oh_items=$(load); oh_loaded=$(rss_kb "$PID")
sleep "$SETTLE_SECONDS"; oh_settled=$(rss_kb "$PID")
stop_offheap footprint

# Speed, each server a fresh process again: the same memcaslap run, in ROUNDS back-to-back pairs
# (memcached, then this server), so a slow spell of the machine hits both of a pair. The table
# shows the pair whose ratio is the median; every pair is listed under it.
echo "== speed: memcaslap $SLAP, $ROUNDS rounds" >&2
rounds_line=""
: >"$work/ratios"
for r in $(seq 1 "$ROUNDS"); do
  start_memcached
  slap "memcached-$r" "$PORT"
  stop_memcached
  start_offheap "speed-$r"
  slap "offheap-$r" "$PORT"
  stop_offheap "speed-$r"
  read -r _ r_mc _ < <(totals "$work/memcached-$r.slap")
  read -r _ r_oh _ < <(totals "$work/offheap-$r.slap")
  r_ratio=$(awk -v a="$r_oh" -v b="$r_mc" 'BEGIN { printf "%.2f", a / b }')
  echo "$r_ratio $r" >>"$work/ratios"
  rounds_line="${rounds_line}${rounds_line:+; }$r_mc / $r_oh (${r_ratio}×)"
done
median_round=$(sort -n "$work/ratios" | awk '{a[NR]=$2} END {print a[int((NR + 1) / 2)]}')
cp "$work/memcached-$median_round.slap" "$work/memcached.slap"
cp "$work/offheap-$median_round.slap" "$work/offheap.slap"
mc_version=$(memcached -V | awk '{print $2}')

read -r mc_ops mc_tps mc_min mc_max mc_avg < <(totals "$work/memcached.slap")
read -r oh_ops oh_tps oh_min oh_max oh_avg < <(totals "$work/offheap.slap")
per_item() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }'; }
mc_per=$(per_item "$mc_idle" "$mc_loaded" "$mc_items")
oh_per=$(per_item "$oh_idle" "$oh_loaded" "$oh_items")
mc_per_settled=$(per_item "$mc_idle" "$mc_settled" "$mc_items")
oh_per_settled=$(per_item "$oh_idle" "$oh_settled" "$oh_items")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

mkdir -p docs
"$JAVA_HOME/bin/java" -cp "$OFFHEAP_CP" dev.offheap.examples.memcached.CompareChart docs/memcached-compare.png \
  "$mc_tps" "$oh_tps" "$mc_per" "$oh_per" "$mc_per_settled" "$oh_per_settled"
cat >docs/memcached-compare.md <<REPORT
# The example server next to memcached

Written by \`examples/scripts/compare-memcached.sh $SECONDS_PER_RUN\` on $(date -u +%Y-%m-%d) ($(nproc) cores,
$(uname -r), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)). Both servers on loopback with 2 worker
threads and a $MEMORY_MB MiB memory limit, one after the other, each driven by the same
\`memcaslap $SLAP\` (90 % get, 10 % set, $VALUE_BYTES-byte values; one warm-up run of the same length
first, not counted, for both), and loaded with the same
$KEYS keys of $VALUE_BYTES bytes (\`LoadKeys\`, pipelined \`set ... noreply\`).

| | memcached $mc_version | this server | ratio |
|---|---|---|---|
| throughput (ops/s), the median of $ROUNDS pairs | $mc_tps | $oh_tps | $(ratio "$oh_tps" "$mc_tps")× |
| every pair, memcached / this server (ops/s) | $rounds_line | | |
| operations in ${SECONDS_PER_RUN} s | $mc_ops | $oh_ops | |
| latency avg (µs) | $mc_avg | $oh_avg | |
| latency p50 / p99 / p99.9 (µs, upper edge of memcaslap's log2 bucket) | $(pct "$work/memcached.slap" 0.5) / $(pct "$work/memcached.slap" 0.99) / $(pct "$work/memcached.slap" 0.999) | $(pct "$work/offheap.slap" 0.5) / $(pct "$work/offheap.slap" 0.99) / $(pct "$work/offheap.slap" 0.999) | |
| latency max (µs) | $mc_max | $oh_max | |
| items after loading | $mc_items | $oh_items | |
| resident (VmRSS) idle → loaded → ${SETTLE_SECONDS} s later (kB) | $mc_idle → $mc_loaded → $mc_settled | $oh_idle → $oh_loaded → $oh_settled | |
| resident bytes per item right after loading, (loaded − idle) / items | $mc_per | $oh_per | $(ratio "$oh_per" "$mc_per")× |
| resident bytes per item ${SETTLE_SECONDS} s later | $mc_per_settled | $oh_per_settled | $(ratio "$oh_per_settled" "$mc_per_settled")× |

![this server as a multiple of memcached](memcached-compare.png)

Resident memory is read from \`/proc/PID/status\` (VmRSS) in a fresh process of each server: idle, right
after the load, and ${SETTLE_SECONDS} s later with no traffic (past the library's default 10 s decay delay, after which
it gives back the 16 MiB it commits ahead of growth). The throughput runs are separate fresh processes.
This server runs with \`$OFFHEAP_JVM_FLAGS\`; its figures include the JVM's own growth while
loading (the young generation the load's garbage passes through, JIT code, the bucket arrays) besides
the off-heap items. Shutdown reports of this server's runs:

\`\`\`
$(cat "$work/offheap.stop")
\`\`\`
REPORT
cat docs/memcached-compare.md
