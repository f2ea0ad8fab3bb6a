#!/usr/bin/env bash
# bench/load.sh: measure what aigw adds in front of an upstream, side by side
# with nginx as the floor of a plain reverse proxy (issue 6).
#
# Four targets share one fake upstream (`aigw mock`):
#   direct  the mock itself
#   nginx   nginx proxy_pass with upstream keep-alive, nothing else
#   floor   bench/floorproxy: Gin + net/http + pkg/h1 forwarding bytes, no
#           gateway work; the least a proxy on aigw's prescribed stack costs
#   floornet  the same floor on net/http's Transport instead of internal/h1
#           (throughput tests only): what h1 saves, measured in the same run
#   aigw    aigw serve: auth, routing, key pool, usage capture, SQLite log ON
#   aigwkey   the same aigw, called with a client key that has rpm, tpm and a
#           monthly budget (non-stream test only): what client checks cost
#   aigwredis a second aigw whose client limits live in Redis (its own
#           redis-server), same client key kind: the cost with Redis, and the
#           Redis commands per request (README, "客户端密钥", "多实例")
# Each test runs the targets interleaved (A B C, A B C, ...) because this
# machine's speed drifts between runs; only ratios within one run mean much.
#
# Everything listens on 127.0.0.1, every process this script starts is killed
# on exit, and the whole run is bounded by MAX_SECONDS.
#
# Usage: bench/load.sh            (from anywhere; needs Go, root or sudo for apt)
# Tunables (environment):
#   ROUNDS=3 DURATION=4 CONNS=32       rounds, seconds per wrk run, connections
#   RATE=1000 RATE_DURATION=10         vegeta fixed-rate latency test
#   BIG_RATE=50 BIG_DURATION=3         vegeta with a 1 MB body
#   SLOW_STREAMS=500 SLOW_DELAY=100ms SLOW_DURATION=10   slow-stream memory test
#   BASE_PORT=18080 MAX_SECONDS=780    ports BASE_PORT..+7; hard time limit
#   AIGW_BENCH_TOOLS=/tmp/aigw-bench-tools   where vegeta is installed if missing
#   KEEP=1                              keep the temp folder (configs, logs, raw results)
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-4}
CONNS=${CONNS:-32}
RATE=${RATE:-1000}
RATE_DURATION=${RATE_DURATION:-10}
BIG_RATE=${BIG_RATE:-50}
BIG_DURATION=${BIG_DURATION:-3}
SLOW_STREAMS=${SLOW_STREAMS:-500}
SLOW_DELAY=${SLOW_DELAY:-100ms}
SLOW_DURATION=${SLOW_DURATION:-10}
BASE_PORT=${BASE_PORT:-18080}
MAX_SECONDS=${MAX_SECONDS:-780}
VEGETA_VERSION=${VEGETA_VERSION:-v12.13.0}
TOOLS=${AIGW_BENCH_TOOLS:-${TMPDIR:-/tmp}/aigw-bench-tools}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aigw-load.XXXXXX")
RESULTS=$WORK/results.tsv
: >"$RESULTS"

MOCK_PORT=$BASE_PORT
NGINX_PORT=$((BASE_PORT + 1))
AIGW_PORT=$((BASE_PORT + 2))
SLOW_PORT=$((BASE_PORT + 3))
FLOOR_PORT=$((BASE_PORT + 4))
FLOORNET_PORT=$((BASE_PORT + 5))
AIGWR_PORT=$((BASE_PORT + 6))
REDIS_PORT=$((BASE_PORT + 7))
CLIENT_KEY=sk-bench-client-key
CLK_TCK=$(getconf CLK_TCK)

PIDS=()
NGINX_PID=""
AIGW_PID=""
WATCHDOG=""

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $WATCHDOG ]]; then kill "$WATCHDOG" 2>/dev/null || true; fi
	# Only the processes started here, by pid; nginx's master takes its
	# workers down with it.
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [[ ${KEEP:-0} == 1 ]]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'log "time limit of ${MAX_SECONDS}s reached"; exit 124' TERM

# The watchdog bounds the whole run, whatever hangs. Its sleep is killed
# with it, so nothing of this script outlives the run.
(
	sleep "$MAX_SECONDS" &
	sleeper=$!
	trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
	wait "$sleeper" && kill -TERM $$ 2>/dev/null
) &
WATCHDOG=$!

# ---------------------------------------------------------------- tools

