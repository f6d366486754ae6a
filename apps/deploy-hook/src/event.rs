//! The payload Amazon ECS sends to a Lambda lifecycle hook, and the
//! response it reads back.
//!
//! ```json
//! {"executionId": "…", "lifecycleStage": "POST_TEST_TRAFFIC_SHIFT",
//!  "resourceArn": "arn:aws:ecs:…:service-deployment/…",
//!  "executionDetails": {"serviceArn": "…", "targetServiceRevisionArn": "…",
//!                       "testTrafficWeights": {"<revision arn>": 100},
//!                       "productionTrafficWeights": {}},
//!  "hookDetails": {…the lifecycle hook's hook_details…}}
//! ```
//!
//! The response is `{"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS"}`,
//! with an optional `callBackDelay` (seconds before ECS invokes the hook
//! again after `IN_PROGRESS`, 30 by default). A function error or a missing
//! `hookStatus` also rolls the deployment back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One invocation of the hook.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHookEvent {
    /// Unique per hook execution.
    pub execution_id: String,
    /// The stage the hook runs at (`POST_TEST_TRAFFIC_SHIFT`).
    pub lifecycle_stage: String,
    /// The service deployment (`arn:aws:ecs:…:service-deployment/…`).
    pub resource_arn: String,
    pub execution_details: ExecutionDetails,
    /// The `hookDetails` set on the lifecycle hook (Terraform
    /// `hook_details`); absent when none is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_details: Option<Value>,
}

/// What is being deployed and where the traffic goes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDetails {
    pub service_arn: String,
    /// The new (green) service revision.
    pub target_service_revision_arn: String,
    /// Service revision ARN → percent of the test traffic.
    #[serde(default)]
    pub test_traffic_weights: BTreeMap<String, f64>,
    /// Service revision ARN → percent of the production traffic.
    #[serde(default)]
    pub production_traffic_weights: BTreeMap<String, f64>,
}

/// What the hook tells ECS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookStatus {
    /// The deployment goes on to the next stage.
    Succeeded,
    /// ECS rolls the deployment back to the last successful revision.
    Failed,
    /// ECS invokes the hook again after `callBackDelay` seconds.
    InProgress,
}

/// The function's response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookResponse {
    pub hook_status: HookStatus,
    /// Seconds before the next invocation (`IN_PROGRESS` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_back_delay: Option<u32>,
}

impl HookResponse {
    /// A final answer (`SUCCEEDED` or `FAILED`).
    pub fn new(hook_status: HookStatus) -> Self {
        Self {
            hook_status,
            call_back_delay: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn response_is_the_shape_ecs_reads() {
        let ok = serde_json::to_value(HookResponse::new(HookStatus::Succeeded)).unwrap();
        assert_eq!(ok, json!({"hookStatus": "SUCCEEDED"}));
        let failed = serde_json::to_value(HookResponse::new(HookStatus::Failed)).unwrap();
        assert_eq!(failed, json!({"hookStatus": "FAILED"}));
        let later = HookResponse {
            hook_status: HookStatus::InProgress,
            call_back_delay: Some(60),
        };
        assert_eq!(
            serde_json::to_value(later).unwrap(),
            json!({"hookStatus": "IN_PROGRESS", "callBackDelay": 60})
        );
    }

    #[test]
    fn documented_payload_parses_with_weights_and_without_hook_details() {
        let green = "arn:aws:ecs:us-west-2:123456789012:service-revision/c/s/9313423515462893900";
        let event: LifecycleHookEvent = serde_json::from_value(json!({
            "executionId": "779085de-ab47-42bc-84ad-41f9914a8643",
            "lifecycleStage": "TEST_TRAFFIC_SHIFT",
            "resourceArn": "arn:aws:ecs:us-west-2:123456789012:service-deployment/c/s/EZe5",
            "executionDetails": {
                "serviceArn": "arn:aws:ecs:us-west-2:123456789012:service/c/s",
                "targetServiceRevisionArn": green,
                "testTrafficWeights": {green: 100, "arn:…/1920498462936580504": 0},
                "productionTrafficWeights": {}
            }
        }))
        .unwrap();
        assert_eq!(event.lifecycle_stage, "TEST_TRAFFIC_SHIFT");
        assert_eq!(event.execution_details.test_traffic_weights[green], 100.0);
        assert!(
            event
                .execution_details
                .production_traffic_weights
                .is_empty()
        );
        assert_eq!(event.hook_details, None);
    }
}
