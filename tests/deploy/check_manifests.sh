#!/usr/bin/env bash
# Checks the Kubernetes deployment files, from the repository root:
#   1. render: `kubectl kustomize deploy/k8s` (skipped, saying so, without
#      kubectl; check 2 then reads the base's files as they are);
#   2. k8s-schema: every rendered object against the Kubernetes OpenAPI
#      schemas (npm kubernetes-models, tests/deploy/validate.mjs), plus the
#      server's option names and the grace-period arithmetic;
#   3. yamllint: deploy/k8s and helm/strata/{Chart,values}.yaml
#      (tests/deploy/.yamllint, --strict);
#   4. values-schema: helm/strata/values.yaml against values.schema.json
#      (npm ajv, tests/deploy/validate_values.mjs);
#   5. dockerfile-packages: the runtime stage's apt packages exist.
# Helm templates are not rendered (no helm binary here); they are reviewed by
# eye. Needs only apt (yamllint, installed when missing) and npm (packages
# pinned by tests/deploy/package-lock.json, installed once under
# ${BUILD_DIR:-build}/deploy-check/npm). Exits 1 when any check fails.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD_DIR=${BUILD_DIR:-build}
WORK="$BUILD_DIR/deploy-check"
NPM_PREFIX="$WORK/npm"
mkdir -p "$WORK"

passed=0
failed=0
skipped=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

# npm tools, reinstalled only when the lock file changes.
npm_ready=0
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node/npm not found (apt-get install nodejs npm)"
elif [ -d "$NPM_PREFIX/node_modules" ] && cmp -s tests/deploy/package-lock.json "$NPM_PREFIX/package-lock.json"; then
  npm_ready=1
else
  mkdir -p "$NPM_PREFIX"
  cp tests/deploy/package.json tests/deploy/package-lock.json "$NPM_PREFIX/"
  echo "== npm ci --prefix $NPM_PREFIX"
  if npm ci --prefix "$NPM_PREFIX" --no-audit --no-fund --loglevel=error; then
    npm_ready=1
  else
    rm -f "$NPM_PREFIX/package-lock.json"  # retry next run
  fi
fi

# 1. render
rendered="$WORK/k8s-rendered.yaml"
echo "== render: kubectl kustomize deploy/k8s"
if command -v kubectl >/dev/null; then
  if kubectl kustomize deploy/k8s >"$rendered"; then
    pass render
  else
    fail render "kubectl kustomize deploy/k8s"
    rendered=""
  fi
else
  skip render "kubectl not found; checking the base's files without kustomize"
  {
    for f in deploy/k8s/*.yaml; do
      [ "$(basename "$f")" = kustomization.yaml ] && continue
      echo "---"
      cat "$f"
    done
    printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strata-config\ndata:\n  strata.json: |\n'
    sed 's/^/    /' deploy/k8s/strata.json
  } >"$rendered"
fi

# 2. k8s-schema
echo "== k8s-schema: kubernetes-models"
if [ -z "$rendered" ]; then
  fail k8s-schema "nothing rendered"
elif [ "$npm_ready" -ne 1 ]; then
  fail k8s-schema "npm packages not installed"
elif node tests/deploy/validate.mjs "$NPM_PREFIX" "$rendered" server/server_options.h; then
  pass k8s-schema
else
  fail k8s-schema
fi

# 3. yamllint
echo "== yamllint"
if ! command -v yamllint >/dev/null; then
  echo "installing yamllint with apt-get"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq yamllint >/dev/null
fi
if ! command -v yamllint >/dev/null; then
  fail yamllint "yamllint not installed (apt-get install yamllint)"
elif yamllint --strict -c tests/deploy/.yamllint deploy/k8s helm/strata/Chart.yaml helm/strata/values.yaml; then
  pass yamllint
else
  fail yamllint
fi

# 4. values-schema
echo "== values-schema: ajv"
if [ "$npm_ready" -ne 1 ]; then
  fail values-schema "npm packages not installed"
elif node tests/deploy/validate_values.mjs "$NPM_PREFIX" helm/strata/values.yaml helm/strata/values.schema.json \
    server/server_options.h; then
  pass values-schema
else
  fail values-schema
fi

# 5. dockerfile-packages: the words after "apt-get install" up to "&&" in the
# runtime stage (from its FROM line on).
echo "== dockerfile-packages"
packages=$(awk '/^FROM .* AS runtime/ { rt = 1 } rt && /apt-get install/ { on = 1; sub(/.*apt-get install/, "") }
  on { for (i = 1; i <= NF; i++) { if ($i == "&&") { on = 0; break } if ($i !~ /^-/ && $i != "\\") print $i } }' deploy/Dockerfile)
if [ -z "$packages" ]; then
  fail dockerfile-packages "no apt-get install in the runtime stage of deploy/Dockerfile"
elif ! command -v apt-cache >/dev/null; then
  skip dockerfile-packages "apt-cache not found"
else
  missing=""
  for p in $packages; do
    apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -z "$missing" ]; then
    echo "$(echo $packages | wc -w) packages found:" $packages
    pass dockerfile-packages
  else
    fail dockerfile-packages "not in apt:$missing"
  fi
fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
