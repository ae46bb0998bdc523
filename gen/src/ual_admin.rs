//! UAL records of administration: Exchange admin cmdlets (RecordType 1) and Entra
//! directory operations (RecordType 8), with the actor and target shapes they share.

use crate::fmt::*;
use crate::net::Ip;
use crate::population::User;
use crate::rng::{Rng, mix2};
use crate::ual::{client_ip, head, origin_server, token_ctx};
use crate::world::World;

/// Who performs an admin or directory operation.
pub struct Actor<'a> {
    pub id: &'a str,
    pub key: &'a str,
    pub oid: u128,
    pub user_type: i64,
    pub ip: Option<Ip>,
    pub app: &'a str,
    /// Token context (AAD session, issued) for user-driven cmdlets.
    pub tok: Option<(u128, i64)>,
}

/// Exchange admin cmdlet (RecordType 1) acting on `target`'s mailbox.
#[allow(clippy::too_many_arguments)]
pub fn admin_cmd(
    b: &mut String,
    w: &World,
    r: &mut Rng,
    t: i64,
    id: u128,
    op: &str,
    a: &Actor,
    target: &User,
    rule_name: Option<&str>,
    params: &[(&str, &str)],
) {
    head(b, w, t, id, op, 1, "True");
    ks(b, "UserKey", a.key);
    kn(b, "UserType", a.user_type);
    kn(b, "Version", 1);
    ks(b, "Workload", "Exchange");
    if let Some(ip) = a.ip {
        client_ip(b, "ClientIP", ip, Some(r.range(1025, 65535) as u16));
    }
    key(b, "ObjectId");
    b.push('"');
    b.push_str(target.cluster);
    b.push_str("/Microsoft Exchange Hosted Organizations/");
    b.push_str(&w.tn.onms);
    b.push('/');
    w_guid(b, target.mbx);
    if let Some(n) = rule_name {
        b.push_str("\\\\");
        esc_inner(b, n);
    }
    b.push('"');
    ks(b, "UserId", a.id);
    ks(b, "AppId", a.app);
    ks(b, "ClientAppId", "");
    ks(b, "CorrelationID", "");
    kb(b, "ExternalAccess", a.id.starts_with("NT AUTHORITY"));
    ks(b, "OrganizationName", &w.tn.onms);
    origin_server(b, r, target);
    name_values(b, "Parameters", params);
    kg(b, "RequestId", r.guid());
    match a.tok {
        Some((sess, issued)) => {
            kg(b, "SessionId", r.guid());
            token_ctx(b, r, sess, issued);
        }
        None => ks(b, "SessionId", ""),
    }
    b.push('}');
}

/// Target of a directory operation.
pub enum Target<'a> {
    User(&'a User),
    Device {
        id: u128,
        name: &'a str,
        owner: &'a User,
    },
    App {
        id: u128,
        name: &'a str,
        app_id: &'a str,
    },
    Group {
        id: u128,
        name: &'a str,
        member: &'a User,
    },
}

/// Entra directory operation (RecordType 8).
#[allow(clippy::too_many_arguments)]
pub fn aad_dir(
    b: &mut String,
    w: &World,
    r: &mut Rng,
    t: i64,
    id: u128,
    op: &str,
    a: &Actor,
    target: &Target,
    modified: &[(&str, &str, &str)],
) {
    head(b, w, t, id, op, 8, "Success");
    let mut ak = String::from("1003");
    w_hex(&mut ak, mix2(a.oid as u64, 5), 12, true);
    ks(
        b,
        "UserKey",
        if a.id.starts_with("ServicePrincipal_") {
            a.key
        } else {
            &ak
        },
    );
    kn(
        b,
        "UserType",
        if a.id.starts_with("ServicePrincipal_") {
            6
        } else {
            0
        },
    );
    kn(b, "Version", 1);
    ks(b, "Workload", "AzureActiveDirectory");
    match a.ip {
        Some(ip) => client_ip(b, "ClientIP", ip, None),
        None => kraw(b, "ClientIP", "null"),
    }
    let obj = match target {
        Target::User(u) => u.upn.clone(),
        Target::Device { id, .. } | Target::App { id, .. } | Target::Group { id, .. } => {
            guid_s(*id)
        }
    };
    ks(b, "ObjectId", &obj);
    ks(b, "UserId", a.id);
    kn(b, "AzureActiveDirectoryEventType", 1);
    b.push_str(",\"ExtendedProperties\":[{\"Name\":\"additionalDetails\",\"Value\":\"{}\"},{\"Name\":\"extendedAuditEventCategory\",\"Value\":\"");
    b.push_str(match target {
        Target::User(_) => "User",
        Target::Device { .. } => "Device",
        Target::App { .. } => "ServicePrincipal",
        Target::Group { .. } => "Group",
    });
    b.push_str("\"}]");
    key(b, "ModifiedProperties");
    b.push('[');
    for (i, (n, nv, ov)) in modified.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str("{\"Name\":");
        esc(b, n);
        b.push_str(",\"NewValue\":");
        esc(b, nv);
        b.push_str(",\"OldValue\":");
        esc(b, ov);
        b.push('}');
    }
    b.push(']');
    b.push_str(",\"Actor\":[{\"ID\":");
    esc(b, a.id);
    if a.id.starts_with("ServicePrincipal_") {
        b.push_str(",\"Type\":2}");
    } else {
        b.push_str(",\"Type\":5},{\"ID\":\"");
        w_guid(b, a.oid);
        b.push_str("\",\"Type\":2}");
    }
    b.push(']');
    kg(b, "ActorContextId", w.tn.org);
    if let Some(ip) = a.ip {
        client_ip(b, "ActorIpAddress", ip, None);
    }
    kg(b, "InterSystemsId", r.guid());
    kg(b, "IntraSystemId", r.guid());
    ks(b, "SupportTicketId", "");
    b.push_str(",\"Target\":[");
    match target {
        Target::User(u) => {
            b.push_str("{\"ID\":\"User_");
            w_guid(b, u.oid);
            b.push_str("\",\"Type\":2},{\"ID\":");
            esc(b, &u.upn);
            b.push_str(",\"Type\":5},{\"ID\":");
            esc(b, &u.puid);
            b.push_str(",\"Type\":3}");
        }
        Target::Device { id, name, owner } => {
            b.push_str("{\"ID\":\"Device_");
            w_guid(b, *id);
            b.push_str("\",\"Type\":2},{\"ID\":");
            esc(b, name);
            b.push_str(",\"Type\":1},{\"ID\":");
            esc(b, &owner.upn);
            b.push_str(",\"Type\":5}");
        }
        Target::App { id, name, app_id } => {
            b.push_str("{\"ID\":\"ServicePrincipal_");
            w_guid(b, *id);
            b.push_str("\",\"Type\":2},{\"ID\":");
            esc(b, name);
            b.push_str(",\"Type\":1},{\"ID\":");
            esc(b, app_id);
            b.push_str(",\"Type\":2}");
        }
        Target::Group { id, name, member } => {
            b.push_str("{\"ID\":\"Group_");
            w_guid(b, *id);
            b.push_str("\",\"Type\":2},{\"ID\":");
            esc(b, name);
            b.push_str(",\"Type\":1},{\"ID\":");
            esc(b, &member.upn);
            b.push_str(",\"Type\":5}");
        }
    }
    b.push(']');
    kg(b, "TargetContextId", w.tn.org);
    b.push('}');
}
