#!/usr/bin/env bash
# Macro benchmark: `astaire sf` (fixed mode, passthrough) against the C reference relay, one hop
# and a 3-hop chain on loopback, in one session with the same pinning, through the shared
# harness (../shared/bench: sfcgen -> hops -> sfcsink, orchestrated by sfcbench.py).
#
#   bench/macro.sh                      # full run (waits for a quiet machine), report at the end
#   REPEAT=1 DURATION=2 bench/macro.sh  # quick check that everything works
#
# Steps: (a) saturation (--rate 0) of the C relay, (b) saturation of astaire-sf, (c) latency at
# a fixed offered rate (default: half the lower of the two saturations, per hop count) for both,
# with kernel receive timestamps (--kts). All runs go to one JSONL file; then
# `sfcbench.py report` prints the Markdown table, and the JVM heap at exit of every astaire hop
# is summarised from its GC log.
#
# Environment (defaults in brackets):
#   SFC_BENCH        the harness folder [/work/shared/bench, else ../shared/bench next to the repo]
#   SFC_BENCH_BIN    where sfcgen/sfcsink/udprelay are [built into a temp folder when unset]
#   HOPS [1,3]  REPEAT [5]  DURATION [8] (s of traffic per run, at most 10)  WARMUP [3] (s
#   between hop start and traffic: the JVM's start-up)  LAT_RATE [auto]  SIZE [64]
#   SUT_CPU [1]  GEN_CPU [0]  (sfcbench pins generator and sink to GEN_CPU, every hop to SUT_CPU)
#   WORKERS [1]      astaire sf --workers (one CPU for all hops: one worker each)
#   JVM_OPTS         [-XX:+UseSerialGC -Xms32m -Xmx32m] the hops' JVM flags (see BENCHMARKS.md
#                    for the settings tried)
#   OUT              JSONL file [bench/target/macro/macro-<date>.jsonl]
#   SUTS [relay,astaire] which systems to run
#   AOT [off]        on: every astaire hop starts from a JDK AOT cache made first by one
#                    `astaire train` run with JVM_OPTS (as ./astaire and the image start a node;
#                    docs/start-up.md): label "astaire-sf-aot" (with PREWARM: "astaire-sf-aot-warm")
#   PREWARM [0]      seconds of traffic sent through the astaire hops before each measured run
#                    (bench/warm-hop.sh), so the JIT has compiled the path: label "astaire-sf-warm";
#                    0 = measure the JVM as sfcbench starts it, cold (label "astaire-sf")
#   STEPS [sat,lat,jmh]  which steps to run (jmh: WireBenchmark and ForwardPathBenchmark with
#                    -prof gc, pinned to SUT_CPU like a hop; JMH_ARGS adds JMH options)
#   QUIET [15]       sfcbench --quiet: start a run only when the machine is below this % busy
#   RETRIES [2]      sfcbench --retries: reruns of a run with too much background CPU
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/bin/find-jdk" # sets JAVA_HOME to a JDK >= 25

script=macro.sh
. "$here/bench/sfc-tools.sh" sfcgen sfcsink udprelay

jar="$here/cli/target/astaire.jar"
jmh_jar="$here/bench/target/benchmarks.jar"
if [ ! -f "$jar" ] || [ ! -f "$jmh_jar" ]; then
  echo "macro.sh: building $jar and $jmh_jar" >&2
  ./mvnw -q -B -DskipTests package >&2
fi

HOPS="${HOPS:-1,3}"
REPEAT="${REPEAT:-5}"
DURATION="${DURATION:-8}"
WARMUP="${WARMUP:-3}"
SIZE="${SIZE:-64}"
SUT_CPU="${SUT_CPU:-1}"
GEN_CPU="${GEN_CPU:-0}"
WORKERS="${WORKERS:-1}"
QUIET="${QUIET:-15}"
RETRIES="${RETRIES:-2}"
STEPS="${STEPS:-sat,lat,jmh}"
SUTS="${SUTS:-relay,astaire}"
PREWARM="${PREWARM:-0}"
AOT="${AOT:-off}"
label=astaire-sf
[ "$AOT" = on ] && label=astaire-sf-aot
if [ "$PREWARM" != 0 ]; then
  label=$label-warm
  # the warm-up traffic must end, and its queues drain, before sfcbench starts sink and generator
  WARMUP="$(python3 -c "print(max(float('$WARMUP'), float('$PREWARM') + 1.5))")"
