//! Reading an uploaded sheet cell by cell, never allocating from what the file declares. The zip
//! is checked first ([`super::guard`]); then calamine's streaming cell reader hands over one cell
//! at a time, and a cell outside the template's columns, or a row past the import's cap, stops the
//! read before anything is kept for it. Only the cells of the current row are held, as calamine's
//! borrowed values (a shared string is not copied until a parser keeps it).

use super::{CellError, column_letter, err};
use calamine::{DataRef, Reader, Xlsx};
use std::io::Cursor;

/// What a sheet of a template may hold: its columns (A … the last header) and the most data
/// rows below the header row.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub columns: u32,
    pub max_rows: u32,
}

/// One row of the sheet, as wide as the template.
pub struct Row<'a> {
    /// 0-based sheet row (0 is the header row).
    pub index: u32,
    pub cells: Vec<DataRef<'a>>,
    /// Columns whose cell holds a formula without a computed value (a file written by a program
    /// that never calculated it): bit `c` for column `c`.
    formula_without_value: u64,
}

impl<'a> Row<'a> {
    /// The row number as Excel shows it.
    pub fn excel_row(&self) -> u32 {
        self.index + 1
    }

    pub fn get(&self, c: usize) -> &DataRef<'a> {
        &self.cells[c]
    }

    /// Whether the cell at column `c` holds a formula that no program calculated.
    pub fn uncalculated(&self, c: usize) -> bool {
        c < 64 && self.formula_without_value & (1 << c) != 0
    }

    fn is_blank(&self) -> bool {
        self.formula_without_value == 0 && self.cells.iter().all(blank)
    }

    fn clear(&mut self, index: u32) {
        self.index = index;
        self.formula_without_value = 0;
        for c in &mut self.cells {
            *c = DataRef::Empty;
        }
    }
}

