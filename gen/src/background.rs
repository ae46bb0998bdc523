//! Planned benign background that is not a person's daily work: service principals and
//! Exchange system cmdlets, people registering a new authenticator, device registrations,
//! marketing bursts, and internet noise (isolated failures from hosting addresses that
//! never succeed).

use std::collections::HashSet;

use crate::act::{Act, Loc, SignSpec};
use crate::admin::{SERVICE_PRINCIPALS, register_device, register_method, sp_guid, target_res};
use crate::apps;
use crate::entra::{By, DirAudit};
use crate::fmt::{DAY, guid_s, weekday};
use crate::net::{self, Ip};
use crate::population::t;
use crate::rules::{evening, usual, workday};
use crate::signin::Place;
use crate::sink::Emit;
use crate::ual::{self, Actor, Dev, Target};

/// Service principals, Exchange system cmdlets, new authenticators, device registrations.
pub fn plan_background(a: &mut Act, out: &mut dyn Emit) {
    let w = a.w;
    let people: Vec<usize> = w.tn.people().collect();
    let sp_ids: Vec<String> = (0..SERVICE_PRINCIPALS.len())
        .map(|k| format!("ServicePrincipal_{}", guid_s(sp_guid(w, k))))
        .collect();
    let sp_keys: Vec<String> = (0..SERVICE_PRINCIPALS.len())
        .map(|k| format!("{}@{}", guid_s(sp_guid(w, k + 10)), guid_s(w.tn.org)))
        .collect();
    for day in 0..w.days {
        for _ in 0..a.r.range(2, 6) {
            let k = a.r.idx(SERVICE_PRINCIPALS.len());
            let target = &w.tn.users[people[a.r.idx(people.len())]];
            let tm = w.start + day * DAY + a.r.range(0, DAY - 1);
            let actor = Actor {
                id: &sp_ids[k],
                key: &sp_keys[k],
                oid: sp_guid(w, k),
                user_type: 6,
                ip: None,
                app: "",
                tok: None,
            };
            let m = [
                (
                    "AssignedLicense",
                    "[\"[SkuName=SPE_E5, AccountId=...]\"]",
                    "",
                ),
                ("Included Updated Properties", "AssignedLicense", ""),
            ];
            let tr = [target_res(&Target::User(target), &m)];
            let audit = DirAudit {
                t: tm,
                activity: "Update user",
                category: "UserManagement",
                service: "Core Directory",
                op_type: "Update",
                by: By::App {
                    name: SERVICE_PRINCIPALS[k],
                    sp: sp_guid(w, k),
                },
                targets: &tr,
                details: &[],
                reason: "",
            };
            a.dir(
                out,
                tm,
                "Update user.",
                &actor,
                &Target::User(target),
                &m,
                Some(&audit),
            );
        }
        for _ in 0..a.r.range(3, 9) {
            let target = &w.tn.users[a.r.idx(w.tn.users.len())];
            let tm = w.start + day * DAY + a.r.range(0, DAY - 1);
            let actor = Actor {
                id: apps::SYSTEM_ID,
                key: "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)",
                oid: 0,
                user_type: 4,
                ip: None,
                app: "",
                tok: None,
            };
            let mbx = guid_s(target.mbx);
            if a.r.chance(0.7) {
                a.cmdlet(
                    out,
                    tm,
                    "Set-Mailbox",
                    &actor,
                    target,
                    None,
                    &[
                        ("Identity", &mbx),
                        ("RetentionPolicy", "Default MRM Policy"),
                        ("Force", "True"),
                    ],
                );
            } else {
                a.cmdlet(
                    out,
                    tm,
                    "Set-MailboxRegionalConfiguration",
                    &actor,
                    target,
                    None,
                    &[
                        ("Identity", &mbx),
                        ("Language", "en-US"),
                        ("TimeZone", "W. Europe Standard Time"),
                    ],
                );
            }
        }
    }
    for ui in w.tn.with(t::NEW_AUTHENTICATOR) {
        let u = &w.tn.users[ui];
        let day = workday(w, &mut a.r, ui, 1, w.days - 1);
        let tm = evening(w, &mut a.r, ui, day);
        a.user_sign(
            out,
            ui,
            tm - 200,
            Loc::Home,
            &apps::MY_SIGNINS,
            true,
            0,
            true,
        );
        let ip = a.addr(ui, Loc::Home, tm);
        let phone = if u.ios { "iPhone 16" } else { "Pixel 9" };
        register_method(a, out, u, ip, tm, phone);
    }
    for _ in 0..(people.len() / 100).max(2) {
        let ui = people[a.r.idx(people.len())];
        let u = &w.tn.users[ui];
        let day = workday(w, &mut a.r, ui, 1, w.days - 1);
        let (loc, tm) = usual(w, &mut a.r, ui, day);
        a.user_sign(out, ui, tm - 60, loc, &apps::BROKER, true, 0, true);
        let ip = a.addr(ui, loc, tm);
        let name = format!(
            "{}-LT{}",
            u.device_name.split('-').next().unwrap_or("PC"),
            a.r.range(1000, 9999)
        );
        register_device(a, out, u, ip, tm, &name);
    }
}

