//! Channel choice: healthy channels before unhealthy ones, then the highest
//! priority tier first, weighted random inside it, never a channel already
//! tried.

use std::collections::HashSet;

use crate::secrets::random_below;
use crate::store::channels::Channel;

/// Picks the next channel to try, or `None` when all were tried. Channels
/// `healthy` says no to come only after every healthy one was tried.
pub fn choose(
    candidates: &[Channel],
    tried: &HashSet<i64>,
    healthy: impl Fn(i64) -> bool,
) -> Option<Channel> {
    let untried: Vec<&Channel> = candidates
        .iter()
        .filter(|c| !tried.contains(&c.id))
        .collect();
    let fine: Vec<&Channel> = untried.iter().copied().filter(|c| healthy(c.id)).collect();
    let open = if fine.is_empty() { untried } else { fine };
    let top = open.iter().map(|c| c.priority).max()?;
    let tier: Vec<&Channel> = open.into_iter().filter(|c| c.priority == top).collect();
    let total: u64 = tier.iter().map(|c| c.weight.max(0) as u64).sum();
    if total == 0 {
        // All weights zero: equal chances.
        return tier
            .get(random_below(tier.len() as u64) as usize)
            .map(|c| (*c).clone());
    }
    let mut roll = random_below(total);
    for c in &tier {
        let w = c.weight.max(0) as u64;
        if roll < w {
            return Some((*c).clone());
        }
        roll -= w;
    }
    tier.last().map(|c| (*c).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(id: i64, priority: i64, weight: i64) -> Channel {
        Channel {
            id,
            channel_type: "any".into(),
            name: String::new(),
            base_url: String::new(),
            key: String::new(),
            models: String::new(),
            group: String::new(),
            priority,
            weight,
            status: 1,
            used_quota: 0,
            created_at: 0,
            model_mapping: String::new(),
            disabled_reason: String::new(),
            disabled_at: 0,
        }
    }

    #[test]
    fn higher_priority_first_and_never_twice() {
        let cs = vec![ch(1, 0, 10), ch(2, 5, 1), ch(3, 5, 0)];
        let mut tried = HashSet::new();
        let all = |_| true;
        let a = choose(&cs, &tried, all).unwrap();
        assert_eq!(a.id, 2, "weight 0 loses to weight 1 in the top tier");
        tried.insert(a.id);
        assert_eq!(choose(&cs, &tried, all).unwrap().id, 3);
        tried.insert(3);
        assert_eq!(choose(&cs, &tried, all).unwrap().id, 1);
        tried.insert(1);
        assert!(choose(&cs, &tried, all).is_none());
    }

    #[test]
    fn unhealthy_channels_come_after_every_healthy_one_whatever_their_priority() {
        let cs = vec![ch(1, 9, 10), ch(2, 0, 1), ch(3, 5, 1)];
        let healthy = |id| id != 1;
        let mut tried = HashSet::new();
        assert_eq!(choose(&cs, &tried, healthy).unwrap().id, 3);
        tried.insert(3);
        assert_eq!(choose(&cs, &tried, healthy).unwrap().id, 2);
        tried.insert(2);
        assert_eq!(choose(&cs, &tried, healthy).unwrap().id, 1, "tried last");
    }
}
