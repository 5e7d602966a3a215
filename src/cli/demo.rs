//! `anju demo`: builds a demo database from `fixtures/demo.toml` through the same commands the
//! API uses, walking a round with three developers' listings (one rejected in review, one
//! withdrawn from the pool, one through to filing), and creates one user per role.

use super::Failure;
use crate::app::flow::{ActionRequest, DecimalText, NewListing, NewRound, ValuationInput};
use crate::app::{App, FixedClock};
use crate::domain::role::Role;
use crate::domain::survey::SurveyReturn;
use crate::domain::unit_list::UnitRow;
use crate::domain::units::{AreaM2, parse_decimal};
use crate::store::users::User;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

pub const DEMO_DATABASE_URL: &str = "sqlite://anju-demo.db";

#[derive(Deserialize)]
struct Fixture {
    start_date: NaiveDate,
    pack: String,
    round_name: String,
    survey: Vec<SurveyReturn>,
    listing: Vec<DemoListing>,
}

#[derive(Deserialize)]
struct DemoListing {
    developer: String,
    project_name: String,
    address: String,
    construction_state: crate::domain::review::ConstructionState,
    offer_scope: crate::domain::review::OfferScope,
    decoration: String,
    building: String,
    stair_units: Vec<String>,
    top_floor: i32,
    areas: Vec<String>,
    outcome: String,
}

/// Builds the demo database if it is empty; returns the demo users' (name, role, token).
pub async fn ensure(
    url: &str,
    workflows: &Path,
    fixtures: &Path,
) -> Result<Vec<(String, String, String)>, Failure> {
    build(url, workflows, fixtures, false).await
}

