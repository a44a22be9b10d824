#!/usr/bin/env bash
# Cold start of `astaire sf` with and without the JDK AOT cache (docs/start-up.md): how soon a
# freshly started node forwards, and how fast in its first seconds.
#
#   bench/cold-start.sh                        # full run: REPEAT pairs, medians at the end
#   REPEAT=1 WINDOW=1 bench/cold-start.sh      # quick check that everything works
#
# Every run starts a new JVM (fixed mode, passthrough, one hop) pinned to SUT_CPU, with sfcsink
# already listening on GEN_CPU; the moment the node prints that it listens, sfcgen sends to it at
# full rate (-r 0) for WINDOW + 1 s. From sfcsink's per-100 ms timeline it reports
#   ready_ms      process start -> "listening on UDP" (JVM start, class loading, node start)
#   pps_ready     packets delivered in the first WINDOW s of traffic, per second
#   pps_launch    packets delivered in the first WINDOW s after the process started, per second
#                 (start-up time and early speed in one number)
# for "cold" (no cache) and "cached" (-XX:AOTCache, made first by one `astaire train` run with
# the same JVM options), alternating cold/cached so drift hits both alike, then medians
# [min-max]. Every command line is printed (the first of each kind; runs.jsonl has all). A cached run whose JVM reports a problem with the
# cache (its "[aot]" notes go to stdout, which is read) is flagged and left out of the medians.
#
# Environment (defaults in brackets):
#   SFC_BENCH      the harness folder [/work/shared/bench, else ../shared/bench next to the repo]
#   SFC_BENCH_BIN  where sfcgen/sfcsink are [built into a temp folder when unset]
#   REPEAT [7]  WINDOW [2] (s, a multiple of 0.1)  SIZE [64] (payload bytes)
#   SUT_CPU [1]  GEN_CPU [0]  WORKERS [1]  PORT [19001]  SINK_PORT [19100]
#   JVM_OPTS [-XX:+UseSerialGC -Xms32m -Xmx32m] the node's JVM options (as bench/macro.sh)
#   MODES [cold,cached]
#   OUT            results folder [bench/target/cold-start/<date>]: runs.jsonl, node logs, timelines
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/bin/find-jdk" # sets JAVA_HOME to a JDK >= 25

script=cold-start.sh
. "$here/bench/sfc-tools.sh" sfcgen sfcsink

jar="$here/cli/target/astaire.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$here" -path "$here/*/src/main/*" -newer "$jar" -print -quit 2>/dev/null)" ]; then
  echo "cold-start.sh: building $jar" >&2
  MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ./mvnw -q -B -DskipTests -pl cli -am package >&2
fi

export COLD_JAVA="$JAVA_HOME/bin/java" COLD_JAR="$jar" SFC_BENCH_BIN
export REPEAT="${REPEAT:-7}" WINDOW="${WINDOW:-2}" SIZE="${SIZE:-64}" SUT_CPU="${SUT_CPU:-1}" GEN_CPU="${GEN_CPU:-0}"
export WORKERS="${WORKERS:-1}" PORT="${PORT:-19001}" SINK_PORT="${SINK_PORT:-19100}" MODES="${MODES:-cold,cached}"
export JVM_OPTS="${JVM_OPTS:--XX:+UseSerialGC -Xms32m -Xmx32m}"
export OUT="${OUT:-$here/bench/target/cold-start/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
export COLD_CACHE="$OUT/astaire.aot"

