# Sourced by the other scripts: picks a JDK >= 21 and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME if it is >= 21, then the newest JDK >= 21 under /usr/lib/jvm, then `java` on PATH.

java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}

tidemark_pick_jdk() {
  local candidate best="" best_major=0 major
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    major=$(java_major "$JAVA_HOME")
    if [ "${major:-0}" -ge 21 ]; then
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/* /opt/java/* /usr/local/*jdk*; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(java_major "$candidate")
    if [ "${major:-0}" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$candidate"
      best_major="$major"
    fi
  done
  if [ -z "$best" ] && command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(java_major "$candidate")
    [ "${major:-0}" -ge 21 ] && best="$candidate"
  fi
  if [ -z "$best" ]; then
    echo "Tidemark needs a JDK 21 or newer (it builds Java 21 bytecode for the java21 Lambda runtime)." >&2
    echo "None was found in JAVA_HOME, /usr/lib/jvm or on PATH. Install one (e.g. Temurin 21 or 25) and set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}

tidemark_pick_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
# JDK 24+ warns on sun.misc.Unsafe use by Maven, Netty and Elasticsearch; allow it quietly there.
if [ "$(java_major "$JAVA_HOME")" -ge 24 ]; then
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  TIDEMARK_JAVA_OPTS="--sun-misc-unsafe-memory-access=allow"
else
  TIDEMARK_JAVA_OPTS=""
fi
export TIDEMARK_JAVA_OPTS
export SAM_CLI_TELEMETRY=0
TIDEMARK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TIDEMARK_ROOT
