//! Administrators' work, planned: roles, groups, app consent, mailbox permissions,
//! helpdesk password resets after lockouts, the leaver's forwarding; and the directory
//! changes (method and device registration, resets, revocation) other planners share.

use crate::act::{Act, Loc};
use crate::apps::{self, App};
use crate::entra::{By, DirAudit, TargetRes};
use crate::fmt::{DAY, guid_s, iso_z, weekday};
use crate::mailbox::{Forward, State};
use crate::net::Ip;
use crate::population::{User, t};
use crate::rng::guid_of;
use crate::rules::{usual, workday};
use crate::sink::Emit;
use crate::ual::{Actor, Target};
use crate::world::World;

pub const SERVICE_PRINCIPALS: &[&str] = &[
    "Microsoft Substrate Management",
    "Azure AD Group-Based Licensing",
    "Office 365 Exchange Online",
];

pub fn sp_guid(w: &World, k: usize) -> u128 {
    guid_of(w.seed ^ 0x5050, k as u64)
}

fn actor_of<'a>(u: &'a User, ip: Option<Ip>, app: &'a str, user_type: i64) -> Actor<'a> {
    Actor {
        id: &u.upn,
        key: &u.puid,
        oid: u.oid,
        user_type,
        ip,
        app,
        tok: None,
    }
}

pub(crate) fn target_res<'a>(
    tg: &Target<'a>,
    modified: &'a [(&'a str, &'a str, &'a str)],
) -> TargetRes<'a> {
    match tg {
        Target::User(u) => TargetRes {
            id: u.oid,
            display: None,
            kind: "User",
            upn: Some(&u.upn),
            modified,
        },
        Target::Device { id, name, .. } => TargetRes {
            id: *id,
            display: Some(name),
            kind: "Device",
            upn: None,
            modified,
        },
        Target::App { id, name, .. } => TargetRes {
            id: *id,
            display: Some(name),
            kind: "ServicePrincipal",
            upn: None,
            modified,
        },
        Target::Group { id, name, .. } => TargetRes {
            id: *id,
            display: Some(name),
            kind: "Group",
            upn: None,
            modified,
        },
    }
}

/// A directory change by a user: UAL (`op.`) and Entra audit (`op`).
#[allow(clippy::too_many_arguments)]
pub fn user_dir(
    a: &mut Act,
    out: &mut dyn Emit,
    u: &User,
    ip: Ip,
    tm: i64,
    op: &str,
    category: &str,
    target: &Target,
    modified: &[(&str, &str, &str)],
) {
    let actor = actor_of(u, Some(ip), "", 0);
    let tr = [target_res(target, modified)];
    let audit = DirAudit {
        t: tm,
        activity: op,
        category,
        service: "Core Directory",
        op_type: if op.starts_with("Add") || op.starts_with("Register") || op.starts_with("Consent")
        {
            "Add"
        } else {
            "Update"
        },
        by: By::User {
            oid: u.oid,
            upn: &u.upn,
            ip: Some(ip),
        },
        targets: &tr,
        details: &[],
        reason: "",
    };
    a.dir(
        out,
        tm,
        &format!("{op}."),
        &actor,
        target,
        modified,
        Some(&audit),
    );
}

/// Registration of an authentication method by `u` from `ip` (their own, or an attacker's).
pub fn register_method(a: &mut Act, out: &mut dyn Emit, u: &User, ip: Ip, tm: i64, device: &str) {
    let w = a.w;
    let method = guid_s(a.r.guid());
    let new = format!(
        "[{{\"DeviceName\":\"{device}\",\"DeviceTag\":\"SoftwareTokenActivated\",\"PhoneAppVersion\":\"6.2502.1022\",\"Id\":\"{method}\",\"AuthenticationType\":3,\"NotificationType\":2}}]"
    );
    let actor = actor_of(u, Some(ip), "", 0);
    let reg = TargetRes {
        id: u.oid,
        display: Some(&u.display),
        kind: "User",
        upn: Some(&u.upn),
        modified: &[],
    };
    let audit = DirAudit {
        t: tm,
        activity: "User registered security info",
        category: "UserManagement",
        service: "Authentication Methods",
        op_type: "Add",
        by: By::User {
            oid: u.oid,
            upn: &u.upn,
            ip: Some(ip),
        },
        targets: &[reg],
        details: &[
            (
                "AuthenticationMethod",
                "Authenticator App with Notification",
            ),
            ("AuthenticationMethodType", "AppNotificationOnly"),
        ],
        reason: "User registered Authenticator App with Notification",
    };
    a.dir(
        out,
        tm,
        "User registered security info.",
        &actor,
        &Target::User(u),
        &[],
        Some(&audit),
    );
    let modified = [
        ("StrongAuthenticationPhoneAppDetail", new.as_str(), "[]"),
        (
            "StrongAuthenticationMethod",
            "[{\"MethodType\":6,\"Default\":true}]",
            "[{\"MethodType\":7,\"Default\":true}]",
        ),
        (
            "Included Updated Properties",
            "StrongAuthenticationPhoneAppDetail, StrongAuthenticationMethod",
            "",
        ),
    ];
    let upd = [target_res(&Target::User(u), &modified)];
    let audit2 = DirAudit {
        t: tm + 3,
        activity: "Update user",
        category: "UserManagement",
        service: "Core Directory",
        op_type: "Update",
        by: By::App {
            name: "Azure MFA StrongAuthenticationService",
            sp: sp_guid(w, 90),
        },
        targets: &upd,
        details: &[],
        reason: "",
    };
    a.dir(
        out,
        tm + 3,
        "Update user.",
        &actor,
        &Target::User(u),
        &modified,
        Some(&audit2),
    );
}