fi
# A forwarder that allocates nothing per packet needs little heap: a small fixed one (start-up
# needs ~15 MB), and the serial collector (no GC threads competing for the one CPU the hops
# share). Pre-touching or a bigger heap only raised RSS; G1/Parallel did not change throughput.
JVM_OPTS="${JVM_OPTS:--XX:+UseSerialGC -Xms32m -Xmx32m}"
stamp="$(date +%Y%m%d-%H%M%S)"
OUT="${OUT:-$here/bench/target/macro/macro-$stamp.jsonl}"
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
runs="$(dirname "$OUT")/runs-$stamp"
gclogs="$runs/gc"
mkdir -p "$gclogs"

aot_opts=""
if [ "$AOT" = on ]; then
  # A cache is only taken by a JVM with the same options and jar: made here with exactly the hops' ones.
  cache="$runs/astaire.aot"
  echo "macro.sh: making the AOT cache $cache (astaire train)" >&2
  # shellcheck disable=SC2086 # JVM_OPTS is a list of options
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $JVM_OPTS -XX:AOTCacheOutput="$cache" -Xlog:aot=error \
    -jar "$jar" train >"$runs/train.log" 2>&1 || { echo "macro.sh: the training run failed, see $runs/train.log" >&2; exit 1; }
  aot_opts="-XX:AOTCache=$cache -Xlog:aot*=off"
fi

# {port}, {next_port}, {hop} are sfcbench's placeholders; %p is the JVM's (process id).
sut_cmd="$JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED $JVM_OPTS $aot_opts \
-Xlog:gc,gc+exit:file=$gclogs/hop{hop}-%p.log:time,uptime \
-jar $jar sf --kind passthrough --listen 127.0.0.1:{port} --next 127.0.0.1:{next_port} \
--metrics-listen none --workers $WORKERS"
if [ "$PREWARM" != 0 ]; then
  sut_cmd="bash $here/bench/warm-hop.sh {hop} {hops} {base_port} $PREWARM -- $sut_cmd"
fi

sfcbench() {
  python3 "$SFC_BENCH/sfcbench.py" run --hops "$HOPS" --size "$SIZE" --repeat "$REPEAT" --duration "$DURATION" \
    --warmup "$WARMUP" --sut-cpu "$SUT_CPU" --gen-cpu "$GEN_CPU" --sink-cpu "$GEN_CPU" --quiet "$QUIET" --retries "$RETRIES" \
    --workdir "$runs" --out "$OUT" "$@"
}

{
  echo "# $(date -Is) $(uname -r), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# JAVA_HOME=$JAVA_HOME ($("$JAVA_HOME/bin/java" -version 2>&1 | head -1))"
  echo "# sut-cmd: $sut_cmd"
} | tee "$runs/info.txt" >&2

if [[ ",$STEPS," == *,sat,* ]]; then
  if [[ ",$SUTS," == *,relay,* ]]; then
    echo "== saturation: C relay" >&2
    sfcbench --sut relay --rate 0
  fi
  if [[ ",$SUTS," == *,astaire,* ]]; then
    echo "== saturation: $label" >&2
    sfcbench --sut cmd --label "$label" --rate 0 --sut-cmd "$sut_cmd"
  fi
fi

