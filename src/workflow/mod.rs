//! The workflow engine: definitions read from `workflows/`, checked once, and a pure `decide`.
//!
//! Architecture invariant: `workflow/` imports no sqlx or axum; only `registry.rs` reads files.

pub mod def;
pub mod engine;
pub mod graph;
pub mod guards;
pub mod pack;
pub mod registry;
