#!/usr/bin/env bash
# Soak: one `astaire sf` hop (fixed mode, passthrough) under a steady offered rate for minutes,
# through the shared harness (sfcgen -> hop -> sfcsink, one 60-s sfcgen run per minute, each with
# its own run id). Per minute it prints what was sent, what arrived, the loss, and the hop's heap
# after a full GC (jcmd GC.run, then the used heap from GC.heap_info): a flat last column and 0
# loss are what must hold (issue 10: "a 10-minute soak at 50 k pps with a flat heap and 0 loss").
#
#   bench/soak.sh                       # 10 minutes at 50 000 pps
#   MINUTES=1 RATE=20000 bench/soak.sh  # quick check
#
# Environment: MINUTES [10]  RATE [50000]  SIZE [64]  SUT_CPU [1]  GEN_CPU [0]  PORT [29301]
#   JVM_OPTS [-XX:+UseSerialGC -Xms32m -Xmx32m]  OUT [bench/target/soak/soak-<date>.txt]
# Exit status 1 when any minute lost a datagram or the heap after GC grew by more than 4 MB.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/bin/find-jdk" # sets JAVA_HOME to a JDK >= 25
script=soak.sh
. "$here/bench/sfc-tools.sh" sfcgen sfcsink

MINUTES="${MINUTES:-10}"
RATE="${RATE:-50000}"
SIZE="${SIZE:-64}"
SUT_CPU="${SUT_CPU:-1}"
GEN_CPU="${GEN_CPU:-0}"
PORT="${PORT:-29301}"
SINK_PORT=$((PORT + 1))
JVM_OPTS="${JVM_OPTS:--XX:+UseSerialGC -Xms32m -Xmx32m}"
jar="$here/cli/target/astaire.jar"
[ -f "$jar" ] || { echo "$script: $jar missing (./mvnw -q -B -DskipTests package)" >&2; exit 2; }
stamp="$(date +%Y%m%d-%H%M%S)"
OUT="${OUT:-$here/bench/target/soak/soak-$stamp.txt}"
mkdir -p "$(dirname "$OUT")"
work="$(mktemp -d /tmp/soak.XXXXXX)"
hop_pid=""
cleanup() {
  if [ -n "$hop_pid" ]; then kill "$hop_pid" 2>/dev/null || true; wait "$hop_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2086
taskset -c "$SUT_CPU" "$JAVA_HOME/bin/java" $JVM_OPTS --enable-native-access=ALL-UNNAMED -jar "$jar" sf \
  --listen "127.0.0.1:$PORT" --next "127.0.0.1:$SINK_PORT" --kind passthrough --workers 1 \
  --metrics-listen none > "$work/hop.log" 2>&1 &
hop_pid=$!
for _ in $(seq 1 100); do grep -q "listening" "$work/hop.log" && break; sleep 0.1; done
grep -q "listening" "$work/hop.log" || { echo "$script: the hop did not start:" >&2; cat "$work/hop.log" >&2; exit 2; }

heap_after_gc() {
  "$JAVA_HOME/bin/jcmd" "$hop_pid" GC.run > /dev/null
  # "def new generation   total 9792K, used 1234K" + "tenured generation   total ..., used ...K" (Serial), or G1's "used"
  "$JAVA_HOME/bin/jcmd" "$hop_pid" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); s += v } } END { print s }'
}

per_minute=$((RATE * 60))
first_heap="$(heap_after_gc)"
status=0
printf '%s\n' "soak: astaire sf (passthrough, 1 worker, CPU $SUT_CPU), $RATE pps, $SIZE-byte payload, $MINUTES min; JVM $JVM_OPTS" | tee "$OUT"
printf '%-7s %-10s %-10s %-8s %s\n' minute sent received lost "heap after GC (KB)" | tee -a "$OUT"
printf '%-7s %-10s %-10s %-8s %s\n' 0 - - - "$first_heap" | tee -a "$OUT"
for m in $(seq 1 "$MINUTES"); do
  run=$((1000 + m))
  taskset -c "$GEN_CPU" "$SFC_BENCH_BIN/sfcsink" -l "127.0.0.1:$SINK_PORT" -R "$run" -e "$per_minute" -m 75 -i 3000 > "$work/sink.json" &
  sink_pid=$!
  sleep 0.3
  taskset -c "$GEN_CPU" "$SFC_BENCH_BIN/sfcgen" -d "127.0.0.1:$PORT" -R "$run" -n "$per_minute" -t 60 -r "$RATE" -s "$SIZE" --spi 1 --si 255 --ttl 63 > "$work/gen.json"
  wait "$sink_pid" || true
  sent="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$work/gen.json")"
  received="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$work/sink.json")"
  heap="$(heap_after_gc)"
  lost=$((sent - received))
  printf '%-7s %-10s %-10s %-8s %s\n' "$m" "$sent" "$received" "$lost" "$heap" | tee -a "$OUT"
  [ "$lost" -eq 0 ] || status=1
  [ $((heap - first_heap)) -le 4096 ] || status=1
done
kill -0 "$hop_pid" 2>/dev/null || { echo "$script: the hop died" | tee -a "$OUT"; status=1; }
echo "soak: $([ $status -eq 0 ] && echo ok || echo FAILED) -> $OUT" | tee -a "$OUT"
exit $status
