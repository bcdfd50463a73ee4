#!/usr/bin/env bash
# Checks the example memcached server with tools no one here wrote: Debian's libmemcached-tools.
#   memccapable -a       every ASCII protocol conformance test must pass
#   memccp/memccat/memcrm a file stored, read back byte for byte, removed
#   memcstat             the stats the tools read
#   memcslap             set, get and mget load, no failure reported
# then SIGTERM, and the server's shutdown report must say nothing leaked.
# Exits 0 when all pass, 1 on any failure; skips (exit 0) when the tools are not installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in memccapable memccp memccat memcrm memcstat memcslap; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP memcached conformance: $tool not found; install Debian's package libmemcached-tools (apt-get install -y libmemcached-tools)"
    exit 0
  fi
done

. examples/scripts/server-lib.sh
offheap_build_classpath
work=$(mktemp -d)
log="$work/server.log"
offheap_start_server "$log" --memory-mb 64 --threads 2 --metrics-port -1
trap 'kill -TERM "$OFFHEAP_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
servers="127.0.0.1:$OFFHEAP_PORT"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
echo "server on $servers (pid $OFFHEAP_PID)"

# 1. the protocol conformance tester, ASCII only (the server speaks no binary protocol)
if timeout 120 memccapable -a -h 127.0.0.1 -p "$OFFHEAP_PORT" >"$work/capable.txt" 2>&1 \
    && grep -q "All tests passed" "$work/capable.txt"; then
  echo "memccapable -a: $(grep -c '\[pass\]' "$work/capable.txt") tests passed"
else
  cat "$work/capable.txt"
  fail "memccapable -a"
fi

# 2. a file through memccp, memccat and memcrm (memccp stores it under its base name)
head -c 300000 /dev/urandom >"$work/blob.bin"
memccp --servers="$servers" "$work/blob.bin" || fail "memccp"
# memccat ends what it prints with a newline of its own (with memcached too): compare the rest
if memccat --servers="$servers" blob.bin >"$work/blob.back" && [ "$(stat -c %s "$work/blob.back")" -eq 300001 ] \
    && cmp -s "$work/blob.bin" <(head -c 300000 "$work/blob.back"); then
  echo "memccp/memccat: 300000 bytes back as stored"
else
  fail "memccat did not return the bytes memccp stored"
fi
memcrm --servers="$servers" blob.bin || fail "memcrm"
if memccat --servers="$servers" blob.bin >/dev/null 2>&1; then
  fail "memccat still finds the key memcrm removed"
else
  echo "memcrm: the key is gone"
fi

# 3. the stats as memcstat reads them
memcstat --servers="$servers" >"$work/stat.txt" || fail "memcstat"
for stat in limit_maxbytes curr_items total_items evictions curr_connections; do
  grep -q "$stat:" "$work/stat.txt" || fail "memcstat has no $stat"
done
grep -q "limit_maxbytes: 67108864" "$work/stat.txt" || fail "memcstat: limit_maxbytes is not the 64 MiB limit"
echo "memcstat: $(wc -l <"$work/stat.txt") lines, limit_maxbytes 67108864"

# 4. load: memcslap's three tests, 4 threads
for test in set get mget; do
  if timeout 120 memcslap --servers="$servers" --concurrency=4 --execute-number=5000 --test=$test >"$work/slap.txt" 2>&1 \
      && ! grep -qi "fail\|error" "$work/slap.txt"; then
    echo "memcslap --test=$test: $(grep -E "Time to (set|get|mget) " "$work/slap.txt" | tail -1 | tr -s ' ')"
  else
    cat "$work/slap.txt"
    fail "memcslap --test=$test"
  fi
done

# 5. SIGTERM: drain, close the allocator, no leak
trap 'rm -rf "$work"' EXIT
offheap_stop_server "$log" || fail "shutdown report"

if [ "$failures" -ne 0 ]; then
  echo "memcached conformance: $failures failure(s)"
  exit 1
fi
echo "memcached conformance: all passed"
