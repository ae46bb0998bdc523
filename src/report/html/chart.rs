//! The activity chart of a suspect window, as inline SVG numbers for the template.

use chrono::{DateTime, Utc};

use super::view::Ctx;
use crate::report::Display;
use crate::timeline::Entry;
use crate::window::{Account, Window};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 230;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 46.0;
const PLOT_W: f64 = WIDTH as f64 - LEFT - RIGHT;
const PLOT_H: f64 = HEIGHT as f64 - TOP - BOTTOM;

/// One chart: the plot's frame, the shaded window, the bars and the axes' ticks, as SVG
/// coordinates already formatted.
pub struct Chart {
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub plot_left: String,
    pub plot_right: String,
    pub plot_top: String,
    pub plot_bottom: String,
    pub plot_height: String,
    pub tick_bottom: String,
    pub window_x: String,
    pub window_w: String,
    pub bars: Vec<Bar>,
    pub xticks: Vec<XTick>,
    pub yticks: Vec<YTick>,
    pub title: String,
    pub caption: String,
}

/// One time slot's events: attacker-address events stacked under the rest.
pub struct Bar {
    pub x: String,
    pub w: String,
    pub atk_y: String,
    pub atk_h: String,
    pub oth_y: String,
    pub oth_h: String,
    pub tip: String,
}

pub struct XTick {
    pub x: String,
    pub time: String,
    pub date: String,
}

pub struct YTick {
    pub y: String,
    pub label: usize,
}

/// Events per time slot across the suspect window: attacker-address events in red, the rest in
/// grey, the window shaded. Slots are an hour, or shorter (down to 5 minutes) when that gives
/// fewer than 12 bars, or longer when it gives more than 96.
pub fn chart(ctx: &Ctx<'_, '_>, id: &str, entries: &[&Entry], a: &Account, w: &Window) -> Chart {
    let d = ctx.d;
    let slot = slot_length(w);
    // One empty slot of context before and after the window.
    let origin = w.start.timestamp().div_euclid(slot) * slot - slot;
    let slots = ((w.end.timestamp() - origin) / slot + 2).max(1) as usize;
    let counts = counts(ctx, entries, origin, slot, slots);
    let max = counts.iter().map(|(x, y)| x + y).max().unwrap_or(0).max(1);
    let plot = Plot {
        origin,
        slot,
        slots,
        scale_max: nice_ceiling(max),
    };

    let in_window: usize = entries
        .iter()
        .filter(|e| e.time.is_some_and(|t| t >= w.start && t <= w.end))
        .count();
    let atk_total: usize = counts.iter().map(|c| c.0).sum();
    Chart {
        id: id.to_string(),
        width: WIDTH,
        height: HEIGHT,
        plot_left: f1(LEFT),
        plot_right: f1(LEFT + PLOT_W),
        plot_top: f1(TOP),
        plot_bottom: f1(TOP + PLOT_H),
        plot_height: f1(PLOT_H),
        tick_bottom: f1(TOP + PLOT_H + 5.0),
        window_x: f1(plot.x_of(w.start.timestamp())),
        window_w: f1((plot.x_of(w.end.timestamp()) - plot.x_of(w.start.timestamp())).max(1.0)),
        bars: plot.bars(&counts, d),
        xticks: plot.xticks(d),
        yticks: plot.yticks(),
        title: format!("Activity of {} per {}", a.user, slot_text(slot)),
        caption: format!(
            "Events of {} per {}, times in {}: {} in the suspect window, {} of them from the \
             attacker's addresses (red); other activity in grey; the suspect window is shaded.",
            a.user,
            slot_text(slot),
            d.tz.name(),
            in_window,
            atk_total
        ),
    }
}

