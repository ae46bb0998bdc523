//! Benign inbox rules and forwards: vendor "Invoices" filing, alert digests, newsletters
//! marked read, internal forwards to colleagues, a few private forwards to the user's own
//! mailbox elsewhere, each created (when inside the period) from the user's usual address;
//! plus the owners' own rule housekeeping. Also shared helpers to place a user.

use crate::act::{Act, Loc};
use crate::apps;
use crate::fmt::{DAY, weekday};
use crate::mailbox::{Forward, Rule, State};
use crate::net::COUNTRIES;
use crate::population::t;
use crate::rng::{Rng, mix2};
use crate::sink::Emit;
use crate::ual::{self, RuleProps};
use crate::world::World;

/// Whether a hybrid worker works from home that day (same rule as the daily stream).
fn wfh(w: &World, ui: usize, day: i64) -> bool {
    w.tn.users[ui].has(t::HYBRID) && mix2(ui as u64, day as u64) % 5 < 2
}

/// A working day of `ui` in `[lo, hi)` (not travelling, not after leaving).
pub fn workday(w: &World, r: &mut Rng, ui: usize, lo: i64, hi: i64) -> i64 {
    let u = &w.tn.users[ui];
    let hi = hi.min(u.leaves_day.map_or(w.days, |d| d + 1)).max(lo + 1);
    for _ in 0..64 {
        let d = r.range(lo, hi - 1);
        if weekday(w.start + d * DAY) < 5 && u.traveling(d).is_none() {
            return d;
        }
    }
    lo
}

/// Where `ui` usually is on a working `day` during office hours, and a time there.
pub fn usual(w: &World, r: &mut Rng, ui: usize, day: i64) -> (Loc, i64) {
    let u = &w.tn.users[ui];
    let loc = if u.has(t::OFFICE) && !wfh(w, ui, day) {
        Loc::Office
    } else if u.has(t::VPN) {
        Loc::Vpn
    } else {
        Loc::Home
    };
    let tz = COUNTRIES[u.country].tz;
    let hour = 10.0 + r.unit() * 5.5;
    (
        loc,
        w.start + day * DAY + ((hour - tz as f64) * 3600.0) as i64,
    )
}

/// An evening at home.
pub fn evening(w: &World, r: &mut Rng, ui: usize, day: i64) -> i64 {
    let tz = COUNTRIES[w.tn.users[ui].country].tz;
    w.start + day * DAY + ((19.0 + r.unit() * 2.5 - tz as f64) * 3600.0) as i64
}

/// A rule identity as Get-InboxRule shows it (u64, often above 2^63).
pub fn rule_identity(r: &mut Rng) -> u64 {
    (r.next_u64() & 0xFFFF_FFFF_0000_0000) | 0x0000_0000_0100_0001 | (r.below(2) << 63)
}

/// Creates `rule` in the audit log from `loc` at `tm`: OWA (New-InboxRule) or Outlook
/// desktop (UpdateInboxRules AddMailboxRule). The user signs in there first.
pub fn audit_create(
    a: &mut Act,
    out: &mut dyn Emit,
    rule: &Rule,
    loc: Loc,
    tm: i64,
    desktop: bool,
) {
    let w = a.w;
    let ui = rule.owner;
    let u = &w.tn.users[ui];
    let app = if desktop { &apps::OFFICE } else { &apps::OWA };
    let before = a.r.range(60, 600);
    a.user_sign(out, ui, tm - before, loc, app, true, 0, true);
    if desktop {
        let m = ual::Mbx {
            cis: "Client=MSExchangeRPC",
            app: apps::OFFICE.id,
            client_app: apps::OFFICE.id,
            ..a.mbx(ui, loc, tm)
        };
        let cond = match (rule.from.first(), rule.subject_words.first()) {
            (Some((_, addr)), _) => {
                format!("{{(SenderSearchKey Equal SMTP:{})}}", addr.to_uppercase())
            }
            (None, Some(word)) => format!("{{((SubjectProperty Contains {word}))}}"),
            _ => "{}".into(),
        };
        let actions = match (&rule.move_to, rule.forward_to.first()) {
            (_, Some((_, addr))) => format!("[{{\"ActionType\":\"Forward\",\"Recipients\":[\"{addr}\"]}}]"),
            (Some(_), None) => "[{\"ActionType\":\"Move\",\"DestinationFolderId\":\"LgAAAAB\",\"FolderIsInThisStore\":\"True\"}]".into(),
            _ => "[]".into(),
        };
        let p = RuleProps {
            operation: "AddMailboxRule",
            rule_id: 0,
            name: &rule.name,
            state: if rule.stop {
                "Enabled, ExitAfterExecution"
            } else {
                "Enabled"
            },
            condition: &cond,
            actions: &actions,
        };
        let id = a.r.guid();
        ual::update_inbox_rules(&mut a.bufs.ad, w, &mut a.r, &m, id, Some(&p));
        a.bufs.ual(out, id, tm, 2, "UpdateInboxRules", &u.upn);
    } else {
        let ip = a.addr(ui, loc, tm);
        let actor = a.self_actor(u, ip, tm);
        let params = rule.params();
        let pv: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        a.cmdlet(out, tm, "New-InboxRule", &actor, u, Some(&rule.name), &pv);
    }
}

