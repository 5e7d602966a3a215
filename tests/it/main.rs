//! Integration tests at the boundary (one binary): each test starts the real router on a fresh
//! database and talks HTTP to it, on SQLite and — when PostgreSQL is reachable — on PostgreSQL.
//! In CI (`CI=true`) an unreachable PostgreSQL fails the run instead of being skipped.

mod harness;

mod allocation;
mod allocation_packs;
mod allocation_pages;
mod api;
mod bids;
mod bids_integrity;
mod excel;
mod flow;
mod guards;
mod hostile;
mod ledger;
mod ledger_integrity;
mod limits;
mod lottery_replay;
mod negotiation;
mod packs;
mod pricing;
mod reads;
mod roles;
mod security;
mod server_limits;
mod workflows;
