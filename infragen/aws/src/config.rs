//! Loading the AWS configuration: the SDK's default chain (environment,
//! profile, SSO cache, container/instance roles) plus explicit overrides, with
//! timeouts and retries, and a rustls/ring HTTPS client.
use crate::error::{ErrorKind, OpsError, Result, chain, missing_credentials};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::time::Duration;

/// Explicit settings from the command line; everything left `None` comes from
/// the SDK's default chain (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`,
/// `~/.aws/config`, …).
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// `--region`: wins over the environment and the profile.
    pub region: Option<String>,
    /// Used only when neither the flag nor the default chain gives a region
    /// (the Terraform output `region`).
    pub fallback_region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`: wins over `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// Timeout of one whole operation (all retries). Default 60 s.
    pub operation_timeout: Option<Duration>,
    /// Fixed access key and secret instead of the credential chain (tests
    /// against an emulator).
    pub static_credentials: Option<(String, String)>,
}

/// A loaded configuration, ready to build service clients from.
#[derive(Debug, Clone)]
pub struct Aws {
    pub sdk: SdkConfig,
    pub region: String,
    /// The endpoint override in effect (flag or `AWS_ENDPOINT_URL`), if any.
    pub endpoint: Option<String>,
}

impl Aws {
    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.sdk)
    }

    pub fn cognito(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.sdk)
    }

    /// A context for error messages about `operation`.
    pub fn ctx(&self, operation: &'static str) -> crate::error::CallContext {
        crate::error::CallContext {
            region: Some(self.region.clone()),
            endpoint: self.endpoint.clone(),
            ..crate::error::CallContext::new(operation)
        }
    }
}

/// Attempts per call (first try included) unless `AWS_MAX_ATTEMPTS` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Loads the configuration and checks that credentials can be resolved, so a
/// missing login is reported before the first call.
pub async fn load(settings: &AwsSettings) -> Result<Aws> {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();

    let operation_timeout = settings
        .operation_timeout
        .unwrap_or(Duration::from_secs(60));
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(20))
        .operation_attempt_timeout(Duration::from_secs(20).min(operation_timeout))
        .operation_timeout(operation_timeout)
        .build();

    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(timeouts);
    // Honour AWS_MAX_ATTEMPTS / AWS_RETRY_MODE when set; otherwise use standard
    // retries (exponential backoff with jitter, throttling-aware).
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none()
        && std::env::var_os("AWS_RETRY_MODE").is_none()
    {
        loader = loader.retry_config(
            RetryConfig::standard()
                .with_max_attempts(DEFAULT_MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(500)),
        );
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    // The region: the flag, else the default chain (environment, profile,
    // instance metadata), else the fallback (the `region` output).
    if let Some(r) = &settings.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some((key, secret)) = &settings.static_credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            key.clone(),
            secret.clone(),
            None,
            None,
            "infragen-static",
        ));
    }
    let mut sdk = loader.load().await;
    if sdk.region().is_none()
        && let Some(r) = &settings.fallback_region
    {
        sdk = sdk.to_builder().region(Region::new(r.clone())).build();
    }

    let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
        OpsError::new(ErrorKind::Region, "no AWS region configured")
            .with_hint("pass --region, set AWS_REGION, or set `region` in your AWS profile")
    })?;
    let endpoint = sdk.endpoint_url().map(str::to_string);

    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| missing_credentials("no credentials provider"))?;
    if let Err(err) = provider.provide_credentials().await {
        return Err(credentials_error(&err));
    }
    Ok(Aws {
        sdk,
        region,
        endpoint,
    })
}

fn credentials_error(err: &CredentialsError) -> OpsError {
    let detail = chain(err);
    match err {
        CredentialsError::ProviderTimedOut(_) => OpsError::new(
            ErrorKind::Credentials,
            format!("timed out loading AWS credentials ({detail})"),
        )
        .with_hint("outside AWS, set AWS_EC2_METADATA_DISABLED=true and configure a profile or access keys"),
        CredentialsError::InvalidConfiguration(_) => OpsError::new(
            ErrorKind::Credentials,
            format!("the AWS credentials configuration is invalid ({detail})"),
        )
        .with_hint("check ~/.aws/config and ~/.aws/credentials for the selected profile"),
        _ => missing_credentials(&short_credentials_detail(&detail)),
    }
}

/// The default chain's "not loaded" message lists every provider it tried;
/// keep it short.
fn short_credentials_detail(detail: &str) -> String {
    if detail.contains("no providers in chain provided credentials")
        || detail.contains("not enabled")
    {
        "tried the environment, the AWS profile, web identity, ECS and EC2 instance roles"
            .to_string()
    } else {
        detail.to_string()
    }
}
