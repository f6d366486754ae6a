//! One error type for every operation: a one-line message and a hint, never a
//! stack trace or a `Debug` dump of an SDK error.
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;

/// What went wrong, so callers (and tests) can tell failures apart and pick an
/// exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No credentials could be found, or AWS rejected them.
    Credentials,
    /// No region configured.
    Region,
    /// The network endpoint could not be reached.
    Connection,
    /// A call (or the whole operation) timed out.
    Timeout,
    /// AWS throttled us and the SDK's retries ran out.
    Throttled,
    /// The ECS cluster does not exist.
    UnknownCluster,
    /// The ECS service does not exist (or is not active).
    UnknownService,
    /// The Cognito user pool or app client does not exist.
    UnknownUserPool,
    /// A Cognito user does not exist.
    UnknownUser,
    /// Terraform outputs could not be read or lack a value.
    Outputs,
    /// The caller supplied something unusable (password, image, flag).
    Input,
    /// Access denied / not authorized (wrong password, missing permission).
    Denied,
    /// A deployment failed without rolling back (stopped, aborted, its
    /// rollback failed, or a FAILED rollout still in place).
    DeploymentFailed,
    /// A deployment was rolled back (circuit breaker, alarm, hook, or by
    /// hand) before it reached the stage waited for.
    RolledBack,
    /// `deploy rollback|abort|continue`: no service deployment in progress
    /// (or none paused at a hook) to act on.
    NothingInProgress,
    /// Waiting for a steady state ran out of time.
    WaitTimeout,
    /// Anything else the service reported.
    Service,
}

/// An operation error: `message` is one line, `hint` says what to do about it.
#[derive(Debug, Clone)]
pub struct OpsError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

impl OpsError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: one_line(&message.into()),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }

    pub fn outputs(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Outputs, message)
    }
}

impl fmt::Display for OpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OpsError {}

pub type Result<T, E = OpsError> = std::result::Result<T, E>;

/// Collapses whitespace and newlines so a message stays on one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The messages of an error and all its sources, joined with `: ` (repeated
/// messages, common in wrapped SDK errors, are dropped).
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = one_line(&e.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

const CREDENTIALS_HINT: &str = "set AWS_PROFILE (and run `aws sso login` if it uses SSO) or \
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; check them with `aws sts get-caller-identity`";

pub(crate) fn missing_credentials(detail: &str) -> OpsError {
    OpsError::new(
        ErrorKind::Credentials,
        format!("no AWS credentials found ({detail})"),
    )
    .with_hint(CREDENTIALS_HINT)
}

/// What the call was about, to word "not found" errors.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    /// The operation, e.g. `DescribeServices`.
    pub operation: &'static str,
    pub cluster: Option<String>,
    pub service: Option<String>,
    pub user_pool_id: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
}

impl CallContext {
    pub fn new(operation: &'static str) -> Self {
        Self {
            operation,
            ..Self::default()
        }
    }
}

fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "Throttling"
            | "ThrottledException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "RequestThrottled"
            | "RequestThrottledException"
            | "LimitExceededException"
            | "SlowDown"
            | "ProvisionedThroughputExceededException"
    )
}

fn is_credentials_rejected(code: &str) -> bool {
    matches!(
        code,
        "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "MissingAuthenticationToken"
            | "IncompleteSignature"
    )
}

/// Maps any SDK error to an [`OpsError`] with a clear message and a hint.
pub fn from_sdk<E, R>(err: SdkError<E, R>, ctx: &CallContext) -> OpsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let op = ctx.operation;
    let region = ctx.region.as_deref().unwrap_or("?");
    match &err {
        SdkError::ServiceError(service_err) => {
            let e = service_err.err();
            let code = e.code().unwrap_or("UnknownError");
            let msg = one_line(e.message().unwrap_or(""));
            from_service_code(code, &msg, ctx)
        }
        SdkError::TimeoutError(_) => OpsError::new(
            ErrorKind::Timeout,
            format!("{op} timed out talking to AWS in {region}"),
        )
        .with_hint("check the network (proxy, VPN) and retry; AWS_ENDPOINT_URL, if set, must point at a running endpoint"),
        _ => {
            let detail = chain(&err);
            let lower = detail.to_ascii_lowercase();
            if lower.contains("credential") || lower.contains("no identity resolver") {
                return missing_credentials(&trim_detail(&detail));
            }
            if let SdkError::DispatchFailure(d) = &err {
                if d.is_timeout() {
                    return OpsError::new(ErrorKind::Timeout, format!("{op} timed out connecting to AWS in {region}"))
                        .with_hint("check the network and retry");
                }
                if d.is_io() || d.is_other() || lower.contains("connect") {
                    let endpoint = ctx.endpoint.clone().unwrap_or_else(|| format!("the {region} endpoint"));
                    return OpsError::new(
                        ErrorKind::Connection,
                        format!("{op}: could not reach {endpoint} ({})", trim_detail(&detail)),
                    )
                    .with_hint("check the network; if AWS_ENDPOINT_URL is set it must point at a running endpoint");
                }
            }
            OpsError::new(ErrorKind::Service, format!("{op} failed: {}", trim_detail(&detail)))
        }
    }
}

