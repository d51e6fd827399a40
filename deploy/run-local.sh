#!/usr/bin/env bash
# `make run`: a local Kafka broker, the worker, the sample feed (and the shared seed when present),
# and a readable view of the output. Ctrl-C stops the view, the worker and the broker, in order.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
RUN_DIR="$ROOT/.local/run"
SEEDS="$ROOT/../shared/seeds"
export KAFKA_PORT="${KAFKA_PORT:-9092}"
export WIRESTREAM_KAFKA_BOOTSTRAP="${WIRESTREAM_KAFKA_BOOTSTRAP:-127.0.0.1:$KAFKA_PORT}"
export WIRESTREAM_WEB_PORT="${WIRESTREAM_WEB_PORT:-6066}"
export WIRESTREAM_WORKER_DATA_DIR="$RUN_DIR/worker"

worker_pid=""
tail_pid=""
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
  if [ -n "$worker_pid" ] && kill -0 "$worker_pid" 2>/dev/null; then
    kill -TERM "$worker_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$worker_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$worker_pid" 2>/dev/null || true
  fi
  "$ROOT/deploy/kafka/kafka.sh" stop || true
  echo "stopped. Worker log: $RUN_DIR/worker.log"
}
trap cleanup INT TERM EXIT

if (exec 3<>"/dev/tcp/127.0.0.1/$WIRESTREAM_WEB_PORT") 2>/dev/null; then
  echo "port $WIRESTREAM_WEB_PORT is taken (an earlier worker?); set WIRESTREAM_WEB_PORT" >&2
  exit 1
fi
rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
"$ROOT/deploy/kafka/kafka.sh" start
"$BIN/wirestream" topics

"$BIN/wirestream" --log-format json worker >"$RUN_DIR/worker.log" 2>&1 &
worker_pid=$!
echo "worker started (pid $worker_pid), waiting until it is ready..."
for _ in $(seq 1 120); do
  if ! kill -0 "$worker_pid" 2>/dev/null; then
    echo "the worker exited; its log:" >&2; tail -n 30 "$RUN_DIR/worker.log" >&2; exit 1
  fi
  if "$BIN/python" - "$WIRESTREAM_WEB_PORT" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2) as r:
    sys.exit(0 if json.load(r).get("ready") else 1)
PY
  then break; fi
  sleep 0.5
done

feed=("$ROOT/config/samples/wire-feed.jsonl")
if compgen -G "$SEEDS/*.txt" >/dev/null; then feed+=("$SEEDS"/*.txt); fi
"$BIN/wirestream" produce "${feed[@]}"

cat <<EOF

  metrics:  http://127.0.0.1:$WIRESTREAM_WEB_PORT/metrics
  health:   http://127.0.0.1:$WIRESTREAM_WEB_PORT/healthz   ready: /readyz
  worker log (JSON): $RUN_DIR/worker.log
  enriched events below (id, language, confidence, dedupe status, story, top entities, headline).
  Exact re-sends are counted, not republished. Ctrl-C stops everything.

EOF
"$BIN/wirestream" tail --from-beginning --deadletters &
tail_pid=$!
wait "$tail_pid" || true
