//! The benign bulk, day by day: each person's working day as location segments (office NAT,
//! home, VPN alternating with home, hotel alternating with VPN, the phone on a carrier's
//! CGNAT, Outlook mobile through Microsoft's service) and the sign-ins, mail and file
//! activity inside them. A day is planned as compact events, sorted, then rendered, so
//! memory stays bounded whatever the tenant's size.

use crate::act::{Act, Loc};
use crate::apps::{self, App};
use crate::fmt::{DAY, weekday};
use crate::net::COUNTRIES;
use crate::population::{User, t};
use crate::rng::{Rng, mix2};
use crate::sink::Emit;
use crate::ual;
use crate::world::{F_DELETED, F_INBOX, F_RECOVERABLE, READ_W, World};

#[derive(Clone, Copy, Debug)]
pub enum K {
    SignIn {
        app: u8,
        interactive: bool,
        err: u32,
        ual: bool,
    },
    Mia {
        sync: bool,
        n: u8,
    },
    Send {
        ext: bool,
        n: u8,
    },
    File,
    Update,
    Delete {
        op: u8,
        n: u8,
    },
    Restamp {
        n: u16,
    },
    Legacy,
}

#[derive(Clone, Copy, Debug)]
pub struct Ev {
    pub t: i64,
    pub u: u32,
    pub loc: Loc,
    pub k: K,
}

static APPS: [&App; 6] = [
    &apps::OFFICE,
    &apps::OFFICE_HOME,
    &apps::OWA,
    &apps::TEAMS,
    &apps::ONEDRIVE,
    &apps::OUTLOOK_MOBILE,
];
const A_TEAMS: u8 = 3;
const A_OUTLOOK_MOBILE: u8 = 5;

const DEL_OPS: [&str; 3] = ["MoveToDeletedItems", "SoftDelete", "HardDelete"];

fn desk_app(r: &mut Rng) -> u8 {
    r.weighted(&[40, 15, 15, 20, 10]) as u8
}

/// A local hour on `day` as UTC seconds.
fn at(w: &World, day: i64, tz: i64, hour: f64) -> i64 {
    w.start + day * DAY + ((hour - tz as f64) * 3600.0) as i64
}

/// Plans every benign user's events of `day` into `evs` (unsorted).
pub fn day_events(w: &World, r: &mut Rng, day: i64, evs: &mut Vec<Ev>) {
    for ui in 0..w.tn.users.len() {
        user_day(w, r, day, ui, evs);
    }
}

