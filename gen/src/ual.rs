//! Unified Audit Log records (AuditData JSON) for every workload the tenant produces:
//! Entra STS logons, mailbox items (MailItemsAccessed, Send, deletes, UpdateInboxRules),
//! Exchange admin cmdlets, Entra directory operations and SharePoint file events. Shapes
//! follow input-formats.md §2 and the bulk generator in examples/gen_export.rs.

use crate::apps::App;
use crate::fmt::*;
use crate::net::Ip;
use crate::population::User;
use crate::rng::{Rng, mix2};
use crate::sink::{Dest, Emit, ual_row};
use crate::world::{FOLDERS, World};

pub use crate::ual_admin::{Actor, Target, aad_dir, admin_cmd};

/// Reusable buffers: AuditData and the framed CSV row.
#[derive(Default)]
pub struct Bufs {
    pub ad: String,
    pub row: String,
}

impl Bufs {
    /// Frames `self.ad` as a UAL row and emits it.
    pub fn ual(&mut self, out: &mut dyn Emit, id: u128, t: i64, rt: u8, op: &str, user: &str) {
        ual_row(&mut self.row, id, t, rt, op, user, &self.ad);
        out.emit(t, Dest::Ual, &self.row);
    }
}

/// How an address is spelled in `ClientIP` (mailbox and admin records carry ports).
pub fn client_ip(b: &mut String, k: &str, ip: Ip, port: Option<u16>) {
    key(b, k);
    b.push('"');
    match (ip, port) {
        (Ip::V4(_), Some(p)) => b.push_str(&format!("{ip}:{p}")),
        (Ip::V6(_), Some(p)) => b.push_str(&format!("[{ip}]:{p}")),
        _ => b.push_str(&ip.to_string()),
    }
    b.push('"');
}

pub(crate) fn head(b: &mut String, w: &World, t: i64, id: u128, op: &str, rt: u8, status: &str) {
    b.clear();
    b.push_str("{\"CreationTime\":\"");
    w_iso(b, t);
    b.push_str("\",\"Id\":\"");
    w_guid(b, id);
    b.push_str("\",\"Operation\":");
    esc(b, op);
    kg(b, "OrganizationId", w.tn.org);
    kn(b, "RecordType", rt as i64);
    ks(b, "ResultStatus", status);
}

/// Device facts of a sign-in (UAL DeviceProperties, Graph deviceDetail).
#[derive(Clone, Copy)]
pub struct Dev<'a> {
    pub os: &'a str,
    pub browser: &'a str,
    pub device_id: Option<u128>,
    pub name: &'a str,
    pub compliant: bool,
    /// `Azure AD joined`, `Hybrid Azure AD joined`, `Azure AD registered` or empty.
    pub trust: &'a str,
}

pub struct Logon<'a> {
    pub t: i64,
    pub id: u128,
    pub upn: &'a str,
    pub oid: Option<u128>,
    pub ip: Ip,
    pub app: &'a App,
    pub err: u32,
    pub ua: &'a str,
    pub request_type: &'a str,
    pub dev: Dev<'a>,
    pub session: u128,
}

pub fn err_info(code: u32) -> (&'static str, &'static str) {
    match code {
        0 => ("Other.", ""),
        50126 => (
            "Error validating credentials due to invalid username or password.",
            "InvalidUserNameOrPassword",
        ),
        50034 => (
            "The user account does not exist in the directory. To sign into this application, the account must be added to the directory.",
            "UserAccountNotFound",
        ),
        50053 => (
            "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
            "IdsLocked",
        ),
        50055 => ("The password is expired.", "InvalidPasswordExpiredPassword"),
        50074 => (
            "Strong Authentication is required.",
            "UserStrongAuthClientAuthNRequiredInterrupt",
        ),
        50140 => (
            "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
            "KmsiInterrupt",
        ),
        50173 => (
            "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
            "FreshTokenNeeded",
        ),
        70043 => (
            "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.",
            "BadTokenDueToSignInFrequency",
        ),
        _ => ("Other.", "Other"),
    }
}

