//! The acquiring companies (收购主体) a jurisdiction designates — by the government in every text:
//! the county government chooses one (HS-A3), the city government at most two, none of them nor
//! their group a government financing platform (YQ-7, YQ-7.1), the city government names the
//! 保障房公司 (NC-5) or the 开发建设单位 (XY-41, no number). The limit and the platform ban are
//! the pack's `[acquirers]`; they are not "in principle" limits, so no exception passes them. A
//! tender names its acquirer, which must be designated and not revoked (see `bids::set_tender`).

use super::flow::require_role;
use super::{App, AppError};
use crate::domain::role::Role;
use crate::store::Tx;
use crate::store::bids::{self as db, AcquirerRow, NewAcquirer};
use crate::store::users::User;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcquirerInput {
    /// The company's registered name.
    pub name: String,
    /// Whether the company or its group is a government financing platform (融资平台).
    pub financing_platform: bool,
    /// The government decision designating it (文号).
    pub decision_ref: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    pub reason: String,
}

impl App {
    /// Designates an acquiring company for a pack: the government (HS-A3, YQ-7, NC-5, XY-41).
    pub async fn designate_acquirer(
        &self,
        actor: &User,
        pack: &str,
        a: AcquirerInput,
    ) -> Result<AcquirerRow, AppError> {
        let pack = self.pack(pack)?;
        if actor.role != Role::Government {
            return Err(AppError::Forbidden(format!(
                "only the government designates {}'s acquiring company ({}); role {} may not",
                pack.name, pack.acquirers.rule, actor.role
            )));
        }
        super::flow::one_line("name", &a.name, crate::domain::text::NAME_MAX)?;
        super::flow::one_line(
            "decision_ref",
            &a.decision_ref,
            crate::domain::text::REF_MAX,
        )?;
        let name = a.name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("name", "the company's name is required"));
        }
        let decision_ref = a.decision_ref.trim();
        if decision_ref.is_empty() {
            return Err(AppError::invalid(
                "decision_ref",
                "the designating decision (文号) is required",
            ));
        }
        // YQ-7.1: 收购主体及其所属集团不得为政府融资平台.
        if a.financing_platform && !pack.acquirer_may_be_financing_platform() {
            return Err(AppError::Rule {
                code: "financing_platform",
                rule: "YQ-7.1".into(),
                message: format!(
                    "{name} is a government financing platform; {} may not designate one as an acquirer",
                    pack.name
                ),
            });
        }
        let mut tx = self.store.begin().await?;
        let all = db::acquirers(&mut tx, &pack.key).await?;
        let active: Vec<&AcquirerRow> = all.iter().filter(|r| r.revoked_at.is_none()).collect();
        if active.iter().any(|r| r.name == name) {
            return Err(AppError::Conflict {
                code: "duplicate",
                message: format!("{name} is already an acquirer of {}", pack.name),
            });
        }
        // YQ-7.1: 选定不超过2家地方国有企业作为收购主体 (Huoshan art. 3: 1家).
        if let Some(max) = pack.max_acquirers()
            && active.len() >= max as usize
        {
            return Err(AppError::Rule {
                code: "acquirer_limit",
                rule: pack
                    .acquirers
                    .max_rule
                    .clone()
                    .unwrap_or_else(|| pack.acquirers.rule.clone()),
                message: format!(
                    "{} may designate at most {max} acquiring companies and has {} ({}); revoke one first",
                    pack.name,
                    active.len(),
                    active
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            });
        }
        let seq = all.last().map_or(1, |r| r.seq + 1);
        let id = db::insert_acquirer(
            &mut tx,
            &NewAcquirer {
                pack: &pack.key,
                seq,
                name,
                financing_platform: a.financing_platform,
                decision_ref,
                by: actor.id,
                at: self.now(),
            },
        )
        .await?
        .ok_or_else(|| AppError::Conflict {
            code: "stale_version",
            message: "another designation was recorded meanwhile; reload and retry".into(),
        })?;
        let row = db::acquirer(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::Internal("designation vanished".into()))?;
        tx.commit().await?;
        Ok(row)
    }

    /// Ends a designation, with the reason; the row stays, the revocation is a new one.
    pub async fn revoke_acquirer(
        &self,
        actor: &User,
        id: i64,
        r: RevokeInput,
    ) -> Result<AcquirerRow, AppError> {
        require_role(actor, &[Role::Government], "revoke an acquiring company")?;
        let reason = r.reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid("reason", "a reason is required"));
        }
        super::flow::many_lines("reason", reason, crate::domain::text::NOTE_MAX)?;
        let mut tx = self.store.begin().await?;
        db::acquirer(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("acquirer {id}")))?;
        if !db::revoke_acquirer(&mut tx, id, reason, actor.id, self.now()).await? {
            return Err(AppError::Conflict {
                code: "already_revoked",
                message: format!("acquirer {id} is already revoked"),
            });
        }
        let row = db::acquirer(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::Internal("designation vanished".into()))?;
        tx.commit().await?;
        Ok(row)
    }

    /// Every designation of a pack, revoked ones included (anyone signed in may read them).
    pub async fn acquirers(&self, pack: &str) -> Result<Vec<AcquirerRow>, AppError> {
        let pack = self.pack(pack)?;
        let mut tx = self.store.read().await?;
        Ok(db::acquirers(&mut tx, &pack.key).await?)
    }

    /// YQ-7.1: the tender's acquirer must be a current designation of the round's pack, where
    /// the pack limits its acquirers.
    pub(crate) async fn check_tender_acquirer(
        &self,
        tx: &mut Tx,
        pack_key: &str,
        acquirer: Option<&str>,
    ) -> Result<(), AppError> {
        let pack = self.pack(pack_key)?;
        if pack.max_acquirers().is_none() && acquirer.is_none() {
            return Ok(());
        }
        let Some(name) = acquirer.map(str::trim).filter(|n| !n.is_empty()) else {
            return Err(AppError::invalid(
                "acquirer",
                format!(
                    "a tender in {} names its acquiring company (收购主体)",
                    pack.name
                ),
            ));
        };
        let all = db::acquirers(tx, &pack.key).await?;
        if all.iter().any(|r| r.name == name && r.revoked_at.is_none()) {
            Ok(())
        } else {
            Err(AppError::Rule {
                code: "not_an_acquirer",
                rule: pack.acquirers.rule.clone(),
                message: format!(
                    "{name} is not a designated acquiring company of {}",
                    pack.name
                ),
            })
        }
    }
}
