// The named queries and rule data are embedded with include_dir! / include_str!;
// rebuild when they change (include_dir does not tell cargo about new files).
fn main() {
    println!("cargo:rerun-if-changed=../../queries");
    println!("cargo:rerun-if-changed=../../rules/subjects.toml");
    println!("cargo:rerun-if-changed=../../rules/retention.toml");
}