/// Builds the demo. Refuses to touch a database that already holds data, except that tokens of
/// an existing demo cannot be shown again (only their hashes are stored).
pub async fn build(
    url: &str,
    workflows: &Path,
    fixtures: &Path,
    print: bool,
) -> Result<Vec<(String, String, String)>, Failure> {
    let file = fixtures.join("demo.toml");
    let text =
        std::fs::read_to_string(&file).map_err(|e| Failure(format!("{}: {e}", file.display())))?;
    let fx: Fixture =
        toml::from_str(&text).map_err(|e| Failure(format!("{}: {e}", file.display())))?;
    let start = Utc.from_utc_datetime(&fx.start_date.and_hms_opt(1, 0, 0).expect("valid time"));
    let clock = Arc::new(FixedClock::new(start));
    let app = super::open_app(url, workflows, clock.clone()).await?;
    {
        let mut tx = app.store.read().await?;
        if crate::store::users::count(&mut tx).await? > 0 {
            if print {
                return Err(Failure(format!(
                    "{url} already holds data; the demo never touches such a database"
                )));
            }
            eprintln!(
                "demo database {url} already exists; its tokens were printed when it was built (only hashes are stored)"
            );
            return Ok(Vec::new());
        }
    }
    let say = |m: String| {
        if print {
            println!("{m}");
        }
    };
    let mut tokens = Vec::new();
    let mut users = std::collections::BTreeMap::new();
    // The demo's clock starts at the fixture's date; its tokens work for the usual term from
    // today, when the demo is served.
    let days = crate::app::users::TOKEN_DAYS
        + (crate::app::Clock::now(&crate::app::SystemClock) - start)
            .num_days()
            .max(0);
    for (name, role, org) in [
        ("admin", Role::Admin, None),
        ("住建局-王科长", Role::HousingBureau, None),
        ("自然资源局-李工", Role::NaturalResources, None),
        ("城投安居公司-张经理", Role::Acquirer, None),
        ("领导组办公室-陈主任", Role::LeadingGroup, None),
        ("县政府办-刘秘书长", Role::Government, None),
        ("财政局-赵会计", Role::FinanceBureau, None),
        (
            "评估所-周评估师",
            Role::Appraiser,
            Some("安徽中信房地产评估有限公司"),
        ),
        ("审计局-孙审计", Role::Supervisor, None),
    ] {
        let c = crate::app::users::create_user(&app, None, name, role, org, days).await?;
        tokens.push((c.user.name.clone(), role.key().to_string(), c.token));
        users.insert(role.key().to_string(), c.user);
    }
    let mut devs = Vec::new();
    for (i, l) in fx.listing.iter().enumerate() {
        let c = crate::app::users::create_user(
            &app,
            None,
            &format!("开发商{}", i + 1),
            Role::Developer,
            Some(&l.developer),
            days,
        )
        .await?;
        tokens.push((c.user.name.clone(), "developer".into(), c.token));
        devs.push(c.user);
    }
    let u = |k: &str| users.get(k).cloned().expect("demo user");
    let hb = u("housing_bureau");

    let (_, round) = app
        .create_round(
            &hb,
            None,
            NewRound {
                pack: fx.pack.clone(),
                name: fx.round_name.clone(),
            },
        )
        .await?;
    say(format!(
        "收购批次 #{} {}：{}",
        round.id, fx.round_name, round.state_label
    ));
    let (_, round) = app
        .add_survey_returns(&hb, None, round.id, fx.survey.clone())
        .await?;
    say(format!("  录入需求摸底 {} 条", fx.survey.len()));
    let round = act(
        &app,
        &hb,
        round.id,
        round.version,
        "open_solicitation",
        None,
        serde_json::Value::Null,
    )
    .await?;
    say(format!("  发布征集公告 → {}", round.state_label));

    let mut listing_ids = Vec::new();
    for (l, dev) in fx.listing.iter().zip(&devs) {
        let (_, v) = app
            .create_listing(
                dev,
                None,
                round.id,
                NewListing {
                    project_name: l.project_name.clone(),
                    address: l.address.clone(),
                    construction_state: l.construction_state,
                    topped_out: true,
                    in_delivery_campaign: false,
                    delivery_date: None,
                    offer_scope: l.offer_scope,
                    decoration: l.decoration.clone(),
                },
            )
            .await?;
        say(format!(
            "备选房源 #{} {}（{}）",
            v.id, l.project_name, l.developer
        ));
        let units = units_of(l)?;
        for kind in app.pack(&fx.pack)?.required_documents() {
            let (bytes, name) = if kind == "unit_list" {
                (
                    crate::excel::unit_list::write_unit_list(&units)
                        .map_err(|e| Failure(e.to_string()))?,
                    "楼盘表.xlsx".to_string(),
                )
            } else {
                (
                    format!("{} — {} (demo scan)", l.project_name, kind).into_bytes(),
                    format!("{kind}.pdf"),
                )
            };
            app.upload_document(dev, None, v.id, &kind, &name, "application/pdf", bytes)
                .await?;
        }
        say(format!("  上传申报材料齐全，楼盘表 {} 套", units.len()));
        let v = app.instance_view(dev, v.id).await?;
        let v = act(
            &app,
            dev,
            v.id,
            v.version,
            "submit_for_review",
            None,
            serde_json::Value::Null,
        )
        .await?;
        say(format!("  提交审查 → {}", v.state_label));
        listing_ids.push((v.id, l.outcome.clone(), dev.clone()));
    }

    let nr = u("natural_resources");
    let mut in_pool = Vec::new();
    for (id, outcome, dev) in &listing_ids {
        let v = app.instance_view(&nr, *id).await?;
        let v = act(
            &app,
            &nr,
            *id,
            v.version,
            "sign_off_title",
            Some("不动产登记信息核查：产权清晰"),
            serde_json::json!({ "clear": true }),
        )
        .await?;
        let v = app.instance_view(&hb, v.id).await?;
        if outcome == "rejected" {
            let v = act(
                &app,
                &hb,
                *id,
                v.version,
                "reject",
                Some("单套面积超过120㎡，且非整栋整单元，不符合第四条"),
                serde_json::Value::Null,
            )
            .await?;
            say(format!("#{id} 审查不通过 → {}", v.state_label));
            continue;
        }
        let v = act(
            &app,
            &hb,
            *id,
            v.version,
            "pass_review",
            Some("经审查：非豪宅、非大户型（HS-A4.2）"),
            serde_json::json!({ "findings": { "no_luxury": true, "little_work_left": true } }),
        )
        .await?;
        say(format!(
            "#{id} 审查通过 → {}，{}：{}",
            v.state_label,
            v.deadline
                .as_ref()
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            v.deadline
                .as_ref()
                .map(|d| d.due.to_string())
                .unwrap_or_default()
        ));
        in_pool.push((*id, outcome.clone(), dev.clone(), v.deadline.map(|d| d.due)));
    }
    // The publicity period ends; move the clock to the day after its last day.
    if let Some(due) = in_pool.iter().filter_map(|x| x.3).max() {
        clock.set(
            Utc.from_utc_datetime(
                &(due + Duration::days(1))
                    .and_hms_opt(1, 0, 0)
                    .expect("valid time"),
            ),
        );
        say(format!(
            "—— 时间推进到 {}（公示期满次日）——",
            due + Duration::days(1)
        ));
    }
    let acq = u("acquirer");
    let lg = u("leading_group");
    let appraiser = u("appraiser");
    let gov = u("government");
    // HS-A3 (Huoshan measures art. 3): the county government designates the acquirer.
    let designated = app
        .designate_acquirer(
            &gov,
            "huoshan",
            crate::app::acquirers::AcquirerInput {
                name: acq
                    .org
                    .clone()
                    .unwrap_or_else(|| "霍山县安居投资有限公司".into()),
                financing_platform: false,
                decision_ref: "县政府常务会议纪要〔2026〕12号".into(),
            },
        )
        .await?;
    say(format!(
        "县政府确定收购主体：{}（{}）",
        designated.name, designated.decision_ref
    ));
    for (id, outcome, dev, _) in &in_pool {
        let v = app.instance_view(&hb, *id).await?;
        let v = act(
            &app,
            &hb,
            *id,
            v.version,
            "enter_pool",
            None,
            serde_json::Value::Null,
        )
        .await?;
        say(format!("#{id} 公示期满无异议 → {}", v.state_label));
        if outcome == "withdrawn" {
            let d = app.instance_view(dev, *id).await?;
            let d = act(
                &app,
                dev,
                *id,
                d.version,
                "request_withdrawal",
                Some("企业资金安排调整，申请退出储备库"),
                serde_json::Value::Null,
            )
            .await?;
            // HS-A9: one month's notice from the request (Civil Code arts. 201–203).
            let due = crate::domain::calendar::due_date(
                &app.calendar(),
                app.today(),
                1,
                crate::domain::calendar::DeadlineUnit::Months,
            )
            .map_err(|e| Failure(e.to_string()))?;
            say(format!(
                "#{id} 开发企业申请退出（{}），提前一个月申请，通知期至 {due}",
                d.state_label
            ));
            clock.set(
                Utc.from_utc_datetime(
                    &(due + Duration::days(1))
                        .and_hms_opt(1, 0, 0)
                        .expect("valid time"),
                ),
            );
            app.upload_document(
                &hb,
                None,
                *id,
                "withdrawal_consent",
                "同意退出函.pdf",
                "application/pdf",
                b"demo consent".to_vec(),
            )
            .await?;
            let v = app.instance_view(&hb, *id).await?;
            let v = act(
                &app,
                &hb,
                *id,
                v.version,
                "consent_withdrawal",
                Some("同意退出"),
                serde_json::Value::Null,
            )
            .await?;
            say(format!("#{id} 通知期满并书面同意 → {}", v.state_label));
            continue;
        }
        let v = act(
            &app,
            &hb,
            *id,
            v.version,
            "commission_valuation",
            None,
            serde_json::Value::Null,
        )
        .await?;
        let today = app.today();
        let (_, report) = app
            .upload_document(
                &appraiser,
                None,
                *id,
                "valuation_report",
                "评估报告.pdf",
                "application/pdf",
                b"demo valuation report".to_vec(),
            )
            .await?;
        let (_, val) = app
            .record_valuation(
                &appraiser,
                None,
                *id,
                ValuationInput {
                    land_per_m2: DecimalText("1200".into()),
                    construction_per_m2: DecimalText("2600".into()),
                    profit_rate: DecimalText("0.05".into()),
                    market_price_per_m2: DecimalText("5200".into()),
                    market_rent_per_m2: DecimalText("14.50".into()),
                    appraiser_org: "安徽中信房地产评估有限公司".into(),
                    report_date: today,
                    report_document_id: report.document.id,
                    cost_basis: None,
                },
            )
            .await?;
        say(format!(
            "#{id} 评估：重置价上限 {} 元/㎡，合计 {} 元（{}）",
            val.ceiling_per_m2, val.ceiling_total, v.state_label
        ));
        let v = app.instance_view(&hb, *id).await?;
        let v = act(
            &app,
            &hb,
            *id,
            v.version,
            "start_negotiation",
            None,
            serde_json::Value::Null,
        )
        .await?;
        // HS-A7.5: rounds of asking prices and offers, each against the ceiling.
        use crate::app::negotiation::{Basis, OfferInput};
        for (who, amount, note) in [
            (dev, "4200.00", "首轮报价"),
            (&acq, "3700.00", "按评估上限和市场情况出价"),
            (dev, "3950.00", "第二轮报价"),
            (&acq, "3850.00", "最终出价"),
        ] {
            let (_, o) = app
                .make_offer(
                    who,
                    None,
                    *id,
                    OfferInput {
                        basis: Basis::PerM2,
                        amount: DecimalText(amount.into()),
                        note: Some(note.into()),
                    },
                )
                .await?;
            say(format!(
                "#{id} {}：{} 元/㎡（上限 {}{}）",
                if o.side == "ask" {
                    "开发企业报价"
                } else {
                    "收购方出价"
                },
                o.per_m2,
                o.ceiling_per_m2,
                if o.above_ceiling { "，超上限" } else { "" }
            ));
        }
        let v = app.instance_view(&acq, v.id).await?;
        let v = act(
            &app,
            &acq,
            *id,
            v.version,
            "submit_result",
            Some("协商一致"),
            serde_json::json!({ "price_per_m2": "3850.00" }),
        )
        .await?;
        say(format!("#{id} 洽谈价 3850.00 元/㎡ → {}", v.state_label));
        let v = app.instance_view(&lg, *id).await?;
        let v = act(
            &app,
            &lg,
            *id,
            v.version,
            "approve",
            Some("同意按洽谈价收购"),
            serde_json::Value::Null,
        )
        .await?;
        say(format!("#{id} 领导组研究确定 → {}", v.state_label));
        app.upload_document(
            &acq,
            None,
            *id,
            "agreement",
            "收购协议.pdf",
            "application/pdf",
            b"demo agreement".to_vec(),
        )
        .await?;
        let v = app.instance_view(&acq, *id).await?;
        let v = act(
            &app,
            &acq,
            *id,
            v.version,
            "sign",
            None,
            serde_json::Value::Null,
        )
        .await?;
        say(format!("#{id} 签订收购协议 → {}", v.state_label));
        app.upload_document(
            &acq,
            None,
            *id,
            "legal_formalities",
            "不动产登记.pdf",
            "application/pdf",
            b"demo registration".to_vec(),
        )
        .await?;
        let v = app.instance_view(&acq, *id).await?;
        let v = act(
            &app,
            &acq,
            *id,
            v.version,
            "file",
            None,
            serde_json::Value::Null,
        )
        .await?;
        say(format!("#{id} 报领导组备案 → {}", v.state_label));
        // HS-A6: the acquiring company lets the units, all but the last, which houses a
        // household moved out of a village being redeveloped.
        let (_, reg) = app
            .set_unit_uses(
                &acq,
                None,
                *id,
                crate::app::rents::UseSetting {
                    use_kind: crate::app::rents::UseKind::Rental,
                    unit_ids: Vec::new(),
                    note: Some("保障性租赁住房".into()),
                },
            )
            .await?;
        if let Some(last) = reg.units.last() {
            app.set_unit_uses(
                &acq,
                None,
                *id,
                crate::app::rents::UseSetting {
                    use_kind: crate::app::rents::UseKind::Resettlement,
                    unit_ids: vec![last.unit_id],
                    note: Some("城中村改造安置房".into()),
                },
            )
            .await?;
        }
        say(format!(
            "#{id} 登记房源用途（HS-A6）：{} 套配租，1 套安置",
            reg.units.len().saturating_sub(1)
        ));
        // HS-P8: the housing bureau proposes 90 % of the appraised market rent; the county
        // government approves, and only then does the rent bind.
        let (_, reg) = app
            .set_rents(
                &hb,
                None,
                *id,
                crate::app::rents::RentSetting {
                    kind: crate::app::rents::RentKind::Initial,
                    effective_date: app.today(),
                    ratio: None,
                    rent_per_m2: None,
                    unit_ids: Vec::new(),
                    exception_id: None,
                    note: Some("按评估市场租金的90%初次定价".into()),
                },
            )
            .await?;
        let proposal = reg
            .proposals
            .last()
            .map(|p| p.id)
            .ok_or_else(|| Failure("rent proposal missing".into()))?;
        app.decide_proposal(
            &gov,
            None,
            proposal,
            crate::app::proposals::ProposalDecision {
                approved: true,
                decision_ref: "霍政秘〔2026〕45号".into(),
                comment: Some("同意按评估市场租金的90%执行".into()),
            },
        )
        .await?;
        let reg = app.rent_register(&hb, *id).await?;
        say(format!(
            "#{id} 初次租金（HS-P8）：住建局拟定、县政府批准，{} 套配租房源，月租金合计 {} 元",
            reg.units.iter().filter(|u| u.rent_per_m2.is_some()).count(),
            reg.monthly_total
        ));
        fund_and_pay(&app, &acq, round.id, *id, &say).await?;
    }
    if print {
        println!("\ndemo users (tokens shown once; sign in at http://127.0.0.1:8080/):");
        for (name, role, token) in &tokens {
            println!("  {role:<18} {name:<12} {token}");
        }
    }
    app.store.close().await;
    Ok(tokens)
}

