//! Render time of the default topology and of a generated 100-service
//! topology (targets: ≤ 50 ms and ≤ 1 s). A plain bench binary: run with
//! `cargo bench -p infragen-core --bench render`; prints one line per case.
use std::time::{Duration, Instant};

/// A topology with `count` services: every tenth public, the others
/// internal (called by the first) or workers, half of them on a database.
fn generated_topology(count: usize) -> String {
    let mut toml = String::from(
        "[project]\nname = \"bench\"\nenvironment = \"prod\"\nregion = \"eu-west-3\"\n\n\
         [network]\nvpc_cidr = \"10.0.0.0/16\"\negress = \"nat_per_az\"\n\n\
         [broker]\nname = \"rabbitmq\"\n\n",
    );
    for i in 0..count {
        toml.push_str(&format!(
            "[[service]]\nname = \"svc-{i:03}\"\nport = 8080\nbroker = \"rabbitmq\"\n"
        ));
        if i % 10 == 0 {
            toml.push_str(&format!("routes = [\"/api/s{i:03}/{{proxy+}}\"]\n"));
        }
        if i % 2 == 0 {
            toml.push_str(&format!("database = \"db-{i:03}\"\n"));
        }
        if i == 0 {
            toml.push_str("[service.upstreams]\n");
            for j in (1..count).filter(|j| j % 10 == 5) {
                toml.push_str(&format!("SVC_{j:03}_URL = \"svc-{j:03}\"\n"));
            }
        }
        toml.push_str("[service.scaling]\nmin = 1\nmax = 4\ncpu_target = 60\n\n");
        if i % 2 == 0 {
            toml.push_str(&format!("[[database]]\nname = \"db-{i:03}\"\n\n"));
        }
    }
    toml
}

fn measure(name: &str, source: &str, iterations: u32, target: Duration) {
    let model = infragen_core::load(source, name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let renderer = infragen_core::render::Renderer::embedded().expect("templates");
    // Warm-up (and the file count).
    let files = renderer.render(&model).expect("render").files.len();
    let mut best = Duration::MAX;
    let mut total = Duration::ZERO;
    for _ in 0..iterations {
        let start = Instant::now();
        let rendered = renderer.render(&model).expect("render");
        let elapsed = start.elapsed();
        std::hint::black_box(rendered);
        best = best.min(elapsed);
        total += elapsed;
    }
    let mean = total / iterations;
    // Cold, as one `infragen render` run: load the topology, parse the
    // embedded templates, render.
    let start = Instant::now();
    let model = infragen_core::load(source, name).expect("load");
    let loaded = start.elapsed();
    let renderer = infragen_core::render::Renderer::embedded().expect("templates");
    let parsed = start.elapsed();
    let cold = renderer.render(&model).expect("render");
    let total = start.elapsed();
    std::hint::black_box(cold);
    println!(
        "{name:<24} {:>3} services {files:>3} files | render mean {:>7.2} ms, best {:>7.2} ms | cold run {:>7.2} ms (load {:.2}, template parse {:.2}, render {:.2}) | target {} ms: {}",
        model.services.len(),
        mean.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        loaded.as_secs_f64() * 1e3,
        (parsed - loaded).as_secs_f64() * 1e3,
        (total - parsed).as_secs_f64() * 1e3,
        target.as_millis(),
        if mean <= target { "ok" } else { "OVER TARGET" }
    );
}

fn main() {
    measure(
        "default (topology.toml)",
        infragen_core::DEFAULT_TOPOLOGY,
        50,
        Duration::from_millis(50),
    );
    measure(
        "generated 100 services",
        &generated_topology(100),
        10,
        Duration::from_secs(1),
    );
}