/// Device registration from `ip` (Microsoft Authentication Broker / device-code flows too).
pub fn register_device(a: &mut Act, out: &mut dyn Emit, u: &User, ip: Ip, tm: i64, name: &str) {
    let dev = a.r.guid();
    let tg = Target::Device {
        id: dev,
        name,
        owner: u,
    };
    let m1 = [
        ("DeviceOSType", "Windows", ""),
        ("DeviceTrustType", "Workplace", ""),
        (
            "Included Updated Properties",
            "DeviceOSType, DeviceTrustType",
            "",
        ),
    ];
    user_dir(a, out, u, ip, tm, "Register device", "Device", &tg, &m1);
    user_dir(
        a,
        out,
        u,
        ip,
        tm + 1,
        "Add registered owner to device",
        "Device",
        &tg,
        &[],
    );
    user_dir(
        a,
        out,
        u,
        ip,
        tm + 2,
        "Add registered users to device",
        "Device",
        &tg,
        &[],
    );
}

/// An admin's password reset of `target` (helpdesk, or containment).
pub fn reset_password(
    a: &mut Act,
    out: &mut dyn Emit,
    admin: &User,
    ip: Ip,
    target: &User,
    tm: i64,
) {
    user_dir(
        a,
        out,
        admin,
        ip,
        tm,
        "Reset user password",
        "UserManagement",
        &Target::User(target),
        &[],
    );
    user_dir(
        a,
        out,
        admin,
        ip,
        tm + 2,
        "Set force change user password",
        "UserManagement",
        &Target::User(target),
        &[],
    );
}

/// Session revocation of `target` by an admin.
pub fn revoke(a: &mut Act, out: &mut dyn Emit, admin: &User, ip: Ip, target: &User, tm: i64) {
    let old = format!("[\"{}\"]", iso_z(a.w.start - 90 * DAY));
    let new = format!("[\"{}\"]", iso_z(tm));
    let m = [
        ("StsRefreshTokensValidFrom", new.as_str(), old.as_str()),
        (
            "Included Updated Properties",
            "StsRefreshTokensValidFrom",
            "",
        ),
    ];
    user_dir(
        a,
        out,
        admin,
        ip,
        tm,
        "Update StsRefreshTokenValidFrom Timestamp",
        "UserManagement",
        &Target::User(target),
        &m,
    );
}

fn admin_sign(a: &mut Act, out: &mut dyn Emit, ui: usize, tm: i64, app: &App) -> Ip {
    a.user_sign(out, ui, tm, Loc::Office, app, true, 0, true);
    a.addr(ui, Loc::Office, tm + 1)
}

const ROLES: &[&str] = &[
    "Helpdesk Administrator",
    "User Administrator",
    "Exchange Recipient Administrator",
    "Reports Reader",
];
const GROUPS: &[&str] = &[
    "All Staff",
    "Finance",
    "Sales EMEA",
    "Project Falcon",
    "VPN Users",
    "Printers",
];

