#!/usr/bin/env bash
# Builds the service images, pushes them to the ECR repositories that
# Terraform created, and rolls each ECS service onto the new tag.
#
#   scripts/release.sh                      # every service, tag = commit
#   scripts/release.sh --service billing --tag v1.4.0
#   scripts/release.sh --dry-run            # print every command, run none
#
# Asks `infragen release-plan` what to release (it reads `terraform
# -chdir=generated-tf output -json`: `region`, `ecr_repository_urls` and, when
# present, `ecs_service_names`; docs/contracts.md), logs docker in to ECR,
# builds with buildx and pushes, then runs `infragen deploy --service NAME
# --image-tag TAG --wait` per service in the model's roll-out order, NAME
# being the topology name (callees first: inventory and billing, then
# api-gateway, which calls the other two). ECR tags are immutable: a tag that
# is already in a repository is not rebuilt, only deployed.
#
# Needs: infragen (on PATH, or set INFRAGEN; also for --dry-run), docker with
# buildx, AWS CLI v2 with credentials for the account, terraform (state of
# generated-tf/).
set -euo pipefail
cd "$(dirname "$0")/.."

# Two names per service. The Terraform outputs and `infragen deploy --service`
# use the TOPOLOGY name (`name` of a [[service]] in topology.toml, e.g.
# `inventory`); the Dockerfile is named after the IMAGE, the binary (e.g.
# `inventory-app`, Dockerfiles/inventory-app.Dockerfile). `infragen
# release-plan` reads both from the outputs (the image is the last part of
# the ECR repository URL, `<project>-<environment>/<image>`) and orders the
# services callee before caller from the model's `upstreams`.

usage() {
    cat <<'EOF'
usage: scripts/release.sh [options]

  --tag TAG            image tag (default: the commit, git rev-parse --short=12 HEAD)
  --service NAME       release only NAME: a topology service name (a key of the
                       `ecr_repository_urls` output, e.g. inventory) or an image
                       (binary) name (e.g. inventory-app); repeatable; default:
                       every service of the outputs
  --platform PLATFORM  image platform (default: linux/amd64; linux/arm64 for
                       Graviton task definitions)
  --no-deploy          build and push only, do not call infragen deploy
  --allow-dirty        allow uncommitted changes (the image would not match the tag)
  --outputs-json FILE  read Terraform outputs from FILE instead of running terraform
  --dry-run            print the commands instead of running them
  -h, --help           this help

environment: INFRAGEN (default: infragen), TF_DIR (default: generated-tf)
EOF
}

tag=""
services=()
platform="linux/amd64"
deploy=1
allow_dirty=0
outputs_json=""
dry_run=0
while [ $# -gt 0 ]; do
    case "$1" in
        --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
        --service) services+=("${2:?--service needs a value}"); shift 2 ;;
        --platform) platform="${2:?--platform needs a value}"; shift 2 ;;
        --no-deploy) deploy=0; shift ;;
        --allow-dirty) allow_dirty=1; shift ;;
        --outputs-json) outputs_json="${2:?--outputs-json needs a file}"; shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "release: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
INFRAGEN="${INFRAGEN:-infragen}"
TF_DIR="${TF_DIR:-generated-tf}"

die() { echo "release: $*" >&2; exit 1; }
# Runs a command, or prints it (shell-quoted) in --dry-run mode.
run() {
    if [ "$dry_run" = 1 ]; then
        printf '+'; printf ' %q' "$@"; printf '\n'
    else
        "$@"
    fi
}
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }

# ---- version control: a tag names exactly one commit
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "$allow_dirty" = 0 ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    die "uncommitted changes: commit them, or pass --allow-dirty (the image would not match $revision)"
fi
[ -n "$tag" ] || tag="$(git rev-parse --short=12 HEAD)"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "invalid image tag '$tag'"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)"
created="$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)"
# The source URL without any credentials a remote URL may carry.
source_url="$(git remote get-url origin 2>/dev/null | sed -E 's#^(https?://)[^/@]*@#\1#' || true)"
source_url="${source_url:-unknown}"

