#!/usr/bin/env bash
# PostgreSQL and RabbitMQ for the distributed jobs mode (docs/deployment.md) and its tests.
#
#   bash scripts/services.sh start [pg|rabbitmq]     install what is missing, start, wait until each accepts connections
#   bash scripts/services.sh stop [pg|rabbitmq]      stop what this script started
#   bash scripts/services.sh restart [pg|rabbitmq]   stop + start (the restart tests use it)
#   bash scripts/services.sh status                  running or not, one line each; exit 1 when one is down
#   bash scripts/services.sh env                     `export CAPTURE_TEST_PG=… CAPTURE_TEST_AMQP=…` lines for eval
#   bash scripts/services.sh logs [pg|rabbitmq]      the last lines of each server's logs (why one stopped or never started)
#
# Each server runs as a private instance: loopback only, non-default ports, its own data folder under
# $CAPTURE_SERVICES_DIR (default: the ignored .cache/services). Nothing system-wide is configured or
# started beyond installing Debian's packages (postgresql 15, rabbitmq-server 3.10): the packages'
# own system instances are kept from starting during the install and left alone otherwise.
# These are test/development instances: PostgreSQL runs with fsync=off (a process crash loses nothing,
# a machine crash may), which makes it fast on a loaded 2-core box.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[services] %s\n' "$*" >&2; }
die() { printf 'services: %s\n' "$*" >&2; exit 1; }

# Below Linux's ephemeral range (32768–60999): an outgoing connection never takes one of these as its own
# port (which could keep a server from binding it on a restart, or make a probe connect to itself).
pg_port="${CAPTURE_PG_PORT:-27432}"
amqp_port="${CAPTURE_AMQP_PORT:-27672}"
dist_port="${CAPTURE_RABBITMQ_DIST_PORT:-27673}"   # Erlang distribution (rabbitmqctl ↔ node)
epmd_port="${CAPTURE_EPMD_PORT:-27674}"            # a private epmd, not the system's 4369
user=capture; password=capture; database=capture
pg_bin=/usr/lib/postgresql/15/bin
rmq_bin=/usr/lib/rabbitmq/bin

