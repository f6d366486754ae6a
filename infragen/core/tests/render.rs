//! Rendering of every valid fixture topology (and the embedded default):
//! insta snapshots of all generated files, `terraform fmt -check` on the
//! output, determinism, and the writer's check mode.
use infragen_core::render::{Renderer, render};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::fixtures;

fn rendered(name: &str, source: &str) -> infragen_core::render::Rendered {
    let model = infragen_core::load(source, &format!("{name}.toml"))
        .unwrap_or_else(|e| panic!("fixture {name} must be valid: {e:?}"));
    render(&model).unwrap_or_else(|e| panic!("fixture {name} must render: {e}"))
}

/// Where the rendered fixtures are written for external tools (fmt,
/// validate, checkov): `<target>/rendered-fixtures/<name>`.
fn output_dir(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("rendered-fixtures").join(name)
}

#[test]
fn snapshots_of_every_fixture() {
    for (name, source) in fixtures() {
        let files = rendered(&name, &source);
        insta::assert_snapshot!(format!("render_{name}"), files.concatenated());
    }
}

#[test]
fn rendering_is_deterministic() {
    for (name, source) in fixtures() {
        assert_eq!(rendered(&name, &source), rendered(&name, &source), "{name}");
    }
}

#[test]
fn terraform_fmt_accepts_every_fixture() {
    let terraform = std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".into());
    if Command::new(&terraform).arg("version").output().is_err() {
        eprintln!("terraform not found: skipping the fmt check (CI installs it)");
        return;
    }
    for (name, source) in fixtures() {
        let dir = output_dir(&name);
        let _ = std::fs::remove_dir_all(&dir);
        rendered(&name, &source).write(&dir).expect("write fixture");
        let output = Command::new(&terraform)
            .args(["fmt", "-check", "-recursive", "-diff"])
            .arg(&dir)
            .output()
            .expect("run terraform fmt");
        assert!(
            output.status.success(),
            "terraform fmt disagrees on fixture {name}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn check_mode_reports_changed_missing_and_extra_files() {
    let (name, source) = fixtures().into_iter().next().expect("a fixture");
    let files = rendered(&name, &source);
    let dir = output_dir(&format!("check-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    files.write(&dir).expect("write");
    assert!(files.check(&dir).expect("check").is_clean());

    std::fs::write(dir.join("main.tf"), "# edited\n").unwrap();
    std::fs::remove_file(dir.join("outputs.tf")).unwrap();
    std::fs::write(dir.join("stale.tf"), "# stale\n").unwrap();
    let report = files.check(&dir).expect("check");
    assert_eq!(report.changed.len(), 1);
    assert!(report.changed[0].1.contains("-# edited"));
    assert_eq!(report.missing, vec!["outputs.tf".to_string()]);
    assert_eq!(report.extra, vec!["stale.tf".to_string()]);

    let written = files.write(&dir).expect("rewrite");
    assert_eq!(written.removed, vec!["stale.tf".to_string()]);
    assert!(files.check(&dir).expect("check").is_clean());
}

#[test]
fn template_overrides_replace_embedded_templates() {
    let dir = output_dir("template-override");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("partials")).unwrap();
    std::fs::write(dir.join("partials/header.hbs"), "# custom header\n").unwrap();
    let renderer = Renderer::with_overrides(&dir).expect("overrides load");
    let model = infragen_core::load_default().expect("default topology");
    let files = renderer.render(&model).expect("render");
    assert!(files.files["main.tf"].starts_with("# custom header\n"));
}

#[test]
fn graph_names_every_service() {
    let model = infragen_core::load_default().expect("default topology");
    let graph = infragen_core::graph::mermaid(&model);
    assert!(graph.starts_with("flowchart LR"));
    for service in &model.services {
        assert!(graph.contains(&service.name), "{}", service.name);
    }
}

#[test]
fn graph_shows_each_service_strategy() {
    let (_, source) = fixtures()
        .into_iter()
        .find(|(name, _)| name == "canary")
        .expect("canary fixture");
    let model = infragen_core::load(&source, "canary.toml").expect("canary fixture");
    let graph = infragen_core::graph::mermaid(&model);
    assert!(
        graph.contains("deploy: canary 5.0 % for 10 min, bake 15 min + smoke test"),
        "{graph}"
    );
    assert!(graph.contains("deploy: rolling\"]"), "{graph}");
}

/// `generated-tf/` is the rendering of the repository's `topology.toml`
/// (what `infragen render --check` enforces in CI). `INFRAGEN_BLESS=1`
/// rewrites it.
#[test]
fn generated_tf_is_in_step_with_topology() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated-tf");
    let files = rendered("default", infragen_core::DEFAULT_TOPOLOGY);
    if std::env::var_os("INFRAGEN_BLESS").is_some() {
        files.write(&dir).expect("write generated-tf");
    }
    let report = files.check(&dir).expect("check generated-tf");
    assert!(
        report.is_clean(),
        "generated-tf/ is out of date (INFRAGEN_BLESS=1 cargo test -p infragen-core --test render, or `infragen render`):\n{}",
        report.to_text()
    );
}

/// The formatter is idempotent on everything it produced.
#[test]
fn formatting_is_idempotent() {
    for (name, source) in fixtures() {
        for (path, content) in rendered(&name, &source).files {
            if path.ends_with(".tf") {
                assert_eq!(
                    infragen_core::fmt::format_hcl(&content),
                    content,
                    "{name}: {path}"
                );
            }
        }
    }
}

/// Blocks `kind "name" {` ... matching `}` at column 0, from one file.
fn blocks<'a>(content: &'a str, kind: &str) -> Vec<(&'a str, &'a str)> {
    let mut found = Vec::new();
    let opener = format!("{kind} \"");
    let mut rest = content;
    while let Some(start) = rest.find(&opener) {
        let at_line_start = start == 0 || rest.as_bytes()[start - 1] == b'\n';
        let block = &rest[start..];
        let end = block.find("\n}\n").map(|e| e + 3).unwrap_or(block.len());
        if at_line_start {
            let name = block[opener.len()..].split('"').next().unwrap_or("");
            found.push((name, &block[..end]));
        }
        rest = &block[end.min(block.len())..];
    }
    found
}

/// Module conventions: typed and described variables, described outputs,
/// pinned providers, and a `tags` merge on every taggable resource we emit.
#[test]
fn module_conventions_hold() {
    for (name, source) in fixtures() {
        let files = rendered(&name, &source);
        for (path, content) in &files.files {
            for (variable, block) in blocks(content, "variable") {
                assert!(
                    block.contains("description = "),
                    "{name}: {path}: variable {variable} lacks a description"
                );
                assert!(
                    block.contains("type ") || block.contains("type="),
                    "{name}: {path}: variable {variable} lacks a type"
                );
            }
            for (output, block) in blocks(content, "output") {
                assert!(
                    block.contains("description = "),
                    "{name}: {path}: output {output} lacks a description"
                );
            }
            if path.ends_with("versions.tf") {
                assert!(
                    content.contains("source  = \"hashicorp/aws\""),
                    "{name}: {path}"
                );
                assert!(content.contains("version = \"~> 6.21\""), "{name}: {path}");
                assert!(content.contains("required_version = "), "{name}: {path}");
            }
        }
        let root = &files.files["main.tf"];
        assert!(
            !root
                .lines()
                .any(|l| l.starts_with("resource ") || l.starts_with("data ")),
            "{name}: the root module must only wire modules"
        );
    }
}

/// Security groups are chained by reference: no ingress rule names a CIDR,
/// and the only CIDR egress is HTTPS to the internet through NAT.
#[test]
fn security_groups_are_chained_by_reference() {
    for (name, source) in fixtures() {
        let files = rendered(&name, &source);
        for (path, content) in &files.files {
            for (kind_and_label, block) in blocks(content, "resource") {
                if kind_and_label == "aws_vpc_security_group_ingress_rule" {
                    assert!(
                        block.contains("referenced_security_group_id"),
                        "{name}: {path}: {block}"
                    );
                    assert!(!block.contains("cidr_ipv"), "{name}: {path}: {block}");
                }
                if kind_and_label == "aws_vpc_security_group_egress_rule"
                    && block.contains("cidr_ipv4")
                {
                    assert!(
                        block.contains("\"0.0.0.0/0\"")
                            && block.contains("from_port         = 443"),
                        "{name}: {path}: {block}"
                    );
                    assert!(
                        block.contains("var.internet_egress ? 1 : 0"),
                        "{name}: {path}: {block}"
                    );
                }
            }
        }
    }
}

/// docs/contracts.md: the root outputs the operations commands read, and the
/// environment every application container gets.
#[test]
fn contracts_are_rendered() {
    for (name, source) in fixtures() {
        let files = rendered(&name, &source);
        let outputs = &files.files["outputs.tf"];
        for (output, _) in runtime_contract::outputs::OUTPUTS {
            assert!(
                outputs.contains(&format!("output \"{output}\" {{")),
                "{name}: output {output}"
            );
        }
        let root = &files.files["main.tf"];
        // The database password: injected by ECS for a container database,
        // read (and re-read after rotation) by the service for RDS.
        let password = [
            runtime_contract::variables::PGPASSWORD,
            runtime_contract::variables::PGPASSWORD_SECRET_ARN,
        ];
        let reserved = runtime_contract::VARIABLES.iter().filter(|v| v.reserved);
        for variable in reserved.map(|v| v.name) {
            if password.contains(&variable) {
                continue;
            }
            assert!(
                root.contains(&format!("    {variable} ")),
                "{name}: {variable}"
            );
        }
        assert!(
            password.iter().any(|v| root.contains(&format!("    {v} "))),
            "{name}: no database password"
        );
        for variable in [
            "HTTP_HOST",
            "HTTP_PORT",
            "LOG_FORMAT",
            "RUST_LOG",
            "SHUTDOWN_TIMEOUT_SECS",
        ] {
            assert!(
                root.contains(&format!("    {variable} ")),
                "{name}: {variable}"
            );
        }
        for variable in [
            "PGHOST",
            "PGPORT",
            "PGUSER",
            "PGDATABASE",
            "PGSSLMODE",
            "AMQP_HOST",
            "AMQP_PORT",
            "AMQP_USER",
            "AMQP_VHOST",
            "AMQP_TLS",
            "AMQP_PASSWORD",
            "INVENTORY_URL",
            "AUTH_ENABLED",
            "AUTH_JWKS_URL",
            "AUTH_ISSUER",
            "AUTH_AUDIENCE",
        ] {
            assert!(
                root.contains(&format!("    {variable} ")),
                "{name}: {variable}"
            );
        }
        let service = &files.files["modules/service/main.tf"];
        assert!(service.contains("readonlyRootFilesystem = true"));
        assert!(service.contains("logDriver = \"awslogs\""));
        assert!(service.contains("assign_public_ip = false"));
        assert!(service.contains("rollback = true"));
        assert!(
            root.contains(&format!(
                "user                 = \"{}\"",
                runtime_contract::container::USER
            )),
            "{name}"
        );
        assert!(root.contains("\"healthcheck\"]"), "{name}");
    }
}

/// RDS rotates its master password every 7 days: a service on RDS gets the
/// secret's ARN (not the password), its task role may read exactly that
/// secret and decrypt it, and it verifies the server's certificate; a
/// service on a container database keeps the injected, fixed password.
#[test]
fn rds_passwords_are_read_by_the_service_with_its_task_role() {
    let rds = rendered("default", infragen_core::DEFAULT_TOPOLOGY);
    let root = &rds.files["main.tf"];
    let inventory = &root[root
        .find("module \"service_inventory\"")
        .expect("inventory call")..];
    let inventory = &inventory[..inventory.find("\n}\n").unwrap()];
    assert!(
        inventory.contains("PGPASSWORD_SECRET_ARN = module.database_inventory.password_secret_arn"),
        "{inventory}"
    );
    assert!(!inventory.contains("PGPASSWORD "), "{inventory}");
    assert!(
        inventory.contains("PGSSLMODE             = \"verify-full\""),
        "{inventory}"
    );
    assert!(
        inventory.contains(
            "task_secret_arns = [\n    module.database_inventory.password_secret_arn,\n  ]"
        ),
        "{inventory}"
    );
    let service = &rds.files["modules/service/iam.tf"];
    let policy = &service[service
        .find("resource \"aws_iam_role_policy\" \"task_secrets\"")
        .expect("task policy")..];
    let policy = &policy[..policy.find("\n}\n").unwrap()];
    assert!(policy.contains("role = aws_iam_role.task.id"), "{policy}");
    assert!(
        policy.contains("Resource = var.task_secret_arns"),
        "{policy}"
    );
    assert!(policy.contains("Resource = [var.kms_key_arn]"), "{policy}");

    let dev_source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/dev.toml"),
    )
    .unwrap();
    let dev = rendered("dev", &dev_source);
    let root = &dev.files["main.tf"];
    assert!(!root.contains("PGPASSWORD_SECRET_ARN"));
    assert!(!root.contains("task_secret_arns"));
    assert!(root.contains("    PGPASSWORD "));
}

