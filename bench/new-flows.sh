#!/usr/bin/env bash
# New flows per second through an ingress's real TUN: the ingress runs with RULES (10 000) ACL-like
# rules (bench/.../RuleSets, as ClassifierBenchmark), a generator writes IPv4 packets of the rule
# set's trace into a TUN device of its own, and the kernel forwards them into the ingress's device.
# Mode "new" gives every packet a fresh source port (a new 5-tuple each: every packet misses the
# flow cache and is looked up in the rules); mode "one" sends one flow (every packet a cache hit).
# Reported from the ingress's /metrics (astaire_classifier_lookups_total{worker,result}) and the
# worker thread's CPU time (/proc): the rate, and the rate per CPU-second of the worker, which is
# what one worker can do when the generator is not fast enough to load it fully. Issue 13's goal:
# >= 500 000 new flows/s per worker.
#
#   sudo bench/new-flows.sh              # RULES [10000] DURATION [10] (s per mode) MODES [one,new] WARMUP [5] (s, not reported) SUT_CPU [0] GEN_CPU [1]
#   DURATION=2 WARMUP=1 sudo bench/new-flows.sh    # a smoke run
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
[ "$(id -u)" -eq 0 ] || { echo "new-flows.sh: needs root (a network namespace, TUN devices)" >&2; exit 2; }
for t in ip curl python3 taskset; do command -v "$t" >/dev/null || { echo "new-flows.sh: '$t' is missing (sudo .ci/install-test-tools)" >&2; exit 2; }; done
. "$here/bin/find-jdk"
jar="$here/cli/target/astaire.jar"
jmh="$here/bench/target/benchmarks.jar"
if [ ! -f "$jar" ] || [ ! -f "$jmh" ] || [ -n "$(find "$here" -path "$here/*/src/main/*" -newer "$jmh" -print -quit)" ]; then
  ./mvnw -q -B -DskipTests package >&2
fi
RULES="${RULES:-10000}"
SECONDS_OF_TRAFFIC="${DURATION:-10}"
MODES="${MODES:-one,new}"
WARMUP="${WARMUP:-5}"
SUT_CPU="${SUT_CPU:-0}"
GEN_CPU="${GEN_CPU:-1}"
java=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED)
ns="nflow$$"
work="$(mktemp -d /tmp/new-flows.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
in_ns=(ip netns exec "$ns")

ip netns add "$ns"
"${in_ns[@]}" ip link set lo up
# forward the generator's packets into the ingress whatever their source; no IPv6 chatter on the devices
"${in_ns[@]}" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
  net.ipv6.conf.default.disable_ipv6=1

# the chain's first hop: a socket nobody reads (the kernel drops what does not fit its buffer)
"${in_ns[@]}" python3 -c 'import socket, time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 29400)); time.sleep(86400)' &
pids+=($!)
"${java[@]}" -cp "$jmh" io.astaire.bench.NewFlowTraffic topology "$work/topology.yaml" "$RULES" 127.0.0.1:29400 127.0.0.1:29401
"${in_ns[@]}" taskset -c "$SUT_CPU" "${java[@]}" -jar "$jar" ingress --topology "$work/topology.yaml" --tun nfin0 \
  --listen 127.0.0.1:29401 --underlay-mtu 1500 --metrics-listen 127.0.0.1:29410 --workers 1 >"$work/ingress.log" 2>&1 &
ingress=$!
pids+=($ingress)
for _ in $(seq 1 300); do "${in_ns[@]}" curl -sf http://127.0.0.1:29410/readyz >/dev/null 2>&1 && break; sleep 0.1; done
"${in_ns[@]}" curl -sf http://127.0.0.1:29410/readyz >/dev/null || { echo "new-flows.sh: the ingress did not start:" >&2; cat "$work/ingress.log" >&2; exit 1; }
"${in_ns[@]}" ip route add 0.0.0.0/1 dev nfin0
"${in_ns[@]}" ip route add 128.0.0.0/1 dev nfin0

jvm_pid="$(pgrep -P "$ingress" java || echo "$ingress")"
worker_tid() { grep -lx "ingress-tun-0" /proc/"$jvm_pid"/task/*/comm | head -1 | cut -d/ -f5; }
tid="$(worker_tid)"
[ -n "$tid" ] || { echo "new-flows.sh: no ingress-tun-0 thread in process $jvm_pid" >&2; exit 1; }
ticks="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$jvm_pid/task/$tid/stat"; }
lookups() { # result
  "${in_ns[@]}" curl -sf http://127.0.0.1:29410/metrics \
    | awk -v r="$1" '/^astaire_classifier_lookups_total\{/ && /worker="ingress-tun-0"/ && $0 ~ "result=\"" r "\"" {print $2}' \
    | python3 -c 'import sys; print(int(float(sys.stdin.read() or 0)))'
}

