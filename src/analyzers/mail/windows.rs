//! Sliding windows over time-sorted records, and what came before each: the volume baselines of
//! `sent_items.burst`, `mailbox.mass-delete` and `mailbox.items-accessed`.

use chrono::{DateTime, Duration, Utc};

use super::date;

/// A sliding window over time-sorted items: for each start, the end (exclusive) of the items
/// within `len` of it.
pub(super) fn window_ends(times: &[DateTime<Utc>], len: Duration) -> Vec<usize> {
    let mut ends = Vec::with_capacity(times.len());
    let mut j = 0;
    for (i, t) in times.iter().enumerate() {
        j = j.max(i);
        while j < times.len() && times[j] < *t + len {
            j += 1;
        }
        ends.push(j);
    }
    ends
}

/// Sliding-window totals over time-sorted, weighted items, and what came before each window.
pub(super) struct Windows {
    pub(super) times: Vec<DateTime<Utc>>,
    /// For each start, the end (exclusive) of its window.
    pub(super) ends: Vec<usize>,
    /// Total weight of each window.
    pub(super) sums: Vec<usize>,
    /// `prefix_max[k]`: the largest of `sums[..k]`.
    pub(super) prefix_max: Vec<usize>,
    /// `prefix_days[k]`: distinct days among `times[..k]`.
    pub(super) prefix_days: Vec<usize>,
}

impl Windows {
    pub(super) fn new(times: Vec<DateTime<Utc>>, weights: &[usize], len: Duration) -> Windows {
        let ends = window_ends(&times, len);
        let mut prefix_weight = vec![0; times.len() + 1];
        for (k, w) in weights.iter().enumerate() {
            prefix_weight[k + 1] = prefix_weight[k] + w;
        }
        let sums: Vec<usize> = (0..times.len())
            .map(|i| prefix_weight[ends[i]] - prefix_weight[i])
            .collect();
        let mut prefix_max = vec![0; times.len() + 1];
        let mut prefix_days = vec![0; times.len() + 1];
        for k in 0..times.len() {
            prefix_max[k + 1] = prefix_max[k].max(sums[k]);
            let new_day = k == 0 || date(times[k]) != date(times[k - 1]);
            prefix_days[k + 1] = prefix_days[k] + usize::from(new_day);
        }
        Windows {
            times,
            ends,
            sums,
            prefix_max,
            prefix_days,
        }
    }

    /// Windows wholly before item `i` and on earlier days are those starting at `..earlier(i)`.
    pub(super) fn earlier(&self, i: usize) -> usize {
        let day = date(self.times[i]);
        let wholly_before = self.ends.partition_point(|&e| e <= i);
        let earlier_days = self.times.partition_point(|t| date(*t) < day);
        wholly_before.min(earlier_days)
    }
}
