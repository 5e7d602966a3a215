//! `TestApp`: the real router on a fresh database, a settable clock, one user per role.

use anju::app::{App, FixedClock};
use anju::domain::role::Role;
use anju::domain::unit_list::UnitRow;
use anju::domain::units::AreaM2;
use anju::store::Store;
use anju::workflow::registry::Registry;
use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const PG_ADMIN_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn pg_admin_url() -> String {
    std::env::var("ANJU_TEST_POSTGRES_URL").unwrap_or_else(|_| PG_ADMIN_DEFAULT.to_string())
}

/// The backends to run on: SQLite always; PostgreSQL when reachable. In CI an unreachable
/// PostgreSQL is a failure, never a skip.
pub async fn backends() -> Vec<Backend> {
    // The server's errors (an internal error's cause) go to the test's captured output.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("anju=warn")),
        )
        .try_init();
    let mut out = vec![Backend::Sqlite];
    match sqlx::PgPool::connect(&pg_admin_url()).await {
        Ok(p) => {
            p.close().await;
            out.push(Backend::Postgres);
        }
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!(
                    "CI must run the suite on PostgreSQL too, but {} is unreachable: {e}",
                    pg_admin_url()
                );
            }
            eprintln!("NOTE: PostgreSQL unreachable ({e}); this run covers SQLite only");
        }
    }
    out
}

/// Runs a test body on every backend.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for b in $crate::harness::backends().await {
                let app = $crate::harness::TestApp::spawn(b).await;
                let f = $body;
                f(app).await;
            }
        }
    };
}

pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<FixedClock>,
    pub app: Arc<anju::http::Web>,
    pub tokens: BTreeMap<&'static str, String>,
    /// The database this server runs on.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Today as the product counts days (Beijing time) on the test clock.
    pub fn clock_today(&self) -> chrono::NaiveDate {
        anju::app::china_today(anju::app::Clock::now(&*self.clock))
    }

    /// Runs hand-written statements on the test database, outside the product (tampering, as
    /// someone with database access could), each one required to succeed.
    pub async fn raw_sql(&self, statements: &[&str]) {
        for sql in statements {
            assert!(!self.raw_sql_is_refused(sql).await, "{sql} was refused");
        }
    }

    /// Runs one hand-written statement on the test database, outside the product: whether the
    /// database itself refused it (the append-only triggers).
    pub async fn raw_sql_is_refused(&self, sql: &str) -> bool {
        match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .is_err()
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .is_err()
            }
        }
    }

    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &manifest().join("workflows")).await
    }

    pub async fn spawn_with(backend: Backend, workflows: &std::path::Path) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("test.db").display()),
            Backend::Postgres => fresh_pg_database().await,
        };
        Self::spawn_on(backend, &url, workflows, dir, None).await
    }

    /// A second server on the same database (a restart), e.g. with changed workflow files.
    pub async fn spawn_on_existing(
        backend: Backend,
        url: &str,
        workflows: &std::path::Path,
        prev: &TestApp,
    ) -> TestApp {
        let t = Self::spawn_on(
            backend,
            url,
            workflows,
            tempfile::tempdir().unwrap(),
            Some(prev.tokens.clone()),
        )
        .await;
        t.clock.set(anju::app::Clock::now(&*prev.clock));
        t
    }

    async fn spawn_on(
        backend: Backend,
        url: &str,
        workflows: &std::path::Path,
        dir: tempfile::TempDir,
        existing: Option<BTreeMap<&'static str, String>>,
    ) -> TestApp {
        let store = Store::connect(url).await.unwrap();
        store.migrate().await.unwrap();
        let registry = Registry::load(workflows).unwrap();
        // Monday 2026-09-21, 09:00 in China.
        let clock = Arc::new(FixedClock::new(
            Utc.with_ymd_and_hms(2026, 9, 21, 1, 0, 0).unwrap(),
        ));
        let app = App::new(store, registry, clock.clone()).await.unwrap();
        let mut tokens = existing.clone().unwrap_or_default();
        for (key, role, org) in if existing.is_some() {
            vec![]
        } else {
            vec![
                ("admin", Role::Admin, None),
                ("housing_bureau", Role::HousingBureau, None),
                ("natural_resources", Role::NaturalResources, None),
                ("acquirer", Role::Acquirer, None),
                ("leading_group", Role::LeadingGroup, None),
                ("government", Role::Government, None),
                ("finance_bureau", Role::FinanceBureau, None),
                ("appraiser", Role::Appraiser, Some("评估所")),
                ("supervisor", Role::Supervisor, None),
                ("accepting_unit", Role::AcceptingUnit, Some("城区街道")),
                ("verifier", Role::Verifier, Some("public_security")),
                (
                    "verifier_civil_affairs",
                    Role::Verifier,
                    Some("civil_affairs"),
                ),
                (
                    "verifier_human_resources",
                    Role::Verifier,
                    Some("human_resources"),
                ),
                (
                    "verifier_provident_fund",
                    Role::Verifier,
                    Some("provident_fund"),
                ),
                ("notary", Role::Notary, Some("阳泉市公证处")),
                ("developer", Role::Developer, Some("甲公司")),
                ("developer_b", Role::Developer, Some("乙公司")),
            ]
        } {
            // Tokens for the test's years: some tests move the clock years ahead.
            let c = anju::app::users::create_user(&app, None, key, role, org, 3650)
                .await
                .unwrap();
            tokens.insert(key, c.token);
        }
        let templates = anju::http::load_templates(&manifest().join("templates")).unwrap();
        let web = Arc::new(anju::http::Web::new(app, templates));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = anju::http::router(web.clone());
        tokio::spawn(anju::http::serve::serve(
            listener,
            router,
            anju::http::serve::Limits::default(),
            std::future::pending(),
        ));
        TestApp {
            backend,
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            clock,
            app: web,
            tokens,
            url: url.to_string(),
            _dir: dir,
        }
    }

    pub fn token(&self, who: &str) -> &str {
        self.tokens
            .get(who)
            .unwrap_or_else(|| panic!("no user {who}"))
    }

    /// Sets "today" (China time, 09:00).
    pub fn set_today(&self, d: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap()));
    }

    pub async fn get(&self, who: &str, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.token(who))
            .send()
            .await
            .unwrap();
        read(r).await
    }

    pub async fn post(&self, who: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token(who))
            .json(&body)
            .send()
            .await
            .unwrap();
        read(r).await
    }

    pub async fn post_idem(
        &self,
        who: &str,
        path: &str,
        key: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token(who))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        read(r).await
    }

    pub async fn upload(
        &self,
        who: &str,
        listing: i64,
        kind: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        let r = self
            .client
            .post(format!("{}/api/listings/{listing}/documents", self.base))
            .bearer_auth(self.token(who))
            .multipart(form)
            .send()
            .await
            .unwrap();
        read(r).await
    }

    pub async fn version(&self, who: &str, id: i64) -> i64 {
        let (s, v) = self.get(who, &format!("/api/instances/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["version"].as_i64().unwrap()
    }

    /// Takes an action at the current version.
    pub async fn act(
        &self,
        who: &str,
        id: i64,
        action: &str,
        comment: Option<&str>,
        payload: Value,
    ) -> (StatusCode, Value) {
        let version = self
            .version(
                if who.starts_with("developer") || who == "supervisor" || who == "admin" {
                    "housing_bureau"
                } else {
                    who
                },
                id,
            )
            .await;
        self.post(
            who,
            &format!("/api/instances/{id}/actions/{action}"),
            json!({ "expected_version": version, "comment": comment, "payload": payload }),
        )
        .await
    }

    /// Takes an action that must succeed; returns the new view.
    pub async fn ok(
        &self,
        who: &str,
        id: i64,
        action: &str,
        comment: Option<&str>,
        payload: Value,
    ) -> Value {
        let (s, v) = self.act(who, id, action, comment, payload).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{action} by {who} on {id} ({:?}): {v}",
            self.backend
        );
        v
    }

    /// The pack's designated acquiring company (HS-A3, YQ-7, NC-5, XY-41), designating
    /// `<pack>安居公司` by the government on first use.
    pub async fn acquirer_of(&self, pack: &str) -> String {
        let (s, v) = self
            .get("supervisor", &format!("/api/packs/{pack}/acquirers"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if let Some(a) = v
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["revoked_at"].is_null())
        {
            return a["name"].as_str().unwrap().to_string();
        }
        let name = format!("{pack}安居公司");
        let (s, v) = self
            .post(
                "government",
                &format!("/api/packs/{pack}/acquirers"),
                json!({ "name": name, "financing_platform": false, "decision_ref": "政府常务会议纪要〔2026〕1号" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        name
    }

    /// Decides the next step of a price proposal as `who`, approving it, and returns the view.
    pub async fn approve_proposal(&self, who: &str, proposal: i64) -> Value {
        let (s, v) = self
            .post(
                who,
                &format!("/api/price-proposals/{proposal}/decisions"),
                json!({ "approved": true, "decision_ref": "霍政〔2026〕88号" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who} on proposal {proposal}: {v}");
        v
    }

    /// The newest price proposal of a listing.
    pub async fn last_proposal(&self, listing: i64) -> i64 {
        let (s, v) = self
            .get(
                "supervisor",
                &format!("/api/listings/{listing}/price-proposals"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v.as_array().unwrap().last().unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// A Yangquan round open for listings, with a tender of its designated acquirer set by the
    /// acquirer, who runs Yangquan's tender (YQ-7.4, [`tender_terms`]).
    pub async fn tender_round(&self, budget: &str, deadline: &str, opening: &str) -> i64 {
        self.tender_round_keyed(budget, deadline, opening).await.0
    }

    /// [`TestApp::tender_round`] with the opening key its tender answered with (shown once).
    pub async fn tender_round_keyed(
        &self,
        budget: &str,
        deadline: &str,
        opening: &str,
    ) -> (i64, String) {
        let round = self.open_round_in("yangquan").await;
        let acq = self.acquirer_of("yangquan").await;
        let (s, v) = self
            .post(
                "acquirer",
                &format!("/api/rounds/{round}/tender"),
                tender_terms(&acq, budget, deadline, opening),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (round, v["opening_key"].as_str().unwrap().to_string())
    }

    /// A round in `solicitation_open` with demand 60_90: 100, 90_120: 50.
    pub async fn open_round(&self) -> i64 {
        self.open_round_in("huoshan").await
    }

    /// An acquisition round of a policy pack, surveyed and open for listings: demand of 100
    /// units in the pack's band holding 75 m² and 50 in the band holding 95 m² (Huoshan and
    /// Nanchang: 60_90 and 90_120; Yangquan: 70_90 and 90_120, the counties' waiting lists),
    /// opened by whoever the pack's flow names. Xingyi's text sets no survey: its rounds open
    /// at once.
    pub async fn open_round_in(&self, pack: &str) -> i64 {
        let (s, v) = self
            .post(
                "housing_bureau",
                "/api/rounds",
                json!({ "pack": pack, "name": "测试批次" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let p = self.app.pack(pack).unwrap().clone();
        if p.demand_bands.is_empty() {
            return id;
        }
        let band = |m2: u32| {
            anju::domain::survey::band_of(
                &p.demand_bands,
                AreaM2::new("a", Decimal::from(m2)).unwrap(),
            )
            .unwrap()
            .key
            .clone()
        };
        let (s, v) = self
            .post(
                "housing_bureau",
                &format!("/api/rounds/{id}/survey-returns"),
                json!({ "returns": [
                    { "respondent": "衡山镇", "respondent_kind": "township", "household_type": "新市民", "band": band(75), "units": 100, "location": "城区" },
                    { "respondent": "县教育局", "respondent_kind": "county_unit", "household_type": "教师", "band": band(95), "units": 50, "location": "城区" }
                ] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        if pack == "yangquan" {
            self.acquirer_of(pack).await;
            self.ok("acquirer", id, "publish_tender", None, Value::Null)
                .await;
        } else {
            self.ok("housing_bureau", id, "open_solicitation", None, Value::Null)
                .await;
        }
        id
    }

    /// A listing of `developer` with every required document and the given units.
    pub async fn listing_with(&self, round: i64, dev: &str, units: &[UnitRow]) -> i64 {
        self.listing_offering(round, dev, units, "whole_building")
            .await
    }

    /// A listing offering `units` as a whole building, a stair-unit or scattered units, with
    /// every document its round's pack requires.
    pub async fn listing_offering(
        &self,
        round: i64,
        dev: &str,
        units: &[UnitRow],
        offer_scope: &str,
    ) -> i64 {
        let (s, v) = self
            .post(
                dev,
                &format!("/api/rounds/{round}/listings"),
                json!({ "project_name": "迎驾花园3号楼", "address": "霍山县迎驾大道18号", "construction_state": "completed",
                        "topped_out": true, "offer_scope": offer_scope, "decoration": "毛坯" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (_, r) = self
            .get("supervisor", &format!("/api/rounds/{round}"))
            .await;
        let pack = self
            .app
            .pack(r["round"]["pack"].as_str().unwrap())
            .unwrap()
            .clone();
        for kind in pack.required_documents() {
            let bytes = if kind == "unit_list" {
                anju::excel::unit_list::write_unit_list(units).unwrap()
            } else {
                format!("{kind} scan").into_bytes()
            };
            let (s, v) = self
                .upload(dev, id, &kind, &format!("{kind}.bin"), bytes)
                .await;
            assert_eq!(s, StatusCode::CREATED, "{kind}: {v}");
        }
        id
    }

    /// A listing in review with a clear title sign-off.
    pub async fn listing_in_review(&self, round: i64) -> i64 {
        let id = self
            .listing_with(
                round,
                "developer",
                &units(&[dec("89.37"), dec("92.15"), dec("75.60")]),
            )
            .await;
        self.ok("developer", id, "submit_for_review", None, Value::Null)
            .await;
        self.ok(
            "natural_resources",
            id,
            "sign_off_title",
            Some("产权清晰"),
            json!({ "clear": true }),
        )
        .await;
        id
    }

    /// A listing in the reserve pool (publicity passed on the real calendar).
    pub async fn listing_in_pool(&self, round: i64) -> i64 {
        let id = self.listing_in_review(round).await;
        let v = self
            .ok("housing_bureau", id, "pass_review", None, findings())
            .await;
        let due: NaiveDate = v["deadline"]["due"].as_str().unwrap().parse().unwrap();
        self.set_today(due.succ_opt().unwrap());
        self.ok("housing_bureau", id, "enter_pool", None, Value::Null)
            .await;
        id
    }

    /// A listing in negotiation with a valuation: ceiling (1200 + 2600) × 1.05 = 3990.00/m².
    pub async fn listing_in_negotiation(&self, round: i64) -> i64 {
        let id = self.listing_in_pool(round).await;
        self.ok(
            "housing_bureau",
            id,
            "commission_valuation",
            None,
            Value::Null,
        )
        .await;
        let body = self.valuation_body(id).await;
        let (s, v) = self
            .post("appraiser", &format!("/api/listings/{id}/valuations"), body)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        self.ok("housing_bureau", id, "start_negotiation", None, Value::Null)
            .await;
        id
    }

    /// The policy pack of a round.
    pub async fn pack_of(&self, round: i64) -> String {
        let (_, r) = self
            .get("supervisor", &format!("/api/rounds/{round}"))
            .await;
        r["round"]["pack"].as_str().unwrap().to_string()
    }

    /// A listing bought and in its pack's end state (Huoshan: filed at 3850.00/m², ceiling
    /// 3990.00; Nanchang: acquired at its cost, 3800.00/m²): its units are ours.
    pub async fn listing_filed(&self, round: i64) -> i64 {
        if self.pack_of(round).await == "nanchang" {
            return self.nanchang_listing_acquired(round).await;
        }
        let id = self.listing_in_negotiation(round).await;
        self.ok(
            "acquirer",
            id,
            "submit_result",
            None,
            json!({ "price_per_m2": "3850.00" }),
        )
        .await;
        self.ok("leading_group", id, "approve", Some("同意"), Value::Null)
            .await;
        let (s, d) = self
            .upload("acquirer", id, "agreement", "协议.pdf", b"signed".to_vec())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        self.ok("acquirer", id, "sign", None, Value::Null).await;
        let (s, d) = self
            .upload(
                "acquirer",
                id,
                "legal_formalities",
                "登记.pdf",
                b"done".to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let v = self.ok("acquirer", id, "file", None, Value::Null).await;
        assert_eq!(v["state"], "filed");
        id
    }

    /// NC-20: a Nanchang listing reviewed (NC-16), published (the pack's choice), its cost fixed
    /// from the final accounts at (1200 + 2600) = 3800.00/m² with no profit, bought at that cost
    /// through the 专班办公室 and the city government (NC-6), and signed.
    pub async fn nanchang_listing_acquired(&self, round: i64) -> i64 {
        let id = self.listing_in_review(round).await;
        let v = self
            .ok("housing_bureau", id, "pass_review", None, Value::Null)
            .await;
        let due: NaiveDate = v["deadline"]["due"].as_str().unwrap().parse().unwrap();
        self.set_today(due.succ_opt().unwrap());
        self.ok("housing_bureau", id, "end_publicity", None, Value::Null)
            .await;
        let (s, d) = self
            .upload(
                "developer",
                id,
                "final_accounts",
                "工程决算.pdf",
                b"final".to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let mut body = self.valuation_body(id).await;
        body["profit_rate"] = json!("0");
        body["cost_basis"] = json!("final_accounts");
        let (s, v) = self
            .post("appraiser", &format!("/api/listings/{id}/valuations"), body)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["ceiling_per_m2"], "3800.00");
        self.ok("acquirer", id, "start_negotiation", None, Value::Null)
            .await;
        self.ok(
            "acquirer",
            id,
            "submit_result",
            None,
            json!({ "price_per_m2": "3800.00" }),
        )
        .await;
        self.ok(
            "leading_group",
            id,
            "zhuanban_pass",
            Some("专班办公室研究同意"),
            Value::Null,
        )
        .await;
        self.ok("government", id, "approve", Some("市政府同意"), Value::Null)
            .await;
        let (s, d) = self
            .upload("acquirer", id, "agreement", "协议.pdf", b"signed".to_vec())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let v = self.ok("acquirer", id, "sign", None, Value::Null).await;
        assert_eq!(v["state"], "acquired");
        id
    }

    /// XY-41: a Xingyi listing of five units of `area` m² (floors 2–6), reviewed by the
    /// developer-builder (开发建设单位), bought at an agreed 6,200.00/m² and signed — no
    /// valuation, ceiling or publicity in the text.
    pub async fn xingyi_listing_acquired(&self, area: &str) -> i64 {
        let round = self.open_round_in("xingyi").await;
        let id = self
            .listing_with(round, "developer", &units(&[dec(area)]))
            .await;
        self.ok("developer", id, "submit_for_review", None, Value::Null)
            .await;
        self.ok("acquirer", id, "pass_review", None, Value::Null)
            .await;
        self.ok(
            "acquirer",
            id,
            "agree",
            None,
            json!({ "price_per_m2": "6200.00" }),
        )
        .await;
        let (s, d) = self
            .upload("acquirer", id, "agreement", "协议.pdf", b"signed".to_vec())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let v = self.ok("acquirer", id, "sign", None, Value::Null).await;
        assert_eq!(v["state"], "acquired");
        id
    }

    /// A Yangquan listing bought through the acquirer's tender (YQ-7.4) and registered: ten
    /// units of 89.50 and 92.00 m² at 3,900.00/m² under the 3,983.20 reference ceiling. Moves
    /// the clock to 2026-11-11.
    pub async fn yangquan_listing_registered(&self) -> i64 {
        self.set_today(date("2026-11-02"));
        let round = self.open_round_in("yangquan").await;
        let acq = self.acquirer_of("yangquan").await;
        let id = self
            .listing_with(round, "developer", &units(&[dec("89.50"), dec("92.00")]))
            .await;
        self.ok(
            "developer",
            id,
            "submit_for_qualification",
            None,
            Value::Null,
        )
        .await;
        self.ok(
            "natural_resources",
            id,
            "sign_off_title",
            None,
            json!({ "clear": true }),
        )
        .await;
        self.ok("acquirer", id, "shortlist", None, Value::Null)
            .await;
        let (s, v) = self
            .post("acquirer", &format!("/api/rounds/{round}/tender"), json!({ "acquirer": acq, "mode": "fixed_area_compete_price", "min_unit_m2": "70", "max_unit_m2": "120",
                "criteria": { "competition": "60", "location": "15", "transport": "10", "amenities": "5", "compliance": "10", "near_m": 500, "far_m": 3000 },
                "budget": "10000000", "deadline_at": "2026-11-10T00:00:00Z", "opening_at": "2026-11-11T00:00:00Z" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let key = v["opening_key"].clone();
        let (s, v) = self
            .post("developer", &format!("/api/rounds/{round}/bids"), json!({ "units": ["89.50", "92.00"], "price_per_m2": "3900", "listing_id": id,
                "whole_building": true, "clear_title": true, "has_delivery_date": true,
                "transit_m": 400, "school_m": 400, "hospital_m": 400, "shops_m": 400, "amenities": 10 }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        self.set_today(date("2026-11-11"));
        let (s, v) = self
            .post(
                "acquirer",
                &format!("/api/rounds/{round}/bids/open"),
                json!({ "opening_key": key }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        self.ok("acquirer", round, "close_tender", None, Value::Null)
            .await;
        self.ok("acquirer", id, "commission_valuation", None, Value::Null)
            .await;
        let mut body = self.valuation_body(id).await;
        body["land_per_m2"] = json!("1350");
        body["construction_per_m2"] = json!("2480");
        body["profit_rate"] = json!("0.04");
        let (s, v) = self
            .post("appraiser", &format!("/api/listings/{id}/valuations"), body)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        self.ok("acquirer", id, "start_inquiry", None, Value::Null)
            .await;
        let (s, v) = self
            .post(
                "acquirer",
                &format!("/api/rounds/{round}/plan"),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        self.ok(
            "acquirer",
            id,
            "pick",
            None,
            json!({ "price_per_m2": "3900.00" }),
        )
        .await;
        self.ok("acquirer", round, "decide_plan", None, Value::Null)
            .await;
        self.upload("acquirer", id, "agreement", "协议.pdf", b"signed".to_vec())
            .await;
        self.ok("acquirer", id, "sign", None, Value::Null).await;
        self.upload(
            "acquirer",
            id,
            "legal_formalities",
            "登记.pdf",
            b"done".to_vec(),
        )
        .await;
        self.ok("natural_resources", id, "register_title", None, Value::Null)
            .await;
        id
    }

    /// Uploads a valuation report file as the appraiser and returns its document id.
    pub async fn valuation_report(&self, id: i64) -> i64 {
        let (s, d) = self
            .upload(
                "appraiser",
                id,
                "valuation_report",
                "评估报告.pdf",
                b"%PDF-1.4 report".to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        d["document"]["id"].as_i64().unwrap()
    }

    /// The reference valuation (land 1200, construction 2600, 5 % → ceiling 3990.00/m²) with
    /// a freshly uploaded report file.
    pub async fn valuation_body(&self, id: i64) -> Value {
        let doc = self.valuation_report(id).await;
        json!({ "land_per_m2": "1200", "construction_per_m2": "2600", "profit_rate": "0.05", "market_price_per_m2": "5200",
                "market_rent_per_m2": "14.5", "appraiser_org": "评估所", "report_date": "2026-10-01", "report_document_id": doc })
    }

    /// Signs in on the pages with a role's token and returns the session cookie.
    pub async fn cookie(&self, who: &str) -> String {
        sign_in(&self.client, &self.base, self.token(who)).await.0
    }

    /// A page as a signed-in person: status and HTML.
    pub async fn page(&self, who: &str, path: &str) -> (StatusCode, String) {
        let cookie = self.cookie(who).await;
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// A plain HTML form post as a signed-in person: status and body.
    pub async fn form(
        &self,
        who: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let (cookie, csrf) = sign_in(&self.client, &self.base, self.token(who)).await;
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .form(&fields)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    pub async fn history(&self, id: i64) -> Vec<Value> {
        let (s, v) = self
            .get("supervisor", &format!("/api/instances/{id}/history"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v.as_array().unwrap().clone()
    }
}

/// The `anju` binary serving the test's database, killed when dropped.
pub struct Server {
    child: std::process::Child,
    pub base: String,
    /// What the server has written to its standard output (its log) so far.
    pub output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `anju serve` with `extra` arguments, and at most `max_fds` open descriptors when
    /// given (`ulimit -n`).
    pub fn start(t: &TestApp, extra: &[&str], max_fds: Option<u32>) -> Server {
        Self::start_on(
            &t.url,
            extra,
            max_fds,
            "warn,anju::access=info,anju::audit=info",
        )
    }

    /// Starts `anju serve` on the database at `url`, logging at `log` (`RUST_LOG`); all it
    /// writes, standard output and error, is kept in `output`.
    pub fn start_on(url: &str, extra: &[&str], max_fds: Option<u32>, log: &str) -> Server {
        use std::io::BufRead;
        let mut cmd = match max_fds {
            None => std::process::Command::new(env!("CARGO_BIN_EXE_anju")),
            Some(n) => {
                let mut c = std::process::Command::new("sh");
                c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\"")])
                    .arg(env!("CARGO_BIN_EXE_anju"));
                c
            }
        };
        let mut child = cmd
            .args(["serve", "--bind", "127.0.0.1:0", "--database-url", url])
            .args(extra)
            .arg("--workflows")
            .arg(manifest().join("workflows"))
            .arg("--templates")
            .arg(manifest().join("templates"))
            .env("RUST_LOG", log)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        // Keep both pipes drained so the server never blocks on its output.
        let kept = output.clone();
        let err = std::io::BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .unwrap();
            output.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split_once(" on http://") {
                break format!("http://{}", rest.1.split('/').next().unwrap());
            }
        };
        let kept = output.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Server {
            child,
            base,
            output,
        }
    }

    /// The server's peak resident memory so far (Linux `VmHWM`).
    pub fn peak_rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status");
        kb * 1024
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the cookie `name` a response sets.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Signs in on the pages of the server at `base` with an API token, as a browser does (the
/// sign-in page's cookie and form token first): the session cookie (as a `cookie` header value)
/// and the session's form token.
pub async fn sign_in(client: &reqwest::Client, base: &str, token: &str) -> (String, String) {
    let r = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let form_cookie = set_cookie(&r, "anju_signin").expect("the sign-in page sets its cookie");
    let page = r.text().await.unwrap();
    let form_token = anju::http::auth::csrf_of(&form_cookie);
    assert!(page.contains(&form_token), "{page}");
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", format!("anju_signin={form_cookie}"))
        .form(&[("token", token), ("csrf", &form_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&r, "anju_session").expect("a session cookie");
    (
        format!("anju_session={session}"),
        anju::http::auth::csrf_of(&session),
    )
}

/// One HTTP/1.1 request over a fresh connection, written while the answer is read: a server that
/// refuses a request without reading its body answers and closes, which makes an ordinary client
/// report a broken pipe instead of the answer. Status and body of the answer.
pub async fn raw_request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    // The write half stays open until the answer is read: a half-closed connection is one the
    // server may drop unanswered.
    let writer = tokio::spawn(async move {
        if wr.write_all(head.as_bytes()).await.is_ok() {
            let _ = wr.write_all(&body).await;
        }
        wr
    });
    let mut answer = Vec::new();
    let read = rd.read_to_end(&mut answer).await;
    drop(writer.await);
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no HTTP answer to {method} {path}: {text:?} {read:?}"));
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (StatusCode::from_u16(status).unwrap(), body.to_string())
}

/// A `multipart/form-data` body of text fields and one file field (in this order), with its
/// content type.
pub fn multipart(
    texts: &[(&str, &str)],
    file: (&str, &str, &[u8]),
    after: &[(&str, &str)],
) -> (String, Vec<u8>) {
    let boundary = "anju-test-boundary-7d1f";
    let mut body = Vec::new();
    let text = |body: &mut Vec<u8>, k: &str, v: &str| {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        )
    };
    for (k, v) in texts {
        text(&mut body, k, v);
    }
    let (name, file_name, bytes) = file;
    body.extend_from_slice(
        format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\ncontent-type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n");
    for (k, v) in after {
        text(&mut body, k, v);
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A response's `content-type`, or empty.
pub fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn read(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let ct = content_type(&r);
    let text = r.text().await.unwrap();
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(
            ct, "application/problem+json",
            "error {status} must be problem+json: {text}"
        );
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "a 500: {text}");
    }
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn fresh_pg_database() -> String {
    let admin = sqlx::PgPool::connect(&pg_admin_url()).await.unwrap();
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    let name = format!("anju_test_{}", hex::encode(b));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let base = pg_admin_url();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

/// The reviewer's findings on what HS-A4 leaves to judgement (HS-A4.1, HS-A4.2), all clear.
pub fn findings() -> Value {
    json!({ "findings": { "no_luxury": true, "little_work_left": true } })
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Units on floors 2–6 of 3号楼 1单元, one room per area.
pub fn units(areas: &[Decimal]) -> Vec<UnitRow> {
    let mut out = Vec::new();
    for floor in 2..=6 {
        for (i, a) in areas.iter().enumerate() {
            out.push(UnitRow {
                building: "3号楼".into(),
                stair_unit: "1单元".into(),
                floor,
                room: format!("{floor}{:02}", i + 1),
                layout: "两室两厅".into(),
                gross_area_m2: AreaM2::new("a", *a).unwrap(),
                usable_area_m2: AreaM2::new("a", (*a * dec("0.8")).round_dp(2)).unwrap(),
                orientation: "南北".into(),
                mortgaged: false,
                seized: false,
            });
        }
    }
    out
}

/// A tender's terms: `acquirer` tendering a fixed area band (70–120 m²) on price, with the
/// common weights, `budget` yuan, closing at `deadline` and opening at `opening` (RFC 3339).
pub fn tender_terms(acquirer: &str, budget: &str, deadline: &str, opening: &str) -> Value {
    json!({ "acquirer": acquirer, "mode": "fixed_area_compete_price", "min_unit_m2": "70", "max_unit_m2": "120",
            "criteria": { "competition": "60", "location": "15", "transport": "10", "amenities": "5", "compliance": "10", "near_m": 500, "far_m": 3000 },
            "budget": budget, "deadline_at": deadline, "opening_at": opening })
}

/// A new listing's facts: a completed whole building named `project`.
pub fn listing_facts(project: &str) -> Value {
    json!({ "project_name": project, "address": "霍山县迎驾大道18号", "construction_state": "completed",
            "topped_out": true, "offer_scope": "whole_building", "decoration": "毛坯" })
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
