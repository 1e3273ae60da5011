//! Rate limits, pure and clock-injected: a per-member cooldown between questions, a cap on
//! replies per channel per minute, and at most one moderator alert per member per period.
//! Kept in memory: losing them on restart costs at most one extra reply or alert.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Entries older than this are forgotten when the maps are swept.
const SWEEP_AFTER: Duration = Duration::from_secs(3600);

/// All of a process's limits.
#[derive(Debug, Default)]
pub struct Limits {
    /// Last question per (server, member).
    asked: HashMap<(u64, u64), Instant>,
    /// Reply times per channel in the last minute.
    channel: HashMap<u64, VecDeque<Instant>>,
    /// Last alert per (server, member).
    alerted: HashMap<(u64, u64), Instant>,
    last_sweep: Option<Instant>,
}

impl Limits {
    /// A member may ask if `cooldown` has passed since their last question; on success the
    /// question is counted. `Err` holds the time left to wait.
    pub fn member(
        &mut self,
        guild: u64,
        user: u64,
        cooldown: Duration,
        now: Instant,
    ) -> Result<(), Duration> {
        self.sweep(now);
        if let Some(&last) = self.asked.get(&(guild, user)) {
            let since = now.saturating_duration_since(last);
            if since < cooldown {
                return Err(cooldown - since);
            }
        }
        self.asked.insert((guild, user), now);
        Ok(())
    }

    /// A channel may get another reply if fewer than `per_minute` were sent in the last minute
    /// (0 means no cap); on success the reply is counted.
    pub fn channel(&mut self, channel: u64, per_minute: u32, now: Instant) -> bool {
        if per_minute == 0 {
            return true;
        }
        let times = self.channel.entry(channel).or_default();
        while times
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= Duration::from_secs(60))
        {
            times.pop_front();
        }
        if times.len() >= per_minute as usize {
            return false;
        }
        times.push_back(now);
        true
    }

    /// Whether moderators may be alerted about this member now (at most once per `period`); on
    /// success the alert is counted.
    pub fn alert(&mut self, guild: u64, user: u64, period: Duration, now: Instant) -> bool {
        match self.alerted.get(&(guild, user)) {
            Some(&last) if now.saturating_duration_since(last) < period => false,
            _ => {
                self.alerted.insert((guild, user), now);
                true
            }
        }
    }

    /// Forgets everything about a member (`/forgetme`).
    pub fn forget(&mut self, user: u64) {
        self.asked.retain(|&(_, u), _| u != user);
        self.alerted.retain(|&(_, u), _| u != user);
    }

    fn sweep(&mut self, now: Instant) {
        if self
            .last_sweep
            .is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(60))
        {
            return;
        }
        self.last_sweep = Some(now);
        let fresh = |t: &Instant| now.saturating_duration_since(*t) < SWEEP_AFTER;
        self.asked.retain(|_, t| fresh(t));
        self.alerted.retain(|_, t| fresh(t));
        self.channel.retain(|_, ts| ts.back().is_some_and(fresh));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn member_cooldown_counts_from_the_last_question() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        assert!(l.member(1, 7, 10 * S, t0).is_ok());
        assert_eq!(l.member(1, 7, 10 * S, t0 + 4 * S), Err(6 * S));
        assert!(
            l.member(1, 8, 10 * S, t0 + 4 * S).is_ok(),
            "other members are not affected"
        );
        assert!(
            l.member(2, 7, 10 * S, t0 + 4 * S).is_ok(),
            "other servers are not affected"
        );
        assert!(l.member(1, 7, 10 * S, t0 + 10 * S).is_ok());
        assert!(
            l.member(1, 7, Duration::ZERO, t0 + 10 * S).is_ok(),
            "0 means no cooldown"
        );
    }

    #[test]
    fn channel_cap_is_a_sliding_minute() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        assert!(l.channel(5, 2, t0));
        assert!(l.channel(5, 2, t0 + S));
        assert!(!l.channel(5, 2, t0 + 2 * S));
        assert!(l.channel(6, 2, t0 + 2 * S), "per channel");
        assert!(
            l.channel(5, 2, t0 + 60 * S),
            "the first reply left the window"
        );
        assert!(
            (0..100).all(|i| l.channel(9, 0, t0 + i * S)),
            "0 means no cap"
        );
    }

    #[test]
    fn one_alert_per_member_per_period() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        let hour = 3600 * S;
        assert!(l.alert(1, 7, hour, t0));
        assert!(!l.alert(1, 7, hour, t0 + 60 * S));
        assert!(l.alert(1, 8, hour, t0 + 60 * S));
        assert!(l.alert(1, 7, hour, t0 + hour));
    }

    #[test]
    fn forget_clears_a_member() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        l.member(1, 7, 10 * S, t0).unwrap();
        assert!(l.alert(1, 7, 3600 * S, t0));
        l.forget(7);
        assert!(l.member(1, 7, 10 * S, t0 + S).is_ok());
        assert!(l.alert(1, 7, 3600 * S, t0 + S));
    }
}
