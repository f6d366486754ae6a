"""Tests of policy.py: the repository passes every rule, and each rule fails
on a copy broken for it (a committed fixture under
scripts/checks/fixtures/containers-broken/ or a one-line change made here).

Run from the repository root by scripts/checks/30-containers.sh:
    COMPOSE_JSON=normalised-config.json python -m unittest scripts/containers/test_policy.py
COMPOSE_JSON is `docker-compose config --format json` of docker-compose.yml
with every profile.
"""
import copy
import json
import os
import pathlib
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import policy  # noqa: E402

CONTRACT = "docs/contracts.json"
BROKEN = pathlib.Path("scripts/checks/fixtures/containers-broken")
OBS = pathlib.Path("deploy/observability")
DATASOURCES = OBS / "grafana/provisioning/datasources"
DASHBOARD = OBS / "grafana/dashboards/golden-signals.json"
PROMETHEUS = OBS / "prometheus/prometheus.yml"


def compose_json():
    path = os.environ.get("COMPOSE_JSON")
    if not path:
        raise unittest.SkipTest("COMPOSE_JSON not set (30-containers.sh sets it)")
    return json.load(open(path))


class Scratch(unittest.TestCase):
    def setUp(self):
        self.dir = pathlib.Path(tempfile.mkdtemp())
        self.contract = policy.contracts(CONTRACT)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def assertFailsWith(self, errors, text):
        self.assertTrue(any(text in e for e in errors), f"no error mentions {text!r}: {errors}")


class Contract(Scratch):
    def test_reads_binaries_env_and_metrics(self):
        self.assertEqual(self.contract.binaries, ["api-gateway-app", "billing-app", "inventory-app"])
        self.assertEqual(self.contract.ports["api-gateway-app"], 3000)
        self.assertIn("PGHOST", self.contract.env)
        self.assertTrue(self.contract.metrics)

    def test_unreadable_contract_is_an_error(self):
        path = self.dir / "contracts.json"
        path.write_text('{"apps": []}')
        with self.assertRaises(SystemExit) as e:
            policy.contracts(path)
        self.assertIn("run `infragen docs`", str(e.exception))


class Dockerfiles(Scratch):
    def copy_with(self, old, new, name="inventory-app.Dockerfile"):
        """Dockerfiles/ copied, with `old` replaced by `new` in one file."""
        d = self.dir / "Dockerfiles"
        shutil.copytree("Dockerfiles", d)
        text = (d / name).read_text()
        self.assertIn(old, text)
        (d / name).write_text(text.replace(old, new))
        return policy.dockerfiles(d, self.contract)

    def test_repository_passes(self):
        self.assertEqual(policy.dockerfiles("Dockerfiles", self.contract), [])

    def test_fixture_root_user_and_curl_healthcheck(self):
        errors = policy.dockerfiles(BROKEN / "dockerfile-policy", self.contract)
        self.assertFailsWith(errors, "USER 65532:65532")

    def test_unpinned_base(self):
        errors = self.copy_with("FROM rust:1.95.0-slim-trixie", "FROM rust:latest")
        self.assertFailsWith(errors, "is not pinned")

    def test_healthcheck_exec_form(self):
        errors = self.copy_with('CMD ["/usr/local/bin/inventory-app", "healthcheck"]', "CMD curl -f localhost")
        self.assertFailsWith(errors, "needs HEALTHCHECK")

    def test_entrypoint(self):
        errors = self.copy_with('ENTRYPOINT ["/usr/local/bin/inventory-app"]', 'ENTRYPOINT ["/bin/sh"]')
        self.assertFailsWith(errors, "needs ENTRYPOINT")

    def test_expose(self):
        errors = self.copy_with("EXPOSE 8080", "")
        self.assertFailsWith(errors, "no EXPOSE")

    def test_oci_labels(self):
        errors = self.copy_with("org.opencontainers.image.licenses=", "org.example.licenses=")
        self.assertFailsWith(errors, "org.opencontainers.image.licenses")

    def test_runtime_marker(self):
        errors = self.copy_with("# ---- runtime:", "# runtime:")
        self.assertFailsWith(errors, "marker before the runtime stage")

    def test_build_stages_identical(self):
        errors = self.copy_with("WORKDIR /src", "WORKDIR /source")
        self.assertFailsWith(errors, "build stages differ")

    def test_workspace_member_copied(self):
        errors = self.copy_with("COPY infragen infragen", "")
        self.assertFailsWith(errors, "is not copied into the builder stage")

    def test_unknown_binary(self):
        d = self.dir / "Dockerfiles"
        shutil.copytree("Dockerfiles", d)
        (d / "inventory-app.Dockerfile").rename(d / "payments-app.Dockerfile")
        self.assertFailsWith(policy.dockerfiles(d, self.contract), "is not a binary of docs/contracts.md")


