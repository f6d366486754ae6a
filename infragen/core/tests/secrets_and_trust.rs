//! Secrets reach ECS in a form it reads (names resolved to ARNs, SSM
//! parameters with their own permissions), every role trusts its service
//! for this account only, no policy wildcards the account, and the public
//! app client does not take plain passwords (issue 8: A4, C4, C5, C6).
mod common;
use common::fixtures;
use std::collections::BTreeMap;

fn rendered(name: &str) -> BTreeMap<String, String> {
    let (_, source) = fixtures()
        .into_iter()
        .find(|(n, _)| n == name)
        .expect("fixture");
    let model = infragen_core::load(&source, &format!("{name}.toml")).expect("valid");
    infragen_core::render::render(&model)
        .expect("renders")
        .files
}

/// Every `<header>` … closing `}` block (at column 0) of `text`.
fn blocks<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    text.match_indices(header)
        .map(|(start, _)| {
            let end = text[start..]
                .find("\n}\n")
                .map_or(text.len(), |e| start + e);
            &text[start..end]
        })
        .collect()
}

/// `text` with runs of spaces as one (the renderer aligns `=`).
fn squeezed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

#[test]
fn secrets_given_by_name_are_resolved_to_arns_at_plan_time() {
    let files = rendered("staging");
    let root = &files["main.tf"];
    let lookup = blocks(root, "module \"named_secrets\" {");
    assert_eq!(lookup.len(), 1, "{root}");
    assert!(
        lookup[0].contains("\"crud-master/staging/sentry\","),
        "{}",
        lookup[0]
    );
    let module = &files["modules/named_secrets/main.tf"];
    assert!(module.contains("data \"aws_secretsmanager_secret\" \"this\""));
    let gateway = &squeezed(blocks(root, "module \"service_api_gateway\" {")[0]);
    // ECS gets the full ARN with the JSON-key selector kept ...
    assert!(
        gateway.contains(
            r#"SENTRY_DSN = "${module.named_secrets.arns["crud-master/staging/sentry"]}:dsn::""#
        ),
        "{gateway}"
    );
    // ... and the execution role exactly that ARN.
    assert!(
        gateway.contains(r#" module.named_secrets.arns["crud-master/staging/sentry"],"#),
        "{gateway}"
    );
    // Topologies without secrets given by name get no lookup.
    let prod = rendered("prod");
    assert!(!prod["main.tf"].contains("named_secrets"));
    assert!(!prod.contains_key("modules/named_secrets/main.tf"));
}

#[test]
fn ssm_parameters_get_exactly_their_read_and_decrypt_permissions() {
    let files = rendered("prod");
    let arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/crud-master/prod/sentry-dsn";
    let gateway = &squeezed(blocks(&files["main.tf"], "module \"service_api_gateway\" {")[0]);
    assert!(
        gateway.contains(&format!("SENTRY_DSN = \"{arn}\"")),
        "{gateway}"
    );
    let parameters = blocks(gateway, " parameter_arns = [");
    assert_eq!(parameters.len(), 1, "{gateway}");
    assert!(parameters[0].contains(&format!("\"{arn}\",")));
    let service = &files["modules/service/iam.tf"];
    let service = &squeezed(service);
    let policy = blocks(
        service,
        "resource \"aws_iam_role_policy\" \"execution_parameters\"",
    );
    assert_eq!(policy.len(), 1);
    for needle in [
        "ssm:GetParameters",
        "Resource = var.parameter_arns",
        "\"kms:ViaService\"",
        "\"ssm.${local.region}.amazonaws.com\"",
        "\"kms:EncryptionContext:PARAMETER_ARN\" = var.parameter_arns",
    ] {
        assert!(policy[0].contains(needle), "{needle} in {}", policy[0]);
    }
    // Secrets Manager secrets: decrypted only through Secrets Manager, only
    // for the secrets the service is given.
    let secrets = blocks(
        service,
        "resource \"aws_iam_role_policy\" \"execution_secrets\"",
    )[0];
    assert!(
        secrets.contains("\"kms:EncryptionContext:SecretARN\" = var.secret_arns"),
        "{secrets}"
    );
    assert!(
        secrets.contains("\"secretsmanager.${local.region}.amazonaws.com\""),
        "{secrets}"
    );
    // The rotating secrets the application reads itself: the same, with the
    // project's key only.
    let task = blocks(service, "resource \"aws_iam_role_policy\" \"task_secrets\"")[0];
    assert!(
        task.contains("\"kms:EncryptionContext:SecretARN\" = var.task_secret_arns"),
        "{task}"
    );
    assert!(task.contains("Resource = [var.kms_key_arn]"), "{task}");
}

#[test]
fn every_role_trusts_its_service_for_this_account_only() {
    for (name, _) in fixtures() {
        let mut roles = 0;
        for (path, text) in rendered(&name) {
            for role in blocks(&text, "resource \"aws_iam_role\" ") {
                roles += 1;
                assert!(
                    role.contains("\"aws:SourceAccount\" = "),
                    "{name}: {path}: a role trusts its service for any account:\n{role}"
                );
            }
            // C5: no ARN in a policy wildcards the account.
            for line in text.lines().filter(|l| l.contains("\"arn:")) {
                let fields: Vec<&str> = line.split(':').collect();
                assert!(
                    !fields
                        .windows(2)
                        .any(|w| w[0].ends_with("}") && w[1] == "*"),
                    "{name}: {path}: the account is a wildcard: {line}"
                );
            }
            assert!(!text.contains(":*:secret:"), "{name}: {path}");
            assert!(!text.contains(":*:*\""), "{name}: {path}");
        }
        assert!(roles >= 2, "{name}");
    }
    let files = rendered("default");
    let task = blocks(
        &files["modules/service/iam.tf"],
        "resource \"aws_iam_role\" \"task\"",
    )[0];
    assert!(
        task.contains(
            r#""aws:SourceArn" = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:*""#
        ),
        "{task}"
    );
}

#[test]
fn the_public_app_client_takes_no_plain_password() {
    let files = rendered("default");
    let auth = &files["modules/auth/main.tf"];
    let client = blocks(auth, "resource \"aws_cognito_user_pool_client\"")[0];
    assert!(
        client.contains("\"ALLOW_ADMIN_USER_PASSWORD_AUTH\""),
        "{client}"
    );
    assert!(client.contains("\"ALLOW_USER_SRP_AUTH\""), "{client}");
    assert!(!client.contains("\"ALLOW_USER_PASSWORD_AUTH\""), "{client}");
}
