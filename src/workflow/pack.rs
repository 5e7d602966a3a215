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
pub const PACK_PARAMS: &[&str] = &["max_acquirers", "acquirer_may_be_financing_platform"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    pack: RawPackHeader,
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
        if raw.demand_bands.is_empty() {
            return Err(err(
                "no demand_bands: the survey (HS-A7.1) needs at least one unit-size band".into(),
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
        for &k in &PACK_PARAMS[..1] {
            match raw.params.get(k) {
                None => {}
                Some(toml::Value::Integer(n)) if *n >= 1 => {}
                Some(v) => return Err(err(format!("{k} must be a whole number ≥ 1, not {v}"))),
            }
        }
        if let Some(v) = raw.params.get("acquirer_may_be_financing_platform")
            && !v.is_bool()
        {
            return Err(err(format!(
                "acquirer_may_be_financing_platform must be true or false, not {v}"
            )));
        }
        Ok(Pack {
            key: raw.pack.key,
            name: raw.pack.name,
            flow: raw.pack.flow,
            sources: raw.pack.sources,
            params: raw.params,
            documents: raw.documents,
            demand_bands: raw.demand_bands,
            review: raw.review,
            source_text: text.to_string(),
            file: file.to_string(),
            pricing: None,
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

    /// The pack's pricing parameters (present on every pack the registry loaded).
    pub fn pricing(&self) -> &PricingParams {
        self.pricing
            .as_ref()
            .expect("the registry loads pricing.toml for every pack")
    }

    /// How many acquiring companies (收购主体) the jurisdiction may designate, when its policy
    /// says (YQ-7.1: two; Huoshan measures art. 3: one).
    pub fn max_acquirers(&self) -> Option<u32> {
        self.params
            .get("max_acquirers")
            .and_then(toml::Value::as_integer)
            .and_then(|n| u32::try_from(n).ok())
    }

    /// Whether an acquiring company may be a government financing platform (YQ-7.1: no).
    pub fn acquirer_may_be_financing_platform(&self) -> bool {
        self.params
            .get("acquirer_may_be_financing_platform")
            .and_then(toml::Value::as_bool)
            .unwrap_or(true)
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
