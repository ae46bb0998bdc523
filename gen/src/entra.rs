//! Entra audit records as the Graph `directoryAudit` resource (input-formats.md §8.1):
//! activity names without the UAL's trailing period, `initiatedBy` a user (with address) or
//! an application, `targetResources` with modified properties.

use crate::fmt::*;
use crate::net::Ip;
use crate::rng::Rng;

pub enum By<'a> {
    User {
        oid: u128,
        upn: &'a str,
        ip: Option<Ip>,
    },
    App {
        name: &'a str,
        sp: u128,
    },
}

pub struct TargetRes<'a> {
    pub id: u128,
    pub display: Option<&'a str>,
    pub kind: &'a str,
    pub upn: Option<&'a str>,
    pub modified: &'a [(&'a str, &'a str, &'a str)],
}

pub struct DirAudit<'a> {
    pub t: i64,
    pub activity: &'a str,
    pub category: &'a str,
    pub service: &'a str,
    pub op_type: &'a str,
    pub by: By<'a>,
    pub targets: &'a [TargetRes<'a>],
    pub details: &'a [(&'a str, &'a str)],
    pub reason: &'a str,
}

pub fn write_audit(b: &mut String, r: &mut Rng, a: &DirAudit) {
    b.clear();
    let corr = r.guid();
    b.push_str("{\"id\":\"");
    b.push_str(if a.service == "Core Directory" {
        "Directory"
    } else {
        a.service
    });
    b.push('_');
    w_guid(b, corr);
    b.push('_');
    w_hex(b, r.next_u64(), 5, true);
    b.push_str(&format!("_{}\"", r.range(100_000_000, 999_999_999)));
    ks(b, "category", a.category);
    kg(b, "correlationId", corr);
    ks(b, "result", "success");
    ks(b, "resultReason", a.reason);
    ks(b, "activityDisplayName", a.activity);
    key(b, "activityDateTime");
    b.push('"');
    w_iso(b, a.t);
    b.push_str(&format!(".{:07}Z\"", r.below(10_000_000)));
    ks(b, "loggedByService", a.service);
    ks(b, "operationType", a.op_type);
    b.push_str(",\"initiatedBy\":{");
    match &a.by {
        By::User { oid, upn, ip } => {
            b.push_str("\"app\":null,\"user\":{\"id\":\"");
            w_guid(b, *oid);
            b.push_str("\",\"displayName\":null");
            ks(b, "userPrincipalName", upn);
            match ip {
                Some(ip) => ks(b, "ipAddress", &ip.to_string()),
                None => kraw(b, "ipAddress", "null"),
            }
            b.push_str(",\"userType\":null,\"homeTenantId\":null,\"homeTenantName\":null}");
        }
        By::App { name, sp } => {
            b.push_str("\"user\":null,\"app\":{\"appId\":null");
            ks(b, "displayName", name);
            kg(b, "servicePrincipalId", *sp);
            b.push_str(",\"servicePrincipalName\":null}");
        }
    }
    b.push_str("},\"targetResources\":[");
    for (i, tr) in a.targets.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str("{\"id\":\"");
        w_guid(b, tr.id);
        b.push('"');
        match tr.display {
            Some(d) => ks(b, "displayName", d),
            None => kraw(b, "displayName", "null"),
        }
        ks(b, "type", tr.kind);
        match tr.upn {
            Some(u) => ks(b, "userPrincipalName", u),
            None => kraw(b, "userPrincipalName", "null"),
        }
        b.push_str(",\"groupType\":null,\"modifiedProperties\":[");
        for (j, (n, nv, ov)) in tr.modified.iter().enumerate() {
            if j > 0 {
                b.push(',');
            }
            b.push_str("{\"displayName\":");
            esc(b, n);
            b.push_str(",\"oldValue\":");
            if ov.is_empty() {
                b.push_str("null")
            } else {
                esc(b, ov)
            }
            b.push_str(",\"newValue\":");
            esc(b, nv);
            b.push('}');
        }
        b.push_str("]}");
    }
    b.push_str("],\"additionalDetails\":[");
    for (i, (k, v)) in a.details.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str("{\"key\":");
        esc(b, k);
        b.push_str(",\"value\":");
        esc(b, v);
        b.push('}');
    }
    b.push_str("]}");
}