/// `UserLoggedIn` / `UserLoginFailed` (RecordType 15).
pub fn logon(b: &mut String, w: &World, r: &mut Rng, l: &Logon) {
    let op = if l.err == 0 {
        "UserLoggedIn"
    } else {
        "UserLoginFailed"
    };
    head(
        b,
        w,
        l.t,
        l.id,
        op,
        15,
        if l.err != 0 && r.chance(0.5) {
            "Failed"
        } else {
            "Success"
        },
    );
    match l.oid {
        Some(g) => kg(b, "UserKey", g),
        None => ks(b, "UserKey", "Not Available"),
    }
    kn(b, "UserType", 0);
    kn(b, "Version", 1);
    ks(b, "Workload", "AzureActiveDirectory");
    client_ip(b, "ClientIP", l.ip, None);
    ks(b, "ObjectId", l.app.res_id);
    ks(b, "UserId", l.upn);
    kn(b, "AzureActiveDirectoryEventType", 1);
    let detail = match l.err {
        0 => "Success",
        50140 | 50074 => "Redirect",
        _ => "UserError",
    };
    let mut ext: Vec<(&str, &str)> = vec![("ResultStatusDetail", detail), ("UserAgent", l.ua)];
    if l.err == 0 || l.err == 50074 {
        ext.push(("UserAuthenticationMethod", "1"));
    }
    if l.err == 50140 {
        ext.push(("KeepMeSignedIn", "true"));
    }
    ext.push(("RequestType", l.request_type));
    name_values(b, "ExtendedProperties", &ext);
    b.push_str(",\"ModifiedProperties\":[],\"Actor\":[");
    if let Some(g) = l.oid {
        b.push_str("{\"ID\":\"");
        w_guid(b, g);
        b.push_str("\",\"Type\":0},");
    }
    b.push_str("{\"ID\":");
    esc(b, l.upn);
    b.push_str(",\"Type\":5}]");
    kg(b, "ActorContextId", w.tn.org);
    client_ip(b, "ActorIpAddress", l.ip, None);
    kg(b, "InterSystemsId", r.guid());
    kg(b, "IntraSystemId", l.id);
    ks(b, "SupportTicketId", "");
    b.push_str(",\"Target\":[{\"ID\":");
    esc(b, l.app.res_id);
    b.push_str(",\"Type\":0}]");
    kg(b, "TargetContextId", w.tn.org);
    ks(b, "ApplicationId", l.app.id);
    let c = if l.dev.compliant { "True" } else { "False" };
    let sess = guid_s(l.session);
    let did = l.dev.device_id.map(guid_s);
    let mut dp: Vec<(&str, &str)> = Vec::with_capacity(8);
    if let Some(d) = did.as_deref() {
        dp.push(("Id", d));
        dp.push(("DisplayName", l.dev.name));
    }
    dp.push(("OS", l.dev.os));
    dp.push((
        "BrowserType",
        if l.dev.browser.is_empty() {
            "Other"
        } else {
            l.dev.browser
        },
    ));
    dp.push(("IsCompliant", c));
    dp.push(("IsCompliantAndManaged", c));
    if did.is_some() {
        dp.push((
            "TrustType",
            match l.dev.trust {
                "Azure AD joined" => "1",
                "Hybrid Azure AD joined" => "2",
                _ => "0",
            },
        ));
    }
    dp.push(("SessionId", &sess));
    name_values(b, "DeviceProperties", &dp);
    ks(b, "ErrorNumber", &l.err.to_string());
    if l.err != 0 {
        ks(b, "LogonError", err_info(l.err).1);
    }
    b.push('}');
}

/// Exchange mailbox-audit context of one record.
#[derive(Clone, Copy)]
pub struct Mbx<'a> {
    pub t: i64,
    pub ui: usize,
    pub u: &'a User,
    pub ip: Ip,
    pub port: Option<u16>,
    pub cis: &'a str,
    pub app: &'a str,
    pub client_app: &'a str,
    pub session: u128,
    pub aad_session: u128,
    pub issued: i64,
}

pub(crate) fn origin_server(b: &mut String, r: &mut Rng, u: &User) {
    key(b, "OriginatingServer");
    b.push('"');
    b.push_str(&u.server);
    b.push_str(" (15.20.8857.019)");
    if r.chance(0.05) {
        b.push_str("\\r\\n");
    }
    b.push('"');
}

pub fn token_ctx(b: &mut String, r: &mut Rng, aad_session: u128, issued: i64) {
    b.push_str(",\"AppAccessContext\":{\"AADSessionId\":\"");
    w_guid(b, aad_session);
    b.push_str("\",\"IssuedAtTime\":\"");
    w_iso(b, issued);
    b.push_str("\",\"UniqueTokenId\":\"");
    w_rand_chars(b, r, 22, B64URL);
    b.push_str("\"}");
}

