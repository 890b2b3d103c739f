//! Query-string parameters with typed, erroring accessors.

use super::Invalid;

/// The decoded query string. A repeated parameter keeps its last value.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Wraps decoded pairs.
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        QueryParams(pairs)
    }

    /// The last non-empty value of `name` (an empty value counts as absent,
    /// as the console sends `status=` for "any").
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    /// An optional integer; non-numeric → 400 naming the parameter.
    pub fn get_i64(&self, name: &str) -> Result<Option<i64>, Invalid> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| Invalid::new(format!("invalid {name} '{v}': must be an integer"))),
        }
    }

    /// An optional string.
    pub fn get_string(&self, name: &str) -> Option<String> {
        self.get(name).map(|s| s.to_string())
    }

    /// Inclusive time bounds `start_timestamp`/`end_timestamp`; start > end → 400.
    pub fn time_range(&self) -> Result<(Option<i64>, Option<i64>), Invalid> {
        let start = self.get_i64("start_timestamp")?;
        let end = self.get_i64("end_timestamp")?;
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            return Err(Invalid::new(format!(
                "start_timestamp {s} is after end_timestamp {e}"
            )));
        }
        Ok((start, end))
    }
}
