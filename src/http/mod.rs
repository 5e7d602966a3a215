//! The HTTP edge: the JSON API (`/api/…`, OpenAPI at `/api/openapi.json`, Swagger UI at
//! `/api/docs`) and the server-rendered pages (`/…`). Handlers translate; `app/` decides.
//!
//! Architecture invariant: only `http/` imports axum; every error leaves as problem+json.

pub mod allocation_api;
pub mod allocation_pages;
pub mod api;
pub mod auth;
pub mod bids_api;
pub mod ledger_api;
pub mod pages;
pub mod price_api;
pub mod serve;

use crate::app::{App, AppError};
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Largest request body: uploads (unit lists, scans) up to 25 MiB.
pub const BODY_LIMIT_BYTES: usize = 25 * 1024 * 1024;

/// What handlers share: the app, the page templates and the sign-in throttle.
pub struct Web {
    pub app: App,
    pub templates: minijinja::Environment<'static>,
    pub throttle: auth::Throttle,
    /// Origins whose posts are accepted besides the request's own host (`--trusted-origin`).
    pub trusted_origins: Vec<String>,
}

impl Web {
    pub fn new(app: App, templates: minijinja::Environment<'static>) -> Web {
        Web {
            app,
            templates,
            throttle: auth::Throttle::default(),
            trusted_origins: Vec::new(),
        }
    }
}

impl std::ops::Deref for Web {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

pub type State = Arc<Web>;

/// Loads every `*.html` under `dir` into a template environment (names relative to `dir`).
pub fn load_templates(dir: &std::path::Path) -> Result<minijinja::Environment<'static>, String> {
    let mut env = minijinja::Environment::new();
    env.add_filter("cst", filter_cst);
    env.add_filter("role_zh", filter_role_zh);
    env.add_filter("daxie", filter_daxie);
    env.add_filter("money", filter_money);
    env.add_filter("percent", filter_percent);
    env.add_filter("m2", filter_m2);
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.filter_map(|e| e.ok()) {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) == Some("html") {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let src =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            env.add_template_owned(name, src)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(env)
}

/// `{{ t | cst }}`: an RFC 3339 instant as China Standard Time, `2026-09-21 09:00`; people
/// here read Beijing time, while the database keeps UTC.
fn filter_cst(value: String) -> String {
    match chrono::DateTime::parse_from_rfc3339(&value) {
        Ok(t) => t
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => value,
    }
}

/// `{{ role | role_zh }}`: a role key as its Chinese name.
fn filter_role_zh(value: String) -> String {
    value
        .parse::<crate::domain::role::Role>()
        .map(|r| r.label_zh().to_string())
        .unwrap_or(value)
}

/// `{{ amount | daxie }}`: a yuan amount (as the API writes it, a decimal string) in capitals
/// for printing, following the bill rules of `domain::pricing::daxie`. A value that is not an
/// amount fails the render, so a wrong template cannot print a blank where money belongs.
fn filter_daxie(value: minijinja::Value) -> Result<String, minijinja::Error> {
    let raw = value.to_string();
    let bad = |why: String| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, why);
    let amount = raw
        .parse::<rust_decimal::Decimal>()
        .map_err(|_| bad(format!("daxie: not an amount: {raw:?}")))?;
    crate::domain::pricing::daxie::daxie(amount).map_err(|e| bad(format!("daxie: {e}")))
}

/// `{{ area | m2 }}`: an area to two decimals, `89.50`, as every page and print shows areas.
fn filter_m2(value: minijinja::Value) -> String {
    let raw = value.to_string();
    match raw.parse::<rust_decimal::Decimal>() {
        Ok(d) => format!(
            "{:.2}",
            d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        ),
        Err(_) => raw,
    }
}

/// `{{ amount | money }}`: a yuan amount with thousands separators, `-1,484,868.00`, as
/// finance staff read them; anything else passes through unchanged.
fn filter_money(value: minijinja::Value) -> String {
    let raw = value.to_string();
    let Ok(d) = raw.parse::<rust_decimal::Decimal>() else {
        return raw;
    };
    let text = d.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!(
        "{}{grouped}{}{frac}",
        if d.is_sign_negative() && !d.is_zero() {
            "-"
        } else {
            ""
        },
        if frac.is_empty() { "" } else { "." }
    )
}

