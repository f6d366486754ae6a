"""The container policy of scripts/checks/30-containers.sh.

    policy.py dockerfiles CONTRACT DIR        Dockerfiles of the services and the
                                              Lambda functions (apps/* on lambda_runtime)
    policy.py compose CONTRACT CONFIG.json    `docker-compose config --format json`
    policy.py prometheus CONTRACT PROMETHEUS.yml CONFIG.json
    policy.py dashboard CONTRACT DASHBOARD.json DATASOURCES_DIR
    policy.py yaml CONTRACT FILE...           every FILE parses as YAML

CONTRACT is docs/contracts.json (binaries, ports, environment variables,
metrics, container user), which `infragen docs` generates from the
runtime-contract crate.
Prints one line per problem and exits 1 when there is any. The rules are
tested by test_policy.py, each on a fixture that breaks it.
"""
import json
import pathlib
import re
import sys
import tomllib
from typing import NamedTuple

class Contract(NamedTuple):
    """What docs/contracts.json (written by `infragen docs` from the
    runtime-contract crate) fixes for the containers."""
    binaries: list
    env: set
    metrics: set
    ports: dict
    user: str


def contracts(path):
    try:
        data = json.load(open(path))
        return Contract(
            binaries=sorted(a["binary"] for a in data["apps"]),
            env={v["name"] for v in data["environment"]},
            metrics=set(data["metrics"]),
            ports={a["binary"]: a["port"] for a in data["apps"]},
            user=data["container"]["user"],
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"{path}: not the contract `infragen docs` writes ({e!r}); run `infragen docs`")

def final_stage(lines):
    starts = [i for i, l in enumerate(lines) if re.match(r"FROM\s", l, re.I)]
    return lines[starts[-1]:] if starts else []

def logical_lines(text):
    out, buf = [], ""
    for raw in text.splitlines():
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        out.append(re.sub(r"\s+", " ", buf + s).strip())
        buf = ""
    if buf:
        out.append(buf.strip())
    return out

def lambda_function(app):
    """True when apps/<app> is a workspace crate built on lambda_runtime: its
    image is a Lambda function (container image), not an ECS service."""
    manifest = pathlib.Path("apps") / app / "Cargo.toml"
    if not manifest.is_file():
        return False
    deps = tomllib.load(open(manifest, "rb")).get("dependencies", {})
    return "lambda_runtime" in deps

def service_rules(f, app, final):
    """A service image: the contract's HEALTHCHECK, and a port."""
    errors = []
    want_hc = f'CMD ["/usr/local/bin/{app}", "healthcheck"]'
    hcs = [l for l in final if l.upper().startswith("HEALTHCHECK ")]
    if not hcs or not hcs[-1].endswith(want_hc):
        errors.append(f"{f}: final stage needs HEALTHCHECK ... {want_hc} (exec form, no shell), has {hcs[-1:] or 'none'}")
    if not any(l.upper().startswith("EXPOSE ") for l in final):
        errors.append(f"{f}: final stage has no EXPOSE")
    return errors

def function_rules(f, final):
    """A Lambda function image: Lambda runs no HEALTHCHECK and routes to no
    port (the function calls the Runtime API), so neither is declared."""
    errors = []
    if any(l.upper().startswith("HEALTHCHECK ") for l in final):
        errors.append(f"{f}: a Lambda function image has no HEALTHCHECK (Lambda does not run it)")
    if any(l.upper().startswith("EXPOSE ") for l in final):
        errors.append(f"{f}: a Lambda function image has no EXPOSE (it only calls the Lambda Runtime API)")
    return errors

def pinned_bases(f, lines):
    errors = []
    for l in lines:
        m = re.match(r"FROM\s+(?:--platform=\S+\s+)?(\S+)", l, re.I)
        if m and (m.group(1).endswith(":latest") or (":" not in m.group(1).split("/")[-1] and "@" not in m.group(1)
                                                      and m.group(1) not in {"chef", "planner", "builder", "scratch"})):
            errors.append(f"{f}: base image '{m.group(1)}' is not pinned to a version tag")
    return errors

def members_copied(f, lines):
    """Every workspace member must reach the builder, or cargo cannot load
    the workspace (a new top-level member needs a COPY line)."""
    members = tomllib.load(open("Cargo.toml", "rb")).get("workspace", {}).get("members", [])
    copied, stage = set(), None
    for l in lines:
        m = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", l, re.I)
        if m:
            stage = (m.group(1) or "").lower()
        elif stage == "builder" and l.upper().startswith("COPY ") and "--from=" not in l:
            parts = [x for x in l.split()[1:] if not x.startswith("--")]
            copied.update(x.rstrip("/") for x in parts[:-1])
    return [f"{f}: workspace member {m} is not copied into the builder stage"
            for m in members if not any(src == "." or m == src or m.startswith(src + "/") for src in copied)]

