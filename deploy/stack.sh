#!/usr/bin/env bash
# crmq local stack: a private PostgreSQL cluster, a Redis server and the crmq
# services, all on 127.0.0.1, all state under one folder DIR.
#
#   stack.sh up DIR [--infra-only]    start what is not running; writes DIR/env
#   stack.sh down DIR [--purge]       stop everything; --purge also removes DIR
#   stack.sh status DIR               one line per part; exit 0 when all run, 3 if not
#   stack.sh start-service DIR NAME   start one service (bus|contacts|sales|analytics|scheduler|notify) if stopped
#   stack.sh stop-service DIR NAME    SIGTERM, up to 10 s, then SIGKILL
#   stack.sh restart-service DIR NAME stop (if running) and start again with DIR/env
#
# `up` is idempotent: parts already running (pid alive) are left alone and
# the ports recorded in DIR/env are reused.  --infra-only starts PostgreSQL and
# Redis only (no migrate, no services): for libcrmq self-tests against a
# throw-away database.
#
# DIR layout: env (source it), pg/ (cluster), redis/ (Redis working dir),
# redis.conf, redis.pid, log/{postgresql,redis,migrate,<service>}.log,
# <service>.pid.
#
# Environment:
#   BUILD                    build folder with bin/ (default build; relative
#                            paths are taken from the repository root)
#   CRMQ_STACK_RANDOM_PORTS  1 = random free ports instead of the defaults
#                            (PostgreSQL 5433, Redis 6380, bus 5561 and PUB
#                            5560, contacts 5551, sales 5552, analytics 5555,
#                            scheduler 5554, notify 5556, or the next free one)
#   CRMQ_STACK_TIMEOUT       seconds to wait for each part to answer (default 60)
#   PG_BINDIR                PostgreSQL binaries (default: highest
#                            /usr/lib/postgresql/*/bin)
#   CRMQ_STACK_PG_SETTINGS   more postgresql.conf lines (name = value, one a
#                            line), added after the stack's own on each up
#                            (benchmarks size memory with it)
# When run as root, PostgreSQL runs as the `postgres` user (initdb refuses
# root): DIR/pg is chowned to it and DIR's parent folders are made traversable.
set -euo pipefail

PROG=stack.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# in start order: crmq-bus first (the others consume its events)
SERVICES=(bus contacts sales analytics scheduler notify)
# bus_pub: crmq-bus's second endpoint (PUB, CRMQ_BUS_PUB_ENDPOINT)
declare -A DEFAULT_PORT=([pg]=5433 [redis]=6380 [bus]=5561 [bus_pub]=5560 [contacts]=5551
                         [sales]=5552 [analytics]=5555 [scheduler]=5554 [notify]=5556)
EXTRA_PARTS=(bus_pub)
TIMEOUT=${CRMQ_STACK_TIMEOUT:-60}
STOP_WAIT=10

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    local rc=${1:-2}
    if ((rc == 0)); then
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
    else
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
    fi
    exit "$rc"
}

# Prints the last lines of a log file, framed, to stderr.
show_log() {
    local file=$1 lines=${2:-40}
    if [[ -s $file ]]; then
        printf -- '----- last %d lines of %s -----\n' "$lines" "$file" >&2
        tail -n "$lines" "$file" >&2
        printf -- '----- end of %s -----\n' "$file" >&2
    else
        say "($file is empty or missing)"
    fi
}

# --------------------------------------------------------------------------
# Paths and helpers

