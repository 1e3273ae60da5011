//! Rate limits, pure and clock-injected: a per-member cooldown between questions, a cap on
//! replies per channel per minute, at most one moderator alert per member per period, one
//! support thread per member per period, and one crisis-watch reply per member per period.
//! Kept in memory: losing them on restart costs at most one extra reply or alert.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Entries older than this are forgotten when the maps are swept: the longest period a server
/// can set (1,440 minutes).
const SWEEP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// All of a process's limits.
#[derive(Debug, Default)]
pub struct Limits {
    /// Last question per (server, member).
    asked: HashMap<(u64, u64), Instant>,
    /// Reply times per channel in the last minute.
    channel: HashMap<u64, VecDeque<Instant>>,
    /// Last alert per (server, member), and how severe its danger was.
    alerted: HashMap<(u64, u64), (Instant, u8)>,
    /// Last support thread per (server, member): when, and the thread (`None` while opening).
    talked: HashMap<(u64, u64), (Instant, Option<u64>)>,
    /// Last crisis-watch reply per (server, member), and how severe its danger was.
    watched: HashMap<(u64, u64), (Instant, u8)>,
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

    /// Whether moderators may be alerted about this member now: at most once per `period`,
    /// unless this danger is more severe than the last alerted (`severity`: higher is worse; a
    /// concern that turns into a crisis is never held back). On success the alert is counted.
    pub fn alert(
        &mut self,
        guild: u64,
        user: u64,
        severity: u8,
        period: Duration,
        now: Instant,
    ) -> bool {
        once_per_period(&mut self.alerted, (guild, user), severity, period, now)
    }

    /// A member may open a support thread if `period` has passed since their last one; on
    /// success the thread is counted (as opening: [`Limits::talk_opened`] or
    /// [`Limits::talk_failed`] follow). `Err` holds the last thread, once it is open.
    pub fn talk(
        &mut self,
        guild: u64,
        user: u64,
        period: Duration,
        now: Instant,
    ) -> Result<(), Option<u64>> {
        self.sweep(now);
        match self.talked.get(&(guild, user)) {
            Some(&(last, thread)) if now.saturating_duration_since(last) < period => Err(thread),
            _ => {
                self.talked.insert((guild, user), (now, None));
                Ok(())
            }
        }
    }

    /// The member's support thread opened.
    pub fn talk_opened(&mut self, guild: u64, user: u64, thread: u64) {
        if let Some(entry) = self.talked.get_mut(&(guild, user)) {
            entry.1 = Some(thread);
        }
    }

    /// Opening the member's support thread failed: it does not count.
    pub fn talk_failed(&mut self, guild: u64, user: u64) {
        self.talked.remove(&(guild, user));
    }

    /// Whether crisis watch may reply to this member now: at most once per `period`, unless
    /// this danger is more severe than the last it replied to. On success the reply is counted.
    pub fn watch(
        &mut self,
        guild: u64,
        user: u64,
        severity: u8,
        period: Duration,
        now: Instant,
    ) -> bool {
        self.sweep(now);
        once_per_period(&mut self.watched, (guild, user), severity, period, now)
    }

    /// Forgets everything about a member (`/forgetme`).
    pub fn forget(&mut self, user: u64) {
        self.asked.retain(|&(_, u), _| u != user);
        self.alerted.retain(|&(_, u), _| u != user);
        self.talked.retain(|&(_, u), _| u != user);
        self.watched.retain(|&(_, u), _| u != user);
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
        self.alerted.retain(|_, (t, _)| fresh(t));
        self.talked.retain(|_, (t, _)| fresh(t));
        self.watched.retain(|_, (t, _)| fresh(t));
        self.channel.retain(|_, ts| ts.back().is_some_and(fresh));
    }
}

/// Once per `period` per key, or sooner for a more severe danger; counts what it lets through.
fn once_per_period(
    last: &mut HashMap<(u64, u64), (Instant, u8)>,
    key: (u64, u64),
    severity: u8,
    period: Duration,
    now: Instant,
) -> bool {
    match last.get(&key) {
        Some(&(at, was)) if now.saturating_duration_since(at) < period && severity <= was => false,
        _ => {
            last.insert(key, (now, severity));
            true
        }
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
        assert!(l.alert(1, 7, 1, hour, t0));
        assert!(!l.alert(1, 7, 1, hour, t0 + 60 * S));
        assert!(l.alert(1, 8, 1, hour, t0 + 60 * S));
        assert!(l.alert(1, 7, 1, hour, t0 + hour));
        // Worse news is never held back; the same or milder is.
        assert!(l.alert(1, 7, 2, hour, t0 + hour + S));
        assert!(!l.alert(1, 7, 1, hour, t0 + hour + 2 * S));
        assert!(!l.alert(1, 7, 2, hour, t0 + hour + 2 * S));
    }

    #[test]
    fn one_support_thread_per_member_per_period_and_a_failure_does_not_count() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        let period = 1800 * S;
        assert_eq!(l.talk(1, 7, period, t0), Ok(()));
        assert_eq!(
            l.talk(1, 7, period, t0),
            Err(None),
            "a double press while opening"
        );
        l.talk_opened(1, 7, 99);
        assert_eq!(l.talk(1, 7, period, t0 + 60 * S), Err(Some(99)));
        assert_eq!(l.talk(2, 7, period, t0), Ok(()), "per server");
        l.talk_failed(2, 7);
        assert_eq!(l.talk(2, 7, period, t0 + S), Ok(()));
        assert_eq!(l.talk(1, 7, period, t0 + period), Ok(()));
        assert!(l.watch(1, 7, 1, period, t0));
        assert!(!l.watch(1, 7, 1, period, t0 + S));
        assert!(
            l.watch(1, 7, 3, period, t0 + S),
            "a concern, then an emergency"
        );
        // Two hours on, a day-long period still holds (the sweep keeps a day).
        assert!(!l.watch(1, 7, 3, 24 * 3600 * S, t0 + 7200 * S));
    }

    #[test]
    fn forget_clears_a_member() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        l.member(1, 7, 10 * S, t0).unwrap();
        assert!(l.alert(1, 7, 1, 3600 * S, t0));
        l.forget(7);
        assert!(l.member(1, 7, 10 * S, t0 + S).is_ok());
        assert!(l.alert(1, 7, 1, 3600 * S, t0 + S));
    }
}
