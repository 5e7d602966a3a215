//! The pure core: rules of the domain as synchronous functions over plain data.
//!
//! Architecture invariant: nothing under `domain/` imports sqlx, axum, calamine or
//! rust_xlsxwriter, reads a clock or touches a file.

pub mod allocation;
pub mod bids;
pub mod calendar;
pub mod exceptions;
pub mod ledger;
pub mod pricing;
pub mod recon;
pub mod review;
pub mod role;
pub mod seal;
pub mod survey;
pub mod text;
pub mod unit_list;
pub mod units;
