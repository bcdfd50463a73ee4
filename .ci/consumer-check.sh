#!/usr/bin/env bash
# The published shape, checked as a user meets it: install allocator-bom and allocator-core (with the
# parent POM they name) into a throwaway local repository, build .ci/consumer/ against them by
# coordinates (BOM imported, no version on allocator-core), and run it on the class path and on the
# module path. Fails unless each run prints the expected line, loads the library the way it should
# (unnamed module / dev.offheap.allocator), and the JDK does not warn about restricted methods.
#
# Why a script and not a Maven step inside `./mvnw verify`: what is checked is what `install` puts
# in a repository, and `verify` runs before `install` in Maven's lifecycle; the runs on the module
# path are plain `java` commands, as a user types them. The throwaway repository takes new
# artifacts; the usual ~/.m2 is read as a tail only (maven.repo.local.tail), so nothing this check
# installs lands there and no plugin is downloaded twice.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. .mvn/select-jdk.sh # the JDK ./mvnw uses (>= 22), in JAVA_HOME
set +f
java="$JAVA_HOME/bin/java"

work=$(mktemp -d "${TMPDIR:-/tmp}/offheap-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
tail="${HOME}/.m2/repository"
version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' allocator-bom/pom.xml | head -1)
[ -n "$version" ] || { echo "consumer-check: no version in allocator-bom/pom.xml" >&2; exit 1; }
mvn_repo=(-Dmaven.repo.local="$repo" -Dmaven.repo.local.tail="$tail")

echo "consumer-check: installing offheap $version into $repo"
./mvnw -B -q -DskipTests "${mvn_repo[@]}" install -pl allocator-bom,allocator-core -am

installed="$repo/dev/offheap"
for f in allocator-core/$version/allocator-core-$version.jar \
         allocator-core/$version/allocator-core-$version-sources.jar \
         allocator-core/$version/allocator-core-$version-javadoc.jar \
         allocator-core/$version/allocator-core-$version.pom \
         allocator-bom/$version/allocator-bom-$version.pom \
         offheap-parent/$version/offheap-parent-$version.pom; do
  [ -s "$installed/$f" ] || { echo "consumer-check: not installed: $f" >&2; exit 1; }
done
"$JAVA_HOME/bin/jar" tf "$installed/allocator-core/$version/allocator-core-$version-sources.jar" \
  | grep -qx 'dev/offheap/allocator/facade/OffHeap.java' || { echo "consumer-check: sources jar lacks OffHeap.java" >&2; exit 1; }
"$JAVA_HOME/bin/jar" tf "$installed/allocator-core/$version/allocator-core-$version-javadoc.jar" \
  | grep -q 'dev.offheap.allocator/dev/offheap/allocator/facade/OffHeap.html' || { echo "consumer-check: javadoc jar lacks OffHeap.html" >&2; exit 1; }
"$JAVA_HOME/bin/jar" tf "$installed/allocator-core/$version/allocator-core-$version.jar" \
  | grep -qx 'module-info.class' || { echo "consumer-check: the jar is not a named module" >&2; exit 1; }
for module in bench stress examples; do # not published
  [ ! -e "$installed/allocator-$module" ] && [ ! -e "$installed/$module" ] \
    || { echo "consumer-check: $module was installed but must not be" >&2; exit 1; }
done

cp -r .ci/consumer "$work/consumer"
echo "consumer-check: building the consumer against the installed artifacts"
./mvnw -B -q -f "$work/consumer/pom.xml" "${mvn_repo[@]}" -Doffheap.version="$version" package
app="$work/consumer/target/consumer-1.jar"
core="$installed/allocator-core/$version/allocator-core-$version.jar"

expected="consumer ok: sum=4957, text=hello from an OffHeap arena, live=0"
check() { # name, expected module, command...
  local name=$1 module=$2
  shift 2
  local out
  out=$("$@" 2>&1) || { echo "consumer-check: $name run failed:"; echo "$out"; exit 1; } >&2
  if [ "$out" != "$expected, module=$module" ]; then
    { echo "consumer-check: $name run printed something else:"; echo "$out"; echo "expected: $expected, module=$module"; } >&2
    exit 1
  fi
  echo "consumer-check: $name: $out"
}
check "class path" null \
  "$java" --enable-native-access=ALL-UNNAMED -cp "$app:$core" dev.offheap.consumer.Main
check "module path" dev.offheap.allocator \
  "$java" --enable-native-access=dev.offheap.allocator -p "$app:$core" -m dev.offheap.consumer/dev.offheap.consumer.Main
echo "consumer-check: 2 passed, 0 failed"
