#!/usr/bin/env bash
# A hop launcher for sfcbench's --sut-cmd that warms a JVM's packet path before measuring:
#
#   warm-hop.sh HOP HOPS BASE_PORT SECONDS -- COMMAND...
#
# Runs COMMAND with exec (same process id, so sfcbench measures the hop's own CPU and RSS). When
# HOP is 1 and SECONDS > 0, it also waits until all HOPS ports from BASE_PORT are bound, then sends
# SECONDS of traffic into the chain with sfcgen (run id 4095, pinned to GEN_CPU, default 0), so the
# JIT compiles the forwarding path before sfcbench starts its sink and its generator. Give
# sfcbench a --warmup of at least SECONDS + 1. The warm-up traffic reaches no sink (its port is
# not bound yet): the last hop's datagrams draw ICMP port-unreachable errors meanwhile.
set -euo pipefail
hop="$1" hops="$2" base="$3" secs="$4"
shift 4
[ "${1:-}" = "--" ] && shift
if [ "$hop" = 1 ] && [ "$secs" != 0 ]; then
  (
    exec >/dev/null 2>&1
    for _ in $(seq 1 1500); do
      bound=0
      for ((p = base; p < base + hops; p++)); do
        ss -Hlnu "sport = :$p" | grep -q . && bound=$((bound + 1))
      done
      [ "$bound" = "$hops" ] && break
      sleep 0.02
    done
    taskset -c "${GEN_CPU:-0}" "${SFC_BENCH_BIN:?}/sfcgen" -d "127.0.0.1:$base" -R 4095 --si 255 --ttl 63 --spi 1 \
      -r 0 -t "$secs" -n 100000000
  ) &
fi
exec "$@"
