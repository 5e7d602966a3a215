//! A developer's bid as a workbook (issue 4 intake): the 楼盘表 sheet in the unit-list format,
//! a 报价 sheet of facts (label, value) and, for a developer pricing by the unit (一房一价), a
//! 分户报价 sheet with each unit's price. All or nothing; every problem with row and column.

use super::reader::{Book, Shape, cell_text, check_headers, missing, row_texts};
use super::unit_list::{UNIT_LIST_HEADERS, parse_units_in};
use super::{CellError, err};
use crate::domain::unit_list::UnitRow;
use rust_xlsxwriter::{Format, Workbook};

/// The facts a bid states, by the label in column A of the 报价 sheet.
pub const FACTS: [&str; 9] = [
    "报价(元/m²)",
    "整栋或整单元(是/否)",
    "产权清晰(是/否)",
    "有交付日期(是/否)",
    "距公交站(米)",
    "距学校(米)",
    "距医院(米)",
    "距商业(米)",
    "配套设施(项)",
];

/// Facts a bid may state (rows below the required ones; empty or absent means not stated).
pub const OPTIONAL_FACTS: [&str; 3] = ["交付日期(年-月-日)", "建设状态(已建成/在建)", "装修"];

/// The optional sheet of a bid priced by the unit: one row per unit of the 楼盘表, found by
/// building, stair-unit and room. Left empty (headers only), the bid prices per m² on 报价.
pub const UNIT_PRICE_SHEET: &str = "分户报价";
pub const UNIT_PRICE_HEADERS: [&str; 4] = ["楼栋", "单元", "房号", "总价(元)"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidFacts {
    /// 报价(元/m²), absent when the bid prices by the unit.
    pub price_per_m2: Option<String>,
    /// 分户报价: each unit's price in yuan, in the order of the 楼盘表's units.
    pub unit_prices: Option<Vec<String>>,
    pub whole_building: bool,
    pub clear_title: bool,
    pub has_delivery_date: bool,
    /// Transit, school, hospital, shops (metres), amenities (count).
    pub numbers: [u32; 5],
    pub delivery_date: Option<chrono::NaiveDate>,
    pub construction_state: Option<crate::domain::review::ConstructionState>,
    pub decoration: Option<String>,
}

/// Most rows of the 报价 sheet (its twelve labels, with room for blank lines between them).
pub const FACT_ROWS: u32 = 100;

/// The 报价 sheet's labelled rows: for each required fact and each optional one, its row and
/// value, and whether that value is a formula nobody calculated.
type Labelled = Vec<Option<(u32, String, bool)>>;

fn read_facts(book: &mut Book<'_>) -> Result<(Labelled, Labelled), Vec<CellError>> {
    let mut found: Labelled = vec![None; FACTS.len()];
    let mut optional: Labelled = vec![None; OPTIONAL_FACTS.len()];
    let shape = Shape {
        columns: 2,
        max_rows: FACT_ROWS,
    };
    book.rows("报价", shape, |row| {
        let label = cell_text(row.get(0));
        let value = cell_text(row.get(1));
        let uncalculated = row.uncalculated(1);
        if let Some(i) = label
            .as_deref()
            .and_then(|l| FACTS.iter().position(|f| *f == l))
        {
            found[i] = Some((row.excel_row(), value.unwrap_or_default(), uncalculated));
        } else if let Some(i) = label
            .as_deref()
            .and_then(|l| OPTIONAL_FACTS.iter().position(|f| *f == l))
        {
            // A date cell holds an Excel serial day (1900 system: day 1 is 1900-01-01, counted
            // from 1899-12-30 for every date after February 1900).
            let value = match row.get(1) {
                calamine::DataRef::DateTime(dt) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                    .and_then(|d| {
                        d.checked_add_signed(chrono::Duration::days(dt.as_f64().floor() as i64))
                    })
                    .map(|d| d.to_string()),
                _ => value,
            };
            optional[i] = value.map(|v| (row.excel_row(), v, false));
        }
        true
    })?;
    Ok((found, optional))
}

/// The optional facts: delivery date (a date cell reads as its date and time; a text cell as
/// written), construction state and decoration; a wrong one is a problem in `errors`.
fn optional_facts(
    optional: &Labelled,
    errors: &mut Vec<CellError>,
) -> (
    Option<chrono::NaiveDate>,
    Option<crate::domain::review::ConstructionState>,
    Option<String>,
) {
    let delivery_date = optional[0].as_ref().and_then(|(row, v, _)| {
        let d = chrono::NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d").ok();
        if d.is_none() {
            errors.push(err(
                "报价",
                Some(*row),
                Some(1),
                Some(OPTIONAL_FACTS[0]),
                "not_a_date",
                format!("write the date as 2027-06-30, got {v:?}"),
            ));
        }
        d
    });
    let construction_state = optional[1].as_ref().and_then(|(row, v, _)| {
        use crate::domain::review::ConstructionState as S;
        match v.trim() {
            "已建成" => Some(S::Completed),
            "在建" => Some(S::UnderConstruction),
            other => {
                errors.push(err(
                    "报价",
                    Some(*row),
                    Some(1),
                    Some(OPTIONAL_FACTS[1]),
                    "not_a_state",
                    format!("write 已建成 or 在建, got {other:?}"),
                ));
                None
            }
        }
    });
    let decoration = optional[2].as_ref().map(|(_, v, _)| v.clone());
    (delivery_date, construction_state, decoration)
}

/// The `i`th required fact's row and value, or its problem in `errors` (missing, empty, or a
/// formula nobody calculated).
fn required_fact(found: &Labelled, i: usize, errors: &mut Vec<CellError>) -> Option<(u32, String)> {
    match &found[i] {
        None => {
            errors.push(err(
                "报价",
                None,
                Some(0),
                Some(FACTS[i]),
                "missing_fact",
                format!("row {:?} is missing", FACTS[i]),
            ));
            None
        }
        Some((row, v, uncalculated)) if v.trim().is_empty() => {
            let (code, message) = if *uncalculated {
                (
                    "formula_without_value",
                    format!(
                        "{} holds a formula without a computed value: open the file in Excel (or WPS) and save it again, or paste the values",
                        FACTS[i]
                    ),
                )
            } else {
                ("required", format!("{} is required", FACTS[i]))
            };
            errors.push(err(
                "报价",
                Some(*row),
                Some(1),
                Some(FACTS[i]),
                code,
                message,
            ));
            None
        }
        Some((row, v, _)) => Some((*row, v.clone())),
    }
}

pub fn parse_bid(bytes: &[u8]) -> Result<(Vec<UnitRow>, BidFacts), Vec<CellError>> {
    let mut book = Book::open(bytes)?;
    let mut errors = Vec::new();
    let units = match parse_units_in(&mut book) {
        Ok(u) => Some(u),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let sheet = book.sheet_or_first("报价")?;
    if sheet != "报价" {
        errors.push(err(
            &sheet,
            None,
            None,
            None,
            "missing_sheet",
            "the workbook has no sheet 报价 with the bid's facts".into(),
        ));
        return Err(errors);
    }
    let (found, optional) = match read_facts(&mut book) {
        Ok(x) => x,
        Err(e) => {
            errors.extend(e);
            return Err(errors);
        }
    };
    let (delivery_date, construction_state, decoration) = optional_facts(&optional, &mut errors);
    let unit_prices = match &units {
        Some(u) => parse_unit_prices(&mut book, u, &mut errors),
        None => None,
    };
    if unit_prices.is_some()
        && let Some((row, v, _)) = &found[0]
        && !v.trim().is_empty()
    {
        errors.push(err(
            "报价",
            Some(*row),
            Some(1),
            Some(FACTS[0]),
            "priced_twice",
            format!(
                "the bid prices each unit on sheet {UNIT_PRICE_SHEET}: leave {} empty",
                FACTS[0]
            ),
        ));
    }
    let mut get = |i: usize| required_fact(&found, i, &mut errors);
    let price = if unit_prices.is_some() { None } else { get(0) };
    let yes_no =
        |x: Option<(u32, String)>, i: usize, errors: &mut Vec<CellError>| -> Option<bool> {
            let (row, v) = x?;
            match v.trim() {
                "是" => Some(true),
                "否" => Some(false),
                other => {
                    errors.push(err(
                        "报价",
                        Some(row),
                        Some(1),
                        Some(FACTS[i]),
                        "not_yes_no",
                        format!("write 是 or 否, got {other:?}"),
                    ));
                    None
                }
            }
        };
    let flags: Vec<Option<(u32, String)>> = (1..4).map(&mut get).collect();
    let numbers: Vec<Option<(u32, String)>> = (4..9).map(&mut get).collect();
    let mut bools = Vec::new();
    for (k, x) in flags.into_iter().enumerate() {
        bools.push(yes_no(x, k + 1, &mut errors));
    }
    let mut nums = Vec::new();
    for (k, x) in numbers.into_iter().enumerate() {
        nums.push(x.and_then(|(row, v)| {
            // Excel writes whole numbers as "400" or "400.0"; fractions are refused.
            let t = v.trim().trim_end_matches(".0");
            t.parse::<u32>().ok().or_else(|| {
                errors.push(err(
                    "报价",
                    Some(row),
                    Some(1),
                    Some(FACTS[k + 4]),
                    "not_a_whole_number",
                    format!(
                        "a whole number of {} is expected, got {v:?}",
                        if k == 4 { "items" } else { "metres" }
                    ),
                ));
                None
            })
        }));
    }
    if let Some((row, p)) = &price {
        if crate::domain::units::parse_decimal("报价", p).is_err() {
            errors.push(err(
                "报价",
                Some(*row),
                Some(1),
                Some(FACTS[0]),
                "not_a_number",
                format!("not a number: {p:?}"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let n = |i: usize| nums[i].expect("checked");
    Ok((
        units.expect("checked"),
        BidFacts {
            price_per_m2: price.map(|p| p.1),
            unit_prices,
            whole_building: bools[0].expect("checked"),
            clear_title: bools[1].expect("checked"),
            has_delivery_date: bools[2].expect("checked"),
            numbers: [n(0), n(1), n(2), n(3), n(4)],
            delivery_date,
            construction_state,
            decoration,
        },
    ))
}

/// The 分户报价 sheet: `None` when absent or without a price row; otherwise one price per unit
/// of `units`, in their order, or problems in `errors` (a unit without a price, a row naming no
/// unit or one named twice, a price that is not an amount in yuan and fen above zero).
fn parse_unit_prices(
    book: &mut Book<'_>,
    units: &[UnitRow],
    errors: &mut Vec<CellError>,
) -> Option<Vec<String>> {
    if !book.has_sheet(UNIT_PRICE_SHEET) {
        return None;
    }
    let shape = Shape {
        columns: UNIT_PRICE_HEADERS.len() as u32,
        max_rows: super::unit_list::MAX_ROWS as u32,
    };
    let mut header = Vec::new();
    // Each priced row's number and cells (building, stair-unit, room, price).
    let mut rows: Vec<(u32, Vec<Option<String>>)> = Vec::new();
    let read = book.rows(UNIT_PRICE_SHEET, shape, |row| {
        if row.index == 0 {
            header = check_headers(UNIT_PRICE_SHEET, row, &UNIT_PRICE_HEADERS);
        } else {
            if row.uncalculated(3) {
                header.push(missing(
                    UNIT_PRICE_SHEET,
                    row,
                    3,
                    UNIT_PRICE_HEADERS[3],
                    String::new(),
                ));
            }
            rows.push((row.excel_row(), row_texts(row)));
        }
        true
    });
    if let Err(e) = read {
        errors.extend(e);
        return Some(Vec::new());
    }
    if rows.is_empty() {
        return None;
    }
    if !header.is_empty() {
        errors.extend(header);
        return Some(Vec::new());
    }
    let before = errors.len();
    let index: std::collections::HashMap<(&str, &str, &str), usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            (
                (u.building.as_str(), u.stair_unit.as_str(), u.room.as_str()),
                i,
            )
        })
        .collect();
    let mut prices: Vec<Option<String>> = vec![None; units.len()];
    for (r, cells) in rows {
        let text = |c: usize| cells[c].clone();
        let key: Vec<String> = (0..3).map(|c| text(c).unwrap_or_default()).collect();
        let Some(&i) = index.get(&(key[0].as_str(), key[1].as_str(), key[2].as_str())) else {
            errors.push(err(
                UNIT_PRICE_SHEET,
                Some(r),
                Some(2),
                Some(UNIT_PRICE_HEADERS[2]),
                "unknown_room",
                format!(
                    "{}-{}-{} is not a unit of sheet 楼盘表",
                    key[0], key[1], key[2]
                ),
            ));
            continue;
        };
        if prices[i].is_some() {
            errors.push(err(
                UNIT_PRICE_SHEET,
                Some(r),
                Some(2),
                Some(UNIT_PRICE_HEADERS[2]),
                "duplicate_room",
                format!("{}-{}-{} is priced twice", key[0], key[1], key[2]),
            ));
            continue;
        }
        let price = text(3).unwrap_or_default();
        let ok = crate::domain::units::parse_decimal("总价", &price)
            .is_ok_and(|d| d > rust_decimal::Decimal::ZERO && d.normalize().scale() <= 2);
        if !ok {
            errors.push(err(
                UNIT_PRICE_SHEET,
                Some(r),
                Some(3),
                Some(UNIT_PRICE_HEADERS[3]),
                "not_a_price",
                format!(
                    "a price in yuan above zero, at most two decimals, is expected, got {price:?}"
                ),
            ));
            continue;
        }
        prices[i] = Some(price);
    }
    for (u, p) in units.iter().zip(&prices) {
        if p.is_none() {
            errors.push(err(
                UNIT_PRICE_SHEET,
                None,
                None,
                None,
                "missing_price",
                format!(
                    "unit {}-{}-{} of sheet 楼盘表 has no price",
                    u.building, u.stair_unit, u.room
                ),
            ));
        }
    }
    if errors.len() > before {
        return Some(Vec::new());
    }
    Some(prices.into_iter().map(|p| p.expect("checked")).collect())
}

/// An empty bid workbook: the 楼盘表 headers, the 报价 labels and the 分户报价 headers.
pub fn bid_template() -> Vec<u8> {
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let ws = wb.add_worksheet().set_name("楼盘表")?;
        for (i, h) in UNIT_LIST_HEADERS.iter().enumerate() {
            ws.write_with_format(0, i as u16, *h, &bold)?;
            ws.set_column_width(i as u16, 14)?;
        }
        ws.set_freeze_panes(1, 0)?;
        let ws = wb.add_worksheet().set_name("报价")?;
        ws.set_column_width(0, 24)?;
        ws.set_column_width(1, 16)?;
        for (i, f) in FACTS.iter().enumerate() {
            ws.write_with_format(i as u32, 0, *f, &bold)?;
        }
        for (i, f) in OPTIONAL_FACTS.iter().enumerate() {
            ws.write((FACTS.len() + i) as u32, 0, *f)?;
        }
        let ws = wb.add_worksheet().set_name(UNIT_PRICE_SHEET)?;
        for (i, h) in UNIT_PRICE_HEADERS.iter().enumerate() {
            ws.write_with_format(0, i as u16, *h, &bold)?;
            ws.set_column_width(i as u16, 14)?;
        }
        wb.save_to_buffer()
    };
    build().expect("template writes")
}
