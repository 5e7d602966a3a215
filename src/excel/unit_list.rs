//! The unit list (楼盘表) workbook: template, import (all-or-nothing, every problem with its row
//! and column) and export.
//!
//! Numbers: Excel stores numbers as IEEE-754 doubles. A number cell becomes a `Decimal` through
//! the shortest decimal string that reads back as the same double (`Display` for `f64`), so 89.37
//! typed in Excel is exactly 89.37; no arithmetic is ever done in `f64`.

use super::reader::{Book, Row, Shape, cell_text, missing, read_table};
use super::{CellError, err};
use crate::domain::unit_list::UnitRow;
use crate::domain::units::{AreaM2, parse_decimal};
use calamine::DataRef;
use rust_xlsxwriter::{Format, Workbook};

/// Headers in column order.
pub const UNIT_LIST_HEADERS: [&str; 10] = [
    "楼栋",
    "单元",
    "楼层",
    "房号",
    "户型",
    "建筑面积(m²)",
    "套内面积(m²)",
    "朝向",
    "是否抵押",
    "是否查封",
];

/// Most rows a unit list may have.
pub const MAX_ROWS: usize = 200_000;

fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_uppercase().as_str() {
        "是" | "Y" | "YES" | "TRUE" | "1" => Some(true),
        "否" | "N" | "NO" | "FALSE" | "0" => Some(false),
        _ => None,
    }
}

/// A positive area typed with at most two decimals, read from a number cell without a detour
/// through text: `f` is that number exactly when it is the double nearest to hundredths `h`.
/// The result equals what the text path gives for the same cell (shortest form, normalised).
fn area_of(c: &DataRef<'_>) -> Option<AreaM2> {
    let f = match c {
        DataRef::Float(f) => *f,
        DataRef::Int(i) => *i as f64,
        _ => return None,
    };
    if !(f > 0.0 && f < 1e12) {
        return None;
    }
    let h = (f * 100.0).round();
    if h / 100.0 != f {
        return None;
    }
    AreaM2::new("area", rust_decimal::Decimal::new(h as i64, 2).normalize()).ok()
}

/// A cell's text, moving an inline string out of the row instead of copying it (each cell is
/// read once); a shared string is copied once, here.
fn take_text(row: &mut Row<'_>, c: usize) -> Option<String> {
    match &mut row.cells[c] {
        DataRef::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                None
            } else if t.len() == s.len() {
                Some(std::mem::take(s))
            } else {
                Some(t.to_string())
            }
        }
        other => cell_text(other),
    }
}

