#!/bin/sh
# /opt/astaire/bin/astaire in the container image: the jlinked runtime running the CLI jar, from
# the JDK AOT cache that the image build made (docs/start-up.md): classes loaded and linked, and
# the packet path's method profiles, so a new pod forwards at speed sooner.
#
#   ASTAIRE_AOT=off     runs without the cache
#   ASTAIRE_AOT=log     keeps the JVM's notes about the cache (why it cannot be used, say)
#   ASTAIRE_AOT=create  runs the command as the training run that writes the cache (the image
#                       build does this once: ASTAIRE_AOT=create astaire train)
#
# JAVA_OPTS adds JVM options (the image sets heap sizing relative to the container's memory
# limit). The build trains with the image's JAVA_OPTS; options that change the JVM's layout
# (compressed oops, object headers, module flags) make the cache unusable, and the JVM then runs
# without it. ASTAIRE_JAVA, ASTAIRE_JAR and ASTAIRE_AOT_CACHE override the paths (tests run this
# on a copy).
set -eu
set -f # JAVA_OPTS and the options below are split into words, never expanded as file patterns
java="${ASTAIRE_JAVA:-/opt/astaire/runtime/bin/java}"
jar="${ASTAIRE_JAR:-/opt/astaire/lib/astaire.jar}"
cache="${ASTAIRE_AOT_CACHE:-/opt/astaire/lib/astaire.aot}"

aot=""
case "${ASTAIRE_AOT:-on}" in
    off) ;;
    # -Xlog:aot=error: the training's notes about classes it cannot store are many and harmless.
    create) aot="-XX:AOTCacheOutput=$cache -Xlog:aot=error" ;;
    log) [ ! -s "$cache" ] || aot="-XX:AOTCache=$cache" ;;
    # The JVM writes its notes about a cache it cannot use to stdout: keep the command's output clean.
    *) [ ! -s "$cache" ] || aot="-XX:AOTCache=$cache -Xlog:aot*=off" ;;
esac
# shellcheck disable=SC2086 # JAVA_OPTS and aot are lists of options
exec "$java" ${JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED $aot -jar "$jar" "$@"
