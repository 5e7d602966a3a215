//! Ring-fenced fund ledgers (issue 5, first part): HS-F3 ring-fence and non-negative funds,
//! balanced entries, replays, tamper evidence, trial balance and exports.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const BOND: &str = "Assets:Fund:R1:SpecialBond:Acquisition";
pub const LOAN: &str = "Assets:Fund:R1:ProjectLoan:Acquisition";
pub const BOND2: &str = "Assets:Fund:R2:SpecialBond:Acquisition";
pub const SRC_BOND: &str = "Liabilities:Source:R1:SpecialBond";
pub const SRC_LOAN: &str = "Liabilities:Source:R1:ProjectLoan";
pub const SRC_BOND2: &str = "Liabilities:Source:R2:SpecialBond";
/// HS-F5: an operating use (maintenance), outside any project's fund.
pub const MAINTENANCE: &str = "Expenses:Maintenance";

/// The day the tests' books are kept on: the entries they post are dated 2026-11-02 to
/// 2026-11-12, none ahead of it and none more than 31 days behind it (HS-F6).
pub const BOOK_DAY: &str = "2026-11-30";

/// The leading group records a decision, to be cited by its number (HS-F3, HS-F4).
pub async fn decide(t: &TestApp, number: &str) {
    let (s, v) = t
        .post(
            "leading_group",
            "/api/ledger/decisions",
            json!({ "number": number, "decided_on": "2026-11-01", "subject": "资金调剂" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

pub async fn open_books(t: &TestApp) {
    t.set_today(date(BOOK_DAY));
    for (name, kind, project, source) in [
        (BOND, "fund", Some("R1"), Some("special_bond")),
        (LOAN, "fund", Some("R1"), Some("project_loan")),
        (BOND2, "fund", Some("R2"), Some("special_bond")),
        (SRC_BOND, "source", Some("R1"), Some("special_bond")),
        (SRC_LOAN, "source", Some("R1"), Some("project_loan")),
        (SRC_BOND2, "source", Some("R2"), Some("special_bond")),
        (MAINTENANCE, "expense", None, None),
    ] {
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/accounts",
                json!({ "name": name, "kind": kind, "project": project, "source": source, "label": name }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

/// The books opened, and three receipts of 1,000.00 into R1's special-bond fund (entries 1–3).
async fn three_receipts(t: &TestApp) {
    open_books(t).await;
    for i in 1..=3 {
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    &format!("r{i}"),
                    "receipt",
                    &[(BOND, "1000.00"), (SRC_BOND, "-1000.00")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

pub fn entry(key: &str, kind: &str, lines: &[(&str, &str)]) -> Value {
    json!({
        "key": key, "date": "2026-11-02", "kind": kind, "memo": format!("{key} 测试"),
        "lines": lines.iter().map(|(a, m)| json!({ "account": a, "amount": m })).collect::<Vec<_>>()
    })
}

pub async fn count(t: &TestApp) -> usize {
    let (_, e) = t.get("finance_bureau", "/api/ledger/entries").await;
    e.as_array().unwrap().len()
}

on_both!(
    hs_f3_ring_fence_balanced_entries_and_replays,
    |t: TestApp| async move {
        open_books(&t).await;
        // Bond proceeds: 50,000,000.00 into R1's special-bond fund; loan 10,000,000.00.
        let receipt = entry(
            "bond-1",
            "receipt",
            &[(BOND, "50000000.00"), (SRC_BOND, "-50000000.00")],
        );
        let (s, e) = t
            .post("acquirer", "/api/ledger/entries", receipt.clone())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        assert_eq!(e["seq"], 1);
        let (s, _) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "loan-1",
                    "receipt",
                    &[(LOAN, "10000000"), (SRC_LOAN, "-10000000")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        // A replay answers the first entry and posts nothing; the same key with other content is refused.
        let (s, again) = t.post("acquirer", "/api/ledger/entries", receipt).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(again["hash"], e["hash"]);
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry("bond-1", "receipt", &[(BOND, "1"), (SRC_BOND, "-1")]),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(count(&t).await, 2);
        // HS-F4's first payment into escrow: 30,000,000.00 out of the bond fund.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "pay-1",
                    "payment",
                    &[(MAINTENANCE, "30000000.00"), (BOND, "-30000000.00")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // 20,000,000.01 more would take the fund to −0.01: refused, nothing posted.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "pay-2",
                    "payment",
                    &[(MAINTENANCE, "20000000.01"), (BOND, "-20000000.01")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "overdrawn");
        assert_eq!(v["rule"], "HS-F3");
        // Between projects, between sources: refused…
        for (key, lines) in [
            ("x-proj", [(BOND2, "100"), (BOND, "-100")]),
            ("x-src", [(LOAN, "100"), (BOND, "-100")]),
        ] {
            let (s, v) = t
                .post(
                    "acquirer",
                    "/api/ledger/entries",
                    entry(key, "payment", &lines),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["code"], "ring_fence");
        }
        // …a reallocation is the leading group's, with its decision cited.
        let (s, _) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry("re-1", "reallocation", &[(LOAN, "100"), (BOND, "-100")]),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let mut re = entry("re-1", "reallocation", &[(LOAN, "100"), (BOND, "-100")]);
        let (s, v) = t
            .post("leading_group", "/api/ledger/entries", re.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        re["approval"] = json!("领导组会议纪要〔2026〕7号");
        decide(&t, "领导组会议纪要〔2026〕7号").await;
        let (s, v) = t.post("leading_group", "/api/ledger/entries", re).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // Bad input: unbalanced, unknown account, text in the amount, sub-fen precision.
        for (body, code) in [
            (
                entry("u", "receipt", &[(BOND, "100.00"), (SRC_BOND, "-99.99")]),
                "unbalanced",
            ),
            (
                entry(
                    "u",
                    "receipt",
                    &[("Assets:Fund:R9:Other:X", "1"), (SRC_BOND, "-1")],
                ),
                "unknown_account",
            ),
            (
                entry("u", "receipt", &[(BOND, "一百"), (SRC_BOND, "-100")]),
                "invalid_input",
            ),
            (
                entry("u", "receipt", &[(BOND, "0.001"), (SRC_BOND, "-0.001")]),
                "invalid_input",
            ),
        ] {
            let (s, v) = t.post("acquirer", "/api/ledger/entries", body).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["code"], code, "{v}");
        }
        assert_eq!(count(&t).await, 4);
        // A batch is all or nothing: its second entry would overdraw the loan fund.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/batches",
                json!({ "entries": [
                    entry("b-1", "receipt", &[(LOAN, "5.00"), (SRC_LOAN, "-5.00")]),
                    entry("b-2", "payment", &[(MAINTENANCE, "10000105.01"), (LOAN, "-10000105.01")]),
                ] }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "overdrawn");
        assert!(
            v["detail"].as_str().unwrap().contains("entry 1 (b-2)"),
            "{v}"
        );
        assert_eq!(count(&t).await, 4, "nothing of the batch was posted");
        // Trial balance: funds 19,999,900.00 and 10,000,100.00; escrow 30,000,000.00; sums to zero.
        let (_, tb) = t.get("finance_bureau", "/api/ledger/trial-balance").await;
        let bal = |a: &str| {
            tb.as_array()
                .unwrap()
                .iter()
                .find(|r| r["account"] == a)
                .unwrap()["balance"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(bal(BOND), "19999900.00");
        assert_eq!(bal(LOAN), "10000100.00");
        assert_eq!(bal(MAINTENANCE), "30000000.00");
        let total: rust_decimal::Decimal = tb
            .as_array()
            .unwrap()
            .iter()
            .map(|r| dec(r["balance"].as_str().unwrap()))
            .sum();
        assert_eq!(total, rust_decimal::Decimal::ZERO);
        // Developers read no ledger.
        let (s, _) = t.get("developer", "/api/ledger/entries").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = t.get("developer", "/api/ledger/verify").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Exports name the same accounts.
        let r = reqwest::Client::new()
            .get(format!("{}/api/ledger/export?format=hledger", t.base))
            .bearer_auth(t.token("finance_bureau"))
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(
            text.contains(&format!("  {BOND}  -30000000.00 CNY")),
            "{text}"
        );
    }
);

on_both!(
    hs_a5_every_fund_account_names_one_of_the_four_fund_sources,
    |t: TestApp| async move {
        // HS-A5: special bonds (专项债), project financing and loans, fiscal and higher-level
        // subsidies, other. Each fund and source account names one, and only one of these.
        let open = |name: &str, source: Value| json!({ "name": name, "kind": "fund", "project": "R9", "source": source, "label": name });
        for (name, source) in [
            ("Assets:Fund:R9:SpecialBond", "special_bond"),
            ("Assets:Fund:R9:ProjectLoan", "project_loan"),
            ("Assets:Fund:R9:FiscalSubsidy", "fiscal_subsidy"),
            ("Assets:Fund:R9:Other", "other"),
        ] {
            let (s, v) = t
                .post(
                    "acquirer",
                    "/api/ledger/accounts",
                    open(name, json!(source)),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{source}: {v}");
            assert_eq!(v["source"], source);
        }
        // Money of no named source, or of none at all, has no fund account.
        let (s, _) = t
            .post(
                "acquirer",
                "/api/ledger/accounts",
                open("Assets:Fund:R9:Crowd", json!("crowdfunding")),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = t
            .post(
                "acquirer",
                "/api/ledger/accounts",
                open("Assets:Fund:R9:Unknown", Value::Null),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, all) = t.get("finance_bureau", "/api/ledger/accounts").await;
        let r9: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["project"] == "R9")
            .map(|a| a["source"].as_str().unwrap())
            .collect();
        assert_eq!(r9.len(), 4, "the refused accounts were not created: {all}");
    }
);

on_both!(
    hs_f6_a_stored_running_balance_that_disagrees_with_its_lines_fails_verification,
    |t: TestApp| async move {
        three_receipts(&t).await;
        // The trial balance reads the stored running balances; the chain does not cover them.
        // Entry 2's are raised by one fen, its amounts and the hash chain left alone.
        let unlock = match t.backend {
            Backend::Sqlite => "DROP TRIGGER ledger_lines_no_update",
            Backend::Postgres => {
                "ALTER TABLE ledger_lines DISABLE TRIGGER ledger_lines_append_only"
            }
        };
        t.raw_sql(&[
            unlock,
            "UPDATE ledger_lines SET balance_after_fen = balance_after_fen + 1 WHERE seq = 2",
        ])
        .await;
        let (_, v) = t.get("supervisor", "/api/ledger/verify").await;
        assert_eq!(v["ok"], false, "{v}");
        assert_eq!(v["broken_at"], 2, "{v}");
        let reason = v["reason"].as_str().unwrap();
        assert!(reason.contains("running balance"), "{reason}");
        assert!(
            reason.contains("200001 fen") && reason.contains("sum to 200000"),
            "{reason}"
        );
    }
);

on_both!(
    hs_f6_any_changed_byte_in_a_stored_entry_fails_verification,
    |t: TestApp| async move {
        three_receipts(&t).await;
        let (_, v) = t.get("supervisor", "/api/ledger/verify").await;
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["entries"], 3);
        // Someone with database access edits entry 2's amount on both of its lines, keeping it balanced.
        let sql = ["UPDATE ledger_lines SET amount_fen = amount_fen * 10 WHERE seq = 2"];
        match t.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
                sqlx::query("DROP TRIGGER ledger_lines_no_update")
                    .execute(&pool)
                    .await
                    .unwrap();
                for s in sql {
                    sqlx::query(s).execute(&pool).await.unwrap();
                }
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
                sqlx::query("ALTER TABLE ledger_lines DISABLE TRIGGER ledger_lines_append_only")
                    .execute(&pool)
                    .await
                    .unwrap();
                for s in sql {
                    sqlx::query(s).execute(&pool).await.unwrap();
                }
            }
        }
        let (_, v) = t.get("supervisor", "/api/ledger/verify").await;
        assert_eq!(v["ok"], false, "{v}");
        assert_eq!(v["broken_at"], 2, "{v}");
        // 账账相符 catches it too: the sub-ledgers' running balances no longer sum to the journal.
        let (_, s) = t.get("finance_bureau", "/api/ledger/subledgers").await;
        let r1 = s
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["project"] == "R1" && g["source"] == "special_bond")
            .unwrap();
        assert_eq!(r1["agrees"], false, "{s}");
        assert_eq!(r1["subledger_total"], "3000.00", "{s}");
        assert_eq!(r1["control_total"], "12000.00", "{s}");
        let r2 = s
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["project"] == "R2")
            .unwrap();
        assert_eq!(r2["agrees"], true, "{s}");
    }
);

pub fn anju(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_anju"))
        .args([
            "--workflows",
            manifest().join("workflows").to_str().unwrap(),
        ])
        .args(args)
        .output()
        .expect("anju runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `anju ledger verify|checkpoint|trial-balance|export` against a SQLite ledger: a checkpoint
/// catches a truncated tail that the chain alone cannot; hledger's balances of the export equal
/// the trial balance (hledger is a Debian package `.ci/run` installs; under CI its absence fails).
#[tokio::test]
async fn hs_f7_cli_checkpoint_catches_truncation_and_hledger_agrees_with_the_trial_balance() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    open_books(&t).await;
    // A generated journal: receipts into both projects' funds and payments out of them.
    let mut n = 0;
    for i in 0..120u64 {
        let amt = format!("{}.{:02}", 1000 + (i * 7919) % 50_000, (i * 37) % 100);
        let (fund, src) = if i % 2 == 0 {
            (BOND, SRC_BOND)
        } else {
            (BOND2, SRC_BOND2)
        };
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    &format!("g{i}"),
                    "receipt",
                    &[(fund, &amt), (src, &format!("-{amt}"))],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        n += 1;
        if i % 3 == 0 {
            let pay = format!("{}.00", 100 + i);
            let (s, v) = t
                .post(
                    "acquirer",
                    "/api/ledger/entries",
                    entry(
                        &format!("p{i}"),
                        "payment",
                        &[(MAINTENANCE, &pay), (fund, &format!("-{pay}"))],
                    ),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            n += 1;
        }
    }
    let db = ["--database-url", t.url.as_str()];
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("checkpoint.json");
    let (code, _, err) = anju(
        &[
            &db[..],
            &["ledger", "checkpoint", "-o", cp.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = anju(
        &[
            &db[..],
            &["ledger", "verify", "--checkpoint", cp.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("\"entries\": {n}")), "{out}");

    // Trial balance as CSV, and hledger's balances of the export.
    let (code, csv_out, err) =
        anju(&[&db[..], &["ledger", "trial-balance", "--format", "csv"]].concat());
    assert_eq!(code, 0, "{err}");
    let mut ours = std::collections::BTreeMap::new();
    for (i, line) in csv_out.lines().enumerate() {
        let cols: Vec<&str> = line.split(',').collect();
        if i == 0 {
            assert_eq!(cols, ["account", "kind", "project", "source", "balance"]);
            continue;
        }
        ours.insert(cols[0].to_string(), dec(cols[4]));
    }
    let (code, journal, err) =
        anju(&[&db[..], &["ledger", "export", "--format", "hledger"]].concat());
    assert_eq!(code, 0, "{err}");
    let jf = dir.path().join("anju.journal");
    std::fs::write(&jf, &journal).unwrap();
    match std::process::Command::new("hledger")
        .args([
            "-f",
            jf.to_str().unwrap(),
            "balance",
            "--flat",
            "--no-total",
            "-O",
            "csv",
        ])
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let mut theirs = std::collections::BTreeMap::new();
            for line in text.lines().skip(1) {
                let cols: Vec<String> = line
                    .split("\",\"")
                    .map(|c| c.trim_matches('"').to_string())
                    .collect();
                let amount = cols[1].trim_end_matches(" CNY").replace(',', "");
                theirs.insert(cols[0].clone(), dec(&amount));
            }
            assert_eq!(theirs, ours, "hledger and anju disagree");
        }
        Err(e) => {
            assert!(std::env::var("CI").is_err(), "CI must have hledger: {e}");
            eprintln!("hledger not installed ({e}); its comparison runs in CI");
        }
    }

    // Someone truncates the tail: the chain that is left still verifies…
    let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
    for sql in [
        "DROP TRIGGER ledger_lines_no_delete",
        "DROP TRIGGER ledger_entries_no_delete",
        "DELETE FROM ledger_lines WHERE seq > 100",
        "DELETE FROM ledger_entries WHERE seq > 100",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let (code, _, err) = anju(&[&db[..], &["ledger", "verify"]].concat());
    assert_eq!(code, 0, "{err}");
    // …but not against the checkpoint taken before.
    let (code, out, err) = anju(
        &[
            &db[..],
            &["ledger", "verify", "--checkpoint", cp.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("truncated"), "{err}");
}

on_both!(
    hs_f4_payments_only_into_the_listings_escrow_after_signing_by_schedule_within_the_price,
    |t: TestApp| async move {
        open_books(&t).await;
        let round = t.open_round().await;
        let early = t.listing_in_negotiation(round).await;
        let id = t.listing_filed(round).await;
        t.set_today(date(BOOK_DAY));
        let (_, n) = t
            .get("supervisor", &format!("/api/listings/{id}/negotiation"))
            .await;
        let price = dec(n["prices"].as_array().unwrap().last().unwrap()["total"]
            .as_str()
            .unwrap());
        let mine = format!("Assets:Escrow:Dev1:L{id}");
        let other = format!("Assets:Escrow:Dev1:L{early}");
        for (name, l) in [(&mine, id), (&other, early)] {
            let (s, v) = t
                .post("acquirer", "/api/ledger/accounts", json!({ "name": name, "kind": "escrow", "project": "R1", "listing_id": l, "label": "预售资金监管账户" }))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/accounts",
                json!({ "name": "Assets:Escrow:Nobody", "kind": "escrow", "label": "x" }),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an escrow account names its listing: {v}"
        );
        let (s, _) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "bond",
                    "receipt",
                    &[(BOND, "90000000"), (SRC_BOND, "-90000000")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let pay = |key: &str, date: &str, account: &str, listing: i64, amount: String| {
            let mut e = entry(
                key,
                "payment",
                &[(account, &amount), (BOND, &format!("-{amount}"))],
            );
            e["date"] = json!(date);
            e["listing_id"] = json!(listing);
            e
        };
        let thirty = (price * dec("0.3")).floor().to_string();
        // No schedule yet: refused.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                pay("p1", "2026-11-02", &mine, id, thirty.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "no_schedule");
        // The agreement: 30 % on signing, 70 % after filing and title transfer.
        let (s, sch) = t
            .post(
                "acquirer",
                &format!("/api/listings/{id}/payment-schedule"),
                json!({ "installments": [ { "due_date": "2026-11-01", "share": "0.3" }, { "due_date": "2027-06-01", "share": "0.7" } ] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{sch}");
        assert_eq!(dec(sch["total"].as_str().unwrap()), price);
        let first = dec(sch["installments"][0]["amount"].as_str().unwrap());
        assert_eq!(
            first,
            (price * dec("0.3")).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
        );
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                pay("p1", "2026-11-02", &mine, id, first.to_string()),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // One fen beyond what is due by that date: refused.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                pay("p2", "2026-11-03", &mine, id, "0.01".into()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "ahead_of_schedule");
        t.set_today(date("2027-06-03"));
        // Into another listing's escrow account on this listing's behalf: refused.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                pay("p3", "2027-06-02", &other, id, "1.00".into()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "wrong_escrow_account");
        assert_eq!(v["rule"], "HS-F4");
        // Before signing: refused.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                pay("p4", "2027-06-02", &other, early, "1.00".into()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "not_signed");
        // The rest when due; then not one fen beyond the agreed price.
        let rest = (price - first).to_string();
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                pay("p5", "2027-06-02", &mine, id, rest),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                pay("p6", "2027-06-03", &mine, id, "0.01".into()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "over_payment");
        // HS-F8: every refusal is on the exceptions report, with its rule.
        let (_, x) = t.get("finance_bureau", "/api/ledger/exceptions").await;
        let codes: Vec<&str> = x["refusals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            vec![
                "no_schedule",
                "ahead_of_schedule",
                "wrong_escrow_account",
                "not_signed",
                "over_payment"
            ]
        );
        assert!(
            x["refusals"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["rule"] == "HS-F4")
        );
    }
);

on_both!(
    hs_f7_statements_match_the_book_and_the_balances_agree,
    |t: TestApp| async move {
        open_books(&t).await;
        let post =
            |key: &'static str, date: &'static str, lines: Vec<(&'static str, &'static str)>| {
                let t = &t;
                async move {
                    let mut e = entry(
                        key,
                        if key.starts_with("bond") {
                            "receipt"
                        } else {
                            "payment"
                        },
                        &lines,
                    );
                    e["date"] = json!(date);
                    let (s, v) = t.post("acquirer", "/api/ledger/entries", e).await;
                    assert_eq!(s, StatusCode::CREATED, "{v}");
                }
            };
        post(
            "bond-1",
            "2026-11-02",
            vec![(BOND, "50000000.00"), (SRC_BOND, "-50000000.00")],
        )
        .await;
        post(
            "pay-x",
            "2026-11-03",
            vec![(MAINTENANCE, "1484868.00"), (BOND, "-1484868.00")],
        )
        .await;
        post(
            "sub-1",
            "2026-11-10",
            vec![(MAINTENANCE, "10000.00"), (BOND, "-10000.00")],
        )
        .await;
        post(
            "sub-2",
            "2026-11-10",
            vec![(MAINTENANCE, "20000.00"), (BOND, "-20000.00")],
        )
        .await;
        let send = |body: &'static str| {
            let t = &t;
            async move {
                let r = reqwest::Client::new()
                    .post(format!("{}/api/ledger/statements?account={BOND}", t.base))
                    .bearer_auth(t.token("acquirer"))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let s = r.status();
                (s, r.json::<Value>().await.unwrap())
            }
        };
        // Text in the amount column: refused with row and column, nothing imported.
        let (s, v) = send(
            "交易日期,金额,参考号,摘要\n2026-11-02,50000000.00,bond-1,\n2026-11-04,壹佰元,转账,\n",
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["row"], 3, "{v}");
        assert_eq!(v["errors"][0]["column"], "B", "{v}");
        let statement = "交易日期,金额,参考号,摘要\n2026-11-02,50000000.00,bond-1 到账,\n2026-11-04,-1484868.00,转账,\n2026-11-10,-30000.00,批量代发,\n2026-11-12,-50.00,手续费,\n";
        let (s, v) = send(statement).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["lines"], 4);
        let (s, v) = send(statement).await;
        assert_eq!(s, StatusCode::CONFLICT, "the same file twice: {v}");
        // Automatic matching: by reference, by amount and date (a day apart), and a bank batch.
        let (s, m) = t
            .post(
                "acquirer",
                &format!("/api/ledger/reconcile?account={BOND}"),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{m}");
        let rules: Vec<(&str, i64)> = m
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["rule"].as_str().unwrap(), x["score"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            rules,
            vec![("reference", 100), ("amount_date", 80), ("many_to_one", 70)]
        );
        let report = |upto: &'static str| {
            let t = &t;
            async move {
                let (s, r) = t
                    .get(
                        "finance_bureau",
                        &format!("/api/ledger/reconciliation?account={BOND}&upto={upto}"),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{r}");
                r
            }
        };
        // 账实相符 on 30 November: book 48,485,132.00; bank 48,485,082.00; the fee is on the statement only.
        let r = report("2026-11-30").await;
        assert_eq!(r["book_balance"], "48485132.00");
        assert_eq!(r["bank_balance"], "48485082.00");
        assert_eq!(r["unmatched_bank"].as_array().unwrap().len(), 1);
        assert_eq!(r["unmatched_bank"][0]["amount"], "-50.00");
        assert_eq!(r["agrees"], true);
        assert_eq!(r["fully_reconciled"], false);
        // Undo the amount-and-date match with a reason, then match it by hand; never twice.
        let second = m[1]["id"].as_i64().unwrap();
        let (s, u) = t
            .post(
                "acquirer",
                &format!("/api/ledger/matches/{second}/unmatch"),
                json!({ "reason": "核对凭证后重新匹配" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{u}");
        let r = report("2026-11-30").await;
        let bank_line = r["unmatched_bank"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["amount"] == "-1484868.00")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let book = &r["unmatched_book"][0];
        let body = json!({ "statement_line_ids": [bank_line], "book": [{ "seq": book["seq"], "line_no": book["line_no"] }], "note": "转账凭证 2026-11-04" });
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/ledger/matches?account={BOND}"),
                body.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/ledger/matches?account={BOND}"),
                body,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "already_matched");
        // The bank charge is booked; the next run matches it and the account is fully reconciled.
        post(
            "fee-1",
            "2026-11-12",
            vec![(MAINTENANCE, "50.00"), (BOND, "-50.00")],
        )
        .await;
        let (_, m) = t
            .post(
                "acquirer",
                &format!("/api/ledger/reconcile?account={BOND}"),
                Value::Null,
            )
            .await;
        assert_eq!(m.as_array().unwrap().len(), 1, "{m}");
        let r = report("2026-11-30").await;
        assert_eq!(r["fully_reconciled"], true, "{r}");
        // The match history keeps the undone match with its reason.
        let (_, h) = t
            .get("supervisor", &format!("/api/ledger/matches?account={BOND}"))
            .await;
        assert_eq!(h.as_array().unwrap().len(), 5);
        assert_eq!(h[1]["unmatched_reason"], "核对凭证后重新匹配");
    }
);

on_both!(
    hs_f6_project_workbook_traces_every_fen_from_source_to_use,
    |t: TestApp| async move {
        open_books(&t).await;
        for (key, kind, lines) in [
            (
                "bond",
                "receipt",
                vec![(BOND, "1000000.00"), (SRC_BOND, "-1000000.00")],
            ),
            (
                "loan",
                "receipt",
                vec![(LOAN, "500000.00"), (SRC_LOAN, "-500000.00")],
            ),
            (
                "maint",
                "payment",
                vec![(MAINTENANCE, "12345.67"), (BOND, "-12345.67")],
            ),
        ] {
            let (s, v) = t
                .post("acquirer", "/api/ledger/entries", entry(key, kind, &lines))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let mut re = entry(
            "re",
            "reallocation",
            &[(LOAN, "100000.00"), (BOND, "-100000.00")],
        );
        re["approval"] = json!("领导组会议纪要〔2026〕9号");
        decide(&t, "领导组会议纪要〔2026〕9号").await;
        let (s, v) = t.post("leading_group", "/api/ledger/entries", re).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, _) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry("divert", "payment", &[(BOND2, "1.00"), (BOND, "-1.00")]),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let r = reqwest::Client::new()
            .get(format!("{}/api/ledger/projects/R1/report.xlsx", t.base))
            .bearer_auth(t.token("finance_bureau"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap().to_vec();
        use calamine::{Data, Reader};
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let names = wb.sheet_names();
        assert_eq!(
            names,
            vec![
                "专项债券",
                "项目贷款",
                "试算平衡",
                "资金流向",
                "例外事项",
                "资产台账"
            ]
        );
        let num = |d: Option<&Data>| match d {
            Some(Data::Float(f)) => (f * 100.0).round() as i64,
            other => panic!("{other:?}"),
        };
        // Special bond: 1,000,000.00 − 12,345.67 − 100,000.00 = 887,654.33 closing.
        let bond = wb.worksheet_range("专项债券").unwrap();
        let last = bond.height() as u32 - 1;
        assert_eq!(num(bond.get_value((last, 7))), 88_765_433);
        // Every fen of the flow trace: Σ = 1,000,000 + 500,000 + 12,345.67 + 100,000.
        let flows = wb.worksheet_range("资金流向").unwrap();
        let total: i64 = (1..flows.height() as u32)
            .map(|r| num(flows.get_value((r, 4))))
            .sum();
        assert_eq!(total, 161_234_567);
        let ex = wb.worksheet_range("例外事项").unwrap();
        let text: Vec<String> = ex
            .rows()
            .flat_map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            .collect();
        assert!(text.iter().any(|c| c == "ring_fence"), "{text:?}");
        assert!(
            text.iter().any(|c| c.contains("领导组会议纪要〔2026〕9号")),
            "{text:?}"
        );
        let (s, _) = t
            .get("developer", "/api/ledger/projects/R1/report.xlsx")
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The same report as a page for the finance bureau, closing balance in capitals.
        let (s, page) = t.page("finance_bureau", "/ledger/projects/R1").await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            page.contains("887,654.33") && page.contains("捌拾捌万柒仟陆佰伍拾肆元叁角叁分"),
            "{page}"
        );
        assert!(
            page.contains("领导组会议纪要〔2026〕9号") && page.contains("ring_fence"),
            "{page}"
        );
    }
);

on_both!(
    hs_f5_operating_money_goes_only_to_its_uses,
    |t: TestApp| async move {
        t.set_today(date(BOOK_DAY));
        for (name, kind, project, source, purpose) in [
            (
                "Assets:Fund:R1:Other:Operation",
                "fund",
                Some("R1"),
                Some("other"),
                Some("operation"),
            ),
            (
                "Liabilities:Source:R1:Other",
                "source",
                Some("R1"),
                Some("other"),
                None,
            ),
            ("Income:R1:Rent", "income", Some("R1"), None, Some("rent")),
            (
                "Expenses:PropertyManagement",
                "expense",
                None,
                None,
                Some("property_management"),
            ),
            ("Expenses:Banquet", "expense", None, None, None),
        ] {
            let (s, v) = t
                .post("acquirer", "/api/ledger/accounts", json!({ "name": name, "kind": kind, "project": project, "source": source, "purpose": purpose, "label": name }))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let (s, v) = t
            .post("acquirer", "/api/ledger/accounts", json!({ "name": "Income:R1:Gift", "kind": "income", "project": "R1", "label": "x" }))
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an income account names its HS-F5 category: {v}"
        );
        const OPS: &str = "Assets:Fund:R1:Other:Operation";
        // Rent received (income category rent) funds operations; property management is a use…
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "rent-11",
                    "income",
                    &[(OPS, "16777.10"), ("Income:R1:Rent", "-16777.10")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "pm-11",
                    "payment",
                    &[
                        ("Expenses:PropertyManagement", "3200.00"),
                        (OPS, "-3200.00"),
                    ],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // …a banquet is not.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "party",
                    "payment",
                    &[("Expenses:Banquet", "800.00"), (OPS, "-800.00")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "wrong_use");
        assert_eq!(v["rule"], "HS-F5");
        // The finance bureau's pages: the ledger with its refusals, and an account's reconciliation.
        let (s, page) = t.page("finance_bureau", "/ledger").await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            page.contains("Expenses:PropertyManagement")
                && page.contains("wrong_use")
                && page.contains("完整"),
            "{page}"
        );
        let (s, page) = t
            .page(
                "finance_bureau",
                &format!("/ledger/reconciliation?account={OPS}&upto=2026-12-31"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            page.contains("13,577.10"),
            "book balance 16,777.10 − 3,200.00: {page}"
        );
        let (s, _) = t.page("developer", "/ledger").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);

on_both!(
    nc_20_a_nanchang_disbursement_needs_both_consents_and_the_progress,
    |t: TestApp| async move {
        open_books(&t).await;
        let round = t.open_round_in("nanchang").await;
        let id = t.listing_filed(round).await;
        t.set_today(date(BOOK_DAY));
        let escrow = format!("Assets:Escrow:L{id}");
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/accounts",
                json!({ "name": escrow, "kind": "escrow", "project": "R1", "listing_id": id, "label": "监管账户" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/listings/{id}/payment-schedule"),
                json!({ "installments": [ { "due_date": "2026-01-01", "share": "1" } ] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, _) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "bond",
                    "receipt",
                    &[(BOND, "9000000"), (SRC_BOND, "-9000000")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let mut pay = entry(
            "d1",
            "payment",
            &[(escrow.as_str(), "100000.00"), (BOND, "-100000.00")],
        );
        pay["listing_id"] = json!(id);
        let (s, v) = t.post("acquirer", "/api/ledger/entries", pay.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["rule"], "NC-20");
        pay["consents"] = json!({ "housing_department": "洪住建〔2026〕88号", "lender": "", "progress": "主体封顶" });
        let (s, v) = t.post("acquirer", "/api/ledger/entries", pay.clone()).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the lender's consent is missing: {v}"
        );
        pay["consents"]["lender"] = json!("农发行同意函2026-031");
        let (s, v) = t.post("acquirer", "/api/ledger/entries", pay).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["consents"]["lender"], "农发行同意函2026-031");
        // The consents are inside the hashed entry: the chain still verifies.
        let (_, r) = t.get("supervisor", "/api/ledger/verify").await;
        assert_eq!(r["ok"], true, "{r}");
    }
);

on_both!(
    yqm_16_escrow_release_keeps_15_percent_unless_a_recorded_decision_lowers_it_for_grade_a_or_b,
    |t: TestApp| async move {
        // Key supervised 10,000,000.00 with 8,000,000.00 retained in escrow: 15 % keeps
        // 1,500,000.00, so 6,500,000.00 may be released now.
        let body = |extra: Value| {
            let mut b = json!({ "policy": "yangquan", "key_supervised_amount": "10000000.00", "escrow_balance": "8000000.00", "grade_a_or_b": true });
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        let check = |b: Value| {
            let t = &t;
            async move {
                t.post("acquirer", "/api/ledger/escrow-release-check", b)
                    .await
            }
        };
        let (s, v) = check(body(json!({}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // Grade A or B alone lowers nothing: "可适当降低" is a discretion, not a right.
        assert_eq!(
            (
                v["result"]["retained_min"].as_str(),
                v["result"]["max_release_now"].as_str()
            ),
            (Some("1500000.00"), Some("6500000.00")),
            "{v}"
        );
        // A lowered retention cites a recorded decision.
        let (s, v) = check(body(json!({ "lowered_retention": "0.10" }))).await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("YQM-16")),
            "{v}"
        );
        let (s, v) = check(body(
            json!({ "lowered_retention": "0.10", "decision": "阳建〔2026〕9号" }),
        ))
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("no_such_decision")),
            "{v}"
        );
        let (s, v) = t
            .post("leading_group", "/api/ledger/decisions", json!({ "number": "阳建〔2026〕9号", "decided_on": t.clock_today(), "subject": "同意A级开发企业留存比例降至10%" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = check(body(
            json!({ "lowered_retention": "0.10", "decision": "阳建〔2026〕9号" }),
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (
                v["result"]["retained_min"].as_str(),
                v["result"]["max_release_now"].as_str()
            ),
            (Some("1000000.00"), Some("7000000.00")),
            "{v}"
        );
        // Never below 10 %; never for a developer not rated A or B.
        let (s, v) = check(body(
            json!({ "lowered_retention": "0.09", "decision": "阳建〔2026〕9号" }),
        ))
        .await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("YQM-16")),
            "{v}"
        );
        let (s, _) = check(body(json!({ "lowered_retention": "0.12", "decision": "阳建〔2026〕9号", "grade_a_or_b": false }))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // Huoshan's texts have no such rule.
        let (s, v) = check(body(json!({ "policy": "huoshan" }))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    }
);

/// Issue 5's audit check at full size: a generated journal of 100,000 transactions, exported for
/// hledger, whose balances hledger computes itself and which must equal `anju ledger
/// trial-balance` to the fen (hledger is a Debian package `.ci/run` installs).
#[tokio::test]
async fn hs_f6_hledger_agrees_with_the_trial_balance_on_100000_generated_transactions() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    open_books(&t).await;
    let (s, v) = t
        .post(
            "acquirer",
            "/api/ledger/accounts",
            json!({ "name": "Expenses:RentSubsidy", "kind": "expense", "label": "租金补贴" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A deterministic sequence: receipts into three funds, payments out of them that never
    // overdraw (each payment is at most a tenth of what came in before it).
    let funds = [(BOND, SRC_BOND), (LOAN, SRC_LOAN), (BOND2, SRC_BOND2)];
    let uses = [MAINTENANCE, "Expenses:RentSubsidy"];
    let mut x: u64 = 20261123;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    let client = reqwest::Client::new();
    let mut n = 0usize;
    let mut held = [0u64; 3];
    let yuan = |fen: u64| format!("{}.{:02}", fen / 100, fen % 100);
    for b in 0..200 {
        let mut entries = Vec::with_capacity(500);
        for i in 0..500 {
            let k = b * 500 + i;
            let f = (next() % 3) as usize;
            let (fund, src) = funds[f];
            let fen = 100 + next() % 10_000_000;
            let e = if i % 2 == 0 || held[f] < fen / 10 + 1 {
                held[f] += fen;
                let amount = yuan(fen);
                entry(
                    &format!("g{k}"),
                    "receipt",
                    &[(fund, &amount), (src, &format!("-{amount}"))],
                )
            } else {
                let out = fen / 10 + 1;
                held[f] -= out;
                let amount = yuan(out);
                let to = uses[(next() % 2) as usize];
                entry(
                    &format!("g{k}"),
                    "payment",
                    &[(to, &amount), (fund, &format!("-{amount}"))],
                )
            };
            entries.push(e);
        }
        let r = client
            .post(format!("{}/api/ledger/batches", t.base))
            .bearer_auth(t.token("acquirer"))
            .json(&json!({ "entries": entries }))
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert_eq!(
            status,
            StatusCode::CREATED,
            "batch {b}: {}",
            r.text().await.unwrap()
        );
        n += 500;
    }
    assert_eq!(n, 100_000);
    let db = ["--database-url", t.url.as_str()];
    let (code, csv_out, err) =
        anju(&[&db[..], &["ledger", "trial-balance", "--format", "csv"]].concat());
    assert_eq!(code, 0, "{err}");
    let mut ours = std::collections::BTreeMap::new();
    for line in csv_out.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        ours.insert(cols[0].to_string(), dec(cols[4]));
    }
    assert_eq!(ours.len(), 8, "{csv_out}");
    let (code, journal, err) =
        anju(&[&db[..], &["ledger", "export", "--format", "hledger"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        journal.matches(" CNY\n").count(),
        200_000,
        "two postings per transaction"
    );
    let dir = tempfile::tempdir().unwrap();
    let jf = dir.path().join("generated.journal");
    std::fs::write(&jf, &journal).unwrap();
    match std::process::Command::new("hledger")
        .args([
            "-f",
            jf.to_str().unwrap(),
            "balance",
            "--flat",
            "--no-total",
            "-O",
            "csv",
        ])
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let mut theirs = std::collections::BTreeMap::new();
            for line in text.lines().skip(1) {
                let cols: Vec<String> = line
                    .split("\",\"")
                    .map(|c| c.trim_matches('"').to_string())
                    .collect();
                theirs.insert(
                    cols[0].clone(),
                    dec(&cols[1].trim_end_matches(" CNY").replace(',', "")),
                );
            }
            assert_eq!(
                theirs, ours,
                "hledger and anju disagree on 100,000 transactions"
            );
        }
        Err(e) => {
            assert!(std::env::var("CI").is_err(), "CI must have hledger: {e}");
            eprintln!("hledger not installed ({e}); its comparison runs in CI");
        }
    }
}

on_both!(
    hs_f4_developers_uses_of_proceeds_out_of_priority_are_flagged,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_filed(round).await;
        let path = format!("/api/listings/{id}/proceeds-uses");
        let body = json!({
            "period_end": "2026-12-31",
            "outstanding_project_debt": "2000000.00",
            "outstanding_diverted_presale": "0",
            "uses": [
                { "category": "project_debt", "amount": "1500000.00" },
                { "category": "continued_construction", "amount": "300000.00" }
            ]
        });
        // Another company's developer cannot report on this listing.
        let (s, _) = t.post("developer_b", &path, body.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = t.post("developer", &path, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["flags"][0]["paid"], "continued_construction");
        assert_eq!(v["flags"][0]["outstanding"], "project_debt");
        assert_eq!(v["flags"][0]["outstanding_fen"], 50_000_000);
        let (_, x) = t.get("finance_bureau", "/api/ledger/exceptions").await;
        assert_eq!(x["priority_flags"][0]["listing_id"], id);
        // Text in an amount: refused, nothing kept.
        let (s, v) = t
            .post("developer", &path, json!({ "period_end": "2027-01-31", "outstanding_project_debt": "五十万", "outstanding_diverted_presale": "0", "uses": [] }))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (_, x) = t.get("finance_bureau", "/api/ledger/exceptions").await;
        assert_eq!(x["priority_flags"].as_array().unwrap().len(), 1);
    }
);

on_both!(
    hs_f8_exceptions_report_lists_refused_diversions_and_approved_reallocations,
    |t: TestApp| async move {
        open_books(&t).await;
        let (s, _) = t
            .post(
                "acquirer",
                "/api/ledger/entries",
                entry(
                    "bond",
                    "receipt",
                    &[(BOND, "500.00"), (SRC_BOND, "-500.00")],
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        // A diversion to another project (挪用) and an overdraft (挤占) are refused and kept.
        for (key, lines) in [
            ("divert", [(BOND2, "100.00"), (BOND, "-100.00")]),
            ("over", [(MAINTENANCE, "500.01"), (BOND, "-500.01")]),
        ] {
            let (s, _) = t
                .post(
                    "acquirer",
                    "/api/ledger/entries",
                    entry(key, "payment", &lines),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let mut re = entry("re", "reallocation", &[(LOAN, "200.00"), (BOND, "-200.00")]);
        re["approval"] = json!("领导组会议纪要〔2026〕11号");
        decide(&t, "领导组会议纪要〔2026〕11号").await;
        let (s, _) = t.post("leading_group", "/api/ledger/entries", re).await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, x) = t.get("supervisor", "/api/ledger/exceptions").await;
        let refused: Vec<(&str, &str)> = x["refusals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["entry_key"].as_str().unwrap(),
                    r["code"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            refused,
            vec![("divert", "ring_fence"), ("over", "overdrawn")]
        );
        assert_eq!(
            x["reallocations"][0]["approval"],
            "领导组会议纪要〔2026〕11号"
        );
        assert_eq!(x["reallocations"][0]["lines"][0]["amount"], "200.00");
    }
);

on_both!(
    hs_f6_corrections_are_reversing_entries_and_replays_change_nothing,
    |t: TestApp| async move {
        open_books(&t).await;
        let batch: Vec<Value> = (0..30)
            .map(|i| {
                if i % 3 == 2 {
                    entry(
                        &format!("b{i}"),
                        "payment",
                        &[(MAINTENANCE, "10.01"), (BOND, "-10.01")],
                    )
                } else {
                    entry(
                        &format!("b{i}"),
                        "receipt",
                        &[
                            (BOND, &format!("{}.{:02}", 100 + i, i)),
                            (SRC_BOND, &format!("-{}.{:02}", 100 + i, i)),
                        ],
                    )
                }
            })
            .collect();
        let (s, v) = t
            .post(
                "acquirer",
                "/api/ledger/batches",
                json!({ "entries": batch.clone() }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let state = || {
            let t = &t;
            async move {
                let (_, tb) = t.get("finance_bureau", "/api/ledger/trial-balance").await;
                let (_, v) = t.get("finance_bureau", "/api/ledger/verify").await;
                (tb, v["entries"].clone(), v["head"].clone())
            }
        };
        let before = state().await;
        // Replays — the whole batch, and single entries out of it — post nothing.
        for round in 0..3 {
            let (s, v) = t
                .post(
                    "acquirer",
                    "/api/ledger/batches",
                    json!({ "entries": batch.clone() }),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "replay {round}: {v}");
            let (s, _) = t
                .post("acquirer", "/api/ledger/entries", batch[round * 7].clone())
                .await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(state().await, before, "replay {round} changed the ledger");
        }
        // A correction is a new entry with the lines negated; the original stays.
        let (s, r) = t
            .post(
                "acquirer",
                "/api/ledger/entries/3/reverse",
                json!({ "date": "2026-11-05", "reason": "金额录入错误" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["kind"], "reversal");
        assert_eq!(r["seq"], 31);
        assert_eq!(r["lines"][0]["amount"], "-10.01");
        let (s, again) = t
            .post(
                "acquirer",
                "/api/ledger/entries/3/reverse",
                json!({ "date": "2026-11-05", "reason": "金额录入错误" }),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::OK,
            "the same reversal twice posts once: {again}"
        );
        let (_, entries) = t.get("finance_bureau", "/api/ledger/entries").await;
        assert_eq!(entries.as_array().unwrap().len(), 31);
        assert_eq!(
            entries[2]["lines"][0]["amount"], "10.01",
            "the original is untouched"
        );
        let (_, tb) = t.get("finance_bureau", "/api/ledger/trial-balance").await;
        let maint = tb
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["account"] == MAINTENANCE)
            .unwrap();
        assert_eq!(
            maint["balance"], "90.09",
            "ten payments of 10.01, one reversed"
        );
        // No bank statement was ever imported for the fund: overdue for reconciliation (HS-F7).
        let (_, x) = t.get("finance_bureau", "/api/ledger/exceptions").await;
        assert!(
            x["overdue_reconciliations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["account"] == BOND),
            "{x}"
        );
    }
);
