//! `modules/auth`: the root module's call (the module has no flags).
use crate::model::Model;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct PasswordPolicyCall {
    pub min_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthCall {
    pub user_pool_name: String,
    pub access_token_validity_minutes: u32,
    pub id_token_validity_minutes: u32,
    pub refresh_token_validity_days: u32,
    pub deletion_protection: bool,
    pub password_policy: PasswordPolicyCall,
}

pub(super) fn auth_call(model: &Model) -> AuthCall {
    let policy = &model.auth.password_policy;
    AuthCall {
        user_pool_name: model.auth.user_pool_name.clone(),
        access_token_validity_minutes: model.auth.access_token_validity_minutes,
        id_token_validity_minutes: model.auth.id_token_validity_minutes,
        refresh_token_validity_days: model.auth.refresh_token_validity_days,
        deletion_protection: model.project.is_production(),
        password_policy: PasswordPolicyCall {
            min_length: policy.min_length,
            require_lowercase: policy.require_lowercase,
            require_uppercase: policy.require_uppercase,
            require_numbers: policy.require_numbers,
            require_symbols: policy.require_symbols,
        },
    }
}