/// Empty, or a text of spaces only: nothing a person typed.
fn blank(c: &DataRef<'_>) -> bool {
    match c {
        DataRef::Empty => true,
        DataRef::String(s) => s.trim().is_empty(),
        DataRef::SharedString(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// The problem reported for a required cell left empty: a formula nobody calculated is named as
/// such, so the person knows to open and save the file in Excel rather than to type a value.
pub fn missing(sheet: &str, row: &Row<'_>, c: usize, header: &str, message: String) -> CellError {
    if row.uncalculated(c) {
        at(
            sheet,
            row.excel_row(),
            c as u32,
            Some(header),
            "formula_without_value",
            format!(
                "{header} holds a formula without a computed value: open the file in Excel (or WPS) and save it again, or paste the values"
            ),
        )
    } else {
        at(
            sheet,
            row.excel_row(),
            c as u32,
            Some(header),
            "required",
            message,
        )
    }
}

fn at(
    sheet: &str,
    row: u32,
    col: u32,
    header: Option<&str>,
    code: &str,
    message: String,
) -> CellError {
    err(sheet, Some(row), Some(col), header, code, message)
}

fn whole(sheet: Option<&str>, code: &str, message: String) -> Vec<CellError> {
    let mut e = err(sheet.unwrap_or_default(), None, None, None, code, message);
    e.sheet = sheet.map(str::to_string);
    vec![e]
}

fn norm_header(h: &str) -> String {
    h.trim()
        .replace('（', "(")
        .replace('）', ")")
        .replace('㎡', "m²")
        .replace("m2", "m²")
        .replace(' ', "")
}

fn header_matches(found: &str, expected: &str) -> bool {
    let f = norm_header(found);
    f == norm_header(expected) || expected.split('(').next().is_some_and(|base| f == base)
}

pub(crate) fn cell_text(c: &DataRef<'_>) -> Option<String> {
    match c {
        DataRef::Empty => None,
        DataRef::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        DataRef::SharedString(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        DataRef::Float(f) => Some(format!("{f}")),
        DataRef::Int(i) => Some(i.to_string()),
        DataRef::Bool(b) => Some(if *b { "是".into() } else { "否".into() }),
        DataRef::DateTime(d) => Some(d.to_string()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(s.clone()),
        DataRef::Error(e) => Some(format!("#{e:?}")),
    }
}

/// Every cell of a row as text (the import formats with few rows).
pub(crate) fn row_texts(row: &Row<'_>) -> Vec<Option<String>> {
    row.cells.iter().map(cell_text).collect()
}

/// Checks the header row against `expected`; returns problems for wrong or missing headers.
pub(crate) fn check_headers(sheet: &str, row: &Row<'_>, expected: &[&str]) -> Vec<CellError> {
    let mut out = Vec::new();
    for (i, exp) in expected.iter().enumerate() {
        match row.cells.get(i).and_then(cell_text) {
            None => out.push(err(
                sheet,
                Some(1),
                Some(i as u32),
                Some(exp),
                "missing_header",
                format!("header {exp:?} is missing"),
            )),
            Some(h) if !header_matches(&h, exp) => out.push(err(
                sheet,
                Some(1),
                Some(i as u32),
                Some(exp),
                "wrong_header",
                format!("expected header {exp:?}, found {h:?}"),
            )),
            Some(_) => {}
        }
    }
    out
}

/// Reads a template's sheet (`preferred`, else the first): its header row checked against
/// `headers`, then each row with something in it handed to `row` with the sheet's name and the
/// problems so far (`row` returns whether to read on). The sheet's name and the problems; an
/// unreadable sheet, or one beyond the shape, is the error.
pub fn read_table(
    book: &mut Book<'_>,
    preferred: &str,
    headers: &[&str],
    shape: Shape,
    mut row: impl FnMut(&str, &mut Row<'_>, &mut Vec<CellError>) -> bool,
) -> Result<(String, Vec<CellError>), Vec<CellError>> {
    let sheet = book.sheet_or_first(preferred)?;
    let mut errors = Vec::new();
    book.rows(&sheet, shape, |r| {
        if r.index == 0 {
            errors = check_headers(&sheet, r, headers);
            return errors.is_empty();
        }
        row(&sheet, r, &mut errors)
    })?;
    Ok((sheet, errors))
}

/// An uploaded workbook, checked and open.
pub struct Book<'b> {
    xlsx: Xlsx<Cursor<&'b [u8]>>,
}

impl<'b> Book<'b> {
    /// Checks the zip ([`super::guard::check`]), then opens it with calamine.
    pub fn open(bytes: &'b [u8]) -> Result<Self, Vec<CellError>> {
        super::guard::check(bytes)?;
        let xlsx = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
            whole(
                None,
                "not_xlsx",
                format!("the file is not an xlsx workbook: {e}"),
            )
        })?;
        Ok(Book { xlsx })
    }

    /// The sheet named `preferred`, else the first sheet.
    pub fn sheet_or_first(&self, preferred: &str) -> Result<String, Vec<CellError>> {
        let names = self.xlsx.sheet_names();
        names
            .iter()
            .find(|n| n.as_str() == preferred)
            .or_else(|| names.first())
            .cloned()
            .ok_or_else(|| whole(None, "not_xlsx", "the workbook has no sheet".into()))
    }

    /// The number of rows the sheet declares (its dimension), at most `cap`: a hint to size
    /// what an import keeps, never trusted beyond the cap.
    pub fn declared_rows(&mut self, sheet: &str, cap: u32) -> usize {
        self.xlsx
            .worksheet_cells_reader(sheet)
            .map(|r| r.dimensions().end.0.min(cap) as usize)
            .unwrap_or(0)
    }

    pub fn has_sheet(&self, name: &str) -> bool {
        self.xlsx.sheet_names().iter().any(|n| n == name)
    }

    /// Streams the sheet's rows in order to `on_row`: the header row (index 0) always, then each
    /// row holding anything. `on_row` returns `false` to stop early. A value outside `shape`'s
    /// columns, a row past its cap (declared or met), or rows out of order end the read with that
    /// one problem.
    pub fn rows(
        &mut self,
        sheet: &str,
        shape: Shape,
        mut on_row: impl FnMut(&mut Row<'_>) -> bool,
    ) -> Result<(), Vec<CellError>> {
        let unreadable = |e: calamine::XlsxError| {
            whole(
                Some(sheet),
                "not_xlsx",
                format!("sheet {sheet:?} cannot be read: {e}"),
            )
        };
        let mut cells = self
            .xlsx
            .worksheet_cells_reader(sheet)
            .map_err(unreadable)?;
        let too_many = |last_row: u32| {
            whole(
                Some(sheet),
                "too_many_rows",
                format!(
                    "the sheet reaches row {}; at most {} rows are accepted under the header",
                    u64::from(last_row) + 1,
                    shape.max_rows
                ),
            )
        };
        // The dimension the sheet declares is only a claim, but a true one saves the read.
        let declared = cells.dimensions();
        if declared.end.0 > shape.max_rows {
            return Err(too_many(declared.end.0));
        }
        let mut row = Row {
            index: 0,
            cells: vec![DataRef::Empty; shape.columns as usize],
            formula_without_value: 0,
        };
        let mut header_done = false;
        while let Some(cell) = cells
            .next_cell_with_formula_metadata()
            .map_err(unreadable)?
        {
            let (r, c) = cell.pos;
            let uncalculated = cell.formula.is_some() && cell.value == DataRef::Empty;
            if blank(&cell.value) && !uncalculated {
                continue;
            }
            if c >= shape.columns {
                return Err(vec![at(
                    sheet,
                    r.saturating_add(1),
                    c,
                    None,
                    "beyond_template",
                    format!(
                        "cell {}{} lies outside the template's columns A–{}; delete it or move it",
                        column_letter(c),
                        u64::from(r) + 1,
                        column_letter(shape.columns - 1)
                    ),
                )]);
            }
            if r > shape.max_rows {
                return Err(too_many(r));
            }
            if r != row.index {
                if r < row.index {
                    return Err(vec![at(
                        sheet,
                        r + 1,
                        c,
                        None,
                        "rows_out_of_order",
                        format!(
                            "row {} comes after row {} in the file; save it again from Excel",
                            r + 1,
                            row.index + 1
                        ),
                    )]);
                }
                if (row.index == 0 || !row.is_blank()) && !on_row(&mut row) {
                    return Ok(());
                }
                header_done = true;
                row.clear(r);
            }
            if uncalculated && c < 64 {
                row.formula_without_value |= 1 << c;
            }
            row.cells[c as usize] = cell.value;
        }
        if !header_done || !row.is_blank() {
            on_row(&mut row);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    fn shape(columns: u32, max_rows: u32) -> Shape {
        Shape { columns, max_rows }
    }

    fn read(bytes: &[u8], s: Shape) -> Result<Vec<(u32, Vec<String>)>, Vec<CellError>> {
        let mut book = Book::open(bytes)?;
        let name = book.sheet_or_first("x")?;
        let mut out = Vec::new();
        book.rows(&name, s, |row| {
            out.push((
                row.index,
                row.cells.iter().map(|c| format!("{c:?}")).collect(),
            ));
            true
        })?;
        Ok(out)
    }

    fn code(r: Result<Vec<(u32, Vec<String>)>, Vec<CellError>>) -> (String, Option<u32>) {
        match r {
            Ok(_) => ("ok".into(), None),
            Err(e) => (e[0].code.clone(), e[0].row),
        }
    }

    #[test]
    fn rows_come_in_order_with_the_header_first_and_blank_rows_skipped() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write(0, 0, "h").unwrap();
        ws.write(2, 1, 7).unwrap();
        ws.write(3, 0, "  ").unwrap();
        ws.write(5, 0, "x").unwrap();
        let got = read(&wb.save_to_buffer().unwrap(), shape(2, 10)).unwrap();
        let idx: Vec<u32> = got.iter().map(|r| r.0).collect();
        assert_eq!(idx, vec![0, 2, 5]);
        assert_eq!(got[1].1, vec!["Empty".to_string(), "Float(7.0)".into()]);
    }

    #[test]
    fn a_value_outside_the_columns_or_past_the_cap_stops_the_read() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write(0, 0, "h").unwrap();
        ws.write(1, 3, "far").unwrap();
        assert_eq!(
            code(read(&wb.save_to_buffer().unwrap(), shape(3, 10))),
            ("beyond_template".into(), Some(2))
        );
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write(0, 0, "h").unwrap();
        ws.write(11, 0, "x").unwrap();
        assert_eq!(
            code(read(&wb.save_to_buffer().unwrap(), shape(3, 10))),
            ("too_many_rows".into(), None)
        );
        assert_eq!(
            code(read(&wb.save_to_buffer().unwrap(), shape(3, 11))),
            ("ok".into(), None)
        );
    }

    /// A sheet without a `<dimension>` (so nothing declared to refuse early) is still stopped at
    /// the first row past the cap, having handed over only the rows before it.
    #[test]
    fn without_a_declared_dimension_the_cap_applies_as_rows_arrive() {
        let mut xml = String::from(
            r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for r in 1..=5000 {
            xml.push_str(&format!(
                r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>v</t></is></c></row>"#
            ));
        }
        xml.push_str("</sheetData></worksheet>");
        let book = super::super::test_book::with_sheet(&xml);
        let mut b = Book::open(&book).unwrap();
        let mut seen = 0;
        let e = b
            .rows("Sheet1", shape(1, 1000), |_| {
                seen += 1;
                true
            })
            .unwrap_err();
        assert_eq!(e[0].code, "too_many_rows");
        assert_eq!(seen, 1000, "the header and 999 rows, never row 1002");
    }

    #[test]
    fn a_formula_without_a_value_is_told_apart_from_an_empty_cell() {
        let xml = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row><row r="2"><c r="A2"><f>B2*2</f></c><c r="B2"><f>1+1</f><v>2</v></c></row></sheetData></worksheet>"#;
        let book = super::super::test_book::with_sheet(xml);
        let mut b = Book::open(&book).unwrap();
        let mut flags = Vec::new();
        b.rows("Sheet1", shape(2, 10), |row| {
            flags.push((row.index, row.uncalculated(0), row.uncalculated(1)));
            true
        })
        .unwrap();
        assert_eq!(flags, vec![(0, false, false), (1, true, false)]);
    }
}
