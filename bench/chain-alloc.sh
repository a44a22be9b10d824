#!/usr/bin/env bash
# Allocation on the packet path of every role, under real traffic: the demo chain carries an
# iperf3 TCP stream at a fixed rate while each data-plane JVM (ingress, the three function nodes,
# egress) records a JFR file (jdk.ObjectAllocationSample: the JVM samples allocations by weight, so a
# thread that allocates nothing shows no sample). Prints, per role, the samples and their weight
# in the packet-path threads (ingress/egress-tun-N, -net-N, astaire-sf-worker-N), and what else
# allocated in the process, for contrast.
#
#   sudo bench/chain-alloc.sh       # RATE [1G] (iperf3 -b) DURATION [10] (s recorded)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/bin/find-jdk"
[ "$(id -u)" -eq 0 ] || { echo "chain-alloc.sh: needs root (network namespaces, TUN)" >&2; exit 2; }
RATE="${RATE:-1G}"
SECONDS_OF_TRAFFIC="${DURATION:-10}"
work="$(mktemp -d /tmp/chain-alloc.XXXXXX)"
demo_pid=""
cleanup() { if [ -n "$demo_pid" ]; then kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

./astaire demo --non-interactive --duration 100000 --refresh 60 >"$work/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 600); do grep -q "up in" "$work/demo.log" && break; kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log" >&2; exit 1; }; sleep 0.5; done
prefix="$(sed -n 's/.*namespaces: \(astaire-[0-9a-f-]*-\){.*/\1/p' "$work/demo.log" | head -1)"
[ -n "$prefix" ] || { echo "chain-alloc.sh: the demo did not come up" >&2; cat "$work/demo.log" >&2; exit 1; }

declare -A pid
for p in $(pgrep -f "astaire.jar (ingress|egress|sf) "); do
  ns="$(ip netns identify "$p")"
  pid[${ns#"$prefix"}]=$p
done
# warm the path first, so the JIT's own work is over when the recording starts
ip netns exec "${prefix}server" iperf3 -s -1 -B 10.2.0.2 >/dev/null 2>&1 &
sleep 0.5
ip netns exec "${prefix}client" iperf3 -c 10.2.0.2 -t 5 >/dev/null
ip netns exec "${prefix}server" iperf3 -s -1 -B 10.2.0.2 >/dev/null 2>&1 &
sleep 0.5
ip netns exec "${prefix}client" iperf3 -c 10.2.0.2 -t "$((SECONDS_OF_TRAFFIC + 8))" -b "$RATE" >"$work/iperf3.txt" &
iperf=$!
sleep 2
for role in ingress sf1 sf2 sf3 egress; do
  "$JAVA_HOME/bin/jcmd" "${pid[$role]}" JFR.start name=alloc settings=profile >/dev/null
done
sleep "$SECONDS_OF_TRAFFIC"
for role in ingress sf1 sf2 sf3 egress; do
  "$JAVA_HOME/bin/jcmd" "${pid[$role]}" JFR.stop name=alloc filename="$work/$role.jfr" >/dev/null
done
wait "$iperf"
echo "# $(date -Is): iperf3 -b $RATE through the demo chain; JFR jdk.ObjectAllocationSample over ${SECONDS_OF_TRAFFIC} s"
grep -E "receiver" "$work/iperf3.txt" | sed 's/^/# /'
echo
echo "| role | packet-path threads: samples | their weight (bytes) | other threads: samples | their weight |"
echo "|---|---|---|---|---|"
for role in ingress sf1 sf2 sf3 egress; do
  "$JAVA_HOME/bin/jfr" print --json --events jdk.ObjectAllocationSample "$work/$role.jfr" >"$work/$role.json"
  python3 - "$role" "$work/$role.json" <<'PY'
import json, re, sys
role, path = sys.argv[1], sys.argv[2]
events = json.load(open(path))["recording"]["events"]
hot = re.compile(r"^(ingress|egress)-(tun|net)-\d+$|^astaire-sf-worker-\d+$")
hs = hw = os_ = ow = 0
for e in events:
    name = (e["values"].get("eventThread") or {}).get("javaName") or ""
    w = e["values"].get("weight", 0)
    if hot.match(name):
        hs += 1; hw += w
    else:
        os_ += 1; ow += w
print("| %s | %d | %d | %d | %d |" % (role, hs, hw, os_, ow))
PY
done
echo
echo "chain-alloc.sh: recordings in $work" >&2
