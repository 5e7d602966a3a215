//! Policy packs: one folder per jurisdiction under `workflows/` holding its parameters as data
//! (`policy.toml`) beside its workflow files. A pack may run another pack's flow with its own
//! parameters (Nanchang and Xingyi run Huoshan's flow: `flow = "huoshan"`).

use super::def::{DefError, line_of};
use crate::domain::pricing::PricingParams;
use crate::domain::review::ReviewParams;
use crate::domain::role::Role;
use crate::domain::survey::DemandBand;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Parameters the application reads itself rather than a guard or deadline (checked here).
pub const PACK_PARAMS: &[&str] = &[];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    pack: RawPackHeader,
    /// The policy texts the pack carries out, with their dates and status (DOMAIN.md §7).
    #[serde(default)]
    texts: Vec<PolicyText>,
    /// Who designates the acquiring companies, and the limits the text sets.
    acquirers: AcquirerRules,
    /// Who runs a round's tender, where the text says (YQ-7.4: the acquirer).
    #[serde(default)]
    tender: Option<TenderRules>,
    /// Who asks for and who approves an exception to an "in principle" limit.
    exceptions: ExceptionRules,
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
    #[serde(default)]
    documents: BTreeMap<String, DocumentKind>,
    #[serde(default)]
    demand_bands: Vec<DemandBand>,
    review: ReviewParams,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackHeader {
    key: String,
    name: String,
    flow: String,
    #[serde(default)]
    sources: Vec<String>,
    /// The rule that bases purchases on demand (HS-A7.1, YQ-7, NC-4), cited with survey returns.
    #[serde(default)]
    demand_rule: Option<String>,
}

/// The status of a policy text (DOMAIN.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextStatus {
    /// 试行: in force on trial.
    Trial,
    /// In force.
    InForce,
    /// 征求意见稿: a draft for comment, not in force.
    Draft,
}

/// One policy text of a pack, with its dates and status (DOMAIN.md §7).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyText {
    /// The rule-ID prefix of the text (HS, YQ, YQM, NC, XY).
    pub prefix: String,
    pub title: String,
    /// 文号, where the text has one.
    #[serde(default)]
    pub document: Option<String>,
    #[serde(default)]
    pub issued_by: Option<String>,
    /// Date of issue, where the text gives it.
    #[serde(default)]
    pub issued: Option<chrono::NaiveDate>,
    /// In force from, where the text says.
    #[serde(default)]
    pub in_force: Option<chrono::NaiveDate>,
    /// Years of validity from `in_force`, where the text sets them (YQ-24: 2; YQM: 3).
    #[serde(default)]
    pub valid_years: Option<u32>,
    pub status: TextStatus,
    #[serde(default)]
    pub note: Option<String>,
}

impl PolicyText {
    /// The last day of validity: the same month-day `valid_years` later (29 Feb → 28 Feb).
    pub fn valid_until(&self) -> Option<chrono::NaiveDate> {
        let years = self.valid_years?;
        crate::domain::calendar::add_years_clamped(self.in_force?, years)
    }

    /// What a person must be told before relying on this text on `today`, in Chinese.
    pub fn warnings(&self, today: chrono::NaiveDate) -> Vec<String> {
        let name = match &self.document {
            Some(d) => format!("《{}》（{d}）", self.title),
            None => format!("《{}》", self.title),
        };
        let mut out = Vec::new();
        if self.status == TextStatus::Draft {
            out.push(format!("{name}是征求意见稿，尚未正式施行"));
        }
        if let Some(until) = self.valid_until()
            && today > until
        {
            out.push(format!("{name}有效期至{until}，已过有效期"));
        }
        if let Some(from) = self.in_force
            && today < from
        {
            out.push(format!("{name}自{from}起施行，尚未生效"));
        }
        out
    }
}