fn user_day(w: &World, r: &mut Rng, day: i64, ui: usize, evs: &mut Vec<Ev>) {
    let u = &w.tn.users[ui];
    if u.has(t::SHARED_MAILBOX) || u.leaves_day.is_some_and(|d| day > d) {
        return;
    }
    let d0 = w.start + day * DAY;
    let weekend = weekday(d0) >= 5;
    let home_tz = COUNTRIES[u.country].tz;
    let push = |evs: &mut Vec<Ev>, tm: i64, loc: Loc, k: K| {
        evs.push(Ev {
            t: tm,
            u: ui as u32,
            loc,
            k,
        })
    };
    if u.has(t::SERVICE_MAILBOX) {
        // The scanner authenticates over SMTP AUTH (basic) from the office network.
        let n = if weekend {
            r.range(0, 1)
        } else {
            r.range(3, 10)
        };
        for _ in 0..n {
            let tm = at(w, day, home_tz, 7.0 + r.unit() * 11.0);
            push(evs, tm, Loc::Office, K::Legacy);
        }
        return;
    }
    let mut segs: Vec<(i64, i64, Loc)> = Vec::new();
    if let Some(trip) = u.traveling(day) {
        let tz = COUNTRIES[trip.country].tz;
        let alternate = |segs: &mut Vec<(i64, i64, Loc)>, r: &mut Rng, s: i64, e: i64| {
            let mut x = s;
            let mut loc = Loc::Hotel;
            while x < e {
                let len = if loc == Loc::Hotel {
                    r.range(4, 25)
                } else {
                    r.range(20, 120)
                } * 60;
                segs.push((x, (x + len).min(e), loc));
                x += len + r.range(30, 240);
                loc = if loc == Loc::Hotel {
                    Loc::Vpn
                } else {
                    Loc::Hotel
                };
            }
        };
        if day == trip.start_day {
            segs.push((
                at(w, day, home_tz, 5.5),
                at(w, day, home_tz, 6.2),
                Loc::Home,
            ));
            // the flight: nothing until the evening at the destination
            let land = at(w, day, tz, 19.0 + r.unit());
            alternate(&mut segs, r, land, land + 2 * 3600);
        } else if day == trip.end_day {
            alternate(&mut segs, r, at(w, day, tz, 7.0), at(w, day, tz, 9.0));
            segs.push((
                at(w, day, home_tz, 21.0),
                at(w, day, home_tz, 22.0),
                Loc::Home,
            ));
        } else {
            segs.push((at(w, day, tz, 7.5), at(w, day, tz, 8.2), Loc::Hotel));
            let (s9, e17) = (
                at(w, day, tz, 9.0 + r.unit()),
                at(w, day, tz, 17.0 + r.unit()),
            );
            alternate(&mut segs, r, s9, e17);
        }
    } else if weekend {
        if r.chance(0.3) {
            let s = at(w, day, home_tz, 17.0 + r.unit() * 4.0);
            segs.push((s, s + r.range(900, 3600), Loc::Home));
        }
    } else {
        let wfh = u.has(t::HYBRID) && mix2(ui as u64, day as u64) % 5 < 2;
        if u.has(t::OFFICE) && !wfh {
            let arrive = 7.6 + r.unit() * 1.6;
            let leave = arrive + 8.0 + r.unit() * 1.5;
            segs.push((
                at(w, day, home_tz, arrive),
                at(w, day, home_tz, leave),
                Loc::Office,
            ));
            if r.chance(0.25) {
                let s = at(w, day, home_tz, 19.5 + r.unit() * 2.0);
                segs.push((s, s + r.range(600, 3000), Loc::Home));
            }
        } else if u.has(t::VPN) {
            // home connection first, then the VPN, which drops back to home now and then
            let mut x = at(w, day, home_tz, 8.0 + r.unit() * 1.5);
            let end = x + ((8.0 + r.unit() * 1.5) * 3600.0) as i64;
            segs.push((x, x + r.range(120, 600), Loc::Home));
            x += r.range(180, 700);
            while x < end {
                let len = r.range(40, 180) * 60;
                segs.push((x, (x + len).min(end), Loc::Vpn));
                x += len;
                if x < end && r.chance(0.25) {
                    let drop = r.range(2, 12) * 60;
                    segs.push((x, x + drop, Loc::Home));
                    x += drop + r.range(30, 120);
                }
            }
        } else {
            let s = at(w, day, home_tz, 8.5 + r.unit());
            segs.push((s, s + ((6.0 + r.unit() * 2.0) * 3600.0) as i64, Loc::Home));
        }
    }
    let act = w.activity;
    let mut first_of: [bool; 6] = [true; 6];
    let typo_p = if u.has(t::TYPO_PRONE) { 0.10 } else { 0.03 };
    for &(s, e, loc) in &segs {
        let li = loc as usize;
        let first = first_of[li];
        first_of[li] = false;
        let hours = (e - s) as f64 / 3600.0;
        if first && r.chance(typo_p) {
            let k = if r.chance(0.2) { 2 } else { 1 };
            for j in 0..k {
                let app = desk_app(r);
                push(
                    evs,
                    s - 90 + j * 25,
                    loc,
                    K::SignIn {
                        app,
                        interactive: true,
                        err: 50126,
                        ual: true,
                    },
                );
            }
        }
        if first && r.chance(0.03) {
            push(
                evs,
                s - 5,
                loc,
                K::SignIn {
                    app: 1,
                    interactive: true,
                    err: 50140,
                    ual: true,
                },
            );
        }
        // The first connection of the day from an address is an interactive sign-in; coming
        // back to it minutes later (VPN drops, hotel Wi-Fi) is a token refresh.
        push(
            evs,
            s,
            loc,
            K::SignIn {
                app: desk_app(r),
                interactive: first,
                err: 0,
                ual: first,
            },
        );
        let mut x = s + r.range(2 * 3600, 5 * 3600);
        while x < e {
            push(
                evs,
                x,
                loc,
                K::SignIn {
                    app: desk_app(r),
                    interactive: false,
                    err: 0,
                    ual: false,
                },
            );
            x += r.range(4 * 3600, 8 * 3600);
        }
        let mut spread = |r: &mut Rng, rate: f64, k: &dyn Fn(&mut Rng) -> K| {
            for _ in 0..r.poisson(rate * hours * act) {
                let tm = s + 30 + r.below((e - s - 30).max(1) as u64) as i64;
                let kk = k(r);
                evs.push(Ev {
                    t: tm,
                    u: ui as u32,
                    loc,
                    k: kk,
                });
            }
        };
        spread(r, 0.12, &|r| K::Mia {
            sync: r.chance(0.4),
            n: r.range(1, 6) as u8,
        });
        spread(r, 0.03, &|r| K::Send {
            ext: r.chance(0.4),
            n: r.range(1, 3) as u8,
        });
        spread(r, 0.03, &|_| K::File);
        spread(r, 0.008, &|_| K::Update);
        spread(r, 0.008, &|r| K::Delete {
            op: 0,
            n: r.range(1, 4) as u8,
        });
    }
    if let Some(&(s, _, loc)) = segs.first() {
        if u.has(t::RULE_RESTAMP) && loc != Loc::Hotel && r.chance(0.08) {
            push(
                evs,
                s + r.range(40, 400),
                loc,
                K::Restamp {
                    n: r.range(3, 16) as u16,
                },
            );
        }
        if u.has(t::HOUSEKEEPING) && r.chance(0.2) {
            let tm = s + r.range(600, 7200);
            push(
                evs,
                tm,
                loc,
                K::Delete {
                    op: 1,
                    n: r.range(1, 3) as u8,
                },
            );
            push(
                evs,
                tm + r.range(5, 60),
                loc,
                K::Delete {
                    op: 2,
                    n: r.range(1, 5) as u8,
                },
            );
        }
        if u.has(t::EMPTIES_DELETED) && day == (mix2(w.seed, ui as u64) % w.days as u64) as i64 {
            // the monthly clean-out: bursts of deletes, then Deleted Items emptied
            let tm = s + r.range(600, 3600);
            for j in 0..r.range(10, 30) {
                push(
                    evs,
                    tm + j * r.range(1, 4),
                    loc,
                    K::Delete {
                        op: 0,
                        n: r.range(1, 6) as u8,
                    },
                );
            }
            for j in 0..r.range(5, 15) {
                push(
                    evs,
                    tm + 200 + j * 2,
                    loc,
                    K::Delete {
                        op: 1,
                        n: r.range(3, 10) as u8,
                    },
                );
            }
        }
    }
    // the phone on the carrier network, all waking day
    if u.has(t::MOBILE_CARRIER) && (!weekend || r.chance(0.4)) {
        let s = at(w, day, home_tz, 7.0 + r.unit());
        let e = at(w, day, home_tz, 21.0 + r.unit());
        let app = if u.has(t::OUTLOOK_MOBILE) {
            A_OUTLOOK_MOBILE
        } else {
            A_TEAMS
        };
        // The UAL keeps the phone's logon on some days only (token refreshes are not in it).
        let ual = r.chance(0.35);
        push(
            evs,
            s,
            Loc::Carrier,
            K::SignIn {
                app,
                interactive: false,
                err: 0,
                ual,
            },
        );
        for _ in 0..r.poisson(0.4) {
            let tm = s + 60 + r.below((e - s) as u64) as i64;
            push(
                evs,
                tm,
                Loc::Carrier,
                K::SignIn {
                    app,
                    interactive: false,
                    err: 0,
                    ual: false,
                },
            );
        }
        for _ in 0..r.poisson(if ual { 0.15 * act } else { 0.0 }) {
            push(
                evs,
                s + 60 + r.below((e - s) as u64) as i64,
                Loc::Carrier,
                K::File,
            );
        }
        if u.has(t::OUTLOOK_MOBILE) {
            for _ in 0..r.poisson(0.8 * act) {
                let tm = s + 60 + r.below((e - s) as u64) as i64;
                push(
                    evs,
                    tm,
                    Loc::Ms,
                    K::Mia {
                        sync: r.chance(0.6),
                        n: r.range(1, 4) as u8,
                    },
                );
            }
            for _ in 0..r.poisson(0.05 * act) {
                let tm = s + 60 + r.below((e - s) as u64) as i64;
                push(
                    evs,
                    tm,
                    Loc::Ms,
                    K::Send {
                        ext: r.chance(0.3),
                        n: 1,
                    },
                );
            }
        }
    }
}

