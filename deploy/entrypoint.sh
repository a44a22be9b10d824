#!/bin/sh
# Entry point of the Astaire container image.
#
# The design note's DNS_IP bootstrap: inside Kubernetes (KUBERNETES_PORT is set by the kubelet)
# and when DNS_IP holds the node's IP (downward API, status.hostIP), the node-local dnsmasq cache
# becomes the first nameserver of the pod. The other lines of resolv.conf stay, in their order,
# so the cluster DNS remains the fallback. The file is rewritten in place (cat >), because the
# runtime bind-mounts it: it cannot be replaced by a rename. Running twice changes nothing.
#
#   entrypoint.sh dns-bootstrap   only the bootstrap, then exit (the pod's root init container,
#                                 so that non-root nodes get the cache too: all containers of a
#                                 pod share one resolv.conf)
#   entrypoint.sh ARGS...         the bootstrap if possible, then exec astaire ARGS...
#
# RESOLV_CONF and ASTAIRE_BIN override the file and the program (tests run this on a copy).
set -eu

resolv_conf="${RESOLV_CONF:-/etc/resolv.conf}"
astaire_bin="${ASTAIRE_BIN:-/opt/astaire/bin/astaire}"

bootstrap_dns() {
    if [ -z "${KUBERNETES_PORT:-}" ] || [ -z "${DNS_IP:-}" ]; then
        return 0
    fi
    first="nameserver $DNS_IP"
    if [ -f "$resolv_conf" ] && [ "$(grep -m1 '^nameserver' "$resolv_conf" || true)" = "$first" ]; then
        return 0
    fi
    if [ ! -w "$resolv_conf" ]; then
        # A non-root node: the pod's init container has done it, or dnsmasq is not wanted here.
        echo "astaire entrypoint: $resolv_conf is not writable; leaving DNS as it is" >&2
        return 0
    fi
    tmp=$(mktemp)
    { echo "$first"; grep -v -x -F "$first" "$resolv_conf" || true; } > "$tmp"
    cat "$tmp" > "$resolv_conf"
    rm -f "$tmp"
    echo "astaire entrypoint: nameserver $DNS_IP (node-local dnsmasq) first in $resolv_conf" >&2
}

bootstrap_dns

if [ "${1:-}" = "dns-bootstrap" ]; then
    exit 0
fi
exec "$astaire_bin" "$@"
