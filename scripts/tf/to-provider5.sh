#!/usr/bin/env bash
# Maps a scratch copy of a rendered topology (generated for hashicorp/aws 6.x)
# to hashicorp/aws 5.100.0, the real provider binary in /opt/tf-plugins.
# Every mapping is a rename the 6.0 upgrade guide lists; each is listed in
# scripts/tf/README.md ("Real-provider apply check"). Fails when a file still
# has a 6.x-only name afterwards, so a new one cannot slip through unmapped.
#   to-provider5.sh DIR
set -euo pipefail
dir="$1"
mapfile -t files < <(find "$dir" -name '*.tf' -not -path '*/.terraform/*')
[ "${#files[@]}" -gt 0 ] || { echo "to-provider5: no .tf files in $dir" >&2; exit 1; }
# 1. data.aws_region.X.region (6.x) is data.aws_region.X.name in 5.x.
sed -i -E 's/(data\.aws_region\.[a-z_]+)\.region\b/\1.name/g' "${files[@]}"
# 2. the version constraint "~> 6.0" admits no 5.x release: pin the binary's.
sed -i -E 's/(version[[:space:]]*=[[:space:]]*)"~> 6\.[0-9]+"/\1"5.100.0"/' "${files[@]}"
if grep -nE 'data\.aws_region\.[a-z_]+\.region\b|"~> 6\.' "${files[@]}" >&2; then
    echo "to-provider5: 6.x-only names left (above)" >&2
    exit 1
fi