def dockerfile(f, contract, prefixes):
    """The rules of one Dockerfile; records its build stages in `prefixes`."""
    app = f.name[: -len(".Dockerfile")]
    text = f.read_text()
    errors = []
    lines = logical_lines(text)
    final = final_stage(lines)
    if app in contract.binaries:
        errors += service_rules(f, app, final)
    elif lambda_function(app):
        errors += function_rules(f, final)
    else:
        errors.append(f"{f}: {app} is not a binary of docs/contracts.md ({', '.join(contract.binaries)}) "
                      f"nor a Lambda function crate (apps/{app} depending on lambda_runtime)")
    errors += pinned_bases(f, lines)
    users = [l for l in final if l.upper().startswith("USER ")]
    if not users or users[-1].split()[1] != contract.user:
        errors.append(f"{f}: final stage must end with USER {contract.user} (docs/contracts.md), has {users[-1:] or 'none'}")
    want_ep = f'ENTRYPOINT ["/usr/local/bin/{app}"]'
    if want_ep not in final:
        errors.append(f"{f}: final stage needs {want_ep}")
    labels = " ".join(l for l in final if l.upper().startswith("LABEL "))
    for key in ("title", "description", "version", "revision", "created", "source", "licenses"):
        if f"org.opencontainers.image.{key}=" not in labels:
            errors.append(f"{f}: final stage lacks LABEL org.opencontainers.image.{key}")
    # Build stages: everything before the runtime stage, from the first FROM.
    raw = text.splitlines()
    first = next((i for i, l in enumerate(raw) if l.startswith("FROM ")), 0)
    marker = next((i for i, l in enumerate(raw) if l.startswith("# ---- runtime:")), None)
    if marker is None:
        errors.append(f"{f}: no '# ---- runtime: {app} ----' marker before the runtime stage")
    else:
        prefixes[f.name] = "\n".join(raw[first:marker])
        if not re.search(rf"-p {re.escape(app)}(\s|$)", prefixes[f.name]):
            errors.append(f"{f}: the shared builder stage does not build {app} (-p {app})")
    return errors + members_copied(f, lines)

def dockerfiles(directory, contract):
    errors = []
    files = sorted(pathlib.Path(directory).glob("*.Dockerfile"))
    if not files:
        errors.append(f"{directory}: no *.Dockerfile")
    prefixes = {}
    for f in files:
        errors += dockerfile(f, contract, prefixes)
    if len(set(prefixes.values())) > 1:
        names = sorted(prefixes)
        errors.append("build stages differ between " + ", ".join(names) +
                      ": keep them byte-identical so BuildKit compiles the workspace once")
    return errors

def compose(config_json, contract):
    env_names = contract.env
    cfg = json.load(open(config_json))
    errors = []
    services = cfg.get("services", {})
    required = {"inventory-database", "billing-database", "rabbitmq", *contract.ports}
    for missing in sorted(required - set(services)):
        errors.append(f"service {missing} is missing")
    nets = set(cfg.get("networks", {}))
    if len(nets) != 1:
        errors.append(f"expected exactly one network, found {sorted(nets)}")
    for name, s in services.items():
        where = f"services.{name}"
        if not s.get("healthcheck", {}).get("test"):
            errors.append(f"{where}: no healthcheck")
        if s.get("restart") not in ("on-failure", "unless-stopped", "always") and not str(s.get("restart", "")).startswith("on-failure:"):
            errors.append(f"{where}: restart policy is {s.get('restart')!r}")
        if "ALL" not in (s.get("cap_drop") or []):
            errors.append(f"{where}: cap_drop must include ALL")
        if not any(o.replace(" ", "") in ("no-new-privileges:true", "no-new-privileges") for o in s.get("security_opt") or []):
            errors.append(f"{where}: security_opt no-new-privileges:true is missing")
        if ":latest" in s.get("image", "") or (s.get("image") and ":" not in s["image"].split("/")[-1]):
            errors.append(f"{where}: image {s.get('image')!r} is not pinned to a tag")
        for p in s.get("ports") or []:
            ok = (name == "api-gateway-app" and p.get("target") == 3000) or \
                 (name == "grafana" and p.get("host_ip") == "127.0.0.1")
            if not ok:
                errors.append(f"{where}: publishes {p.get('host_ip') or '0.0.0.0'}:{p.get('published')}->{p.get('target')}; "
                              "only api-gateway-app (and Grafana on 127.0.0.1) may be published")
        for dep, d in (s.get("depends_on") or {}).items():
            dep_hc = services.get(dep, {}).get("healthcheck")
            if dep_hc and d.get("condition") != "service_healthy" and not (name == "api-gateway-app" and dep == "billing-app"):
                errors.append(f"{where}: depends_on {dep} should wait for condition service_healthy")
    for app, port in contract.ports.items():
        s = services.get(app)
        if not s:
            continue
        where = f"services.{app}"
        if s.get("user") != contract.user:
            errors.append(f"{where}: user must be {contract.user} (docs/contracts.md), is {s.get('user')!r}")
        if s.get("read_only") is not True:
            errors.append(f"{where}: read_only: true is missing")
        if not any(str(t).split(":")[0] == "/tmp" for t in s.get("tmpfs") or []):
            errors.append(f"{where}: tmpfs /tmp is missing")
        test = s.get("healthcheck", {}).get("test")
        if test != ["CMD", f"/usr/local/bin/{app}", "healthcheck"]:
            errors.append(f"{where}: healthcheck must be [CMD, /usr/local/bin/{app}, healthcheck], is {test}")
        env = s.get("environment") or {}
        for key in env:
            if key not in env_names:
                errors.append(f"{where}: environment {key} is not a variable of docs/contracts.md")
        if str(env.get("HTTP_PORT", port)) != str(port):
            errors.append(f"{where}: HTTP_PORT {env.get('HTTP_PORT')} != {port}")
        if s.get("build", {}).get("dockerfile") != f"Dockerfiles/{app}.Dockerfile":
            errors.append(f"{where}: build.dockerfile should be Dockerfiles/{app}.Dockerfile")
    # Named volumes for both databases and the gateway's logs.
    declared = set(cfg.get("volumes", {}))
    def named_volumes(svc):
        return {v.get("source") for v in services.get(svc, {}).get("volumes") or [] if v.get("type") == "volume"}
    for svc in ("inventory-database", "billing-database", "api-gateway-app"):
        vols = named_volumes(svc) & declared
        if not vols:
            errors.append(f"services.{svc}: needs a named volume")
    return errors