// ------------------------------------------------------------ docker-compose.yml

fn compose(name: &str, source: &str) -> String {
    let model = infragen_core::load(source, &format!("{name}.toml"))
        .unwrap_or_else(|e| panic!("fixture {name} must be valid: {e:?}"));
    let file = if name == "default" {
        "topology.toml".to_string()
    } else {
        format!("{name}.toml")
    };
    infragen_core::render::render_compose(&model, &file)
        .unwrap_or_else(|e| panic!("fixture {name}: compose must render: {e}"))
}

#[test]
fn compose_snapshots_of_every_fixture() {
    for (name, source) in fixtures() {
        let text = compose(&name, &source);
        assert_eq!(text, compose(&name, &source), "{name}: deterministic");
        insta::assert_snapshot!(format!("compose_{name}"), text);
    }
}

/// `docker-compose.yml` is the rendering of the repository's `topology.toml`
/// (what `infragen compose --check` enforces in CI). `INFRAGEN_BLESS=1`
/// rewrites it.
#[test]
fn docker_compose_is_in_step_with_topology() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docker-compose.yml");
    let text = compose("default", infragen_core::DEFAULT_TOPOLOGY);
    if std::env::var_os("INFRAGEN_BLESS").is_some() {
        std::fs::write(&path, &text).expect("write docker-compose.yml");
    }
    let on_disk = std::fs::read_to_string(&path).expect("docker-compose.yml");
    assert!(
        on_disk == text,
        "docker-compose.yml is out of date (INFRAGEN_BLESS=1 cargo test -p infragen-core --test render, or `infragen compose`)"
    );
}

