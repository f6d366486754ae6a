#!/usr/bin/env bash
# Maps a scratch copy of a rendered topology (generated for hashicorp/aws 6.x)
# to hashicorp/aws 5.100.0, the real provider binary in /opt/tf-plugins.
# Every mapping is a rename the 6.0 upgrade guide lists, or the removal of an
# argument 5.100 does not have (ECS deployment strategies, 6.4/6.21); each is
# listed in scripts/tf/README.md ("Real-provider apply check"). Fails when a file still
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
# 3. aws_ecs_service: the deployment_configuration block (strategy, bake time,
#    canary/linear steps, lifecycle hooks; 6.4.0 and 6.21.0) and the
#    load_balancer's advanced_configuration (alternate target group, listener
#    rules, infrastructure role; 6.4.0) do not exist in 5.100: the service
#    applies as a rolling one with its circuit breaker and alarms. Whole blocks
#    are removed, from their opening line to the closing brace at the same
#    indentation.
perl -0pi -e 's/^([ ]*)(?:deployment_configuration|dynamic "advanced_configuration") \{\n.*?^\1\}\n//gms' "${files[@]}"
if grep -nE 'data\.aws_region\.[a-z_]+\.region\b|"~> 6\.|deployment_configuration|advanced_configuration|canary_configuration|linear_configuration|lifecycle_hook[ ]*\{' "${files[@]}" >&2; then
    echo "to-provider5: 6.x-only names left (above)" >&2
    exit 1
fi
