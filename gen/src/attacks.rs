//! Planted compromises and their ground truth: password spray then success, AiTM with a
//! kit user agent and the session replayed from a second country, token replay from an
//! address that never signed in, device-code phishing followed by device registration, and
//! victims whose whole attack lies before the sign-in log's coverage (UAL only). One
//! attacker address also signs in to a second account (touched).

use std::collections::HashSet;

use serde::Serialize;

use crate::act::{Act, Loc, SignSpec, session_of};
use crate::admin::{register_device, register_method, reset_password, revoke};
use crate::apps;
use crate::attacker::{
    DROP_DOMAINS, GUESS, KIT_BROWSER, NO_DEV, SPRAY_UA, att_rule, att_sign, attacker_addr,
    read_and_send,
};
use crate::fmt::{DAY, HOUR, MIN, iso_z};
use crate::mailbox::{Forward, Rule, State};
use crate::net::{COUNTRIES, Ip};
use crate::population::t;
use crate::rules::{rule_identity, usual, workday};
use crate::sink::Emit;
use crate::ual;

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Spray,
    Aitm,
    TokenReplay,
    DeviceCode,
}

const KINDS: [Kind; 4] = [Kind::Spray, Kind::Aitm, Kind::TokenReplay, Kind::DeviceCode];

#[derive(Serialize, Clone)]
pub struct Window {
    pub start: String,
    pub end: String,
}

#[derive(Serialize, Clone)]
pub struct Victim {
    pub user: String,
    pub kind: Kind,
    pub attacker_ips: Vec<String>,
    pub attacker_user_agents: Vec<String>,
    pub window: Window,
    pub ual_only: bool,
    pub contained: bool,
    pub containment: Vec<String>,
    pub private_addresses: bool,
    pub rules: Vec<String>,
    pub hidden_rule: bool,
    pub forward_to: Vec<String>,
    pub spray_targets: usize,
}

#[derive(Serialize, Clone)]
pub struct Touched {
    pub user: String,
    pub by_victim: String,
    pub ip: String,
    pub time: String,
}

pub struct Outcome {
    pub victims: Vec<Victim>,
    pub touched: Vec<Touched>,
    /// /24 networks (v4 >> 8) of attacker addresses, kept out of the noise.
    pub nets: HashSet<u32>,
    pub victim_idx: Vec<usize>,
}