/// Plans every benign rule and forward.
pub fn plan(a: &mut Act, out: &mut dyn Emit, st: &mut State) {
    let w = a.w;
    let domain = &w.tn.domain;
    for ui in 0..w.tn.users.len() {
        let u = &w.tn.users[ui];
        let kinds = [
            t::VENDOR_RULE,
            t::ALERT_RULE,
            t::NEWSLETTER_RULE,
            t::INTERNAL_FORWARD,
            t::PRIVATE_FORWARD,
        ];
        for kind in kinds {
            if !u.has(kind) {
                continue;
            }
            let r = &mut a.r;
            let mut rule = Rule {
                owner: ui,
                identity: rule_identity(r),
                priority: st.next_priority(ui),
                enabled: true,
                ..Rule::default()
            };
            match kind {
                t::VENDOR_RULE => {
                    let (dom, name) = &w.tn.partners[r.idx(w.tn.partners.len())];
                    rule.name = if r.chance(0.5) {
                        "Invoices".into()
                    } else {
                        format!("{name} invoices")
                    };
                    rule.from = vec![(format!("{name} Billing"), format!("billing@{dom}"))];
                    if r.chance(0.5) {
                        rule.subject_words = vec!["invoice".into()];
                    }
                    rule.move_to = Some("Invoices".into());
                    rule.stop = true;
                }
                t::ALERT_RULE => {
                    rule.name = "Alert digests".into();
                    rule.subject_words = vec!["Security alert digest".into()];
                    rule.move_to = Some("Alerts".into());
                    rule.mark_read = r.chance(0.5);
                }
                t::NEWSLETTER_RULE => {
                    let (dom, name) = &w.tn.partners[r.idx(w.tn.partners.len())];
                    rule.name = "Newsletters".into();
                    rule.from = vec![(format!("{name} News"), format!("news@{dom}"))];
                    rule.move_to = Some("Newsletters".into());
                    rule.mark_read = true;
                }
                t::INTERNAL_FORWARD => {
                    let c = loop {
                        let c = r.idx(w.tn.users.len());
                        if c != ui && w.tn.users[c].person() {
                            break c;
                        }
                    };
                    let cu = &w.tn.users[c];
                    rule.name = format!(
                        "Forward to {}",
                        cu.display.split(' ').next().unwrap_or("team")
                    );
                    if r.chance(0.5) {
                        rule.subject_words = vec!["order".into(), "delivery".into()];
                    }
                    rule.forward_to = vec![(cu.display.clone(), cu.upn.clone())];
                }
                _ => {
                    let local = u.upn.split('@').next().unwrap_or("me").replace('.', "");
                    let addr = format!("{local}{}@gmail.com", r.range(1, 99));
                    if ui % 2 == 1 {
                        // forwarding through OWA settings: Set-Mailbox by the user
                        let day = workday(w, r, ui, 1, w.days - 1);
                        let tm = evening(w, r, ui, day);
                        a.user_sign(out, ui, tm - 120, Loc::Home, &apps::OWA, true, 0, true);
                        let ip = a.addr(ui, Loc::Home, tm);
                        let actor = a.self_actor(u, ip, tm);
                        let smtp = format!("smtp:{addr}");
                        a.cmdlet(
                            out,
                            tm,
                            "Set-Mailbox",
                            &actor,
                            u,
                            None,
                            &[
                                ("Identity", &u.upn),
                                ("ForwardingSmtpAddress", &smtp),
                                ("DeliverToMailboxAndForward", "True"),
                            ],
                        );
                        st.forwards.push(Forward {
                            owner: ui,
                            address: addr,
                            keep_copy: true,
                            when: tm,
                            cleared: false,
                        });
                        continue;
                    }
                    rule.name = "Copy to my private mail".into();
                    rule.forward_to = vec![(u.display.clone(), addr)];
                }
            }
            let r = &mut a.r;
            // Inside the period (audited) or older than the export window (state only).
            let audited = kind == t::PRIVATE_FORWARD || r.chance(0.4);
            if audited {
                let day = workday(w, r, ui, 1, w.days - 1);
                let (loc, tm) = if kind == t::PRIVATE_FORWARD {
                    (Loc::Home, evening(w, r, ui, day))
                } else {
                    usual(w, r, ui, day)
                };
                let desktop =
                    u.has(t::RULE_RESTAMP) && kind != t::PRIVATE_FORWARD && a.r.chance(0.4);
                audit_create(a, out, &rule, loc, tm, desktop);
                // the owner's own housekeeping later: tweak or disable and re-enable
                if a.r.chance(0.3) && day + 2 < w.days - 1 {
                    let d2 = workday(w, &mut a.r, ui, day + 1, w.days - 1);
                    let (loc2, tm2) = usual(w, &mut a.r, ui, d2);
                    a.user_sign(out, ui, tm2 - 90, loc2, &apps::OWA, true, 0, true);
                    let ip = a.addr(ui, loc2, tm2);
                    let actor = a.self_actor(u, ip, tm2);
                    let ident = format!("{}\\{}", u.alias, rule.identity);
                    if a.r.chance(0.5) {
                        a.cmdlet(
                            out,
                            tm2,
                            "Set-InboxRule",
                            &actor,
                            u,
                            Some(&rule.name),
                            &[("Identity", &ident), ("StopProcessingRules", "True")],
                        );
                        rule.stop = true;
                    } else {
                        a.cmdlet(
                            out,
                            tm2,
                            "Disable-InboxRule",
                            &actor,
                            u,
                            Some(&rule.name),
                            &[("Identity", &ident)],
                        );
                        let later = tm2 + a.r.range(600, 5000);
                        a.cmdlet(
                            out,
                            later,
                            "Enable-InboxRule",
                            &actor,
                            u,
                            Some(&rule.name),
                            &[("Identity", &ident)],
                        );
                    }
                }
            }
            st.rules.push(rule);
        }
        // A few people tidy up: an old rule removed (audited, so not "hidden").
        if u.person() && u.has(t::RULE_RESTAMP) && a.r.chance(0.15) {
            let r = &mut a.r;
            let old = Rule {
                owner: ui,
                name: format!("Old project {}", r.range(1, 40)),
                identity: rule_identity(r),
                priority: st.next_priority(ui),
                enabled: true,
                subject_words: vec!["project".into()],
                move_to: Some("Projects".into()),
                removed: true,
                ..Rule::default()
            };
            let day = workday(w, r, ui, 2, w.days - 1);
            let (loc, tm) = usual(w, r, ui, day);
            a.user_sign(out, ui, tm - 100, loc, &apps::OWA, true, 0, true);
            let ip = a.addr(ui, loc, tm);
            let actor = a.self_actor(u, ip, tm);
            let ident = format!("{}\\{}", u.alias, old.identity);
            a.cmdlet(
                out,
                tm,
                "Remove-InboxRule",
                &actor,
                u,
                Some(&old.name),
                &[("Identity", &ident), ("Confirm", "False")],
            );
            st.rules.push(old);
        }
    }
    let _ = domain;
}
