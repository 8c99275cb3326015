#!/usr/bin/env bash
# docs/c-api.md shows tests/c/example.c and its output: the C block after the line
# "<!-- example: tests/c/example.c -->" must be the file, and the text block after
# "<!-- example output -->" what the built program prints.
# Usage: doc_example_test.sh PROGRAM EXAMPLE_C DOC_MD
set -euo pipefail
program=$1
example=$2
doc=$3

# The fenced block that follows the marker line $1 in the document.
block_after() {
  awk -v marker="$1" '
    $0 == marker { found = 1; next }
    found && !inside && /^```/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }
  ' "$doc"
}

if ! diff -u "$example" <(block_after "<!-- example: tests/c/example.c -->"); then
  echo "doc_example_test: the example in $doc differs from $example (above)" >&2
  exit 1
fi
if ! diff -u <(block_after "<!-- example output -->") <("$program"); then
  echo "doc_example_test: the program's output differs from the one in $doc (above)" >&2
  exit 1
fi
echo "doc_example_test: $doc shows $example and its output"
