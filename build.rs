// Embedded migrations are read at compile time, so new migration files must trigger a rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
