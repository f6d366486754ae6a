//! What `scripts/release.sh` builds, pushes and deploys, from the Terraform
//! outputs: per service, its topology name, its image (the last part of its
//! ECR repository URL, `<project>-<environment>/<image>`) and the repository,
//! in roll-out order (the caller passes the model's, callees first).
use crate::StackOutputs;
use runtime_contract::outputs as output;

/// One service to release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTarget {
    /// Topology name: the key of the outputs, `infragen deploy --service`.
    pub service: String,
    /// Image (binary) name: the Dockerfile is `Dockerfiles/<image>.Dockerfile`.
    pub image: String,
    pub repository_url: String,
}

/// The region and the services, in roll-out order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePlan {
    pub region: String,
    pub targets: Vec<ReleaseTarget>,
}

/// Why there is no plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// The outputs lack something or disagree.
    #[error("{0}")]
    Outputs(String),
    /// `--service` names no service of the outputs.
    #[error("unknown service '{wanted}': expected a topology name or an image of: {known}")]
    UnknownService { wanted: String, known: String },
}

impl ReleasePlan {
    /// The plan for the `wanted` services (topology or image names; all
    /// when empty). `rollout` is the model's order; services it lacks go first.
    pub fn new(
        outputs: &StackOutputs,
        rollout: &[&str],
        wanted: &[String],
    ) -> Result<Self, ReleaseError> {
        let missing = |name: &str, what: &str| {
            ReleaseError::Outputs(format!(
                "terraform output `{name}` is missing{what} (docs/contracts.md lists the root outputs)"
            ))
        };
        let region = outputs
            .region
            .clone()
            .ok_or_else(|| missing(output::REGION, ""))?;
        let urls = &outputs.ecr_repository_urls;
        if urls.is_empty() {
            return Err(missing(
                output::ECR_REPOSITORY_URLS,
                " or not a non-empty map of topology service name to URL",
            ));
        }
        let mut all = Vec::new();
        for (service, url) in urls {
            let Some((_, image)) = url.rsplit_once('/') else {
                return Err(ReleaseError::Outputs(format!(
                    "{}[{service:?}] = {url:?} is not an ECR repository URL",
                    output::ECR_REPOSITORY_URLS
                )));
            };
            all.push(ReleaseTarget {
                service: service.clone(),
                image: image.to_string(),
                repository_url: url.clone(),
            });
        }
        // `infragen deploy --service` looks the name up in ecs_service_names.
        let ecs = &outputs.ecs_service_names;
        let lacking: Vec<&str> = urls
            .keys()
            .filter(|k| !ecs.is_empty() && !ecs.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !lacking.is_empty() {
            return Err(ReleaseError::Outputs(format!(
                "{} has services that {} lacks: {lacking:?} (has: {:?})",
                output::ECR_REPOSITORY_URLS,
                output::ECS_SERVICE_NAMES,
                ecs.keys().collect::<Vec<_>>()
            )));
        }
        for w in wanted {
            if !all.iter().any(|t| &t.service == w || &t.image == w) {
                let known: Vec<String> = all
                    .iter()
                    .map(|t| format!("{} ({})", t.service, t.image))
                    .collect();
                return Err(ReleaseError::UnknownService {
                    wanted: w.clone(),
                    known: known.join(", "),
                });
            }
        }
        let selected = |t: &ReleaseTarget| {
            wanted.is_empty() || wanted.iter().any(|w| w == &t.service || w == &t.image)
        };
        let mut targets: Vec<ReleaseTarget> = all.into_iter().filter(selected).collect();
        let rank = |t: &ReleaseTarget| rollout.iter().position(|s| *s == t.service);
        targets.sort_by(|a, b| (rank(a), &a.service).cmp(&(rank(b), &b.service)));
        Ok(Self { region, targets })
    }

    /// The region, then one `service<TAB>image<TAB>repository URL` line per
    /// service: what `scripts/release.sh` reads.
    pub fn to_tsv(&self) -> String {
        let mut out = format!("{}\n", self.region);
        for t in &self.targets {
            out.push_str(&format!(
                "{}\t{}\t{}\n",
                t.service, t.image, t.repository_url
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OutputsSource;

    const ECR: &str = "123456789012.dkr.ecr.eu-west-3.amazonaws.com/crud-master-prod";

    fn outputs(ecr_keys: [&str; 3]) -> StackOutputs {
        let text = format!(
            r#"{{"region": {{"value": "eu-west-3"}},
              "ecs_service_names": {{"value": {{"api-gateway": "a", "billing": "b", "inventory": "i"}}}},
              "ecr_repository_urls": {{"value": {{
                "{}": "{ECR}/api-gateway-app", "{}": "{ECR}/billing-app", "{}": "{ECR}/inventory-app"}}}}}}"#,
            ecr_keys[0], ecr_keys[1], ecr_keys[2]
        );
        StackOutputs::from_json(&text, &OutputsSource::File("o.json".into())).unwrap()
    }

    const ORDER: &[&str] = &["inventory", "billing", "api-gateway"];

    #[test]
    fn every_service_in_rollout_order() {
        let plan = ReleasePlan::new(
            &outputs(["api-gateway", "billing", "inventory"]),
            ORDER,
            &[],
        )
        .unwrap();
        let services: Vec<&str> = plan.targets.iter().map(|t| t.service.as_str()).collect();
        assert_eq!(services, ORDER);
        assert_eq!(plan.targets[0].image, "inventory-app");
        assert!(
            plan.to_tsv()
                .starts_with("eu-west-3\ninventory\tinventory-app\t")
        );
    }

    #[test]
    fn service_by_topology_or_image_name() {
        let o = outputs(["api-gateway", "billing", "inventory"]);
        for name in ["billing", "billing-app"] {
            let plan = ReleasePlan::new(&o, ORDER, &[name.to_string()]).unwrap();
            assert_eq!(plan.targets.len(), 1);
            assert_eq!(plan.targets[0].service, "billing");
        }
        let err = ReleasePlan::new(&o, ORDER, &["payments".to_string()]).unwrap_err();
        assert!(
            err.to_string().contains("unknown service 'payments'"),
            "{err}"
        );
    }

    #[test]
    fn outputs_keyed_by_image_are_refused() {
        let err = ReleasePlan::new(
            &outputs(["api-gateway-app", "billing-app", "inventory-app"]),
            ORDER,
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("ecs_service_names lacks"), "{err}");
    }

    #[test]
    fn missing_repositories_are_named() {
        let o = StackOutputs::from_json(
            r#"{"region": {"value": "eu-west-3"}}"#,
            &OutputsSource::File("o.json".into()),
        )
        .unwrap();
        let err = ReleasePlan::new(&o, ORDER, &[]).unwrap_err();
        assert!(err.to_string().contains("ecr_repository_urls"), "{err}");
    }
}
