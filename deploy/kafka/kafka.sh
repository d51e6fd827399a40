#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker+controller in one JVM) on 127.0.0.1
# for `make run` and the integration tests. Jars come from Maven Central via
# pom.xml; see README.md in this directory.
#
#   kafka.sh fetch | start | stop | status
#
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
#      KAFKA_STATE_DIR (<repo>/.local/kafka/$KAFKA_PORT), KAFKA_KEEP_DATA (0),
#      KAFKA_VERSION (4.1.1), KAFKA_HEAP_OPTS, KAFKA_START_TIMEOUT (60),
#      KAFKA_ADVERTISED_PORT ($KAFKA_PORT) and KAFKA_INTERNAL_PORT: the port clients
#      are told to connect to, when a proxy sits in front of the broker (the fault
#      tests); the broker then talks to itself on a listener of its own.
#      KAFKA_SECURITY (plaintext | sasl_ssl): sasl_ssl needs KAFKA_SSL_KEYSTORE (PEM:
#      key, then certificate chain), KAFKA_SSL_CA (PEM), KAFKA_ADMIN_PASSWORD; takes
#      KAFKA_ADMIN_USER (admin) and KAFKA_SCRAM_USERS_FILE (user:password lines).
# `start` prints the bootstrap address on stdout; progress goes to stderr so
# `BOOTSTRAP=$(kafka.sh start)` works.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd)

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_STATE_DIR=${KAFKA_STATE_DIR:-$REPO_ROOT/.local/kafka/$KAFKA_PORT}
KAFKA_KEEP_DATA=${KAFKA_KEEP_DATA:-0}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-60}
KAFKA_ADVERTISED_PORT=${KAFKA_ADVERTISED_PORT:-$KAFKA_PORT}
KAFKA_INTERNAL_PORT=${KAFKA_INTERNAL_PORT:-}
KAFKA_SECURITY=${KAFKA_SECURITY:-plaintext}
KAFKA_SSL_KEYSTORE=${KAFKA_SSL_KEYSTORE:-}
KAFKA_SSL_CA=${KAFKA_SSL_CA:-}
KAFKA_ADMIN_USER=${KAFKA_ADMIN_USER:-admin}
KAFKA_ADMIN_PASSWORD=${KAFKA_ADMIN_PASSWORD:-}
KAFKA_SCRAM_USERS_FILE=${KAFKA_SCRAM_USERS_FILE:-}
KAFKA_STOP_TIMEOUT=20