/// A whole floor number from a number cell.
fn floor_of(c: &DataRef<'_>) -> Option<i32> {
    match c {
        DataRef::Int(i) => i32::try_from(*i).ok(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e6 => Some(*f as i32),
        _ => None,
    }
}

/// 是/否 (or a boolean cell) without allocating.
fn flag_of(c: &DataRef<'_>) -> Option<bool> {
    let s = match c {
        DataRef::Bool(b) => return Some(*b),
        DataRef::String(s) => s.as_str(),
        DataRef::SharedString(s) => s,
        _ => return None,
    };
    match s.trim() {
        "是" => Some(true),
        "否" => Some(false),
        _ => None,
    }
}

fn empty_sheet(sheet: &str) -> Vec<CellError> {
    vec![err(
        sheet,
        None,
        None,
        None,
        "empty_sheet",
        "the sheet has no unit rows under the header".into(),
    )]
}

/// Parses a unit list. Nothing is returned unless the whole sheet is clean.
pub fn parse_unit_list(bytes: &[u8]) -> Result<Vec<UnitRow>, Vec<CellError>> {
    parse_units_in(&mut Book::open(bytes)?)
}

/// The unit list of an open workbook (sheet 楼盘表, or the first).
pub(crate) fn parse_units_in(book: &mut Book<'_>) -> Result<Vec<UnitRow>, Vec<CellError>> {
    let preferred = book.sheet_or_first("楼盘表")?;
    let hint = book.declared_rows(&preferred, MAX_ROWS as u32);
    let mut rows = Vec::with_capacity(hint);
    let mut rooms = Rooms::with_capacity(hint);
    let shape = Shape {
        columns: UNIT_LIST_HEADERS.len() as u32,
        max_rows: MAX_ROWS as u32,
    };
    let (sheet, mut errors) = read_table(
        book,
        "楼盘表",
        &UNIT_LIST_HEADERS,
        shape,
        |s, row, errors| {
            let at = row.excel_row();
            match unit_row(s, row, errors) {
                Ok(u) => {
                    rooms.kept(&u, rows.len(), at);
                    rows.push(u);
                }
                Err(Some(key)) => rooms.refused(key, at),
                Err(None) => {}
            }
            errors.len() <= 1000
        },
    )?;
    rooms.repeats(&sheet, &rows, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(empty_sheet(&sheet));
    }
    Ok(rows)
}

/// Where a row's building, stair-unit and room are: a unit kept, or a refused row's own copy.
#[derive(Clone, Copy)]
enum Slot {
    Kept(usize),
    Refused(usize),
}

/// Finds rooms named twice (building, stair-unit, room) without a key allocated per row: each
/// row leaves the 64-bit hash of its three texts and where they are; sorted, equal hashes are
/// compared as text, so a collision can never pass for a repeat.
struct Rooms {
    hasher: std::hash::RandomState,
    keys: Vec<(u64, u32, Slot)>,
    refused: Vec<[String; 3]>,
}

impl Rooms {
    fn with_capacity(n: usize) -> Self {
        Rooms {
            hasher: std::hash::RandomState::new(),
            keys: Vec::with_capacity(n),
            refused: Vec::new(),
        }
    }

    fn hash(&self, k: [&str; 3]) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, k)
    }

    fn kept(&mut self, u: &UnitRow, i: usize, excel_row: u32) {
        if !u.building.is_empty() && !u.room.is_empty() {
            let h = self.hash([&u.building, &u.stair_unit, &u.room]);
            self.keys.push((h, excel_row, Slot::Kept(i)));
        }
    }

    fn refused(&mut self, k: [String; 3], excel_row: u32) {
        let h = self.hash([&k[0], &k[1], &k[2]]);
        self.keys
            .push((h, excel_row, Slot::Refused(self.refused.len())));
        self.refused.push(k);
    }

    /// A `duplicate_room` problem for each row naming a room an earlier row named, in row order
    /// among the other problems.
    fn repeats(mut self, s: &str, rows: &[UnitRow], errors: &mut Vec<CellError>) {
        let text = |slot: Slot| -> [&str; 3] {
            match slot {
                Slot::Kept(i) => [&rows[i].building, &rows[i].stair_unit, &rows[i].room],
                Slot::Refused(i) => {
                    let k = &self.refused[i];
                    [&k[0], &k[1], &k[2]]
                }
            }
        };
        self.keys.sort_unstable_by_key(|k| (k.0, k.1));
        let before = errors.len();
        for run in self.keys.chunk_by(|a, b| a.0 == b.0) {
            for (i, &(_, at, slot)) in run.iter().enumerate().skip(1) {
                let t = text(slot);
                if let Some(first) = run[..i].iter().find(|p| text(p.2) == t) {
                    errors.push(err(
                        s,
                        Some(at),
                        Some(3),
                        Some(UNIT_LIST_HEADERS[3]),
                        "duplicate_room",
                        format!("room {} {} {} repeats row {}", t[0], t[1], t[2], first.1),
                    ));
                }
                if errors.len() > 1000 {
                    break;
                }
            }
        }
        if errors.len() > before {
            errors.sort_by_key(|e| e.row);
        }
    }
}

/// A floor typed as text (empty: 0).
fn floor_from_text(t: &str) -> Result<i32, String> {
    if t.is_empty() {
        return Ok(0);
    }
    t.parse::<i32>()
        .map_err(|_| format!("floor must be a whole number, got {t:?}"))
}