/// Who designates a jurisdiction's acquiring companies (收购主体), and the limits its text sets.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AcquirerRules {
    /// The designation's rule (HS-A3, YQ-7, NC-5, XY-41): the government designates.
    pub rule: String,
    /// At most this many, where the text says (Huoshan art. 3: one; YQ-7: two; NC-5 names one
    /// company). Absent where the text sets no number.
    #[serde(default)]
    pub max: Option<u32>,
    /// The rule of that limit, when another than `rule`.
    #[serde(default)]
    pub max_rule: Option<String>,
    /// YQ-7.1: neither the company nor its group may be a government financing platform.
    #[serde(default)]
    pub no_financing_platform: bool,
}

/// Who runs a round's tender: the housing bureau (the default: it solicits listings, HS-A7.2)
/// or, where the text says so, the acquiring company (YQ-7.4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TenderRules {
    pub run_by: Role,
    pub rule: String,
}

/// Who may ask for an exception to an "in principle" (原则上) limit and who approves it
/// (DOMAIN.md §3: Huoshan's leading group; where a text names no such body, the pack says who,
/// and why).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionRules {
    pub requested_by: Vec<Role>,
    pub approved_by: Role,
    /// The rule or reason naming the approver.
    pub rule: String,
}

/// A kind of document a listing may carry, and who may upload it.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DocumentKind {
    pub label: String,
    pub roles: Vec<Role>,
}

/// A checked policy pack.
#[derive(Debug, Clone)]
pub struct Pack {
    /// Folder name, e.g. `huoshan`.
    pub key: String,
    /// Display name, e.g. 霍山县.
    pub name: String,
    /// Folder whose workflow files this pack runs.
    pub flow: String,
    /// The policy documents the parameters come from.
    pub sources: Vec<String>,
    /// The texts with their dates and status (DOMAIN.md §7).
    pub texts: Vec<PolicyText>,
    /// The demand survey's rule (HS-A7.1, YQ-7, NC-4); `None` where the text sets none.
    pub demand_rule: Option<String>,
    pub acquirers: AcquirerRules,
    pub tender: Option<TenderRules>,
    pub exceptions: ExceptionRules,
    /// Named parameters read by guards and deadlines.
    pub params: BTreeMap<String, toml::Value>,
    /// Document kinds (key → label and uploader roles).
    pub documents: BTreeMap<String, DocumentKind>,
    /// Unit-size bands of the demand survey (HS-A7.1).
    pub demand_bands: Vec<DemandBand>,
    /// Parameters of the HS-A4 review report.
    pub review: ReviewParams,
    /// The file's text, part of every definition's content hash.
    pub source_text: String,
    pub file: String,
    /// Pricing parameters from the folder's `pricing.toml`; the registry loads them for every
    /// pack it accepts.
    pub pricing: Option<PricingParams>,
    /// Allocation rules from the folder's `allocation.toml` (ALLOCATION.md §1–§8).
    pub allocation: Option<crate::domain::allocation::AllocationRules>,
}