class FunctionDockerfiles(Scratch):
    """The Lambda function image (deploy-hook.Dockerfile): the shared build
    stages and the common rules, but no HEALTHCHECK and no EXPOSE."""
    FUNCTION = "deploy-hook.Dockerfile"

    def function_with(self, old, new):
        return Dockerfiles.copy_with(self, old, new, name=self.FUNCTION)

    def test_function_is_checked(self):
        self.assertTrue(policy.lambda_function("deploy-hook"))
        self.assertFalse(policy.lambda_function("inventory-app"))
        self.assertFalse(policy.lambda_function("no-such-crate"))

    def test_function_expose(self):
        errors = self.function_with("USER 65532:65532", "EXPOSE 8080\nUSER 65532:65532")
        self.assertFailsWith(errors, "a Lambda function image has no EXPOSE")

    def test_function_healthcheck(self):
        errors = self.function_with("USER 65532:65532",
                                    'USER 65532:65532\nHEALTHCHECK CMD ["/usr/local/bin/deploy-hook", "healthcheck"]')
        self.assertFailsWith(errors, "a Lambda function image has no HEALTHCHECK")

    def test_function_user(self):
        errors = self.function_with("USER 65532:65532", "USER root")
        self.assertFailsWith(errors, "deploy-hook.Dockerfile: final stage must end with USER 65532:65532")

    def test_function_entrypoint(self):
        errors = self.function_with('ENTRYPOINT ["/usr/local/bin/deploy-hook"]', 'ENTRYPOINT ["/bootstrap"]')
        self.assertFailsWith(errors, 'needs ENTRYPOINT ["/usr/local/bin/deploy-hook"]')

    def test_function_shares_the_build_stages(self):
        errors = self.function_with("WORKDIR /src", "WORKDIR /lambda")
        self.assertFailsWith(errors, "build stages differ")

    def test_builder_builds_the_function(self):
        d = self.dir / "Dockerfiles"
        shutil.copytree("Dockerfiles", d)
        for f in d.glob("*.Dockerfile"):
            text = f.read_text()
            self.assertIn(" -p deploy-hook", text)
            f.write_text(text.replace(" -p deploy-hook", ""))
        errors = policy.dockerfiles(d, self.contract)
        self.assertFailsWith(errors, "the shared builder stage does not build deploy-hook (-p deploy-hook)")

    def test_crate_without_lambda_runtime_is_not_a_function(self):
        d = self.dir / "Dockerfiles"
        shutil.copytree("Dockerfiles", d)
        (d / self.FUNCTION).rename(d / "runtime-contract.Dockerfile")
        self.assertFailsWith(policy.dockerfiles(d, self.contract), "nor a Lambda function crate")

    def test_fixture_function_with_service_instructions(self):
        errors = policy.dockerfiles(BROKEN / "function-policy", self.contract)
        self.assertFailsWith(errors, "a Lambda function image has no HEALTHCHECK")
        self.assertFailsWith(errors, "a Lambda function image has no EXPOSE")


