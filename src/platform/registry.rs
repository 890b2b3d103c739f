//! The platforms this build knows, and the aliases they accept.

use std::sync::Arc;

use serde_json::Value;

use super::Platform;
use super::upstream::UpstreamSettings;
use crate::domain::Invalid;

/// Every registered platform; cheap to clone.
#[derive(Clone)]
pub struct Platforms(Arc<Vec<Arc<dyn Platform>>>);

impl Platforms {
    /// Every built-in platform, making upstream calls with `settings`.
    /// One line per platform.
    pub fn builtin(settings: &UpstreamSettings) -> Self {
        Platforms::new(vec![
            Arc::new(super::suno::Suno::new(settings)),
            Arc::new(super::video::Video::new(settings)),
        ])
    }

    /// These platforms (tests may register their own).
    pub fn new(list: Vec<Arc<dyn Platform>>) -> Self {
        Platforms(Arc::new(list))
    }

    /// Every platform, in registration order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Platform>> {
        self.0.iter()
    }

    /// The platform of a channel type or task platform name.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Platform>> {
        self.0.iter().find(|p| p.name() == name).cloned()
    }

    /// A channel type given by an operator: a platform's name (any case)
    /// or one of its aliases, as text or a number.
    pub fn parse_channel_type(&self, v: &Value) -> Result<String, Invalid> {
        let word = match v {
            Value::String(s) => s.trim().to_ascii_lowercase(),
            Value::Number(n) if n.as_i64().is_some() => n.to_string(),
            other => return Err(Invalid::new(format!("unknown channel type {other}"))),
        };
        let known = self
            .all()
            .find(|p| p.name() == word || p.type_aliases().contains(&word.as_str()));
        match (known, v) {
            (Some(p), _) => Ok(p.name().to_string()),
            (None, Value::Number(_)) => Err(Invalid::new(format!("unknown channel type {word}"))),
            (None, _) => Err(Invalid::new(format!("unknown channel type '{word}'"))),
        }
    }

    /// The stored action a list filter word means: upper-case, with the
    /// platforms' aliases applied.
    pub fn canonical_action(&self, word: &str) -> String {
        let upper = word.trim().to_ascii_uppercase();
        self.all()
            .find_map(|p| p.action_alias(&upper))
            .map(str::to_string)
            .unwrap_or(upper)
    }

    /// Every platform's list prices as the JSON text of `ModelPrice`, in
    /// registration order.
    pub fn default_prices(&self) -> String {
        let entries: Vec<String> = self
            .all()
            .flat_map(|p| p.default_prices().iter())
            .map(|(model, usd)| format!("{}:{}", Value::from(*model), Value::from(*usd)))
            .collect();
        format!("{{{}}}", entries.join(","))
    }

    /// The stored platform a list filter value means.
    pub fn canonical_platform(&self, value: &str) -> String {
        self.all()
            .find(|p| p.platform_aliases().contains(&value))
            .map(|p| p.task_platform().to_string())
            .unwrap_or_else(|| value.to_string())
    }
}
