//! What the benchmarks share: a throw-away PostgreSQL database beside the SQLite file.

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs `f` on a fresh PostgreSQL database (its URL) and drops the database afterwards. Without
/// PostgreSQL it says so and skips, except under CI=true, where that is a failure.
pub fn with_postgres(rt: &tokio::runtime::Runtime, prefix: &str, f: impl FnOnce(&str)) {
    let pg = rt.block_on(async {
        let admin = match sqlx::PgPool::connect(PG_ADMIN).await {
            Ok(p) => p,
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("PostgreSQL unreachable in CI: {e}")
            }
            Err(e) => {
                eprintln!("PostgreSQL unreachable ({e}); skipping the PostgreSQL group");
                return None;
            }
        };
        let name = format!("{prefix}_{}", std::process::id());
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&admin)
                .await
                .unwrap();
        }
        Some((admin, name))
    });
    let Some((admin, name)) = pg else { return };
    f(&format!("postgres://postgres@127.0.0.1:5432/{name}"));
    rt.block_on(async {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await;
    });
}
