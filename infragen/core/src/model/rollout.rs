//! The order in which services roll out: by level — services that call no
//! other service (no `upstreams`) first, then those that call only them, and
//! so on — so a caller never runs against callees older than itself. Within
//! a level, the topology's file order.
use super::Model;

impl Model {
    /// Service names, callees before callers, each exactly once.
    pub fn rollout_order(&self) -> Vec<&str> {
        let mut ranked: Vec<(usize, usize, &str)> = self
            .services
            .iter()
            .enumerate()
            .map(|(position, s)| {
                let level = self.level(&s.name, self.services.len());
                (level, position, s.name.as_str())
            })
            .collect();
        ranked.sort();
        ranked.into_iter().map(|(_, _, name)| name).collect()
    }

    /// 0 for a service without upstreams, else one more than its highest
    /// upstream. `budget` bounds the walk, so an upstream cycle (which the
    /// rules reject) cannot recurse forever.
    fn level(&self, name: &str, budget: usize) -> usize {
        let Some(service) = self.service(name) else {
            return 0;
        };
        if budget == 0 {
            return 0;
        }
        service
            .upstreams
            .values()
            .map(|u| 1 + self.level(u, budget - 1))
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn callees_come_before_callers() {
        let model = crate::load_default().unwrap();
        assert_eq!(
            model.rollout_order(),
            ["inventory", "billing", "api-gateway"]
        );
    }
}
