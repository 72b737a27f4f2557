#!/usr/bin/env bash
# Console and portal page times with many rows: 100 tenants, 10,000 workloads (7 days of them),
# measured as a browser would fetch them (a logged-in session, whole HTML page over HTTP).
# Run by hand, not in CI:   ./ops/bench/console-pages.sh [requests-per-page]
# Needs: the packaged jar (./mvnw -B package -DskipTests), psql and curl.
# On a shared, busy machine NICE=-10 (as root) runs the app and curl ahead of other work, so the
# figures show the pages' own cost rather than the queue for the CPU; the load average is printed.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${1:-200}
PORT=${PORT:-18181}
DATA=$(mktemp -d /tmp/palisade-bench-XXXX)
ADMIN_PASSWORD=bench-admin-password
USER_PASSWORD=bench-user-password
B=http://localhost:$PORT
JAR=${JAR:-platform-app/target/palisade.jar}
[[ -f $JAR ]] || { echo "no $JAR; run ./mvnw -B package -DskipTests first" >&2; exit 1; }

echo "== starting the app on :$PORT with its data in $DATA"
RUN=()
[[ -n ${NICE:-} ]] && RUN=(nice -n "$NICE")
PALISADE_ADMIN_PASSWORD=$ADMIN_PASSWORD "${RUN[@]}" java -jar $JAR --server.port=$PORT --palisade.data-dir="$DATA" \
  --logging.level.root=WARN > "$DATA/app.log" 2>&1 &
