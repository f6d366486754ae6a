//! `infragen status|deploy|users|token` end to end against moto (the local
//! AWS emulator), through the real binary. moto must be installed
//! (scripts/install-tools.sh); these tests fail, never skip, without it.
use moto_harness as moto;

use infragen_aws::cognito_sdk::types::{ExplicitAuthFlowsType, UsernameAttributeType};
use infragen_aws::ecs_sdk::types::{
    Compatibility, ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration,
    KeyValuePair, LaunchType, NetworkMode,
};
use infragen_aws::{Aws, AwsSettings};
use moto::Moto;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "Sup3r-secret-passw0rd!";
const REPO: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/inventory-app";

/// An SDK configuration for setting up fixtures in moto.
async fn sdk(moto: &Moto) -> Aws {
    infragen_aws::config::load(&AwsSettings {
        region: Some(moto::REGION.into()),
        endpoint_url: Some(moto.endpoint.clone()),
        static_credentials: Some(("testing".into(), "testing".into())),
        ..AwsSettings::default()
    })
    .await
    .expect("SDK config for moto")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Writes `terraform output -json`-shaped outputs into `dir`.
fn write_outputs(dir: &Path, values: Value) -> PathBuf {
    let mut wrapped = serde_json::Map::new();
    for (k, v) in values.as_object().unwrap() {
        wrapped.insert(
            k.clone(),
            json!({"sensitive": false, "type": "string", "value": v}),
        );
    }
    let path = dir.join("outputs.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&Value::Object(wrapped)).unwrap(),
    )
    .unwrap();
    path
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    fn failed(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        // Clear one-line messages, never a panic, a backtrace or a Debug dump.
        // (progress lines may come first with --wait)
        assert!(
            self.stderr.lines().any(|l| l.starts_with("error: ")),
            "stderr: {}",
            self.stderr
        );
        for bad in [
            "panicked",
            "RUST_BACKTRACE",
            "SdkError",
            "DispatchFailure",
            "ServiceError {",
            "Some(",
        ] {
            assert!(
                !self.stderr.contains(bad),
                "`{bad}` in stderr: {}",
                self.stderr
            );
        }
        self
    }

    fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "`{text}` not in stderr:\n{}",
            self.stderr
        );
        self
    }

    fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "`{text}` not in stdout:\n{}",
            self.stdout
        );
        self
    }
}

/// Runs the binary with the environment of `env` (or moto's), in `cwd`.
fn infragen_env(
    cwd: &Path,
    env: &[(&str, String)],
    remove: &[&str],
    args: &[&str],
    stdin: Option<&str>,
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_infragen"));
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for k in Moto::ENV_REMOVE.iter().chain(remove) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run infragen");
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).unwrap();
        }
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into(),
        stderr: String::from_utf8_lossy(&stderr).into(),
    }
}

fn infragen(moto: &Moto, cwd: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    infragen_env(cwd, &moto.env(), &[], args, stdin)
}

/// `infragen deploy --service SERVICE --image-tag TAG --outputs OUTPUTS`.
fn deploy(moto: &Moto, cwd: &Path, service: &str, tag: &str, outputs: &str) -> Run {
    deploy_with(moto, cwd, service, tag, outputs, &[])
}

/// [`deploy`] with more arguments.
fn deploy_with(
    moto: &Moto,
    cwd: &Path,
    service: &str,
    tag: &str,
    outputs: &str,
    extra: &[&str],
) -> Run {
    let mut args = vec![
        "deploy",
        "--service",
        service,
        "--image-tag",
        tag,
        "--outputs",
        outputs,
    ];
    args.extend_from_slice(extra);
    infragen(moto, cwd, &args, None)
}

/// moto's environment with every AWS call sent to `endpoint` instead, tried twice.
fn env_with_endpoint(moto: &Moto, endpoint: String) -> Vec<(&'static str, String)> {
    let mut env = moto.env();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", endpoint));
    env.push(("AWS_MAX_ATTEMPTS", "2".into()));
    env
}