impl Pack {
    pub fn parse(file: &str, folder: &str, text: &str) -> Result<Pack, DefError> {
        let raw: RawPack = toml::from_str(text).map_err(|e| DefError {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().to_string(),
        })?;
        let err = |message: String| DefError {
            file: file.to_string(),
            line: None,
            message,
        };
        if raw.pack.key != folder {
            return Err(err(format!(
                "pack key {:?} must equal its folder name {folder:?}",
                raw.pack.key
            )));
        }
        if raw.texts.is_empty() {
            return Err(err(
                "no [[texts]]: a pack names the policy texts it carries out, with their dates and status (DOMAIN.md §7)".into(),
            ));
        }
        if raw.acquirers.max == Some(0) {
            return Err(err("[acquirers] max must be at least 1".into()));
        }
        raw.review.check().map_err(err)?;
        if raw
            .exceptions
            .requested_by
            .contains(&raw.exceptions.approved_by)
        {
            return Err(err(
                "[exceptions] the approver may not be among those who ask".into(),
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for b in &raw.demand_bands {
            if !keys.insert(b.key.clone()) {
                return Err(err(format!("demand band {:?} is defined twice", b.key)));
            }
        }
        if let Some(toml::Value::Array(docs)) = raw.params.get("required_documents") {
            for d in docs {
                let k = d.as_str().unwrap_or_default();
                if !raw.documents.contains_key(k) {
                    return Err(err(format!(
                        "required document {k:?} has no label in [documents]"
                    )));
                }
            }
        }
        for k in raw.review.rules.keys() {
            if !crate::domain::review::CHECK_IDS.contains(&k.as_str()) {
                return Err(err(format!(
                    "[review.rules] names {k:?}, which is not a review check (one of {})",
                    crate::domain::review::CHECK_IDS.join(", ")
                )));
            }
        }
        Ok(Pack {
            key: raw.pack.key,
            name: raw.pack.name,
            flow: raw.pack.flow,
            sources: raw.pack.sources,
            texts: raw.texts,
            demand_rule: raw.pack.demand_rule,
            acquirers: raw.acquirers,
            tender: raw.tender,
            exceptions: raw.exceptions,
            params: raw.params,
            documents: raw.documents,
            demand_bands: raw.demand_bands,
            review: raw.review,
            source_text: text.to_string(),
            file: file.to_string(),
            pricing: None,
            allocation: None,
        })
    }

    /// Parses and checks a pack's `pricing.toml`.
    pub fn parse_pricing(file: &str, text: &str) -> Result<PricingParams, DefError> {
        let p: PricingParams = toml::from_str(text).map_err(|e| DefError {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().to_string(),
        })?;
        p.check().map_err(|message| DefError {
            file: file.to_string(),
            line: None,
            message,
        })?;
        Ok(p)
    }

    /// Parses and checks a pack's `allocation.toml`.
    pub fn parse_allocation(
        file: &str,
        text: &str,
    ) -> Result<crate::domain::allocation::AllocationRules, DefError> {
        let a: crate::domain::allocation::AllocationRules =
            toml::from_str(text).map_err(|e| DefError {
                file: file.to_string(),
                line: e.span().map(|s| line_of(text, s.start)),
                message: e.message().to_string(),
            })?;
        a.check().map_err(|message| DefError {
            file: file.to_string(),
            line: None,
            message,
        })?;
        Ok(a)
    }

    /// The pack's allocation rules (present on every pack the registry loaded).
    pub fn allocation(&self) -> &crate::domain::allocation::AllocationRules {
        self.allocation
            .as_ref()
            .expect("the registry loads allocation.toml for every pack")
    }

    /// The pack's pricing parameters (present on every pack the registry loaded).
    pub fn pricing(&self) -> &PricingParams {
        self.pricing
            .as_ref()
            .expect("the registry loads pricing.toml for every pack")
    }

    /// How many acquiring companies (收购主体) the jurisdiction may designate, when its policy
    /// says (YQ-7: two; Huoshan measures art. 3: one).
    pub fn max_acquirers(&self) -> Option<u32> {
        self.acquirers.max
    }

    /// Whether an acquiring company may be a government financing platform (YQ-7.1: no).
    pub fn acquirer_may_be_financing_platform(&self) -> bool {
        !self.acquirers.no_financing_platform
    }

    /// Warnings about the pack's texts on `today`: drafts, texts past their validity.
    pub fn warnings(&self, today: chrono::NaiveDate) -> Vec<String> {
        self.texts.iter().flat_map(|t| t.warnings(today)).collect()
    }

    /// Who runs the pack's tenders (set the terms, open the bids, record the plan), and the rule.
    pub fn tender_runner(&self) -> (Role, &str) {
        match &self.tender {
            Some(t) => (t.run_by, t.rule.as_str()),
            None => (Role::HousingBureau, "HS-A7.2"),
        }
    }

    /// Whether any of the pack's texts is a draft for comment.
    pub fn is_draft(&self) -> bool {
        self.texts.iter().any(|t| t.status == TextStatus::Draft)
    }

    pub fn document_label<'a>(&'a self, kind: &'a str) -> &'a str {
        self.documents
            .get(kind)
            .map(|d| d.label.as_str())
            .unwrap_or(kind)
    }

    pub fn required_documents(&self) -> Vec<String> {
        match self.params.get("required_documents") {
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }
}
