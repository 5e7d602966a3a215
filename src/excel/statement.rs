//! Bank statements (HS-F7) as xlsx or csv: template and all-or-nothing import. Columns:
//! 交易日期 (date), 金额 (signed: money in positive, out negative), 参考号 (reference), 摘要 (memo).

use super::reader::{Book, Shape, missing, read_table, row_texts};
use super::{CellError, err};
use crate::domain::units::{Yuan, parse_decimal};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};

pub const STATEMENT_HEADERS: [&str; 4] = ["交易日期", "金额", "参考号", "摘要"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    pub row: u32,
    pub date: NaiveDate,
    pub amount_fen: i64,
    pub reference: String,
    pub memo: String,
}

fn parse_date(raw: &str) -> Option<NaiveDate> {
    let t = raw.trim();
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d);
        }
    }
    // An Excel date cell read as text: "2026-11-02 00:00:00".
    t.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn rows_to_statement(
    sheet: &str,
    rows: Vec<(u32, Vec<Option<String>>)>,
) -> Result<Vec<StatementRow>, Vec<CellError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (row, t) in rows {
        if t.iter().all(Option::is_none) {
            continue;
        }
        let e = |c: u32, code: &str, m: String| {
            err(
                sheet,
                Some(row),
                Some(c),
                Some(STATEMENT_HEADERS[c as usize]),
                code,
                m,
            )
        };
        let date = match t[0].as_deref() {
            None => {
                errors.push(e(0, "required", "交易日期 is required".into()));
                None
            }
            Some(raw) => parse_date(raw).or_else(|| {
                errors.push(e(
                    0,
                    "not_a_date",
                    format!("not a date: {raw:?} (write 2026-11-02)"),
                ));
                None
            }),
        };
        let amount = match t[1].as_deref() {
            None => {
                errors.push(e(1, "required", "金额 is required".into()));
                None
            }
            Some(raw) => match parse_decimal("金额", raw)
                .and_then(|d| Yuan::parse_fen_exact("金额", &d.to_string()))
                .and_then(|y| y.to_fen())
            {
                Ok(0) => {
                    errors.push(e(
                        1,
                        "zero_amount",
                        "an amount of zero records nothing".into(),
                    ));
                    None
                }
                Ok(f) => Some(f),
                Err(x) => {
                    errors.push(e(1, "not_a_number", x.to_string()));
                    None
                }
            },
        };
        if let (Some(date), Some(amount_fen)) = (date, amount) {
            out.push(StatementRow {
                row,
                date,
                amount_fen,
                reference: t[2].clone().unwrap_or_default(),
                memo: t.get(3).cloned().flatten().unwrap_or_default(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if out.is_empty() {
        return Err(vec![err(
            sheet,
            None,
            None,
            None,
            "empty_sheet",
            "the statement has no lines under the header".into(),
        )]);
    }
    Ok(out)
}

/// Reads a statement: xlsx (sheet 流水 or the first) or, when the bytes are not a zip, csv.
pub fn parse_statement(bytes: &[u8]) -> Result<Vec<StatementRow>, Vec<CellError>> {
    if bytes.starts_with(b"PK") {
        return parse_xlsx_statement(bytes);
    }
    // Chinese banks export csv in GBK; GB18030 decodes GBK and the rest of Unicode. A file that
    // is neither valid UTF-8 nor valid GB18030 is refused rather than read with replacements.
    let text: std::borrow::Cow<'_, str> = match std::str::from_utf8(bytes) {
        Ok(t) => t.into(),
        Err(_) => {
            let (t, bad) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if bad {
                return Err(vec![CellError {
                    sheet: None,
                    row: None,
                    column: None,
                    header: None,
                    code: "not_a_statement".into(),
                    message: "the file is neither an xlsx workbook nor csv in UTF-8 or GBK/GB18030"
                        .into(),
                }]);
            }
            t
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let sheet = "csv";
    let headers = rdr
        .headers()
        .map_err(|e| vec![err(sheet, Some(1), None, None, "bad_csv", e.to_string())])?
        .clone();
    let mut herr = Vec::new();
    for (i, h) in STATEMENT_HEADERS[..3].iter().enumerate() {
        if headers.get(i).map(str::trim) != Some(*h) {
            herr.push(err(
                sheet,
                Some(1),
                Some(i as u32),
                Some(h),
                "wrong_header",
                format!(
                    "expected header {h:?}, found {:?}",
                    headers.get(i).unwrap_or("")
                ),
            ));
        }
    }
    if !herr.is_empty() {
        return Err(herr);
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u32 + 2;
        let rec =
            rec.map_err(|e| vec![err(sheet, Some(row), None, None, "bad_csv", e.to_string())])?;
        rows.push((
            row,
            (0..4)
                .map(|c| {
                    rec.get(c)
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                })
                .collect(),
        ));
    }
    rows_to_statement(sheet, rows)
}

/// Most lines a statement may hold (a year of a busy account).
pub const MAX_ROWS: u32 = 100_000;

fn parse_xlsx_statement(bytes: &[u8]) -> Result<Vec<StatementRow>, Vec<CellError>> {
    let mut book = Book::open(bytes)?;
    let mut rows = Vec::new();
    let shape = Shape {
        columns: STATEMENT_HEADERS.len() as u32,
        max_rows: MAX_ROWS,
    };
    let (sheet, errors) = read_table(
        &mut book,
        "流水",
        &STATEMENT_HEADERS[..3],
        shape,
        |s, row, errors| {
            // A formula nobody calculated is reported here; the line's other checks follow.
            for c in 0..2 {
                if row.uncalculated(c) {
                    errors.push(missing(s, row, c, STATEMENT_HEADERS[c], String::new()));
                }
            }
            rows.push((row.excel_row(), row_texts(row)));
            true
        },
    )?;
    if !errors.is_empty() {
        return Err(errors);
    }
    rows_to_statement(&sheet, rows)
}

pub fn statement_template() -> Vec<u8> {
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("流水")?;
        let bold = Format::new().set_bold();
        for (i, h) in STATEMENT_HEADERS.iter().enumerate() {
            ws.write_with_format(0, i as u16, *h, &bold)?;
            ws.set_column_width(i as u16, 18)?;
        }
        ws.write(
            1,
            0,
            "（金额：收入为正，支出为负；参考号填银行流水号或记账键）",
        )?;
        ws.set_freeze_panes(1, 0)?;
        wb.save_to_buffer()
    };
    build().expect("template writes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs_f7_csv_statement_is_refused_row_by_row_with_nothing_kept() {
        let ok = "交易日期,金额,参考号,摘要\n2026-11-02,\"50,000,000.00\",bond-1,专项债到账\n2026/11/04,-1484868,pay-1,\n";
        let rows = parse_statement(ok.as_bytes()).unwrap();
        assert_eq!(rows[0].amount_fen, 5_000_000_000);
        assert_eq!(rows[1].date, "2026-11-04".parse::<NaiveDate>().unwrap());
        let bad = "交易日期,金额,参考号\n2026-11-02,一百元,x\n2026-13-40,5,y\n";
        let e = parse_statement(bad.as_bytes()).unwrap_err();
        let at: Vec<(Option<u32>, Option<String>, String)> = e
            .iter()
            .map(|x| (x.row, x.column.clone(), x.code.clone()))
            .collect();
        assert_eq!(
            at,
            vec![
                (Some(2), Some("B".into()), "not_a_number".into()),
                (Some(3), Some("A".into()), "not_a_date".into())
            ]
        );
    }

    /// The csv export of a Chinese bank is GBK: read as such, with the same checks.
    #[test]
    fn hs_f7_a_gbk_csv_statement_is_read() {
        let csv = "交易日期,金额,参考号,摘要\n2026-11-02,50000000.00,bond-1,专项债到账\n";
        let (gbk, _, bad) = encoding_rs::GBK.encode(csv);
        assert!(!bad);
        assert!(
            std::str::from_utf8(&gbk).is_err(),
            "the test file is not UTF-8"
        );
        let rows = parse_statement(&gbk).unwrap();
        assert_eq!(rows[0].amount_fen, 5_000_000_000);
        assert_eq!(rows[0].memo, "专项债到账");
        let e = parse_statement(&[0x81, 0x20, 0xff, 0xfe]).unwrap_err();
        assert_eq!(e[0].code, "not_a_statement");
    }
}
