// The built-in rule files are embedded with `include_dir!`, which stable
// Cargo does not track: rebuild when any of them changes.
fn main() {
    println!("cargo:rerun-if-changed=../../rules/entities");
}
