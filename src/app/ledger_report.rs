//! The finance bureau's per-project report (HS-F6, HS-F8): a sheet per fund source (opening,
//! movements, closing), the trial balance, the flow trace from each source to each use, the
//! exceptions and the asset register of the units bought. Built from the ledger as it stands.

use super::flow::require_role;
use super::{App, AppError};
use crate::domain::ledger::{AccountKind, EntryKind, FundSource};
use crate::domain::units::{AreaM2, Yuan};
use crate::store::ledger as db;
use crate::store::users::User;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Serialize)]
pub struct Movement {
    pub seq: i64,
    pub date: NaiveDate,
    pub kind: EntryKind,
    pub memo: String,
    pub account: String,
    /// The other accounts of the entry.
    pub counterparts: String,
    pub debit: Yuan,
    pub credit: Yuan,
    pub balance: Yuan,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceSheet {
    pub source: FundSource,
    pub opening: Yuan,
    pub movements: Vec<Movement>,
    pub closing: Yuan,
}

#[derive(Debug, Clone, Serialize)]
pub struct Flow {
    pub seq: i64,
    pub date: NaiveDate,
    pub from: String,
    pub to: String,
    pub amount: Yuan,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssetRow {
    pub listing_id: i64,
    pub project_name: String,
    pub developer_org: String,
    pub units: usize,
    pub gross_area_m2: AreaM2,
    pub final_price: Option<Yuan>,
    pub paid: Yuan,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectReport {
    pub project: String,
    pub sources: Vec<SourceSheet>,
    pub trial_balance: Vec<(String, Yuan)>,
    pub flows: Vec<Flow>,
    pub refusals: Vec<db::RefusalRow>,
    pub reallocations: Vec<(i64, NaiveDate, String, String)>,
    pub assets: Vec<AssetRow>,
}

impl App {
    pub async fn project_report(
        &self,
        actor: &User,
        project: &str,
    ) -> Result<ProjectReport, AppError> {
        require_role(actor, super::ledger::READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        let accounts = db::accounts(&mut tx).await?;
        let mine: BTreeSet<&str> = accounts
            .values()
            .filter(|a| a.project.as_deref() == Some(project))
            .map(|a| a.name.as_str())
            .collect();
        if mine.is_empty() {
            return Err(AppError::NotFound(format!("project {project}")));
        }
        let entries = db::entries(&mut tx, 1).await?;
        let touching: Vec<_> = entries
            .iter()
            .filter(|e| e.lines.iter().any(|l| mine.contains(l.account.as_str())))
            .collect();
        // Sheets per fund source: the project's fund accounts of that source.
        let mut sources = Vec::new();
        let srcs: BTreeSet<FundSource> = accounts
            .values()
            .filter(|a| a.project.as_deref() == Some(project) && a.kind == AccountKind::Fund)
            .filter_map(|a| a.source)
            .collect();
        for src in srcs {
            let funds: BTreeSet<&str> = accounts
                .values()
                .filter(|a| {
                    a.project.as_deref() == Some(project)
                        && a.kind == AccountKind::Fund
                        && a.source == Some(src)
                })
                .map(|a| a.name.as_str())
                .collect();
            let mut bal = 0i64;
            let mut movements = Vec::new();
            for e in &touching {
                for l in e
                    .lines
                    .iter()
                    .filter(|l| funds.contains(l.account.as_str()))
                {
                    bal += l.amount_fen;
                    movements.push(Movement {
                        seq: e.seq,
                        date: e.date,
                        kind: e.kind,
                        memo: e.memo.clone(),
                        account: l.account.clone(),
                        counterparts: e
                            .lines
                            .iter()
                            .filter(|o| o.account != l.account)
                            .map(|o| o.account.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        debit: Yuan::from_fen(l.amount_fen.max(0)),
                        credit: Yuan::from_fen((-l.amount_fen).max(0)),
                        balance: Yuan::from_fen(bal),
                    });
                }
            }
            sources.push(SourceSheet {
                source: src,
                opening: Yuan::from_fen(0),
                movements,
                closing: Yuan::from_fen(bal),
            });
        }
        // Trial balance of every account the project's entries touch.
        let mut tb: BTreeMap<String, i64> = BTreeMap::new();
        for e in &touching {
            for l in &e.lines {
                *tb.entry(l.account.clone()).or_insert(0) += l.amount_fen;
            }
        }
        // Flow trace: within each entry, credits (where money comes from) to debits (where it
        // goes), in line order, split so every fen is traced once.
        let mut flows = Vec::new();
        for e in &touching {
            let mut from: Vec<(String, i64)> = e
                .lines
                .iter()
                .filter(|l| l.amount_fen < 0)
                .map(|l| (l.account.clone(), -l.amount_fen))
                .collect();
            let mut to: Vec<(String, i64)> = e
                .lines
                .iter()
                .filter(|l| l.amount_fen > 0)
                .map(|l| (l.account.clone(), l.amount_fen))
                .collect();
            let (mut i, mut j) = (0, 0);
            while i < from.len() && j < to.len() {
                let amt = from[i].1.min(to[j].1);
                flows.push(Flow {
                    seq: e.seq,
                    date: e.date,
                    from: from[i].0.clone(),
                    to: to[j].0.clone(),
                    amount: Yuan::from_fen(amt),
                });
                from[i].1 -= amt;
                to[j].1 -= amt;
                if from[i].1 == 0 {
                    i += 1;
                }
                if to[j].1 == 0 {
                    j += 1;
                }
            }
        }
        // Exceptions: refusals naming the project's accounts, and reallocations touching it.
        let refusals = db::refusals(&mut tx, super::ledger::EXCEPTIONS_LIST_MAX)
            .await?
            .into_iter()
            .filter(|r| mine.iter().any(|a| r.entry.contains(a)))
            .collect();
        let reallocations = touching
            .iter()
            .filter(|e| e.kind == EntryKind::Reallocation)
            .map(|e| {
                (
                    e.seq,
                    e.date,
                    e.memo.clone(),
                    e.approval.clone().unwrap_or_default(),
                )
            })
            .collect();
        // Asset register: listings paid into escrow from this project's funds.
        let mut paid: BTreeMap<i64, i64> = BTreeMap::new();
        for e in &touching {
            for l in &e.lines {
                if let Some(a) = accounts.get(&l.account)
                    && a.kind == AccountKind::Escrow
                    && let Some(lid) = a.listing_id
                {
                    *paid.entry(lid).or_insert(0) += l.amount_fen;
                }
            }
        }
        let mut assets = Vec::new();
        for (lid, fen) in paid {
            let Some(l) = crate::store::listings::listing(&mut tx, lid).await? else {
                continue;
            };
            let units = crate::store::listings::current_units(&mut tx, lid).await?;
            let area = crate::store::listings::current_gross_area_centi(&mut tx, lid).await?;
            let final_price = crate::store::listings::prices(&mut tx, lid)
                .await?
                .into_iter()
                .rev()
                .find(|p| p.kind == "final")
                .map(|p| Yuan::from_fen(p.total_fen));
            assets.push(AssetRow {
                listing_id: lid,
                project_name: l.project_name,
                developer_org: l.developer_org,
                units: units.len(),
                gross_area_m2: AreaM2::from_centi(area),
                final_price,
                paid: Yuan::from_fen(fen),
            });
        }
        Ok(ProjectReport {
            project: project.to_string(),
            sources,
            trial_balance: tb
                .into_iter()
                .map(|(a, f)| (a, Yuan::from_fen(f)))
                .collect(),
            flows,
            refusals,
            reallocations,
            assets,
        })
    }
}
