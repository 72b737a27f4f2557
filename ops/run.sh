#!/usr/bin/env bash
# Builds Palisade with the Maven wrapper (only a JDK 17 is needed) and starts it on
# http://localhost:8080 with its own embedded PostgreSQL, data in ./palisade-data.
# On the first start it prints the login address and the generated admin password.
# Extra arguments go to the application, e.g. ./ops/run.sh --server.port=9090
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building Palisade"
./mvnw -B -ntp -q package -DskipTests -pl platform-app -am

echo "== starting Palisade on http://localhost:${SERVER_PORT:-8080} (data in ${PALISADE_DATA_DIR:-./palisade-data})"
exec java ${JAVA_OPTS:-} -jar platform-app/target/palisade.jar "$@"
