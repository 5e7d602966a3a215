//! A developer's bid as a workbook (issue 4 intake): the 楼盘表 sheet in the unit-list format
//! and a 报价 sheet of facts (label, value). All or nothing; every problem with row and column.

use super::CellError;
use super::unit_list::{UNIT_LIST_HEADERS, cell_text, err, open_sheet, parse_unit_list};
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidFacts {
    pub price_per_m2: String,
    pub whole_building: bool,
    pub clear_title: bool,
    pub has_delivery_date: bool,
    /// Transit, school, hospital, shops (metres), amenities (count).
    pub numbers: [u32; 5],
}

pub fn parse_bid(bytes: &[u8]) -> Result<(Vec<UnitRow>, BidFacts), Vec<CellError>> {
    let mut errors = Vec::new();
    let units = match parse_unit_list(bytes) {
        Ok(u) => Some(u),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let (sheet, range) = open_sheet(bytes, "报价")?;
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
    let mut found: Vec<Option<(u32, String)>> = vec![None; FACTS.len()];
    for r in 0..range.height() as u32 {
        let label = range.get_value((r, 0)).and_then(cell_text);
        let value = range.get_value((r, 1)).and_then(cell_text);
        if let Some(i) = label
            .as_deref()
            .and_then(|l| FACTS.iter().position(|f| *f == l))
        {
            found[i] = Some((r + 1, value.unwrap_or_default()));
        }
    }
    let mut get = |i: usize| -> Option<(u32, String)> {
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
            Some((row, v)) if v.trim().is_empty() => {
                errors.push(err(
                    "报价",
                    Some(*row),
                    Some(1),
                    Some(FACTS[i]),
                    "required",
                    format!("{} is required", FACTS[i]),
                ));
                None
            }
            Some(x) => Some(x.clone()),
        }
    };
    let price = get(0);
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
            price_per_m2: price.expect("checked").1,
            whole_building: bools[0].expect("checked"),
            clear_title: bools[1].expect("checked"),
            has_delivery_date: bools[2].expect("checked"),
            numbers: [n(0), n(1), n(2), n(3), n(4)],
        },
    ))
}

/// An empty bid workbook: the 楼盘表 headers and the 报价 labels.
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
        wb.save_to_buffer()
    };
    build().expect("template writes")
}
