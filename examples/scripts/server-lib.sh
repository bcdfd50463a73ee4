# Sourced by the memcached scripts: builds the examples' class path once and starts or stops the
# example server (dev.offheap.examples.memcached.MainJob --serve) on a loopback port.
# Expects to be sourced from the repository root.

offheap_build_classpath() {
  # compile is incremental after ./mvnw verify; the class path file names every dependency jar
  ./mvnw -B -q -pl examples -am -DskipTests compile dependency:build-classpath \
    -Dmdep.outputFile=target/classpath.txt >&2
  # shellcheck disable=SC1091
  . .mvn/select-jdk.sh # JAVA_HOME: the JDK ./mvnw uses (>= 22)
  OFFHEAP_CP="examples/target/classes:$(cat examples/target/classpath.txt)"
}

# The server's JVM flags. Its items and its index are off-heap, so the heap holds bucket arrays
# (4-8 B per item) and short-lived garbage: a 16 MiB young generation keeps that garbage from
# growing the resident heap while loading (G1 would otherwise size eden up to 60 % of -Xmx).
OFFHEAP_JVM_FLAGS="-Xmx512m -Xmn16m"

# offheap_start_server LOGFILE [MainJob options...]: sets OFFHEAP_PID and OFFHEAP_PORT
offheap_start_server() {
  local log=$1
  shift
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $OFFHEAP_JVM_FLAGS -cp "$OFFHEAP_CP" \
    dev.offheap.examples.memcached.MainJob --serve 0 "$@" >"$log" 2>&1 &
  OFFHEAP_PID=$!
  OFFHEAP_PORT=""
  for _ in $(seq 1 300); do
    OFFHEAP_PORT=$(sed -n 's/^memcached text protocol on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log")
    [ -n "$OFFHEAP_PORT" ] && return 0
    kill -0 "$OFFHEAP_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the example server did not start; its output:" >&2
  cat "$log" >&2
  return 1
}

# offheap_stop_server LOGFILE: SIGTERM, wait, and check the shutdown report says nothing leaked
offheap_stop_server() {
  local log=$1
  kill -TERM "$OFFHEAP_PID"
  wait "$OFFHEAP_PID" || true
  if grep -q '^stopped: ShutdownReport\[connectionsDrained=[0-9]*, blocksLeftAfterDrain=0, leaksReported=0, doubleFrees=0\]$' "$log"; then
    grep '^stopped:' "$log"
    return 0
  fi
  echo "FAIL: the server's shutdown report is not clean:" >&2
  cat "$log" >&2
  return 1
}