# ---- what to release: `infragen release-plan` prints the region, then, in
# roll-out order, one line per selected service: "topology name<TAB>image<TAB>
# repository URL". Exit status 2: a --service that names no service.
need "$INFRAGEN" "build it (cargo install --path infragen/cli) or set INFRAGEN"
plan_args=()
if [ -n "$outputs_json" ]; then
    plan_args+=(--outputs "$outputs_json")
else
    plan_args+=(--tf-dir "$TF_DIR")
fi
for s in "${services[@]}"; do plan_args+=(--service "$s"); done
parsed="$("$INFRAGEN" release-plan "${plan_args[@]}")" || {
    rc=$?
    [ "$rc" = 2 ] && exit 2
    die "cannot read the Terraform outputs"
}
region="$(printf '%s\n' "$parsed" | head -n1)"
services=()
declare -A image_of=() repo_url=()
while IFS=$'\t' read -r s image url; do
    [ -n "$s" ] || continue
    services+=("$s")
    image_of["$s"]="$image"
    repo_url["$s"]="$url"
done < <(printf '%s\n' "$parsed" | tail -n +2)

# ---- tools
if [ "$dry_run" = 0 ]; then
    need docker "install Docker with the buildx plugin"
    docker buildx version >/dev/null 2>&1 || die "docker buildx is missing (Docker >= 23 ships it)"
    need aws "install the AWS CLI v2 and configure credentials (aws configure / AWS_PROFILE)"
    aws sts get-caller-identity --region "$region" >/dev/null \
        || die "no valid AWS credentials (aws sts get-caller-identity failed)"
fi

# ---- log in to every registry involved (normally one per account and region)
declare -A logged_in=()
for s in "${services[@]}"; do
    host="${repo_url[$s]%%/*}"
    [ -n "${logged_in[$host]:-}" ] && continue
    if [ "$dry_run" = 1 ]; then
        printf '+ aws ecr get-login-password --region %q | docker login --username AWS --password-stdin %q\n' "$region" "$host"
    else
        aws ecr get-login-password --region "$region" \
            | docker login --username AWS --password-stdin "$host" >/dev/null
    fi
    logged_in[$host]=1
done

# ---- build and push (the Dockerfiles share their build stages: the
# workspace is compiled once, the later images come from the cache). Two
# services of one repository get one build.
declare -A built=()
for s in "${services[@]}"; do
    url="${repo_url[$s]}"
    image="${image_of[$s]}"
    [ -n "${built[$url]:-}" ] && continue
    built[$url]=1
    repository="${url#*/}"
    if [ "$dry_run" = 0 ] && aws ecr describe-images --region "$region" --repository-name "$repository" \
            --image-ids imageTag="$tag" >/dev/null 2>&1; then
        echo "release: $url:$tag is already in ECR (immutable tags): not rebuilt" >&2
        continue
    fi
    echo "release: building $image (service $s) for $platform -> $url:$tag" >&2
    run docker buildx build \
        --platform "$platform" \
        --file "Dockerfiles/$image.Dockerfile" \
        --build-arg "VERSION=$version" \
        --build-arg "REVISION=$revision" \
        --build-arg "CREATED=$created" \
        --build-arg "SOURCE=$source_url" \
        --tag "$url:$tag" \
        --push \
        .
done

# ---- roll out, callee before caller; each waits for a steady state and
# reports a circuit-breaker rollback as a failure
# (services is already in roll-out order; --service takes the topology name)
if [ "$deploy" = 1 ]; then
    for s in "${services[@]}"; do
        run "$INFRAGEN" deploy --service "$s" --image-tag "$tag" --wait
    done
fi
if [ "$dry_run" = 1 ]; then
    echo "release: dry run for ${services[*]} at $tag (nothing was run)" >&2
else
    echo "release: ${services[*]} at $tag released" >&2
fi
