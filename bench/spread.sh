#!/usr/bin/env bash
# Flows spread over the next hop's workers: one upstream `astaire sf` (hop A) feeds a second one
# (hop B, --workers 2); a generator sends many inner flows to A; B's /metrics tells how many
# datagrams each of its workers took. Run once with A's default source ports (8) and once with
# --source-ports 1 (every flow from one port, as before RFC 7348 source ports).
#
#   bench/spread.sh            # FLOWS [256] PACKETS [200000] PORTS_LIST [8,1]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/bin/find-jdk"
jar="$here/cli/target/astaire.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$here" -path "$here/*/src/main/*" -newer "$jar" -print -quit)" ]; then
  ./mvnw -q -B -DskipTests package >&2
fi
FLOWS="${FLOWS:-256}"
PACKETS="${PACKETS:-200000}"
PORTS_LIST="${PORTS_LIST:-8,1}"
java=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx64m -jar "$jar")
work="$(mktemp -d /tmp/spread.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_ready() { # metrics port
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "spread.sh: node with metrics on $1 not ready" >&2; exit 1
}

echo "| A --source-ports | flows | datagrams into B | B worker 0 | B worker 1 | share of the busier worker |"
echo "|---|---|---|---|---|---|"
IFS=, read -ra ports_list <<<"$PORTS_LIST"
for ports in "${ports_list[@]}"; do
  pids=()
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 29300)); s.settimeout(30)
while True:
    try: s.recv(65535)
    except Exception: break' & pids+=($!)
  "${java[@]}" sf --kind passthrough --listen 127.0.0.1:29302 --next 127.0.0.1:29300 --workers 2 \
    --metrics-listen 127.0.0.1:29312 >"$work/b-$ports.log" 2>&1 & pids+=($!)
  "${java[@]}" sf --kind passthrough --listen 127.0.0.1:29301 --next 127.0.0.1:29302 --workers 1 --source-ports "$ports" \
    --metrics-listen 127.0.0.1:29311 >"$work/a-$ports.log" 2>&1 & pids+=($!)
  wait_ready 29312; wait_ready 29311
  # VXLAN-GPE (next protocol NSH) + NSH MD1 (SPI 10, SI 255, TTL 63) + IPv4/UDP, FLOWS source ports
  python3 - "$FLOWS" "$PACKETS" <<'PY'
import socket, struct, sys
flows, packets = int(sys.argv[1]), int(sys.argv[2])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
datagrams = []
for f in range(flows):
    payload = bytes(64)
    udp = struct.pack("!HHHH", 10000 + f, 80, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     socket.inet_aton("10.1.0.2"), socket.inet_aton("10.2.0.2"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    gpe = struct.pack("!BBBBI", 0x0c, 0, 0, 4, 0)
    nsh = struct.pack("!HBBI", (63 << 6) | 6, 1, 1, (10 << 8) | 255) + bytes(16)
    datagrams.append(gpe + nsh + ip + udp)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(packets):
    s.sendto(datagrams[i % flows], ("127.0.0.1", 29301))
PY
  sleep 1
  metrics="$(curl -sf http://127.0.0.1:29312/metrics)"
  w0="$(echo "$metrics" | sed -n 's/^astaire_sf_worker_datagrams_received_total{worker="0"} \([0-9.E]*\)/\1/p')"
  w1="$(echo "$metrics" | sed -n 's/^astaire_sf_worker_datagrams_received_total{worker="1"} \([0-9.E]*\)/\1/p')"
  python3 -c 'import sys; p,f,a,b=sys.argv[1:]; a=float(a); b=float(b); t=a+b
print("| %s | %s | %d | %d | %d | %.0f %% |" % (p, f, t, a, b, 100*max(a,b)/t if t else 0))' "$ports" "$FLOWS" "$w0" "$w1"
  cleanup
done
