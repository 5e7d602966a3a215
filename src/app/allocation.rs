//! Households' applications (ALLOCATION.md §1–§5): acceptance by the pack's accepting unit,
//! corrections, the materials checklist and XY-18's one-time notice, the departments'
//! findings, local figures, eligibility, publicity lists with masked names and ID numbers, the
//! waiting list, the public status lookup, and every full read of personal data logged.
//!
//! Sales (§6–§8) are in `app::sales`.

use super::flow::require_role;
use super::{App, AppError, Idem, boxed};
use crate::domain::allocation::eligibility::{self, BanFact, Context, Eligibility, Figure};
use crate::domain::allocation::household::{Household, HouseholdInput, IdNumber, mask_name};
use crate::domain::allocation::{AllocationRules, BanScope};
use crate::domain::role::Role;
use crate::store::Tx;
use crate::store::allocation::{self as db, ApplicationRow, SnapshotRow};
use crate::store::users::User;
use crate::workflow::def::Capability;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Roles that read a household's full record (ID numbers, incomes), each read logged: those
/// who accept, verify and decide, and the supervisors.
pub const FULL_READERS: &[Role] = &[
    Role::AcceptingUnit,
    Role::Verifier,
    Role::HousingBureau,
    Role::Supervisor,
];

/// The most rows a list answers at once.
pub const LIST_MAX: i64 = 2_000;

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    pub pack: String,
    pub household: HouseholdInput,
    /// Materials handed in with the application (keys of the pack's checklist).
    #[serde(default)]
    pub materials: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialsInput {
    /// Materials now present (keys of the pack's checklist).
    #[serde(default)]
    pub present: Vec<String>,
    /// Materials found missing or withdrawn.
    #[serde(default)]
    pub missing: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    /// The department's key (the pack's `[[departments]]`).
    pub department: String,
    pub passed: bool,
    /// What was found, and on a refusal the written reasons (NC-27).
    pub note: String,
    /// The document relied on (查询单号, 证明编号).
    pub document_ref: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FigureInput {
    /// The figure's name as the pack's tests read it (YQ-10.1.3:
    /// `urban_per_capita_disposable_income`).
    pub name: String,
    pub year: i32,
    #[schema(value_type = String, example = "38215")]
    pub value: String,
    /// Where it is published (统计公报, 文号).
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberView {
    pub name: String,
    pub id_number: String,
    pub relation: String,
    pub marital: String,
    pub hukou_local: bool,
    /// `None` when masked.
    pub annual_income: Option<String>,
    pub social_security_months: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MaterialStatus {
    pub key: String,
    pub label: String,
    pub present: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingView {
    pub department: String,
    pub label: String,
    pub checks: String,
    pub rule: String,
    /// The newest finding since the application entered verification; `None`: pending.
    pub passed: Option<bool>,
    pub note: Option<String>,
    pub document_ref: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub instance: super::views::InstanceView,
    pub application_no: String,
    pub pack: String,
    pub accepting_org: String,
    pub group: String,
    pub group_label: String,
    /// Whether ID numbers and incomes are shown in full (the read is logged) or masked.
    pub full: bool,
    pub members: Vec<MemberView>,
    pub owned_area_m2: String,
    pub county: String,
    pub eligibility: Eligibility,
    pub materials: Vec<MaterialStatus>,
    pub findings: Vec<FindingView>,
    pub open_objections: i64,
    /// Bans ever recorded on a member (in force or ended): a ban never disappears.
    #[schema(value_type = Vec<Object>)]
    pub bans: Vec<db::BanRow>,
}

/// A row of the waiting list or an application list (masked).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApplicationSummary {
    pub id: i64,
    pub application_no: String,
    pub applicant: String,
    pub id_number: String,
    pub members: i32,
    pub group: String,
    pub state: String,
    pub state_label: String,
    pub tier: Option<u8>,
    pub deadline_due: Option<NaiveDate>,
    pub accepting_org: String,
}

/// What the public lookup shows: nothing but the application's standing.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicStatus {
    pub application_no: String,
    pub pack_name: String,
    pub state_label: String,
    pub since: DateTime<Utc>,
    pub deadline_due: Option<NaiveDate>,
}

/// What the pages need to know of a pack's allocation: its groups, checklist and departments.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AllocationPack {
    pub key: String,
    pub name: String,
    pub sale_path: bool,
    pub note: Option<String>,
    pub accepting_unit: String,
    pub groups: BTreeMap<String, String>,
    pub materials: BTreeMap<String, String>,
    pub materials_rule: String,
    /// Department key → its name and the rule it verifies under.
    pub departments: Vec<(String, String, String)>,
    pub tiers: bool,
}

impl App {
    /// Every pack's allocation, for the pages (a pack without a sale path says why).
    pub fn allocation_packs(&self) -> Vec<AllocationPack> {
        self.registry
            .packs
            .iter()
            .map(|(k, p)| {
                let a = p.allocation();
                AllocationPack {
                    key: k.clone(),
                    name: p.name.clone(),
                    sale_path: a.sale_path,
                    note: a.note.clone(),
                    accepting_unit: a.accepting_unit.clone(),
                    groups: a
                        .eligibility
                        .as_ref()
                        .map(|e| e.groups.clone())
                        .unwrap_or_default(),
                    materials: a.materials.clone(),
                    materials_rule: a.materials_rule.clone(),
                    departments: a
                        .departments
                        .iter()
                        .map(|d| (d.key.clone(), d.label.clone(), d.rule.clone()))
                        .collect(),
                    tiers: a.eligibility.as_ref().is_some_and(|e| e.tiers.is_some()),
                }
            })
            .collect()
    }

    /// A verifying department's task on an application (YQ-4, NC-27, XY-4): its finding since
    /// the application entered verification is still to be recorded.
    pub(crate) async fn verification_task(
        &self,
        tx: &mut Tx,
        actor: &User,
        inst: &crate::store::instances::InstanceRow,
    ) -> Result<Option<String>, AppError> {
        let dept = match actor.role {
            Role::Verifier => actor.org.clone(),
            Role::NaturalResources => Some("natural_resources".to_string()),
            _ => None,
        };
        let Some(dept) = dept else { return Ok(None) };
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        let verifying = def
            .state(&inst.state)
            .is_some_and(|s| s.allows.contains(&Capability::Verifications));
        if !verifying {
            return Ok(None);
        }
        let Some(row) = db::application(tx, inst.id).await? else {
            return Ok(None);
        };
        let Ok(rules) = self.sale_rules(&row.pack) else {
            return Ok(None);
        };
        let Some(d) = rules.departments.iter().find(|d| d.key == dept) else {
            return Ok(None);
        };
        let done = db::findings(tx, inst.id)
            .await?
            .iter()
            .any(|f| f.department == dept && f.recorded_at >= inst.entered_at);
        Ok((!done).then(|| format!("{}核验（{}）", d.label, d.rule)))
    }

    /// The pack's allocation rules, refused where its texts have no sale path.
    pub(crate) fn sale_rules(&self, pack: &str) -> Result<&AllocationRules, AppError> {
        let p = self.pack(pack)?;
        let a = p.allocation();
        if !a.sale_path {
            return Err(AppError::Rule {
                code: "not_in_pack",
                rule: "HS-P11".into(),
                message: a
                    .note
                    .clone()
                    .unwrap_or_else(|| format!("{} has no sale path", p.name)),
            });
        }
        Ok(a)
    }

    /// The facts eligibility reads beyond the household: the pack's recorded figures, whether a
    /// member holds a unit, the bans in force today on any member.
    pub(crate) async fn eligibility_context(
        &self,
        tx: &mut Tx,
        pack: &str,
        h: &Household,
        today: NaiveDate,
    ) -> Result<Context, AppError> {
        let ids: Vec<String> = h.id_numbers().map(|i| i.as_str().to_string()).collect();
        let mut figures = BTreeMap::new();
        for f in db::figures(tx, pack).await? {
            let value = f
                .value_text
                .parse()
                .map_err(|_| AppError::Internal(format!("stored figure {}", f.id)))?;
            figures.insert(
                (f.name.clone(), f.year),
                Figure {
                    value,
                    year: f.year,
                    source: f.source.clone(),
                },
            );
        }
        let bans = db::bans_of(tx, &ids)
            .await?
            .into_iter()
            .filter(|b| b.starts_on <= today && today <= b.ends_on)
            .filter(|b| {
                // A ban counts in its own pack; XY-37's "any policy housing" everywhere.
                (b.pack == pack && b.scope != "rental") || b.scope == "any_policy_housing"
            })
            .map(|b| BanFact {
                id: b.id,
                rule: b.rule,
                ends_on: b.ends_on,
                reason: b.reason,
            })
            .collect();
        Ok(Context {
            figures,
            holds_unit: db::holds_contract(tx, &ids).await?,
            bans,
        })
    }

    /// The current household of an application and its eligibility today.
    pub(crate) async fn household_of(
        &self,
        tx: &mut Tx,
        app: &ApplicationRow,
    ) -> Result<(Household, Eligibility), AppError> {
        let snap = db::latest_snapshot(tx, app.instance_id)
            .await?
            .ok_or_else(|| {
                AppError::Internal(format!("application {} has no household", app.instance_id))
            })?;
        let h: Household = serde_json::from_str(&snap.data)
            .map_err(|e| AppError::Internal(format!("stored household {}: {e}", snap.id)))?;
        let today = self.today();
        let rules = self.sale_rules(&app.pack)?;
        let e = rules
            .eligibility
            .as_ref()
            .ok_or_else(|| AppError::Internal("a sale path has eligibility rules".into()))?;
        let ctx = self.eligibility_context(tx, &app.pack, &h, today).await?;
        Ok((h.clone(), eligibility::evaluate(e, &h, today, &ctx)))
    }

    /// Parses a household for a pack: every problem at once, with its field.
    fn parse_household(
        &self,
        rules: &AllocationRules,
        input: &HouseholdInput,
    ) -> Result<Household, AppError> {
        let h = Household::parse(input, self.today()).map_err(|errs| AppError::Invalid {
            field: errs.first().map(|e| format!("household.{}", e.field)),
            message: errs
                .iter()
                .map(|e| format!("household.{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        let groups = &rules.eligibility.as_ref().expect("sale path").groups;
        if !groups.contains_key(&h.group) {
            return Err(AppError::invalid(
                "household.group",
                format!(
                    "unknown target group {:?}; this pack's: {}",
                    h.group,
                    groups.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        for (i, m) in input.members.iter().enumerate() {
            crate::app::flow::one_line(
                &format!("household.members[{i}].name"),
                &m.name,
                crate::domain::text::NAME_MAX,
            )?;
        }
        Ok(h)
    }

    /// ALLOCATION.md §2: the pack's accepting unit enters a household's application. Refused,
    /// with nothing stored: bad data, a household already holding a unit, a member under a ban
    /// in force, or a member already named by another open application.
    pub async fn create_application(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        input: NewApplication,
    ) -> Result<(u16, ApplicationView), AppError> {
        let rules = self.sale_rules(&input.pack)?.clone();
        require_role(actor, &rules.accepted_by, "accept applications")?;
        let h = self.parse_household(&rules, &input.household)?;
        check_materials(&rules, &input.materials)?;
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let today = app.today();
                let ctx = app.eligibility_context(tx, &input.pack, &h, today).await?;
                refuse_held_or_banned(&rules, &ctx)?;
                let ids: Vec<String> = h.id_numbers().map(|i| i.as_str().to_string()).collect();
                if let Some((other, state)) = db::applications_naming(tx, &ids, None)
                    .await?
                    .into_iter()
                    .find(|(_, s)| !matches!(s.as_str(), "closed" | "refused" | "purchased"))
                {
                    return Err(AppError::Conflict {
                        code: "duplicate_application",
                        message: format!(
                            "a member is already in application {other} ({state}); one family, one application"
                        ),
                    });
                }
                let def = app.current_def(&format!("{}/application", input.pack))?;
                let n = db::count_applications(tx, &input.pack).await? + 1;
                let no = format!(
                    "{}{}-{n:06}",
                    app.pack(&input.pack)?.texts.first().map_or("AP", |t| t.prefix.as_str()),
                    today.year()
                );
                let id = app
                    .start_instance(
                        tx,
                        "application",
                        &def,
                        &actor2,
                        serde_json::json!({
                            "application_no": no,
                            "group": h.group,
                            "members": h.members.len(),
                        }),
                    )
                    .await?;
                db::insert_application(
                    tx,
                    &ApplicationRow {
                        instance_id: id,
                        pack: input.pack.clone(),
                        application_no: no,
                        accepting_org: actor2.org.clone().unwrap_or_else(|| actor2.name.clone()),
                        created_by: actor2.id,
                        created_at: app.now(),
                    },
                )
                .await?;
                store_snapshot(app, tx, id, &h, &actor2).await?;
                for m in &input.materials {
                    db::insert_material(
                        tx,
                        &db::MaterialRow {
                            id: 0,
                            application_id: id,
                            material: m.clone(),
                            present: true,
                            note: None,
                            recorded_by: actor2.id,
                            recorded_at: app.now(),
                        },
                    )
                    .await?;
                }
                app.application_view_tx(tx, &actor2, id, Some("受理申请")).await
            })
        })
        .await
    }

    /// NC-29, XY-19: a household's data corrected or updated — a new snapshot, the old kept.
    pub async fn correct_household(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: HouseholdInput,
    ) -> Result<(u16, ApplicationView), AppError> {
        let actor2 = actor.clone();
        self.command(actor, idem, 200, move |app, tx| {
            boxed(async move {
                let (inst, row) = app.application_row(tx, id).await?;
                let rules = app.sale_rules(&row.pack)?.clone();
                require_role(&actor2, &rules.accepted_by, "correct a household's data")?;
                app.require_capability(tx, &inst, Capability::Household)
                    .await?;
                let h = app.parse_household(&rules, &input)?;
                store_snapshot(app, tx, id, &h, &actor2).await?;
                let payload = serde_json::json!({
                    "rule": rules.materials_rule,
                    "members": h.members.len(),
                    "group": h.group,
                });
                app.record(tx, &inst, &actor2, "correct_household", None, payload)
                    .await?;
                app.application_view_tx(tx, &actor2, id, Some("更正家庭信息"))
                    .await
            })
        })
        .await
    }

    /// YQ-13, NC-26, XY-22: ticks materials present or missing on the checklist.
    pub async fn record_materials(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: MaterialsInput,
    ) -> Result<(u16, ApplicationView), AppError> {
        let actor2 = actor.clone();
        self.command(actor, idem, 200, move |app, tx| {
            boxed(async move {
                let (inst, row) = app.application_row(tx, id).await?;
                let rules = app.sale_rules(&row.pack)?.clone();
                require_role(&actor2, &rules.accepted_by, "record materials")?;
                app.require_capability(tx, &inst, Capability::Materials)
                    .await?;
                check_materials(&rules, &input.present)?;
                check_materials(&rules, &input.missing)?;
                if input.present.is_empty() && input.missing.is_empty() {
                    return Err(AppError::invalid("present", "name at least one material"));
                }
                for (m, present) in input
                    .present
                    .iter()
                    .map(|m| (m, true))
                    .chain(input.missing.iter().map(|m| (m, false)))
                {
                    db::insert_material(
                        tx,
                        &db::MaterialRow {
                            id: 0,
                            application_id: id,
                            material: m.clone(),
                            present,
                            note: input.note.clone(),
                            recorded_by: actor2.id,
                            recorded_at: app.now(),
                        },
                    )
                    .await?;
                }
                let payload = serde_json::json!({
                    "rule": rules.materials_rule,
                    "present": input.present,
                    "missing": input.missing,
                });
                let note = input.note.as_deref();
                app.record(tx, &inst, &actor2, "record_materials", note, payload)
                    .await?;
                app.application_view_tx(tx, &actor2, id, Some("登记申请材料"))
                    .await
            })
        })
        .await
    }

    /// YQ-4, NC-27, XY-4: a department's finding, with the document relied on; a refusal
    /// carries its written reasons (NC-27).
    pub async fn record_finding(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: FindingInput,
    ) -> Result<(u16, ApplicationView), AppError> {
        crate::app::flow::one_line(
            "document_ref",
            &input.document_ref,
            crate::domain::text::REF_MAX,
        )?;
        if input.note.trim().is_empty() || input.note.chars().count() > 2000 {
            return Err(AppError::invalid(
                "note",
                "what was found, 1 to 2,000 characters (a refusal gives its reasons)",
            ));
        }
        if input.document_ref.trim().is_empty() {
            return Err(AppError::invalid(
                "document_ref",
                "name the document relied on",
            ));
        }
        let actor2 = actor.clone();
        self.command(actor, idem, 200, move |app, tx| {
            boxed(async move {
                let (inst, row) = app.application_row(tx, id).await?;
                let rules = app.sale_rules(&row.pack)?.clone();
                let dept = rules
                    .departments
                    .iter()
                    .find(|d| d.key == input.department)
                    .ok_or_else(|| {
                        let msg = format!(
                            "{:?} is not a verifying department of this pack",
                            input.department
                        );
                        AppError::invalid("department", msg)
                    })?;
                // Each department records its own finding: a verifier of that department, or the
                // natural-resources bureau for the registry's.
                let own = match actor2.role {
                    Role::Verifier => actor2.org.as_deref() == Some(dept.key.as_str()),
                    Role::NaturalResources => dept.key == "natural_resources",
                    _ => false,
                };
                if !own {
                    let msg = format!("only {} records its finding ({})", dept.label, dept.rule);
                    return Err(AppError::Forbidden(msg));
                }
                app.require_capability(tx, &inst, Capability::Verifications)
                    .await?;
                db::insert_finding(
                    tx,
                    &db::FindingRow {
                        id: 0,
                        application_id: id,
                        department: dept.key.clone(),
                        passed: input.passed,
                        note: input.note.trim().to_string(),
                        document_ref: input.document_ref.trim().to_string(),
                        recorded_by: actor2.id,
                        recorded_at: app.now(),
                    },
                )
                .await?;
                let payload = serde_json::json!({
                    "rule": dept.rule,
                    "department": dept.key,
                    "passed": input.passed,
                    "document_ref": input.document_ref,
                });
                app.record(tx, &inst, &actor2, "record_finding", None, payload)
                    .await?;
                app.application_view_tx(tx, &actor2, id, Some("部门核验"))
                    .await
            })
        })
        .await
    }

    /// A local figure a text leaves to the locality (YQ-10.1.3: last year's per-capita
    /// disposable income), recorded by the housing bureau with its year and source.
    pub async fn record_figure(
        &self,
        actor: &User,
        pack: &str,
        input: FigureInput,
    ) -> Result<db::FigureRow, AppError> {
        require_role(actor, &[Role::HousingBureau], "record a local figure")?;
        let rules = self.sale_rules(pack)?;
        let known: Vec<&str> = rules
            .eligibility
            .iter()
            .flat_map(|e| e.tests.iter().filter_map(|t| t.figure()))
            .collect();
        if !known.contains(&input.name.as_str()) {
            return Err(AppError::invalid(
                "name",
                format!(
                    "no test of this pack reads {:?}; it reads: {}",
                    input.name,
                    known.join(", ")
                ),
            ));
        }
        let value: rust_decimal::Decimal = input
            .value
            .parse()
            .map_err(|_| AppError::invalid("value", "a decimal number of yuan"))?;
        if value <= rust_decimal::Decimal::ZERO || value.scale() > 2 {
            return Err(AppError::invalid(
                "value",
                "a positive amount with at most two decimals",
            ));
        }
        if !(2000..=2100).contains(&input.year) {
            return Err(AppError::invalid("year", "a year between 2000 and 2100"));
        }
        crate::app::flow::one_line("source", &input.source, crate::domain::text::REF_MAX)?;
        if input.source.trim().is_empty() {
            return Err(AppError::invalid(
                "source",
                "name where the figure is published",
            ));
        }
        let mut tx = self.store.begin().await?;
        let row = db::FigureRow {
            id: 0,
            pack: pack.to_string(),
            name: input.name.clone(),
            year: input.year,
            value_text: value.to_string(),
            source: input.source.trim().to_string(),
            recorded_by: actor.id,
            recorded_at: self.now(),
        };
        let id = db::insert_figure(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(db::FigureRow { id, ..row })
    }

    pub(crate) async fn application_row(
        &self,
        tx: &mut Tx,
        id: i64,
    ) -> Result<(crate::store::instances::InstanceRow, ApplicationRow), AppError> {
        let inst = self.instance_of(tx, id, "application").await?;
        let row = db::application(tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("application {id}")))?;
        Ok((inst, row))
    }

    /// An application as `actor` may see it; with `purpose`, a role in [`FULL_READERS`] reads
    /// ID numbers and incomes in full and the read is logged.
    pub(crate) async fn application_view_tx(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
        purpose: Option<&str>,
    ) -> Result<ApplicationView, AppError> {
        if !matches!(
            actor.role,
            Role::AcceptingUnit
                | Role::Verifier
                | Role::HousingBureau
                | Role::Supervisor
                | Role::Acquirer
                | Role::NaturalResources
                | Role::Government
                | Role::LeadingGroup
                | Role::Notary
        ) {
            return Err(AppError::NotFound(format!("application {id}")));
        }
        let (inst, row) = self.application_row(tx, id).await?;
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        let instance = self.view_for(tx, actor, &inst, &def).await?;
        let (h, elig) = self.household_of(tx, &row).await?;
        let rules = self.sale_rules(&row.pack)?;
        let full = purpose.is_some() && FULL_READERS.contains(&actor.role);
        if full {
            db::insert_pii_read(tx, id, actor.id, purpose.unwrap_or_default(), self.now()).await?;
        }
        let members = h
            .members
            .iter()
            .map(|m| MemberView {
                name: if full {
                    m.name.clone()
                } else {
                    mask_name(&m.name)
                },
                id_number: if full {
                    m.id_number.as_str().to_string()
                } else {
                    m.id_number.masked()
                },
                relation: crate::util::enum_key(&m.relation),
                marital: crate::util::enum_key(&m.marital),
                hukou_local: m.hukou_local,
                annual_income: full.then(|| m.annual_income.to_string()),
                social_security_months: full.then_some(m.social_security_months),
            })
            .collect();
        let present = current_materials(&db::materials(tx, id).await?);
        let materials = rules
            .materials
            .iter()
            .map(|(k, label)| MaterialStatus {
                key: k.clone(),
                label: label.clone(),
                present: present.get(k).copied().unwrap_or(false),
            })
            .collect();
        let all_findings = db::findings(tx, id).await?;
        let findings = rules
            .departments
            .iter()
            .map(|d| {
                let f = all_findings.iter().rev().find(|f| {
                    f.department == d.key
                        && f.recorded_at >= inst.entered_at
                        && inst.state == "verification"
                });
                FindingView {
                    department: d.key.clone(),
                    label: d.label.clone(),
                    checks: d.checks.clone(),
                    rule: d.rule.clone(),
                    passed: f.map(|f| f.passed),
                    note: f.map(|f| f.note.clone()),
                    document_ref: f.map(|f| f.document_ref.clone()),
                    recorded_at: f.map(|f| f.recorded_at),
                }
            })
            .collect();
        let ids: Vec<String> = h.id_numbers().map(|i| i.as_str().to_string()).collect();
        let mut bans = db::bans_of(tx, &ids).await?;
        if !full {
            for b in &mut bans {
                b.id_number = IdNumber::parse(&b.id_number)
                    .map(|i| i.masked())
                    .unwrap_or_default();
            }
        }
        let groups = &rules.eligibility.as_ref().expect("sale path").groups;
        Ok(ApplicationView {
            instance,
            application_no: row.application_no,
            pack: row.pack.clone(),
            accepting_org: row.accepting_org,
            group_label: groups.get(&h.group).cloned().unwrap_or_default(),
            group: h.group.clone(),
            full,
            members,
            owned_area_m2: h.owned_area.to_string(),
            county: h.county.clone(),
            eligibility: elig,
            materials,
            findings,
            open_objections: db::open_objections(tx, id).await?,
            bans,
        })
    }

    /// An application; `purpose` asks for the full record (logged).
    pub async fn application_view(
        &self,
        actor: &User,
        id: i64,
        purpose: Option<&str>,
    ) -> Result<ApplicationView, AppError> {
        match purpose {
            // A logged read writes: one transaction.
            Some(p) => {
                if p.trim().is_empty() || p.chars().count() > 200 {
                    return Err(AppError::invalid(
                        "purpose",
                        "say why the full record is read (1 to 200 characters)",
                    ));
                }
                require_role(actor, FULL_READERS, "read a household's full record")?;
                let mut tx = self.store.begin().await?;
                let v = self
                    .application_view_tx(&mut tx, actor, id, Some(p))
                    .await?;
                tx.commit().await?;
                Ok(v)
            }
            None => {
                let mut tx = self.store.read().await?;
                self.application_view_tx(&mut tx, actor, id, None).await
            }
        }
    }

    /// Applications of a pack, masked, optionally in one state (`qualified`: the waiting list,
    /// 轮候库) and of one tier; newest first, at most [`LIST_MAX`].
    pub async fn applications(
        &self,
        actor: &User,
        pack: &str,
        state: Option<&str>,
        tier: Option<u8>,
    ) -> Result<Vec<ApplicationSummary>, AppError> {
        if actor.role == Role::Developer {
            return Err(AppError::Forbidden(
                "developers do not read households".into(),
            ));
        }
        let rules = self.sale_rules(pack)?;
        let e = rules.eligibility.as_ref().expect("sale path");
        let mut tx = self.store.read().await?;
        let def = self.current_def(&format!("{pack}/application"))?;
        let today = self.today();
        let rows = db::applications(&mut tx, Some(pack), state, LIST_MAX).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let h: Household = serde_json::from_str(&r.data)
                .map_err(|e| AppError::Internal(format!("stored household: {e}")))?;
            let t = if e.tiers.is_some() {
                let ctx = self.eligibility_context(&mut tx, pack, &h, today).await?;
                eligibility::evaluate(e, &h, today, &ctx).tier
            } else {
                None
            };
            if tier.is_some() && t != tier {
                continue;
            }
            out.push(ApplicationSummary {
                id: r.instance_id,
                application_no: r.application_no,
                applicant: mask_name(&h.applicant().name),
                id_number: h.applicant().id_number.masked(),
                members: r.member_count,
                group: e.groups.get(&r.group_key).cloned().unwrap_or(r.group_key),
                state_label: def
                    .state(&r.state)
                    .map(|s| s.label.clone())
                    .unwrap_or_default(),
                state: r.state,
                tier: t,
                deadline_due: r.deadline_due,
                accepting_org: r.accepting_org,
            });
        }
        Ok(out)
    }

    /// The public lookup: an application number and a member's ID number show its standing and
    /// nothing else; any mismatch is the same "not found".
    pub async fn public_status(&self, no: &str, id_number: &str) -> Result<PublicStatus, AppError> {
        let not_found =
            || AppError::NotFound("an application with this number and ID number".into());
        let id = IdNumber::parse(id_number).map_err(|_| not_found())?;
        let mut tx = self.store.read().await?;
        let row = db::application_by_no(&mut tx, no.trim())
            .await?
            .ok_or_else(not_found)?;
        let snap = db::latest_snapshot(&mut tx, row.instance_id)
            .await?
            .ok_or_else(not_found)?;
        let h: Household = serde_json::from_str(&snap.data).map_err(|_| not_found())?;
        if !h.id_numbers().any(|i| i == &id) {
            return Err(not_found());
        }
        let inst = self
            .instance_of(&mut tx, row.instance_id, "application")
            .await?;
        let def = self.def_by_hash(&mut tx, &inst.def_hash).await?;
        Ok(PublicStatus {
            application_no: row.application_no,
            pack_name: self.pack(&row.pack)?.name.clone(),
            state_label: def
                .state(&inst.state)
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            since: inst.entered_at,
            deadline_due: inst.deadline_due,
        })
    }

    /// The personal-data read log, newest first (supervisors).
    pub async fn pii_reads(&self, actor: &User) -> Result<Vec<db::PiiReadRow>, AppError> {
        require_role(
            actor,
            &[Role::Supervisor],
            "read the personal-data read log",
        )?;
        let mut tx = self.store.read().await?;
        Ok(db::pii_reads(&mut tx, LIST_MAX).await?)
    }
}

/// The newest tick of each material: present or not.
pub(crate) fn current_materials(rows: &[db::MaterialRow]) -> BTreeMap<String, bool> {
    rows.iter()
        .map(|m| (m.material.clone(), m.present))
        .collect()
}

fn check_materials(rules: &AllocationRules, keys: &[String]) -> Result<(), AppError> {
    for k in keys {
        if !rules.materials.contains_key(k) {
            return Err(AppError::invalid(
                "materials",
                format!(
                    "{k:?} is not on this pack's checklist ({}): {}",
                    rules.materials_rule,
                    rules
                        .materials
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// One unit per family and the bans in force refuse an application outright (nothing stored).
fn refuse_held_or_banned(rules: &AllocationRules, ctx: &Context) -> Result<(), AppError> {
    let e = rules.eligibility.as_ref().expect("sale path");
    if ctx.holds_unit {
        let rule = e
            .tests
            .iter()
            .find(|t| matches!(t, eligibility::TestSpec::OneUnit { .. }))
            .map_or("", |t| t.rule());
        return Err(AppError::Rule {
            code: "holds_unit",
            rule: rule.into(),
            message:
                "a member of this household already holds a sale-type unit: one unit per family"
                    .into(),
        });
    }
    if let Some(b) = ctx.bans.first() {
        return Err(AppError::Rule {
            code: "banned",
            rule: b.rule.clone(),
            message: format!("a member may not apply until {} ({})", b.ends_on, b.reason),
        });
    }
    Ok(())
}

async fn store_snapshot(
    app: &App,
    tx: &mut Tx,
    id: i64,
    h: &Household,
    actor: &User,
) -> Result<i64, AppError> {
    let ids: Vec<&str> = h.id_numbers().map(|i| i.as_str()).collect();
    Ok(db::insert_snapshot(
        tx,
        &SnapshotRow {
            id: 0,
            application_id: id,
            data: serde_json::to_string(h).map_err(|e| AppError::Internal(e.to_string()))?,
            group_key: h.group.clone(),
            member_count: h.members.len() as i32,
            recorded_by: actor.id,
            recorded_at: app.now(),
        },
        &ids,
    )
    .await?)
}

/// The scope a ban covers, as stored.
pub(crate) fn scope_key(s: BanScope) -> &'static str {
    match s {
        BanScope::Sale => "sale",
        BanScope::AnyPolicyHousing => "any_policy_housing",
        BanScope::Rental => "rental",
    }
}
