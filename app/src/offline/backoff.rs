//! Capped exponential backoff with jitter for retrying a sync after a network failure.

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub base_ms: u64,
    pub cap_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base_ms: 2_000,
            cap_ms: 300_000,
        }
    }
}

impl Backoff {
    /// Delay before retry number `attempt` (1 = first retry): base × 2^(attempt−1), capped,
    /// then scaled by a jitter factor in [0.75, 1.25) from `unit` (a random value in [0, 1)).
    pub fn delay_ms(&self, attempt: u32, unit: f64) -> u64 {
        let exp = attempt.saturating_sub(1).min(30);
        let raw = self.base_ms.saturating_mul(1u64 << exp).min(self.cap_ms);
        let jitter = 0.75 + 0.5 * unit.clamp(0.0, 0.999_999);
        (raw as f64 * jitter) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_then_caps_with_bounded_jitter() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(1, 0.5), 2_000);
        assert_eq!(b.delay_ms(2, 0.5), 4_000);
        assert_eq!(b.delay_ms(5, 0.5), 32_000);
        assert_eq!(b.delay_ms(20, 0.5), 300_000, "capped");
        assert_eq!(b.delay_ms(u32::MAX, 0.5), 300_000, "no overflow");
        assert_eq!(b.delay_ms(3, 0.0), 6_000, "jitter low end: 0.75 × 8 s");
        assert!(
            b.delay_ms(3, 1.0) < 10_000,
            "jitter high end below 1.25 × 8 s"
        );
    }
}
