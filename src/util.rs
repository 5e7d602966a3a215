//! Small helpers shared by the edges.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The serde key of a unit-like enum variant (`Township` → `"township"`).
pub fn enum_key<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("enum_key used on a non-unit enum: {other:?}"),
    }
}

/// Parses a serde key back into its enum.
pub fn parse_enum_key<T: DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|e| format!("{s:?}: {e}"))
}
