# Sourced by ./mvnw before Maven starts. Maven and every JVM it forks (compiler, jar tool, tests,
# benchmarks, examples) must run on a JDK >= 22, where java.lang.foreign is final; the machine's
# default java may be older and JAVA_HOME may be unset. A JAVA_HOME that is recent enough wins;
# otherwise the newest JDK found in the usual install places is used.
offheap_min_jdk=22

offheap_jdk_major() {
  # The "release" file of a JDK home says JAVA_VERSION="25.0.3" (or "1.8.0_412" for old ones).
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || { echo 0; return; }
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  echo "${v:-0}"
}

if [ -z "${JAVA_HOME-}" ] || [ "$(offheap_jdk_major "$JAVA_HOME")" -lt "$offheap_min_jdk" ]; then
  set +f # ./mvnw runs with globbing off; the search below needs it
  offheap_best=""
  offheap_best_major=0
  offheap_path_java=$(command -v java 2>/dev/null || true)
  offheap_path_home=""
  [ -n "$offheap_path_java" ] && offheap_path_home=$(dirname "$(dirname "$(readlink -f "$offheap_path_java")")")
  for offheap_home in "$offheap_path_home" /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
      "${HOME-}"/.sdkman/candidates/java/* "${HOME-}"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -n "$offheap_home" ] && [ -d "$offheap_home" ] || continue
    offheap_major=$(offheap_jdk_major "$offheap_home")
    if [ "$offheap_major" -ge "$offheap_min_jdk" ] && [ "$offheap_major" -gt "$offheap_best_major" ]; then
      offheap_best=$offheap_home
      offheap_best_major=$offheap_major
    fi
  done
  set -f
  if [ -z "$offheap_best" ]; then
    echo "offheap needs a JDK ${offheap_min_jdk} or later (java.lang.foreign); none found in JAVA_HOME, PATH, /usr/lib/jvm, /usr/java, /opt, ~/.sdkman or ~/.jdks: install one or set JAVA_HOME to it." >&2
    exit 1
  fi
  JAVA_HOME=$offheap_best
  export JAVA_HOME
fi

# Maven's own libraries still call sun.misc.Unsafe; JDK 24+ warns about it on every run unless told.
if [ "$(offheap_jdk_major "$JAVA_HOME")" -ge 24 ]; then
  MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS-}"
  export MAVEN_OPTS
fi
