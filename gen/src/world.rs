//! Everything fixed for one generated tenant: the people, the infrastructure, the period and
//! the sign-in log's coverage. Record writers read it; nothing in it changes while streaming.

use crate::fmt::{B64URL, DAY, w_rand_chars};
use crate::infra::Infra;
use crate::population::Tenant;
use crate::rng::mix2;

pub struct World {
    pub seed: u64,
    pub tn: Tenant,
    pub infra: Infra,
    /// First second of the period (UTC midnight).
    pub start: i64,
    pub days: i64,
    pub end: i64,
    /// The sign-in log covers `[si_start, end)`.
    pub si_start: i64,
    /// The message trace covers `[trace_start, end)`.
    pub trace_start: i64,
    /// Multiplier of bulk activity (mailbox, files) per user and day.
    pub activity: f64,
    /// Addresses of attacker campaigns in 10.0.0.0/8 (the anonymised-export case).
    pub private_attacker: bool,
}

pub const FOLDERS: &[&str] = &[
    "\\Inbox",
    "\\Sent Items",
    "\\Drafts",
    "\\Archive",
    "\\Deleted Items",
    "\\Inbox\\Projects",
    "\\Junk Email",
    "\\Recoverable Items\\Deletions",
    "\\Invoices",
    "\\Newsletters",
    "\\Alerts",
    "\\RSS Subscriptions",
    "\\Conversation History",
];
pub const F_INBOX: usize = 0;
pub const F_SENT: usize = 1;
pub const F_DRAFTS: usize = 2;
pub const F_DELETED: usize = 4;
pub const F_RECOVERABLE: usize = 7;
/// Weights of the folders ordinary reading touches.
pub const READ_W: &[u32] = &[60, 10, 3, 8, 3, 10, 2];

impl World {
    pub fn day_of(&self, t: i64) -> i64 {
        (t - self.start).div_euclid(DAY)
    }

    pub fn covered(&self, t: i64) -> bool {
        t >= self.si_start && t < self.end
    }

    /// A stable folder id per (mailbox, folder).
    pub fn folder_id(&self, b: &mut String, u: usize, f: usize) {
        b.push_str("LgAAAAB");
        let mut r = crate::rng::Rng::new(mix2(self.seed ^ u as u64, f as u64));
        w_rand_chars(b, &mut r, 40, B64URL);
        b.push_str("AQ");
    }
}
