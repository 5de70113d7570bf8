#!/usr/bin/env bash
# A throwaway PostgreSQL server for the benchmarks (docs/benchmarks.md, "PostgreSQL vs SQLite").
#
#   scripts/bench-postgres.sh COMMAND [ARG...]   runs COMMAND with every "{pg}" in its arguments replaced
#                                                 by the database's URI (also in $LUOSHI_BENCH_PG_URL;
#                                                 the cluster's directory in $LUOSHI_BENCH_PG_DIR),
#                                                 then stops the server and removes it; exits with
#                                                 COMMAND's status; prints the CPU time the server
#                                                 used meanwhile (Linux)
#   scripts/bench-postgres.sh                     prints the URI and keeps the server until Ctrl-C
#
# The cluster is made by initdb in a new temporary directory (under $TMPDIR, default /tmp) and started on
# 127.0.0.1 only, on a free port above 20000, with one empty database "bench". Unlike the test server
# (tests/common/postgres_server.h, fsync off), it keeps PostgreSQL's durable defaults (fsync on,
# synchronous_commit on: a commit is acknowledged after its WAL is flushed, as SQLite's synchronous=FULL
# does) and gives it a cache of a realistic size (shared_buffers, default 256MB; $LUOSHI_BENCH_PG_BUFFERS).
# PostgreSQL refuses to run as root, so as root the server runs as the postgres account.
# The programs come from $LUOSHI_PG_BINDIR, else `pg_config --bindir`, else the newest
# /usr/lib/postgresql/*/bin.
set -euo pipefail

find_bindir() {
  if [ -n "${LUOSHI_PG_BINDIR:-}" ]; then echo "$LUOSHI_PG_BINDIR"; return; fi
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then echo "$newest"; return; fi
  echo "PostgreSQL's initdb not found: install postgresql-15 or set LUOSHI_PG_BINDIR" >&2
  exit 1
}
BINDIR=$(find_bindir)

DIR=$(mktemp -d "${TMPDIR:-/tmp}/luoshi-bench-pg.XXXXXX")
AS=()  # how to run PostgreSQL's programs: as ourselves, or as postgres when we are root
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$DIR"
  AS=(runuser -u postgres --)
fi
# The programs start in the cluster's directory: the postgres account may not be allowed into ours.
pg() { (cd "$DIR" && "${AS[@]}" "$@"); }

PORT=""
stop() {
  trap - EXIT INT TERM
  if [ -n "$PORT" ]; then pg "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$DIR"
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

pg "$BINDIR/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log" >&2; exit 1; }

# A free port: a random one nobody answers on; another one if the server still cannot bind it.
for attempt in 1 2 3 4 5; do
  candidate=$((20000 + RANDOM % 30000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then continue; fi
  if pg "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 start \
      -o "-p $candidate -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR \
          -c shared_buffers=${LUOSHI_BENCH_PG_BUFFERS:-256MB} -c max_connections=200" >/dev/null; then
    PORT=$candidate
    break
  fi
done
if [ -z "$PORT" ]; then
  echo "PostgreSQL did not start; its log:" >&2
  cat "$DIR/server.log" >&2 || true
  exit 1
fi

pg "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U postgres bench
export LUOSHI_BENCH_PG_URL="postgres://postgres@127.0.0.1:$PORT/bench"
export LUOSHI_BENCH_PG_DIR="$DIR"  # the cluster is in $DIR/data
echo "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') at $LUOSHI_BENCH_PG_URL ($DIR)" >&2

if [ $# -eq 0 ]; then
  echo "$LUOSHI_BENCH_PG_URL"
  echo "Ctrl-C stops the server and removes it." >&2
  while true; do sleep 3600; done
fi

# CPU seconds the server has used so far (Linux /proc; empty elsewhere): the postmaster's, its live
# children's and, through cutime/cstime, those of the backends that have exited (the postmaster reaps them).
server_cpu() {
  local pm tck total=0 pid f
  pm=$(head -n 1 "$DIR/data/postmaster.pid" 2>/dev/null) || return 0
  [ -r "/proc/$pm/stat" ] || return 0
  tck=$(getconf CLK_TCK)
  f=($(sed 's/^.*) //' "/proc/$pm/stat"))  # fields from the 3rd on: utime is f[11], cutime f[13]
  total=$((f[11] + f[12] + f[13] + f[14]))
  for pid in $(pgrep -P "$pm"); do
    f=($(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null)) || continue
    total=$((total + f[11] + f[12]))
  done
  awk -v t="$total" -v hz="$tck" 'BEGIN { printf "%.1f", t / hz }'
}

args=()
for a in "$@"; do args+=("${a//\{pg\}/$LUOSHI_BENCH_PG_URL}"); done
cpu_before=$(server_cpu)
status=0
"${args[@]}" || status=$?
if [ -n "$cpu_before" ]; then
  sleep 2  # the command's connections' backends exit and are reaped: only then is their CPU in cutime
  echo "PostgreSQL server CPU during the command: $(awk -v a="$cpu_before" -v b="$(server_cpu)" 'BEGIN { printf "%.1f", b - a }') s" >&2
fi
exit "$status"
