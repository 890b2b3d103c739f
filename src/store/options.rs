//! Run-time options: model prices and group ratios (new-api's names).

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::error::{StoreError, StoreResult};
use crate::domain::quota::MAX_QUOTA;

/// Option key of the per-call USD price per model.
pub const MODEL_PRICE: &str = "ModelPrice";
/// Option key of the price multiplier per user group.
pub const GROUP_RATIO: &str = "GroupRatio";
/// Quota units per US dollar.
pub const QUOTA_PER_USD: f64 = 500_000.0;

/// The default group ratios: every group pays the list price.
const DEFAULT_GROUP_RATIO: &str = r#"{"default":1}"#;

/// Parses an option value: a JSON object of non-negative finite numbers.
pub fn parse_number_map(key: &str, value: &str) -> StoreResult<HashMap<String, f64>> {
    let map: HashMap<String, serde_json::Value> = serde_json::from_str(value)
        .map_err(|e| StoreError::invalid(format!("{key} must be a JSON object of numbers: {e}")))?;
    let mut out = HashMap::with_capacity(map.len());
    for (name, v) in map {
        let n = v.as_f64().filter(|n| n.is_finite()).ok_or_else(|| {
            StoreError::invalid(format!("{key}: value of '{name}' is not a number"))
        })?;
        if n < 0.0 {
            return Err(StoreError::invalid(format!(
                "{key}: value of '{name}' must not be negative"
            )));
        }
        out.insert(name, n);
    }
    Ok(out)
}

/// A price and the ratio applied to it, snapshotted on a task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceQuote {
    /// USD per call.
    pub model_price: f64,
    /// Group multiplier.
    pub group_ratio: f64,
    /// round(price × units × ratio × 500000).
    pub charge: i64,
}

impl Store {
    /// The default value of an option, as JSON text: model prices come
    /// from the registered platforms (see [`Store::with_default_prices`]).
    pub fn default_option(&self, key: &str) -> Option<String> {
        match key {
            MODEL_PRICE => Some(self.default_prices.to_string()),
            GROUP_RATIO => Some(DEFAULT_GROUP_RATIO.to_string()),
            _ => None,
        }
    }

    /// An option's current value (its default when never set).
    pub fn get_option(&self, key: &str) -> StoreResult<Option<String>> {
        let conn = self.conn()?;
        let stored: Option<String> = conn
            .prepare_cached("SELECT value FROM options WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?;
        Ok(stored.or_else(|| self.default_option(key)))
    }

    /// All known options with their current values.
    pub fn list_options(&self) -> StoreResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        for key in [MODEL_PRICE, GROUP_RATIO] {
            if let Some(v) = self.get_option(key)? {
                out.push((key.to_string(), v));
            }
        }
        Ok(out)
    }

    /// Validates and stores an option.
    pub fn set_option(&self, key: &str, value: &str) -> StoreResult<()> {
        if self.default_option(key).is_none() {
            return Err(StoreError::invalid(format!(
                "unknown option '{key}': valid keys are {MODEL_PRICE}, {GROUP_RATIO}"
            )));
        }
        parse_number_map(key, value)?;
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO options (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Whether `ModelPrice` names `model`.
    pub fn has_price(&self, model: &str) -> StoreResult<bool> {
        let prices = parse_number_map(
            MODEL_PRICE,
            &self.get_option(MODEL_PRICE)?.unwrap_or_default(),
        )?;
        Ok(prices.contains_key(model))
    }

    /// The charge for `units` priced units of `model` (1 for a per-call
    /// price) by a user of `group`; a model without a price, or a charge
    /// over [`MAX_QUOTA`] → invalid.
    pub fn quote(&self, model: &str, units: f64, group: &str) -> StoreResult<PriceQuote> {
        let prices = parse_number_map(
            MODEL_PRICE,
            &self.get_option(MODEL_PRICE)?.unwrap_or_default(),
        )?;
        let ratios = parse_number_map(
            GROUP_RATIO,
            &self.get_option(GROUP_RATIO)?.unwrap_or_default(),
        )?;
        let model_price = *prices
            .get(model)
            .ok_or_else(|| StoreError::invalid(format!("model {model} has no price configured")))?;
        let group_ratio = ratios.get(group).copied().unwrap_or(1.0);
        let charge = (model_price * units * group_ratio * QUOTA_PER_USD).round();
        // Refused before anything is charged: no balance could pay it, and
        // the books keep no amount over the ceiling. MAX_QUOTA is exact as
        // an f64, and so is every whole f64 below it.
        if !(0.0..=MAX_QUOTA as f64).contains(&charge) {
            return Err(StoreError::invalid(format!(
                "the charge for {model} would be {charge:.0} quota units \
                 (ModelPrice {model_price} x {units} x GroupRatio {group_ratio} x {QUOTA_PER_USD}), \
                 over the ceiling of {MAX_QUOTA}"
            )));
        }
        Ok(PriceQuote {
            model_price,
            group_ratio,
            charge: charge as i64,
        })
    }
}