#[test]
fn cognito_users_and_tokens_end_to_end() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool_id, client_id) = rt().block_on(async {
        let aws = sdk(&moto).await;
        let cognito = aws.cognito();
        let pool = cognito
            .create_user_pool()
            .pool_name("crud-master-test-users")
            .username_attributes(UsernameAttributeType::Email)
            .send()
            .await
            .unwrap();
        let pool_id = pool.user_pool().unwrap().id().unwrap().to_string();
        let client = cognito
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name("api")
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .unwrap();
        (
            pool_id,
            client
                .user_pool_client()
                .unwrap()
                .client_id()
                .unwrap()
                .to_string(),
        )
    });
    let outputs = write_outputs(
        dir.path(),
        json!({"region": "us-east-1", "cognito_user_pool_id": pool_id, "cognito_client_id": client_id}),
    );
    let out = outputs.to_str().unwrap();
    let user = "alice@example.com";

    // The password comes from stdin or the environment, never from an argument.
    infragen(
        &moto,
        dir.path(),
        &["users", "add", user, "--outputs", out],
        None,
    )
    .failed(1)
    .stderr_has("no password given")
    .stderr_has("--password-stdin");
    let arg = infragen(
        &moto,
        dir.path(),
        &[
            "users",
            "add",
            user,
            "--password",
            PASSWORD,
            "--outputs",
            out,
        ],
        None,
    );
    assert_eq!(arg.code, 2, "clap rejects --password: {}", arg.stderr);

    infragen(
        &moto,
        dir.path(),
        &[
            "users",
            "add",
            user,
            "--email",
            user,
            "--password-stdin",
            "--outputs",
            out,
        ],
        Some(&format!("{PASSWORD}\n")),
    )
    .ok()
    .stdout_has("created user alice@example.com");
    infragen(
        &moto,
        dir.path(),
        &["users", "add", user, "--password-stdin", "--outputs", out],
        Some(PASSWORD),
    )
    .failed(1)
    .stderr_has("already exists");

    let list = infragen(
        &moto,
        dir.path(),
        &["users", "list", "--outputs", out],
        None,
    );
    list.ok().stdout_has("USERNAME").stdout_has("CONFIRMED");
    let listed: Value = serde_json::from_str(
        &infragen(
            &moto,
            dir.path(),
            &["users", "list", "--json", "--outputs", out],
            None,
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["status"], "CONFIRMED");
    assert_eq!(listed[0]["email"], user);

    // A token through the binary, password from the environment.
    let mut env = moto.env();
    env.push(("INFRAGEN_USER_PASSWORD", PASSWORD.to_string()));
    let token_run = infragen_env(
        dir.path(),
        &env,
        &[],
        &["token", "--user", user, "--outputs", out],
        None,
    );
    token_run.ok();
    let token = token_run.stdout.trim().to_string();
    let claims = infragen_aws::jwt::claims(&token).expect("a JWT");
    assert_eq!(
        claims["iss"],
        format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}")
    );
    assert_eq!(claims["aud"], client_id.as_str());
    assert_eq!(claims["token_use"], "id");
    assert_eq!(claims["email"], user);
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());

    // Signed by a key that moto's JWKS publishes.
    let kid = infragen_aws::jwt::header(&token).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_string();
    let jwks_url = infragen_aws::cognito::jwks_url("us-east-1", &pool_id, Some(&moto.endpoint));
    let path = jwks_url.trim_start_matches(&moto.endpoint);
    let (status, body) = moto::http(&moto.endpoint, "GET", path, &[], "").unwrap();
    assert_eq!(status, 200, "{body}");
    let jwks: Value = serde_json::from_str(&body).unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid.as_str()),
        "{kid} not in {jwks}"
    );

    // Header form, password from stdin, flags instead of outputs.
    infragen(
        &moto,
        dir.path(),
        &[
            "token",
            "--user",
            user,
            "--header",
            "--password-stdin",
            "--client-id",
            &client_id,
            "--user-pool-id",
            &pool_id,
            "--tf-dir",
            "/nonexistent",
        ],
        Some(PASSWORD),
    )
    .ok()
    .stdout_has("Authorization: Bearer ey");

    infragen(
        &moto,
        dir.path(),
        &[
            "token",
            "--user",
            user,
            "--password-stdin",
            "--outputs",
            out,
        ],
        Some("wrong-Passw0rd!"),
    )
    .failed(1)
    .stderr_has("not authorized")
    .stderr_has("hint: ");

    infragen(
        &moto,
        dir.path(),
        &["users", "remove", user, "--outputs", out],
        None,
    )
    .ok()
    .stdout_has("removed user");
    infragen(
        &moto,
        dir.path(),
        &["users", "list", "--outputs", out],
        None,
    )
    .ok()
    .stdout_has("no users");
    infragen(
        &moto,
        dir.path(),
        &["users", "remove", user, "--outputs", out],
        None,
    )
    .failed(1)
    .stderr_has("does not exist");

    // An unknown pool.
    infragen(
        &moto,
        dir.path(),
        &[
            "users",
            "list",
            "--user-pool-id",
            "us-east-1_nope",
            "--tf-dir",
            "/nonexistent",
        ],
        None,
    )
    .failed(1)
    .stderr_has("us-east-1_nope");
}

