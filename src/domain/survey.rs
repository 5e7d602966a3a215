//! The demand survey (征集房源需求, HS-A7.1) and the rule it feeds (以需定购, HS-A2).
//!
//! Townships, the development zone and county units return how many households of which type
//! want a dwelling in which unit-size band and where. This module owns the shape of one return,
//! the unit-size bands a policy pack defines, the aggregation of returns into demand per band,
//! and the check that a purchase plan never asks for more units in a band than the survey found.
//!
//! Pure: no IO, no clock, no spreadsheet crate. `excel::survey` turns an uploaded workbook into
//! [`SurveyReturn`]s; the workflow guard calls [`check_within_demand`].

use super::units::AreaM2;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// Who filed a survey return. Huoshan art. 7(1): 乡镇人民政府, 开发区管委会 and 县直各单位.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RespondentKind {
    /// 乡镇 (township government).
    Township,
    /// 开发区 (the county economic development zone's management committee).
    DevelopmentZone,
    /// 县直单位 (a department or unit directly under the county).
    CountyUnit,
}

impl RespondentKind {
    pub const ALL: [RespondentKind; 3] = [
        RespondentKind::Township,
        RespondentKind::DevelopmentZone,
        RespondentKind::CountyUnit,
    ];

    /// The Chinese label used in forms and spreadsheets.
    pub fn label(self) -> &'static str {
        match self {
            RespondentKind::Township => "乡镇",
            RespondentKind::DevelopmentZone => "开发区",
            RespondentKind::CountyUnit => "县直单位",
        }
    }

    /// The serde key (`township`, `development_zone`, `county_unit`).
    pub fn key(self) -> &'static str {
        match self {
            RespondentKind::Township => "township",
            RespondentKind::DevelopmentZone => "development_zone",
            RespondentKind::CountyUnit => "county_unit",
        }
    }

    /// Reads a label as people write it: the short label, the key, or the long form of the
    /// policy text (乡镇人民政府, 开发区管委会, 县直各单位 …). Surrounding whitespace is ignored.
    pub fn from_label(raw: &str) -> Option<RespondentKind> {
        let s = raw.trim();
        let kind = match s {
            "乡镇" | "乡镇人民政府" | "乡镇政府" | "乡" | "镇" | "township" => {
                RespondentKind::Township
            }
            "开发区"
            | "开发区管委会"
            | "县经济开发区"
            | "经济开发区"
            | "县经济开发区管委会"
            | "development_zone" => RespondentKind::DevelopmentZone,
            "县直单位" | "县直各单位" | "县直部门" | "县直机关" | "county_unit" => {
                RespondentKind::CountyUnit
            }
            _ => return None,
        };
        Some(kind)
    }
}

impl fmt::Display for RespondentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One line of a survey return: `units` households of `household_type` from `respondent` want a
/// dwelling in the band whose key is `band`, near `location` (may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurveyReturn {
    /// 填报单位, e.g. "衡山镇人民政府".
    pub respondent: String,
    /// 单位类型.
    pub respondent_kind: RespondentKind,
    /// 家庭类型, e.g. "新市民", "青年人", "教师".
    pub household_type: String,
    /// Key of the [`DemandBand`] (户型面积段).
    pub band: String,
    /// 需求套数, at least 1.
    pub units: u32,
    /// 意向位置; empty when the respondent has no preference.
    pub location: String,
}

/// A unit-size band of the demand survey (户型面积段), a policy parameter.
///
/// Bounds are on gross floor area (建筑面积) and the band is the half-open interval
/// `min_m2 < area ≤ max_m2`: the lower bound is exclusive and the upper bound inclusive, so
/// "90 m² and below" (90平方米及以下) contains exactly 90 m², the way Chinese size bands are
/// written. A missing bound is unbounded on that side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandBand {
    /// Stable key, e.g. "to_90".
    pub key: String,
    /// Label shown to people, e.g. "90m²及以下".
    pub label: String,
    /// Exclusive lower bound in m²; `None` means no lower bound.
    #[serde(default)]
    pub min_m2: Option<Decimal>,
    /// Inclusive upper bound in m²; `None` means no upper bound.
    #[serde(default)]
    pub max_m2: Option<Decimal>,
}

impl DemandBand {
    /// `min_m2 < area ≤ max_m2`, a missing bound being no limit.
    pub fn contains(&self, area: AreaM2) -> bool {
        let a = area.value();
        self.min_m2.is_none_or(|min| min < a) && self.max_m2.is_none_or(|max| a <= max)
    }
}

/// The band that contains `area`, the first one if (wrongly) several do; [`check_bands`]
/// refuses overlapping bands when a policy pack is loaded.
pub fn band_of(bands: &[DemandBand], area: AreaM2) -> Option<&DemandBand> {
    bands.iter().find(|b| b.contains(area))
}