# A relative KAFKA_STATE_DIR means relative to the caller's cwd, as for any CLI
# argument; it is made absolute because the broker's cmdline is matched on it.
case $KAFKA_STATE_DIR in
    /*) ;;
    *) KAFKA_STATE_DIR=$PWD/$KAFKA_STATE_DIR ;;
esac
KAFKA_STATE_DIR=${KAFKA_STATE_DIR%/}
# The TLS files are named in the broker's config, read from its own working directory.
for _var in KAFKA_SSL_KEYSTORE KAFKA_SSL_CA KAFKA_SCRAM_USERS_FILE; do
    if [[ -n ${!_var} && ${!_var} != /* ]]; then
        printf -v "$_var" '%s/%s' "$PWD" "${!_var}"
    fi
done
unset _var

CACHE_ROOT=$REPO_ROOT/.cache
LIBS_DIR=$CACHE_ROOT/kafka/$KAFKA_VERSION/libs
CONFIG=$KAFKA_STATE_DIR/server.properties
LOG4J_CONFIG=$KAFKA_STATE_DIR/log4j2.properties
PID_FILE=$KAFKA_STATE_DIR/kafka.pid
LOG_DIR=$KAFKA_STATE_DIR/logs
SERVER_LOG=$LOG_DIR/server.log
# The JVM's own stdout/stderr: catches crashes that happen before log4j is up.
CONSOLE_LOG=$LOG_DIR/kafka.out
# Wiping is `rm -rf`, so only directories carrying this marker (or empty ones)
# are ever wiped; a mistyped KAFKA_STATE_DIR=$HOME must not be deleted.
STATE_MARKER=$KAFKA_STATE_DIR/.wirestream-kafka-state
BOOTSTRAP=127.0.0.1:$KAFKA_PORT
# The broker's own principal towards its controller (SASL_SSL mode), a super user.
CONTROLLER_PRINCIPAL=wirestream-local-controller

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

java_bin() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    elif command -v java >/dev/null 2>&1; then
        command -v java
    else
        die "java not found (Kafka $KAFKA_VERSION needs Java 17+); install openjdk-17-jre-headless"
    fi
}

libs_present() {
    [[ -f $LIBS_DIR/.complete && -f $LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar ]]
}

cmd_fetch() {
    if libs_present; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found; install maven (apt-get install -y maven)"
    mkdir -p "$(dirname "$LIBS_DIR")"
    # Parallel test workers may start cold at the same moment; serialise them
    # and let the losers find the finished libs dir.
    exec 9>"$(dirname "$LIBS_DIR")/.fetch.lock"
    flock 9
    if libs_present; then
        exec 9>&-
        return 0
    fi
    log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS_DIR"
    local tmp=$LIBS_DIR.tmp.$$ mvn_log=$LIBS_DIR.mvn.log
    rm -rf "$tmp"
    # Copy into a temp dir and rename, so an interrupted fetch never looks complete.
    # Maven 3.8 prints stray ANSI resets even with -q -B, so its output is only
    # shown when it fails.
    if ! mvn -q -B -f "$SCRIPT_DIR/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
            dependency:copy-dependencies -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
        cat "$mvn_log" >&2
        rm -rf "$tmp"
        die "mvn could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (log: $mvn_log)"
    fi
    rm -f "$mvn_log"
    touch "$tmp/.complete"
    rm -rf "$LIBS_DIR"
    mv "$tmp" "$LIBS_DIR"
    exec 9>&-
    log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
}

# True when $1 is a live broker started with this state dir's config; guards
# against pid reuse and against killing a broker that belongs to another dir.
is_our_broker() {
    local pid=$1 cmdline
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    # A zombie (exited, not yet reaped) has an empty cmdline, so it counts as gone.
    cmdline=$(tr '\0' ' ' 2>/dev/null </proc/"$pid"/cmdline) || return 1
    [[ $cmdline == *" kafka.Kafka $CONFIG "* ]]
}

# The pid file is gone if someone deleted the state dir under a running
# broker; fall back to finding the JVM by its exact config path.
broker_pid() {
    local pid f
    if [[ -f $PID_FILE ]]; then
        pid=$(<"$PID_FILE")
        if is_our_broker "$pid"; then
            printf '%s\n' "$pid"
            return 0
        fi
    fi
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        if is_our_broker "$pid"; then
            printf '%s\n' "$pid"
            return 0
        fi
    done
    return 1
}

port_in_use() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

port_owner() {
    if command -v ss >/dev/null 2>&1; then
        ss -Hltnp "sport = :$1" 2>/dev/null | head -n 3
    fi
}

cmd_stop() {
    local pid waited=0
    if ! pid=$(broker_pid); then
        rm -f "$PID_FILE"
        log "not running (state dir $KAFKA_STATE_DIR)"
        return 0
    fi
    log "stopping broker pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    # Kafka's controlled shutdown flushes logs and writes a clean-shutdown marker;
    # give it time, since KEEP_DATA restarts otherwise pay for log recovery.
    while is_our_broker "$pid" && ((waited < KAFKA_STOP_TIMEOUT * 10)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if is_our_broker "$pid"; then
        log "broker pid $pid ignored SIGTERM for ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while is_our_broker "$pid"; do sleep 0.1; done
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    local pid
    if pid=$(broker_pid); then
        if port_in_use "$KAFKA_PORT"; then
            log "running: pid $pid, bootstrap $BOOTSTRAP, state dir $KAFKA_STATE_DIR"
        else
            log "starting or unhealthy: pid $pid is alive but $BOOTSTRAP does not accept connections"
        fi
        printf '%s\n' "$BOOTSTRAP"
        return 0
    fi
    log "not running (state dir $KAFKA_STATE_DIR)"
    return 3
}

prepare_state_dir() {
    if [[ $KAFKA_KEEP_DATA == 1 && -f $STATE_MARKER ]]; then
        return 0
    fi
    if [[ -d $KAFKA_STATE_DIR && ! -f $STATE_MARKER ]] \
            && [[ -n $(ls -A "$KAFKA_STATE_DIR") ]]; then
        die "refusing to wipe $KAFKA_STATE_DIR: not empty and not created by kafka.sh"
    fi
    rm -rf "$KAFKA_STATE_DIR"
    mkdir -p "$KAFKA_STATE_DIR"
    touch "$STATE_MARKER"
}

write_configs() {
    mkdir -p "$LOG_DIR"
    # Static voters rather than KIP-853 controller.quorum.bootstrap.servers +
    # `format --standalone`: a one-node quorum never changes membership, and
    # static voters do not persist the controller endpoint in the metadata log,
    # so a KEEP_DATA restart on another controller port still works.
    # Every listener speaks the one protocol of KAFKA_SECURITY; the client listener is
    # named after it (PLAINTEXT or SASL_SSL).
    local proto listeners advertised inter map
    proto=$(listener_protocol)
    listeners=$proto://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
    advertised=$proto://127.0.0.1:$KAFKA_ADVERTISED_PORT
    inter=$proto
    map=CONTROLLER:$proto,$proto:$proto
    if [[ $KAFKA_ADVERTISED_PORT != "$KAFKA_PORT" ]]; then
        # Clients are sent to a proxy; the broker's own traffic (transaction markers to
        # its partitions) must not cross it, so it gets a listener the proxy never sees.
        [[ -n $KAFKA_INTERNAL_PORT ]] || die "KAFKA_ADVERTISED_PORT needs KAFKA_INTERNAL_PORT"
        listeners+=",INTERNAL://127.0.0.1:$KAFKA_INTERNAL_PORT"
        advertised+=",INTERNAL://127.0.0.1:$KAFKA_INTERNAL_PORT"
        inter=INTERNAL
        map+=",INTERNAL:$proto"
    fi
    # The SASL_SSL config holds passwords: only the owner may read it.
    local mask
    mask=$(umask)
    umask 077
    cat >"$CONFIG" <<EOF
# Generated by deploy/kafka/kafka.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=$inter
listener.security.protocol.map=$map
log.dirs=$KAFKA_STATE_DIR/data

num.partitions=4
default.replication.factor=1
min.insync.replicas=1
# Topics are created explicitly by the worker/tests; a typo must not silently
# create a topic.
auto.create.topics.enable=false

# One node: internal topics cannot have more replicas than brokers.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# The defaults (50 partitions each) make the first consumer group and the first
# transactional producer wait for 50 partitions to be created and loaded.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
# Tests start one consumer at a time; the default 3 s delay only adds latency.
group.initial.rebalance.delay.ms=0

# Sized for a laptop/CI runner, not for throughput.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
    if [[ $KAFKA_SECURITY == sasl_ssl ]]; then
        write_security_config "$inter"
    fi
    umask "$mask"

    # Kafka at INFO writes several MB per test session; keep WARN+ plus the
    # start/stop lines from KafkaRaftServer, which the fallback readiness check
    # and humans reading the log rely on.
    cat >"$LOG4J_CONFIG" <<'EOF'
# Generated by deploy/kafka/kafka.sh on every start; edits are overwritten.
status = warn
name = wirestream-local-kafka
# Kafka's own shutdown hook logs while it closes; log4j's hook would race it,
# drop those lines and print "Unable to register Log4j shutdown hook" instead.
shutdownHook = disable

appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n

rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file

logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.level = INFO
EOF
}

listener_protocol() {
    case $KAFKA_SECURITY in
        plaintext) printf 'PLAINTEXT\n' ;;
        sasl_ssl) printf 'SASL_SSL\n' ;;
        *) die "KAFKA_SECURITY must be plaintext or sasl_ssl, not '$KAFKA_SECURITY'" ;;
    esac
}

# Names and passwords go into JAAS strings and StorageTool's --add-scram syntax unquoted;
# keeping them to URL-safe characters means no escaping can go wrong.
check_credential() {
    local what=$1 value=$2
    [[ $value =~ ^[A-Za-z0-9._~-]+$ ]] \
        || die "$what must be non-empty and use only letters, digits and . _ ~ -"
}

# The SCRAM users that format creates: the admin (a super user), then one per
# "user:password" line of KAFKA_SCRAM_USERS_FILE (blank lines and # comments skipped).
scram_users() {
    printf '%s:%s\n' "$KAFKA_ADMIN_USER" "$KAFKA_ADMIN_PASSWORD"
    if [[ -n $KAFKA_SCRAM_USERS_FILE ]]; then
        local line
        while IFS= read -r line || [[ -n $line ]]; do
            [[ -z ${line//[[:space:]]/} || $line == \#* ]] && continue
            printf '%s\n' "$line"
        done <"$KAFKA_SCRAM_USERS_FILE"
    fi
}

check_security_inputs() {
    listener_protocol >/dev/null
    [[ $KAFKA_SECURITY == sasl_ssl ]] || return 0
    local f line
    for f in KAFKA_SSL_KEYSTORE KAFKA_SSL_CA; do
        [[ -n ${!f} && -r ${!f} ]] || die "KAFKA_SECURITY=sasl_ssl needs $f, a readable PEM file"
    done
    if [[ -n $KAFKA_SCRAM_USERS_FILE && ! -r $KAFKA_SCRAM_USERS_FILE ]]; then
        die "KAFKA_SCRAM_USERS_FILE $KAFKA_SCRAM_USERS_FILE is not readable"
    fi
    check_credential KAFKA_ADMIN_USER "$KAFKA_ADMIN_USER"
    check_credential KAFKA_ADMIN_PASSWORD "$KAFKA_ADMIN_PASSWORD"
    while IFS= read -r line; do
        [[ $line == *:* ]] || die "KAFKA_SCRAM_USERS_FILE: a line is not user:password"
        check_credential "a user name in KAFKA_SCRAM_USERS_FILE" "${line%%:*}"
        check_credential "the password of ${line%%:*} in KAFKA_SCRAM_USERS_FILE" "${line#*:}"
    done < <(scram_users)
}

# SASL_SSL: clients authenticate with SCRAM-SHA-512 over TLS, and the StandardAuthorizer
# checks every request against the ACLs. The broker talks to itself (inter-broker: the
# transaction markers) as the admin over SCRAM, and to its controller over SASL PLAIN
# with a principal and password of its own, made anew on every start: SCRAM credentials
# live in the metadata log, which a controller must serve before it can read them.
write_security_config() {
    local inter=$1 controller_password scram
    controller_password=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    scram="org.apache.kafka.common.security.scram.ScramLoginModule required"
    scram+=" username=\"$KAFKA_ADMIN_USER\" password=\"$KAFKA_ADMIN_PASSWORD\";"
    {
        printf '\n# SASL_SSL (KAFKA_SECURITY=sasl_ssl): SCRAM-SHA-512 over TLS, ACLs on.\n'
        printf 'sasl.enabled.mechanisms=SCRAM-SHA-512\n'
        printf 'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512\n'
        printf 'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=%s\n' "$scram"
        if [[ $inter == INTERNAL ]]; then
            printf 'listener.name.internal.scram-sha-512.sasl.jaas.config=%s\n' "$scram"
        fi
        printf 'sasl.mechanism.controller.protocol=PLAIN\n'
        printf 'listener.name.controller.sasl.enabled.mechanisms=PLAIN\n'
        printf 'listener.name.controller.plain.sasl.jaas.config=%s\n' \
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$CONTROLLER_PRINCIPAL\" password=\"$controller_password\" user_$CONTROLLER_PRINCIPAL=\"$controller_password\";"
        printf 'ssl.keystore.type=PEM\n'
        printf 'ssl.keystore.location=%s\n' "$KAFKA_SSL_KEYSTORE"
        printf 'ssl.truststore.type=PEM\n'
        printf 'ssl.truststore.location=%s\n' "$KAFKA_SSL_CA"
        printf 'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n'
        printf 'allow.everyone.if.no.acl.found=false\n'
        printf 'super.users=User:%s;User:%s\n' "$KAFKA_ADMIN_USER" "$CONTROLLER_PRINCIPAL"
    } >>"$CONFIG"
}

jvm_common_opts() {
    printf '%s\n' \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="file:$LOG4J_CONFIG" \
        -Dkafka.logs.dir="$LOG_DIR"
}

# Kafka cluster ids are 16 random bytes in unpadded URL-safe base64; Kafka
# itself rerolls ids starting with '-' because they parse as CLI flags.
new_cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ $id == -* ]] || break
    done
    printf '%s\n' "$id"
}

format_storage() {
    local java=$1 opts
    if [[ -f $KAFKA_STATE_DIR/data/meta.properties ]]; then
        return 0
    fi
    mapfile -t opts < <(jvm_common_opts)
    local scram=() user
    if [[ $KAFKA_SECURITY == sasl_ssl ]]; then
        # SCRAM users can only be made before the first start in KRaft without an admin
        # client that speaks AlterUserScramCredentials; format writes them into the log.
        while IFS= read -r user; do
            scram+=(--add-scram "SCRAM-SHA-512=[name=${user%%:*},password=${user#*:}]")
        done < <(scram_users)
    fi
    if ! "$java" -Xmx256m "${opts[@]}" -cp "$LIBS_DIR/*" kafka.tools.StorageTool \
            format --config "$CONFIG" --cluster-id "$(new_cluster_id)" "${scram[@]}" \
            >"$LOG_DIR/format.log" 2>&1; then
        cat "$LOG_DIR/format.log" >&2
        die "kafka-storage format failed"
    fi
}

# Prefer a Kafka-protocol answer over "the port is open": the socket accepts
# before the broker has registered with the controller and been unfenced, and
# a fenced broker is absent from Metadata responses.
python_for_probe() {
    local py
    for py in "$REPO_ROOT/.venv/bin/python" python3; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import aiokafka' 2>/dev/null; then
            printf '%s\n' "$py"
            return 0
        fi
    done
    return 1
}

wait_ready_python() {
    local py=$1 pid=$2
    # The admin's password reaches the probe through its environment, never its argv.
    PROBE_SECURITY=$KAFKA_SECURITY PROBE_CA=$KAFKA_SSL_CA PROBE_USER=$KAFKA_ADMIN_USER \
        PROBE_PASSWORD=$KAFKA_ADMIN_PASSWORD \
        "$py" - "$BOOTSTRAP" "$pid" "$KAFKA_START_TIMEOUT" <<'EOF'
import asyncio
import logging
import os
import ssl
import sys
import time

from aiokafka.client import AIOKafkaClient

bootstrap, pid, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
security = {}
if os.environ["PROBE_SECURITY"] == "sasl_ssl":
    security = {
        "security_protocol": "SASL_SSL",
        "ssl_context": ssl.create_default_context(cafile=os.environ["PROBE_CA"]),
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": os.environ["PROBE_USER"],
        "sasl_plain_password": os.environ["PROBE_PASSWORD"],
    }
# aiokafka logs every refused connection at ERROR while the broker boots.
logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def alive(pid: int) -> bool:
    # os.kill(pid, 0) succeeds on zombies; the JVM is reparented when kafka.sh
    # exits and its new parent may be slow (or never) to reap it.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def broker_listed() -> bool:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, **security)
    try:
        await client.bootstrap()
        return any(b.nodeId == 1 for b in client.cluster.brokers())
    except Exception:
        return False
    finally:
        await client.close()


async def main() -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return 2
        if await broker_listed():
            return 0
        await asyncio.sleep(0.25)
    return 1


sys.exit(asyncio.run(main()))
EOF
}

wait_ready_log() {
    local pid=$1 deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    while ((SECONDS < deadline)); do
        is_our_broker "$pid" || return 2
        if grep -q 'Kafka Server started' "$SERVER_LOG" 2>/dev/null && port_in_use "$KAFKA_PORT"; then
            return 0
        fi
        sleep 0.25
    done
    return 1
}

fail_start() {
    local pid=$1 why=$2
    log "error: $why"
    local f
    for f in "$SERVER_LOG" "$CONSOLE_LOG"; do
        if [[ -s $f ]]; then
            log "last lines of $f:"
            tail -n 40 "$f" >&2
        fi
    done
    if is_our_broker "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    exit 1
}

cmd_start() {
    local java pid port py rc=0 opts heap started=$SECONDS
    java=$(java_bin)
    cmd_fetch

    if broker_pid >/dev/null; then
        log "a broker from a previous run is still up; stopping it first"
        cmd_stop
    fi
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        if port_in_use "$port"; then
            log "error: port 127.0.0.1:$port is already in use by another process."
            port_owner "$port" >&2 || true
            die "pick free ports with KAFKA_PORT / KAFKA_CONTROLLER_PORT, or stop that process"
        fi
    done

    check_security_inputs
    prepare_state_dir
    write_configs
    format_storage "$java"

    mapfile -t opts < <(jvm_common_opts)
    read -r -a heap <<<"$KAFKA_HEAP_OPTS"
    # setsid: the broker must outlive this script and must not receive the
    # Ctrl-C aimed at `make run`/pytest; `stop` is the only way down. All three
    # std streams are redirected so a caller capturing our output (subprocess.run)
    # sees EOF when the script exits instead of waiting for the JVM.
    setsid "$java" "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:+ExitOnOutOfMemoryError "${opts[@]}" \
        -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG" \
        </dev/null >"$CONSOLE_LOG" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
    log "broker pid $pid starting (Kafka $KAFKA_VERSION, state dir $KAFKA_STATE_DIR)"

    if py=$(python_for_probe); then
        wait_ready_python "$py" "$pid" || rc=$?
    else
        log "no python with aiokafka; falling back to log line + TCP readiness check"
        wait_ready_log "$pid" || rc=$?
    fi
    case $rc in
        0) ;;
        2) fail_start "$pid" "broker exited during startup" ;;
        *) fail_start "$pid" "broker not ready within ${KAFKA_START_TIMEOUT}s" ;;
    esac
    log "ready in $((SECONDS - started))s at $BOOTSTRAP"
    printf '%s\n' "$BOOTSTRAP"
}

usage() {
    sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 2
}

case ${1:-} in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) usage ;;
esac