def prometheus(path, config_json, contract):
    import yaml
    try:
        cfg = yaml.safe_load(open(path))
    except yaml.YAMLError as e:
        return [f"{path}: not YAML: {e}"]
    if not isinstance(cfg, dict) or not isinstance(cfg.get("scrape_configs"), list):
        return [f"{path}: no scrape_configs list"]
    targets = set()
    for job in cfg["scrape_configs"]:
        if not job.get("job_name"):
            return [f"{path}: a scrape config without job_name"]
        for sc in job.get("static_configs") or []:
            targets.update(sc.get("targets") or [])
    services = json.load(open(config_json)).get("services", {})
    errors = []
    for app, port in contract.ports.items():
        if app in services and f"{app}:{port}" not in targets:
            errors.append(f"{path}: {app}:{port} is not scraped")
    return errors

def dashboard(path, contract, datasources_dir):
    import yaml
    metrics = contract.metrics
    try:
        dash = json.load(open(path))
    except ValueError as e:
        return [f"{path}: not valid JSON: {e}"]
    errors = []
    for key in ("uid", "title", "panels"):
        if key not in dash:
            errors.append(f"{path}: no '{key}'")
    exprs, uids = [], set()
    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get("expr"), str):
                exprs.append(o["expr"])
            ds = o.get("datasource")
            if isinstance(ds, dict) and "uid" in ds:
                uids.add(ds["uid"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(dash.get("panels", []))
    text = "\n".join(exprs)
    for m in sorted(metrics):
        if not re.search(rf"\b{m}(_bucket|_sum|_count)?\b", text):
            errors.append(f"{path}: no panel uses {m} (docs/contracts.md)")
    provisioned = set()
    for f in pathlib.Path(datasources_dir).glob("*.y*ml"):
        for ds in (yaml.safe_load(open(f)) or {}).get("datasources", []):
            provisioned.add(ds.get("uid"))
    for u in sorted(uids - provisioned):
        errors.append(f"{path}: datasource uid {u!r} is not provisioned in {datasources_dir}")
    return errors

def main():
    kind, contract_json, *args = sys.argv[1:]
    contract = contracts(contract_json)
    if kind == "dockerfiles":
        errors = dockerfiles(args[0], contract)
    elif kind == "compose":
        errors = compose(args[0], contract)
    elif kind == "prometheus":
        errors = prometheus(args[0], args[1], contract)
    elif kind == "dashboard":
        errors = dashboard(args[0], contract, args[1])
    elif kind == "yaml":
        import yaml
        errors = []
        for f in args:
            try:
                yaml.safe_load(open(f))
            except yaml.YAMLError as e:
                errors.append(f"{f}: not YAML: {e}")
    else:
        sys.exit(f"unknown check {kind}")
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)

if __name__ == "__main__":
    main()
