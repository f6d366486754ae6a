//! Reading a database login from AWS Secrets Manager (feature
//! `secrets-manager`): `GetSecretValue` on the secret's ARN, whose
//! `SecretString` is the RDS-managed JSON `{"username", "password"}`.
//!
//! The client is built on first use from the SDK's default chain (on ECS:
//! the task role through the container credentials endpoint; in tests:
//! `AWS_ENDPOINT_URL` and static keys), in the secret's own region, over
//! rustls/ring, with short timeouts and the SDK's standard retries.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// Error codes after which reading again cannot help.
const PERMANENT_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "AccessDeniedException",
    "InvalidRequestException",
    "InvalidParameterException",
    "DecryptionFailure",
    "ValidationException",
    "UnrecognizedClientException",
];

/// A lazily built client.
#[derive(Default)]
pub(crate) struct Reader {
    client: tokio::sync::OnceCell<Client>,
}

async fn client(region: &str) -> Client {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(3))
        .build();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .region(Region::new(region.to_string()))
        .load()
        .await;
    Client::new(&config)
}

impl Reader {
    /// The secret's login; on failure the reason and whether it is permanent.
    pub(crate) async fn read(
        &self,
        arn: &str,
        region: &str,
    ) -> Result<(Option<String>, String), (String, bool)> {
        let client = self.client.get_or_init(|| client(region)).await;
        let out = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let text = out.secret_string().ok_or_else(|| {
            (
                "the secret has no SecretString (binary secrets are not supported)".to_string(),
                true,
            )
        })?;
        parse(text).map_err(|reason| (reason, true))
    }
}

fn classify<E, R>(e: &SdkError<E, R>) -> (String, bool)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("UnknownError");
            let message = err.message().unwrap_or("");
            (
                format!("GetSecretValue failed: {code}: {message}"),
                PERMANENT_CODES.contains(&code),
            )
        }
        other => (
            format!("GetSecretValue failed: {}", DisplayErrorContext(other)),
            false,
        ),
    }
}

/// `{"username": "...", "password": "..."}`; the password is required.
/// The reason never quotes the secret.
/// The secret's user name (if any) and password.
fn parse(text: &str) -> Result<(Option<String>, String), String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| "the secret is not JSON (expected {\"username\", \"password\"})")?;
    let password = value
        .get("password")
        .and_then(|p| p.as_str())
        .filter(|p| !p.is_empty())
        .ok_or("the secret's JSON has no non-empty string `password`")?;
    let username = value
        .get("username")
        .and_then(|u| u.as_str())
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    Ok((username, password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rds_managed_secret_and_never_quotes_it() {
        let (user, pw) = parse(r#"{"username":"postgres","password":"s3cr3t"}"#).unwrap();
        assert_eq!(user.as_deref(), Some("postgres"));
        assert_eq!(pw, "s3cr3t");
        let (user, _) = parse(r#"{"password":"s3cr3t"}"#).unwrap();
        assert_eq!(user, None);
        for bad in ["s3cr3t", r#"{"username":"u"}"#, r#"{"password":""}"#] {
            let reason = parse(bad).unwrap_err();
            assert!(!reason.contains("s3cr3t"), "{reason}");
        }
    }
}
