//! Integration tests at the boundary (one binary): each test starts the real router on a fresh
//! database and talks HTTP to it, on SQLite and — when PostgreSQL is reachable — on PostgreSQL.
//! In CI (`CI=true`) an unreachable PostgreSQL fails the run instead of being skipped.

mod harness;

mod api;
mod bids;
mod excel;
mod flow;
mod guards;
mod hostile;
mod ledger;
mod limits;
mod negotiation;
mod pricing;
mod reads;
mod roles;
mod security;
mod workflows;
