//! `[auth]`: the Cognito user pool, its password policy and token lifetimes.
use super::fields::ranged;
use crate::diagnostics::Problems;
use crate::model::{Auth, PasswordPolicy, Project};
use crate::parse::raw::RawTopology;

pub(super) fn auth(raw: &RawTopology, project: &Project, p: &mut Problems) -> Auth {
    let r = &raw.auth;
    let user_pool_name = r
        .user_pool_name
        .clone()
        .unwrap_or_else(|| format!("{}-users", project.prefix));
    if user_pool_name.is_empty()
        || user_pool_name.chars().count() > 128
        || !user_pool_name
            .chars()
            .all(|c| c.is_alphanumeric() || " +=,.@-_".contains(c))
    {
        p.invalid(
            "auth.user_pool_name",
            format!("`{user_pool_name}` is not a valid Cognito user pool name"),
            "1–128 letters, digits, spaces and + = , . @ - _",
        );
    }
    let pp = &r.password_policy;
    Auth {
        user_pool_name,
        password_policy: PasswordPolicy {
            min_length: ranged(
                p,
                "auth.password_policy.min_length",
                pp.min_length,
                12,
                8,
                99,
                "Cognito accepts up to 99; fewer than 8 is too weak",
            ),
            require_lowercase: pp.require_lowercase.unwrap_or(true),
            require_uppercase: pp.require_uppercase.unwrap_or(true),
            require_numbers: pp.require_numbers.unwrap_or(true),
            require_symbols: pp.require_symbols.unwrap_or(true),
        },
        access_token_validity_minutes: ranged(
            p,
            "auth.access_token_validity_minutes",
            r.access_token_validity_minutes,
            60,
            5,
            1440,
            "Cognito accepts 5 minutes to 1 day",
        ),
        id_token_validity_minutes: ranged(
            p,
            "auth.id_token_validity_minutes",
            r.id_token_validity_minutes,
            60,
            5,
            1440,
            "Cognito accepts 5 minutes to 1 day",
        ),
        refresh_token_validity_days: ranged(
            p,
            "auth.refresh_token_validity_days",
            r.refresh_token_validity_days,
            30,
            1,
            3650,
            "Cognito accepts 1 day to 10 years",
        ),
    }
}
