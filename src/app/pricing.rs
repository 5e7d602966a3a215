//! The price calculators of issue 3, shared by the command line (`anju price …`) and the HTTP
//! API (`/api/price/…`): one request type per calculation, checked here, computed by
//! `domain::pricing`, answered with the rule IDs applied and the pack parameters used.
//!
//! Calculators store nothing. An "in principle" limit (HS-P8, HS-P9, HS-P13, XY-29) is passed
//! only with the id of an approved exception for that limit; the API resolves the id
//! ([`App::waiver`]) and the answer names it.

use super::flow::DecimalText;
use super::{App, AppError};
use crate::domain::pricing::buyback::{self, BuybackInput};
use crate::domain::pricing::daxie::daxie;
use crate::domain::pricing::rent;
use crate::domain::pricing::resettlement::{self, DayCount};
use crate::domain::pricing::sale::{self, FactorTable, Factors, SaleUnit};
use crate::domain::pricing::{self, CeilingInput, PricingError, PricingParams};
use crate::domain::units::{AreaM2, Rate, Yuan, YuanPerM2, parse_decimal};
use crate::store::listings::{self as db, ExceptionRow};
use crate::workflow::registry::Registry;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Every calculator's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceAnswer {
    /// The policy pack whose parameters were used.
    pub policy: String,
    /// Rule IDs applied (DOMAIN.md).
    pub rules: Vec<String>,
    /// The pack parameters used, by name.
    #[schema(value_type = Object)]
    pub params: Value,
    /// The figures; money as decimal strings, final amounts to the fen.
    #[schema(value_type = Object)]
    pub result: Value,
    /// Final amounts in capitals (大写), by the name of the figure.
    pub capitals: BTreeMap<String, String>,
    /// The approved exception that let an "in principle" limit pass, if one was used.
    pub exception: Option<ExceptionRow>,
}

/// An approved exception offered to pass a limit.
#[derive(Debug, Clone)]
pub struct Waiver(pub ExceptionRow);

impl Waiver {
    fn covers(w: Option<&Waiver>, check_id: &str) -> Result<bool, AppError> {
        match w {
            None => Ok(false),
            Some(Waiver(e)) if e.check_id == check_id => Ok(true),
            Some(Waiver(e)) => Err(AppError::invalid(
                "exception_id",
                format!(
                    "exception {} passes {:?} ({}), not {check_id:?}",
                    e.id, e.check_id, e.rule
                ),
            )),
        }
    }
}

/// HS-P9: the refusal of a rent change past the yearly limit, worded once for the calculator
/// and the rent register (which names the unit).
pub(crate) fn rent_change_refused(
    c: &rent::RentChange,
    max_per_year: Decimal,
    unit: Option<&str>,
) -> AppError {
    AppError::Rule {
        code: "limit_exceeded",
        rule: "HS-P9".into(),
        message: format!(
            "{}{} → {} per m² is a change of {} over {} year(s), past the limit of {} a year; without an approved exception the rent must stay within {} … {} per m²",
            unit.map(|u| format!("unit {u}: ")).unwrap_or_default(),
            c.old_per_m2,
            c.new_per_m2,
            c.change,
            c.years_counted,
            max_per_year,
            c.lowest_allowed_per_m2,
            c.highest_allowed_per_m2
        ),
    }
}

pub(crate) fn pricing_error(e: PricingError) -> AppError {
    match &e {
        PricingError::LimitExceeded { rule, message } => AppError::Rule {
            code: "limit_exceeded",
            rule: rule.to_string(),
            message: message.clone(),
        },
        PricingError::ProfitRateAboveCap { .. } => AppError::Rule {
            code: "profit_rate_above_cap",
            rule: "HS-P5".into(),
            message: e.to_string(),
        },
        _ => AppError::invalid(e.field().unwrap_or("input"), e.to_string()),
    }
}