resolve_build() {
    local b=${BUILD:-build}
    [[ $b == /* ]] || b=$ROOT/$b
    BUILD_DIR=$b
    CLI=$BUILD_DIR/bin/crmq
}

set_dir() {
    local d=$1 create=${2:-0}
    [[ -n $d ]] || die "DIR is empty"
    if ((create)); then
        mkdir -p -- "$d" || die "cannot create $d"
    fi
    if [[ -d $d ]]; then
        DIR=$(cd -- "$d" && pwd -P)
    else
        DIR=$d
        [[ $DIR == /* ]] || DIR=$PWD/$DIR
    fi
    PGDATA_DIR=$DIR/pg
    LOG_DIR=$DIR/log
    ENV_FILE=$DIR/env
}

pg_bindir() {
    if [[ -n ${PG_BINDIR:-} ]]; then
        [[ -x $PG_BINDIR/pg_ctl ]] || die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
        PGBIN=$PG_BINDIR
        return
    fi
    local d
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n $d && -x $d/pg_ctl ]] ||
        die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run deploy/install-deps.sh)"
    PGBIN=$d
}

is_root() { ((EUID == 0)); }

# Runs a command as the PostgreSQL owner: `postgres` when we are root.
as_pg() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# True when pid $1 is alive and its command line mentions $2.
pid_matches() {
    local pid=$1 what=$2 cmd
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmd == *"$what"* ]]
}

read_pid() {
    if [[ -r $1 ]]; then head -n 1 "$1" | tr -dc '0-9' || true; fi
}

service_pid_file() { echo "$DIR/$1.pid"; }

service_running() {
    local pid
    pid=$(read_pid "$(service_pid_file "$1")")
    [[ -n $pid ]] && pid_matches "$pid" "crmq-$1"
}

redis_running() {
    local pid
    pid=$(read_pid "$DIR/redis.pid")
    [[ -n $pid ]] && pid_matches "$pid" redis-server
}

pg_running() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] || return 1
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

# TCP port accepts connections on 127.0.0.1?
port_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Port free to bind on 127.0.0.1 (with SO_REUSEADDR, as servers bind) and
# nobody answers on it.
port_free() {
    local p=$1
    port_answers "$p" && return 1
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$p" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()
EOF
    fi
}

# --------------------------------------------------------------------------
# Ports and DIR/env

declare -A PORT=()
PICKED=" "

# Reads the ports recorded in DIR/env into OLD_PORT.
declare -A OLD_PORT=()
read_env_ports() {
    [[ -r $ENV_FILE ]] || return 0
    local line key val part
    while IFS= read -r line; do
        [[ $line =~ ^export\ (CRMQ_[A-Z_]+)=(.*)$ ]] || continue
        key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
        val=${val//\'/}
        case $key in
            CRMQ_PG_URL)             [[ $val =~ :([0-9]+)/ ]] && OLD_PORT[pg]=${BASH_REMATCH[1]} ;;
            CRMQ_REDIS_URL)          [[ $val =~ :([0-9]+)$ ]] && OLD_PORT[redis]=${BASH_REMATCH[1]} ;;
            CRMQ_*_ENDPOINT)
                part=${key#CRMQ_}
                part=${part%_ENDPOINT}
                part=${part,,}
                [[ $val =~ :([0-9]+)$ ]] && OLD_PORT[$part]=${BASH_REMATCH[1]} ;;
        esac
    done <"$ENV_FILE"
}

# Picks a free port for part $1: the default or the next free one above it,
# or a random one (20000-32767, below the kernel's ephemeral range) when
# CRMQ_STACK_RANDOM_PORTS=1.
pick_port() {
    local part=$1 p tries
    if [[ ${CRMQ_STACK_RANDOM_PORTS:-0} == 1 ]]; then
        for ((tries = 0; tries < 200; tries++)); do
            p=$((20000 + RANDOM % 12768))
            [[ $PICKED == *" $p "* ]] && continue
            if port_free "$p"; then echo "$p"; return 0; fi
        done
    else
        for ((p = DEFAULT_PORT[$part]; p < DEFAULT_PORT[$part] + 100; p++)); do
            [[ $PICKED == *" $p "* ]] && continue
            # do not take another part's default
            case " ${DEFAULT_PORT[*]} " in *" $p "*) ((p == DEFAULT_PORT[$part])) || continue ;; esac
            if port_free "$p"; then echo "$p"; return 0; fi
        done
    fi
    return 1
}

# Sets PORT[part] for every part: the port in use when the part runs, else
# the one in DIR/env when it is still free, else a new one.
choose_ports() {
    local infra_only=$1 part running p
    read_env_ports
    local parts=(pg redis)
    ((infra_only)) || parts+=("${SERVICES[@]}" "${EXTRA_PARTS[@]}")
    # ports of running parts first, so they are never handed to another part
    for part in pg redis "${SERVICES[@]}"; do
        running=0
        case $part in
            pg)    pg_running && running=1 ;;
            redis) redis_running && running=1 ;;
            *)     service_running "$part" && running=1 ;;
        esac
        ((running)) || continue
        p=
        if [[ $part == pg ]]; then
            p=$(sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null | tr -dc '0-9' || true)
        elif [[ $part == redis && -r $DIR/redis.conf ]]; then
            p=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$DIR/redis.conf")
        fi
        [[ -n $p ]] || p=${OLD_PORT[$part]:-}
        [[ -n $p ]] || die "$part is running but its port is unknown (DIR/env missing); run: $0 down $DIR"
        PORT[$part]=$p
        PICKED+="$p "
    done
    # a running crmq-bus keeps its PUB port too
    if service_running bus && [[ -n ${OLD_PORT[bus_pub]:-} ]]; then
        PORT[bus_pub]=${OLD_PORT[bus_pub]}
        PICKED+="${PORT[bus_pub]} "
    fi
    for part in "${parts[@]}" ; do
        [[ -n ${PORT[$part]:-} ]] && continue
        p=${OLD_PORT[$part]:-}
        if [[ -n $p && $PICKED != *" $p "* ]] && port_free "$p"; then
            :
        else
            [[ -n $p ]] && say "port $p of $part (from $ENV_FILE) is taken now; choosing another"
            p=$(pick_port "$part") || die "no free TCP port found for $part"
        fi
        PORT[$part]=$p
        PICKED+="$p "
    done
    # keep recorded service ports in env even with --infra-only
    for part in "${SERVICES[@]}" "${EXTRA_PARTS[@]}"; do
        [[ -n ${PORT[$part]:-} ]] || PORT[$part]=${OLD_PORT[$part]:-}
    done
}

endpoint_var() { echo "CRMQ_${1^^}_ENDPOINT"; }

# Exports the CRMQ_* variables of this stack into our own environment.
export_env() {
    export CRMQ_PG_URL="postgresql://crmq@127.0.0.1:${PORT[pg]}/crmq"
    export CRMQ_REDIS_URL="redis://127.0.0.1:${PORT[redis]}"
    local s
    for s in "${SERVICES[@]}" "${EXTRA_PARTS[@]}"; do
        if [[ -n ${PORT[$s]:-} ]]; then
            export "$(endpoint_var "$s")=tcp://127.0.0.1:${PORT[$s]}"
        else
            unset "$(endpoint_var "$s")"
        fi
    done
    export CRMQ_STACK_DIR="$DIR"
}

# Writes DIR/env (atomically) from the exported variables.
write_env() {
    local tmp=$ENV_FILE.tmp.$$ v
    {
        echo "# crmq local stack in $DIR, written by deploy/stack.sh; source it: . $ENV_FILE"
        for v in CRMQ_PG_URL CRMQ_REDIS_URL $(for s in "${SERVICES[@]}" "${EXTRA_PARTS[@]}"; do
                     endpoint_var "$s"; done) CRMQ_STACK_DIR CRMQ_TIME_ZONE; do
            if [[ -n ${!v:-} ]]; then printf "export %s='%s'\n" "$v" "${!v}"; fi
        done
    } >"$tmp"
    mv -f "$tmp" "$ENV_FILE"
}

# Loads DIR/env for the service commands; fails when there is none.
load_env() {
    [[ -r $ENV_FILE ]] || die "$ENV_FILE not found: run '$0 up $DIR' first"
    read_env_ports
    local part
    for part in pg redis "${SERVICES[@]}" "${EXTRA_PARTS[@]}"; do
        PORT[$part]=${OLD_PORT[$part]:-}
    done
    [[ -n ${PORT[pg]} && -n ${PORT[redis]} ]] || die "$ENV_FILE lacks CRMQ_PG_URL or CRMQ_REDIS_URL"
    # the company's zone the stack was started in, unless given now (said:
    # services in two zones disagree on what a day is)
    local zone
    zone=$(sed -n "s/^export CRMQ_TIME_ZONE='\(.*\)'\$/\1/p" "$ENV_FILE")
    if [[ -z ${CRMQ_TIME_ZONE:-} ]]; then
        if [[ -n $zone ]]; then export CRMQ_TIME_ZONE=$zone; fi
    elif [[ $CRMQ_TIME_ZONE != "${zone:-UTC}" ]]; then
        echo "stack.sh: warning: CRMQ_TIME_ZONE=$CRMQ_TIME_ZONE, but the stack in $DIR runs in" \
             "${zone:-UTC}; services started now use $CRMQ_TIME_ZONE" >&2
    fi
    export_env
}

# --------------------------------------------------------------------------
# PostgreSQL

# Makes every folder from / down to DIR traversable by the postgres user.
pg_fix_traversal() {
    is_root || return 0
    local d=$DIR
    while [[ -n $d && $d != / ]]; do
        if ! as_pg test -x "$d" 2>/dev/null; then
            say "making $d traversable (o+x) for the postgres user"
            chmod o+x "$d" || die "cannot chmod o+x $d; use a DIR the postgres user can reach"
        fi
        d=$(dirname "$d")
    done
}

pg_init() {
    if is_root; then
        getent passwd postgres >/dev/null ||
            die "user postgres does not exist (install the postgresql package: deploy/install-deps.sh)"
    fi
    pg_fix_traversal
    touch "$LOG_DIR/postgresql.log"
    if is_root; then chown postgres "$LOG_DIR/postgresql.log"; fi
    if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
        # a half-made cluster from an interrupted initdb is thrown away
        rm -rf -- "$PGDATA_DIR"
        mkdir -m 700 -- "$PGDATA_DIR"
        if is_root; then chown postgres: "$PGDATA_DIR"; fi
        say "initdb $PGDATA_DIR"
        if ! as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U crmq -A trust -E UTF8 --locale=C.UTF-8 \
                >"$LOG_DIR/initdb.log" 2>&1; then
            show_log "$LOG_DIR/initdb.log"
            die "initdb failed"
        fi
        printf "\ninclude_if_exists = 'crmq.conf'\n" | as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
        # trust, on 127.0.0.1 only; no unix socket, no ::1
        as_pg tee "$PGDATA_DIR/pg_hba.conf" >/dev/null <<'EOF'
# written by crmq deploy/stack.sh: trust on 127.0.0.1 only
# TYPE  DATABASE  USER  ADDRESS        METHOD
host    all       all   127.0.0.1/32   trust
EOF
    fi
    as_pg tee "$PGDATA_DIR/crmq.conf" >/dev/null <<EOF
# written by crmq deploy/stack.sh on each up
listen_addresses = '127.0.0.1'
port = ${PORT[pg]}
unix_socket_directories = ''
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
timezone = 'UTC'
log_timezone = 'UTC'
# tables here grow from nothing to thousands of rows in seconds (imports,
# tests): fresh statistics keep the planner off plans made for empty tables
autovacuum_naptime = 5s
${CRMQ_STACK_PG_SETTINGS:-}
EOF
}

pg_start() {
    if pg_running; then
        say "PostgreSQL already running on 127.0.0.1:${PORT[pg]}"
    else
        pg_init
        # a stale postmaster.pid after a crash is handled by postgres itself
        say "starting PostgreSQL on 127.0.0.1:${PORT[pg]}"
        if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_DIR/postgresql.log" \
                -w -t "$TIMEOUT" start >/dev/null 2>"$LOG_DIR/pg_ctl.log" 9>&-; then
            show_log "$LOG_DIR/pg_ctl.log" 10
            show_log "$LOG_DIR/postgresql.log"
            die "PostgreSQL did not start"
        fi
    fi
    local psql=("$PGBIN/psql" -X -q -h 127.0.0.1 -p "${PORT[pg]}" -U crmq -v ON_ERROR_STOP=1)
    local exists
    exists=$("${psql[@]}" -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'crmq'" 2>&1) || {
        say "$exists"; show_log "$LOG_DIR/postgresql.log"; die "cannot connect to PostgreSQL"; }
    if [[ $exists != 1 ]]; then
        say "createdb crmq (UTF8, C.UTF-8)"
        "$PGBIN/createdb" -h 127.0.0.1 -p "${PORT[pg]}" -U crmq -E UTF8 --locale=C.UTF-8 \
            -T template0 crmq || { show_log "$LOG_DIR/postgresql.log"; die "createdb crmq failed"; }
    fi
}

pg_stop() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] || return 0
    if pg_running; then
        say "stopping PostgreSQL"
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null ||
            { show_log "$LOG_DIR/postgresql.log" 20; say "warning: pg_ctl stop failed"; return 1; }
    fi
}

# --------------------------------------------------------------------------
# Redis

redis_start() {
    if redis_running; then
        say "Redis already running on 127.0.0.1:${PORT[redis]}"
        return 0
    fi
    command -v redis-server >/dev/null || die "redis-server not found (run deploy/install-deps.sh)"
    mkdir -p "$DIR/redis"
    rm -f "$DIR/redis.pid"
    cat >"$DIR/redis.conf" <<EOF
# written by crmq deploy/stack.sh on each up; nothing in Redis is durable
bind 127.0.0.1
port ${PORT[redis]}
protected-mode yes
save ""
appendonly no
dir $DIR/redis
daemonize yes
pidfile $DIR/redis.pid
logfile $LOG_DIR/redis.log
EOF
    say "starting Redis on 127.0.0.1:${PORT[redis]}"
    redis-server "$DIR/redis.conf" >>"$LOG_DIR/redis.log" 2>&1 9>&- || {
        show_log "$LOG_DIR/redis.log"; die "redis-server failed to start"; }
    local deadline=$((SECONDS + TIMEOUT))
    until redis_ping; do
        if ((SECONDS >= deadline)); then
            show_log "$LOG_DIR/redis.log"; die "Redis did not answer on port ${PORT[redis]} within ${TIMEOUT}s"
        fi
        sleep 0.1
    done
}

redis_ping() {
    if command -v redis-cli >/dev/null; then
        [[ $(redis-cli -h 127.0.0.1 -p "${PORT[redis]}" ping 2>/dev/null) == PONG ]]
    else
        port_answers "${PORT[redis]}"
    fi
}

redis_stop() {
    if redis_running; then
        say "stopping Redis"
        stop_pid "$(read_pid "$DIR/redis.pid")" redis-server
    fi
    rm -f "$DIR/redis.pid"
}

# --------------------------------------------------------------------------
# Services

# SIGTERM, wait up to STOP_WAIT s, then SIGKILL.  Returns 0 when it stopped on
# SIGTERM.
stop_pid() {
    local pid=$1 what=$2 i
    pid_matches "$pid" "$what" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < STOP_WAIT * 10; i++)); do
        pid_matches "$pid" "$what" || return 0
        sleep 0.1
    done
    say "warning: $what (pid $pid) did not stop within ${STOP_WAIT}s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        pid_matches "$pid" "$what" || break
        sleep 0.1
    done
    return 1
}

check_binaries() {
    local missing=() s
    [[ -x $CLI ]] || missing+=("$CLI")
    for s in "${SERVICES[@]}"; do
        [[ -x $BUILD_DIR/bin/crmq-$s ]] || missing+=("$BUILD_DIR/bin/crmq-$s")
    done
    ((${#missing[@]} == 0)) || die "not built: ${missing[*]} (run make, or set BUILD)"
}

run_migrate() {
    say "migrate: $CLI migrate"
    {
        echo "=== $(date -u +%FT%TZ) crmq migrate"
    } >>"$LOG_DIR/migrate.log"
    if ! "$CLI" migrate </dev/null >>"$LOG_DIR/migrate.log" 2>&1; then
        show_log "$LOG_DIR/migrate.log"
        show_log "$LOG_DIR/postgresql.log" 20
        die "crmq migrate failed"
    fi
}

service_start() {
    local name=$1 bin=$BUILD_DIR/bin/crmq-$1 pidfile
    pidfile=$(service_pid_file "$name")
    if service_running "$name"; then
        say "crmq-$name already running (pid $(read_pid "$pidfile"))"
        return 0
    fi
    [[ -x $bin ]] || die "$bin not built"
    [[ -n ${PORT[$name]:-} ]] || die "no port for $name in $ENV_FILE"
    local var
    var=$(endpoint_var "$name")
    say "starting crmq-$name on ${!var}"
    rm -f "$pidfile"
    printf '=== %s start %s\n' "$(date -u +%FT%TZ)" "$bin" >>"$LOG_DIR/$name.log"
    # setsid: own session, so a Ctrl-C meant for a test run does not reach it;
    # the child writes its own pid, then execs the service under that pid;
    # 9>&- keeps the stack lock (fd 9) out of the long-lived process.
    # shellcheck disable=SC2016  # $$ and $@ are the inner sh's
    # CRMQ_SERVICE_WRAPPER (e.g. "valgrind --leak-check=full") runs the service
    # under a tool; it is split on spaces.
    local -a wrapper=()
    read -r -a wrapper <<<"${CRMQ_SERVICE_WRAPPER:-}"
    setsid sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$pidfile" "${wrapper[@]}" "$bin" \
        </dev/null >>"$LOG_DIR/$name.log" 2>&1 9>&- &
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s $pidfile ]] && break
        sleep 0.05
    done
}

cli_has_ping() {
    if [[ -z ${CLI_PING:-} ]]; then
        CLI_PING=0
        if [[ -x $CLI ]] && { "$CLI" --help 2>&1; "$CLI" help 2>&1; } </dev/null | grep -qw ping; then
            CLI_PING=1
        fi
    fi
    ((CLI_PING))
}

# Waits until the service answers `crmq ping NAME` (or, while the CLI has no
# ping command, until its port accepts connections).
service_wait() {
    local name=$1 var deadline pid out
    var=$(endpoint_var "$name")
    deadline=$((SECONDS + TIMEOUT))
    while :; do
        if ! service_running "$name"; then
            show_log "$LOG_DIR/$name.log"
            die "crmq-$name exited during start-up"
        fi
        if port_answers "${PORT[$name]}"; then
            if ! cli_has_ping; then
                break
            fi
            if out=$(CRMQ_RPC_TIMEOUT_MS=1000 CRMQ_RPC_RETRIES=0 timeout 10 "$CLI" ping "$name" </dev/null 2>&1); then
                break
            fi
        fi
        if ((SECONDS >= deadline)); then
            [[ -n ${out:-} ]] && say "last 'crmq ping $name': $out"
            show_log "$LOG_DIR/$name.log"
            die "crmq-$name did not answer on ${!var} within ${TIMEOUT}s"
        fi
        sleep 0.2
    done
    pid=$(read_pid "$(service_pid_file "$name")")
    say "crmq-$name answers on ${!var} (pid $pid)"
}

service_stop() {
    local name=$1 pid pidfile
    pidfile=$(service_pid_file "$name")
    pid=$(read_pid "$pidfile")
    if [[ -n $pid ]] && pid_matches "$pid" "crmq-$name"; then
        say "stopping crmq-$name (pid $pid)"
        stop_pid "$pid" "crmq-$name" || true
    fi
    rm -f "$pidfile"
}

valid_service() {
    local s
    for s in "${SERVICES[@]}"; do [[ $1 == "$s" ]] && return 0; done
    die "unknown service '$1' (one of: ${SERVICES[*]})"
}

# --------------------------------------------------------------------------
# Commands

lock_dir() {
    exec 9>"$DIR/.lock"
    flock -w 120 9 || die "another stack.sh holds $DIR/.lock"
}

cmd_up() {
    local infra_only=0 arg
    for arg in "$@"; do
        case $arg in
            --infra-only) infra_only=1 ;;
            *) die "up: unknown option $arg" ;;
        esac
    done
    resolve_build
    pg_bindir
    ((infra_only)) || check_binaries
    set_dir "$DIR" 1
    mkdir -p "$LOG_DIR"
    chmod 755 "$LOG_DIR"    # postgres writes log/postgresql.log
    lock_dir
    choose_ports "$infra_only"
    export_env
    write_env
    pg_start
    redis_start
    if ((!infra_only)); then
        run_migrate
        local s
        for s in "${SERVICES[@]}"; do service_start "$s"; done
        for s in "${SERVICES[@]}"; do service_wait "$s"; done
    fi
    write_env
    say "stack is up in $DIR"
    say "  PostgreSQL $CRMQ_PG_URL   Redis $CRMQ_REDIS_URL"
    if ((!infra_only)); then
        say "  bus $CRMQ_BUS_ENDPOINT (events $CRMQ_BUS_PUB_ENDPOINT)   contacts $CRMQ_CONTACTS_ENDPOINT   sales $CRMQ_SALES_ENDPOINT"
        say "  analytics $CRMQ_ANALYTICS_ENDPOINT   scheduler ${CRMQ_SCHEDULER_ENDPOINT:-}   notify ${CRMQ_NOTIFY_ENDPOINT:-}"
        say "  notify $CRMQ_NOTIFY_ENDPOINT"
    fi
    say "  use it:  . $ENV_FILE"
}

cmd_down() {
    local purge=0 arg
    for arg in "$@"; do
        case $arg in
            --purge) purge=1 ;;
            *) die "down: unknown option $arg" ;;
        esac
    done
    if [[ ! -d $DIR ]]; then
        say "$DIR does not exist; nothing to stop"
        return 0
    fi
    # refuse to purge (or lock) anything that does not look like a stack folder
    if [[ $DIR == / || $DIR == "${HOME:-/}" || $DIR == "$ROOT" ]] ||
       [[ ! -e $DIR/env && ! -e $DIR/pg && ! -e $DIR/redis.conf && ! -e $DIR/log ]]; then
        ((purge)) && die "refusing to purge $DIR: not a crmq stack folder"
        say "$DIR is not a crmq stack folder; nothing to stop"
        return 0
    fi
    pg_bindir
    lock_dir
    local s rc=0
    # SIGTERM to all services at once, then wait for each
    for s in "${SERVICES[@]}"; do
        local pid
        pid=$(read_pid "$(service_pid_file "$s")")
        if [[ -n $pid ]] && pid_matches "$pid" "crmq-$s"; then
            say "stopping crmq-$s (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for s in "${SERVICES[@]}"; do
        local pid
        pid=$(read_pid "$(service_pid_file "$s")")
        if [[ -n $pid ]]; then
            stop_pid "$pid" "crmq-$s" || rc=1
            rm -f "$(service_pid_file "$s")"
        fi
    done
    redis_stop
    pg_stop || rc=1
    if ((purge)); then
        say "removing $DIR"
        exec 9>&-
        rm -rf -- "$DIR"
    fi
    say "stack in $DIR is down"
    ((rc == 0)) || say "(some part needed SIGKILL or failed to stop cleanly)"
    return 0
}

cmd_status() {
    local all=0 s pid
    pg_bindir
    if pg_running; then
        printf 'postgresql  running  127.0.0.1:%s  pid %s\n' \
            "$(sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null)" "$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null)"
    else
        printf 'postgresql  stopped\n'; all=3
    fi
    read_env_ports
    if redis_running; then
        printf 'redis       running  127.0.0.1:%s  pid %s\n' "${OLD_PORT[redis]:-?}" "$(read_pid "$DIR/redis.pid")"
    else
        printf 'redis       stopped\n'; all=3
    fi
    for s in "${SERVICES[@]}"; do
        if service_running "$s"; then
            pid=$(read_pid "$(service_pid_file "$s")")
            printf '%-11s running  127.0.0.1:%s  pid %s\n' "$s" "${OLD_PORT[$s]:-?}" "$pid"
        else
            printf '%-11s stopped\n' "$s"; all=3
        fi
    done
    return "$all"
}

cmd_service() {
    local action=$1 name=${2:-}
    [[ -n $name ]] || usage
    valid_service "$name"
    [[ -d $DIR ]] || die "$DIR does not exist"
    resolve_build
    lock_dir
    load_env
    case $action in
        stop-service) service_stop "$name" ;;
        start-service) service_start "$name"; service_wait "$name" ;;
        restart-service) service_stop "$name"; service_start "$name"; service_wait "$name" ;;
    esac
}

main() {
    case ${1:-} in -h | --help | help) usage 0 ;; esac
    (($# >= 2)) || usage
    local cmd=$1 dir=$2
    shift 2
    case $cmd in
        up) set_dir "$dir"; cmd_up "$@" ;;
        down) set_dir "$dir"; cmd_down "$@" ;;
        status) set_dir "$dir"; [[ -d $DIR ]] || die "$DIR does not exist"; cmd_status ;;
        start-service | stop-service | restart-service) set_dir "$dir"; cmd_service "$cmd" "$@" ;;
        *) say "unknown command '$cmd'"; usage ;;
    esac
}

main "$@"