pub fn mbx_head(b: &mut String, w: &World, r: &mut Rng, m: &Mbx, id: u128, op: &str, rt: u8) {
    head(b, w, m.t, id, op, rt, "Succeeded");
    ks(b, "UserKey", &m.u.puid);
    kn(b, "UserType", 0);
    kn(b, "Version", 1);
    ks(b, "Workload", "Exchange");
    client_ip(b, "ClientIP", m.ip, m.port);
    ks(b, "UserId", &m.u.upn);
    ks(b, "AppId", m.app);
    ks(b, "ClientAppId", m.client_app);
    client_ip(b, "ClientIPAddress", m.ip, None);
    ks(b, "ClientInfoString", m.cis);
    kb(b, "ExternalAccess", false);
    kn(b, "InternalLogonType", 0);
    kn(b, "LogonType", 0);
    ks(b, "LogonUserSid", &m.u.sid);
    kg(b, "MailboxGuid", m.u.mbx);
    ks(b, "MailboxOwnerSid", &m.u.sid);
    ks(b, "MailboxOwnerUPN", &m.u.upn);
    ks(b, "OrganizationName", &w.tn.onms);
    origin_server(b, r, m.u);
    kg(b, "SessionId", m.session);
    token_ctx(b, r, m.aad_session, m.issued);
}

pub fn folder_obj(b: &mut String, w: &World, u: usize, f: usize) {
    b.push_str("{\"Id\":\"");
    w.folder_id(b, u, f);
    b.push_str("\",\"Path\":");
    esc(b, FOLDERS[f]);
    b.push('}');
}

pub fn item_id(b: &mut String, r: &mut Rng) {
    b.push_str("RgAAAAD");
    w_rand_chars(b, r, 60, B64STD);
    b.push_str("AAAJ");
}

/// A message id as Exchange Online or an outside mail system writes it.
pub fn msgid(r: &mut Rng, u: &User, internal: bool, partner: &str) -> String {
    let mut s = String::with_capacity(80);
    s.push('<');
    if internal {
        s.push_str(&u.server);
        w_hex(&mut s, r.next_u64(), 16, true);
        s.push('@');
        s.push_str(&u.server);
        s.push_str(if u.cluster.starts_with("EUR") {
            ".eurprd01"
        } else {
            ".namprd10"
        });
        s.push_str(".prod.outlook.com>");
    } else {
        w_hex(&mut s, r.next_u64(), 16, false);
        w_hex(&mut s, r.next_u64(), 8, false);
        s.push_str("@mail.");
        s.push_str(partner);
        s.push('>');
    }
    s
}

