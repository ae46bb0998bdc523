//! High-level actions shared by the benign stream, the planned benign events and the
//! attacks: a sign-in (UAL logon plus the Graph record when the sign-in log covers it), a
//! mailbox context at a user's location, a message-trace row, a directory change written to
//! both the UAL and the Entra audit log.

use crate::apps::{self, App};
use crate::entra::{self, DirAudit};
use crate::fmt::*;
use crate::net::{COUNTRIES, City, Ip};
use crate::population::{User, t};
use crate::rng::{Rng, guid_of};
use crate::signin::{self, Place, SignIn};
use crate::sink::{Dest, Emit};
use crate::ual::{self, Actor, Bufs, Dev, Logon, Mbx, Target};
use crate::world::World;

/// Where a user is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Loc {
    Home,
    Office,
    Vpn,
    Carrier,
    Hotel,
    /// Microsoft's Outlook service (Outlook mobile reads mail through it).
    Ms,
}

pub struct Act<'w> {
    pub w: &'w World,
    pub r: Rng,
    pub bufs: Bufs,
    pub si: String,
    trace_index: u64,
}

pub struct SignSpec<'a> {
    pub t: i64,
    pub upn: &'a str,
    pub display: &'a str,
    pub oid: Option<u128>,
    pub ip: Ip,
    pub place: Place<'a>,
    pub app: &'a App,
    pub ua: &'a str,
    pub interactive: bool,
    pub err: u32,
    pub dev: Dev<'a>,
    pub mfa: bool,
    pub protocol: &'a str,
    pub transfer: &'a str,
    pub session: u128,
    pub incoming: &'a str,
    pub client_app: Option<&'a str>,
    pub request_type: &'a str,
    /// Also write the UAL `UserLoggedIn`/`UserLoginFailed` record.
    pub ual: bool,
}

