#!/usr/bin/env bash
# libleadkit.so exports the C ABI of leadkit.h and nothing else, and needs no Abseil at run
# time:
#   - every defined dynamic symbol is an lk_* function under the version node LEADKIT_<ABI>
#     or, named in src/c_api/leadkit.map, one added later (LEADKIT_<ABI>.N), and they are
#     exactly the functions leadkit.h declares (LK_API);
#   - no symbol of Abseil, date, nlohmann/json or the C++ standard library is exported;
#   - with ABSL=static, no NEEDED entry names an Abseil library (with ABSL=shared, where
#     Abseil's archives cannot go into a shared object, cmake/LeadkitShared.cmake says why,
#     the Abseil libraries needed are listed);
#   - no NEEDED entry names date-tz (time zones are read through Abseil);
#   - the SONAME carries the ABI version.
# Usage: exports_test.sh LIBRARY HEADER ABSL (the version script is src/c_api/leadkit.map)
set -euo pipefail
lib=$1
header=$2
absl_mode=$3
map=$(dirname "$0")/../../src/c_api/leadkit.map
fail=0
problem() { echo "exports_test: $*" >&2; fail=1; }

abi=$(sed -n 's/^#define LK_ABI_VERSION \([0-9][0-9]*\).*/\1/p' "$header")
[ -n "$abi" ] || problem "no LK_ABI_VERSION in $header"

# Defined dynamic symbols, without the absolute symbol of the version node itself.
symbols=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }')
[ -n "$symbols" ] || problem "$lib exports nothing"

others=$(printf '%s\n' "$symbols" | grep -v '^lk_' || true)
[ -z "$others" ] || problem "symbols other than lk_*: $(printf '%s\n' "$others" | c++filt | head -20)"

leaked=$(printf '%s\n' "$symbols" | c++filt | grep -E 'absl|date::|nlohmann|std::' || true)
[ -z "$leaked" ] || problem "dependency symbols exported: $(printf '%s\n' "$leaked" | head -20)"

unversioned=$(printf '%s\n' "$symbols" | grep '^lk_' | grep -Ev "@@LEADKIT_${abi}(\.[0-9]+)?\$" || true)
[ -z "$unversioned" ] || problem "lk_* symbols not under LEADKIT_${abi} or LEADKIT_${abi}.N: $unversioned"

# Each function a later node of the map names (LEADKIT_<ABI>.N) is exported under that node,
# and no other function is: a misspelt name would leave its function under LEADKIT_<ABI>.
later=$(awk '/^LEADKIT_[0-9.]+ \{/ { node = $1 } node ~ /\./ && /^ +lk_[a-z0-9_]+;/ {
               sub(/^ +/, ""); sub(/;$/, ""); print $0 "@@" node }' "$map" | sort)
exported_later=$(printf '%s\n' "$symbols" | grep -E "^lk_.*@@LEADKIT_${abi}\.[0-9]+\$" | sort || true)
if [ "$later" != "$exported_later" ]; then
  problem "the map's later nodes and the exports differ (< map, > exported):
$(diff <(printf '%s\n' "$later") <(printf '%s\n' "$exported_later") || true)"
fi

exported=$(printf '%s\n' "$symbols" | grep '^lk_' | sed 's/@.*//' | sort -u)
declared=$(grep -E '^LK_API ' "$header" | sed -E 's/^LK_API [^(]*[ *](lk_[a-z0-9_]+)\(.*/\1/' | sort -u)
if [ "$exported" != "$declared" ]; then
  problem "exported and declared functions differ (< exported, > declared):
$(diff <(printf '%s\n' "$exported") <(printf '%s\n' "$declared") || true)"
fi

needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
absl=$(printf '%s\n' "$needed" | grep -i absl || true)
if [ "$absl_mode" = static ]; then
  [ -z "$absl" ] || problem "needs Abseil at run time: $absl"
elif [ -n "$absl" ]; then
  echo "exports_test: Abseil linked shared: $(printf '%s\n' "$absl" | wc -l) libabsl libraries needed"
fi
date_tz=$(printf '%s\n' "$needed" | grep -i 'libdate' || true)
[ -z "$date_tz" ] || problem "needs date-tz at run time: $date_tz"
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libleadkit.so.${abi}" ] || problem "SONAME is '$soname', not libleadkit.so.${abi}"

if [ "$fail" -ne 0 ]; then
  exit 1
fi
nodes=$(printf '%s\n' "$symbols" | grep '^lk_' | sed 's/.*@@//' | sort | uniq -c | awk '{ printf "%s %s, ", $1, $2 }')
echo "exports_test: $(printf '%s\n' "$exported" | wc -l) lk_* functions (${nodes%, });" \
  "NEEDED: $(printf '%s ' $needed)"
