//! The per-project fund report as a workbook for the finance bureau (HS-F6, HS-F8).

use crate::app::ledger_report::ProjectReport;
use crate::domain::ledger::FundSource;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet};

fn source_zh(s: FundSource) -> &'static str {
    match s {
        FundSource::SpecialBond => "专项债券",
        FundSource::ProjectLoan => "项目贷款",
        FundSource::FiscalSubsidy => "财政补助",
        FundSource::Other => "其他资金",
    }
}

fn header(
    ws: &mut Worksheet,
    cols: &[&str],
    bold: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (i, h) in cols.iter().enumerate() {
        ws.write_with_format(0, i as u16, *h, bold)?;
        ws.set_column_width(i as u16, if i == 0 { 12 } else { 22 })?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

pub fn project_workbook(r: &ProjectReport) -> Vec<u8> {
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
        let yuan = Format::new().set_num_format("#,##0.00");
        let n = |y: crate::domain::units::Yuan| y.value().to_f64().unwrap_or_default();
        for s in &r.sources {
            let ws = wb.add_worksheet().set_name(source_zh(s.source))?;
            header(
                ws,
                &[
                    "序号",
                    "日期",
                    "摘要",
                    "账户",
                    "对方账户",
                    "借方(元)",
                    "贷方(元)",
                    "余额(元)",
                ],
                &bold,
            )?;
            ws.write(1, 2, "期初余额")?;
            ws.write_with_format(1, 7, n(s.opening), &yuan)?;
            let mut row = 2;
            for m in &s.movements {
                ws.write(row, 0, m.seq as f64)?;
                ws.write(row, 1, m.date.to_string())?;
                ws.write(row, 2, &m.memo)?;
                ws.write(row, 3, &m.account)?;
                ws.write(row, 4, &m.counterparts)?;
                ws.write_with_format(row, 5, n(m.debit), &yuan)?;
                ws.write_with_format(row, 6, n(m.credit), &yuan)?;
                ws.write_with_format(row, 7, n(m.balance), &yuan)?;
                row += 1;
            }
            ws.write(row, 2, "期末余额")?;
            ws.write_with_format(row, 7, n(s.closing), &yuan)?;
        }
        let ws = wb.add_worksheet().set_name("试算平衡")?;
        header(ws, &["账户", "余额(元)"], &bold)?;
        for (i, (a, b)) in r.trial_balance.iter().enumerate() {
            ws.write(i as u32 + 1, 0, a)?;
            ws.write_with_format(i as u32 + 1, 1, n(*b), &yuan)?;
        }
        let ws = wb.add_worksheet().set_name("资金流向")?;
        header(
            ws,
            &["序号", "日期", "来源账户", "去向账户", "金额(元)"],
            &bold,
        )?;
        for (i, f) in r.flows.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write(row, 0, f.seq as f64)?;
            ws.write(row, 1, f.date.to_string())?;
            ws.write(row, 2, &f.from)?;
            ws.write(row, 3, &f.to)?;
            ws.write_with_format(row, 4, n(f.amount), &yuan)?;
        }
        let ws = wb.add_worksheet().set_name("例外事项")?;
        header(ws, &["类型", "时间", "依据", "代码", "说明"], &bold)?;
        let mut row = 1;
        for x in &r.refusals {
            ws.write(row, 0, "被拒绝的记账")?;
            ws.write(row, 1, x.at.to_rfc3339())?;
            ws.write(row, 2, &x.rule)?;
            ws.write(row, 3, &x.code)?;
            ws.write(row, 4, &x.message)?;
            row += 1;
        }
        for (seq, date, memo, approval) in &r.reallocations {
            ws.write(row, 0, "经批准的调剂")?;
            ws.write(row, 1, date.to_string())?;
            ws.write(row, 2, "HS-F3")?;
            ws.write(row, 3, format!("第{seq}笔"))?;
            ws.write(row, 4, format!("{memo}（{approval}）"))?;
            row += 1;
        }
        let ws = wb.add_worksheet().set_name("资产台账")?;
        header(
            ws,
            &[
                "房源编号",
                "项目",
                "开发企业",
                "套数",
                "建筑面积(m²)",
                "收购价(元)",
                "已付(元)",
            ],
            &bold,
        )?;
        for (i, a) in r.assets.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write(row, 0, a.listing_id as f64)?;
            ws.write(row, 1, &a.project_name)?;
            ws.write(row, 2, &a.developer_org)?;
            ws.write(row, 3, a.units as f64)?;
            ws.write(row, 4, a.gross_area_m2.value().to_f64().unwrap_or_default())?;
            if let Some(p) = a.final_price {
                ws.write_with_format(row, 5, n(p), &yuan)?;
            }
            ws.write_with_format(row, 6, n(a.paid), &yuan)?;
        }
        wb.save_to_buffer()
    };
    build().expect("report writes")
}