/// Every `${VAR:?…}` the rendered stacks require is listed in `.env.example`.
#[test]
fn compose_credentials_are_in_env_example() {
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.env.example"))
            .expect(".env.example");
    for (name, source) in fixtures() {
        let text = compose(&name, &source);
        for part in text.split("${").skip(1) {
            if let Some((variable, _)) = part.split_once(":?") {
                assert!(
                    example
                        .lines()
                        .any(|l| l.starts_with(&format!("{variable}="))),
                    "{name}: {variable} is required by the compose file but not in .env.example"
                );
            }
        }
    }
}

/// `docker-compose config -q` accepts every fixture's rendering (skipped when
/// the tool is not installed: scripts/install-tools.sh puts it in .cache/venv).
#[test]
fn docker_compose_config_accepts_every_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tool = root.join(".cache/venv/bin/docker-compose");
    if !tool.exists() {
        eprintln!("docker-compose not found: skipping (scripts/install-tools.sh installs it)");
        return;
    }
    for (name, source) in fixtures() {
        let dir = output_dir(&format!("compose-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("docker-compose.yml");
        std::fs::write(&file, compose(&name, &source)).unwrap();
        let output = Command::new(&tool)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .arg("--project-directory")
            .arg(&root)
            .arg("-f")
            .arg(&file)
            .arg("--env-file")
            .arg(root.join(".env.example"))
            .args(["--profile", "observability", "config", "-q"])
            .output()
            .expect("run docker-compose");
        assert!(
            output.status.success(),
            "docker-compose config rejects fixture {name}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