const SUBJECTS: &[&str] = &[
    "RE: weekly status",
    "Meeting notes",
    "Updated timeline",
    "Lunch on Friday?",
    "RE: Q3 forecast review",
    "Invoice {n}",
    "Payment confirmation {n}",
    "FW: contract renewal",
    "Slides for tomorrow",
    "Action required: expense report {n}",
    "RE: RE: PO {n}, delivery date",
    "Accepted: project sync",
    "Quote {n}",
    "Re: bank holiday cover",
];

pub fn subject(r: &mut Rng) -> String {
    r.pick(SUBJECTS)
        .replace("{n}", &r.range(1000, 99999).to_string())
}

/// External and internal recipients of an ordinary message.
pub fn recipients(w: &World, r: &mut Rng, ext: bool, n: usize) -> Vec<(String, String)> {
    (0..n.max(1))
        .map(|_| {
            if ext {
                let (dom, name) = &w.tn.partners[r.idx(w.tn.partners.len())];
                let lp = *r.pick(&[
                    "ap", "sales", "orders", "support", "j.doe", "m.rossi", "info",
                ]);
                (format!("{lp}@{dom}"), format!("{name} {lp}"))
            } else {
                let o: &User = &w.tn.users[r.idx(w.tn.users.len())];
                (o.upn.clone(), o.display.clone())
            }
        })
        .collect()
}

