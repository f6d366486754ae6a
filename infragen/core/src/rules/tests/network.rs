//! The network's rules: VPC, AZs, subnets, egress, and room for every task.
use super::{BASE, fails, load, passes};

#[test]
fn subnets() {
    let net = "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n[network.subnets]\npublic = [\"10.0.0.0/24\", \"10.0.1.0/24\"]\nprivate = [\"10.0.16.0/20\", \"10.0.32.0/20\"]\nisolated = [\"10.0.2.0/24\", \"10.0.3.0/24\"]\n";
    let m = passes("[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n", net);
    assert_eq!(m.network.zones[1].private.to_string(), "10.0.32.0/20");
    fails(
        "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
        &net.replace("10.0.3.0/24", "10.0.2.128/25"),
        "network.subnets.isolated[1]",
        "overlaps 10.0.2.0/24",
    );
    fails(
        "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
        &net.replace("10.0.3.0/24", "10.9.3.0/24"),
        "network.subnets.isolated[1]",
        "outside the VPC",
    );
    fails(
        "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
        &net.replace("10.0.3.0/24", "10.0.3.1/24"),
        "network.subnets.isolated[1]",
        "host bits",
    );
    fails(
        "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
        &net.replace(", \"10.0.3.0/24\"", ""),
        "network.subnets.isolated",
        "1 isolated subnet for 2 AZs",
    );
    fails(
        "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
        &net.replace("10.0.16.0/20", "10.0.16.0/28"),
        "network.subnets.private[0]",
        "/27 or larger",
    );
    // 60 tasks at full scale over 2 AZs do not fit /27s (27 usable addresses each).
    let crowded = net
        .replace("10.0.16.0/20", "10.0.16.0/27")
        .replace("10.0.32.0/20", "10.0.32.0/27")
        + "[[service]]\nname = \"many\"\n[service.scaling]\nmax = 60\ncpu_target = 50\n";
    fails(
        "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
        &crowded,
        "network.subnets.private[0]",
        "usable addresses",
    );
}

#[test]
fn vpc_and_azs() {
    let p = "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n";
    fails(
        p,
        &format!("{p}[network]\nvpc_cidr = \"10.0.0.0/24\"\n"),
        "network.vpc_cidr",
        "too small to carve",
    );
    fails(
        p,
        &format!("{p}[network]\nvpc_cidr = \"10.0.0.0/8\"\n"),
        "network.vpc_cidr",
        "between /16 and /28",
    );
    fails(
        p,
        &format!("{p}[network]\nazs = [\"eu-west-3a\"]\n"),
        "network.azs",
        "at least 2 availability zones",
    );
    fails(
        p,
        &format!("{p}[network]\nazs = [\"eu-west-3a\"]\nsingle_az = true\n"),
        "network.azs",
        "RDS DB subnet group",
    );
    fails(
        p,
        &format!("{p}[network]\nazs = [\"eu-west-3a\", \"us-east-1b\"]\n"),
        "network.azs[1]",
        "not an availability zone of eu-west-3",
    );
    fails(
        p,
        &format!("{p}[network]\nazs = [\"eu-west-3a\", \"eu-west-3a\"]\n"),
        "network.azs[1]",
        "twice",
    );
    fails(
        p,
        &format!("{p}[network]\nsingle_az = true\negress = \"nat_per_az\"\n"),
        "network.egress",
        "nat_per_az",
    );
    let m = passes(
        p,
        &format!(
            "{p}[network]\nazs = [\"eu-west-3a\", \"eu-west-3b\", \"eu-west-3c\"]\negress = \"nat_per_az\"\n"
        ),
    );
    assert_eq!(m.network.nat_gateways, 3);
    let m = passes(p, &format!("{p}[network]\nsingle_az = true\n"));
    assert_eq!(m.workload_zones().len(), 1);
}

#[test]
fn egress_and_container_combinations() {
    let p = "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n";
    let endpoints = format!("{p}[network]\negress = \"vpc_endpoints\"\n");
    load(&BASE.replacen(p, &endpoints, 1)).unwrap();
    let with_container = BASE.replacen(p, &endpoints, 1).replacen(
        "[broker]\n",
        "[broker]\nkind = \"container\"\n",
        1,
    );
    let problems = load(&with_container).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|(path, m)| path == "broker.kind" && m.contains("vpc_endpoints")),
        "{problems:#?}"
    );
    // an image in the region's private ECR is fine
    let ecr = with_container.replacen("kind = \"container\"\n", "kind = \"container\"\ncontainer_image = \"123456789012.dkr.ecr.eu-west-3.amazonaws.com/rabbitmq:3.13\"\n", 1);
    load(&ecr).unwrap();
}

#[test]
fn capacity_and_architecture() {
    let t = BASE.replacen(
        "name = \"billing\"\n",
        "name = \"billing\"\narchitecture = \"arm64\"\n",
        1,
    ) + "[cluster.capacity]\nfargate_spot_weight = 2\n";
    let problems = load(&t).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|(p, m)| p == "service[2].architecture" && m.contains("Fargate Spot")),
        "{problems:#?}"
    );
    let t = BASE.to_string() + "[cluster.capacity]\nfargate_weight = 0\nfargate_base = 0\n";
    let problems = load(&t).unwrap_err();
    assert!(
        problems.iter().any(|(p, _)| p == "cluster.capacity"),
        "{problems:#?}"
    );
}
