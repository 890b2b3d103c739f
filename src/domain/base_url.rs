//! A channel's upstream base URL, as operators give it (HTTP and CLI alike).

use super::Invalid;

/// A base URL: `http(s)://host[:port][/path]`, stored without trailing slash.
pub fn parse_base_url(s: &str) -> Result<String, Invalid> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or_else(|| {
            Invalid::new(format!(
                "invalid base_url '{s}': must start with http:// or https://"
            ))
        })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty()
        || host.contains(char::is_whitespace)
        || s.parse::<warp::http::Uri>().is_err()
    {
        return Err(Invalid::new(format!("invalid base_url '{s}'")));
    }
    Ok(s.to_string())
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
