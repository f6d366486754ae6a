//! `modules/auth`: the root module's call (the module has no flags).
use super::names;
use crate::model::{Model, PasswordPolicy};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct AuthCall {
    pub module: &'static str,
    pub user_pool_name: String,
    pub access_token_validity_minutes: u32,
    pub id_token_validity_minutes: u32,
    pub refresh_token_validity_days: u32,
    pub deletion_protection: bool,
    pub password_policy: PasswordPolicy,
}

pub(super) fn auth_call(model: &Model) -> AuthCall {
    AuthCall {
        module: names::AUTH_MODULE,
        user_pool_name: model.auth.user_pool_name.clone(),
        access_token_validity_minutes: model.auth.access_token_validity_minutes,
        id_token_validity_minutes: model.auth.id_token_validity_minutes,
        refresh_token_validity_days: model.auth.refresh_token_validity_days,
        deletion_protection: model.project.is_production(),
        password_policy: model.auth.password_policy.clone(),
    }
}