# Half the lower saturation (median) of relay and astaire-sf for this hop count, in this file.
half_saturation() {
  python3 - "$OUT" "$1" <<'EOF'
import json, statistics, sys
out, hops = sys.argv[1], int(sys.argv[2])
best = {}
for line in open(out):
    r = json.loads(line)
    if "error" in r or r.get("noisy") or r["hops"] != hops or r["rate_target"] != 0:
        continue
    if r["label"] in ("relay", "astaire-sf"):
        best.setdefault(r["label"], []).append(r["rx_pps"])
meds = [statistics.median(v) for v in best.values()]
print(int(min(meds) / 2 / 1000) * 1000 if meds else 0)
EOF
}

if [[ ",$STEPS," == *,lat,* ]]; then
  IFS=',' read -r -a hop_list <<< "$HOPS"
  for h in "${hop_list[@]}"; do
    rate="${LAT_RATE:-$(half_saturation "$h")}"
    if [ "$rate" -le 0 ]; then
      echo "macro.sh: no saturation figure for $h hop(s) to derive the latency rate from; set LAT_RATE" >&2
      continue
    fi
    echo "== latency at $rate pps, $h hop(s) (--kts): $SUTS" >&2
    if [[ ",$SUTS," == *,relay,* ]]; then
      HOPS="$h" sfcbench --sut relay --rate "$rate" --kts
    fi
    if [[ ",$SUTS," == *,astaire,* ]]; then
      HOPS="$h" sfcbench --sut cmd --label "$label" --rate "$rate" --kts --sut-cmd "$sut_cmd"
    fi
  done
fi

if [[ ",$STEPS," == *,jmh,* ]]; then
  echo "== JMH (pinned to CPU $SUT_CPU): per-datagram work without system calls, bytes allocated per op" >&2
  # shellcheck disable=SC2086
  taskset -c "$SUT_CPU" "$JAVA_HOME/bin/java" -jar "$jmh_jar" 'WireBenchmark|ForwardPathBenchmark' -prof gc \
    -rf json -rff "$runs/jmh.json" ${JMH_ARGS:-} > "$runs/jmh.txt" 2>&1 || { tail -20 "$runs/jmh.txt" >&2; exit 1; }
fi

echo >&2
echo "results: $OUT" >&2
python3 "$SFC_BENCH/sfcbench.py" report "$OUT"

# The JVM's own view: heap in use when each astaire hop exited, and whether any collection ran
# while traffic flowed (start-up allocates; a forwarder that allocates nothing per packet never
# collects after). A run's traffic window is [ts - wall_s, ts] in the JSONL.
python3 - "$gclogs" "$OUT" <<'EOF'
import datetime, glob, json, os, re, sys
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.log")))
if not files:
    sys.exit(0)
windows, packets = [], 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r.get("label", "").startswith("astaire-sf") and "error" not in r:
        end = datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S").timestamp() + 1
        windows.append((end - r["wall_s"] - 1, end))
        packets += r["received"] * r["hops"]
used, gcs, during = [], 0, 0
for fn in files:
    text = open(fn, errors="replace").read()
    for stamp in re.findall(r"^\[([0-9T:.+-]+)\]\[[0-9.]+s\].*\bPause (?:Young|Full)\b", text, re.M):
        gcs += 1
        t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        during += any(lo <= t <= hi for lo, hi in windows)
    m = re.findall(r"(?:DefNew|Tenured|garbage-first heap|PSYoungGen|ParOldGen)\s+total (\d+)K, used (\d+)K", text)
    if m:
        used.append(sum(int(u) for _, u in m))
print()
print(f"JVM (astaire hops, {len(files)} processes): heap used at exit "
      + (f"{min(used) / 1024:.1f}-{max(used) / 1024:.1f} MB" if used else "not logged")
      + f"; {gcs} collections in all, {during} of them while traffic flowed"
      + f" ({packets} datagrams forwarded by astaire hops); GC logs in {sys.argv[1]}")
EOF

if [ -f "$runs/jmh.txt" ]; then
  echo
  grep -E '^(Benchmark |ForwardPathBenchmark|WireBenchmark|TransportBenchmark)' "$runs/jmh.txt" || true
fi
