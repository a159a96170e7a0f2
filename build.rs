//! `sqlx::migrate!` embeds the migration folders when the crate compiles, but cargo does not
//! know it reads them: without this, a migration added to an already-built tree is left out
//! of the next build and never runs.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