/// An area typed as text under header `h`: none when empty, else the area or the problem's code
/// and message.
fn area_from_text(h: &str, t: &str) -> Result<Option<AreaM2>, (&'static str, String)> {
    if t.is_empty() {
        return Ok(None);
    }
    match parse_decimal("area", t) {
        Err(_) => Err(("not_a_number", format!("{h} must be a number, got {t:?}"))),
        Ok(d) if d <= rust_decimal::Decimal::ZERO => Err((
            "area_not_positive",
            format!("{h} must be greater than zero, got {d}"),
        )),
        Ok(d) => AreaM2::new("area", d).map(Some).map_err(|_| {
            (
                "area_too_precise",
                format!("{h} has more than 2 decimal places: {t}"),
            )
        }),
    }
}

/// One row of the unit list: the unit, or its problems added to `errors` (and, for the repeat
/// check, its building, stair-unit and room when it names a room).
fn unit_row(
    s: &str,
    row: &mut Row<'_>,
    errors: &mut Vec<CellError>,
) -> Result<UnitRow, Option<[String; 3]>> {
    let excel_row = row.excel_row();
    // Fast path for the common cells — a number typed with at most two decimals, a whole
    // floor, 是/否 — read straight from calamine's value; anything else takes the text path
    // below, which reports the problem with its place.
    let quick_floor = floor_of(row.get(2));
    let quick_gross = area_of(row.get(5));
    let quick_usable = area_of(row.get(6));
    let quick_mortgaged = flag_of(row.get(8));
    let quick_seized = flag_of(row.get(9));
    let quick = [
        false,
        false,
        quick_floor.is_some(),
        false,
        false,
        quick_gross.is_some(),
        quick_usable.is_some(),
        false,
        quick_mortgaged.is_some(),
        quick_seized.is_some(),
    ];
    let mut texts: [Option<String>; 10] = std::array::from_fn(|c| {
        if quick[c] {
            Some(String::new())
        } else {
            take_text(row, c)
        }
    });
    let before = errors.len();
    // Each cell's text is moved out once, not copied.
    let mut text = |c: usize| -> String {
        match texts[c].take() {
            Some(t) => t,
            None => {
                errors.push(missing(
                    s,
                    row,
                    c,
                    UNIT_LIST_HEADERS[c],
                    format!("{} is required", UNIT_LIST_HEADERS[c]),
                ));
                String::new()
            }
        }
    };
    let [
        building,
        stair_unit,
        floor_t,
        room,
        layout,
        gross_t,
        usable_t,
        orientation,
        mort_t,
        seize_t,
    ]: [String; 10] = std::array::from_fn(&mut text);
    let mut errs: Vec<CellError> = Vec::new();
    let e = |c: u32, code: &str, m: String| {
        err(
            s,
            Some(excel_row),
            Some(c),
            Some(UNIT_LIST_HEADERS[c as usize]),
            code,
            m,
        )
    };
    let floor = match quick_floor {
        Some(f) => f,
        None => floor_from_text(&floor_t).unwrap_or_else(|m| {
            errs.push(e(2, "not_an_integer", m));
            0
        }),
    };
    let mut area = |c: u32, t: &str| {
        area_from_text(UNIT_LIST_HEADERS[c as usize], t).unwrap_or_else(|(code, m)| {
            errs.push(e(c, code, m));
            None
        })
    };
    let gross = quick_gross.or_else(|| area(5, &gross_t));
    let usable = quick_usable.or_else(|| area(6, &usable_t));
    if let (Some(g), Some(u)) = (gross, usable)
        && u > g
    {
        errs.push(e(
            6,
            "usable_exceeds_gross",
            format!("usable area {u} m² exceeds gross floor area {g} m²"),
        ));
    }
    let mut flag = |c: u32, t: &str| -> bool {
        if t.is_empty() {
            return false;
        }
        parse_flag(t).unwrap_or_else(|| {
            errs.push(e(c, "bad_flag", format!("write 是 or 否, got {t:?}")));
            false
        })
    };
    let mortgaged = quick_mortgaged.unwrap_or_else(|| flag(8, &mort_t));
    let seized = quick_seized.unwrap_or_else(|| flag(9, &seize_t));
    errors.extend(errs);
    if errors.len() != before {
        let named = !building.is_empty() && !room.is_empty();
        return Err(named.then(|| [building, stair_unit, room]));
    }
    let (Some(gross_area_m2), Some(usable_area_m2)) = (gross, usable) else {
        return Err(None);
    };
    Ok(UnitRow {
        building,
        stair_unit,
        floor,
        room,
        layout,
        gross_area_m2,
        usable_area_m2,
        orientation,
        mortgaged,
        seized,
    })
}