as_root() {
	if [[ $(id -u) == 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

apt_install() {
	log "installing $* from the Debian packages"
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >"$WORK/apt.log" 2>&1; then
		as_root apt-get update >>"$WORK/apt.log" 2>&1
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$WORK/apt.log" 2>&1 ||
			die "apt-get install $* failed (see $WORK/apt.log; KEEP=1 keeps it)"
	fi
}

# nginx lives in /usr/sbin, which is not on every user's PATH.
NGINX=$(command -v nginx || true)
[[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
if [[ -z $NGINX ]]; then
	# Only the binary is used: this script runs its own nginx in the
	# foreground under a private prefix, never the system service.
	apt_install nginx
	NGINX=/usr/sbin/nginx
fi
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
VEGETA=$(command -v vegeta || true)
if [[ -z $VEGETA ]]; then
	# Debian has no vegeta package: build it with Go into a tools folder
	# kept between runs.
	VEGETA=$TOOLS/vegeta
	if [[ ! -x $VEGETA ]]; then
		log "installing vegeta $VEGETA_VERSION with go install into $TOOLS"
		mkdir -p "$TOOLS"
		GOBIN=$TOOLS GOFLAGS=-mod=mod go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >"$WORK/vegeta-install.log" 2>&1 ||
			die "go install vegeta failed (see $WORK/vegeta-install.log)"
	fi
fi

# Every server needs a descriptor per connection (500 slow streams mean
# 1000 for aigw: client side and upstream side).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---------------------------------------------------------------- /proc helpers

# rss_kib PID...: VmRSS summed over the pids, in KiB.
rss_kib() {
	local sum=0 pid v
	for pid in "$@"; do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# hwm_kib PID...: VmHWM (peak RSS) summed over the pids, in KiB.
hwm_kib() {
	local sum=0 pid v
	for pid in "$@"; do
		v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# cpu_ticks PID...: utime+stime summed over the pids, in clock ticks. The
# command name in /proc/PID/stat may hold spaces, so fields are counted
# after its closing parenthesis (utime and stime are fields 14 and 15).
cpu_ticks() {
	local sum=0 pid rest
	local -a f
	for pid in "$@"; do
		rest=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
		read -r -a f <<<"$rest"
		sum=$((sum + f[11] + f[12]))
	done
	echo "$sum"
}

# nginx_pids: the master and its workers.
nginx_pids() {
	local p
	echo "$NGINX_PID"
	for p in /proc/[0-9]*; do
		[[ $(awk '{print $4}' "$p/stat" 2>/dev/null) == "$NGINX_PID" ]] && echo "${p#/proc/}"
	done
	return 0
}

# goroutines: aigw's go_goroutines gauge from GET /metrics, or "n/a".
goroutines() {
	local v
	v=$(curl -fsS --max-time 5 "http://127.0.0.1:$AIGW_PORT/metrics" 2>/dev/null | awk '$1 == "go_goroutines" {print $2}') || true
	echo "${v:-n/a}"
}

wait_port() {
	local port=$1 name=$2
	for _ in $(seq 100); do
		if (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "$name did not listen on 127.0.0.1:$port"
}

# ---------------------------------------------------------------- build and start

# A port taken by another process would be measured in place of ours
# (wait_port only sees that something listens): refuse to start.
for port in $(seq "$BASE_PORT" $((BASE_PORT + 7))); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		die "127.0.0.1:$port is already in use by another process; stop it or choose BASE_PORT"
	fi
done

log "building aigw"
AIGW=$WORK/bin/aigw
(cd "$ROOT" && go build -o "$AIGW" . && go build -o "$WORK/bin/floorproxy" ./bench/floorproxy) || die "go build failed"

"$AIGW" mock --listen "127.0.0.1:$MOCK_PORT" --chunks 20 >"$WORK/mock.log" 2>&1 &
PIDS+=($!)
"$AIGW" mock --listen "127.0.0.1:$SLOW_PORT" --chunks 20 --chunk-delay "$SLOW_DELAY" >"$WORK/mock-slow.log" 2>&1 &
PIDS+=($!)
wait_port "$MOCK_PORT" mock
wait_port "$SLOW_PORT" "slow mock"

# nginx: what a plain reverse proxy costs. Upstream keep-alive (HTTP/1.1,
# no Connection header) as any production proxy has; proxy_buffering off so
# SSE events pass through as they come, the same contract aigw keeps; one
# worker per core; bodies up to 2 MiB stay in memory.
mkdir -p "$WORK/nginx/logs"
chmod 755 "$WORK" "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    upstream mock { server 127.0.0.1:$MOCK_PORT; keepalive 128; }
    upstream slowmock { server 127.0.0.1:$SLOW_PORT; keepalive 128; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        client_max_body_size 64m;
        client_body_buffer_size 2m;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;
        proxy_read_timeout 300s;
        location /slow/ { proxy_pass http://slowmock/; }
        location / { proxy_pass http://mock; }
    }
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" -g 'daemon off;' &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_port "$NGINX_PORT" nginx

"$WORK/bin/floorproxy" --listen "127.0.0.1:$FLOOR_PORT" --upstream "http://127.0.0.1:$MOCK_PORT" >"$WORK/floorproxy.log" 2>&1 &
FLOOR_PID=$!
PIDS+=("$FLOOR_PID")
wait_port "$FLOOR_PORT" floorproxy

"$WORK/bin/floorproxy" --transport nethttp --listen "127.0.0.1:$FLOORNET_PORT" --upstream "http://127.0.0.1:$MOCK_PORT" >"$WORK/floornet.log" 2>&1 &
FLOORNET_PID=$!
PIDS+=("$FLOORNET_PID")
wait_port "$FLOORNET_PORT" "floorproxy (net/http)"

# aigw: auth on, a three-key round-robin pool, aliases, the SQLite log on
# (in the temp folder), and a second provider on the slow mock.
mkdir -p "$WORK/aigw"
cat >"$WORK/aigw/redirect.toml" <<EOF
[aliases]
"gpt-bench" = "mock-openai/mock-gpt-4o"
"claude-bench" = "mock-claude/claude-mock-sonnet-4-5"
EOF
cat >"$WORK/aigw/aigw.toml" <<EOF
[server]
listen = "127.0.0.1:$AIGW_PORT"
redirect_file = "redirect.toml"
shutdown_grace = "2s"

[auth]
keys = ["$CLIENT_KEY"]

[database]
driver = "sqlite"
dsn = "$WORK/aigw/data/aigw.db"

[logging]
level = "warn"

[[providers]]
name = "mock-openai"
type = "openai"
base_url = "http://127.0.0.1:$MOCK_PORT/v1"
api_keys = "mock-key-1,mock-key-2,mock-key-3"
strategy = "round_robin"
models = ["mock-gpt-4o"]

[[providers]]
name = "mock-claude"
type = "anthropic"
base_url = "http://127.0.0.1:$MOCK_PORT"
api_keys = ["mock-key-a"]
models = ["claude-mock-sonnet-4-5"]

[[providers]]
name = "slow"
type = "openai"
base_url = "http://127.0.0.1:$SLOW_PORT/v1"
api_keys = "slow-key"

# The same mock as a chat-only service for the Responses API (converted).
[[providers]]
name = "mock-chat"
type = "openai"
base_url = "http://127.0.0.1:$MOCK_PORT/v1"
api_keys = "mock-key-1"
models = ["mock-gpt-4o"]
responses = "chat"
EOF
(cd "$WORK/aigw" && exec "$AIGW" serve -c "$WORK/aigw/aigw.toml" >"$WORK/aigw/serve.log" 2>&1) &
AIGW_PID=$!
PIDS+=("$AIGW_PID")
wait_port "$AIGW_PORT" aigw
# Idle as started: before any request has grown the heap.
sleep 1
FRESH_AIGW=$(rss_kib "$AIGW_PID")
mapfile -t NGX < <(nginx_pids)
FRESH_NGINX=$(rss_kib "${NGX[@]}")

# client_key DIR: a client with every limit set (high enough never to
# refuse) in that instance's database; prints its key.
client_key() {
	(cd "$1" && "$AIGW" clients create bench --models 'mock-*' --rpm 100000000 --tpm 100000000000 \
		--budget 1000000000 --period month -c aigw.toml --json) | sed -n 's/.*"key": *"\([^"]*\)".*/\1/p'
}
LIMITED_KEY=$(client_key "$WORK/aigw")
[[ $LIMITED_KEY == sk-aigw-* ]] || die "aigw clients create gave no key"

# The Redis instance: its own redis-server, so its command count is this
# run's alone.
command -v redis-server >/dev/null || apt_install redis-server
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_port "$REDIS_PORT" redis-server
mkdir -p "$WORK/aigwredis"
cp "$WORK/aigw/redirect.toml" "$WORK/aigwredis/"
sed -e "s#127.0.0.1:$AIGW_PORT\"#127.0.0.1:$AIGWR_PORT\"#" -e "s#$WORK/aigw/data#$WORK/aigwredis/data#" \
	"$WORK/aigw/aigw.toml" >"$WORK/aigwredis/aigw.toml"
printf '\n[redis]\nurl = "redis://127.0.0.1:%s/0"\n' "$REDIS_PORT" >>"$WORK/aigwredis/aigw.toml"
(cd "$WORK/aigwredis" && exec "$AIGW" serve -c "$WORK/aigwredis/aigw.toml" >"$WORK/aigwredis/serve.log" 2>&1) &
AIGWR_PID=$!
PIDS+=("$AIGWR_PID")
wait_port "$AIGWR_PORT" "aigw (redis)"
REDIS_KEY=$(client_key "$WORK/aigwredis")
[[ $REDIS_KEY == sk-aigw-* ]] || die "aigw clients create gave no key (redis instance)"
# Running servers load new clients within 2 s (1 s with Redis).
sleep 2.5

# redis_counts: the script calls (EVALSHA/EVAL: the admission, one round
# trip on the request path) and all commands (those run inside scripts and
# the pipelined settlement after the answer included) the bench's
# redis-server has processed, as "scripts commands".
redis_counts() {
	redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' | awk -F'[:=,]' '
		/^cmdstat_/ {all += $3; if ($1 ~ /^cmdstat_eval/) scripts += $3}
		END {printf "%d %d\n", scripts, all}'
}

# ---------------------------------------------------------------- requests

# The ~330-byte chat body of the issue; aigw gets the same body with a
# provider-prefixed model, so it resolves the route and rewrites the model.
CHAT='{"model":"mock-gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},{"role":"user","content":"Write one sentence about what an AI gateway does between a client and an upstream model provider, and why it should add little latency."}],"max_tokens":128,"temperature":0.2,"user":"bench"}'
MSGS='{"model":"claude-mock-sonnet-4-5","system":"You are a helpful assistant. Answer briefly.","messages":[{"role":"user","content":"Write one sentence about what an AI gateway does between a client and an upstream model provider, and why it should add little latency."}],"max_tokens":128,"temperature":0.2}'
stream_of() { echo "${1/\"max_tokens\"/\"stream\":true,\"max_tokens\"}"; }
# model_of BODY MODEL: BODY (which starts with {"model":"...") with MODEL.
model_of() {
	local rest=${1#\{\"model\":\"*\"}
	echo "{\"model\":\"$2\"$rest"
}

B=$WORK/bodies
mkdir -p "$B"
printf '%s' "$CHAT" >"$B/chat.json"
printf '%s' "$(model_of "$CHAT" mock-openai/mock-gpt-4o)" >"$B/chat-aigw.json"
printf '%s' "$(stream_of "$CHAT")" >"$B/stream.json"
printf '%s' "$(stream_of "$(model_of "$CHAT" mock-openai/mock-gpt-4o)")" >"$B/stream-aigw.json"
printf '%s' "$MSGS" >"$B/msgs.json"
printf '%s' "$(stream_of "$MSGS")" >"$B/msgs-stream.json"
printf '%s' "$(model_of "$CHAT" mock-claude/claude-mock-sonnet-4-5)" >"$B/convert.json"
printf '%s' "$(stream_of "$(model_of "$CHAT" mock-claude/claude-mock-sonnet-4-5)")" >"$B/convert-stream.json"
printf '%s' "$(stream_of "$(model_of "$CHAT" slow/mock-gpt-4o)")" >"$B/slow-aigw.json"
# The chat request as a Responses API request, streamed: the upstream gets
# the same chat request and streams the same 20 chunks as stream/aigw.
printf '%s' '{"model":"mock-chat/mock-gpt-4o","instructions":"You are a helpful assistant. Answer briefly.","input":[{"role":"user","content":"Write one sentence about what an AI gateway does between a client and an upstream model provider, and why it should add little latency."}],"max_output_tokens":128,"temperature":0.2,"user":"bench","stream":true,"store":false}' >"$B/responses-aigw.json"
# A ~1 MiB chat body: a long conversation, as an agent sends with files in it.
big_body() {
	local line i
	line=$(printf 'func f(x int) int { return x * 2 } // padding line of source code\\n%.0s' $(seq 16))
	printf '{"model":"%s","messages":[{"role":"system","content":"You review code."}' "$1"
	for i in $(seq 950); do
		printf ',{"role":"user","content":"%s %d"},{"role":"assistant","content":"ok"}' "$line" "$i"
	done
	printf '],"max_tokens":64}'
}
big_body mock-gpt-4o >"$B/big.json"
big_body mock-openai/mock-gpt-4o >"$B/big-aigw.json"

url_of() {
	case $1 in
	direct) echo "http://127.0.0.1:$MOCK_PORT" ;;
	nginx) echo "http://127.0.0.1:$NGINX_PORT" ;;
	floor) echo "http://127.0.0.1:$FLOOR_PORT" ;;
	floornet) echo "http://127.0.0.1:$FLOORNET_PORT" ;;
	aigw | aigwkey) echo "http://127.0.0.1:$AIGW_PORT" ;;
	aigwredis) echo "http://127.0.0.1:$AIGWR_PORT" ;;
	esac
}

# Header lines per target and protocol: the upstream's own key for direct,
# nginx and floor, the gateway's client key for aigw.
headers_of() {
	local target=$1 proto=$2
	if [[ $target == aigw ]]; then
		echo "Authorization: Bearer $CLIENT_KEY"
	elif [[ $target == aigwkey ]]; then
		echo "Authorization: Bearer $LIMITED_KEY"
	elif [[ $target == aigwredis ]]; then
		echo "Authorization: Bearer $REDIS_KEY"
	elif [[ $proto == anthropic ]]; then
		printf '%s\n' "x-api-key: mock-key-a" "anthropic-version: 2023-06-01"
	else
		echo "Authorization: Bearer mock-key-1"
	fi
}

# A test case: target, path, body file, protocol, and the text every
# answer must contain (checked once with curl before the load).
declare -A CASE_PATH CASE_BODY CASE_PROTO CASE_WANT
add_case() { CASE_PATH[$1]=$2 CASE_BODY[$1]=$3 CASE_PROTO[$1]=$4 CASE_WANT[$1]=$5; }
add_case nonstream/direct /v1/chat/completions chat.json openai '"usage"'
add_case nonstream/nginx /v1/chat/completions chat.json openai '"usage"'
add_case nonstream/floor /v1/chat/completions chat.json openai '"usage"'
add_case nonstream/floornet /v1/chat/completions chat.json openai '"usage"'
add_case nonstream/aigw /v1/chat/completions chat-aigw.json openai '"usage"'
add_case nonstream/aigwkey /v1/chat/completions chat-aigw.json openai '"usage"'
add_case nonstream/aigwredis /v1/chat/completions chat-aigw.json openai '"usage"'
add_case stream/direct /v1/chat/completions stream.json openai '[DONE]'
add_case stream/nginx /v1/chat/completions stream.json openai '[DONE]'
add_case stream/floor /v1/chat/completions stream.json openai '[DONE]'
add_case stream/floornet /v1/chat/completions stream.json openai '[DONE]'
add_case stream/aigw /v1/chat/completions stream-aigw.json openai '[DONE]'
# Conversion: aigw turns an OpenAI request into an Anthropic one and back;
# the reference is the same request sent in Anthropic's shape directly.
add_case convert/direct /v1/messages msgs.json anthropic '"usage"'
add_case convert/nginx /v1/messages msgs.json anthropic '"usage"'
add_case convert/floor /v1/messages msgs.json anthropic '"usage"'
add_case convert/floornet /v1/messages msgs.json anthropic '"usage"'
add_case convert/aigw /v1/chat/completions convert.json openai '"usage"'
add_case convert-stream/direct /v1/messages msgs-stream.json anthropic 'message_stop'
add_case convert-stream/nginx /v1/messages msgs-stream.json anthropic 'message_stop'
add_case convert-stream/floor /v1/messages msgs-stream.json anthropic 'message_stop'
add_case convert-stream/floornet /v1/messages msgs-stream.json anthropic 'message_stop'
add_case convert-stream/aigw /v1/chat/completions convert-stream.json openai '[DONE]'
# Responses API converted to Chat Completions (aigw only: the mock has no
# /v1/responses); compared with stream/aigw, the same upstream stream.
add_case responses-stream/aigw /v1/responses responses-aigw.json openai 'response.completed'
add_case big/direct /v1/chat/completions big.json openai '"usage"'
add_case big/nginx /v1/chat/completions big.json openai '"usage"'
add_case big/floor /v1/chat/completions big.json openai '"usage"'
add_case big/aigw /v1/chat/completions big-aigw.json openai '"usage"'

check_case() {
	local c=$1 target=${1#*/} out hdr
	local -a args=(-sS --max-time 10 -o "$WORK/check.out" -w '%{http_code}' -H 'Content-Type: application/json')
	while IFS= read -r hdr; do args+=(-H "$hdr"); done < <(headers_of "$target" "${CASE_PROTO[$c]}")
	out=$(curl "${args[@]}" --data-binary "@$B/${CASE_BODY[$c]}" "$(url_of "$target")${CASE_PATH[$c]}") || die "$c: curl failed"
	[[ $out == 200 ]] || die "$c: status $out: $(head -c 300 "$WORK/check.out")"
	grep -qF -- "${CASE_WANT[$c]}" "$WORK/check.out" || die "$c: answer lacks ${CASE_WANT[$c]}: $(head -c 300 "$WORK/check.out")"
}

# wrk script per case: POST the body file; done() prints one machine-
# readable line (wrk's own summary is for people).
lua_of() {
	local c=$1 target=${1#*/} f hdr
	f=$WORK/lua/${c//\//-}.lua
	if [[ ! -f $f ]]; then
		mkdir -p "$WORK/lua"
		{
			echo 'wrk.method = "POST"'
			echo 'wrk.headers["Content-Type"] = "application/json"'
			while IFS= read -r hdr; do
				printf 'wrk.headers["%s"] = "%s"\n' "${hdr%%: *}" "${hdr#*: }"
			done < <(headers_of "$target" "${CASE_PROTO[$c]}")
			printf 'local f = assert(io.open("%s", "rb"))\n' "$B/${CASE_BODY[$c]}"
			echo 'wrk.body = f:read("*a")'
			echo 'f:close()'
			cat <<'EOF'
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format("RESULT %d %d %d %d\n", s.requests, s.duration,
    e.connect + e.read + e.write + e.timeout, e.status))
end
EOF
		} >"$f"
	fi
	echo "$f"
}

# record KIND CASE ROUND VALUE...: one tab-separated raw result line.
record() {
	local IFS=$'\t'
	echo "$*" >>"$RESULTS"
}

# pids_of TARGET: the processes whose CPU a target costs (none for direct:
# the mock is everyone's upstream).
pids_of() {
	case $1 in
	nginx) nginx_pids ;;
	floor) echo "$FLOOR_PID" ;;
	floornet) echo "$FLOORNET_PID" ;;
	aigw | aigwkey) echo "$AIGW_PID" ;;
	aigwredis) echo "$AIGWR_PID" ;;
	esac
}

# run_wrk CASE ROUND [DURATION] [CONNS]: throughput and CPU per request.
run_wrk() {
	local c=$1 round=$2 dur=${3:-$DURATION} conns=${4:-$CONNS} target=${1#*/} line
	local -a pids
	mapfile -t pids < <(pids_of "$target")
	local t0=0 t1=0 r0="0 0" r1="0 0"
	if [[ $target == aigwredis ]]; then r0=$(redis_counts); fi
	if ((${#pids[@]})); then t0=$(cpu_ticks "${pids[@]}"); fi
	line=$(timeout $((dur + 30)) wrk -t1 -c"$conns" -d"${dur}s" --timeout 10s -s "$(lua_of "$c")" \
		"$(url_of "$target")${CASE_PATH[$c]}" | grep '^RESULT') || die "$c: wrk failed"
	# Let the log writer's last batch land inside the measured CPU.
	sleep 0.3
	if ((${#pids[@]})); then t1=$(cpu_ticks "${pids[@]}"); fi
	if [[ $target == aigwredis ]]; then r1=$(redis_counts); fi
	local req us err non2xx
	read -r _ req us err non2xx <<<"$line"
	local rps cpu_us=-
	rps=$(awk -v r="$req" -v u="$us" 'BEGIN {printf "%.0f", r / (u / 1e6)}')
	if ((${#pids[@]})) && ((req > 0)); then
		cpu_us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v r="$req" 'BEGIN {printf "%.1f", d / hz * 1e6 / r}')
	fi
	if ((err + non2xx > 0)); then log "warning: $c: $err socket errors, $non2xx non-2xx answers"; fi
	local scripts=- commands=-
	if [[ $target == aigwredis ]] && ((req > 0)); then
		# The INFO of r0 is one command of the difference.
		read -r scripts commands < <(awk -v a="$r0" -v b="$r1" -v r="$req" 'BEGIN {
			split(a, x, " "); split(b, y, " "); printf "%.3f %.2f\n", (y[1] - x[1]) / r, (y[2] - x[2] - 1) / r}')
	fi
	record wrk "$c" "$round" "$rps" "$cpu_us" "$err" "$non2xx" "$scripts" "$commands"
	log "round $round $c: $rps req/s, cpu ${cpu_us} us/req"
}

# run_vegeta CASE ROUND RATE DURATION: latency percentiles at a fixed rate.
run_vegeta() {
	local c=$1 round=$2 rate=$3 dur=$4 target=${1#*/} tfile json
	tfile=$WORK/targets-${c//\//-}.txt
	{
		echo "POST $(url_of "$target")${CASE_PATH[$c]}"
		echo "Content-Type: application/json"
		headers_of "$target" "${CASE_PROTO[$c]}"
		echo "@$B/${CASE_BODY[$c]}"
	} >"$tfile"
	json=$(timeout $((dur + 30)) "$VEGETA" attack -rate="$rate/s" -duration="${dur}s" -timeout=10s -targets="$tfile" |
		"$VEGETA" report -type=json) || die "$c: vegeta failed"
	local p50 p90 p99 ok
	p50=$(grep -o '"50th":[0-9]*' <<<"$json" | cut -d: -f2)
	p90=$(grep -o '"90th":[0-9]*' <<<"$json" | cut -d: -f2)
	p99=$(grep -o '"99th":[0-9]*' <<<"$json" | cut -d: -f2)
	ok=$(grep -o '"success":[0-9.]*' <<<"$json" | cut -d: -f2)
	record vegeta "$c@$rate" "$round" "$p50" "$p90" "$p99" "$ok"
	log "round $round $c at $rate/s: p50 $((p50 / 1000)) us, p99 $((p99 / 1000)) us, success $ok"
}

# event_gaps TARGET URL BODY HEADER...: how many SSE data frames arrived
# at least half a chunk delay after the previous one. With --chunk-delay
# on the upstream, a relay that flushes every event shows ~20 such gaps; one
# that batches shows few.
event_gaps() {
	local url=$1 body=$2 delay_s gaps=0 prev="" now line
	shift 2
	local -a args=(-sN --max-time 30 -H 'Content-Type: application/json')
	local h
	for h in "$@"; do args+=(-H "$h"); done
	delay_s=$(awk -v d="$SLOW_DELAY" 'BEGIN {sub(/ms$/, "", d); print d / 2000}')
	while IFS= read -r line; do
		[[ $line == data:* ]] || continue
		now=$EPOCHREALTIME
		if [[ -n $prev ]] && awk -v a="$prev" -v b="$now" -v m="$delay_s" 'BEGIN {exit !(b - a >= m)}'; then
			gaps=$((gaps + 1))
		fi
		prev=$now
	done < <(curl "${args[@]}" --data-binary "@$body" "$url")
	echo "$gaps"
}

# ---------------------------------------------------------------- run

log "checking every case once"
for c in "${!CASE_PATH[@]}"; do check_case "$c"; done

IDLE_AIGW=$(rss_kib "$AIGW_PID")
mapfile -t NGX < <(nginx_pids)
IDLE_NGINX=$(rss_kib "${NGX[@]}")
G_IDLE=$(goroutines)
log "idle RSS after start: aigw $((FRESH_AIGW / 1024)) MiB, nginx $((FRESH_NGINX / 1024)) MiB; after the check requests: aigw $((IDLE_AIGW / 1024)) MiB, nginx $((IDLE_NGINX / 1024)) MiB (${#NGX[@]} processes); aigw goroutines $G_IDLE"

log "warm-up"
for t in direct nginx floor floornet aigw; do
	timeout 30 wrk -t1 -c"$CONNS" -d2s -s "$(lua_of "nonstream/$t")" "$(url_of "$t")/v1/chat/completions" >/dev/null
done

for round in $(seq "$ROUNDS"); do
	for test in nonstream stream convert convert-stream; do
		targets=(direct nginx floor floornet aigw)
		if [[ $test == nonstream ]]; then targets+=(aigwkey aigwredis); fi
		for t in "${targets[@]}"; do run_wrk "$test/$t" "$round"; done
	done
	run_wrk responses-stream/aigw "$round"
	for t in direct nginx floor aigw; do run_vegeta "nonstream/$t" "$round" "$RATE" "$RATE_DURATION"; done
	for t in direct nginx floor aigw; do run_vegeta "big/$t" "$round" "$BIG_RATE" "$BIG_DURATION"; done
done

PEAK_AIGW=$(hwm_kib "$AIGW_PID")
mapfile -t NGX < <(nginx_pids)
PEAK_NGINX=$(hwm_kib "${NGX[@]}")

log "event timing: upstream sends 20 chunks, $SLOW_DELAY apart"
GAPS_DIRECT=$(event_gaps "http://127.0.0.1:$SLOW_PORT/v1/chat/completions" "$B/stream.json" "Authorization: Bearer k")
GAPS_NGINX=$(event_gaps "http://127.0.0.1:$NGINX_PORT/slow/v1/chat/completions" "$B/stream.json" "Authorization: Bearer k")
GAPS_AIGW=$(event_gaps "http://127.0.0.1:$AIGW_PORT/v1/chat/completions" "$B/slow-aigw.json" "Authorization: Bearer $CLIENT_KEY")
log "frames arriving separately: direct $GAPS_DIRECT, nginx $GAPS_NGINX, aigw $GAPS_AIGW"

log "$SLOW_STREAMS concurrent slow streams through aigw for ${SLOW_DURATION}s"
add_case slow/aigw /v1/chat/completions slow-aigw.json openai '[DONE]'
G_BEFORE=$(goroutines)
SLOW_MAX=0
(
	timeout $((SLOW_DURATION + 30)) wrk -t1 -c"$SLOW_STREAMS" -d"${SLOW_DURATION}s" --timeout 30s \
		-s "$(lua_of slow/aigw)" "$(url_of aigw)/v1/chat/completions" >"$WORK/slow.out" 2>&1
) &
SLOW_WRK=$!
G_DURING=0
while kill -0 "$SLOW_WRK" 2>/dev/null; do
	r=$(rss_kib "$AIGW_PID")
	if ((r > SLOW_MAX)); then SLOW_MAX=$r; fi
	g=$(goroutines)
	if [[ $g != n/a ]] && ((${g%.*} > G_DURING)); then G_DURING=${g%.*}; fi
	sleep 0.5
done
wait "$SLOW_WRK" || true
SLOW_STREAMS_DONE=$(awk '/^RESULT/ {print $2}' "$WORK/slow.out")
# Streams cut by wrk's end must be noticed and released: wait for the
# count to settle back.
G_AFTER=n/a
for _ in $(seq 20); do
	G_AFTER=$(goroutines)
	[[ $G_AFTER == n/a || $G_BEFORE == n/a ]] && break
	((${G_AFTER%.*} <= ${G_BEFORE%.*} + 2)) && break
	sleep 0.5
done
SLOW_HWM=$(hwm_kib "$AIGW_PID")
SPILLED=0
[[ -f $WORK/aigw/data/spill.jsonl ]] && SPILLED=$(wc -l <"$WORK/aigw/data/spill.jsonl")

# ---------------------------------------------------------------- report

# mean KIND CASE COLUMN: the median over rounds of one result column. The
# median, not the mean: on a shared machine one disturbed round (another
# job taking a core) would otherwise decide the result.
mean() {
	awk -F'\t' -v k="$1" -v c="$2" -v col="$3" '$1 == k && $2 == c && $col != "-" {print $col}' "$RESULTS" |
		sort -g | awk '{v[NR] = $1} END {if (!NR) print "-"; else if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b}'; }
fmt0() { awk -v a="$1" 'BEGIN {if (a == "-") print "-"; else printf "%.0f", a}'; }
ms() { awk -v a="$1" 'BEGIN {if (a == "-") print "-"; else printf "%.2f", a / 1e6}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo
echo "== aigw load benchmark: $(date '+%Y-%m-%d %H:%M %Z'), $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "   medians of $ROUNDS interleaved rounds; rounds $ROUNDS x ${DURATION}s, wrk -t1 -c$CONNS; vegeta $RATE/s x ${RATE_DURATION}s; $(wrk -v 2>&1 | head -1 | awk '{print "wrk", $2}'), $("$NGINX" -v 2>&1 | awk '{print $3}'), vegeta $VEGETA_VERSION"
echo "   load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine inflates the noise)"
echo
printf '%-15s %-8s %10s %9s %9s %9s %12s\n' test target "req/s" "/direct" "/nginx" "/floor" "CPU us/req"
for test in nonstream stream convert convert-stream; do
	d=$(mean wrk "$test/direct" 4)
	n=$(mean wrk "$test/nginx" 4)
	f=$(mean wrk "$test/floor" 4)
	targets=(direct nginx floor floornet aigw)
	if [[ $test == nonstream ]]; then targets+=(aigwkey aigwredis); fi
	for t in "${targets[@]}"; do
		v=$(mean wrk "$test/$t" 4)
		printf '%-15s %-8s %10s %9s %9s %9s %12s\n' "$test" "$t" "$(fmt0 "$v")" "$(ratio "$v" "$d")" "$(ratio "$v" "$n")" "$(ratio "$v" "$f")" "$(mean wrk "$test/$t" 5)"
	done
done
pass=$(mean wrk nonstream/aigw 4)
conv=$(mean wrk convert/aigw 4)
echo "Responses API converted to chat / chat stream relayed as is, aigw CPU per request (the same upstream stream of 20 chunks): $(ratio "$(mean wrk responses-stream/aigw 5)" "$(mean wrk stream/aigw 5)") ($(mean wrk responses-stream/aigw 5) / $(mean wrk stream/aigw 5) us)"
echo "conversion / passthrough (aigw): $(ratio "$conv" "$pass") non-stream, $(ratio "$(mean wrk convert-stream/aigw 4)" "$(mean wrk stream/aigw 4)") stream"
echo "client key with rpm, tpm and budget, CPU us/request more than a static key: $(awk -v a="$(mean wrk nonstream/aigwkey 5)" -v b="$(mean wrk nonstream/aigw 5)" 'BEGIN {printf "%.1f", a - b}') in process, $(awk -v a="$(mean wrk nonstream/aigwredis 5)" -v b="$(mean wrk nonstream/aigw 5)" 'BEGIN {printf "%.1f", a - b}') with Redis (second instance); per request Redis script calls (round trips on the request path) $(mean wrk nonstream/aigwredis 8), commands in all $(mean wrk nonstream/aigwredis 9)"
echo "CPU per request aigw / nginx: $(ratio "$(mean wrk nonstream/aigw 5)" "$(mean wrk nonstream/nginx 5)") non-stream, $(ratio "$(mean wrk stream/aigw 5)" "$(mean wrk stream/nginx 5)") stream"
echo "CPU per request floor / nginx (the prescribed stack alone): $(ratio "$(mean wrk nonstream/floor 5)" "$(mean wrk nonstream/nginx 5)") non-stream, $(ratio "$(mean wrk stream/floor 5)" "$(mean wrk stream/nginx 5)") stream"
echo "CPU per request floor on net/http / floor on h1 (what internal/h1 saves): $(ratio "$(mean wrk nonstream/floornet 5)" "$(mean wrk nonstream/floor 5)") non-stream, $(ratio "$(mean wrk stream/floornet 5)" "$(mean wrk stream/floor 5)") stream"
echo "CPU per request aigw / floor (the gateway's own work on top): $(ratio "$(mean wrk nonstream/aigw 5)" "$(mean wrk nonstream/floor 5)") non-stream, $(ratio "$(mean wrk stream/aigw 5)" "$(mean wrk stream/floor 5)") stream"
echo
printf '%-22s %-7s %9s %9s %9s %11s %11s %8s\n' "latency (ms)" target p50 p90 p99 "+p50 vs d" "+p99 vs d" success
for spec in "nonstream@$RATE" "big@$BIG_RATE"; do
	test=${spec%@*} rate=${spec#*@}
	d50=$(mean vegeta "$test/direct@$rate" 4)
	d99=$(mean vegeta "$test/direct@$rate" 6)
	for t in direct nginx floor aigw; do
		k="$test/$t@$rate"
		p50=$(mean vegeta "$k" 4) p90=$(mean vegeta "$k" 5) p99=$(mean vegeta "$k" 6)
		printf '%-22s %-7s %9s %9s %9s %11s %11s %8s\n' "$test at $rate/s" "$t" "$(ms "$p50")" "$(ms "$p90")" "$(ms "$p99")" \
			"$(ms "$(awk -v a="$p50" -v b="$d50" 'BEGIN {print a - b}')")" "$(ms "$(awk -v a="$p99" -v b="$d99" 'BEGIN {print a - b}')")" "$(mean vegeta "$k" 7)"
	done
done
echo
echo "memory (MiB): aigw idle $(mib "$FRESH_AIGW") after start, $(mib "$IDLE_AIGW") after the check requests (1 MiB bodies included), peak $(mib "$PEAK_AIGW");"
echo "              nginx idle $(mib "$FRESH_NGINX") after start, $(mib "$IDLE_NGINX") after the checks, peak $(mib "$PEAK_NGINX") (master + workers, shared pages counted in each)"
echo "SSE frames that arrived separately (of ~21, upstream ${SLOW_DELAY} apart): direct $GAPS_DIRECT, nginx $GAPS_NGINX, aigw $GAPS_AIGW"
echo "$SLOW_STREAMS slow streams (${SLOW_DELAY}/chunk, ${SLOW_DURATION}s): ${SLOW_STREAMS_DONE:-0} completed; aigw RSS max $(mib "$SLOW_MAX") MiB (VmHWM $(mib "$SLOW_HWM")); goroutines idle $G_IDLE, before $G_BEFORE, max during $G_DURING, after $G_AFTER"
echo "log rows spilled to file (the SQLite writer fell behind): $SPILLED"
if [[ ${KEEP:-0} == 1 ]]; then
	echo "raw results: $RESULTS"
fi