/// Renders one planned event.
pub fn render(a: &mut Act, out: &mut dyn Emit, ev: &Ev) {
    let w = a.w;
    let ui = ev.u as usize;
    let u = &w.tn.users[ui];
    match ev.k {
        K::SignIn {
            app,
            interactive,
            err,
            ual,
        } => {
            a.user_sign(
                out,
                ui,
                ev.t,
                ev.loc,
                APPS[app as usize],
                interactive,
                err,
                ual,
            );
        }
        K::Legacy => {
            let ip = a.addr(ui, Loc::Office, ev.t);
            let place = a.place(ui, Loc::Office, ev.t);
            let dev = ual::Dev {
                os: "",
                browser: "",
                device_id: None,
                name: "",
                compliant: false,
                trust: "",
            };
            a.sign(
                out,
                &crate::act::SignSpec {
                    t: ev.t,
                    upn: &u.upn,
                    display: &u.display,
                    oid: Some(u.oid),
                    ip,
                    place,
                    app: &apps::SMTP,
                    ua: apps::LEGACY_UA,
                    interactive: true,
                    err: 0,
                    dev,
                    mfa: false,
                    protocol: "ropc",
                    transfer: "none",
                    session: crate::act::session_of(u, false, w.day_of(ev.t)),
                    incoming: "none",
                    client_app: Some("Authenticated SMTP"),
                    request_type: "OAuth2:Token",
                    ual: true,
                },
            );
        }
        K::Mia { sync, n } => {
            let m = a.mbx(ui, ev.loc, ev.t);
            let id = a.r.guid();
            let f = a.r.weighted(READ_W);
            let g = if a.r.chance(0.3) { F_INBOX } else { f };
            let folders = if f == g { vec![f] } else { vec![f, g] };
            let throttled = a.r.chance(0.002);
            ual::mia(
                &mut a.bufs.ad,
                w,
                &mut a.r,
                &m,
                id,
                sync,
                &folders,
                n as usize,
                throttled,
            );
            a.bufs.ual(out, id, ev.t, 50, "MailItemsAccessed", &u.upn);
        }
        K::Send { ext, n } => {
            let m = a.mbx(ui, ev.loc, ev.t);
            let id = a.r.guid();
            let rc = recipients(w, &mut a.r, ext, n as usize);
            let subj = subject(&mut a.r);
            let mid = ual::msgid(&mut a.r, u, true, "");
            ual::send(&mut a.bufs.ad, w, &mut a.r, &m, id, &subj, &mid, &rc, None);
            a.bufs.ual(out, id, ev.t, 2, "Send", &u.upn);
            if ext {
                a.trace(out, ev.t, &mid, &u.upn, &rc, &subj, None);
            }
        }
        K::File => {
            let ip = a.addr(ui, ev.loc, ev.t);
            let ua = if ev.loc == Loc::Carrier {
                apps::phone_ua(u.ios).to_string()
            } else {
                apps::desktop_ua(u.mac, u.chrome)
            };
            let op = *a.r.pick(&[
                "FileAccessed",
                "FileAccessed",
                "FileAccessed",
                "FileModified",
                "FileDownloaded",
            ]);
            let id = a.r.guid();
            let sess = crate::act::session_of(u, ev.loc == Loc::Carrier, w.day_of(ev.t));
            ual::sp_file(&mut a.bufs.ad, w, &mut a.r, ev.t, id, u, ip, &ua, op, sess);
            a.bufs.ual(out, id, ev.t, 6, op, &u.upn);
        }
        K::Update => {
            let m = a.mbx(ui, ev.loc, ev.t);
            let id = a.r.guid();
            let s = subject(&mut a.r);
            ual::update_item(&mut a.bufs.ad, w, &mut a.r, &m, id, &s);
            a.bufs.ual(out, id, ev.t, 2, "Update", &u.upn);
        }
        K::Delete { op, n } => {
            let m = a.mbx(ui, ev.loc, ev.t);
            let id = a.r.guid();
            let from = match op {
                0 => *a.r.pick(&[F_INBOX, F_INBOX, 9, 10]),
                1 => F_DELETED,
                _ => F_RECOVERABLE,
            };
            let items: Vec<(String, String)> = (0..n)
                .map(|_| {
                    let p = &w.tn.partners[a.r.idx(w.tn.partners.len())].0;
                    (ual::msgid(&mut a.r, u, false, p), subject(&mut a.r))
                })
                .collect();
            let opn = DEL_OPS[op as usize];
            ual::delete_items(&mut a.bufs.ad, w, &mut a.r, &m, id, opn, from, &items);
            a.bufs.ual(out, id, ev.t, 3, opn, &u.upn);
        }
        K::Restamp { n } => {
            let m = ual::Mbx {
                cis: "Client=MSExchangeRPC",
                app: apps::OFFICE.id,
                client_app: apps::OFFICE.id,
                ..a.mbx(ui, ev.loc, ev.t)
            };
            for i in 0..n as i64 {
                let id = a.r.guid();
                let mm = ual::Mbx {
                    t: ev.t + i / 8,
                    ..m
                };
                ual::update_inbox_rules(&mut a.bufs.ad, w, &mut a.r, &mm, id, None);
                a.bufs.ual(out, id, mm.t, 2, "UpdateInboxRules", &u.upn);
            }
        }
    }
}
