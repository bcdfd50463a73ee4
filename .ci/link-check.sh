#!/usr/bin/env bash
# Every relative link in README.md and docs/*.md resolves to a file (and its #anchor to a heading).
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/select-jdk.sh # a JDK >= 22 in JAVA_HOME, as ./mvnw finds it
"$JAVA_HOME/bin/java" .ci/LinkCheck.java
