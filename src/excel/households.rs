//! Household lists as workbooks (issue 13): the publicity list (公示名单) and the waiting list
//! (轮候库) with names and ID numbers masked as public notices print them, and the per-unit
//! register (资产台账). Every text goes in as a string cell, never as a formula.

use crate::app::allocation::ApplicationSummary;
use crate::app::sales::RegisterEntry;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

fn header(ws: &mut rust_xlsxwriter::Worksheet, cols: &[(&str, f64)]) -> Result<(), XlsxError> {
    let bold = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#F3F0EA");
    for (i, (h, w)) in cols.iter().enumerate() {
        ws.write_string_with_format(1, i as u16, *h, &bold)?;
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_freeze_panes(2, 0)?;
    Ok(())
}

/// A list of applications (masked): the publicity list or the waiting list, titled.
pub fn application_list_workbook(title: &str, rows: &[ApplicationSummary]) -> Vec<u8> {
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("名单")?;
        ws.write_string_with_format(0, 0, title, &Format::new().set_bold().set_font_size(14))?;
        header(
            ws,
            &[
                ("序号", 6.0),
                ("申请编号", 16.0),
                ("申请人", 10.0),
                ("身份证号", 22.0),
                ("家庭人数", 9.0),
                ("申请类别", 22.0),
                ("梯次", 6.0),
                ("状态", 18.0),
                ("期限", 12.0),
                ("受理单位", 16.0),
            ],
        )?;
        for (i, r) in rows.iter().enumerate() {
            let row = i as u32 + 2;
            ws.write_number(row, 0, (i + 1) as f64)?;
            ws.write_string(row, 1, &r.application_no)?;
            ws.write_string(row, 2, &r.applicant)?;
            ws.write_string(row, 3, &r.id_number)?;
            ws.write_number(row, 4, f64::from(r.members))?;
            ws.write_string(row, 5, &r.group)?;
            if let Some(t) = r.tier {
                ws.write_number(row, 6, f64::from(t))?;
            }
            ws.write_string(row, 7, &r.state_label)?;
            if let Some(d) = r.deadline_due {
                ws.write_string(row, 8, d.to_string())?;
            }
            ws.write_string(row, 9, &r.accepting_org)?;
        }
        ws.autofilter(1, 0, rows.len() as u32 + 1, 9)?;
        wb.save_to_buffer()
    };
    build().expect("an in-memory workbook of checked rows")
}

/// The per-unit register.
pub fn register_workbook(rows: &[RegisterEntry]) -> Vec<u8> {
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("资产台账")?;
        ws.write_string_with_format(
            0,
            0,
            "保障性住房资产台账（逐套）",
            &Format::new().set_bold().set_font_size(14),
        )?;
        header(
            ws,
            &[
                ("房源编号", 9.0),
                ("政策", 8.0),
                ("项目", 22.0),
                ("房号", 20.0),
                ("建筑面积(㎡)", 12.0),
                ("用途", 10.0),
                ("状态", 10.0),
                ("状态时间", 18.0),
            ],
        )?;
        let m2 = Format::new().set_num_format("0.00");
        for (i, r) in rows.iter().enumerate() {
            let row = i as u32 + 2;
            ws.write_number(row, 0, r.listing_id as f64)?;
            ws.write_string(row, 1, &r.pack)?;
            ws.write_string(row, 2, &r.project_name)?;
            ws.write_string(row, 3, &r.room)?;
            ws.write_number_with_format(
                row,
                4,
                r.area_m2.value().to_f64().unwrap_or_default(),
                &m2,
            )?;
            let use_zh = match r.use_kind.as_deref() {
                Some("rental") => "出租",
                Some("sale") => "出售",
                Some("resettlement") => "安置",
                _ => "",
            };
            ws.write_string(row, 5, use_zh)?;
            ws.write_string(row, 6, &r.status_label)?;
            if let Some(t) = r.since {
                ws.write_string(row, 7, crate::app::beijing(t))?;
            }
        }
        ws.autofilter(1, 0, rows.len() as u32 + 1, 7)?;
        wb.save_to_buffer()
    };
    build().expect("an in-memory workbook of checked rows")
}
