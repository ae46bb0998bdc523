//! The attacker's toolbox: where attacker addresses come from (hosting/VPS, residential
//! proxies, 10/8 in anonymised exports), kit and browser user agents, and the actions
//! every campaign shares (sign-in as the victim, mail reading, the fraud message, a rule).

use crate::act::{Act, SignSpec};
use crate::apps::App;
use crate::mailbox::{Rule, State};
use crate::net::{self, COUNTRIES, City, Ip};
use crate::rng::Rng;
use crate::signin::Place;
use crate::sink::Emit;
use crate::ual::{self, Dev, Mbx};

pub(crate) const KIT_BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
pub(crate) const SPRAY_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36";
pub(crate) const FRAUD: &[&str] = &[
    "Updated bank details for outstanding invoice",
    "RE: Payment instructions - new account",
    "Urgent: wire transfer before end of day",
];
pub(crate) const DROP_DOMAINS: &[&str] = &["proton.me", "mailfence.com", "tutamail.com"];
pub(crate) const GUESS: &[&str] = &[
    "admin", "finance", "ceo", "payroll", "test", "scan", "noreply", "helpdesk",
];

/// An attacker address: hosting/VPS, residential proxy, or 10/8 in anonymised exports.
pub(crate) fn attacker_addr(
    r: &mut Rng,
    hosting: bool,
    avoid_cc: &[&str],
    private: bool,
) -> (Ip, Place<'static>) {
    if private {
        let ip = Ip::V4(net::v4(
            10,
            r.range(0, 255) as u32,
            r.range(0, 255) as u32,
            r.range(2, 254) as u32,
        ));
        return (
            ip,
            Place {
                cc: "",
                city: City {
                    name: "",
                    state: "",
                    lat: 0.0,
                    lon: 0.0,
                },
                asn: 0,
            },
        );
    }
    loop {
        if hosting {
            let hi = r.idx(net::HOSTING.len());
            let h = &net::HOSTING[hi];
            if !avoid_cc.contains(&h.cc) {
                return (
                    net::hosting_addr(r, hi),
                    Place {
                        cc: h.cc,
                        city: h.city,
                        asn: h.asn,
                    },
                );
            }
        } else {
            let ci = net::PROXY[r.idx(net::PROXY.len())];
            let c = &COUNTRIES[ci];
            if !avoid_cc.contains(&c.cc) {
                let ip = Ip::V4(c.residential[r.idx(c.residential.len())].host(r));
                return (
                    ip,
                    Place {
                        cc: c.cc,
                        city: c.cities[0],
                        asn: c.residential_asn[0],
                    },
                );
            }
        }
    }
}

pub(crate) const NO_DEV: Dev<'static> = Dev {
    os: "Windows10",
    browser: "",
    device_id: None,
    name: "",
    compliant: false,
    trust: "",
};

/// One attacker sign-in as `upn`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn att_sign(
    a: &mut Act,
    out: &mut dyn Emit,
    ui: usize,
    tm: i64,
    ip: Ip,
    place: Place,
    app: &App,
    ua: &str,
    interactive: bool,
    err: u32,
    session: u128,
    protocol: &str,
    incoming: &str,
    mfa: bool,
    request_type: &str,
) {
    let u = &a.w.tn.users[ui];
    let browser = if ua.starts_with("Mozilla") {
        "Chrome 131.0.0"
    } else {
        ""
    };
    let spec = SignSpec {
        t: tm,
        upn: &u.upn,
        display: &u.display,
        oid: Some(u.oid),
        ip,
        place,
        app,
        ua,
        interactive,
        err,
        dev: Dev { browser, ..NO_DEV },
        mfa,
        protocol,
        transfer: if protocol == "deviceCode" {
            "deviceCodeFlow"
        } else {
            "none"
        },
        session,
        incoming,
        client_app: None,
        request_type,
        ual: true,
    };
    a.sign(out, &spec);
}

pub(crate) fn att_mbx<'w>(
    a: &mut Act<'w>,
    ui: usize,
    ip: Ip,
    tm: i64,
    cis: &'w str,
    app: &'w str,
    aad: u128,
) -> Mbx<'w> {
    let u = &a.w.tn.users[ui];
    Mbx {
        t: tm,
        ui,
        u,
        ip,
        port: Some(a.r.range(1025, 65535) as u16),
        cis,
        app,
        client_app: app,
        session: a.r.guid(),
        aad_session: aad,
        issued: tm - a.r.range(60, 900),
    }
}

/// Mail reading, the fraud message and (sometimes) its deletion from Sent Items.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_and_send(
    a: &mut Act,
    out: &mut dyn Emit,
    ui: usize,
    ip: Ip,
    tm: i64,
    cis: &'static str,
    app: &'static str,
    aad: u128,
    delete_sent: bool,
) -> i64 {
    let w = a.w;
    let u = &w.tn.users[ui];
    let mut x = tm;
    for _ in 0..a.r.range(3, 7) {
        let m = att_mbx(a, ui, ip, x, cis, app, aad);
        let id = a.r.guid();
        let n = a.r.range(3, 12) as usize;
        ual::mia(
            &mut a.bufs.ad,
            w,
            &mut a.r,
            &m,
            id,
            false,
            &[0, 3, 8],
            n,
            false,
        );
        a.bufs.ual(out, id, x, 50, "MailItemsAccessed", &u.upn);
        x += a.r.range(60, 900);
    }
    let (dom, name) = &w.tn.partners[a.r.idx(w.tn.partners.len())];
    let rc = vec![(format!("ap@{dom}"), format!("{name} Accounts Payable"))];
    let subj = *a.r.pick(FRAUD);
    let mid = ual::msgid(&mut a.r, u, true, "");
    let m = att_mbx(a, ui, ip, x, cis, app, aad);
    let id = a.r.guid();
    ual::send(
        &mut a.bufs.ad,
        w,
        &mut a.r,
        &m,
        id,
        subj,
        &mid,
        &rc,
        Some("remittance.pdf (120433b)"),
    );
    a.bufs.ual(out, id, x, 2, "Send", &u.upn);
    a.trace(out, x, &mid, &u.upn, &rc, subj, Some(ip));
    if delete_sent {
        x += a.r.range(30, 300);
        let items = vec![(mid.clone(), subj.to_string())];
        for (op, from) in [("MoveToDeletedItems", 1usize), ("SoftDelete", 4)] {
            let m = att_mbx(a, ui, ip, x, cis, app, aad);
            let id = a.r.guid();
            ual::delete_items(&mut a.bufs.ad, w, &mut a.r, &m, id, op, from, &items);
            a.bufs.ual(out, id, x, 3, op, &u.upn);
            x += a.r.range(5, 60);
        }
    }
    x
}

/// New-InboxRule by the attacker (acting as the victim, from `ip`).
pub(crate) fn att_rule(
    a: &mut Act,
    out: &mut dyn Emit,
    st: &mut State,
    rule: Rule,
    ip: Ip,
    tm: i64,
    aad: u128,
) -> Rule {
    let w = a.w;
    let u = &w.tn.users[rule.owner];
    let actor = ual::Actor {
        tok: Some((aad, tm - 900)),
        ..a.self_actor(u, ip, tm)
    };
    let params = rule.params();
    let pv: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    a.cmdlet(out, tm, "New-InboxRule", &actor, u, Some(&rule.name), &pv);
    let _ = st;
    rule
}