impl<'w> Act<'w> {
    pub fn new(w: &'w World, r: Rng) -> Act<'w> {
        Act {
            w,
            r,
            bufs: Bufs::default(),
            si: String::with_capacity(4096),
            trace_index: 0,
        }
    }

    pub fn sign(&mut self, out: &mut dyn Emit, s: &SignSpec) {
        let id = self.r.guid();
        if s.ual {
            let l = Logon {
                t: s.t,
                id,
                upn: s.upn,
                oid: s.oid,
                ip: s.ip,
                app: s.app,
                err: s.err,
                ua: s.ua,
                request_type: s.request_type,
                dev: s.dev,
                session: s.session,
            };
            ual::logon(&mut self.bufs.ad, self.w, &mut self.r, &l);
            let op = if s.err == 0 {
                "UserLoggedIn"
            } else {
                "UserLoginFailed"
            };
            self.bufs.ual(out, id, s.t, 15, op, s.upn);
        }
        if self.w.covered(s.t) {
            let g = SignIn {
                t: s.t,
                id,
                upn: s.upn,
                display: s.display,
                oid: s.oid,
                tenant: self.w.tn.org,
                app: s.app,
                ip: s.ip,
                place: s.place,
                ua: s.ua,
                interactive: s.interactive,
                err: s.err,
                dev: s.dev,
                mfa: s.mfa,
                protocol: s.protocol,
                transfer: s.transfer,
                session: s.session,
                incoming: s.incoming,
                risk: "none",
                risk_events: &[],
                client_app: s.client_app,
            };
            signin::write_signin(&mut self.si, &mut self.r, &g);
            let d = if s.interactive {
                Dest::SignInInteractive
            } else {
                Dest::SignInNonInteractive
            };
            out.emit(s.t, d, &self.si);
        }
    }

    /// A benign user's ordinary sign-in from `loc` (own device, own user agent).
    #[allow(clippy::too_many_arguments)]
    pub fn user_sign(
        &mut self,
        out: &mut dyn Emit,
        ui: usize,
        tm: i64,
        loc: Loc,
        app: &App,
        interactive: bool,
        err: u32,
        ual: bool,
    ) {
        let w = self.w;
        let u = &w.tn.users[ui];
        let ip = self.addr(ui, loc, tm);
        let place = self.place(ui, loc, tm);
        let phone = loc == Loc::Carrier;
        let desk_ua = apps::desktop_ua(u.mac, u.chrome);
        let ua: &str = if phone {
            apps::phone_ua(u.ios)
        } else if app.browser {
            &desk_ua
        } else if !interactive && self.r.chance(0.5) {
            ""
        } else {
            apps::native_ua(u.mac)
        };
        let dev = user_dev(u, phone, app.browser);
        let session = session_of(u, phone, w.day_of(tm));
        let mfa = interactive || self.r.chance(0.6);
        self.sign(
            out,
            &SignSpec {
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
                dev,
                mfa,
                protocol: "none",
                transfer: "none",
                session,
                incoming: if interactive {
                    "none"
                } else {
                    "primaryRefreshToken"
                },
                client_app: None,
                request_type: if interactive {
                    "OAuth2:Authorize"
                } else {
                    "OAuth2:Token"
                },
                ual,
            },
        );
    }

    /// The address user `ui` has at `loc` at time `tm`.
    pub fn addr(&mut self, ui: usize, loc: Loc, tm: i64) -> Ip {
        let w = self.w;
        let u = &w.tn.users[ui];
        // the user's local calendar day: a NAT, VPN or CGNAT address holds for that day
        let day = w.day_of(tm + COUNTRIES[u.country].tz * 3600);
        match loc {
            Loc::Home => u.home_on(day),
            Loc::Office => {
                let nat = &w.infra.offices[u.site].nat;
                nat[(ui + day as usize) % nat.len()]
            }
            Loc::Vpn => w.infra.vpn[(ui + day as usize) % w.infra.vpn.len()],
            Loc::Carrier => w.infra.carrier_ip(u.carrier, ui, day, w.seed),
            Loc::Hotel => u.trip.as_ref().map_or(u.home, |t| t.hotel),
            Loc::Ms => w.infra.ms_addr(&mut self.r),
        }
    }

    pub fn place(&self, ui: usize, loc: Loc, _tm: i64) -> Place<'static> {
        let w = self.w;
        let u = &w.tn.users[ui];
        let home = &COUNTRIES[u.country];
        match loc {
            Loc::Office => {
                let o = &w.infra.offices[u.site];
                Place {
                    cc: COUNTRIES[o.country].cc,
                    city: o.city,
                    asn: o.asn,
                }
            }
            Loc::Vpn => Place {
                cc: COUNTRIES[w.infra.vpn_country].cc,
                city: w.infra.vpn_city,
                asn: w.infra.vpn_asn,
            },
            Loc::Hotel => {
                let c = &COUNTRIES[u.trip.as_ref().map_or(u.country, |t| t.country)];
                Place {
                    cc: c.cc,
                    city: c.cities[0],
                    asn: c.residential_asn[0],
                }
            }
            // roaming data is routed home: the carrier's CGNAT geolocates in the home country
            Loc::Carrier => {
                let city: City = home.cities[u.city % home.cities.len()];
                Place {
                    cc: home.cc,
                    city,
                    asn: w.infra.carriers[u.carrier % w.infra.carriers.len()].asn,
                }
            }
            Loc::Home | Loc::Ms => Place {
                cc: home.cc,
                city: home.cities[u.city % home.cities.len()],
                asn: u.home_asn,
            },
        }
    }