# The cache is made from this jar with the measured runs' options (a cache made for other
# options or another jar is refused, or trusted wrongly): one training run, as ./astaire does.
# shellcheck disable=SC2206 # JVM_OPTS is a list of options
train=("$COLD_JAVA" $JVM_OPTS --enable-native-access=ALL-UNNAMED -XX:AOTCacheOutput="$COLD_CACHE" -Xlog:aot=error -jar "$jar" train)
if [[ ",$MODES," == *",cached,"* ]]; then
  echo "cold-start.sh: making the AOT cache: ${train[*]}" >&2
  "${train[@]}" >"$OUT/train.log" 2>&1 || { echo "cold-start.sh: the training run failed, see $OUT/train.log" >&2; exit 1; }
  [ -s "$COLD_CACHE" ] || { echo "cold-start.sh: no cache written, see $OUT/train.log" >&2; exit 1; }
  # shellcheck disable=SC2086
  if ! "$COLD_JAVA" $JVM_OPTS --enable-native-access=ALL-UNNAMED -XX:AOTCache="$COLD_CACHE" -Xlog:class+load=info -jar "$jar" --version \
      | grep -q "io.astaire.cli.AstaireCommand source: shared objects file"; then
    echo "cold-start.sh: a JVM with these options does not load from $COLD_CACHE (try -Xlog:aot)" >&2; exit 1
  fi
fi

exec python3 - <<'PY'
import json, os, statistics, subprocess, sys, threading, time

env = os.environ
java, jar, cache, bin_dir, out = env["COLD_JAVA"], env["COLD_JAR"], env["COLD_CACHE"], env["SFC_BENCH_BIN"], env["OUT"]
repeat, window, size = int(env["REPEAT"]), float(env["WINDOW"]), env["SIZE"]
sut_cpu, gen_cpu, workers = env["SUT_CPU"], env["GEN_CPU"], env["WORKERS"]
port, sink_port = int(env["PORT"]), int(env["SINK_PORT"])
modes = [m for m in env["MODES"].split(",") if m]
jvm_opts = env["JVM_OPTS"].split()
BIN_NS = 100_000_000  # sfcsink --timeline bins
bins_in_window = round(window * 1e9 / BIN_NS)
if abs(bins_in_window * BIN_NS - window * 1e9) > 1:
    sys.exit("cold-start.sh: WINDOW must be a multiple of 0.1 s")
shown = set()

def show(label, cmd):
    if label not in shown:
        shown.add(label)
        print(f"  {label}: {' '.join(cmd)}", flush=True)

def node_command(mode):
    aot = [f"-XX:AOTCache={cache}"] if mode == "cached" else []
    return (["taskset", "-c", sut_cpu, java, *jvm_opts, "--enable-native-access=ALL-UNNAMED", *aot, "-jar", jar,
             "sf", "--kind", "passthrough", "--listen", f"127.0.0.1:{port}", "--next", f"127.0.0.1:{sink_port}",
             "--workers", workers, "--metrics-listen", "none"])

def read_timeline(path):
    with open(path) as f:
        next(f)
        return [int(line.split("\t")[1]) for line in f if line.strip()]

