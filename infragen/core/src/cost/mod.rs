//! Monthly cost estimate of a topology from an embedded, dated price table
//! (`prices.toml`) and explicit usage assumptions.
//!
//! Only the resolved [`crate::Model`] is needed: no AWS access. Every line says what
//! it counts, so the numbers can be checked by hand.
mod estimate;
mod prices;
mod report;
mod rollout;
#[cfg(test)]
mod tests;

pub use estimate::{
    AlarmCount, CostError, Estimate, Line, alarm_count, estimate, secret_count, spot_share,
};
pub use prices::*;
pub use report::{Format, render};
pub use rollout::{Rollout, START_MINUTES, rollout};
