//! Unique ids in the shapes upstreams answer with.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Unique ids: a per-mock random prefix and a counter scrambled by a bijection, so ids never
/// repeat within a mock and differ between mocks (and test runs).
pub(crate) struct IdSource {
    seed: u64,
    counter: AtomicU64,
}

impl IdSource {
    /// A source whose seed differs from every other source of this process and of others.
    pub(crate) fn new() -> IdSource {
        static MOCKS: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let seed = mix(nanos ^ (u64::from(std::process::id()) << 32))
            ^ mix(MOCKS.fetch_add(1, Ordering::Relaxed));
        IdSource {
            seed,
            counter: AtomicU64::new(0),
        }
    }

    /// A number never handed out before by this source (also a cheap per-task seed).
    pub(crate) fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// A random-looking number, unique within this source and unlike other sources' (seeds
    /// generated content).
    pub(crate) fn seed(&self) -> u64 {
        self.bits().1
    }

    /// 128 bits, the low half unique within this source.
    fn bits(&self) -> (u64, u64) {
        let n = self.next();
        (mix(self.seed.rotate_left(32) ^ mix(n)), mix(n ^ self.seed))
    }

    /// 32 hex chars, as Suno-API answers for music.
    pub(crate) fn hex32(&self) -> String {
        let (hi, lo) = self.bits();
        format!("{hi:016x}{lo:016x}")
    }

    /// A dashed version-4 UUID, as Suno uses for clips and lyrics.
    pub(crate) fn uuid(&self) -> String {
        let (hi, lo) = self.bits();
        let hi = (hi & !0xF000) | 0x4000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            ((lo >> 48) & 0x3FFF) | 0x8000,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

/// splitmix64's finaliser: a bijection on u64, so distinct counters give distinct ids.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::IdSource;

    #[test]
    fn ids_have_the_suno_shapes_and_do_not_repeat() {
        let ids = IdSource::new();
        let hex = ids.hex32();
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        let uuid = ids.uuid();
        assert_eq!(
            uuid.split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert_eq!(uuid.as_bytes()[14], b'4', "version 4 in {uuid}");
        assert_ne!(ids.hex32(), hex);
        assert_ne!(IdSource::new().hex32(), hex);
    }
}
