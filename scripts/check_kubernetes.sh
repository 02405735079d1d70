#!/usr/bin/env bash
# Offline checks of the Kubernetes manifests in deploy/kubernetes (issue 35): yamllint, the
# Kubernetes OpenAPI schemas (kubernetes-validate --strict, pinned Kubernetes versions), the
# kustomize rendering when kubectl is installed, and properties no schema can see (secrets
# only from the Secret, probe paths, rollout and shutdown timings, selectors). Needs python3;
# the first run installs deploy/kubernetes/requirements.txt from PyPI into
# target/kubernetes-venv, later runs reuse it. No cluster is contacted.
#
#   scripts/check_kubernetes.sh [DIR]   (DIR: a copy of deploy/kubernetes to check instead)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shown=${1:-deploy/kubernetes}
dir=$(cd "${1:-$root/deploy/kubernetes}" && pwd)
cd "$root"

# The schema versions checked against: the oldest minor this base is meant for and the newest
# the pinned kubernetes-validate ships. Change deliberately, together with requirements.txt.
k8s_versions=(1.33.0 1.37.0)
venv=target/kubernetes-venv

fail() { echo "check_kubernetes: FAIL: $*" >&2; exit 1; }
ok() { echo "check_kubernetes: ok: $*"; }

# --- the tools, pinned, in a virtualenv of their own -----------------------------------------
command -v python3 >/dev/null || fail "python3 is not installed"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || fail "cannot create a virtualenv in $venv (python3-venv missing?)"
fi
# Installed again only when requirements.txt changes, so later runs need no network.
stamp="$venv/requirements.sha256"
wanted=$(sha256sum deploy/kubernetes/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    echo "check_kubernetes: installing deploy/kubernetes/requirements.txt into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r deploy/kubernetes/requirements.txt || fail "pip install failed"
    echo "$wanted" >"$stamp"
fi
yamllint="$venv/bin/yamllint"
kubernetes_validate="$venv/bin/kubernetes-validate"
ok "$("$yamllint" --version), kubernetes-validate $("$kubernetes_validate" --version)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- 1. YAML syntax and style ----------------------------------------------------------------
"$yamllint" -s -c deploy/kubernetes/.yamllint "$dir" || fail "yamllint (above)"
ok "yamllint -s"

# --- 2. Every object against the Kubernetes schemas ------------------------------------------
# kustomization.yaml is no Kubernetes object: kubernetes-validate finds no schema for it and
# only warns, with exit status 0, just as it does for a misspelt kind or an apiVersion the
# cluster no longer serves. So it is left out, and any output at all from the manifests
# (--quiet prints only warnings and errors) fails the check.
manifests=()
for f in "$dir"/*.yaml; do
    [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f")
done
[ ${#manifests[@]} -gt 0 ] || fail "no manifests in $shown"
validate() { # files...: kubernetes-validate --strict against each pinned version
    local args=() v out status=0
    for v in "${k8s_versions[@]}"; do args+=(-k "$v"); done
    out=$("$kubernetes_validate" --strict --quiet "${args[@]}" "$@" 2>&1) || status=$?
    if [ "$status" -ne 0 ] || [ -n "$out" ]; then
        echo "$out" >&2
        return 1
    fi
}
validate "${manifests[@]}" || fail "kubernetes-validate (above)"
ok "kubernetes-validate --strict, Kubernetes ${k8s_versions[*]}: ${#manifests[@]} files"

# --- 3. The kustomization as kubectl renders it ----------------------------------------------
if command -v kubectl >/dev/null; then
    kubectl kustomize "$dir" >"$work/rendered.yaml" 2>"$work/kustomize.err" \
        || fail "kubectl kustomize: $(cat "$work/kustomize.err")"
    validate "$work/rendered.yaml" || fail "kubernetes-validate of the kustomize output (above)"
    if grep -Eq '^ *image: *"?api"?$' "$work/rendered.yaml"; then
        fail "kustomize left image: api as it is (images: in kustomization.yaml)"
    fi
    ok "kubectl kustomize: $(grep -c '^kind:' "$work/rendered.yaml") objects, all valid"
else
    echo "check_kubernetes: skipped: kubectl kustomize (kubectl is not installed)"
fi

# --- 4. What the schemas cannot see ----------------------------------------------------------
"$venv/bin/python" - "$dir" <<'PY' || fail "manifest properties (above)"
import ipaddress, pathlib, re, sys
import yaml

d = pathlib.Path(sys.argv[1])
errors = []
err = errors.append


def from_source(path, pattern, what):
    found = re.search(pattern, pathlib.Path(path).read_text())
    if not found:
        sys.exit(f"check_kubernetes: cannot find {what} in {path}")
    return found.group(1)


TEMPLATE = "secret.example.yaml"  # a template for `kubectl create secret`, never applied
SECRET_KEYS = ("JWT_SECRET", "DATABASE_URL", "ADMIN_PASSWORD")
LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of")
SHUTDOWN = int(from_source("crates/api/src/startup.rs", r"\.shutdown_timeout\((\d+)\)",
                           "the server's shutdown_timeout"))
# WS_PING_SECS's default (the manifests do not set it).
PING = int(from_source("crates/infra/src/config/mod.rs", r"ws_ping_secs: (\d+),",
                       "the WebSocket ping interval"))

# The variables the service reads: Config's fields in upper case (as Config::keys() does),
# and the names its sources quote (the OTEL_* ones of the tracing setup).
fields = from_source("crates/infra/src/config/mod.rs", r"(?s)pub struct Config \{(.*?)\n\}",
                     "struct Config")
keys = {f.upper() for f in re.findall(r"^\s*pub (\w+):", fields, re.M)}
sources = "\n".join(p.read_text() for p in pathlib.Path("crates").glob("*/src/**/*.rs"))


def read_by_service(name):
    return name in keys or f'"{name}"' in sources


# kustomization.yaml lists every manifest but the Secret template, and nothing else.
files = sorted(p.name for p in d.glob("*.yaml") if p.name != "kustomization.yaml")
listed = (yaml.safe_load((d / "kustomization.yaml").read_text()) or {}).get("resources") or []
for name in listed:
    if not (d / name).is_file():
        err(f"kustomization.yaml lists {name}, which does not exist")
for name in files:
    if name not in listed and name != TEMPLATE:
        err(f"{name} is not listed in kustomization.yaml's resources")
if TEMPLATE in listed:
    err(f"{TEMPLATE} is listed in kustomization.yaml: applying it would replace the real Secret")

objects = [(f, o) for f in files for o in yaml.safe_load_all((d / f).read_text()) if o]


def the(kind, name):
    found = [o for _, o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    if len(found) != 1:
        sys.exit(f"check_kubernetes: expected one {kind} {name}, found {len(found)}")
    return found[0]


def pod_spec(o):
    return o["spec"]["template"]["spec"]


def template_labels(o):
    return o["spec"]["template"]["metadata"].get("labels") or {}


for f, o in objects:
    missing = [label for label in LABELS if label not in (o["metadata"].get("labels") or {})]
    if missing:
        err(f"{f}: {o['kind']} {o['metadata']['name']} lacks the labels {', '.join(missing)}")

# The ConfigMap: real settings only, no secret, production values, parseable proxies.
configmaps = {o["metadata"]["name"]: o.get("data") or {}
              for _, o in objects if o["kind"] == "ConfigMap"}
for name, data in configmaps.items():
    for key in data:
        if not read_by_service(key):
            err(f"ConfigMap {name}: the service reads no {key} "
                "(not a field of Config, not quoted in crates/*/src)")
        if key in SECRET_KEYS:
            err(f"ConfigMap {name}: {key} is a secret; it belongs in the Secret")
config = configmaps.get("api-config", {})
for key, want in {"APP_ENV": "production", "LOG_FORMAT": "json", "AUTO_MIGRATE": "false"}.items():
    if str(config.get(key)) != want:
        err(f"ConfigMap api-config: {key} is {config.get(key)!r}, not {want!r}")
for entry in str(config.get("TRUSTED_PROXIES", "")).split(","):
    try:
        if entry.strip():
            ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        err(f"ConfigMap api-config: TRUSTED_PROXIES {entry!r} is no address or CIDR range")

# Every workload: secrets from the Secret only, real settings only, locked down.
workloads = [(f, o) for f, o in objects if o["kind"] in ("Deployment", "Job")]
for f, o in workloads:
    spec, where = pod_spec(o), f"{f}: {o['kind']} {o['metadata']['name']}"
    psc = spec.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") != 10001:
        err(f"{where}: runAsNonRoot and runAsUser 10001 (the image's user) are required")
    if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        err(f"{where}: seccompProfile RuntimeDefault is required")
    for c in spec["containers"]:
        at = f"{where}, container {c['name']}"
        origin = {}  # variable -> where its values come from
        secret_refs = [e for e in c.get("envFrom") or [] if "secretRef" in e]
        for e in c.get("envFrom") or []:
            if "configMapRef" in e:
                for key in configmaps.get(e["configMapRef"]["name"], {}):
                    origin.setdefault(key, []).append("a configMapRef")
        for e in c.get("env") or []:
            if not read_by_service(e["name"]):
                err(f"{at}: the service reads no {e['name']}")
            how = "value" if "value" in e else next(iter(e.get("valueFrom") or {}), "nothing")
            origin.setdefault(e["name"], []).append(how)
        for key in SECRET_KEYS:
            if not origin.get(key) and not secret_refs:
                err(f"{at}: {key} is not set from the Secret")
            bad = [how for how in origin.get(key, []) if how != "secretKeyRef"]
            if bad:
                err(f"{at}: {key} comes from {', '.join(bad)}; "
                    "only a secretKeyRef or secretRef may set it")
        csc = c.get("securityContext") or {}
        if csc.get("allowPrivilegeEscalation") is not False:
            err(f"{at}: allowPrivilegeEscalation must be false")
        if csc.get("readOnlyRootFilesystem") is not True:
            err(f"{at}: readOnlyRootFilesystem must be true")
        if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
            err(f"{at}: capabilities must drop ALL")
        resources = c.get("resources") or {}
        if not resources.get("requests") or not resources.get("limits"):
            err(f"{at}: resources requests and limits are required")

# The API Deployment: probes, rollout, shutdown.
api = the("Deployment", "api")
spec = pod_spec(api)
c = spec["containers"][0]


def probe_path(name):
    return ((c.get(name) or {}).get("httpGet") or {}).get("path")


if probe_path("livenessProbe") != "/health":
    err(f"api: the liveness probe is {probe_path('livenessProbe')!r}, not /health (readiness "
        "checks dependencies: a database outage must not restart every replica)")
if probe_path("readinessProbe") != "/health/ready":
    err(f"api: the readiness probe is {probe_path('readinessProbe')!r}, not /health/ready")
if not c.get("startupProbe"):
    err("api: no startupProbe")
strategy = api["spec"].get("strategy") or {}
unavailable = (strategy.get("rollingUpdate") or {}).get("maxUnavailable")
if strategy.get("type") != "RollingUpdate" or str(unavailable) not in ("0", "0%"):
    err("api: a rolling update with maxUnavailable 0 is required, "
        f"found {strategy.get('type')} {unavailable!r}")
pre_stop = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command")
if (not isinstance(pre_stop, list) or len(pre_stop) != 2 or pre_stop[0] != "sleep"
        or not str(pre_stop[1]).isdigit()):
    err(f"api: preStop must be exec sleep N (the load balancer stops first), found {pre_stop}")
    sleep = 0
else:
    sleep = int(pre_stop[1])
grace = spec.get("terminationGracePeriodSeconds", 30)
if grace <= SHUTDOWN + sleep:
    err(f"api: terminationGracePeriodSeconds {grace} must exceed the preStop sleep ({sleep} s) "
        f"plus the server's shutdown_timeout ({SHUTDOWN} s)")
ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
if str(ports.get("http")) != str(config.get("PORT")):
    err(f"api: container port http {ports.get('http')} is not PORT {config.get('PORT')!r}")
if api["spec"].get("replicas", 2) < 2:
    err("api: fewer than 2 replicas")

worker = the("Deployment", "api-worker")
if pod_spec(worker).get("terminationGracePeriodSeconds", 30) <= SHUTDOWN:
    err(f"api-worker: terminationGracePeriodSeconds must exceed {SHUTDOWN} s")
for wc in pod_spec(worker)["containers"]:
    probes = ("livenessProbe", "readinessProbe", "startupProbe")
    if wc.get("ports") or any(wc.get(p) for p in probes):
        err("api-worker: `api worker` serves no HTTP: no ports, no HTTP probes")
job = the("Job", "api-migrate")
if job["spec"].get("backoffLimit") is None or job["spec"].get("ttlSecondsAfterFinished") is None:
    err("api-migrate: backoffLimit and ttlSecondsAfterFinished are required")


# Selectors: each Deployment owns its pods; the Service and PDB pick the API's, never the
# worker's.
def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


for f, o in workloads:
    if o["kind"] == "Deployment" and not selects(o["spec"]["selector"]["matchLabels"],
                                                 template_labels(o)):
        err(f"{f}: the selector does not match the pod template's labels")
pdb = the("PodDisruptionBudget", "api")
for kind, selector in (("Service", the("Service", "api")["spec"]["selector"]),
                       ("PodDisruptionBudget", pdb["spec"]["selector"]["matchLabels"])):
    if not selects(selector, template_labels(api)) or selects(selector, template_labels(worker)):
        err(f"{kind} api: the selector must match the API's pods and not the worker's")
hpa = the("HorizontalPodAutoscaler", "api")
if hpa["spec"]["scaleTargetRef"].get("name") != "api" or hpa["spec"].get("minReplicas", 1) < 2:
    err("HorizontalPodAutoscaler api: must scale the Deployment api, minReplicas 2 or more")
annotations = the("Ingress", "api")["metadata"].get("annotations") or {}
for key in ("proxy-read-timeout", "proxy-send-timeout"):
    value = str(annotations.get(f"nginx.ingress.kubernetes.io/{key}", "unset"))
    if not value.isdigit() or int(value) < 75:
        err(f"Ingress api: {key} is {value}, not 75 s or more (the server pings every {PING} s)")

for e in errors:
    print(f"check_kubernetes: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"check_kubernetes: ok: properties of {len(objects)} objects in {len(files)} files "
      f"(shutdown_timeout {SHUTDOWN} s, ping every {PING} s)")
PY

echo "check_kubernetes: OK: $shown (yamllint, kubernetes-validate ${k8s_versions[*]}, properties)"