/// MailItemsAccessed (RecordType 50), Bind with items or Sync of one folder.
#[allow(clippy::too_many_arguments)]
pub fn mia(
    b: &mut String,
    w: &World,
    r: &mut Rng,
    m: &Mbx,
    id: u128,
    sync: bool,
    folders: &[usize],
    n: usize,
    throttled: bool,
) {
    mbx_head(b, w, r, m, id, "MailItemsAccessed", 50);
    b.push_str(",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"");
    b.push_str(if sync { "Sync" } else { "Bind" });
    b.push_str("\"},{\"Name\":\"IsThrottled\",\"Value\":\"");
    b.push_str(if throttled { "True" } else { "False" });
    b.push_str("\"}],\"Folders\":[");
    if sync {
        folder_obj(b, w, m.ui, folders[0]);
        b.push(']');
        kn(b, "OperationCount", 1);
    } else {
        let per = n.div_ceil(folders.len()).max(1);
        let mut left = n;
        for (k, &f) in folders.iter().enumerate() {
            if left == 0 {
                break;
            }
            let cnt = per.min(left);
            left -= cnt;
            if k > 0 {
                b.push(',');
            }
            b.push_str("{\"FolderItems\":[");
            for j in 0..cnt {
                if j > 0 {
                    b.push(',');
                }
                b.push_str("{\"InternetMessageId\":");
                let p = &w.tn.partners[r.idx(w.tn.partners.len())].0;
                let internal = f == 1 || f == 2 || r.chance(0.4);
                let mid = msgid(r, m.u, internal, p);
                esc(b, &mid);
                let sz = if r.chance(0.15) {
                    r.range(60_000, 4_500_000)
                } else {
                    r.range(2_000, 60_000)
                };
                b.push_str(&format!(",\"SizeInBytes\":{sz}}}"));
            }
            b.push_str("],\"Id\":\"");
            w.folder_id(b, m.ui, f);
            b.push_str("\",\"Path\":");
            esc(b, FOLDERS[f]);
            b.push('}');
        }
        b.push(']');
        kn(b, "OperationCount", n as i64);
    }
    b.push('}');
}

/// Send (RecordType 2).
#[allow(clippy::too_many_arguments)]
pub fn send(
    b: &mut String,
    w: &World,
    r: &mut Rng,
    m: &Mbx,
    id: u128,
    subj: &str,
    mid: &str,
    recips: &[(String, String)],
    attach: Option<&str>,
) {
    mbx_head(b, w, r, m, id, "Send", 2);
    b.push_str(",\"Item\":{\"Id\":\"");
    item_id(b, r);
    b.push_str("\",\"InternetMessageId\":");
    esc(b, mid);
    b.push_str(",\"ParentFolder\":");
    folder_obj(
        b,
        w,
        m.ui,
        if r.chance(0.7) {
            crate::world::F_DRAFTS
        } else {
            crate::world::F_SENT
        },
    );
    kn(b, "SizeInBytes", r.range(3_000, 90_000));
    ks(b, "Subject", subj);
    if let Some(a) = attach {
        ks(b, "Attachments", a);
    }
    b.push('}');
    kb(b, "SaveToSentItems", true);
    kn(b, "recipientCount", recips.len() as i64);
    key(b, "recipientList");
    b.push('[');
    for (i, (a, n)) in recips.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str("{\"Address\":");
        esc(b, a);
        b.push_str(",\"Name\":");
        esc(b, n);
        b.push('}');
    }
    b.push_str("]}");
}

/// Update of an item (flags, categories, read state).
pub fn update_item(b: &mut String, w: &World, r: &mut Rng, m: &Mbx, id: u128, subj: &str) {
    mbx_head(b, w, r, m, id, "Update", 2);
    b.push_str(",\"Item\":{\"Id\":\"");
    item_id(b, r);
    b.push_str("\",\"ParentFolder\":");
    folder_obj(b, w, m.ui, crate::world::F_INBOX);
    ks(b, "Subject", subj);
    b.push('}');
    key(b, "ModifiedProperties");
    let sets: [&[&str]; 3] = [&["Categories"], &["FlagStatus", "FlagRequest"], &["IsRead"]];
    str_array(b, sets[r.idx(3)]);
    b.push('}');
}

/// MoveToDeletedItems, SoftDelete or HardDelete of `items` (message id, subject) in `from`.
#[allow(clippy::too_many_arguments)]
pub fn delete_items(
    b: &mut String,
    w: &World,
    r: &mut Rng,
    m: &Mbx,
    id: u128,
    op: &str,
    from: usize,
    items: &[(String, String)],
) {
    mbx_head(b, w, r, m, id, op, 3);
    kb(b, "CrossMailboxOperation", false);
    if op == "MoveToDeletedItems" {
        b.push_str(",\"DestFolder\":");
        folder_obj(b, w, m.ui, crate::world::F_DELETED);
    }
    b.push_str(",\"Folder\":");
    folder_obj(b, w, m.ui, from);
    b.push_str(",\"AffectedItems\":[");
    for (i, (mid, subj)) in items.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str("{\"Id\":\"");
        item_id(b, r);
        b.push_str("\",\"InternetMessageId\":");
        esc(b, mid);
        b.push_str(",\"ParentFolder\":");
        folder_obj(b, w, m.ui, from);
        ks(b, "Subject", subj);
        b.push('}');
    }
    b.push_str("]}");
}

/// UpdateInboxRules from Outlook desktop; `None` = the bodiless re-stamp form.
pub struct RuleProps<'a> {
    pub operation: &'a str,
    pub rule_id: i64,
    pub name: &'a str,
    pub state: &'a str,
    pub condition: &'a str,
    pub actions: &'a str,
}