/// `{{ rate | percent }}`: a rate as people read it, `0.05` → `5%`, `0.0285` → `2.85%`
/// (exact: the decimal point moves, nothing is rounded); anything else passes through.
fn filter_percent(value: minijinja::Value) -> String {
    let raw = value.to_string();
    match raw.parse::<rust_decimal::Decimal>() {
        Ok(d) => format!("{}%", (d * rust_decimal::Decimal::ONE_HUNDRED).normalize()),
        Err(_) => raw,
    }
}

/// The Origin check of every request that changes something (tower-http's implementation of
/// Go's `CrossOriginProtection`): a browser's cross-site post is refused 403 problem+json;
/// requests without `Origin` and `Sec-Fetch-Site` (curl, scripts, old browsers) pass, and the
/// pages' form tokens stop those. `trusted` adds origins besides the request's own host (a
/// reverse proxy that rewrites `Host`).
fn origin_check(
    trusted: &[String],
) -> tower_http::csrf::CsrfLayer<
    impl tower_http::csrf::ResponseForProtectionError<axum::body::Body> + Clone + use<>,
> {
    let mut layer = tower_http::csrf::CsrfLayer::new();
    for o in trusted {
        match layer.clone().add_trusted_origin(o) {
            Ok(l) => layer = l,
            Err(e) => tracing::error!(origin = %o, error = %e, "ignored a trusted origin"),
        }
    }
    layer.with_rejection_response(|e: tower_http::csrf::ProtectionError| {
        problem_response(&AppError::Forbidden(format!(
            "a request from another site is refused ({e})"
        )))
    })
}

/// What every answer carries: no framing, no sniffing, scripts and forms of this site only
/// (the pages have no script; Swagger UI loads its own files), no full URL to other sites.
const SECURITY_HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
];

/// The access log (target `anju::access`, one line a request): who (the user id, once signed
/// in), from where, what (method and path; never the query, which may name an account, nor
/// any header), the status and the time taken. With the failed sign-ins (`anju::audit`), this
/// is the record of who read what.
async fn access_log(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let start = std::time::Instant::now();
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let peer = serve::peer_of_request(&req);
    let who = auth::Who::default();
    let mut req = req;
    req.extensions_mut().insert(who.clone());
    let r = next.run(req).await;
    tracing::info!(
        target: "anju::access",
        user = ?who.get(),
        peer = ?peer,
        %method,
        path,
        status = r.status().as_u16(),
        ms = start.elapsed().as_millis() as u64,
    );
    r
}

pub fn router(app: Arc<Web>) -> Router {
    let origins = origin_check(&app.trusted_origins);
    let mut r = Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .merge(allocation_pages::routes())
        .fallback(|| async { problem_response(&AppError::NotFound("route".into())) })
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(axum::middleware::map_response(too_large_as_problem))
        .layer(origins);
    for (name, value) in SECURITY_HEADERS {
        r = r.layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            ),
        );
    }
    r.layer(axum::middleware::from_fn(access_log))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// A body over the upload limit is refused by the limit layer before any handler: its 413 is
/// problem+json like every other error.
async fn too_large_as_problem(r: Response) -> Response {
    let plain = r.status() == StatusCode::PAYLOAD_TOO_LARGE
        && r.headers().get(header::CONTENT_TYPE)
            != Some(&HeaderValue::from_static("application/problem+json"));
    if plain {
        problem_response(&AppError::TooLarge(format!(
            "the request body is larger than this route's limit of {BODY_LIMIT_BYTES} bytes"
        )))
    } else {
        r
    }
}

/// An error as `application/problem+json`.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.0)
    }
}

pub fn problem_response(e: &AppError) -> Response {
    let p = e.problem();
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&p).unwrap_or_default();
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_groups_thousands_and_keeps_the_fen() {
        let m = |s: &str| super::filter_money(minijinja::Value::from(s));
        assert_eq!(m("-1484868.00"), "-1,484,868.00");
        assert_eq!(m("50000000"), "50,000,000");
        assert_eq!(m("999.5"), "999.5");
        assert_eq!(m("0.00"), "0.00");
        assert_eq!(m("—"), "—");
    }

    #[test]
    fn percent_moves_the_point_without_rounding() {
        let p = |s: &str| super::filter_percent(minijinja::Value::from(s));
        assert_eq!(p("0.05"), "5%");
        assert_eq!(p("0.9"), "90%");
        assert_eq!(p("0.0285"), "2.85%");
        assert_eq!(p("x"), "x");
    }
}