/// Keeps SDK chains readable: drop the generic prefixes the SDK adds.
fn trim_detail(detail: &str) -> String {
    let mut out = detail.to_string();
    for prefix in [
        "dispatch failure: ",
        "failed to construct request: ",
        "service error: ",
    ] {
        if let Some(rest) = out.strip_prefix(prefix) {
            out = rest.to_string();
        }
    }
    if out.len() > 300 {
        out.truncate(300);
        out.push('…');
    }
    out
}

/// `base: msg`, or `base` when AWS said nothing more.
fn with_message(base: String, msg: &str) -> String {
    if msg.is_empty() {
        base
    } else {
        format!("{base}: {msg}")
    }
}

/// Maps a service error code (and its message) to an [`OpsError`].
pub fn from_service_code(code: &str, msg: &str, ctx: &CallContext) -> OpsError {
    let op = ctx.operation;
    let region = ctx.region.as_deref().unwrap_or("?");
    let with_msg = |base: String| with_message(base, msg);
    if is_throttling(code) {
        return OpsError::new(
            ErrorKind::Throttled,
            format!("{op} was throttled by AWS ({code}) even after the SDK's retries"),
        )
        .with_hint("wait a minute and retry; raise AWS_MAX_ATTEMPTS to let the SDK retry longer");
    }
    if is_credentials_rejected(code) {
        return OpsError::new(
            ErrorKind::Credentials,
            with_msg(format!("AWS rejected the credentials ({code})")),
        )
        .with_hint(CREDENTIALS_HINT);
    }
    if let Some(err) = cognito_error(code, msg, ctx) {
        return err;
    }
    match code {
        "ClusterNotFoundException" => {
            let cluster = ctx.cluster.as_deref().unwrap_or("?");
            OpsError::new(
                ErrorKind::UnknownCluster,
                format!("ECS cluster `{cluster}` not found in {region}"),
            )
            .with_hint("check --cluster or the Terraform output `ecs_cluster_name` (and the region: --region / AWS_REGION)")
        }
        "ServiceNotFoundException" | "ServiceNotActiveException" => unknown_service(ctx),
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => OpsError::new(
            ErrorKind::Denied,
            with_msg(format!("{op} is not allowed for these credentials")),
        )
        .with_hint("use a role or profile with the permission named above"),
        "ServiceDeploymentNotFoundException" => OpsError::new(
            ErrorKind::NothingInProgress,
            with_msg(format!("{op}: the service deployment does not exist")),
        )
        .with_hint("see the service's deployments with `infragen status --service NAME`"),
        // StopServiceDeployment on a deployment that is no longer stoppable.
        "ConflictException" => OpsError::new(
            ErrorKind::NothingInProgress,
            with_msg(format!(
                "{op}: the service deployment cannot be changed now"
            )),
        )
        .with_hint("it finished or is already stopping; see `infragen status --service NAME`"),
        "UnsupportedFeatureException" => OpsError::new(
            ErrorKind::Input,
            with_msg(format!("{op} is not supported here")),
        )
        .with_hint(
            "service deployments need the ECS deployment controller (not CODE_DEPLOY or EXTERNAL)",
        ),
        "InvalidParameterException" | "InvalidParameterValueException" | "ClientException" => {
            OpsError::new(
                ErrorKind::Input,
                with_msg(format!("{op} rejected the request")),
            )
        }
        _ => OpsError::new(
            ErrorKind::Service,
            with_msg(format!("{op} failed ({code})")),
        ),
    }
}

