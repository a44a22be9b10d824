#!/usr/bin/env bash
# iperf3 through the demo chain beside a plain routed path, in one session.
#
#   sudo bench/chain-iperf.sh                 # 1 and 4 streams, both directions, 3 runs each
#   REPEAT=1 SECONDS_PER_RUN=2 sudo bench/chain-iperf.sh   # quick check
#
# The chain is `astaire demo`'s (client -> ingress [TUN] -> acl -> count -> pass -> egress [TUN]
# -> server, every role its own process and namespace, NSH over VXLAN-GPE across a bridge). The
# demo keeps its own light traffic going (ping every 0.2 s, a 2 MB/s curl loop): a few Mbit/s
# beside figures in Gbit/s. The plain path is three namespaces of this script (client -> router
# -> server over two veth pairs), the reference the chain is compared with.
#
# Environment: REPEAT [3]  SECONDS_PER_RUN [5]  STREAMS [1,4]  OFFLOAD [auto] (passed to every
# demo role as ASTAIRE_OFFLOAD, see docs/node.md)  OUT [bench/target/chain-iperf/<date>.txt]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
[ "$(id -u)" -eq 0 ] || { echo "chain-iperf.sh: needs root (network namespaces, TUN)" >&2; exit 2; }
for t in iperf3 ip python3; do command -v "$t" >/dev/null || { echo "chain-iperf.sh: '$t' is missing (sudo .ci/install-test-tools)" >&2; exit 2; }; done

REPEAT="${REPEAT:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-5}"
STREAMS="${STREAMS:-1,4}"
stamp="$(date +%Y%m%d-%H%M%S)"
OUT="${OUT:-$here/bench/target/chain-iperf/chain-iperf-$stamp.txt}"
mkdir -p "$(dirname "$OUT")"
work="$(mktemp -d /tmp/chain-iperf.XXXXXX)"
plain="acbp$$"
demo_pid=""

cleanup() {
  # SIGTERM: a background job of a script ignores SIGINT; the demo's shutdown hook removes its namespaces
  if [ -n "$demo_pid" ]; then kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
  for n in client router server; do ip netns del "$plain-$n" 2>/dev/null || true; done
}
trap cleanup EXIT

# --- the plain routed path ---------------------------------------------------------------------
for n in client router server; do ip netns add "$plain-$n"; ip -n "$plain-$n" link set lo up; done
ip -n "$plain-client" link add c0 type veth peer name r0 netns "$plain-router"
ip -n "$plain-server" link add s0 type veth peer name r1 netns "$plain-router"
ip -n "$plain-client" addr add 10.3.0.2/24 dev c0; ip -n "$plain-client" link set c0 up
ip -n "$plain-router" addr add 10.3.0.1/24 dev r0; ip -n "$plain-router" link set r0 up
ip -n "$plain-router" addr add 10.4.0.1/24 dev r1; ip -n "$plain-router" link set r1 up
ip -n "$plain-server" addr add 10.4.0.2/24 dev s0; ip -n "$plain-server" link set s0 up
ip -n "$plain-client" route add default via 10.3.0.1
ip -n "$plain-server" route add default via 10.4.0.1
ip netns exec "$plain-router" sysctl -qw net.ipv4.ip_forward=1

# --- the demo chain ----------------------------------------------------------------------------
echo "chain-iperf.sh: starting the demo chain (log $work/demo.log)" >&2
export ASTAIRE_OFFLOAD="${OFFLOAD:-auto}"
./astaire demo --non-interactive --duration 100000 --refresh 60 >"$work/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 600); do
  grep -q "up in" "$work/demo.log" && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log" >&2; exit 1; }
  sleep 0.5
done
grep -q "up in" "$work/demo.log" || { echo "chain-iperf.sh: the demo did not come up" >&2; cat "$work/demo.log" >&2; exit 1; }
prefix="$(sed -n 's/.*namespaces: \(astaire-[0-9a-f-]*-\){.*/\1/p' "$work/demo.log" | head -1)"
[ -n "$prefix" ] || { echo "chain-iperf.sh: cannot find the demo's namespace prefix" >&2; exit 1; }

# one run: prints bits per second received
run() { # client-ns server-ns server-address streams reverse
  local cns="$1" sns="$2" addr="$3" p="$4" rev="$5" json="$work/run.json"
  ip netns exec "$sns" iperf3 -s -1 -B "$addr" >/dev/null 2>&1 &
  local spid=$!
  sleep 0.5
  ip netns exec "$cns" iperf3 -c "$addr" -t "$SECONDS_PER_RUN" -P "$p" $rev -J >"$json" 2>&1 || true
  wait "$spid" 2>/dev/null || true
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["end"]["sum_received"]["bits_per_second"])' "$json" 2>/dev/null || echo 0
}

median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(statistics.median(v))' "$@"; }
fmt() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1])/1e9))' "$1"; }

# The JVMs of the chain start cold: one discarded run per stream count lets the JIT compile the path.
IFS=, read -ra stream_counts <<<"$STREAMS"
for p in "${stream_counts[@]}"; do run "${prefix}client" "${prefix}server" 10.2.0.2 "$p" "" >/dev/null; done

{
  echo "# $(date -Is) $(uname -r), $(nproc) CPUs; $REPEAT runs of ${SECONDS_PER_RUN} s each, medians [min-max] in Gbit/s"
  echo "# chain: astaire demo (namespaces ${prefix}*), offload=${OFFLOAD:-auto}; plain: $plain-{client,router,server}"
  echo
  echo "| streams | direction | through the chain | plain routed path | ratio |"
  echo "|---|---|---|---|---|"
} | tee "$OUT"
for p in "${stream_counts[@]}"; do
  for dir in forward reverse; do
    rev=""; [ "$dir" = reverse ] && rev="-R"
    chain=(); direct=()
    for _ in $(seq 1 "$REPEAT"); do
      chain+=("$(run "${prefix}client" "${prefix}server" 10.2.0.2 "$p" "$rev")")
      direct+=("$(run "$plain-client" "$plain-server" 10.4.0.2 "$p" "$rev")")
    done
    mc="$(median "${chain[@]}")"; md="$(median "${direct[@]}")"
    range() { python3 -c 'import sys; v=[float(x)/1e9 for x in sys.argv[1:]]; print("%.2f-%.2f" % (min(v), max(v)))' "$@"; }
    ratio="$(python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print("%.3f" % (a/b if b else 0))' "$mc" "$md")"
    label="client -> server"; [ "$dir" = reverse ] && label="server -> client"
    echo "| $p | $label | $(fmt "$mc") [$(range "${chain[@]}")] | $(fmt "$md") [$(range "${direct[@]}")] | ${ratio}x |" | tee -a "$OUT"
  done
done
echo >&2
echo "chain-iperf.sh: table in $OUT; demo log $work/demo.log" >&2
