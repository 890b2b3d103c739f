//! A channel's model mapping: the model a client names → the model its
//! upstream calls it (new-api's `model_mapping`, a JSON object as text,
//! `{"sora-2":"sora-2-2025-10-06"}`; empty = none).
//!
//! One step only: a mapped name is not looked up again, so a mapping can
//! never loop.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Invalid;

fn not_an_object() -> Invalid {
    Invalid::new(
        "model_mapping must be a JSON object of client model to upstream model, \
         e.g. {\"sora-2\":\"sora-2-2025-10-06\"}",
    )
}

/// A parsed mapping; empty when the channel maps nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelMapping(BTreeMap<String, String>);

impl ModelMapping {
    /// Reads the text form: empty (or blank, or `{}`) is no mapping;
    /// anything else must be a JSON object of non-empty strings to
    /// non-empty strings.
    pub fn parse(text: &str) -> Result<ModelMapping, Invalid> {
        if text.trim().is_empty() {
            return Ok(ModelMapping::default());
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => ModelMapping::from_object(&object),
            _ => Err(not_an_object()),
        }
    }

    /// Reads a JSON value: an object as [`ModelMapping::parse`] takes it, or
    /// a string holding one (new-api sends the text).
    pub fn from_value(value: &Value) -> Result<ModelMapping, Invalid> {
        match value {
            Value::String(text) => ModelMapping::parse(text),
            Value::Object(object) => ModelMapping::from_object(object),
            _ => Err(not_an_object()),
        }
    }

    fn from_object(object: &serde_json::Map<String, Value>) -> Result<ModelMapping, Invalid> {
        let mut map = BTreeMap::new();
        for (from, to) in object {
            if from.trim().is_empty() {
                return Err(Invalid::new("model_mapping has an empty client model name"));
            }
            match to.as_str() {
                Some(to) if !to.trim().is_empty() => {
                    map.insert(from.clone(), to.to_string());
                }
                _ => {
                    return Err(Invalid::new(format!(
                        "model_mapping maps {from:?} to {to}: the upstream model must be a \
                         non-empty string"
                    )));
                }
            }
        }
        Ok(ModelMapping(map))
    }

    /// The upstream's name for `model`, when the mapping renames it.
    pub fn upstream_model(&self, model: &str) -> Option<&str> {
        self.0.get(model).map(String::as_str)
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The stored text: `""` for no mapping, else compact JSON.
    pub fn to_text(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_is_an_object_of_non_empty_names() {
        let m = ModelMapping::parse(r#" {"sora-2": "sora-2-2025-10-06"} "#).unwrap();
        assert_eq!(m.upstream_model("sora-2"), Some("sora-2-2025-10-06"));
        assert_eq!(m.upstream_model("sora-2-pro"), None);
        assert_eq!(m.to_text(), r#"{"sora-2":"sora-2-2025-10-06"}"#);
        assert_eq!(ModelMapping::parse(&m.to_text()).unwrap(), m);
        for empty in ["", "  ", "{}"] {
            let m = ModelMapping::parse(empty).unwrap();
            assert!(m.is_empty());
            assert_eq!(m.to_text(), "");
        }
        let from_string = ModelMapping::from_value(&Value::String(r#"{"a":"b"}"#.into())).unwrap();
        assert_eq!(from_string.upstream_model("a"), Some("b"));
        for bad in [
            "[]",
            "not json",
            r#"{"a":1}"#,
            r#"{"a":""}"#,
            r#"{"a":" "}"#,
            r#"{"":"b"}"#,
            r#"{"a":null}"#,
            r#""{}""#,
            "3",
        ] {
            assert!(ModelMapping::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_mapped_name_is_not_mapped_again() {
        let m = ModelMapping::parse(r#"{"a":"b","b":"a"}"#).unwrap();
        assert_eq!(m.upstream_model("a"), Some("b"));
        assert_eq!(m.upstream_model("b"), Some("a"));
    }
}