async fn act(
    app: &App,
    who: &User,
    id: i64,
    version: i64,
    action: &str,
    comment: Option<&str>,
    payload: serde_json::Value,
) -> Result<crate::app::views::InstanceView, Failure> {
    let req = ActionRequest {
        expected_version: version,
        comment: comment.map(str::to_string),
        payload,
    };
    Ok(app.act(who, None, id, action, req).await?.1)
}

fn units_of(l: &DemoListing) -> Result<Vec<UnitRow>, Failure> {
    let mut out = Vec::new();
    for su in &l.stair_units {
        for floor in 2..=l.top_floor {
            for (i, a) in l.areas.iter().enumerate() {
                let gross = AreaM2::new(
                    "area",
                    parse_decimal("area", a).map_err(|e| Failure(e.to_string()))?,
                )
                .map_err(|e| Failure(e.to_string()))?;
                let usable = AreaM2::new(
                    "area",
                    (gross.value() * rust_decimal::Decimal::new(80, 2)).round_dp(2),
                )
                .map_err(|e| Failure(e.to_string()))?;
                out.push(UnitRow {
                    building: l.building.clone(),
                    stair_unit: su.clone(),
                    floor,
                    room: format!("{}{:02}", floor, i + 1),
                    layout: if gross.value() > rust_decimal::Decimal::from(90) {
                        "三室两厅".into()
                    } else {
                        "两室两厅".into()
                    },
                    gross_area_m2: gross,
                    usable_area_m2: usable,
                    orientation: "南北".into(),
                    mortgaged: false,
                    seized: false,
                });
            }
        }
    }
    Ok(out)
}

