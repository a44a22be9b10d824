# Sourced by the benchmark scripts: finds the shared C harness (../shared/bench) and its built
# tools, building them into a temporary folder when SFC_BENCH_BIN is unset. Needs $here (the
# repository) and $script (the caller's name, for messages); sets and exports SFC_BENCH and
# SFC_BENCH_BIN. Usage: . bench/sfc-tools.sh sfcgen sfcsink [udprelay]
if [ -z "${SFC_BENCH:-}" ]; then
  for d in /work/shared/bench "$here/../shared/bench" "$here/../../shared/bench"; do
    if [ -f "$d/sfcbench.py" ]; then SFC_BENCH="$(cd "$d" && pwd)"; break; fi
  done
fi
[ -n "${SFC_BENCH:-}" ] && [ -f "$SFC_BENCH/sfcbench.py" ] || { echo "$script: set SFC_BENCH to the folder with sfcbench.py" >&2; exit 2; }
if [ -z "${SFC_BENCH_BIN:-}" ]; then
  SFC_BENCH_BIN="$(mktemp -d /tmp/sfcbench-bin.XXXXXX)"
  echo "$script: building the C tools into $SFC_BENCH_BIN" >&2
  make -s -C "$SFC_BENCH" BIN="$SFC_BENCH_BIN" >&2
fi
export SFC_BENCH SFC_BENCH_BIN
for t in "$@"; do
  [ -x "$SFC_BENCH_BIN/$t" ] || { echo "$script: $SFC_BENCH_BIN/$t missing (make -C $SFC_BENCH BIN=$SFC_BENCH_BIN)" >&2; exit 2; }
done