base="${CAPTURE_SERVICES_DIR:-$root/.cache/services}"
# PostgreSQL refuses to run as root; as root it runs as Debian's `postgres` user, which must be able
# to reach the data folder. A checkout under /root is not reachable: then use a folder under /var/tmp.
is_root=0; [ "$(id -u)" -eq 0 ] && is_root=1
as_pg() { if [ $is_root -eq 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$base"
base="$(cd "$base" && pwd -P)"
if [ $is_root -eq 1 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$base" 2>/dev/null; then
  base="/var/tmp/capture-services-$(printf '%s' "$base" | sha256sum | cut -c1-12)"
  mkdir -p "$base"
fi
pg_dir="$base/pg"; pg_data="$pg_dir/data"
rmq_dir="$base/rabbitmq"; rmq_node=capture@localhost

pg_conn="Host=127.0.0.1;Port=$pg_port;Database=$database;Username=$user;Password=$password"
amqp_uri="amqp://$user:$password@127.0.0.1:$amqp_port/"

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # name seconds command...
  local name="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# --- install -----------------------------------------------------------------------------------
install_missing() {
  local missing=() p
  for p in postgresql rabbitmq-server; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo_cmd=""; [ $is_root -eq 1 ] || sudo_cmd="sudo"
  log "installing Debian packages: ${missing[*]}"
  # Keep the packages from starting their system-wide instances (ports 5432/5672/4369): a temporary
  # policy-rc.d says "no" to invoke-rc.d and deb-systemd-invoke, unless one is already in place.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null && $sudo_cmd chmod 755 "$policy" && made_policy=1
  fi
  local rc=0
  { $sudo_cmd apt-get update -qq >/dev/null 2>&1 &&
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } || rc=$?
  [ $made_policy -eq 1 ] && $sudo_cmd rm -f "$policy"
  [ $rc -eq 0 ] || die "apt-get install ${missing[*]} failed (rc $rc)"
  # Should a system instance have started anyway (an init without policy-rc.d support), stop it and keep it off.
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    for p in rabbitmq-server postgresql; do
      $sudo_cmd systemctl disable --now "$p" >/dev/null 2>&1 || true
    done
  fi
}

# --- PostgreSQL ----------------------------------------------------------------------------------
pg_running() { [ -f "$pg_data/PG_VERSION" ] && as_pg "$pg_bin/pg_ctl" status -D "$pg_data" >/dev/null 2>&1; }
pg_ready() { "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -d "$database" -U "$user" -t 2; }

pg_start() {
  if pg_running && pg_ready; then return 0; fi
  mkdir -p "$pg_dir"
  [ $is_root -eq 1 ] && chown postgres:postgres "$pg_dir"
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    log "initdb $pg_data"
    local pw="$pg_dir/.pw"
    printf '%s\n' "$password" > "$pw"; [ $is_root -eq 1 ] && chown postgres "$pw"
    as_pg "$pg_bin/initdb" -D "$pg_data" -U "$user" --pwfile="$pw" --auth=scram-sha-256 \
      -E UTF8 --locale=C --no-sync >"$pg_dir/initdb.log" 2>&1 || { rm -f "$pw"; die "initdb failed: see $pg_dir/initdb.log"; }
    rm -f "$pw"
    cat >> "$pg_data/postgresql.conf" <<EOF

# capture (scripts/services.sh): a private loopback instance for the distributed jobs mode and its tests
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = ''
fsync = off
max_connections = 200
EOF
  fi
  if ! pg_running; then
    tcp_open "$pg_port" && die "port $pg_port is taken by another program (set CAPTURE_PG_PORT)"
    # The port on the command line: it wins over the one initdb's postgresql.conf got (a data folder made when the port was another).
    as_pg "$pg_bin/pg_ctl" start -D "$pg_data" -o "-p $pg_port" -l "$pg_dir/postgres.log" -w -t 60 >/dev/null 2>&1 \
      || die "PostgreSQL did not start: see $pg_dir/postgres.log"
  fi
  if [ ! -f "$pg_dir/.db-created" ]; then
    PGPASSWORD="$password" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U "$user" "$database" 2>/dev/null || true
    PGPASSWORD="$password" "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U "$user" -d "$database" -qtAc 'select 1' >/dev/null \
      || die "database '$database' is not reachable after start"
    touch "$pg_dir/.db-created"
  fi
  wait_for PostgreSQL 30 pg_ready || die "PostgreSQL is not accepting connections on 127.0.0.1:$pg_port"
}

pg_stop() {
  pg_running || return 0
  as_pg "$pg_bin/pg_ctl" stop -D "$pg_data" -m fast -w -t 60 >/dev/null 2>&1 || die "PostgreSQL did not stop"
}

# --- RabbitMQ ------------------------------------------------------------------------------------
# Every rabbitmq program reads these: the node, its folders and ports, and an empty env/config of its own
# so /etc/rabbitmq is not consulted. HOME holds the node's Erlang cookie.
rmq_env() {
  export RABBITMQ_NODENAME="$rmq_node" RABBITMQ_USE_LONGNAME=false
  export RABBITMQ_CONF_ENV_FILE="$rmq_dir/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$rmq_dir/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$rmq_dir/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$rmq_dir/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$rmq_dir/mnesia" RABBITMQ_LOG_BASE="$rmq_dir/log"
  export RABBITMQ_PID_FILE="$rmq_dir/rabbitmq.pid"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$amqp_port" RABBITMQ_DIST_PORT="$dist_port"
  export ERL_EPMD_PORT="$epmd_port" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export HOME="$rmq_dir/home"
}
rmq_pid() { local p; p="$(cat "$rmq_dir/rabbitmq.pid" 2>/dev/null)" || return 1; [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"; }
rmq_running() { rmq_pid >/dev/null; }
# Ready = answers the AMQP 0-9-1 protocol header with a frame (type 1, Connection.Start), not merely an open port.
rmq_ready() {
  local first
  first="$( (exec 3<>"/dev/tcp/127.0.0.1/$amqp_port" && printf 'AMQP\x00\x00\x09\x01' >&3 && timeout 5 head -c 1 <&3 | od -An -tx1 | tr -d ' \n') 2>/dev/null)"
  [ "$first" = 01 ]
}

rmq_start() {
  if rmq_running && rmq_ready; then return 0; fi
  mkdir -p "$rmq_dir/home" "$rmq_dir/log"
  : > "$rmq_dir/rabbitmq-env.conf"
  echo '[].' > "$rmq_dir/enabled_plugins"
  echo '[].' > "$rmq_dir/advanced.config"
  cat > "$rmq_dir/rabbitmq.conf" <<EOF
# capture (scripts/services.sh): a private loopback node for the distributed jobs mode and its tests
listeners.tcp.default = 127.0.0.1:$amqp_port
default_user = $user
default_pass = $password
loopback_users = none
log.file.level = info
EOF
  if ! rmq_running; then
    tcp_open "$amqp_port" && die "port $amqp_port is taken by another program (set CAPTURE_AMQP_PORT)"
    # Everything of the node's start detached from this script's output: a caller reading our stdout to
    # its end (a test runner) must not wait for the node; `exec` leaves no shell behind holding it.
    (rmq_env; cd "$rmq_dir" && exec setsid "$rmq_bin/rabbitmq-server") >"$rmq_dir/log/startup.log" 2>&1 < /dev/null &
  fi
  wait_for RabbitMQ 90 rmq_ready || die "RabbitMQ is not accepting connections on 127.0.0.1:$amqp_port: see $rmq_dir/log/startup.log"
}

rmq_stop() {
  local pid
  if pid="$(rmq_pid)"; then
    (rmq_env; "$rmq_bin/rabbitmqctl" -q shutdown >/dev/null 2>&1) || kill "$pid" 2>/dev/null || true
    wait_for RabbitMQ 60 bash -c "! kill -0 $pid 2>/dev/null" || { kill -9 "$pid" 2>/dev/null || true; }
  fi
  rm -f "$rmq_dir/rabbitmq.pid"
  # The node started a private epmd on its own port; it outlives the node, so end it too.
  (rmq_env; epmd -port "$epmd_port" -kill >/dev/null 2>&1) || true
}

# --- commands ------------------------------------------------------------------------------------
cmd="${1:-status}"; which="${2:-all}"
case "$which" in all|pg|rabbitmq) ;; *) die "unknown service '$which' (pg, rabbitmq)";; esac
want() { [ "$which" = all ] || [ "$which" = "$1" ]; }
print_env() { printf 'export CAPTURE_TEST_PG=%q\nexport CAPTURE_TEST_AMQP=%q\n' "$pg_conn" "$amqp_uri"; }

case "$cmd" in
  start)
    t0=$SECONDS
    install_missing
    if want pg; then pg_start; fi
    if want rabbitmq; then rmq_start; fi
    log "ready in $((SECONDS - t0)) s (data in $base)"
    if want pg; then log "PostgreSQL  $pg_conn"; fi
    if want rabbitmq; then log "RabbitMQ    $amqp_uri"; fi
    ;;
  stop)
    if want rabbitmq; then rmq_stop; fi
    if want pg; then pg_stop; fi
    log "stopped"
    ;;
  restart)
    if want rabbitmq; then rmq_stop; fi
    if want pg; then pg_stop; pg_start; fi
    if want rabbitmq; then rmq_start; fi
    log "restarted"
    ;;
  status)
    up=0
    if want pg; then
      if pg_running && pg_ready; then echo "PostgreSQL  running  $pg_conn"
      elif pg_running; then echo "PostgreSQL  not answering on 127.0.0.1:$pg_port (its process is up)"; up=1
      else echo "PostgreSQL  stopped"; up=1; fi
    fi
    if want rabbitmq; then
      if rmq_running && rmq_ready; then echo "RabbitMQ    running  $amqp_uri"
      elif rmq_running; then echo "RabbitMQ    not answering AMQP on 127.0.0.1:$amqp_port (its process $(rmq_pid) is up)"; up=1
      else echo "RabbitMQ    stopped"; up=1; fi
    fi
    exit $up
    ;;
  env) print_env ;;
  logs)
    files=()
    if want pg; then files+=("$pg_dir/postgres.log" "$pg_dir/initdb.log"); fi
    if want rabbitmq; then files+=("$rmq_dir/log/startup.log" "$rmq_dir/log/$rmq_node.log"); fi
    for f in "${files[@]}"; do
      [ -s "$f" ] || continue
      echo "--- $f (last 40 lines)"
      tail -n 40 "$f"
    done
    ;;
  *) die "usage: services.sh start|stop|restart|status|env|logs [pg|rabbitmq]" ;;
esac
