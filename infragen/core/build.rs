//! Rebuild when a template is added, removed or changed: the templates are
//! embedded with `include_dir!`, which tracks the files it saw but not new ones.
fn main() {
    println!("cargo:rerun-if-changed=../../templates");
    println!("cargo:rerun-if-changed=build.rs");
}
