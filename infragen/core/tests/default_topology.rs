//! The embedded default topology (the repository's topology.toml) is valid.
#[test]
fn default_topology_is_valid() {
    let model = match infragen_core::load_default() {
        Ok(m) => m,
        Err(e) => panic!("{}", e.render_plain()),
    };
    assert_eq!(model.project.prefix, "crud-master-prod");
    assert_eq!(model.services.len(), 3);
    assert_eq!(model.network.zones.len(), 2);
    let gw = model.service("api-gateway").unwrap();
    assert_eq!(gw.exposure, infragen_core::model::Exposure::Public);
    let inv = model.service("inventory").unwrap();
    assert_eq!(inv.called_by, vec!["api-gateway".to_string()]);
    assert_eq!(inv.exposure, infragen_core::model::Exposure::Internal);
}