/// The slot length in seconds: an hour, or the longest shorter one that gives at least 12 bars,
/// or the shortest longer one that gives at most 96.
fn slot_length(w: &Window) -> i64 {
    let span = (w.end - w.start).num_seconds().max(1);
    let bars = |slot: i64| span / slot + 3;
    if bars(3600) < 12 {
        [1800, 900, 600, 300]
            .into_iter()
            .find(|s| bars(*s) >= 12)
            .unwrap_or(300)
    } else {
        [3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
            .into_iter()
            .find(|s| bars(*s) <= 96)
            .unwrap_or(604800)
    }
}

/// Per slot, the events from an attacker address and the others.
fn counts(
    ctx: &Ctx<'_, '_>,
    entries: &[&Entry],
    origin: i64,
    slot: i64,
    slots: usize,
) -> Vec<(usize, usize)> {
    let mut counts = vec![(0usize, 0usize); slots];
    for e in entries {
        let Some(t) = e.time else { continue };
        let i = (t.timestamp() - origin).div_euclid(slot);
        if i < 0 || i as usize >= slots {
            continue;
        }
        if ctx.is_attacker(e.ip.as_deref()) {
            counts[i as usize].0 += 1;
        } else {
            counts[i as usize].1 += 1;
        }
    }
    counts
}

/// The time axis (`slots` slots of `slot` seconds from `origin`) and the count axis (0 to
/// `scale_max`), mapped onto the plot area.
struct Plot {
    origin: i64,
    slot: i64,
    slots: usize,
    scale_max: usize,
}

impl Plot {
    fn x_of(&self, secs: i64) -> f64 {
        let total = (self.slots as i64 * self.slot) as f64;
        LEFT + (secs - self.origin) as f64 / total * PLOT_W
    }

    fn y_of(&self, n: usize) -> f64 {
        TOP + PLOT_H - n as f64 / self.scale_max as f64 * PLOT_H
    }

    fn slot_w(&self) -> f64 {
        PLOT_W / self.slots as f64
    }

    /// The start of slot `i`.
    fn at(&self, i: usize) -> Option<DateTime<Utc>> {
        DateTime::<Utc>::from_timestamp(self.origin + i as i64 * self.slot, 0)
    }

    fn bars(&self, counts: &[(usize, usize)], d: &Display) -> Vec<Bar> {
        let slot_w = self.slot_w();
        let local = |t: DateTime<Utc>| t.with_timezone(&d.tz);
        counts
            .iter()
            .enumerate()
            .filter(|(_, (x, y))| x + y > 0)
            .map(|(i, &(atk, oth))| {
                let x = LEFT + i as f64 * slot_w + slot_w * 0.12;
                let bw = slot_w * 0.76;
                let atk_top = self.y_of(atk);
                let oth_top = self.y_of(atk + oth);
                let from = self
                    .at(i)
                    .map(|t| local(t).format("%Y-%m-%d %H:%M").to_string());
                let to = self
                    .at(i + 1)
                    .map(|t| local(t).format("%H:%M %Z").to_string());
                Bar {
                    x: f1(x),
                    w: f1(bw),
                    atk_y: f1(atk_top),
                    atk_h: f1(TOP + PLOT_H - atk_top),
                    oth_y: f1(oth_top),
                    oth_h: f1(atk_top - oth_top),
                    tip: format!(
                        "{}–{}: {} event{}, {} from attacker addresses",
                        from.unwrap_or_default(),
                        to.unwrap_or_default(),
                        atk + oth,
                        if atk + oth == 1 { "" } else { "s" },
                        atk
                    ),
                }
            })
            .collect()
    }

    /// About eight time labels, each with its date where the date changes.
    fn xticks(&self, d: &Display) -> Vec<XTick> {
        let slot_w = self.slot_w();
        let every = self.slots.div_ceil(8).max(1);
        let mut last_date = String::new();
        (0..=self.slots)
            .step_by(every)
            .filter_map(|i| {
                let t = self.at(i)?.with_timezone(&d.tz);
                let date = t.format("%Y-%m-%d").to_string();
                let show_date = date != last_date;
                last_date = date.clone();
                Some(XTick {
                    x: f1(LEFT + i as f64 * slot_w),
                    time: t.format("%H:%M").to_string(),
                    date: if show_date { date } else { String::new() },
                })
            })
            .collect()
    }

    /// 0, the top of the scale, and its half when that is a whole number.
    fn yticks(&self) -> Vec<YTick> {
        let tick = |n: usize| YTick {
            y: f1(self.y_of(n)),
            label: n,
        };
        let mut yticks = vec![tick(0), tick(self.scale_max)];
        if self.scale_max >= 2 && self.scale_max % 2 == 0 {
            yticks.insert(1, tick(self.scale_max / 2));
        }
        yticks
    }
}

fn slot_text(secs: i64) -> String {
    match secs {
        s if s % 86400 == 0 && s > 86400 => format!("{} days", s / 86400),
        86400 => "day".into(),
        3600 => "hour".into(),
        s if s % 3600 == 0 => format!("{} hours", s / 3600),
        s => format!("{} minutes", s / 60),
    }
}

fn nice_ceiling(n: usize) -> usize {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= n {
                return m * step;
            }
        }
        step *= 10;
    }
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(slot_text(900), "15 minutes");
        assert_eq!(slot_text(3600), "hour");
    }
}
