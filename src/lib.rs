//! anju: acquisition of unsold commercial housing for affordable housing.
//! See ARCHITECTURE.md for the map of modules and their invariants.

pub mod app;
pub mod cli;
pub mod domain;
pub mod excel;
pub mod http;
pub mod store;
pub mod util;
pub mod workflow;
