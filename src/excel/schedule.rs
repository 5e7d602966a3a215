//! The 一房一价 schedule (HS-P12) as workbooks: the unit list it is computed from (template and
//! all-or-nothing import) and the priced schedule for printing.

use super::reader::{Book, Row, Shape, missing, read_table, row_texts};
use super::{CellError, err};
use crate::domain::pricing::daxie::daxie;
use crate::domain::pricing::sale::{SaleUnit, Schedule};
use crate::domain::units::AreaM2;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

pub const SALE_UNIT_HEADERS: [&str; 6] = ["房号", "楼栋", "楼层", "朝向", "户型", "建筑面积(m²)"];

/// Most units a schedule may price (as many as a unit list may hold).
pub const MAX_ROWS: u32 = super::unit_list::MAX_ROWS as u32;

/// Reads the units to price; every problem is reported with its row and column, and nothing is
/// returned unless the whole sheet is right.
pub fn parse_sale_units(bytes: &[u8]) -> Result<Vec<SaleUnit>, Vec<CellError>> {
    let mut book = Book::open(bytes)?;
    let mut out = Vec::new();
    let mut rooms = std::collections::BTreeMap::new();
    let shape = Shape {
        columns: SALE_UNIT_HEADERS.len() as u32,
        max_rows: MAX_ROWS,
    };
    let (sheet, errors) = read_table(
        &mut book,
        "房源",
        &SALE_UNIT_HEADERS,
        shape,
        |s, row, errors| {
            out.extend(sale_unit(s, row, &mut rooms, errors));
            errors.len() <= 1000
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
            "the sheet has no units under the header".into(),
        )]);
    }
    Ok(out)
}

/// One unit to price, or its problems added to `errors`.
fn sale_unit(
    s: &str,
    row: &Row<'_>,
    rooms: &mut std::collections::BTreeMap<String, u32>,
    errors: &mut Vec<CellError>,
) -> Option<SaleUnit> {
    let at = row.excel_row();
    let t = row_texts(row);
    let e = |c: u32, code: &str, m: String| {
        err(
            s,
            Some(at),
            Some(c),
            Some(SALE_UNIT_HEADERS[c as usize]),
            code,
            m,
        )
    };
    let room = t[0].clone().unwrap_or_default();
    if room.is_empty() {
        errors.push(missing(s, row, 0, "房号", "房号 is required".into()));
    } else if let Some(first) = rooms.insert(room.clone(), at) {
        errors.push(e(
            0,
            "duplicate_room",
            format!("room {room:?} is already on row {first}"),
        ));
    }
    let area = match t[5].as_deref() {
        None => {
            errors.push(missing(
                s,
                row,
                5,
                "建筑面积(m²)",
                "建筑面积 is required".into(),
            ));
            None
        }
        Some(a) => match AreaM2::parse("建筑面积", a) {
            Ok(a) => Some(a),
            Err(x) => {
                errors.push(e(5, "bad_area", x.to_string()));
                None
            }
        },
    };
    Some(SaleUnit {
        room,
        building: t[1].clone().unwrap_or_default(),
        floor: t[2].clone().unwrap_or_default(),
        orientation: t[3].clone().unwrap_or_default(),
        layout: t[4].clone().unwrap_or_default(),
        area_m2: area?,
    })
}

/// An empty unit sheet with the expected headers.
pub fn sale_units_template() -> Vec<u8> {
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("房源")?;
        let bold = Format::new().set_bold();
        for (i, h) in SALE_UNIT_HEADERS.iter().enumerate() {
            ws.write_with_format(0, i as u16, *h, &bold)?;
            ws.set_column_width(i as u16, 14)?;
        }
        ws.set_freeze_panes(1, 0)?;
        wb.save_to_buffer()
    };
    build().expect("template writes")
}