pub fn update_inbox_rules(
    b: &mut String,
    w: &World,
    r: &mut Rng,
    m: &Mbx,
    id: u128,
    p: Option<&RuleProps>,
) {
    mbx_head(b, w, r, m, id, "UpdateInboxRules", 2);
    ks(b, "ClientProcessName", "OUTLOOK.EXE");
    ks(b, "ClientVersion", "16.0.17928.20156");
    b.push_str(",\"OperationProperties\":[");
    match p {
        Some(p) => {
            let rid = p.rule_id.to_string();
            let nv = [
                ("RuleOperation", p.operation),
                ("RuleId", rid.as_str()),
                ("RuleState", p.state),
                ("RuleCondition", p.condition),
                ("RuleName", p.name),
                ("RuleProvider", "RuleOrganizer"),
                ("RuleActions", p.actions),
            ];
            for (i, (n, v)) in nv.iter().enumerate() {
                if i > 0 {
                    b.push(',');
                }
                b.push_str("{\"Name\":");
                esc(b, n);
                b.push_str(",\"Value\":");
                esc(b, v);
                b.push('}');
            }
        }
        None => b.push_str(
            "{\"Name\":\"RuleOperation\",\"Value\":\"ModifyMailboxRule\"},{\"Name\":\"RuleName\"},{\"Name\":\"RuleState\"},{\"Name\":\"RuleProvider\"},{\"Name\":\"RuleCondition\",\"Value\":\"{}\"},{\"Name\":\"RuleActions\",\"Value\":\"[]\"}",
        ),
    }
    b.push_str("],\"Item\":{\"Id\":\"");
    item_id(b, r);
    b.push_str("\",\"ParentFolder\":");
    folder_obj(b, w, m.ui, crate::world::F_INBOX);
    b.push_str("}}");
}

pub const SP_FILES: &[&str] = &[
    "Q3 forecast.xlsx",
    "Board deck.pptx",
    "Customer list.xlsx",
    "Travel policy.pdf",
    "Project plan.docx",
    "Minutes 2025-W14.docx",
    "Budget draft v3.xlsx",
    "Onboarding checklist.docx",
    "Price list 2025.pdf",
    "Architecture.vsdx",
];

/// SharePoint / OneDrive file operation (RecordType 6).
#[allow(clippy::too_many_arguments)]
pub fn sp_file(
    b: &mut String,
    w: &World,
    r: &mut Rng,
    t: i64,
    id: u128,
    u: &User,
    ip: Ip,
    ua: &str,
    op: &str,
    aad: u128,
) {
    let onedrive = r.chance(0.4);
    let site = if onedrive {
        format!(
            "https://{}-my.sharepoint.com/personal/{}",
            w.tn.onms.split('.').next().unwrap_or("tenant"),
            u.upn.replace(['.', '@'], "_")
        )
    } else {
        format!(
            "https://{}.sharepoint.com/sites/{}",
            w.tn.onms.split('.').next().unwrap_or("tenant"),
            ["Finance", "Sales", "Projects", "HR", "IT"][r.idx(5)]
        )
    };
    let rel = if onedrive {
        "Documents"
    } else {
        "Shared Documents"
    };
    let file = *r.pick(SP_FILES);
    head(b, w, t, id, op, 6, "Succeeded");
    key(b, "UserKey");
    b.push_str("\"i:0h.f|membership|");
    b.push_str(&u.puid.to_ascii_lowercase());
    b.push_str("@live.com\"");
    kn(b, "UserType", 0);
    kn(b, "Version", 1);
    ks(
        b,
        "Workload",
        if onedrive { "OneDrive" } else { "SharePoint" },
    );
    client_ip(b, "ClientIP", ip, None);
    ks(b, "ObjectId", &format!("{site}/{rel}/{file}"));
    ks(b, "UserId", &u.upn);
    kg(b, "CorrelationId", r.guid());
    ks(b, "EventSource", "SharePoint");
    ks(b, "ItemType", "File");
    kg(b, "ListId", mix2(id as u64, 3) as u128 | 0x4000 << 64);
    kg(b, "ListItemUniqueId", r.guid());
    ks(b, "UserAgent", ua);
    ks(b, "SiteUrl", &format!("{site}/"));
    ks(b, "SourceFileName", file);
    ks(
        b,
        "SourceFileExtension",
        file.rsplit('.').next().unwrap_or(""),
    );
    ks(b, "SourceRelativeUrl", rel);
    ks(
        b,
        "ApplicationDisplayName",
        "SharePoint Online Web Client Extensibility",
    );
    ks(b, "AuthenticationType", "OAuth");
    let issued = t - r.range(60, 3000);
    token_ctx(b, r, aad, issued);
    b.push('}');
}
