#!/bin/sh
# Builds the trimmed Java runtime of the Astaire image with jlink.
#
#   jlink-runtime.sh JAR OUTPUT_DIR
#
# Uses $JAVA_HOME/bin/{jdeps,jlink} (JDK 25). The module list is deploy/jlink-modules.txt
# (MODULES_FILE overrides); the modules jdeps finds in JAR must all be in it.
set -eu

jar="$1"
out="$2"
here=$(cd "$(dirname "$0")" && pwd)
modules_file="${MODULES_FILE:-$here/jlink-modules.txt}"
java_home="${JAVA_HOME:?JAVA_HOME must point at a JDK 25}"

modules=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$modules_file" | tr -d ' \t' | paste -s -d, -)
needed=$("$java_home/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 25 "$jar")

missing=""
for m in $(echo "$needed" | tr ',' ' '); do
    case ",$modules," in
        *",$m,"*) ;;
        *) missing="$missing $m" ;;
    esac
done
if [ -n "$missing" ]; then
    echo "jlink-runtime.sh: $modules_file lacks modules that $jar needs:$missing" >&2
    exit 1
fi

rm -rf "$out"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "$out"
echo "jlink-runtime.sh: runtime with $modules in $out" >&2