/// Registers a Fargate revision of `family`: the `inventory-app` container
/// (image tag 1.0.0, environment `env`) and a `log-router` sidecar. Returns its ARN.
async fn register_revision(
    aws: &Aws,
    family: &str,
    cpu: &str,
    memory: &str,
    env: &[(&str, &str)],
) -> String {
    let mut app = ContainerDefinition::builder()
        .name("inventory-app")
        .image(format!("{REPO}:1.0.0"))
        .essential(true);
    for (name, value) in env {
        app = app.environment(KeyValuePair::builder().name(*name).value(*value).build());
    }
    let td = aws
        .ecs()
        .register_task_definition()
        .family(family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu(cpu)
        .memory(memory)
        .container_definitions(app.build())
        .container_definitions(
            ContainerDefinition::builder()
                .name("log-router")
                .image("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable")
                .build(),
        )
        .send()
        .await
        .unwrap();
    td.task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string()
}

async fn ecs_fixture(aws: &Aws, cluster: &str, service: &str) {
    let ecs = aws.ecs();
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    let arn = register_revision(aws, service, "256", "512", &[]).await;
    ecs.create_service()
        .cluster(cluster)
        .service_name(service)
        .task_definition(arn)
        .desired_count(2)
        .launch_type(LaunchType::Fargate)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[test]
fn ecs_status_and_deploy() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let aws = rt().block_on(async {
        let aws = sdk(&moto).await;
        ecs_fixture(&aws, "shop", "shop-inventory").await;
        aws
    });
    let outputs = write_outputs(
        dir.path(),
        json!({"region": "us-east-1", "ecs_cluster_name": "shop", "ecs_service_names": {"inventory-app": "shop-inventory"}}),
    );
    let out = outputs.to_str().unwrap();

    // The default source: `terraform -chdir=generated-tf output -json` (a
    // local state holding only outputs is enough for Terraform).
    let tf = dir.path().join("generated-tf");
    std::fs::create_dir(&tf).unwrap();
    std::fs::write(
        tf.join("terraform.tfstate"),
        json!({
            "version": 4, "terraform_version": "1.9.0", "serial": 1,
            "lineage": "00000000-0000-4000-8000-000000000000", "resources": [],
            "outputs": {
                "region": {"value": "us-east-1", "type": "string"},
                "ecs_cluster_name": {"value": "shop", "type": "string"},
                "ecs_service_names": {"value": {"inventory": "shop-inventory"}, "type": ["map", "string"]}
            }
        })
        .to_string(),
    )
    .unwrap();
    infragen(
        &moto,
        dir.path(),
        &["status", "--service", "inventory"],
        None,
    )
    .ok()
    .stdout_has("shop-inventory:1");

    infragen(&moto, dir.path(), &["status", "--outputs", out], None)
        .ok()
        .stdout_has("cluster shop (us-east-1)")
        .stdout_has("SERVICE")
        .stdout_has("shop-inventory:1")
        .stdout_has("DEPLOYMENT")
        // moto has no ServiceDeployment calls: said, not fatal.
        .stdout_has("  service deployment: unavailable (ListServiceDeployments failed");
    let json_run = infragen(
        &moto,
        dir.path(),
        &["status", "--json", "--outputs", out],
        None,
    );
    json_run.ok();
    let status: Value = serde_json::from_str(&json_run.stdout).unwrap();
    assert_eq!(status["cluster"], "shop");
    let svc = &status["services"][0];
    assert_eq!(svc["name"], "shop-inventory");
    assert_eq!(svc["desired"], 2);
    assert_eq!(svc["revision"], 1);
    assert!(!svc["deployments"].as_array().unwrap().is_empty(), "{svc}");

    // Deploy by app name (mapped through ecs_service_names).
    deploy(&moto, dir.path(), "inventory-app", "1.1.0", out)
        .ok()
        .stdout_has("registered shop-inventory:2")
        .stdout_has("based on shop-inventory:1, the latest ACTIVE revision of the family\n")
        .stdout_has(&format!("{REPO}:1.1.0"))
        .stdout_has("shop-inventory:1 → shop-inventory:2");
    rt().block_on(async {
        let td = task_definition(&aws, "shop-inventory:2").await;
        let images = images(&td);
        assert_eq!(images[0], format!("{REPO}:1.1.0"));
        assert!(
            images[1].ends_with("aws-for-fluent-bit:stable"),
            "the sidecar keeps its image: {images:?}"
        );
        assert_eq!(td.cpu(), Some("256"));
        assert_eq!(td.network_mode(), Some(&NetworkMode::Awsvpc));
        assert_eq!(service_task_definition(&aws).await, "shop-inventory:2");
    });
    infragen(
        &moto,
        dir.path(),
        &["status", "--service", "inventory-app", "--outputs", out],
        None,
    )
    .ok()
    .stdout_has("shop-inventory:2");

    // moto never starts tasks: --wait must time out, clearly, with exit code 5.
    let started = std::time::Instant::now();
    deploy_with(
        &moto,
        dir.path(),
        "shop-inventory",
        "1.2.0",
        out,
        &["--wait", "--timeout", "3", "--poll-interval", "1"],
    )
    .failed(5)
    .stderr_has("timed out after 3s waiting for `shop-inventory` to reach a steady state")
    .stderr_has("running 0/2")
    .stderr_has("no service deployment API here")
    .stderr_has("judging by the rollout state")
    .stderr_has("hint: ");
    assert!(started.elapsed().as_secs() < 30, "the timeout is honoured");
    // A lifecycle stage cannot be told without the ServiceDeployment API.
    deploy_with(
        &moto,
        dir.path(),
        "shop-inventory",
        "1.3.0",
        out,
        &["--wait-until", "test-traffic-shift", "--timeout", "3"],
    )
    .failed(1)
    .stderr_has("--wait-until TEST_TRAFFIC_SHIFT needs the ECS ServiceDeployment API")
    .stderr_has("hint: wait for a steady state with --wait instead");

    // Unknown service / cluster / container.
    deploy(&moto, dir.path(), "nope", "1", out)
        .failed(1)
        .stderr_has("ECS service `nope` not found in cluster `shop`")
        .stderr_has("hint: ");
    infragen(
        &moto,
        dir.path(),
        &["status", "--service", "nope", "--outputs", out],
        None,
    )
    .failed(1)
    .stderr_has("ECS service `nope` not found");
    infragen(
        &moto,
        dir.path(),
        &["status", "--cluster", "missing", "--outputs", out],
        None,
    )
    .failed(1)
    .stderr_has("ECS cluster `missing` not found in us-east-1");
    deploy_with(
        &moto,
        dir.path(),
        "inventory-app",
        "2",
        out,
        &["--container", "x"],
    )
    .failed(1)
    .stderr_has("no container `x`")
    .stderr_has("inventory-app, log-router");
    deploy(&moto, dir.path(), "inventory-app", "bad:tag", out)
        .failed(1)
        .stderr_has("not a valid image tag");
}

/// The `environment` of container `name` in a task definition, sorted.
fn environment_of(
    td: &infragen_aws::ecs_sdk::types::TaskDefinition,
    name: &str,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = td
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(name))
        .unwrap_or_else(|| panic!("no container {name}"))
        .environment()
        .iter()
        .map(|kv| {
            (
                kv.name().unwrap_or_default().to_string(),
                kv.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    env.sort();
    env
}

/// The image of every container, in order.
fn images(td: &infragen_aws::ecs_sdk::types::TaskDefinition) -> Vec<&str> {
    td.container_definitions()
        .iter()
        .filter_map(|c| c.image())
        .collect()
}

async fn task_definition(aws: &Aws, name: &str) -> infragen_aws::ecs_sdk::types::TaskDefinition {
    aws.ecs()
        .describe_task_definition()
        .task_definition(name)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .clone()
}

async fn service_task_definition(aws: &Aws) -> String {
    let svc = aws
        .ecs()
        .describe_services()
        .cluster("shop")
        .services("shop-inventory")
        .send()
        .await
        .unwrap();
    let arn = svc.services()[0].task_definition().unwrap();
    arn.rsplit('/').next().unwrap().to_string()
}

/// Terraform registers a revision of the family (new environment, more cpu)
/// while the service, whose `task_definition` it ignores, stays on revision 1.
/// `deploy` copies that latest revision, so the configuration goes out with
/// the new image instead of being lost.
#[test]
fn deploy_rolls_out_the_revision_terraform_registered() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let aws = rt().block_on(async {
        let aws = sdk(&moto).await;
        ecs_fixture(&aws, "shop", "shop-inventory").await;
        // What `terraform apply` does after an environment/cpu change.
        register_revision(
            &aws,
            "shop-inventory",
            "512",
            "1024",
            &[("LOG_LEVEL", "debug"), ("FEATURE_X", "on")],
        )
        .await;
        assert_eq!(service_task_definition(&aws).await, "shop-inventory:1");
        aws
    });
    let outputs = write_outputs(
        dir.path(),
        json!({"region": "us-east-1", "ecs_cluster_name": "shop", "ecs_service_names": {"inventory-app": "shop-inventory"}}),
    );
    let out = outputs.to_str().unwrap();

    deploy(&moto, dir.path(), "inventory-app", "1.1.0", out)
    .ok()
    .stdout_has("registered shop-inventory:3")
    .stdout_has(&format!("{REPO}:1.0.0 → {REPO}:1.1.0"))
    .stdout_has("based on shop-inventory:2, the latest ACTIVE revision of the family; the service ran shop-inventory:1")
    .stdout_has("shop-inventory:1 → shop-inventory:3");
    rt().block_on(async {
        let td = task_definition(&aws, "shop-inventory:3").await;
        let images = images(&td);
        assert_eq!(images[0], format!("{REPO}:1.1.0"));
        assert!(
            images[1].ends_with("aws-for-fluent-bit:stable"),
            "{images:?}"
        );
        assert_eq!(
            environment_of(&td, "inventory-app"),
            vec![
                ("FEATURE_X".to_string(), "on".to_string()),
                ("LOG_LEVEL".to_string(), "debug".to_string()),
            ],
            "revision 2's environment is carried over"
        );
        assert_eq!(td.cpu(), Some("512"));
        assert_eq!(td.memory(), Some("1024"));
        assert_eq!(service_task_definition(&aws).await, "shop-inventory:3");
    });

    // The next deploy builds on the previous one (now the latest revision).
    deploy(&moto, dir.path(), "shop-inventory", "1.2.0", out)
        .ok()
        .stdout_has("registered shop-inventory:4")
        .stdout_has("based on shop-inventory:3, the latest ACTIVE revision of the family\n")
        .stdout_has("shop-inventory:3 → shop-inventory:4");
    rt().block_on(async {
        let td = task_definition(&aws, "shop-inventory:4").await;
        assert_eq!(
            td.container_definitions()[0].image(),
            Some(format!("{REPO}:1.2.0").as_str())
        );
        assert_eq!(environment_of(&td, "inventory-app").len(), 2);
        assert_eq!(service_task_definition(&aws).await, "shop-inventory:4");
    });
}

#[test]
fn clear_errors_for_credentials_outputs_endpoint_and_throttling() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let outputs = write_outputs(
        dir.path(),
        json!({"region": "us-east-1", "ecs_cluster_name": "shop"}),
    );
    let out = outputs.to_str().unwrap();

    // No credentials anywhere (no keys, no profile files, no instance metadata).
    let env: Vec<(&str, String)> = moto
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS_KEY") && !k.starts_with("AWS_SECRET"))
        .collect();
    infragen_env(
        dir.path(),
        &env,
        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        &["status", "--outputs", out],
        None,
    )
    .failed(1)
    .stderr_has("error: no AWS credentials found")
    .stderr_has("hint: set AWS_PROFILE");

    // No region: neither flag, environment, profile nor outputs.
    let env: Vec<(&str, String)> = moto
        .env()
        .into_iter()
        .filter(|(k, _)| *k != "AWS_REGION")
        .collect();
    infragen_env(
        dir.path(),
        &env,
        &["AWS_REGION"],
        &["status", "--cluster", "shop", "--tf-dir", "/nonexistent"],
        None,
    )
    .failed(1)
    .stderr_has("no AWS region configured");

    // Missing stack outputs.
    infragen(&moto, dir.path(), &["status"], None)
        .failed(1)
        .stderr_has("Terraform directory generated-tf does not exist")
        .stderr_has("--outputs");
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "{}").unwrap();
    infragen(
        &moto,
        dir.path(),
        &["users", "list", "--outputs", empty.to_str().unwrap()],
        None,
    )
    .failed(1)
    .stderr_has("the stack output `cognito_user_pool_id` is missing")
    .stderr_has("--user-pool-id");

    // Nothing listens on the endpoint.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = env_with_endpoint(&moto, format!("http://127.0.0.1:{closed}"));
    infragen_env(dir.path(), &env, &[], &["status", "--outputs", out], None)
        .failed(1)
        .stderr_has("could not reach http://127.0.0.1:");

    // A throttled API: a fake endpoint that always answers ThrottlingException.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Read;
        for stream in listener.incoming().take(20) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
            let resp = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-ErrorType: ThrottlingException\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes());
        }
    });
    let env = env_with_endpoint(&moto, format!("http://127.0.0.1:{port}"));
    infragen_env(dir.path(), &env, &[], &["status", "--outputs", out], None)
        .failed(1)
        .stderr_has("throttled by AWS (ThrottlingException)")
        .stderr_has("AWS_MAX_ATTEMPTS");
}
