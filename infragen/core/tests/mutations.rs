//! Random mutations of valid topologies never panic: each either loads or
//! fails with located problems whose spans lie inside the source.
use std::path::Path;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "65536",
    "9223372036854775807",
    "\"\"",
    "\"x\"",
    "\"10.0.0.0/33\"",
    "true",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{ a = 1 }",
    "1.5",
    "1979-05-27",
    "\"UPPER\"",
    "\"nat_per_az\"",
    "\"container\"",
    "\"arm64\"",
    "\"/api/{proxy+}\"",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(lines.len());
        match rng.below(6) {
            // Replace a value.
            0 | 1 => {
                if let Some((k, _)) = lines[i].split_once(" = ") {
                    lines[i] = format!("{k} = {}", VALUES[rng.below(VALUES.len())]);
                }
            }
            // Delete a line.
            2 => {
                lines.remove(i);
            }
            // Duplicate a line elsewhere.
            3 => {
                let l = lines[i].clone();
                let j = rng.below(lines.len());
                lines.insert(j, l);
            }
            // Rename a key.
            4 => {
                if let Some((k, v)) = lines[i].clone().split_once(" = ") {
                    lines[i] = format!("{k}x = {v}");
                }
            }
            // Corrupt one byte.
            _ => {
                let l = &mut lines[i];
                if !l.is_empty() {
                    let at = rng.below(l.len());
                    if l.is_char_boundary(at) && l.is_char_boundary(at + 1) {
                        let c = ["\"", "[", "]", "=", "#", "é", "", "\\"][rng.below(8)];
                        l.replace_range(at..at + 1, c);
                    }
                }
            }
        }
        if lines.is_empty() {
            break;
        }
    }
    lines.join("\n")
}

#[test]
fn random_mutations_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![infragen_core::DEFAULT_TOPOLOGY.to_string()];
    for sub in ["tests/fixtures/valid", "tests/fixtures/invalid"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                if p.extension().is_some_and(|e| e == "toml") {
                    sources.push(std::fs::read_to_string(p).unwrap());
                }
            }
        }
    }
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut ok, mut invalid) = (0, 0);
    for round in 0..2000 {
        let base = &sources[round % sources.len()];
        let text = mutate(base, &mut rng);
        let outcome = std::panic::catch_unwind(|| infragen_core::load(&text, "fuzz.toml"));
        match outcome {
            Err(_) => panic!("load panicked on:\n{text}"),
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => {
                invalid += 1;
                assert!(
                    !e.problems.is_empty(),
                    "an error without problems for:\n{text}"
                );
                for p in &e.problems {
                    if let Some(span) = &p.span {
                        assert!(
                            span.start <= span.end && span.end <= text.len(),
                            "span out of bounds: {p:?}"
                        );
                    }
                    assert!(p.line >= 1 && p.column >= 1);
                }
                // Rendering the report must not panic either.
                if round % 8 == 0 {
                    let _ = e.render_plain();
                }
            }
        }
    }
    assert!(ok > 0 && invalid > 0, "ok {ok}, invalid {invalid}");
}
