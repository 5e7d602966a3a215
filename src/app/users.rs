//! User accounts: the first administrator, users added by an administrator or the CLI.

use super::{App, AppError};
use crate::domain::role::Role;
use crate::store::users;

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Created {
    pub user: users::User,
    /// Shown once; only its SHA-256 is stored.
    pub token: String,
}

/// Adds a user and returns its token (printed once, never stored).
pub async fn add_user(
    app: &App,
    name: &str,
    role: Role,
    org: Option<&str>,
) -> Result<Created, AppError> {
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "a user needs a name"));
    }
    if role == Role::Developer && org.is_none_or(|o| o.trim().is_empty()) {
        return Err(AppError::invalid(
            "org",
            "a developer account needs its company (--org)",
        ));
    }
    let token = users::new_token();
    let mut tx = app.store.begin().await?;
    let user = users::insert(
        &mut tx,
        name.trim(),
        role,
        org.map(str::trim),
        &token,
        app.now(),
    )
    .await
    .map_err(|e| {
        if crate::store::is_unique_violation(&e) {
            AppError::Conflict {
                code: "duplicate",
                message: format!("a user named {name:?} already exists"),
            }
        } else {
            e.into()
        }
    })?;
    tx.commit().await?;
    Ok(Created { user, token })
}

/// On an empty database, creates the administrator and returns its token.
pub async fn bootstrap_admin(app: &App) -> Result<Option<Created>, AppError> {
    let mut tx = app.store.read().await?;
    let n = users::count(&mut tx).await?;
    drop(tx);
    if n > 0 {
        return Ok(None);
    }
    add_user(app, "admin", Role::Admin, None).await.map(Some)
}