/// The Cognito errors of `infragen users|token`: unknown pool or user,
/// refused password or sign-in.
fn cognito_error(code: &str, msg: &str, ctx: &CallContext) -> Option<OpsError> {
    let op = ctx.operation;
    let region = ctx.region.as_deref().unwrap_or("?");
    let with_msg = |base: String| with_message(base, msg);
    Some(match code {
        "ResourceNotFoundException" if ctx.user_pool_id.is_some() => {
            let pool = ctx.user_pool_id.as_deref().unwrap_or("?");
            OpsError::new(
                ErrorKind::UnknownUserPool,
                with_msg(format!("Cognito user pool `{pool}` (or its app client) not found in {region}")),
            )
            .with_hint("check --user-pool-id / --client-id or the Terraform outputs `cognito_user_pool_id` and `cognito_client_id`")
        }
        "UserNotFoundException" => {
            let user = ctx.username.as_deref().unwrap_or("?");
            OpsError::new(ErrorKind::UnknownUser, format!("user `{user}` does not exist in the user pool"))
                .with_hint("list users with `infragen users list`; create one with `infragen users add`")
        }
        "UsernameExistsException" => {
            let user = ctx.username.as_deref().unwrap_or("?");
            OpsError::new(ErrorKind::Input, format!("user `{user}` already exists"))
                .with_hint("pick another name, or `infragen users remove` it first")
        }
        "InvalidPasswordException" => OpsError::new(
            ErrorKind::Input,
            with_msg("the password does not satisfy the user pool's password policy".to_string()),
        )
        .with_hint("use a longer password with upper and lower case letters, digits and a symbol"),
        "NotAuthorizedException" if msg.contains("SECRET_HASH") => OpsError::new(
            ErrorKind::Denied,
            with_msg(format!("{op}: the app client has a secret")),
        )
        .with_hint("use an app client without a secret (the generated one has none): --client-id / `cognito_client_id`"),
        "NotAuthorizedException" => OpsError::new(
            ErrorKind::Denied,
            with_msg(format!("{op}: not authorized")),
        )
        .with_hint("check the user name and password; the app client must allow ADMIN_USER_PASSWORD_AUTH (ALLOW_ADMIN_USER_PASSWORD_AUTH, as the generated one does)"),
        "InvalidParameterException" if msg.contains("not enabled") => OpsError::new(
            ErrorKind::Denied,
            with_msg(format!("{op}: the app client does not allow this sign-in flow")),
        )
        .with_hint("`infragen token` signs in with ADMIN_USER_PASSWORD_AUTH: allow ALLOW_ADMIN_USER_PASSWORD_AUTH on the app client (the generated one does)"),
        "UserNotConfirmedException" | "PasswordResetRequiredException" => OpsError::new(
            ErrorKind::Denied,
            with_msg(format!("{op}: the user cannot sign in yet ({code})")),
        )
        .with_hint("set a permanent password with `infragen users add` (remove the user first)"),
        _ => return None,
    })
}

pub(crate) fn unknown_service(ctx: &CallContext) -> OpsError {
    let service = ctx.service.as_deref().unwrap_or("?");
    let cluster = ctx.cluster.as_deref().unwrap_or("?");
    OpsError::new(
        ErrorKind::UnknownService,
        format!("ECS service `{service}` not found in cluster `{cluster}`"),
    )
    .with_hint("run `infragen status` to list the cluster's services, or check the Terraform output `ecs_service_names`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_map_to_throttled() {
        let ctx = CallContext::new("DescribeServices");
        for code in [
            "ThrottlingException",
            "TooManyRequestsException",
            "RequestLimitExceeded",
        ] {
            let e = from_service_code(code, "Rate exceeded", &ctx);
            assert_eq!(e.kind, ErrorKind::Throttled, "{code}");
            assert!(e.message.contains("throttled"));
            assert!(e.hint.unwrap().contains("AWS_MAX_ATTEMPTS"));
        }
    }

    #[test]
    fn unknown_cluster_names_the_cluster_and_region() {
        let ctx = CallContext {
            cluster: Some("prod".into()),
            region: Some("eu-west-1".into()),
            ..CallContext::new("DescribeServices")
        };
        let e = from_service_code("ClusterNotFoundException", "Cluster not found.", &ctx);
        assert_eq!(e.kind, ErrorKind::UnknownCluster);
        assert_eq!(e.message, "ECS cluster `prod` not found in eu-west-1");
    }

    #[test]
    fn sign_in_flow_not_allowed_names_the_admin_flow() {
        let ctx = CallContext::new("AdminInitiateAuth");
        let e = from_service_code(
            "InvalidParameterException",
            "Auth flow not enabled for this client",
            &ctx,
        );
        assert_eq!(e.kind, ErrorKind::Denied);
        assert!(e.hint.unwrap().contains("ALLOW_ADMIN_USER_PASSWORD_AUTH"));
        let e = from_service_code(
            "NotAuthorizedException",
            "Incorrect username or password.",
            &ctx,
        );
        assert!(e.hint.unwrap().contains("ADMIN_USER_PASSWORD_AUTH"));
    }

    #[test]
    fn messages_stay_on_one_line() {
        let e = OpsError::new(ErrorKind::Service, "a\nb\n  c");
        assert_eq!(e.message, "a b c");
    }
}
