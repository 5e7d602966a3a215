//! The bid comparison as a workbook for the leading-group meeting (issue 4): a row per bid with
//! every fact, flag and score; a sheet per criterion; the plan on its own sheet. Yuan with
//! thousands separators, m² with two decimals, frozen headers, filters, flags in red.

use crate::app::bids::Comparison;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    ConditionalFormatCell, ConditionalFormatCellRule, Format, FormatBorder, Workbook,
};

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or_default()
}

pub fn comparison_workbook(c: &Comparison) -> Vec<u8> {
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new()
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_text_wrap();
        let yuan = Format::new().set_num_format("#,##0.00");
        let m2 = Format::new().set_num_format("0.00");
        let score = Format::new().set_num_format("0.00");
        let red = Format::new()
            .set_font_color("#B00000")
            .set_background_color("#FDE2E2");
        let ws = wb.add_worksheet().set_name("比选总表")?;
        let headers = [
            "排名",
            "开发企业",
            "报价(元/m²)",
            "套数",
            "合规面积(m²)",
            "面段外套数",
            "90m²左右占比",
            "整栋/整单元",
            "产权清晰",
            "交付日期",
            "超重置价",
            "超限价",
            "有效",
            "价格/面积得分",
            "区位得分",
            "交通得分",
            "配套得分",
            "合规得分",
            "总分",
            "重置价(元/m²)",
            "与重置价差额",
            "建设状态",
            "装修",
        ];
        for (i, h) in headers.iter().enumerate() {
            ws.write_with_format(0, i as u16, *h, &bold)?;
            ws.set_column_width(i as u16, if i == 1 { 18 } else { 11 })?;
        }
        let yes = |b: bool| if b { "是" } else { "否" };
        for (r, s) in c.ranking.iter().enumerate() {
            let row = r as u32 + 1;
            let v = c
                .bids
                .iter()
                .find(|b| b.number == s.id)
                .expect("ranked bids are listed");
            ws.write(row, 0, s.rank as f64)?;
            ws.write(row, 1, &v.developer_org)?;
            ws.write_with_format(row, 2, f(v.bid.price_per_m2), &yuan)?;
            ws.write(row, 3, v.bid.units.len() as f64)?;
            ws.write_with_format(row, 4, f(s.compliant_area_m2), &m2)?;
            ws.write(row, 5, s.flags.units_out_of_band as f64)?;
            match s.flags.near_90_share {
                Some(share) => {
                    ws.write_with_format(row, 6, f(share), &Format::new().set_num_format("0.0%"))?
                }
                None => ws.write(row, 6, "不适用")?,
            };
            ws.write(row, 7, yes(s.flags.whole_building))?;
            ws.write(row, 8, yes(s.flags.clear_title))?;
            match v.facts.delivery_date {
                Some(d) => ws.write(row, 9, d.to_string())?,
                None => ws.write(row, 9, yes(s.flags.has_delivery_date))?,
            };
            if let Some(cs) = v.facts.construction_state {
                let label = match cs {
                    crate::domain::review::ConstructionState::Completed => "已建成",
                    crate::domain::review::ConstructionState::UnderConstruction => "在建",
                };
                ws.write(row, 21, label)?;
            }
            if let Some(d) = &v.facts.decoration {
                ws.write(row, 22, d)?;
            }
            ws.write(row, 10, yes(s.flags.above_ceiling))?;
            ws.write(row, 11, yes(s.flags.above_price_cap))?;
            ws.write(row, 12, yes(s.flags.valid))?;
            for (col, val) in [
                (13u16, s.competition_score),
                (14, s.location_score),
                (15, s.transport_score),
                (16, s.amenities_score),
                (17, s.compliance_score),
                (18, s.total),
            ] {
                ws.write_with_format(row, col, f(val), &score)?;
            }
            if let (Some(c), Some(g)) = (v.bid.ceiling_per_m2, v.gap_to_ceiling_per_m2) {
                ws.write_with_format(row, 19, f(c), &yuan)?;
                ws.write_with_format(row, 20, f(g), &yuan)?;
            }
        }
        let last = c.ranking.len().max(1) as u32;
        ws.set_freeze_panes(1, 2)?;
        ws.autofilter(0, 0, last, (headers.len() - 1) as u16)?;
        // Flags in red: a unit outside the band; a failed yes/no check; above ceiling or cap.
        let nonzero = ConditionalFormatCell::new()
            .set_rule(ConditionalFormatCellRule::GreaterThan(0))
            .set_format(&red);
        ws.add_conditional_format(1, 5, last, 5, &nonzero)?;
        for col in [7u16, 8, 9, 12] {
            let no = ConditionalFormatCell::new()
                .set_rule(ConditionalFormatCellRule::EqualTo("\"否\""))
                .set_format(&red);
            ws.add_conditional_format(1, col, last, col, &no)?;
        }
        for col in [10u16, 11] {
            let yes_red = ConditionalFormatCell::new()
                .set_rule(ConditionalFormatCellRule::EqualTo("\"是\""))
                .set_format(&red);
            ws.add_conditional_format(1, col, last, col, &yes_red)?;
        }
        // A sheet per criterion: the weight and each bid's score on it.
        let crit = [
            ("价格或面积", c.criteria.competition, 13usize),
            ("区位", c.criteria.location, 14),
            ("交通", c.criteria.transport, 15),
            ("配套", c.criteria.amenities, 16),
            ("合规", c.criteria.compliance, 17),
        ];
        for (name, weight, _) in crit {
            let ws = wb.add_worksheet().set_name(format!("评分-{name}"))?;
            ws.write_with_format(0, 0, "开发企业", &bold)?;
            ws.write_with_format(0, 1, format!("{name}得分（权重 {weight}）"), &bold)?;
            ws.set_column_width(0, 18)?;
            ws.set_column_width(1, 22)?;
            for (r, s) in c.ranking.iter().enumerate() {
                let v = c.bids.iter().find(|b| b.number == s.id).expect("listed");
                let val = match name {
                    "价格或面积" => s.competition_score,
                    "区位" => s.location_score,
                    "交通" => s.transport_score,
                    "配套" => s.amenities_score,
                    _ => s.compliance_score,
                };
                ws.write(r as u32 + 1, 0, &v.developer_org)?;
                ws.write_with_format(r as u32 + 1, 1, f(val), &score)?;
            }
            ws.set_freeze_panes(1, 0)?;
        }
        let ws = wb.add_worksheet().set_name("收购方案")?;
        for (i, h) in ["开发企业", "房源序号", "面积段", "建筑面积(m²)", "金额(元)"]
            .iter()
            .enumerate()
        {
            ws.write_with_format(0, i as u16, *h, &bold)?;
            ws.set_column_width(i as u16, 16)?;
        }
        for (r, u) in c.plan.units.iter().enumerate() {
            let row = r as u32 + 1;
            let org = c
                .bids
                .iter()
                .find(|b| b.number == u.bid_id)
                .map(|b| b.developer_org.as_str())
                .unwrap_or("");
            ws.write(row, 0, org)?;
            ws.write(row, 1, (u.unit_index + 1) as f64)?;
            ws.write(row, 2, &u.band)?;
            ws.write_with_format(row, 3, f(u.area_m2.value()), &m2)?;
            ws.write_with_format(row, 4, f(u.cost), &yuan)?;
        }
        let total_row = c.plan.units.len() as u32 + 1;
        ws.write_with_format(total_row, 0, "合计", &bold)?;
        ws.write_with_format(total_row, 4, f(c.plan.spent), &yuan)?;
        ws.write(total_row + 1, 0, format!("预算 {} 元", c.plan.budget))?;
        ws.set_freeze_panes(1, 0)?;
        wb.save_to_buffer()
    };
    build().expect("comparison writes")
}
