//! Excel in and out: calamine reads what users upload, rust_xlsxwriter writes templates and
//! reports. Every import is all-or-nothing and reports each problem with its row and column.
//!
//! Architecture invariant: only `excel/` imports calamine or rust_xlsxwriter.

pub mod bid;
pub mod comparison;
pub mod guard;
pub mod households;
pub mod ledger_report;
pub mod reader;
pub mod schedule;
pub mod statement;
pub mod survey;
pub mod unit_list;

use serde::Serialize;

/// One problem found in an uploaded workbook, pointing at the cell a person must fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CellError {
    /// Sheet name, when the problem is inside a sheet.
    pub sheet: Option<String>,
    /// 1-based row number as Excel shows it; `None` for a whole-file problem.
    pub row: Option<u32>,
    /// Column letter as Excel shows it ("A", "B", …); `None` for a whole-row or whole-file problem.
    pub column: Option<String>,
    /// The expected header of that column, when known (e.g. "建筑面积(m²)").
    pub header: Option<String>,
    /// Stable machine code, e.g. `not_a_number`, `missing_header`, `duplicate_room`.
    pub code: String,
    /// Human message (Chinese or English), lowercase English style without a final period.
    pub message: String,
}

/// A problem at a place of a sheet (a row, a column, both, or neither).
pub(crate) fn err(
    sheet: &str,
    row: Option<u32>,
    col: Option<u32>,
    header: Option<&str>,
    code: &str,
    message: String,
) -> CellError {
    CellError {
        sheet: Some(sheet.to_string()),
        row,
        column: col.map(column_letter),
        header: header.map(str::to_string),
        code: code.into(),
        message,
    }
}

/// Column index (0-based) to Excel letters: 0 → "A", 25 → "Z", 26 → "AA".
pub fn column_letter(mut index: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// A minimal workbook around a hand-written sheet (tests of what Excel never writes).
#[cfg(test)]
pub(crate) mod test_book {
    use std::io::{Cursor, Write};

    pub fn with_sheet(sheet_xml: &str) -> Vec<u8> {
        let parts: [(&str, &str); 5] = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            ("xl/worksheets/sheet1.xml", sheet_xml),
        ];
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            w.start_file(name, opts).unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::column_letter;
    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