def one_run(mode, index):
    run_id = 1000 + 2 * index + (1 if mode == "cached" else 0)
    timeline = f"{out}/timeline-{mode}-{index}.tsv"
    sink_cmd = ["taskset", "-c", gen_cpu, f"{bin_dir}/sfcsink", "-l", f"127.0.0.1:{sink_port}", "-R", str(run_id),
                "-i", "500", "-f", "60000", "-m", str(window + 60), "--timeline", timeline,
                "--expect-si", "254", "--expect-ttl", "62"]
    show("sink", sink_cmd)
    sink = subprocess.Popen(sink_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if sink.stderr.readline().strip() != "READY":
        sys.exit("cold-start.sh: sfcsink did not start")
    node_cmd = node_command(mode)
    show(f"node ({mode})", node_cmd)
    with open(f"{out}/node-{mode}-{index}.err", "w") as node_err:
        launch = time.monotonic_ns()
        node = subprocess.Popen(node_cmd, stdout=subprocess.PIPE, stderr=node_err, text=True)
        stdout_lines = []
        ready = None
        for line in node.stdout:
            stdout_lines.append(line)
            if "listening on UDP" in line:
                ready = time.monotonic_ns()
                break
        if ready is None:
            sink.terminate()
            sys.exit(f"cold-start.sh: the node exited before it listened: {''.join(stdout_lines)}")
        gen_cmd = ["taskset", "-c", gen_cpu, f"{bin_dir}/sfcgen", "-d", f"127.0.0.1:{port}", "-R", str(run_id),
                   "-s", size, "-r", "0", "-t", str(window + 1), "-n", "100000000", "--spi", "1", "--si", "255", "--ttl", "63"]
        show("generator", gen_cmd)
        rest = threading.Thread(target=lambda: stdout_lines.extend(node.stdout), daemon=True)
        rest.start()
        gen = subprocess.run(gen_cmd, capture_output=True, text=True)
        sink_out, _ = sink.communicate(timeout=window + 120)
        node.terminate()
        node.wait(timeout=30)
        rest.join(timeout=5)
    s = json.loads(sink_out.strip().splitlines()[-1])
    g = json.loads(gen.stdout.strip().splitlines()[-1])
    bins = read_timeline(timeline) if s["received"] else []
    first_rx = s["first_rx_ns"]
    # packets received in [first packet, + WINDOW) and in [process start, + WINDOW)
    after_ready = sum(bins[:bins_in_window])
    launch_bins = max(0, (launch + round(window * 1e9) - first_rx) // BIN_NS) if s["received"] else 0
    after_launch = sum(bins[:launch_bins])
    aot_notes = [l.strip() for l in stdout_lines if "[aot" in l]
    return {"mode": mode, "run": index, "ready_ms": (ready - launch) / 1e6,
            "pps_ready": after_ready / window, "pps_launch": after_launch / window,
            "sent": g.get("sent"), "received": s["received"], "si_mismatch": s["si_mismatch"],
            "aot_ok": not aot_notes, "aot_notes": aot_notes[:3], "window_s": window,
            "commands": {"sink": sink_cmd, "node": node_cmd, "generator": gen_cmd}}

def summary(values):
    if not values:
        return "n/a"
    return f"{statistics.median(values):,.0f} [{min(values):,.0f}-{max(values):,.0f}]"

print(f"cold-start: {repeat} x {'/'.join(modes)}, window {window} s, payload {size} B, node on CPU {sut_cpu}, "
      f"generator and sink on CPU {gen_cpu}; the commands:", flush=True)
runs = []
with open(f"{out}/runs.jsonl", "w") as jsonl:
    for i in range(repeat):
        for mode in (modes if i % 2 == 0 else list(reversed(modes))):
            r = one_run(mode, i)
            runs.append(r)
            jsonl.write(json.dumps(r) + "\n")
            jsonl.flush()
            flag = "" if r["aot_ok"] else f"  CACHE NOT USED: {r['aot_notes']}"
            print(f"  run {i} {mode:6}: ready {r['ready_ms']:7.1f} ms, {r['pps_ready']:>10,.0f} pps in the first {window} s "
                  f"of traffic, {r['pps_launch']:>10,.0f} pps in the first {window} s after start{flag}", flush=True)

print(f"\n| mode | runs | ready ms | pps, first {window} s of traffic | pps, first {window} s after start |")
print("|---|---|---|---|---|")
medians = {}
for mode in modes:
    good = [r for r in runs if r["mode"] == mode and (mode != "cached" or r["aot_ok"])]
    medians[mode] = {k: statistics.median([r[k] for r in good]) if good else None for k in ("ready_ms", "pps_ready", "pps_launch")}
    print(f"| {mode} | {len(good)} | {summary([r['ready_ms'] for r in good])} | {summary([r['pps_ready'] for r in good])} "
          f"| {summary([r['pps_launch'] for r in good])} |")
if "cold" in medians and "cached" in medians and all(medians["cold"].values()) and all(medians["cached"].values()):
    c, a = medians["cold"], medians["cached"]
    print(f"\ncached / cold (medians): ready time x{a['ready_ms'] / c['ready_ms']:.2f}, "
          f"pps of the first {window} s of traffic x{a['pps_ready'] / c['pps_ready']:.2f}, "
          f"after start x{a['pps_launch'] / c['pps_launch']:.2f}")
print(f"\nruns, node logs and timelines: {out}")
PY