fn header_row(
    ws: &mut rust_xlsxwriter::Worksheet,
    headers: &[&str],
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let bold = Format::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xF3F0EA));
    for (i, h) in headers.iter().enumerate() {
        ws.write_with_format(0, i as u16, *h, &bold)?;
        ws.set_column_width(i as u16, 14)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// An empty unit list with headers and a sheet 说明 explaining each column.
pub fn unit_list_template() -> Vec<u8> {
    write_unit_list(&[]).expect("template writes")
}

/// Writes units in the import format (demo data, tests).
pub fn write_unit_list(rows: &[UnitRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("楼盘表")?;
    header_row(ws, &UNIT_LIST_HEADERS)?;
    let area = Format::new().set_num_format("0.00");
    for (i, u) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write(r, 0, &u.building)?;
        ws.write(r, 1, &u.stair_unit)?;
        ws.write(r, 2, u.floor)?;
        ws.write(r, 3, &u.room)?;
        ws.write(r, 4, &u.layout)?;
        // Written as text-free numbers: the shortest decimal of a 2-dp value reads back exactly.
        ws.write_with_format(
            r,
            5,
            u.gross_area_m2
                .value()
                .to_string()
                .parse::<f64>()
                .unwrap_or_default(),
            &area,
        )?;
        ws.write_with_format(
            r,
            6,
            u.usable_area_m2
                .value()
                .to_string()
                .parse::<f64>()
                .unwrap_or_default(),
            &area,
        )?;
        ws.write(r, 7, &u.orientation)?;
        ws.write(r, 8, if u.mortgaged { "是" } else { "否" })?;
        ws.write(r, 9, if u.seized { "是" } else { "否" })?;
    }
    let help = wb.add_worksheet().set_name("说明")?;
    let notes = [
        ("楼栋", "楼栋号，如 3号楼"),
        ("单元", "单元号，如 1单元；无单元填 -"),
        ("楼层", "整数，地下层为负数"),
        ("房号", "同一楼栋、单元内不得重复"),
        ("户型", "如 三室两厅"),
        ("建筑面积(m²)", "大于0，最多两位小数，以测绘报告为准"),
        ("套内面积(m²)", "大于0，不大于建筑面积"),
        ("朝向", "如 南北"),
        ("是否抵押", "填 是 或 否"),
        ("是否查封", "填 是 或 否"),
    ];
    for (i, (h, n)) in notes.iter().enumerate() {
        help.write(i as u32, 0, *h)?;
        help.write(i as u32, 1, *n)?;
    }
    help.set_column_width(1, 50)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// The number-cell fast path gives what the text path gives, for every cell it takes, and
    /// declines (leaving the text path to report) a number with more than two decimals.
    fn text_path(f: f64) -> Option<AreaM2> {
        let t = cell_text(&DataRef::Float(f))?;
        let d = parse_decimal("area", &t).ok()?;
        if d <= rust_decimal::Decimal::ZERO {
            return None;
        }
        AreaM2::new("area", d).ok()
    }

    proptest::proptest! {
        #[test]
        fn area_fast_path_agrees_with_the_text_path(h in 1i64..=100_000_000i64, extra in 0u32..1000) {
            let f = h as f64 / 100.0;
            let got = area_of(&DataRef::Float(f));
            proptest::prop_assert_eq!(got, text_path(f));
            let a = got.unwrap();
            proptest::prop_assert_eq!(a.value().to_string(), text_path(f).unwrap().value().to_string());
            // A third decimal: the fast path declines; the text path refuses it as too precise.
            let g = (h * 1000 + i64::from(extra % 9 + 1)) as f64 / 100_000.0;
            proptest::prop_assert_eq!(area_of(&DataRef::Float(g)), None);
        }
    }

    #[test]
    fn floor_and_flag_fast_paths() {
        assert_eq!(floor_of(&DataRef::Float(-1.0)), Some(-1));
        assert_eq!(floor_of(&DataRef::Float(3.5)), None);
        assert_eq!(flag_of(&DataRef::String(" 是 ".into())), Some(true));
        assert_eq!(
            flag_of(&DataRef::String("Y".into())),
            None,
            "left to the text path"
        );
        assert_eq!(area_of(&DataRef::Float(0.0)), None);
        assert_eq!(area_of(&DataRef::Float(-90.0)), None);
    }

    fn unit(room: &str, gross: rust_decimal::Decimal) -> UnitRow {
        UnitRow {
            building: "1号楼".into(),
            stair_unit: "1单元".into(),
            floor: 5,
            room: room.into(),
            layout: "三室两厅".into(),
            gross_area_m2: AreaM2::new("a", gross).unwrap(),
            usable_area_m2: AreaM2::new("a", dec!(70.12)).unwrap(),
            orientation: "南北".into(),
            mortgaged: false,
            seized: true,
        }
    }

    fn book(rows: &[Vec<&str>]) -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if let Ok(n) = v.parse::<f64>() {
                    ws.write(r as u32, c as u16, n).unwrap();
                } else if !v.is_empty() {
                    ws.write(r as u32, c as u16, *v).unwrap();
                }
            }
        }
        wb.save_to_buffer().unwrap()
    }

    fn codes(e: &[CellError]) -> Vec<(String, Option<u32>, Option<String>)> {
        e.iter()
            .map(|x| (x.code.clone(), x.row, x.column.clone()))
            .collect()
    }

    #[test]
    fn round_trip_is_exact() {
        let rows = vec![
            unit("101", dec!(89.37)),
            unit("102", dec!(120.01)),
            unit("103", dec!(0.1)),
        ];
        let mut rows = rows;
        rows[2].usable_area_m2 = AreaM2::new("a", dec!(0.05)).unwrap();
        assert_eq!(
            parse_unit_list(&write_unit_list(&rows).unwrap()).unwrap(),
            rows
        );
    }

    const H: [&str; 10] = UNIT_LIST_HEADERS;

    #[test]
    fn not_xlsx_is_refused() {
        for bytes in [&b"hello"[..], &b"a,b,c\n1,2,3\n"[..], &[][..]] {
            let e = parse_unit_list(bytes).unwrap_err();
            assert_eq!(e[0].code, "not_xlsx");
            assert_eq!(e[0].row, None);
        }
    }

    #[test]
    fn empty_sheet_is_refused() {
        let e = parse_unit_list(&book(&[H.to_vec()])).unwrap_err();
        assert_eq!(codes(&e), vec![("empty_sheet".into(), None, None)]);
    }

    #[test]
    fn wrong_or_missing_header_names_the_column() {
        let mut h = H.to_vec();
        h[5] = "面积";
        h.truncate(9);
        let e = parse_unit_list(&book(&[h])).unwrap_err();
        assert_eq!(
            codes(&e),
            vec![
                ("wrong_header".into(), Some(1), Some("F".into())),
                ("missing_header".into(), Some(1), Some("J".into()))
            ]
        );
    }

    #[test]
    fn bad_cells_are_all_reported_with_row_and_column() {
        let rows = vec![
            H.to_vec(),
            vec![
                "1号楼", "1单元", "5", "501", "三室", "89.37", "70", "南", "否", "否",
            ],
            vec![
                "1号楼", "1单元", "5", "502", "三室", "八十", "70", "南", "否", "否",
            ],
            vec![
                "1号楼", "1单元", "5", "503", "三室", "0", "70", "南", "否", "否",
            ],
            vec![
                "1号楼", "1单元", "5", "504", "三室", "-3", "70", "南", "否", "否",
            ],
            vec![
                "1号楼", "1单元", "5", "501", "三室", "90", "70", "南", "否", "否",
            ],
            vec![
                "1号楼", "1单元", "5.5", "506", "三室", "90", "95", "南", "maybe", "否",
            ],
            vec![
                "1号楼", "1单元", "5", "507", "三室", "90.123", "", "南", "否", "否",
            ],
        ];
        let e = parse_unit_list(&book(&rows)).unwrap_err();
        assert_eq!(
            codes(&e),
            vec![
                ("not_a_number".into(), Some(3), Some("F".into())),
                ("area_not_positive".into(), Some(4), Some("F".into())),
                ("area_not_positive".into(), Some(5), Some("F".into())),
                ("duplicate_room".into(), Some(6), Some("D".into())),
                ("not_an_integer".into(), Some(7), Some("C".into())),
                ("usable_exceeds_gross".into(), Some(7), Some("G".into())),
                ("bad_flag".into(), Some(7), Some("I".into())),
                ("required".into(), Some(8), Some("G".into())),
                ("area_too_precise".into(), Some(8), Some("F".into())),
            ]
        );
        assert!(e[3].message.contains("row 2"), "{}", e[3].message);
    }

    /// A cell holding a formula that no program calculated (a file written by a script, never
    /// opened in Excel) is named as such, not reported as left empty.
    #[test]
    fn a_formula_without_a_computed_value_is_named_not_called_missing() {
        let cell = |c: usize, v: &str| {
            let col = crate::excel::column_letter(c as u32);
            format!(r#"<c r="{col}{{r}}" t="inlineStr"><is><t>{v}</t></is></c>"#)
        };
        let header: String = H.iter().enumerate().map(|(c, h)| cell(c, h)).collect();
        let values = [
            "1号楼", "1单元", "5", "501", "", "89.37", "70", "南", "否", "否",
        ];
        let row: String = values
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if c == 4 {
                    r#"<c r="E{r}"><f>A{r}&amp;"户型"</f></c>"#.to_string()
                } else {
                    cell(c, v)
                }
            })
            .collect();
        let xml = format!(
            r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">{}</row><row r="2">{}</row></sheetData></worksheet>"#,
            header.replace("{r}", "1"),
            row.replace("{r}", "2")
        );
        let e = parse_unit_list(&crate::excel::test_book::with_sheet(&xml)).unwrap_err();
        assert_eq!(
            codes(&e),
            vec![("formula_without_value".into(), Some(2), Some("E".into()))]
        );
        assert!(e[0].message.contains("户型"), "{}", e[0].message);
    }

    /// A repeated room is found whether or not the repeating row has other problems, names the
    /// first row, and is listed in row order after that row's other problems.
    #[test]
    fn a_repeated_room_names_its_first_row_among_the_rows_problems() {
        fn row<'a>(room: &'a str, area: &'a str) -> Vec<&'a str> {
            vec![
                "1号楼", "1单元", "5", room, "三室", area, "70", "南", "否", "否",
            ]
        }
        let rows = vec![
            H.to_vec(),
            row("501", "89.37"),
            row("502", "89.37"),
            row("501", "八十"),
            row("501", "90"),
        ];
        let e = parse_unit_list(&book(&rows)).unwrap_err();
        assert_eq!(
            codes(&e),
            vec![
                ("not_a_number".into(), Some(4), Some("F".into())),
                ("duplicate_room".into(), Some(4), Some("D".into())),
                ("duplicate_room".into(), Some(5), Some("D".into())),
            ]
        );
        assert!(e[1].message.ends_with("repeats row 2"), "{}", e[1].message);
        assert!(e[2].message.ends_with("repeats row 2"), "{}", e[2].message);
    }
}
