#!/usr/bin/env bash
# A throwaway RabbitMQ node for one CI run, so the run never depends on (or wedges) the machine's broker:
#   .ci/rabbitmq-node.sh start DIR PORT    starts a node listening on 127.0.0.1:PORT; its files live in DIR
#   .ci/rabbitmq-node.sh stop DIR          stops the node started in DIR and removes DIR
#   .ci/rabbitmq-node.sh ctl DIR ARGS…     runs rabbitmqctl against that node
# The node has its own name (ordo-ci-PORT@localhost), distribution port (PORT+20000) and Erlang cookie
# (HOME=DIR), and a higher open-file limit: the machine's node wedges at its soft limit of 1,024 files.
# It only ever signals the pids it recorded in DIR, after checking that they still run this node.
# An epmd the node had to start is left running (harmless, shared by every Erlang node); one that was
# already running is never touched.
set -euo pipefail

RABBITMQ_BIN=/usr/lib/rabbitmq/bin
# RABBITMQ_OPEN_FILES overrides it (the broker soak runs a node with the common default of 1,024).
WANTED_OPEN_FILES=${RABBITMQ_OPEN_FILES:-20000}
STOP_TIMEOUT_S=20

node_name() { echo "ordo-ci-$(cat "$1/port")@localhost"; }

start() {
  local dir=$1 port=$2
  mkdir -p "$dir/mnesia" "$dir/log"
  echo "$port" > "$dir/port"
  printf 'listeners.tcp.local = 127.0.0.1:%s\nloopback_users = none\n' "$port" > "$dir/rabbitmq.conf"
  # Our own (empty) env file: the machine's /etc/rabbitmq/rabbitmq-env.conf names its node rabbit@localhost.
  : > "$dir/rabbitmq-env.conf"
  echo '[].' > "$dir/enabled_plugins"
  local files hard
  files=$WANTED_OPEN_FILES
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$files" ]; then files=$hard; fi
  (
    ulimit -n "$files"
    cd "$dir"
    export HOME="$dir" \
      RABBITMQ_NODENAME="$(node_name "$dir")" \
      RABBITMQ_NODE_PORT="$port" \
      RABBITMQ_DIST_PORT=$((port + 20000)) \
      RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
      RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      RABBITMQ_MNESIA_BASE="$dir/mnesia" \
      RABBITMQ_LOG_BASE="$dir/log" \
      RABBITMQ_PID_FILE="$dir/pid" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
      ERL_EPMD_ADDRESS=127.0.0.1
    # setsid: the node must not get the terminal's Ctrl-C; `stop` shuts it down cleanly instead.
    setsid nohup "$RABBITMQ_BIN/rabbitmq-server" > "$dir/stdout" 2>&1 < /dev/null &
    echo $! > "$dir/launcher-pid"
  )
  # The node writes its (beam.smp) pid within a few seconds of starting; AMQP readiness is checked by the caller.
  for _ in $(seq 1 100); do
    if [ -s "$dir/pid" ]; then return 0; fi
    sleep 0.2
  done
  echo "RabbitMQ node in $dir wrote no pid file within 20 s; its output:" >&2
  tail -n 20 "$dir/stdout" >&2 || true
  return 1
}

# The node's pid: the one it wrote to DIR/pid, or, if it died or hung before writing it, the launcher
# script's (which stops the node on SIGTERM). Only while that process is still ours (not a reused pid):
# its environment names this node.
node_pid() {
  local dir=$1 file pid
  for file in pid launcher-pid; do
    pid=$(cat "$dir/$file" 2>/dev/null) || continue
    if [ -n "$pid" ] && tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx -- "RABBITMQ_NODENAME=$(node_name "$dir")"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

stop() {
  local dir=$1 pid
  if [ ! -d "$dir" ]; then return 0; fi
  if pid=$(node_pid "$dir"); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((STOP_TIMEOUT_S * 5))); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "RabbitMQ node $pid did not stop within ${STOP_TIMEOUT_S} s of SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

ctl() {
  local dir=$1
  shift
  HOME="$dir" "$RABBITMQ_BIN/rabbitmqctl" -n "$(node_name "$dir")" "$@"
}

command=${1:-}
case "$command" in
  start) start "$2" "$3" ;;
  stop) stop "$2" ;;
  ctl) shift && ctl "$@" ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR | ctl DIR ARGS…" >&2
    exit 2
    ;;
esac