/// HS-F3 / HS-F4: the round's special-bond fund receives its bond money and pays the first
/// installment (30 %) of the filed listing's final price into the listing's escrow account.
async fn fund_and_pay(
    app: &App,
    acq: &User,
    round_id: i64,
    listing_id: i64,
    say: &impl Fn(String),
) -> Result<(), Failure> {
    use crate::app::flow::DecimalText;
    use crate::app::ledger::{InstallmentInput, LineInput, NewAccount, NewEntry, ScheduleInput};
    use crate::domain::ledger::{AccountKind, EntryKind, FundSource};
    let project = format!("R{round_id}");
    let fund = format!("Assets:Fund:{project}:SpecialBond:Acquisition");
    let source = format!("Liabilities:Source:{project}:SpecialBond");
    let escrow = format!("Assets:Escrow:L{listing_id}");
    for (name, kind, p, src, l, label, purpose) in [
        (
            &fund,
            AccountKind::Fund,
            Some(project.clone()),
            Some(FundSource::SpecialBond),
            None,
            "专项债券收购资金专户",
            Some("acquisition"),
        ),
        (
            &source,
            AccountKind::Source,
            Some(project.clone()),
            Some(FundSource::SpecialBond),
            None,
            "专项债券",
            None,
        ),
        (
            &escrow,
            AccountKind::Escrow,
            Some(project.clone()),
            None,
            Some(listing_id),
            "开发企业预售资金监管账户",
            None,
        ),
    ] {
        app.open_account(
            acq,
            NewAccount {
                name: name.clone(),
                kind,
                project: p,
                source: src,
                label: label.into(),
                listing_id: l,
                purpose: purpose.map(str::to_string),
            },
        )
        .await?;
    }
    let today = app.today();
    let line = |a: &str, m: String| LineInput {
        account: a.to_string(),
        amount: DecimalText(m),
    };
    app.post_entry(
        acq,
        NewEntry {
            key: format!("demo-bond-{project}"),
            date: today,
            kind: EntryKind::Receipt,
            memo: "专项债券资金到账".into(),
            approval: None,
            listing_id: None,
            consents: None,
            lines: vec![
                line(&fund, "50000000.00".into()),
                line(&source, "-50000000.00".into()),
            ],
            reverses: None,
        },
    )
    .await?;
    let schedule = app
        .set_payment_schedule(
            acq,
            listing_id,
            ScheduleInput {
                installments: vec![
                    InstallmentInput {
                        due_date: today,
                        share: DecimalText("0.3".into()),
                    },
                    InstallmentInput {
                        due_date: today + chrono::Duration::days(180),
                        share: DecimalText("0.7".into()),
                    },
                ],
                decision: None,
                reason: None,
            },
        )
        .await?;
    let first = schedule.installments[0].amount;
    let (_, e) = app
        .post_entry(
            acq,
            NewEntry {
                key: format!("demo-pay-L{listing_id}-1"),
                date: today,
                kind: EntryKind::Payment,
                memo: "按收购协议支付首期款至预售资金监管账户".into(),
                approval: None,
                listing_id: Some(listing_id),
                consents: None,
                lines: vec![
                    line(&escrow, first.to_string()),
                    line(&fund, format!("-{first}")),
                ],
                reverses: None,
            },
        )
        .await?;
    say(format!(
        "#{listing_id} 专项债券 5000万元到账；首期款 {first} 元（协议价 {} 元的30%）付入预售资金监管账户（HS-F4），记账第 {} 笔",
        schedule.total, e.seq
    ));
    // HS-F7: the bank's statement of the fund account, reconciled against the book.
    let statement = format!(
        "交易日期,金额,参考号,摘要\n{today},50000000.00,demo-bond-{project},专项债券资金\n{today},-{first},转账,支付首期款\n"
    );
    let imported = app
        .import_statement(acq, &fund, statement.into_bytes())
        .await?;
    let matches = app.auto_reconcile(acq, &fund).await?;
    let r = app.reconciliation(acq, &fund, today).await?;
    say(format!(
        "银行对账单 {} 笔导入，自动匹配 {} 组；账面 {} 元、银行 {} 元，{}（HS-F7）",
        imported.lines,
        matches.len(),
        r.book_balance,
        r.bank_balance,
        if r.fully_reconciled {
            "账实相符"
        } else {
            "存在未达账项"
        }
    ));
    Ok(())
}