/// Administrators' daily work, the leaver, lockouts and helpdesk resets.
pub fn plan_admin(a: &mut Act, out: &mut dyn Emit, st: &mut State) {
    let w = a.w;
    let admins = w.tn.with(t::ADMIN);
    if admins.is_empty() {
        return;
    }
    let people: Vec<usize> = w.tn.people().collect();
    let shared = w.tn.with(t::SHARED_MAILBOX);
    for day in 0..w.days {
        if weekday(w.start + day * DAY) >= 5 {
            continue;
        }
        for &ai in &admins {
            let adm = &w.tn.users[ai];
            let (_, tm0) = usual(w, &mut a.r, ai, day);
            let app = if a.r.chance(0.5) {
                &apps::AZURE_PORTAL
            } else {
                &apps::EXCHANGE_ADMIN
            };
            let ip = admin_sign(a, out, ai, tm0, app);
            let mut tm = tm0 + a.r.range(60, 600);
            for _ in 0..a.r.range(1, 4) {
                let target = &w.tn.users[people[a.r.idx(people.len())]];
                match a.r.idx(10) {
                    0 | 1 => {
                        let g = *a.r.pick(GROUPS);
                        let tg = Target::Group {
                            id: guid_of(w.seed, g.len() as u64),
                            name: g,
                            member: target,
                        };
                        user_dir(
                            a,
                            out,
                            adm,
                            ip,
                            tm,
                            "Add member to group",
                            "GroupManagement",
                            &tg,
                            &[],
                        );
                    }
                    2 => {
                        let title = *a.r.pick(&[
                            "Account Manager",
                            "Senior Engineer",
                            "Team Lead",
                            "Analyst",
                        ]);
                        let m = [
                            ("JobTitle", title, ""),
                            ("Included Updated Properties", "JobTitle", ""),
                        ];
                        user_dir(
                            a,
                            out,
                            adm,
                            ip,
                            tm,
                            "Update user",
                            "UserManagement",
                            &Target::User(target),
                            &m,
                        );
                    }
                    3 => {
                        let tg = Target::App {
                            id: guid_of(w.seed, 77),
                            name: "Expense Portal",
                            app_id: "5a8c6b7d-2e1f-4a3b-9c4d-8e7f6a5b4c3d",
                        };
                        user_dir(
                            a,
                            out,
                            adm,
                            ip,
                            tm,
                            "Add app role assignment grant to user",
                            "ApplicationManagement",
                            &tg,
                            &[("AppRole.Value", "User", "")],
                        );
                    }
                    4 if a.r.chance(0.15) => {
                        let role = *a.r.pick(ROLES);
                        let m = [
                            ("Role.DisplayName", role, ""),
                            ("Role.WellKnownObjectName", role, ""),
                        ];
                        user_dir(
                            a,
                            out,
                            adm,
                            ip,
                            tm,
                            "Add member to role",
                            "RoleManagement",
                            &Target::User(target),
                            &m,
                        );
                    }
                    5 if a.r.chance(0.1) => {
                        let tg = Target::App {
                            id: guid_of(w.seed, 78),
                            name: "Microsoft Graph Command Line Tools",
                            app_id: "14d82eec-204b-4c2f-b7e8-296a70dab67e",
                        };
                        let m = [
                            ("ConsentContext.IsAdminConsent", "True", ""),
                            ("ConsentContext.OnBehalfOfAll", "True", ""),
                            (
                                "ConsentAction.Permissions",
                                "[] => [[Scope: User.Read.All Group.Read.All, ConsentType: AllPrincipals]]; ",
                                "",
                            ),
                        ];
                        user_dir(
                            a,
                            out,
                            adm,
                            ip,
                            tm,
                            "Consent to application",
                            "ApplicationManagement",
                            &tg,
                            &m,
                        );
                    }
                    6 => {
                        let tg = Target::App {
                            id: guid_of(w.seed, 77),
                            name: "Expense Portal",
                            app_id: "5a8c6b7d-2e1f-4a3b-9c4d-8e7f6a5b4c3d",
                        };
                        user_dir(
                            a,
                            out,
                            adm,
                            ip,
                            tm,
                            "Update application",
                            "ApplicationManagement",
                            &tg,
                            &[("AppAddress", "[]", "[]")],
                        );
                    }
                    7 if !shared.is_empty() => {
                        let sm = &w.tn.users[shared[a.r.idx(shared.len())]];
                        let actor = Actor {
                            ip: Some(ip),
                            tok: Some((crate::act::session_of(adm, false, day), tm - 300)),
                            ..actor_of(adm, None, apps::EXO_APP, 2)
                        };
                        if a.r.chance(0.6) {
                            a.cmdlet(
                                out,
                                tm,
                                "Add-MailboxPermission",
                                &actor,
                                sm,
                                None,
                                &[
                                    ("Identity", &sm.upn),
                                    ("User", &target.upn),
                                    ("AccessRights", "FullAccess"),
                                    ("InheritanceType", "All"),
                                    ("AutoMapping", "True"),
                                ],
                            );
                        } else {
                            a.cmdlet(
                                out,
                                tm,
                                "Add-RecipientPermission",
                                &actor,
                                sm,
                                None,
                                &[
                                    ("Identity", &sm.upn),
                                    ("Trustee", &target.upn),
                                    ("AccessRights", "SendAs"),
                                    ("Confirm", "False"),
                                ],
                            );
                        }
                    }
                    _ => {
                        let actor = Actor {
                            ip: Some(ip),
                            tok: Some((crate::act::session_of(adm, false, day), tm - 300)),
                            ..actor_of(adm, None, apps::EXO_APP, 2)
                        };
                        a.cmdlet(
                            out,
                            tm,
                            "Set-Mailbox",
                            &actor,
                            target,
                            None,
                            &[("Identity", &target.upn), ("LitigationHoldEnabled", "True")],
                        );
                    }
                }
                tm += a.r.range(120, 2400);
            }
        }
    }
    // The leaver: disabled, sessions revoked, mail forwarded to the manager.
    for li in w.tn.with(t::LEAVER) {
        let lv = &w.tn.users[li];
        let ld = lv.leaves_day.unwrap_or(w.days / 2);
        let ai = admins[li % admins.len()];
        let adm = &w.tn.users[ai];
        let day = workday(w, &mut a.r, ai, ld + 1, w.days - 1);
        let (_, tm) = usual(w, &mut a.r, ai, day);
        let ip = admin_sign(a, out, ai, tm - 200, &apps::AZURE_PORTAL);
        let m = [
            ("AccountEnabled", "[false]", "[true]"),
            ("Included Updated Properties", "AccountEnabled", ""),
        ];
        user_dir(
            a,
            out,
            adm,
            ip,
            tm,
            "Update user",
            "UserManagement",
            &Target::User(lv),
            &m,
        );
        revoke(a, out, adm, ip, lv, tm + 40);
        let mgr = &w.tn.users[people[(li + 7) % people.len()]];
        let actor = Actor {
            ip: Some(ip),
            tok: Some((crate::act::session_of(adm, false, day), tm - 300)),
            ..actor_of(adm, None, apps::EXO_APP, 2)
        };
        let smtp = format!("smtp:{}", mgr.upn);
        a.cmdlet(
            out,
            tm + 300,
            "Set-Mailbox",
            &actor,
            lv,
            None,
            &[
                ("Identity", &lv.upn),
                ("ForwardingSmtpAddress", &smtp),
                ("DeliverToMailboxAndForward", "True"),
            ],
        );
        st.forwards.push(Forward {
            owner: li,
            address: mgr.upn.clone(),
            keep_copy: true,
            when: tm + 300,
            cleared: false,
        });
    }
    // Lockouts: typos until smart lockout, the helpdesk resets, the user changes it.
    for ui in w.tn.with(t::LOCKOUT) {
        let u = &w.tn.users[ui];
        let day = workday(w, &mut a.r, ui, 1, w.days - 2);
        let (loc, tm) = usual(w, &mut a.r, ui, day);
        let mut x = tm - 3600;
        for _ in 0..a.r.range(4, 6) {
            a.user_sign(out, ui, x, loc, &apps::OFFICE, true, 50126, true);
            x += a.r.range(15, 90);
        }
        for _ in 0..a.r.range(1, 3) {
            a.user_sign(out, ui, x, loc, &apps::OFFICE, true, 50053, true);
            x += a.r.range(30, 200);
        }
        let ai = admins[ui % admins.len()];
        let ip = admin_sign(a, out, ai, x + 600, &apps::AZURE_PORTAL);
        reset_password(a, out, &w.tn.users[ai], ip, u, x + 900);
        a.user_sign(out, ui, x + 1500, loc, &apps::OFFICE_HOME, true, 0, true);
        let uip = a.addr(ui, loc, x + 1600);
        user_dir(
            a,
            out,
            u,
            uip,
            x + 1600,
            "Change user password",
            "UserManagement",
            &Target::User(u),
            &[],
        );
    }
    // Helpdesk resets for people who forgot their password (no lockout seen).
    let n = (people.len() / 80).max(2);
    for _ in 0..n {
        let ui = people[a.r.idx(people.len())];
        let day = workday(w, &mut a.r, ui, 1, w.days - 1);
        let ai = admins[ui % admins.len()];
        let (_, tm) = usual(w, &mut a.r, ai, day);
        let ip = admin_sign(a, out, ai, tm - 60, &apps::AZURE_PORTAL);
        reset_password(a, out, &w.tn.users[ai], ip, &w.tn.users[ui], tm);
    }
}