    /// A mailbox-audit context for user `ui` at `loc`.
    pub fn mbx(&mut self, ui: usize, loc: Loc, tm: i64) -> Mbx<'w> {
        let w = self.w;
        let u = &w.tn.users[ui];
        let ip = self.addr(ui, loc, tm);
        let (cis, app, port): (&'static str, &'static str, bool) = match loc {
            Loc::Ms => (
                apps::outlook_mobile_cis(u.ios),
                apps::OUTLOOK_MOBILE.id,
                false,
            ),
            _ if u.mac || self.r.chance(0.3) => ("Client=OWA;Action=ViaProxy", apps::OWA.id, true),
            _ => ("Client=MSExchangeRPC", apps::OFFICE.id, true),
        };
        let session = session_of(u, loc == Loc::Ms, w.day_of(tm));
        Mbx {
            t: tm,
            ui,
            u,
            ip,
            port: if port && self.r.chance(0.8) {
                Some(self.r.range(1025, 65535) as u16)
            } else {
                None
            },
            cis,
            app,
            client_app: app,
            session: guid_of(session as u64, 99),
            aad_session: session,
            issued: tm - self.r.range(60, 3500),
        }
    }

    /// One row per recipient of a message that left the tenant.
    #[allow(clippy::too_many_arguments)]
    pub fn trace(
        &mut self,
        out: &mut dyn Emit,
        tm: i64,
        mid: &str,
        sender: &str,
        rcpts: &[(String, String)],
        subject: &str,
        from_ip: Option<Ip>,
    ) {
        if tm < self.w.trace_start || tm >= self.w.end {
            return;
        }
        let size = self.r.range(4_000, 120_000);
        let mut row = String::with_capacity(400);
        for (addr, _) in rcpts {
            row.clear();
            csv_q(&mut row, &self.w.tn.onms);
            row.push(',');
            csv_q(&mut row, mid);
            row.push_str(",\"");
            w_us(&mut row, tm + self.r.range(1, 4));
            row.push_str("\",");
            csv_q(&mut row, sender);
            row.push(',');
            csv_q(&mut row, addr);
            row.push(',');
            csv_q(&mut row, subject);
            row.push_str(",\"Delivered\",");
            let to = Ip::V4(crate::net::v4(
                52,
                101,
                self.r.range(0, 255) as u32,
                self.r.range(1, 254) as u32,
            ));
            csv_q(&mut row, &to.to_string());
            row.push(',');
            csv_q(
                &mut row,
                &from_ip.map(|i| i.to_string()).unwrap_or_default(),
            );
            row.push_str(&format!(",\"{size}\",\""));
            w_guid(&mut row, self.r.guid());
            row.push_str("\",\"");
            w_us(&mut row, self.w.trace_start);
            row.push_str("\",\"");
            w_us(&mut row, self.w.end - 1);
            row.push_str(&format!("\",\"{}\"\r\n", self.trace_index));
            self.trace_index = (self.trace_index + 1) % 5000;
            out.emit(tm, Dest::Trace, &row);
        }
    }

    /// A directory change: the UAL record (operation with trailing period) and, when
    /// `audit` is given, the Entra audit record.
    #[allow(clippy::too_many_arguments)]
    pub fn dir(
        &mut self,
        out: &mut dyn Emit,
        tm: i64,
        op: &str,
        a: &Actor,
        target: &Target,
        modified: &[(&str, &str, &str)],
        audit: Option<&DirAudit>,
    ) {
        let id = self.r.guid();
        ual::aad_dir(
            &mut self.bufs.ad,
            self.w,
            &mut self.r,
            tm,
            id,
            op,
            a,
            target,
            modified,
        );
        self.bufs.ual(out, id, tm, 8, op, a.id);
        if let Some(d) = audit {
            entra::write_audit(&mut self.si, &mut self.r, d);
            out.emit(tm, Dest::EntraAudit, &self.si);
        }
    }

    /// An Exchange admin cmdlet record.
    #[allow(clippy::too_many_arguments)]
    pub fn cmdlet(
        &mut self,
        out: &mut dyn Emit,
        tm: i64,
        op: &str,
        a: &Actor,
        target: &User,
        rule: Option<&str>,
        params: &[(&str, &str)],
    ) {
        let id = self.r.guid();
        ual::admin_cmd(
            &mut self.bufs.ad,
            self.w,
            &mut self.r,
            tm,
            id,
            op,
            a,
            target,
            rule,
            params,
        );
        self.bufs.ual(out, id, tm, 1, op, a.id);
    }

    /// The actor of a user's own cmdlet (OWA / PowerShell) from `ip`.
    pub fn self_actor(&self, u: &'w User, ip: Ip, tm: i64) -> Actor<'w> {
        let day = self.w.day_of(tm);
        Actor {
            id: &u.upn,
            key: &u.puid,
            oid: u.oid,
            user_type: 0,
            ip: Some(ip),
            app: apps::EXO_APP,
            tok: Some((session_of(u, false, day), tm - 600)),
        }
    }
}

/// The Entra session a user's device carries (stable within a week).
pub fn session_of(u: &User, phone: bool, day: i64) -> u128 {
    guid_of(u.oid as u64, (day / 7) as u64 * 2 + phone as u64)
}

pub fn user_dev(u: &User, phone: bool, browser: bool) -> Dev<'_> {
    if phone {
        Dev {
            os: apps::phone_os(u.ios),
            browser: if u.ios {
                "Mobile Safari"
            } else {
                "Chrome Mobile 128"
            },
            device_id: Some(u.phone_device_id),
            name: "",
            compliant: false,
            trust: "Azure AD registered",
        }
    } else {
        Dev {
            os: apps::os_name(u.mac),
            browser: if !browser {
                ""
            } else if u.mac {
                "Safari 17.6"
            } else {
                "Edge 130.0.0"
            },
            device_id: if u.managed || browser {
                Some(u.device_id)
            } else {
                None
            },
            name: &u.device_name,
            compliant: u.managed,
            trust: if u.managed {
                "Hybrid Azure AD joined"
            } else if u.has(t::VPN) {
                "Azure AD registered"
            } else {
                ""
            },
        }
    }
}