pub(crate) fn dec(field: &'static str, t: &DecimalText) -> Result<Decimal, AppError> {
    parse_decimal(field, &t.0).map_err(|e| AppError::invalid(field, e.to_string()))
}
/// A typed amount of money: at most two decimals (whole fen) everywhere (issue 15).
fn money_dec(field: &'static str, t: &DecimalText) -> Result<Decimal, AppError> {
    let d = dec(field, t)?;
    if d.normalize().scale() > 2 {
        return Err(AppError::invalid(
            field,
            format!("{d}: an amount has at most two decimals (whole fen)"),
        ));
    }
    Ok(d)
}
fn positive_yuan(field: &'static str, t: &DecimalText) -> Result<Yuan, AppError> {
    Yuan::positive(field, money_dec(field, t)?).map_err(|e| AppError::invalid(field, e.to_string()))
}
fn non_negative_yuan(field: &'static str, t: &DecimalText) -> Result<Yuan, AppError> {
    Yuan::non_negative(field, money_dec(field, t)?)
        .map_err(|e| AppError::invalid(field, e.to_string()))
}
pub(crate) fn per_m2(field: &'static str, t: &DecimalText) -> Result<YuanPerM2, AppError> {
    YuanPerM2::positive(field, money_dec(field, t)?)
        .map_err(|e| AppError::invalid(field, e.to_string()))
}
fn area(field: &'static str, t: &DecimalText) -> Result<AreaM2, AppError> {
    AreaM2::new(field, dec(field, t)?).map_err(|e| AppError::invalid(field, e.to_string()))
}
fn capitals(pairs: &[(&str, Yuan)]) -> Result<BTreeMap<String, String>, AppError> {
    pairs
        .iter()
        .map(|(k, v)| {
            daxie(v.value())
                .map(|d| (k.to_string(), d))
                .map_err(|e| AppError::invalid(k, e.to_string()))
        })
        .collect()
}
fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("pricing results serialise")
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CeilingRequest {
    /// Policy pack; default huoshan.
    pub policy: Option<String>,
    /// 划拨土地成本, yuan per m² of floor area.
    #[schema(value_type = String, example = "1200")]
    pub land_per_m2: DecimalText,
    /// 建安成本, yuan per m².
    #[schema(value_type = String, example = "2600")]
    pub construction_per_m2: DecimalText,
    #[schema(value_type = String, example = "0.05")]
    pub profit_rate: DecimalText,
    /// A unit's gross floor area, for its ceiling.
    #[schema(value_type = Option<String>, example = "89.37")]
    pub area_m2: Option<DecimalText>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RentRequest {
    pub policy: Option<String>,
    /// Appraised market rent, yuan per m² per month.
    #[schema(value_type = String, example = "25")]
    pub market_rent_per_m2: DecimalText,
    #[schema(value_type = String, example = "80")]
    pub area_m2: DecimalText,
    /// Share of the market rent; default the pack's cap (0.9).
    #[schema(value_type = Option<String>, example = "0.9")]
    pub ratio: Option<DecimalText>,
    /// An approved `initial_rent_ratio` exception, to go above the cap.
    pub exception_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RentChangeRequest {
    pub policy: Option<String>,
    #[schema(value_type = String, example = "20")]
    pub old_rent_per_m2: DecimalText,
    #[schema(value_type = String, example = "22.05")]
    pub new_rent_per_m2: DecimalText,
    pub last_adjusted: NaiveDate,
    pub effective_date: NaiveDate,
    /// An approved `rent_change` exception, to pass the yearly limit.
    pub exception_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuybackRequest {
    /// xingyi, nanchang, huoshan or yangquan: each has its own rule.
    pub policy: String,
    #[schema(value_type = String, example = "520000")]
    pub original_price: DecimalText,
    pub delivered: NaiveDate,
    pub title_date: NaiveDate,
    pub agreement_date: NaiveDate,
    /// XY-32: yearly depreciation rate; default the cap (0.02).
    #[schema(value_type = Option<String>)]
    pub rate: Option<DecimalText>,
    /// XY-29: the listed case, when within five years of the title date.
    pub case: Option<String>,
    /// HS-P13 / YQ-21: the appraised price.
    #[schema(value_type = Option<String>)]
    pub appraised_price: Option<DecimalText>,
    /// XY-32: unused maintenance fund to refund.
    #[schema(value_type = Option<String>)]
    pub unused_maintenance_fund: Option<DecimalText>,
    /// An approved `buyback_above_original` or `buyback_within_five_years` exception.
    pub exception_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResettlementRequest {
    pub policy: Option<String>,
    #[schema(value_type = String, example = "400000")]
    pub acquisition_price: DecimalText,
    #[schema(value_type = String, example = "12000")]
    pub taxes: DecimalText,
    /// Yearly interest rate.
    #[schema(value_type = String, example = "0.0285")]
    pub rate: DecimalText,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// act360 or act365; default the pack's.
    pub day_count: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleBaseRequest {
    pub policy: Option<String>,
    /// Acquisition cost per m².
    #[schema(value_type = String, example = "3850")]
    pub cost_per_m2: DecimalText,
    #[schema(value_type = String, example = "0.03")]
    pub profit_rate: DecimalText,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub room: String,
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub floor: String,
    #[serde(default)]
    pub orientation: String,
    #[serde(default)]
    pub layout: String,
    #[schema(value_type = String, example = "89.37")]
    pub area_m2: DecimalText,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorTableInput {
    #[schema(value_type = Option<String>)]
    pub default: Option<DecimalText>,
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    pub values: BTreeMap<String, DecimalText>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorsInput {
    #[serde(default)]
    pub building: FactorTableInput,
    #[serde(default)]
    pub floor: FactorTableInput,
    #[serde(default)]
    pub orientation: FactorTableInput,
    #[serde(default)]
    pub layout: FactorTableInput,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitsRequest {
    pub policy: Option<String>,
    /// The approved base (project average), yuan per m².
    #[schema(value_type = String, example = "4000")]
    pub base_per_m2: DecimalText,
    pub units: Vec<UnitInput>,
    pub factors: FactorsInput,
}

impl FactorsInput {
    /// Reads a factors file: four tables `[building]`, `[floor]`, `[orientation]`, `[layout]`,
    /// each mapping a value to its factor ("3" = "1.02"), with an optional `default`.
    pub fn from_toml(text: &str) -> Result<FactorsInput, AppError> {
        let v: toml::Table =
            toml::from_str(text).map_err(|e| AppError::invalid("factors", e.to_string()))?;
        let mut out = FactorsInput::default();
        for (name, table) in v {
            let slot = match name.as_str() {
                "building" => &mut out.building,
                "floor" => &mut out.floor,
                "orientation" => &mut out.orientation,
                "layout" => &mut out.layout,
                other => {
                    return Err(AppError::invalid(
                        "factors",
                        format!(
                            "unknown table [{other}]: use building, floor, orientation, layout"
                        ),
                    ));
                }
            };
            let toml::Value::Table(t) = table else {
                return Err(AppError::invalid(
                    "factors",
                    format!("[{name}] must be a table"),
                ));
            };
            for (k, val) in t {
                let text = match val {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    other => {
                        return Err(AppError::invalid(
                            "factors",
                            format!(
                                "[{name}] {k:?}: write the factor as a string, e.g. \"1.02\", got {other}"
                            ),
                        ));
                    }
                };
                if k == "default" {
                    slot.default = Some(DecimalText(text));
                } else {
                    slot.values.insert(k, DecimalText(text));
                }
            }
        }
        Ok(out)
    }
}

fn factor_table(name: &'static str, t: &FactorTableInput) -> Result<FactorTable, AppError> {
    let field = name;
    Ok(FactorTable {
        default: t.default.as_ref().map(|d| dec(field, d)).transpose()?,
        values: t
            .values
            .iter()
            .map(|(k, v)| Ok((k.clone(), dec(field, v)?)))
            .collect::<Result<_, AppError>>()?,
    })
}

fn params_json(p: &PricingParams, names: &[&str]) -> Value {
    let all = to_json(p);
    let mut out = serde_json::Map::new();
    for n in names {
        if let Some(v) = all.get(*n) {
            out.insert(n.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

/// The calculators over the packs in force; needs no database.
pub struct PriceCalc<'a>(pub &'a Registry);

impl App {
    pub fn calc(&self) -> PriceCalc<'_> {
        PriceCalc(&self.registry)
    }

    /// Resolves an exception id offered to a calculator: it must exist and be approved.
    pub async fn waiver(&self, id: Option<i64>) -> Result<Option<Waiver>, AppError> {
        let Some(id) = id else { return Ok(None) };
        let mut tx = self.store.read().await?;
        let e = db::exception(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::invalid("exception_id", format!("no exception {id}")))?;
        drop(tx);
        if e.approved != Some(true) {
            return Err(AppError::invalid(
                "exception_id",
                format!("exception {id} is not approved by the leading group"),
            ));
        }
        Ok(Some(Waiver(e)))
    }
}

impl PriceCalc<'_> {
    /// The pack (default huoshan) and its pricing parameters.
    pub fn pricing_pack(&self, policy: Option<&str>) -> Result<(String, &PricingParams), AppError> {
        let key = policy.unwrap_or("huoshan");
        let pack = self.0.packs.get(key).ok_or_else(|| {
            AppError::invalid(
                "policy",
                format!(
                    "unknown policy {key:?}; known: {}",
                    self.0.packs.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        Ok((pack.key.clone(), pack.pricing()))
    }

    /// HS-P5 / YQ-7.3: the replacement-price ceiling; NC-20: the cost, no profit.
    pub fn price_ceiling(&self, r: &CeilingRequest) -> Result<PriceAnswer, AppError> {
        let (policy, p) = self.pricing_pack(r.policy.as_deref())?;
        let c = p
            .ceiling
            .as_ref()
            .ok_or_else(|| not_in_pack(&policy, "HS-P5", "an acquisition ceiling"))?;
        let cap = Rate::new("profit_rate_cap", c.profit_rate_cap)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let rule = c.rule.clone();
        let rate = dec("profit_rate", &r.profit_rate)?;
        let rate = Rate::new("profit_rate", rate)
            .map_err(|e| AppError::invalid("profit_rate", e.to_string()))?;
        let c = pricing::replacement_price(
            &CeilingInput {
                land_per_m2: per_m2("land_per_m2", &r.land_per_m2)?,
                construction_per_m2: per_m2("construction_per_m2", &r.construction_per_m2)?,
                profit_rate: rate,
            },
            cap,
        )
        .map_err(|e| match e {
            PricingError::ProfitRateAboveCap { .. } => AppError::Rule {
                code: "profit_rate_above_cap",
                rule: rule.clone(),
                message: e.to_string(),
            },
            other => pricing_error(other),
        })?;
        let mut result = to_json(&c);
        let mut caps = BTreeMap::new();
        if let Some(a) = &r.area_m2 {
            let a = area("area_m2", a)?;
            let unit = pricing::unit_ceiling(c.ceiling_per_m2, a);
            result["area_m2"] = to_json(&a);
            result["unit_ceiling"] = to_json(&unit);
            caps = capitals(&[("unit_ceiling", unit)])?;
        }
        Ok(PriceAnswer {
            rules: vec![rule],
            policy,
            params: params_json(p, &["ceiling"]),
            result,
            capitals: caps,
            exception: None,
        })
    }

    /// HS-P8: the initial rent.
    pub fn price_rent(&self, r: &RentRequest, w: Option<&Waiver>) -> Result<PriceAnswer, AppError> {
        let (policy, params) = self.pricing_pack(r.policy.as_deref())?;
        let p = params
            .rent
            .as_ref()
            .ok_or_else(|| not_in_pack(&policy, "HS-P8", "rent rules"))?;
        let ratio = match &r.ratio {
            Some(t) => dec("ratio", t)?,
            None => p.initial_max_ratio,
        };
        let waived = Waiver::covers(w, "initial_rent_ratio")?;
        let q = rent::initial_rent(
            per_m2("market_rent_per_m2", &r.market_rent_per_m2)?,
            area("area_m2", &r.area_m2)?,
            ratio,
            p.initial_max_ratio,
            waived,
        )
        .map_err(pricing_error)?;
        Ok(PriceAnswer {
            policy,
            rules: vec!["HS-P8".into()],
            params: params_json(params, &["rent"]),
            capitals: capitals(&[("monthly_rent", q.monthly_rent)])?,
            result: to_json(&q),
            exception: w.filter(|_| q.above_cap).map(|w| w.0.clone()),
        })
    }

    /// HS-P9: a rent change against the compounded yearly limit.
    pub fn price_rent_change(
        &self,
        r: &RentChangeRequest,
        w: Option<&Waiver>,
    ) -> Result<PriceAnswer, AppError> {
        let (policy, params) = self.pricing_pack(r.policy.as_deref())?;
        let p = params
            .rent
            .as_ref()
            .ok_or_else(|| not_in_pack(&policy, "HS-P9", "rent rules"))?;
        let waived = Waiver::covers(w, "rent_change")?;
        let c = rent::rent_change(
            per_m2("old_rent_per_m2", &r.old_rent_per_m2)?,
            per_m2("new_rent_per_m2", &r.new_rent_per_m2)?,
            r.last_adjusted,
            r.effective_date,
            p.change_max_per_year,
        )
        .map_err(pricing_error)?;
        if !c.within_limit && !waived {
            return Err(rent_change_refused(&c, p.change_max_per_year, None));
        }
        Ok(PriceAnswer {
            policy,
            rules: vec!["HS-P9".into()],
            params: params_json(params, &["rent"]),
            capitals: BTreeMap::new(),
            exception: w.filter(|_| !c.within_limit).map(|w| w.0.clone()),
            result: to_json(&c),
        })
    }

    /// HS-P13 / YQ-21 / NC-37 / XY-32 / XY-29: the buy-back price under the pack's rule.
    pub fn price_buyback(
        &self,
        r: &BuybackRequest,
        w: Option<&Waiver>,
    ) -> Result<PriceAnswer, AppError> {
        let (policy, p) = self.pricing_pack(Some(&r.policy))?;
        let bp = &p.buyback;
        // XY-29's five-year bar is the only "in principle" buy-back limit; HS-P13 and YQ-21 set
        // no cap to pass.
        let waived = match w {
            None => false,
            Some(_) if bp.lock_years_from_title.is_some() => {
                Waiver::covers(w, "buyback_within_five_years")?
            }
            Some(Waiver(e)) => {
                return Err(AppError::invalid(
                    "exception_id",
                    format!(
                        "{} ({}) sets no \"in principle\" buy-back limit for exception {} to pass",
                        policy, bp.rule, e.id
                    ),
                ));
            }
        };
        let input = BuybackInput {
            original_price: positive_yuan("original_price", &r.original_price)?,
            delivered: r.delivered,
            title_date: r.title_date,
            agreement_date: r.agreement_date,
            rate: r.rate.as_ref().map(|t| dec("rate", t)).transpose()?,
            case: r.case.clone(),
            appraised_price: r
                .appraised_price
                .as_ref()
                .map(|t| positive_yuan("appraised_price", t))
                .transpose()?,
            unused_maintenance_fund: r
                .unused_maintenance_fund
                .as_ref()
                .map(|t| non_negative_yuan("unused_maintenance_fund", t))
                .transpose()?,
            waived,
        };
        let q = buyback::buyback(bp, &input).map_err(pricing_error)?;
        let mut rules = vec![bp.rule.clone()];
        if bp.lock_years_from_title.is_some() {
            rules.push("XY-29".into());
        }
        let mut caps = vec![("price", q.price), ("total_paid", q.total_paid)];
        if let Some(f) = q.maintenance_fund_refund {
            caps.push(("maintenance_fund_refund", f));
        }
        let used_exception = (q.within_lock && q.case.is_none())
            .then(|| w.map(|w| w.0.clone()))
            .flatten();
        Ok(PriceAnswer {
            policy,
            rules,
            params: params_json(p, &["buyback"]),
            capitals: capitals(&caps)?,
            result: to_json(&q),
            exception: used_exception,
        })
    }

    /// HS-P14: the resettlement price.
    pub fn price_resettlement(&self, r: &ResettlementRequest) -> Result<PriceAnswer, AppError> {
        let (policy, params) = self.pricing_pack(r.policy.as_deref())?;
        let p = params
            .resettlement
            .as_ref()
            .ok_or_else(|| not_in_pack(&policy, "HS-P14", "resettlement prices"))?;
        let dc = match &r.day_count {
            Some(s) => s
                .parse::<DayCount>()
                .map_err(|e| AppError::invalid("day_count", e))?,
            None => p.day_count,
        };
        let q = resettlement::resettlement(
            positive_yuan("acquisition_price", &r.acquisition_price)?,
            non_negative_yuan("taxes", &r.taxes)?,
            dec("rate", &r.rate)?,
            r.from,
            r.to,
            dc,
        )
        .map_err(pricing_error)?;
        Ok(PriceAnswer {
            policy,
            rules: vec!["HS-P14".into()],
            params: params_json(params, &["resettlement"]),
            capitals: capitals(&[("interest", q.interest), ("price", q.price)])?,
            result: to_json(&q),
            exception: None,
        })
    }

    /// HS-P11 / YQ-17 / NC-30 / XY-13: the sale base price per m². Only NC-30 caps the profit
    /// (≤ 5 %); elsewhere the rate is the operator's proposal, which the body the text names
    /// approves (see `App::propose_sale_price`).
    pub fn price_sale_base(&self, r: &SaleBaseRequest) -> Result<PriceAnswer, AppError> {
        let (policy, p) = self.pricing_pack(r.policy.as_deref())?;
        let b = sale::sale_base(
            per_m2("cost_per_m2", &r.cost_per_m2)?,
            dec("profit_rate", &r.profit_rate)?,
            p.sale.profit_rate_cap,
        )
        .map_err(|e| match e {
            PricingError::ProfitRateAboveCap { .. } => AppError::Rule {
                code: "profit_rate_above_cap",
                rule: p.sale.rule.clone(),
                message: e.to_string(),
            },
            other => pricing_error(other),
        })?;
        Ok(PriceAnswer {
            policy,
            rules: vec![p.sale.rule.clone()],
            params: params_json(p, &["sale"]),
            capitals: BTreeMap::new(),
            result: to_json(&b),
            exception: None,
        })
    }

    /// HS-P12: the 一房一价 schedule. Refusals name the unit's row (1-based) and column.
    pub fn price_units(&self, r: &UnitsRequest) -> Result<(PriceAnswer, sale::Schedule), AppError> {
        let (policy, p) = self.pricing_pack(r.policy.as_deref())?;
        let base = per_m2("base_per_m2", &r.base_per_m2)?;
        let factors = Factors {
            building: factor_table("building", &r.factors.building)?,
            floor: factor_table("floor", &r.factors.floor)?,
            orientation: factor_table("orientation", &r.factors.orientation)?,
            layout: factor_table("layout", &r.factors.layout)?,
        };
        let mut units = Vec::with_capacity(r.units.len());
        for (i, u) in r.units.iter().enumerate() {
            let a = area("area_m2", &u.area_m2)
                .map_err(|e| AppError::invalid(&format!("units[{i}].area_m2"), e.to_string()))?;
            units.push(SaleUnit {
                room: u.room.clone(),
                building: u.building.clone(),
                floor: u.floor.clone(),
                orientation: u.orientation.clone(),
                layout: u.layout.clone(),
                area_m2: a,
            });
        }
        let s = sale::unit_prices(base, &units, &factors).map_err(|problems| {
            let first = &problems[0];
            AppError::invalid(
                &format!("units[{}].{}", first.row, first.column),
                format!(
                    "{} problem(s); first, unit {:?}: {}",
                    problems.len(),
                    r.units
                        .get(first.row)
                        .map(|u| u.room.as_str())
                        .unwrap_or(""),
                    first.message
                ),
            )
        })?;
        let answer = PriceAnswer {
            policy,
            rules: vec!["HS-P12".into(), p.sale.rule.clone()],
            params: params_json(p, &["sale"]),
            capitals: capitals(&[("total", s.total)])?,
            result: to_json(&s),
            exception: None,
        };
        Ok((answer, s))
    }
}

/// A calculation the pack's text does not provide: refused rather than borrowed from another
/// jurisdiction (DOMAIN.md §5).
pub(crate) fn not_in_pack(policy: &str, rule: &str, what: &str) -> AppError {
    AppError::Rule {
        code: "not_in_pack",
        rule: rule.into(),
        message: format!(
            "the policy texts of pack {policy} set no {what} ({rule} is another jurisdiction's rule)"
        ),
    }
}

/// An amount in capitals, as its own calculation.
pub fn price_daxie(raw: &str) -> Result<PriceAnswer, AppError> {
    let amount =
        parse_decimal("amount", raw).map_err(|e| AppError::invalid("amount", e.to_string()))?;
    let text = daxie(amount).map_err(|e| AppError::invalid("amount", e.to_string()))?;
    Ok(PriceAnswer {
        policy: String::new(),
        rules: vec!["票据填写规范".into()],
        params: json!({}),
        result: json!({ "amount": amount.to_string(), "daxie": text }),
        capitals: BTreeMap::from([("amount".to_string(), text)]),
        exception: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")).unwrap()
    }
    fn t(s: &str) -> DecimalText {
        DecimalText(s.into())
    }
    fn sale(r: &Registry, policy: &str, rate: &str) -> Result<PriceAnswer, AppError> {
        PriceCalc(r).price_sale_base(&SaleBaseRequest {
            policy: Some(policy.into()),
            cost_per_m2: t("3850"),
            profit_rate: t(rate),
        })
    }

    #[test]
    fn nc_30_sale_price_is_cost_plus_at_most_five_percent() {
        let r = registry();
        // 3,850 × 1.05 = 4,042.50.
        let a = sale(&r, "nanchang", "0.05").unwrap();
        assert_eq!(a.rules, vec!["NC-30".to_string()]);
        assert_eq!(a.result["base_per_m2"], "4042.50");
        assert!(matches!(
            sale(&r, "nanchang", "0.0501"),
            Err(AppError::Rule {
                code: "profit_rate_above_cap",
                ..
            })
        ));
    }

    #[test]
    fn xy_13_hs_p11_yq_17_sale_prices_have_no_numeric_profit_cap() {
        let r = registry();
        // 3,850 × 1.02 = 3,927.00.
        let a = sale(&r, "xingyi", "0.02").unwrap();
        assert_eq!(a.rules, vec!["XY-13".to_string()]);
        assert_eq!(a.result["base_per_m2"], "3927.00");
        // 保本微利 names no number: 6 % is not refused by XY-13, HS-P11 or YQ-17
        // (3,850 × 1.06 = 4,081.00); only NC-30 caps it at 5 %.
        for (pack, rule) in [
            ("xingyi", "XY-13"),
            ("huoshan", "HS-P11"),
            ("yangquan", "YQ-17"),
        ] {
            let a = sale(&r, pack, "0.06").unwrap();
            assert_eq!(a.result["base_per_m2"], "4081.00", "{pack}");
            assert_eq!(a.rules, vec![rule.to_string()]);
            assert!(
                a.params["sale"]
                    .get("profit_rate_cap")
                    .is_none_or(|v| v.is_null()),
                "{pack}"
            );
        }
        assert!(sale(&r, "nanchang", "0.06").is_err());
        // Below cost is refused everywhere (保本).
        assert!(sale(&r, "xingyi", "-0.01").is_err());
    }

    #[test]
    fn yq_7_3_ceiling_is_the_replacement_price() {
        let r = registry();
        // (1,350 + 2,480) × 1.04 = 3,983.20; × 95.12 ㎡ = 378,881.98 (378,881.984 → half-up).
        let a = PriceCalc(&r)
            .price_ceiling(&CeilingRequest {
                policy: Some("yangquan".into()),
                land_per_m2: t("1350"),
                construction_per_m2: t("2480"),
                profit_rate: t("0.04"),
                area_m2: Some(t("95.12")),
            })
            .unwrap();
        assert_eq!(a.rules, vec!["YQ-7.3".to_string()]);
        assert_eq!(a.result["ceiling_per_m2"], "3983.20");
        assert_eq!(a.result["unit_ceiling"], "378881.98");
    }
}