pub fn plan(a: &mut Act, out: &mut dyn Emit, st: &mut State, signin_days: i64) -> Outcome {
    let w = a.w;
    let n_people = w.tn.people().count();
    let n = (n_people / 120).max(5);
    let admins = w.tn.with(t::ADMIN);
    let excluded = t::ADMIN
        | t::MARKETING
        | t::LEAVER
        | t::SERVICE_MAILBOX
        | t::SHARED_MAILBOX
        | t::TRAVELLER
        | t::LOCKOUT
        | t::PRIVATE_FORWARD;
    let mut pool: Vec<usize> =
        w.tn.people()
            .filter(|&i| !w.tn.users[i].has(excluded))
            .collect();
    a.r.shuffle(&mut pool);
    let si_day = w.days - signin_days;
    let hq_cc = COUNTRIES[w.infra.hq].cc;
    let vpn_cc = COUNTRIES[w.infra.vpn_country].cc;
    let mut o = Outcome {
        victims: Vec::new(),
        touched: Vec::new(),
        nets: HashSet::new(),
        victim_idx: Vec::new(),
    };
    for i in 0..n.min(pool.len()) {
        let vi = pool[i];
        let v = &w.tn.users[vi];
        let kind = KINDS[i % 4];
        let ual_only = i % 5 == 4 && si_day >= 8;
        let contained = kind == Kind::Aitm || i % 2 == 1;
        let private = w.private_attacker && i == 0;
        let day = if ual_only {
            a.r.range(5, si_day - 3)
        } else {
            a.r.range((si_day + 1).max(5), (w.days - 3).max(6))
        };
        let t0 = w.start + day * DAY + a.r.range(0, 20) * HOUR + a.r.range(0, 59) * MIN;
        let avoid = [hq_cc, vpn_cc, COUNTRIES[v.country].cc];
        let mut ips: Vec<Ip> = Vec::new();
        let mut uas: Vec<String> = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut forward_to = Vec::new();
        let mut hidden_rule = false;
        let mut spray_targets = 0;
        // The window is the victim's: it opens at the attacker's first event on this account (a
        // spray's attempts against colleagues come before it, and are not the victim's).
        let mut start = t0;
        let mut last;
        let aad = a.r.guid();
        match kind {
            Kind::Spray => {
                let (ip, place) = attacker_addr(&mut a.r, true, &avoid, private);
                ips.push(ip);
                uas.push(SPRAY_UA.into());
                let mut x = t0;
                let people: Vec<usize> = w.tn.people().filter(|&p| p != vi).collect();
                let k = a.r.range(12, 24) as usize;
                for j in 0..k {
                    let spec_upn;
                    let (upn, display, oid, err) = if j % 3 == 2 {
                        spec_upn = format!("{}@{}", a.r.pick(GUESS), w.tn.domain);
                        (spec_upn.as_str(), "", None, 50034)
                    } else {
                        let p = &w.tn.users[people[a.r.idx(people.len())]];
                        (
                            p.upn.as_str(),
                            p.display.as_str(),
                            Some(p.oid),
                            if a.r.chance(0.1) { 50053 } else { 50126 },
                        )
                    };
                    let spec = SignSpec {
                        t: x,
                        upn,
                        display,
                        oid,
                        ip,
                        place,
                        app: &apps::OFFICE,
                        ua: SPRAY_UA,
                        interactive: true,
                        err,
                        dev: NO_DEV,
                        mfa: false,
                        protocol: "ropc",
                        transfer: "none",
                        session: a.r.guid(),
                        incoming: "none",
                        client_app: None,
                        request_type: "OAuth2:Token",
                        ual: true,
                    };
                    a.sign(out, &spec);
                    x += a.r.range(30, 80);
                }
                spray_targets = k;
                start = x + 60;
                att_sign(
                    a,
                    out,
                    vi,
                    x + 60,
                    ip,
                    place,
                    &apps::OFFICE,
                    SPRAY_UA,
                    true,
                    0,
                    aad,
                    "ropc",
                    "none",
                    false,
                    "OAuth2:Token",
                );
                att_sign(
                    a,
                    out,
                    vi,
                    x + 400,
                    ip,
                    place,
                    &apps::OWA,
                    SPRAY_UA,
                    true,
                    0,
                    aad,
                    "none",
                    "none",
                    false,
                    "OAuth2:Authorize",
                );
                let tm = x + 900;
                let rule = Rule {
                    owner: vi,
                    name: a.r.pick(&[".", "..", ",", "..."]).to_string(),
                    identity: rule_identity(&mut a.r),
                    priority: st.next_priority(vi),
                    enabled: true,
                    subject_or_body_words: vec!["invoice".into(), "payment".into(), "wire".into()],
                    move_to: Some("RSS Subscriptions".into()),
                    mark_read: true,
                    stop: true,
                    hidden: true,
                    ..Rule::default()
                };
                hidden_rule = true;
                rules.push(att_rule(a, out, st, rule, ip, tm, aad));
                last = read_and_send(
                    a,
                    out,
                    vi,
                    ip,
                    tm + 300,
                    "Client=OWA;Action=ViaProxy",
                    apps::OWA.id,
                    aad,
                    i % 3 == 0,
                );
            }
            Kind::Aitm => {
                let (ip1, p1) = attacker_addr(&mut a.r, true, &avoid, private);
                let avoid2 = [hq_cc, vpn_cc, p1.cc];
                let (ip2, p2) = loop {
                    let x = attacker_addr(&mut a.r, true, &avoid2, private);
                    if private || x.1.cc != p1.cc {
                        break x;
                    }
                };
                ips.extend([ip1, ip2]);
                let ua1 = apps::TOOL_UAS[a.r.idx(apps::TOOL_UAS.len())];
                let ua2 = if ua1.starts_with("axios") {
                    "python-requests/2.32.3"
                } else {
                    "axios/1.7.7"
                };
                uas.extend([ua1.to_string(), ua2.to_string()]);
                att_sign(
                    a,
                    out,
                    vi,
                    t0,
                    ip1,
                    p1,
                    &apps::OFFICE_HOME,
                    ua1,
                    true,
                    0,
                    aad,
                    "none",
                    "none",
                    true,
                    "OAuth2:Authorize",
                );
                let t2 = t0 + a.r.range(20, 90) * MIN;
                att_sign(
                    a,
                    out,
                    vi,
                    t2,
                    ip2,
                    p2,
                    &apps::OWA,
                    ua2,
                    false,
                    0,
                    aad,
                    "none",
                    "refreshToken",
                    true,
                    "OAuth2:Token",
                );
                let x = read_and_send(
                    a,
                    out,
                    vi,
                    ip2,
                    t2 + 120,
                    "Client=REST;Client=RESTSystem;;",
                    apps::OWA.id,
                    aad,
                    false,
                );
                let local = v.upn.split('@').next().unwrap_or("x").replace('.', "");
                let drop = format!("{}{}@{}", local, a.r.range(10, 99), a.r.pick(DROP_DOMAINS));
                let rule = Rule {
                    owner: vi,
                    name: a.r.pick(&["..", ".", "Sync"]).to_string(),
                    identity: rule_identity(&mut a.r),
                    priority: st.next_priority(vi),
                    enabled: true,
                    forward_to: vec![(drop.clone(), drop.clone())],
                    delete: true,
                    stop: true,
                    ..Rule::default()
                };
                forward_to.push(drop);
                rules.push(att_rule(a, out, st, rule, ip2, x + 200, aad));
                att_sign(
                    a,
                    out,
                    vi,
                    x + 900,
                    ip1,
                    p1,
                    &apps::MY_SIGNINS,
                    ua1,
                    true,
                    0,
                    aad,
                    "none",
                    "none",
                    true,
                    "OAuth2:Authorize",
                );
                register_method(a, out, v, ip1, x + 1000, "iPhone 12");
                last = x + 1000;
                if o.touched.is_empty() {
                    // the kit's address signs in to a second account inside the window
                    let other = *pool.last().unwrap_or(&0);
                    if other != vi {
                        let tt = t0 + a.r.range(30, 80) * MIN;
                        let s2 = a.r.guid();
                        att_sign(
                            a,
                            out,
                            other,
                            tt,
                            ip1,
                            p1,
                            &apps::OFFICE_HOME,
                            ua1,
                            true,
                            0,
                            s2,
                            "none",
                            "none",
                            true,
                            "OAuth2:Authorize",
                        );
                        o.touched.push(Touched {
                            user: w.tn.users[other].upn.clone(),
                            by_victim: v.upn.clone(),
                            ip: ip1.to_string(),
                            time: iso_z(tt),
                        });
                        last = last.max(tt);
                    }
                }
            }
            Kind::TokenReplay => {
                let (ip, _) = attacker_addr(&mut a.r, false, &avoid, private);
                ips.push(ip);
                uas.push(KIT_BROWSER.into());
                let sess = session_of(v, false, day);
                let x = read_and_send(
                    a,
                    out,
                    vi,
                    ip,
                    t0,
                    "Client=OWA;Action=ViaProxy",
                    apps::OWA.id,
                    sess,
                    false,
                );
                let id = a.r.guid();
                ual::sp_file(
                    &mut a.bufs.ad,
                    w,
                    &mut a.r,
                    x + 60,
                    id,
                    v,
                    ip,
                    KIT_BROWSER,
                    "FileDownloaded",
                    sess,
                );
                a.bufs.ual(out, id, x + 60, 6, "FileDownloaded", &v.upn);
                let rule = Rule {
                    owner: vi,
                    name: a.r.pick(&[",", ".", "...."]).to_string(),
                    identity: rule_identity(&mut a.r),
                    priority: st.next_priority(vi),
                    enabled: true,
                    subject_or_body_words: vec![
                        "payment".into(),
                        "bank".into(),
                        "remittance".into(),
                    ],
                    move_to: Some("Conversation History".into()),
                    mark_read: true,
                    ..Rule::default()
                };
                rules.push(att_rule(a, out, st, rule, ip, x + 300, sess));
                last = x + 300;
            }
            Kind::DeviceCode => {
                let (ip, place) = attacker_addr(&mut a.r, false, &avoid, private);
                ips.push(ip);
                uas.push(KIT_BROWSER.into());
                att_sign(
                    a,
                    out,
                    vi,
                    t0,
                    ip,
                    place,
                    &apps::BROKER,
                    KIT_BROWSER,
                    true,
                    0,
                    aad,
                    "deviceCode",
                    "none",
                    true,
                    "Cmsi:Cmsi",
                );
                let dev_name = format!("DESKTOP-{}", (a.r.next_u64() % 0xFFFFFF) as u32);
                register_device(a, out, v, ip, t0 + 300, &dev_name.to_uppercase());
                att_sign(
                    a,
                    out,
                    vi,
                    t0 + 900,
                    ip,
                    place,
                    &apps::OWA,
                    KIT_BROWSER,
                    false,
                    0,
                    aad,
                    "none",
                    "primaryRefreshToken",
                    true,
                    "OAuth2:Token",
                );
                let mut x = read_and_send(
                    a,
                    out,
                    vi,
                    ip,
                    t0 + 1000,
                    "Client=OWA;Action=ViaProxy",
                    apps::OWA.id,
                    aad,
                    false,
                );
                // meanwhile the user tidies their own rules from their usual address
                let d2 = workday(w, &mut a.r, vi, day, (day + 1).min(w.days - 1));
                let (loc, tu) = usual(w, &mut a.r, vi, d2);
                let tu = tu.max(x + 600);
                a.user_sign(out, vi, tu - 60, loc, &apps::OWA, true, 0, true);
                let uip = a.addr(vi, loc, tu);
                let actor = a.self_actor(v, uip, tu);
                let own = Rule {
                    owner: vi,
                    name: "Team updates".into(),
                    identity: rule_identity(&mut a.r),
                    priority: st.next_priority(vi),
                    enabled: true,
                    subject_words: vec!["weekly status".into()],
                    move_to: Some("Projects".into()),
                    ..Rule::default()
                };
                let params = own.params();
                let pv: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                a.cmdlet(out, tu, "New-InboxRule", &actor, v, Some(&own.name), &pv);
                st.rules.push(own);
                x = x.max(tu) + a.r.range(600, 3000);
                let rule = Rule {
                    owner: vi,
                    name: ".".into(),
                    identity: rule_identity(&mut a.r),
                    priority: st.next_priority(vi),
                    enabled: true,
                    subject_or_body_words: vec!["invoice".into(), "wire".into(), "account".into()],
                    move_to: Some("RSS Feeds".into()),
                    mark_read: true,
                    stop: true,
                    ..Rule::default()
                };
                rules.push(att_rule(a, out, st, rule, ip, x, aad));
                let drop = format!("accounts{}@{}", a.r.range(100, 999), a.r.pick(DROP_DOMAINS));
                let act = ual::Actor {
                    tok: Some((aad, x - 600)),
                    ..a.self_actor(v, ip, x)
                };
                let smtp = format!("smtp:{drop}");
                a.cmdlet(
                    out,
                    x + 120,
                    "Set-Mailbox",
                    &act,
                    v,
                    None,
                    &[
                        ("Identity", &v.upn),
                        ("ForwardingSmtpAddress", &smtp),
                        ("DeliverToMailboxAndForward", "False"),
                    ],
                );
                st.forwards.push(Forward {
                    owner: vi,
                    address: drop.clone(),
                    keep_copy: false,
                    when: x + 120,
                    cleared: false,
                });
                forward_to.push(drop);
                last = x + 120;
            }
        }
        // Containment by an admin from the office, the next working morning or later.
        let mut containment = Vec::new();
        let mut end = last;
        if contained && !admins.is_empty() {
            let ai = admins[i % admins.len()];
            let adm = &w.tn.users[ai];
            let lo = w.day_of(last) + 1;
            let cday = workday(w, &mut a.r, ai, lo, (lo + 3).min(w.days));
            let (_, mut tc) = usual(w, &mut a.r, ai, cday);
            if ual_only {
                tc = tc.min(w.si_start - 2 * HOUR).max(last + HOUR);
            }
            tc = tc.max(last + HOUR);
            a.user_sign(
                out,
                ai,
                tc - 300,
                Loc::Office,
                &apps::AZURE_PORTAL,
                true,
                0,
                true,
            );
            let ip = a.addr(ai, Loc::Office, tc);
            reset_password(a, out, adm, ip, v, tc);
            revoke(a, out, adm, ip, v, tc + 60);
            containment.push("Reset user password".into());
            containment.push("Update StsRefreshTokenValidFrom Timestamp".into());
            let actor = ual::Actor {
                tok: Some((session_of(adm, false, cday), tc - 300)),
                user_type: 2,
                ..a.self_actor(adm, ip, tc)
            };
            for r in rules.iter_mut().filter(|r| !r.hidden) {
                let ident = format!("{}\\{}", v.alias, r.identity);
                a.cmdlet(
                    out,
                    tc + 200,
                    "Remove-InboxRule",
                    &actor,
                    v,
                    Some(&r.name),
                    &[("Identity", &ident), ("Confirm", "False")],
                );
                r.removed = true;
                containment.push("Remove-InboxRule".into());
            }
            for f in st
                .forwards
                .iter_mut()
                .filter(|f| f.owner == vi && !f.keep_copy)
            {
                a.cmdlet(
                    out,
                    tc + 260,
                    "Set-Mailbox",
                    &actor,
                    v,
                    None,
                    &[("Identity", &v.upn), ("ForwardingSmtpAddress", "")],
                );
                f.cleared = true;
                containment.push("Set-Mailbox ForwardingSmtpAddress cleared".into());
            }
            end = tc;
        }
        for ip in &ips {
            if let Ip::V4(x) = ip {
                o.nets.insert(x >> 8);
            }
        }
        o.victims.push(Victim {
            user: v.upn.clone(),
            kind,
            attacker_ips: ips.iter().map(|i| i.to_string()).collect(),
            attacker_user_agents: uas,
            window: Window {
                start: iso_z(start),
                end: iso_z(end),
            },
            ual_only,
            contained,
            containment,
            private_addresses: private,
            rules: rules.iter().map(|r| r.name.clone()).collect(),
            hidden_rule,
            forward_to,
            spray_targets,
        });
        o.victim_idx.push(vi);
        st.rules.extend(rules);
    }
    o
}