/// The priced schedule: one row per unit, the total row, the amount in capitals, and a sheet
/// saying how the prices were made (rules, base, remainder placement).
pub fn schedule_xlsx(title: &str, rules: &[String], s: &Schedule) -> Vec<u8> {
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("一房一价")?;
        let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
        let head = Format::new()
            .set_bold()
            .set_font_size(14)
            .set_align(FormatAlign::Center);
        let yuan = Format::new()
            .set_num_format("#,##0.00")
            .set_border(FormatBorder::Thin);
        let m2 = Format::new()
            .set_num_format("0.00")
            .set_border(FormatBorder::Thin);
        let factor = Format::new()
            .set_num_format("0.0000")
            .set_border(FormatBorder::Thin);
        let cell = Format::new().set_border(FormatBorder::Thin);
        ws.merge_range(0, 0, 0, 8, title, &head)?;
        let headers = [
            "房号",
            "楼栋",
            "楼层",
            "朝向",
            "户型",
            "建筑面积(m²)",
            "调节系数",
            "单价(元/m²)",
            "总价(元)",
        ];
        for (i, h) in headers.iter().enumerate() {
            ws.write_with_format(1, i as u16, *h, &bold)?;
            ws.set_column_width(i as u16, if i >= 5 { 16 } else { 10 })?;
        }
        let f64_of = |d: rust_decimal::Decimal| d.to_f64().unwrap_or_default();
        for (i, r) in s.rows.iter().enumerate() {
            let row = i as u32 + 2;
            ws.write_with_format(row, 0, &r.room, &cell)?;
            ws.write_with_format(row, 1, &r.building, &cell)?;
            ws.write_with_format(row, 2, &r.floor, &cell)?;
            ws.write_with_format(row, 3, &r.orientation, &cell)?;
            ws.write_with_format(row, 4, &r.layout, &cell)?;
            ws.write_with_format(row, 5, f64_of(r.area_m2.value()), &m2)?;
            ws.write_with_format(row, 6, f64_of(r.factor), &factor)?;
            ws.write_with_format(row, 7, f64_of(r.price_per_m2.value()), &yuan)?;
            ws.write_with_format(row, 8, f64_of(r.total.value()), &yuan)?;
        }
        let total_row = s.rows.len() as u32 + 2;
        ws.write_with_format(total_row, 0, "合计", &bold)?;
        ws.write_with_format(total_row, 5, f64_of(s.total_area_m2), &m2)?;
        ws.write_with_format(total_row, 7, f64_of(s.weighted_mean_per_m2.value()), &yuan)?;
        ws.write_with_format(total_row, 8, f64_of(s.total.value()), &yuan)?;
        ws.write(
            total_row + 1,
            0,
            format!(
                "总价（大写）：{}",
                daxie(s.total.value()).unwrap_or_default()
            ),
        )?;
        ws.set_freeze_panes(2, 0)?;
        ws.autofilter(1, 0, total_row - 1, 8)?;

        let notes = wb.add_worksheet().set_name("说明")?;
        notes.set_column_width(0, 100)?;
        let lines = [
            format!("依据：{}", rules.join("、")),
            format!("核定基准价（项目均价）：{} 元/m²", s.base_per_m2),
            format!(
                "总价 = 基准价 × 总建筑面积 {} m²，四舍五入到分：{} 元",
                s.total_area_m2, s.total
            ),
            "各套调节系数 = 楼栋 × 楼层 × 朝向 × 户型系数；总价按 系数 × 面积 的比例分摊。".into(),
            format!(
                "尾差处理：各套按精确份额舍去到分，剩余 {} 分按舍去部分从大到小逐套补 1 分（相同时先排前者），故各套合计等于总价，面积加权均价等于基准价。",
                s.remainder_fen
            ),
            "单价 = 该套总价 ÷ 建筑面积，四舍五入到分，仅供阅读；以总价为准。".into(),
        ];
        for (i, l) in lines.iter().enumerate() {
            notes.write(i as u32, 0, l)?;
        }
        wb.save_to_buffer()
    };
    build().expect("schedule writes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pricing::sale::{FactorTable, Factors, unit_prices};
    use crate::domain::units::YuanPerM2;
    use calamine::{Data, Reader, Xlsx};
    use rust_decimal_macros::dec;
    use std::io::Cursor;

    fn units_book(rows: &[[&str; 6]]) -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("房源").unwrap();
        for (i, h) in SALE_UNIT_HEADERS.iter().enumerate() {
            ws.write(0, i as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn hs_p12_schedule_workbook_reads_back_with_the_same_figures() {
        let units = parse_sale_units(&units_book(&[
            ["201", "1", "2", "南", "三室", "90"],
            ["501", "1", "5", "南", "三室", "100"],
            ["901", "1", "9", "北", "三室", "110"],
        ]))
        .unwrap();
        let f = Factors {
            building: FactorTable {
                default: Some(dec!(1)),
                ..Default::default()
            },
            floor: FactorTable {
                default: None,
                values: [("2", dec!(0.98)), ("5", dec!(1.00)), ("9", dec!(1.03))]
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
            },
            orientation: FactorTable {
                default: None,
                values: [("南", dec!(1.02)), ("北", dec!(0.97))]
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
            },
            layout: FactorTable {
                default: Some(dec!(1)),
                ..Default::default()
            },
        };
        let s = unit_prices(YuanPerM2::positive("b", dec!(4000)).unwrap(), &units, &f).unwrap();
        let bytes = schedule_xlsx("测试项目一房一价表", &["HS-P12".into()], &s);
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let r = wb.worksheet_range("一房一价").unwrap();
        let num = |row: u32, col: u32| match r.get_value((row, col)) {
            Some(Data::Float(f)) => format!("{f:.2}"),
            other => panic!("{other:?}"),
        };
        assert_eq!(num(2, 8), "357632.72");
        assert_eq!(num(3, 8), "405479.27");
        assert_eq!(num(4, 8), "436888.01");
        assert_eq!(num(5, 8), "1200000.00");
        assert_eq!(num(5, 7), "4000.00");
        assert_eq!(
            r.get_value((6, 0)),
            Some(&Data::String("总价（大写）：壹佰贰拾万元整".into()))
        );
    }

    #[test]
    fn bad_unit_rows_are_refused_with_row_and_column() {
        let e = parse_sale_units(&units_book(&[
            ["201", "1", "2", "南", "三室", "90"],
            ["201", "1", "3", "南", "三室", "abc"],
            ["", "1", "3", "南", "三室", "-5"],
        ]))
        .unwrap_err();
        let at: Vec<(Option<u32>, Option<String>, String)> = e
            .iter()
            .map(|x| (x.row, x.column.clone(), x.code.clone()))
            .collect();
        assert!(
            at.contains(&(Some(3), Some("A".into()), "duplicate_room".into())),
            "{at:?}"
        );
        assert!(
            at.contains(&(Some(3), Some("F".into()), "bad_area".into())),
            "{at:?}"
        );
        assert!(
            at.contains(&(Some(4), Some("A".into()), "required".into())),
            "{at:?}"
        );
        assert!(
            at.contains(&(Some(4), Some("F".into()), "bad_area".into())),
            "{at:?}"
        );
    }
}
