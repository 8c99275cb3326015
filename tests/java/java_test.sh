#!/usr/bin/env bash
# The Java example of docs/c-api.md (tests/java/LeadkitExample.java) through JNA against
# libleadkit.so: the document shows that very file and its output, and what it computes equals
# the C++ API's results on the same data (java_reference, reading the data the Java program
# wrote as JSON).
# Usage: java_test.sh JAVAC JAVA JNA_JAR LIB_DIR REFERENCE SOURCE_DIR DOC_MD
set -euo pipefail
javac=$1 java=$2 jna=$3 libdir=$4 reference=$5 source=$6 doc=$7
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

block_after() {
  awk -v marker="$1" '
    $0 == marker { found = 1; next }
    found && !inside && /^```/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }
  ' "$doc"
}

if ! diff -u "$source/LeadkitExample.java" \
     <(block_after "<!-- example: tests/java/LeadkitExample.java -->"); then
  echo "java_test: the Java example in $doc differs from LeadkitExample.java (above)" >&2
  exit 1
fi

"$javac" -cp "$jna" -d "$work/classes" "$source/LeadkitExample.java"
"$java" -cp "$jna:$work/classes" -Djna.library.path="$libdir" LeadkitExample "$work" \
  > "$work/java.txt"
if ! diff -u <(block_after "<!-- java example output -->") "$work/java.txt"; then
  echo "java_test: the Java program's output differs from the one in $doc (above)" >&2
  exit 1
fi

"$reference" "$work" > "$work/cpp.txt"
if ! diff -u "$work/classify_cpp.tsv" "$work/classify.tsv" >/dev/null; then
  diff -u "$work/classify_cpp.tsv" "$work/classify.tsv" | head -20 >&2
  echo "java_test: grades through Java differ from the C++ API's (above)" >&2
  exit 1
fi
if ! diff -u "$work/cpp.txt" <(tail -n +2 "$work/java.txt"); then
  echo "java_test: the Java program's results differ from the C++ API's (above)" >&2
  exit 1
fi
echo "java_test: $(wc -l < "$work/classify.tsv") leads classified and their KPIs through Java equal the C++ API's"