APP=$!
cleanup() { kill $APP 2>/dev/null; wait $APP 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
until curl -sf $B/actuator/health >/dev/null; do
  kill -0 $APP 2>/dev/null || { cat "$DATA/app.log"; exit 1; }
  sleep 1
done

# the embedded PostgreSQL the app started: its port is on its command line
PGPORT=$(ps -eo args | awk -v d="$DATA/postgres" '$0 ~ "postgres -D " d { for (i = 1; i <= NF; i++) if ($i == "-p") print $(i + 1) }' | head -1)
# it admits only the password the app keeps beside its data
export PGPASSWORD=$(cat "$DATA/postgres.password")
PSQL=(psql -q -h localhost -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
echo "== seeding 100 tenants and 10,000 workloads (embedded PostgreSQL on :$PGPORT)"
"${PSQL[@]}" <<'SQL'
insert into tenant (slug, display_name)
  select 'bench-' || lpad(i::text, 3, '0'), 'Bench tenant ' || i from generate_series(1, 100) i;
insert into quota (tenant_id, max_concurrent_workloads, max_cpu_millis, max_wall_millis, max_memory_bytes,
                   max_processes, max_output_bytes, cpu_seconds_per_month, storage_bytes)
  select id, 4, 60000, 300000, 536870912, 64, 10485760, 36000, 1073741824 from tenant where slug like 'bench-%';
insert into workload (id, tenant_id, name, image, command, platform, state, exit_code, cpu_millis, wall_millis,
                      peak_memory_bytes, created_at, started_at, finished_at)
  select gen_random_uuid(), t.id, 'job-' || i, 'host', '["/bin/true"]'::jsonb, 'auto',
         (array['SUCCEEDED','SUCCEEDED','SUCCEEDED','FAILED','CANCELLED','TIMED_OUT','REJECTED','QUEUED','RUNNING','SUCCEEDED'])[1 + i % 10],
         case when i % 10 in (7, 8) then null else i % 3 end,
         case when i % 10 in (6, 7) then null else 50 + (i * 37) % 5000 end,
         case when i % 10 in (6, 7) then null else 80 + (i * 53) % 9000 end,
         case when i % 10 in (6, 7) then null else 1048576 * (1 + i % 200) end,
         c, c + interval '1 second', case when i % 10 in (7, 8) then null else c + interval '10 seconds' end
  from generate_series(1, 10000) i
  join tenant t on t.slug = 'bench-' || lpad((1 + i % 100)::text, 3, '0')
  cross join lateral (select now() - (i * interval '60 seconds')) as at(c);
analyze;
SQL

login() { # login user password jar
  local csrf
  csrf=$(curl -s -c "$3" -b "$3" $B/login | grep -o 'name="_csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  curl -s -c "$3" -b "$3" -o /dev/null -d "username=$1&password=$2&_csrf=$csrf" $B/login
}
TOKEN=$(curl -s -u admin:$ADMIN_PASSWORD -H 'Content-Type: application/json' -d '{"name":"bench"}' $B/api/v1/tokens \
  | sed -E 's/.*"token":"([^"]+)".*/\1/')
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench-user\",\"password\":\"$USER_PASSWORD\",\"role\":\"TENANT_ADMIN\"}" $B/api/v1/tenants/bench-042/users
login admin $ADMIN_PASSWORD "$DATA/admin.jar"
login bench-user $USER_PASSWORD "$DATA/user.jar"

measure() { # measure jar path
  local jar=$1 path=$2 code
  code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' "$B$path")
  [[ $code == 200 ]] || { echo "$path answered $code" >&2; exit 1; }
  for _ in $(seq 10); do curl -s -b "$jar" -o /dev/null "$B$path"; done   # warm-up
  for _ in $(seq "$N"); do "${RUN[@]}" curl -s -b "$jar" -o /dev/null -w '%{time_total}\n' "$B$path"; done \
    | sort -n | awk -v p="$path" '{ t[NR] = $1 * 1000 } END {
        printf "%-48s n=%d  p50=%6.1f ms  p95=%6.1f ms  max=%6.1f ms\n", p, NR, t[int(NR * .5)], t[int(NR * .95)], t[NR] }'
}
echo "== $N requests per page, after 10 warm-up requests; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# the floor: a static file and the login page cost this much on this machine right now
measure "$DATA/admin.jar" /css/palisade.css
measure "$DATA/admin.jar" /login
measure "$DATA/admin.jar" /admin
measure "$DATA/admin.jar" /admin/workloads
measure "$DATA/admin.jar" "/admin/workloads?state=RUNNING"
measure "$DATA/admin.jar" "/admin/workloads?page=150"
measure "$DATA/admin.jar" "/admin/workloads?tenant=bench-042&state=FAILED"
measure "$DATA/admin.jar" /admin/tenants
measure "$DATA/user.jar" /portal
measure "$DATA/user.jar" /portal/workloads
measure "$DATA/user.jar" "/portal/workloads?state=SUCCEEDED"
# the same reads in PostgreSQL alone (EXPLAIN ANALYZE, three runs each): what the indexes give,
# whatever the machine's load does to the JVM
explain_ms() { # label sql
  printf "%-34s" "$1"
  for _ in 1 2 3; do "${PSQL[@]}" -At -c "explain (analyze) $2" | sed -n 's/^Execution Time: \(.*\) ms$/\1 ms  /p' | tr -d '\n'; done
  echo
}
echo "== database time of the pages' queries"
explain_ms "workloads, newest page" "select w.id, t.slug, w.name from workload w join tenant t on t.id = w.tenant_id order by w.created_at desc limit 26"
explain_ms "workloads, page 150" "select w.id, t.slug, w.name from workload w join tenant t on t.id = w.tenant_id order by w.created_at desc limit 26 offset 3750"
explain_ms "workloads, RUNNING" "select w.id, t.slug from workload w join tenant t on t.id = w.tenant_id where w.state = 'RUNNING' order by w.created_at desc limit 26"
explain_ms "one tenant, SUCCEEDED" "select w.id from workload w join tenant t on t.id = w.tenant_id where t.slug = 'bench-042' and w.state = 'SUCCEEDED' order by w.created_at desc limit 26"
explain_ms "dashboard counts" "select (select count(*) from tenant where status = 'ACTIVE'), (select count(*) from workload where state = 'QUEUED'), (select count(*) from workload where state = 'RUNNING')"
explain_ms "dashboard, 7 days by day" "select day, sum(workloads), sum(cpu_millis) from workload_daily where day >= current_date - 6 group by day"
explain_ms "dashboard, latest audit" "select * from audit_event order by occurred_at desc, id desc limit 8"
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