drained() { # waits until the ingress has classified what the kernel queued to it (at most 10 s)
  local before after
  after="$(lookups miss)/$(lookups hit)"
  for _ in $(seq 1 50); do
    sleep 0.2; before="$after"; after="$(lookups miss)/$(lookups hit)"
    [ "$before" = "$after" ] && return 0
  done
}

# warm-up: the JIT compiles the ingress's packet path (and the generator's) before anything is measured
"${in_ns[@]}" taskset -c "$GEN_CPU" "${java[@]}" -cp "$jmh" io.astaire.bench.NewFlowTraffic send nfgen0 "$WARMUP" new "$RULES" >/dev/null
drained

echo "# $(date -Is) $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); ingress on CPU $SUT_CPU, generator on CPU $GEN_CPU"
echo "# $RULES ACL-like rules, one worker, flow cache 65536, ${SECONDS_OF_TRAFFIC} s per mode; JAVA_HOME=$JAVA_HOME"
echo "| mode | packets classified/s | new flows/s (cache misses) | worker CPU | packets per worker CPU-second | new flows per worker CPU-second | generator |"
echo "|---|---|---|---|---|---|---|"
IFS=, read -ra modes <<<"$MODES"
for mode in "${modes[@]}"; do
  h0="$(lookups hit)"; m0="$(lookups miss)"; c0="$(cpu_ticks)"; t0="$(date +%s.%N)"
  gen="$("${in_ns[@]}" taskset -c "$GEN_CPU" "${java[@]}" -cp "$jmh" io.astaire.bench.NewFlowTraffic send nfgen0 "$SECONDS_OF_TRAFFIC" "$mode" "$RULES" 2>&1 | tail -1)"
  drained
  h1="$(lookups hit)"; m1="$(lookups miss)"; c1="$(cpu_ticks)"; t1="$(date +%s.%N)"
  python3 - "$mode" "$h0" "$m0" "$c0" "$t0" "$h1" "$m1" "$c1" "$t1" "$ticks" "$gen" <<'PY'
import sys
mode, h0, m0, c0, t0, h1, m1, c1, t1, ticks, gen = sys.argv[1:]
wall = float(t1) - float(t0)
packets = (int(h1) - int(h0)) + (int(m1) - int(m0))
misses = int(m1) - int(m0)
cpu = (int(c1) - int(c0)) / int(ticks)
per_cpu = lambda n: f"{n / cpu:,.0f}" if cpu > 0 else "-"
print(f"| {mode} | {packets / wall:,.0f} | {misses / wall:,.0f} | {100 * cpu / wall:.0f} % | {per_cpu(packets)} | {per_cpu(misses)} | {gen} |")
PY
done
# what the kernel did with the generator's packets
# (nfgen0 went with the generator; nfin0's TX is what the kernel queued to the ingress)
"${in_ns[@]}" ip -s link show nfin0 | awk '/TX:/{getline; print "# nfin0 tx packets " $2 ", dropped " $4}' || true
"${in_ns[@]}" awk '/^Ip:/ && !h {h=$0; next} /^Ip:/ {split(h, n); split($0, v); for (i = 2; i <= NF; i++) if (n[i] ~ /InAddrErrors|InHdrErrors|OutNoRoutes|InDiscards|ForwDatagrams/) printf "# ip %s %s\n", n[i], v[i]}' /proc/net/snmp
grep -E "ERROR|WARN" "$work/ingress.log" | grep -v MacAddressUtil | head -5 | sed 's/^/# ingress: /' || true
