//! Demand survey returns (HS-A7.1) as a workbook: template and all-or-nothing import.

use super::reader::{Book, Row, Shape, missing, read_table, row_texts};
use super::{CellError, err};
use crate::domain::survey::{DemandBand, RespondentKind, SurveyReturn};
use rust_xlsxwriter::{Format, Workbook};

pub const SURVEY_HEADERS: [&str; 6] = [
    "填报单位",
    "单位类型",
    "家庭类型",
    "户型面积段",
    "需求套数",
    "意向位置",
];

/// Most returns a survey sheet may hold (a county has a few dozen respondents).
pub const MAX_ROWS: u32 = 10_000;

/// Parses survey returns; bands may be given by key or label.
pub fn parse_survey_returns(
    bytes: &[u8],
    bands: &[DemandBand],
) -> Result<Vec<SurveyReturn>, Vec<CellError>> {
    let mut book = Book::open(bytes)?;
    let mut out = Vec::new();
    let shape = Shape {
        columns: SURVEY_HEADERS.len() as u32,
        max_rows: MAX_ROWS,
    };
    let (sheet, errors) = read_table(
        &mut book,
        "需求摸底",
        &SURVEY_HEADERS,
        shape,
        |s, row, errors| {
            out.extend(survey_row(s, row, bands, errors));
            true
        },
    )?;
    let s = sheet.as_str();
    if !errors.is_empty() {
        return Err(errors);
    }
    if out.is_empty() {
        return Err(vec![err(
            s,
            None,
            None,
            None,
            "empty_sheet",
            "the sheet has no returns under the header".into(),
        )]);
    }
    Ok(out)
}

/// One return, or its problems added to `errors`.
fn survey_row(
    s: &str,
    row: &Row<'_>,
    bands: &[DemandBand],
    errors: &mut Vec<CellError>,
) -> Option<SurveyReturn> {
    let t = row_texts(row);
    let e = |c: u32, code: &str, m: String| {
        err(
            s,
            Some(row.excel_row()),
            Some(c),
            Some(SURVEY_HEADERS[c as usize]),
            code,
            m,
        )
    };
    let before = errors.len();
    for c in [0usize, 1, 3, 4] {
        if t[c].is_none() {
            errors.push(missing(
                s,
                row,
                c,
                SURVEY_HEADERS[c],
                format!("{} is required", SURVEY_HEADERS[c]),
            ));
        }
    }
    let kind = t[1].as_deref().and_then(RespondentKind::from_label);
    if t[1].is_some() && kind.is_none() {
        errors.push(e(
            1,
            "unknown_respondent_kind",
            format!(
                "write 乡镇, 开发区 or 县直单位, got {:?}",
                t[1].clone().unwrap_or_default()
            ),
        ));
    }
    let band = t[3]
        .as_deref()
        .and_then(|b| bands.iter().find(|x| x.key == b || x.label == b));
    if t[3].is_some() && band.is_none() {
        errors.push(e(
            3,
            "unknown_band",
            format!(
                "unknown band {:?}; use one of {}",
                t[3].clone().unwrap_or_default(),
                bands
                    .iter()
                    .map(|b| b.label.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        ));
    }
    let units = t[4]
        .as_deref()
        .and_then(|u| u.parse::<u32>().ok())
        .filter(|u| *u > 0);
    if t[4].is_some() && units.is_none() {
        errors.push(e(
            4,
            "not_a_positive_integer",
            format!(
                "需求套数 must be a whole number above zero, got {:?}",
                t[4].clone().unwrap_or_default()
            ),
        ));
    }
    if errors.len() != before {
        return None;
    }
    Some(SurveyReturn {
        respondent: t[0].clone().unwrap_or_default(),
        respondent_kind: kind?,
        household_type: t[2].clone().unwrap_or_default(),
        band: band?.key.clone(),
        units: units?,
        location: t[5].clone().unwrap_or_default(),
    })
}

/// A survey form with the pack's bands listed on a second sheet.
pub fn survey_template(bands: &[DemandBand]) -> Vec<u8> {
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("需求摸底")?;
        let bold = Format::new().set_bold();
        for (i, h) in SURVEY_HEADERS.iter().enumerate() {
            ws.write_with_format(0, i as u16, *h, &bold)?;
            ws.set_column_width(i as u16, 16)?;
        }
        ws.set_freeze_panes(1, 0)?;
        let help = wb.add_worksheet().set_name("面积段")?;
        help.write_with_format(0, 0, "户型面积段（填名称或代码）", &bold)?;
        help.write_with_format(0, 1, "代码", &bold)?;
        for (i, b) in bands.iter().enumerate() {
            help.write(i as u32 + 1, 0, &b.label)?;
            help.write(i as u32 + 1, 1, &b.key)?;
        }
        help.write(
            bands.len() as u32 + 2,
            0,
            "单位类型：乡镇 / 开发区 / 县直单位",
        )?;
        wb.save_to_buffer()
    };
    build().expect("survey template writes")
}
