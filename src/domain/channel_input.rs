//! Validation of channel fields given by operators (HTTP and CLI alike).

use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::platform::Platforms;

/// A base URL: `http(s)://host[:port][/path]`, stored without trailing slash.
pub fn parse_base_url(s: &str) -> AppResult<String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or_else(|| {
            AppError::bad(format!(
                "invalid base_url '{s}': must start with http:// or https://"
            ))
        })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty()
        || host.contains(char::is_whitespace)
        || s.parse::<warp::http::Uri>().is_err()
    {
        return Err(AppError::bad(format!("invalid base_url '{s}'")));
    }
    Ok(s.to_string())
}

/// A channel type known to this build; new-api's number 36 means `suno`.
pub fn parse_channel_type(platforms: &Platforms, v: &Value) -> AppResult<String> {
    let name = match v {
        Value::String(s) => s.trim().to_ascii_lowercase(),
        Value::Number(n) if n.as_i64() == Some(36) => "suno".to_string(),
        other => return Err(AppError::bad(format!("unknown channel type {other}"))),
    };
    if !platforms.knows(&name) {
        return Err(AppError::bad(format!("unknown channel type '{name}'")));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(parse_base_url("http://a:1/").unwrap(), "http://a:1");
        assert!(parse_base_url("ftp://a").is_err());
        assert!(parse_base_url("http://").is_err());
        assert!(parse_base_url("not a url").is_err());
    }
}