/// Why a policy pack's list of bands is unusable. Messages are lowercase, no final period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BandError {
    #[error("no demand bands are defined")]
    NoBands,
    #[error("a demand band has an empty key or label")]
    EmptyKeyOrLabel,
    #[error("demand band key {0:?} is used twice")]
    DuplicateKey(String),
    #[error("demand band label {0:?} is used twice")]
    DuplicateLabel(String),
    #[error("demand band {key:?} has a lower bound {min} not below its upper bound {max}")]
    EmptyInterval {
        key: String,
        min: Decimal,
        max: Decimal,
    },
    #[error("demand band {key:?} has a negative bound")]
    NegativeBound { key: String },
    #[error("demand bands {a:?} and {b:?} overlap")]
    Overlap { a: String, b: String },
}

/// Checks bands once, when a policy pack is loaded: at least one band, keys and labels unique
/// and non-empty, bounds non-negative, each interval non-empty, no two intervals overlapping.
pub fn check_bands(bands: &[DemandBand]) -> Result<(), Vec<BandError>> {
    let mut problems = Vec::new();
    if bands.is_empty() {
        problems.push(BandError::NoBands);
    }
    let mut keys = HashSet::new();
    let mut labels = HashSet::new();
    for b in bands {
        if b.key.trim().is_empty() || b.label.trim().is_empty() {
            problems.push(BandError::EmptyKeyOrLabel);
        }
        if !keys.insert(b.key.as_str()) {
            problems.push(BandError::DuplicateKey(b.key.clone()));
        }
        if !labels.insert(b.label.as_str()) {
            problems.push(BandError::DuplicateLabel(b.label.clone()));
        }
        if [b.min_m2, b.max_m2]
            .iter()
            .flatten()
            .any(|v| v.is_sign_negative() && !v.is_zero())
        {
            problems.push(BandError::NegativeBound { key: b.key.clone() });
        }
        if let (Some(min), Some(max)) = (b.min_m2, b.max_m2)
            && min >= max
        {
            problems.push(BandError::EmptyInterval {
                key: b.key.clone(),
                min,
                max,
            });
        }
    }
    for (i, a) in bands.iter().enumerate() {
        for b in &bands[i + 1..] {
            // (a.min, a.max] and (b.min, b.max] overlap iff each starts below the other's end.
            let a_below_b_end = match (a.min_m2, b.max_m2) {
                (Some(a_min), Some(b_max)) => a_min < b_max,
                _ => true,
            };
            let b_below_a_end = match (b.min_m2, a.max_m2) {
                (Some(b_min), Some(a_max)) => b_min < a_max,
                _ => true,
            };
            if a_below_b_end && b_below_a_end {
                problems.push(BandError::Overlap {
                    a: a.key.clone(),
                    b: b.key.clone(),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// HS-A7.1: surveyed demand per band key, summed over all returns.
///
/// Each return carries at most `u32::MAX` units, so the `u64` sum cannot overflow for fewer
/// than 2^32 returns; the sum is checked anyway and saturates rather than wraps.
pub fn aggregate_by_band(returns: &[SurveyReturn]) -> BTreeMap<String, u64> {
    let mut demand: BTreeMap<String, u64> = BTreeMap::new();
    for r in returns {
        let total = match demand.get_mut(r.band.as_str()) {
            Some(total) => total,
            None => demand.entry(r.band.clone()).or_insert(0),
        };
        *total = total.saturating_add(u64::from(r.units));
    }
    demand
}

/// A unit whose gross floor area falls in no demand band: nobody asked for that size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a unit of {area} m² falls in no demand band")]
pub struct OutsideEveryBand {
    pub area: AreaM2,
}

/// Counts planned units per band from their gross floor areas, the `planned` side of
/// [`check_within_demand`]. Refuses the first area that falls in no band.
pub fn planned_by_band(
    bands: &[DemandBand],
    areas: impl IntoIterator<Item = AreaM2>,
) -> Result<BTreeMap<String, u64>, OutsideEveryBand> {
    let mut planned: BTreeMap<String, u64> = BTreeMap::new();
    for area in areas {
        let band = band_of(bands, area).ok_or(OutsideEveryBand { area })?;
        *planned.entry(band.key.clone()).or_insert(0) += 1;
    }
    Ok(planned)
}

/// A band where the plan asks for more units than the survey found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BandExcess {
    pub band: String,
    /// Surveyed demand (0 when nobody asked for this band).
    pub demand: u64,
    pub planned: u64,
}

impl fmt::Display for BandExcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "band {}: {} units planned but only {} surveyed",
            self.band, self.planned, self.demand
        )
    }
}

/// HS-A2 (以需定购): in every band the planned units are at most the surveyed demand. A band the
/// survey does not mention has demand 0. Returns every band in excess, in key order.
pub fn check_within_demand(
    demand: &BTreeMap<String, u64>,
    planned: &BTreeMap<String, u64>,
) -> Result<(), Vec<BandExcess>> {
    let excess: Vec<BandExcess> = planned
        .iter()
        .filter_map(|(band, &planned)| {
            let demand = demand.get(band).copied().unwrap_or(0);
            (planned > demand).then(|| BandExcess {
                band: band.clone(),
                demand,
                planned,
            })
        })
        .collect();
    if excess.is_empty() {
        Ok(())
    } else {
        Err(excess)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn band(key: &str, label: &str, min: Option<Decimal>, max: Option<Decimal>) -> DemandBand {
        DemandBand {
            key: key.into(),
            label: label.into(),
            min_m2: min,
            max_m2: max,
        }
    }

    fn huoshan_bands() -> Vec<DemandBand> {
        vec![
            band("to_60", "60m²及以下", None, Some(dec!(60))),
            band("60_90", "60-90m²", Some(dec!(60)), Some(dec!(90))),
            band("90_120", "90-120m²", Some(dec!(90)), Some(dec!(120))),
        ]
    }

    fn ret(who: &str, kind: RespondentKind, band: &str, units: u32) -> SurveyReturn {
        SurveyReturn {
            respondent: who.into(),
            respondent_kind: kind,
            household_type: "新市民".into(),
            band: band.into(),
            units,
            location: String::new(),
        }
    }

    fn area(v: Decimal) -> AreaM2 {
        AreaM2::new("area", v).unwrap()
    }

    fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn band_lower_bound_is_exclusive_and_upper_inclusive() {
        let bands = huoshan_bands();
        let check = |a: Decimal, expected: Option<&str>| {
            assert_eq!(
                band_of(&bands, area(a)).map(|b| b.key.as_str()),
                expected,
                "{a} m²"
            );
        };
        check(dec!(45.5), Some("to_60"));
        check(dec!(60), Some("to_60"));
        check(dec!(60.01), Some("60_90"));
        check(dec!(90), Some("60_90"));
        check(dec!(90.01), Some("90_120"));
        check(dec!(120), Some("90_120"));
        check(dec!(120.01), None);
    }

    #[test]
    fn open_upper_band_contains_everything_above_its_minimum() {
        let above = band("above_120", "120m²以上", Some(dec!(120)), None);
        assert!(!above.contains(area(dec!(120))));
        assert!(above.contains(area(dec!(120.01))));
        assert!(above.contains(area(dec!(999999))));
    }

    #[test]
    fn hs_a7_1_survey_aggregates_by_band() {
        // Two townships, the development zone and a county unit; 12 + 8 + 5 households want
        // 60–90 m², 3 + 4 want 90–120 m², nobody asked for 60 m² and below.
        let returns = vec![
            ret("衡山镇", RespondentKind::Township, "60_90", 12),
            ret("佛子岭镇", RespondentKind::Township, "60_90", 8),
            ret("开发区管委会", RespondentKind::DevelopmentZone, "90_120", 3),
            ret("县教育局", RespondentKind::CountyUnit, "60_90", 5),
            ret("县教育局", RespondentKind::CountyUnit, "90_120", 4),
        ];
        assert_eq!(
            aggregate_by_band(&returns),
            map(&[("60_90", 25), ("90_120", 7)])
        );
        assert_eq!(aggregate_by_band(&[]), BTreeMap::new());
    }

    #[test]
    fn hs_a2_planned_units_never_exceed_survey_demand() {
        let demand = map(&[("60_90", 25), ("90_120", 7)]);
        // Exactly the demand, or less, passes; a band with zero planned units is fine.
        assert_eq!(
            check_within_demand(&demand, &map(&[("60_90", 25), ("90_120", 7)])),
            Ok(())
        );
        assert_eq!(
            check_within_demand(&demand, &map(&[("60_90", 20), ("to_60", 0)])),
            Ok(())
        );
        // One unit too many in 90–120 m², and 2 units of a size nobody asked for.
        let plan = map(&[("60_90", 25), ("90_120", 8), ("to_60", 2)]);
        assert_eq!(
            check_within_demand(&demand, &plan),
            Err(vec![
                BandExcess {
                    band: "90_120".into(),
                    demand: 7,
                    planned: 8
                },
                BandExcess {
                    band: "to_60".into(),
                    demand: 0,
                    planned: 2
                },
            ])
        );
    }

    #[test]
    fn hs_a2_plan_from_unit_areas_is_checked_against_demand() {
        let bands = huoshan_bands();
        let demand = map(&[("60_90", 2), ("90_120", 1)]);
        let areas = [dec!(89.5), dec!(90), dec!(118.2)].map(area);
        let planned = planned_by_band(&bands, areas).unwrap();
        assert_eq!(planned, map(&[("60_90", 2), ("90_120", 1)]));
        assert_eq!(check_within_demand(&demand, &planned), Ok(()));

        let one_more = [dec!(89.5), dec!(90), dec!(118.2), dec!(95)].map(area);
        let planned = planned_by_band(&bands, one_more).unwrap();
        assert_eq!(
            check_within_demand(&demand, &planned),
            Err(vec![BandExcess {
                band: "90_120".into(),
                demand: 1,
                planned: 2
            }])
        );
        assert_eq!(
            planned_by_band(&bands, [area(dec!(130))]),
            Err(OutsideEveryBand {
                area: area(dec!(130))
            })
        );
    }

    #[test]
    fn check_bands_refuses_overlaps_duplicates_and_empty_intervals() {
        assert_eq!(check_bands(&huoshan_bands()), Ok(()));
        assert_eq!(check_bands(&[]), Err(vec![BandError::NoBands]));
        let overlapping = vec![
            band("a", "A", None, Some(dec!(90))),
            band("b", "B", Some(dec!(89)), None),
        ];
        assert_eq!(
            check_bands(&overlapping),
            Err(vec![BandError::Overlap {
                a: "a".into(),
                b: "b".into()
            }])
        );
        let bad = vec![
            band("a", "A", Some(dec!(90)), Some(dec!(90))),
            band("a", "B", None, None),
        ];
        let problems = check_bands(&bad).unwrap_err();
        assert!(problems.contains(&BandError::DuplicateKey("a".into())));
        assert!(problems.contains(&BandError::EmptyInterval {
            key: "a".into(),
            min: dec!(90),
            max: dec!(90)
        }));
    }

    #[test]
    fn demand_band_deserialises_strictly() {
        let ok: DemandBand = serde_json::from_str(
            r#"{"key":"60_90","label":"60-90m²","min_m2":"60","max_m2":"90"}"#,
        )
        .unwrap();
        assert_eq!(ok, band("60_90", "60-90m²", Some(dec!(60)), Some(dec!(90))));
        let open: DemandBand =
            serde_json::from_str(r#"{"key":"to_60","label":"x","max_m2":"60"}"#).unwrap();
        assert_eq!(open.min_m2, None);
        assert!(
            serde_json::from_str::<DemandBand>(r#"{"key":"k","label":"l","maximum":"60"}"#)
                .is_err()
        );
    }

    #[test]
    fn respondent_kind_keys_and_labels() {
        for kind in RespondentKind::ALL {
            assert_eq!(RespondentKind::from_label(kind.label()), Some(kind));
            assert_eq!(RespondentKind::from_label(kind.key()), Some(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.key())
            );
        }
        assert_eq!(
            RespondentKind::from_label(" 乡镇人民政府 "),
            Some(RespondentKind::Township)
        );
        assert_eq!(
            RespondentKind::from_label("县直各单位"),
            Some(RespondentKind::CountyUnit)
        );
        assert_eq!(RespondentKind::from_label("企业"), None);
    }

    proptest! {
        #[test]
        fn hs_a2_any_plan_passing_the_check_is_within_demand_per_band(
            demand in prop::collection::btree_map("[a-d]", 0u64..50, 0..4),
            planned in prop::collection::btree_map("[a-e]", 0u64..60, 0..5),
        ) {
            match check_within_demand(&demand, &planned) {
                Ok(()) => {
                    for (band, units) in &planned {
                        prop_assert!(*units <= demand.get(band).copied().unwrap_or(0));
                    }
                }
                Err(excess) => {
                    // Exactly the bands over their demand are reported, with the right numbers.
                    let expected: Vec<BandExcess> = planned
                        .iter()
                        .filter(|(b, u)| **u > demand.get(*b).copied().unwrap_or(0))
                        .map(|(b, u)| BandExcess {
                            band: b.clone(),
                            demand: demand.get(b).copied().unwrap_or(0),
                            planned: *u,
                        })
                        .collect();
                    prop_assert!(!excess.is_empty());
                    prop_assert_eq!(excess, expected);
                }
            }
        }

        #[test]
        fn hs_a7_1_aggregate_preserves_the_total(
            units in prop::collection::vec((0usize..3, 1u32..1000), 0..20),
        ) {
            let keys = ["to_60", "60_90", "90_120"];
            let returns: Vec<SurveyReturn> = units
                .iter()
                .map(|(k, u)| ret("x", RespondentKind::Township, keys[*k], *u))
                .collect();
            let demand = aggregate_by_band(&returns);
            let total: u64 = units.iter().map(|(_, u)| u64::from(*u)).sum();
            prop_assert_eq!(demand.values().sum::<u64>(), total);
            prop_assert!(demand.keys().all(|k| keys.contains(&k.as_str())));
        }
    }
}