/// Marketing senders: bursts of outbound mail every few working days all period long.
pub fn plan_marketing(a: &mut Act, out: &mut dyn Emit) {
    let w = a.w;
    for ui in w.tn.with(t::MARKETING) {
        let u = &w.tn.users[ui];
        let mut day = a.r.range(0, 2);
        let mut issue = a.r.range(20, 60);
        while day < w.days {
            if weekday(w.start + day * DAY) < 5 && u.traveling(day).is_none() {
                let (loc, tm0) = usual(w, &mut a.r, ui, day);
                a.user_sign(out, ui, tm0 - 120, loc, &apps::OWA, true, 0, true);
                let subj = format!("{} newsletter #{issue}", w.tn.name);
                let mut tm = tm0;
                for _ in 0..a.r.range(25, 70) {
                    let m = a.mbx(ui, loc, tm);
                    let id = a.r.guid();
                    let rc: Vec<(String, String)> = (0..a.r.range(1, 3))
                        .map(|_| {
                            let (dom, name) = &w.tn.partners[a.r.idx(w.tn.partners.len())];
                            (format!("contact{}@{dom}", a.r.range(1, 400)), name.clone())
                        })
                        .collect();
                    let mid = ual::msgid(&mut a.r, u, true, "");
                    ual::send(
                        &mut a.bufs.ad,
                        w,
                        &mut a.r,
                        &m,
                        id,
                        &subj,
                        &mid,
                        &rc,
                        Some("newsletter.pdf (842113b)"),
                    );
                    a.bufs.ual(out, id, tm, 2, "Send", &u.upn);
                    a.trace(out, tm, &mid, &u.upn, &rc, &subj, None);
                    tm += a.r.range(3, 25);
                }
                issue += 1;
            }
            day += a.r.range(2, 4);
        }
    }
}

const NOISE_UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
    "",
];
const GUESSES: &[&str] = &[
    "admin",
    "test",
    "support",
    "office",
    "j.smith",
    "m.miller",
    "sales",
    "reception",
    "backup",
    "it",
];

/// Internet noise: many hosting sources, one to three failures each, never a success.
pub fn plan_noise(a: &mut Act, out: &mut dyn Emit, avoid: &HashSet<u32>) {
    let w = a.w;
    let people: Vec<usize> = w.tn.people().collect();
    let per_day = 4 + w.tn.users.len() / 150;
    for day in 0..w.days {
        for _ in 0..a.r.range(per_day as i64 / 2, per_day as i64) {
            let hi = a.r.idx(net::HOSTING.len());
            let host = &net::HOSTING[hi];
            let ip = loop {
                let ip = net::hosting_addr(&mut a.r, hi);
                if let Ip::V4(x) = ip {
                    if !avoid.contains(&(x >> 8)) {
                        break ip;
                    }
                }
            };
            let place = Place {
                cc: host.cc,
                city: host.city,
                asn: host.asn,
            };
            let ua = *a.r.pick(NOISE_UAS);
            let mut tm = w.start + day * DAY + a.r.range(0, DAY - 1);
            for _ in 0..a.r.range(1, 3) {
                let (upn, display, oid, err) = if a.r.chance(0.6) {
                    let u = &w.tn.users[people[a.r.idx(people.len())]];
                    (u.upn.clone(), u.display.clone(), Some(u.oid), 50126)
                } else {
                    (
                        format!("{}@{}", a.r.pick(GUESSES), w.tn.domain),
                        String::new(),
                        None,
                        50034,
                    )
                };
                let spec = SignSpec {
                    t: tm,
                    upn: &upn,
                    display: &display,
                    oid,
                    ip,
                    place,
                    app: if a.r.chance(0.5) {
                        &apps::OFFICE
                    } else {
                        &apps::OFFICE_HOME
                    },
                    ua,
                    interactive: true,
                    err,
                    dev: Dev {
                        os: "",
                        browser: "",
                        device_id: None,
                        name: "",
                        compliant: false,
                        trust: "",
                    },
                    mfa: false,
                    protocol: if a.r.chance(0.6) { "ropc" } else { "none" },
                    transfer: "none",
                    session: a.r.guid(),
                    incoming: "none",
                    client_app: None,
                    request_type: "OAuth2:Token",
                    ual: true,
                };
                a.sign(out, &spec);
                tm += a.r.range(40, 1800);
            }
        }
    }
}