class Compose(Scratch):
    def check(self, change):
        cfg = copy.deepcopy(compose_json())
        change(cfg)
        path = self.dir / "compose.json"
        path.write_text(json.dumps(cfg))
        return policy.compose(path, self.contract)

    def test_repository_passes(self):
        self.assertEqual(self.check(lambda cfg: None), [])

    def test_missing_service(self):
        self.assertFailsWith(self.check(lambda c: c["services"].pop("rabbitmq")), "service rabbitmq is missing")

    def test_one_network(self):
        self.assertFailsWith(self.check(lambda c: c["networks"].update(other={})), "exactly one network")

    def test_healthcheck(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["rabbitmq"].pop("healthcheck")), "no healthcheck")

    def test_restart(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["rabbitmq"].update(restart="no")), "restart policy")

    def test_cap_drop(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["rabbitmq"].update(cap_drop=[])), "cap_drop")

    def test_no_new_privileges(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["rabbitmq"].update(security_opt=[])),
                             "no-new-privileges")

    def test_image_pinned(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["rabbitmq"].update(image="rabbitmq:latest")),
                             "is not pinned")

    def test_only_gateway_published(self):
        port = {"mode": "ingress", "host_ip": "0.0.0.0", "target": 5432, "published": "5432", "protocol": "tcp"}
        self.assertFailsWith(self.check(lambda c: c["services"]["inventory-database"].update(ports=[port])),
                             "only api-gateway-app")

    def test_depends_on_healthy(self):
        def change(c):
            c["services"]["inventory-app"]["depends_on"]["inventory-database"]["condition"] = "service_started"
        self.assertFailsWith(self.check(change), "should wait for condition service_healthy")

    def test_app_user(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["billing-app"].update(user="0:0")),
                             "user must be 65532:65532")

    def test_app_read_only(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["billing-app"].update(read_only=False)), "read_only")

    def test_app_tmpfs(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["billing-app"].update(tmpfs=[])), "tmpfs /tmp")

    def test_app_healthcheck(self):
        def change(c):
            c["services"]["billing-app"]["healthcheck"]["test"] = ["CMD-SHELL", "curl -f localhost:8080/healthz"]
        self.assertFailsWith(self.check(change), "healthcheck must be")

    def test_app_env_in_contract(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["billing-app"]["environment"].update(DB_HOST="x")),
                             "DB_HOST is not a variable")

    def test_app_port(self):
        def change(c):
            c["services"]["api-gateway-app"]["environment"]["HTTP_PORT"] = "8080"
        self.assertFailsWith(self.check(change), "HTTP_PORT 8080 != 3000")

    def test_app_dockerfile(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["billing-app"]["build"].update(dockerfile="Dockerfile")),
                             "build.dockerfile")

    def test_named_volumes(self):
        self.assertFailsWith(self.check(lambda c: c["services"]["billing-database"].update(volumes=[])),
                             "needs a named volume")


class Prometheus(Scratch):
    def write_compose(self):
        path = self.dir / "compose.json"
        path.write_text(json.dumps(compose_json()))
        return path

    def test_repository_passes(self):
        self.assertEqual(policy.prometheus(PROMETHEUS, self.write_compose(), self.contract), [])

    def test_fixture_not_yaml(self):
        self.assertFailsWith(policy.prometheus(BROKEN / "prometheus/prometheus.yml", self.write_compose(), self.contract), "not YAML")

    def test_fixture_target_missing(self):
        errors = policy.prometheus(BROKEN / "prometheus-targets/prometheus.yml", self.write_compose(), self.contract)
        self.assertFailsWith(errors, "billing-app:8080 is not scraped")

    def test_no_scrape_configs(self):
        path = self.dir / "prometheus.yml"
        path.write_text("global: {}\n")
        self.assertFailsWith(policy.prometheus(path, self.write_compose(), self.contract), "no scrape_configs")

    def test_job_name(self):
        path = self.dir / "prometheus.yml"
        path.write_text("scrape_configs:\n  - static_configs: [{targets: [a:1]}]\n")
        self.assertFailsWith(policy.prometheus(path, self.write_compose(), self.contract), "without job_name")


class Dashboard(Scratch):
    def test_repository_passes(self):
        self.assertEqual(policy.dashboard(DASHBOARD, self.contract, DATASOURCES), [])

    def test_fixture_not_json(self):
        self.assertFailsWith(policy.dashboard(BROKEN / "dashboard/golden-signals.json", self.contract, DATASOURCES),
                             "not valid JSON")

    def test_fixture_metric_unused(self):
        errors = policy.dashboard(BROKEN / "dashboard-metrics/golden-signals.json", self.contract, DATASOURCES)
        self.assertFailsWith(errors, "no panel uses")

    def test_required_keys(self):
        dash = json.load(open(DASHBOARD))
        dash.pop("uid")
        path = self.dir / "dash.json"
        path.write_text(json.dumps(dash))
        self.assertFailsWith(policy.dashboard(path, self.contract, DATASOURCES), "no 'uid'")

    def test_datasource_provisioned(self):
        text = DASHBOARD.read_text()
        dash = json.loads(text)
        dash["panels"][0]["datasource"] = {"type": "prometheus", "uid": "nowhere"}
        path = self.dir / "dash.json"
        path.write_text(json.dumps(dash))
        self.assertFailsWith(policy.dashboard(path, self.contract, DATASOURCES), "'nowhere' is not provisioned")


if __name__ == "__main__":
    unittest.main()
