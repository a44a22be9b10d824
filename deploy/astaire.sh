#!/bin/sh
# /opt/astaire/bin/astaire in the container image: the jlinked runtime running the CLI jar.
# JAVA_OPTS adds JVM options (the image sets heap sizing relative to the container's memory limit).
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
exec /opt/astaire/runtime/bin/java ${JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -jar /opt/astaire/lib/astaire.jar "$@"
