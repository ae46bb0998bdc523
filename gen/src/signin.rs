//! Entra sign-in records as the Graph `signIn` resource (camelCase JSON, input-formats.md
//! §3.2), interactive and non-interactive, as the admin center's JSON download holds them.

use crate::apps::App;
use crate::fmt::*;
use crate::net::{City, Ip};
use crate::rng::Rng;
use crate::ual::{Dev, err_info};

/// Where a sign-in is located.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub cc: &'a str,
    pub city: City,
    pub asn: u32,
}

pub struct SignIn<'a> {
    pub t: i64,
    pub id: u128,
    pub upn: &'a str,
    pub display: &'a str,
    pub oid: Option<u128>,
    pub tenant: u128,
    pub app: &'a App,
    pub ip: Ip,
    pub place: Place<'a>,
    pub ua: &'a str,
    pub interactive: bool,
    pub err: u32,
    pub dev: Dev<'a>,
    pub mfa: bool,
    /// `none`, `deviceCode`, `ropc`, ...
    pub protocol: &'a str,
    pub transfer: &'a str,
    pub session: u128,
    pub incoming: &'a str,
    pub risk: &'a str,
    pub risk_events: &'a [&'a str],
    /// Overrides `clientAppUsed` (legacy protocols).
    pub client_app: Option<&'a str>,
}

pub fn write_signin(b: &mut String, r: &mut Rng, s: &SignIn) {
    b.clear();
    b.push_str("{\"id\":\"");
    w_guid(b, s.id);
    b.push_str("\",\"createdDateTime\":\"");
    w_iso(b, s.t);
    b.push_str("Z\"");
    ks(b, "userDisplayName", s.display);
    ks(b, "userPrincipalName", s.upn);
    match s.oid {
        Some(g) => kg(b, "userId", g),
        None => ks(b, "userId", ""),
    }
    ks(b, "appId", s.app.id);
    ks(b, "appDisplayName", s.app.name);
    ks(b, "ipAddress", &s.ip.to_string());
    kraw(b, "ipAddressFromResourceProvider", "null");
    ks(b, "clientAppUsed", s.client_app.unwrap_or(s.app.client_app));
    ks(b, "userAgent", s.ua);
    kg(b, "correlationId", r.guid());
    let ok = s.err == 0;
    ks(
        b,
        "conditionalAccessStatus",
        if ok && s.mfa { "success" } else { "notApplied" },
    );
    kg(b, "originalRequestId", s.id);
    kb(b, "isInteractive", s.interactive);
    ks(b, "tokenIssuerName", "");
    ks(b, "tokenIssuerType", "AzureAD");
    kn(b, "processingTimeInMilliseconds", r.range(20, 400));
    ks(b, "riskDetail", "none");
    ks(b, "riskLevelAggregated", s.risk);
    ks(b, "riskLevelDuringSignIn", s.risk);
    ks(
        b,
        "riskState",
        if s.risk == "none" { "none" } else { "atRisk" },
    );
    key(b, "riskEventTypes_v2");
    str_array(b, s.risk_events);
    ks(b, "resourceDisplayName", s.app.res_name);
    ks(b, "resourceId", s.app.res_id);
    kg(b, "resourceTenantId", s.tenant);
    kg(b, "homeTenantId", s.tenant);
    key(b, "authenticationMethodsUsed");
    if ok && s.interactive {
        str_array(
            b,
            if s.mfa {
                &["Password", "Mobile app notification"]
            } else {
                &["Password"]
            },
        );
    } else {
        b.push_str("[]");
    }
    ks(
        b,
        "authenticationRequirement",
        if s.mfa {
            "multiFactorAuthentication"
        } else {
            "singleFactorAuthentication"
        },
    );
    ks(
        b,
        "signInIdentifier",
        if s.interactive { s.upn } else { "" },
    );
    key(b, "signInEventTypes");
    str_array(
        b,
        if s.interactive {
            &["interactiveUser"]
        } else {
            &["nonInteractiveUser"]
        },
    );
    ks(b, "userType", "member");
    kn(b, "autonomousSystemNumber", s.place.asn as i64);
    ks(b, "crossTenantAccessType", "none");
    key(b, "uniqueTokenIdentifier");
    b.push('"');
    w_rand_chars(b, r, 22, B64URL);
    b.push('"');
    ks(b, "incomingTokenType", s.incoming);
    ks(b, "authenticationProtocol", s.protocol);
    kg(b, "sessionId", s.session);
    ks(b, "originalTransferMethod", s.transfer);
    let (reason, _) = err_info(s.err);
    b.push_str(&format!(
        ",\"status\":{{\"errorCode\":{},\"failureReason\":",
        s.err
    ));
    esc(b, reason);
    b.push_str(",\"additionalDetails\":");
    b.push_str(match s.err {
        0 if s.mfa && s.interactive => "\"MFA requirement satisfied by strong authentication\"",
        50126 => "\"The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes.\"",
        50140 => "\"This is an expected part of the login flow, where a user is asked if they want to remain signed into this browser to make further logins easier.\"",
        _ => "null",
    });
    b.push('}');
    b.push_str(",\"deviceDetail\":{\"deviceId\":\"");
    if let Some(d) = s.dev.device_id {
        w_guid(b, d);
    }
    b.push('"');
    ks(
        b,
        "displayName",
        if s.dev.device_id.is_some() {
            s.dev.name
        } else {
            ""
        },
    );
    ks(b, "operatingSystem", s.dev.os);
    ks(b, "browser", s.dev.browser);
    kb(b, "isCompliant", s.dev.compliant);
    kb(b, "isManaged", s.dev.compliant);
    ks(b, "trustType", s.dev.trust);
    b.push('}');
    b.push_str(",\"location\":{\"city\":");
    esc(b, s.place.city.name);
    ks(b, "state", s.place.city.state);
    ks(b, "countryOrRegion", s.place.cc);
    b.push_str(&format!(
        ",\"geoCoordinates\":{{\"altitude\":null,\"latitude\":{:.4},\"longitude\":{:.4}}}}}",
        s.place.city.lat + (r.unit() - 0.5) * 0.1,
        s.place.city.lon + (r.unit() - 0.5) * 0.1
    ));
    b.push_str(",\"appliedConditionalAccessPolicies\":[{\"id\":\"5f2b8c1a-3d4e-4a6b-9c8d-7e6f5a4b3c2d\",\"displayName\":\"Require MFA for all users\",\"enforcedGrantControls\":[\"Mfa\"],\"enforcedSessionControls\":[],\"result\":\"");
    b.push_str(if ok && s.mfa { "success" } else { "notApplied" });
    b.push_str("\"}]");
    b.push_str(",\"authenticationProcessingDetails\":[{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Is CAE Token\",\"value\":\"");
    b.push_str(if s.interactive { "False" } else { "True" });
    b.push_str("\"}],\"authenticationDetails\":[");
    if s.interactive {
        b.push_str("{\"authenticationStepDateTime\":\"");
        w_iso(b, s.t);
        b.push_str("Z\",\"authenticationMethod\":\"Password\",\"authenticationMethodDetail\":\"Password in the cloud\",\"succeeded\":");
        let bad = matches!(s.err, 50126 | 50034 | 50053 | 50055);
        b.push_str(if bad { "false" } else { "true" });
        b.push_str(",\"authenticationStepResultDetail\":");
        b.push_str(match s.err {
            50126 | 50034 => {
                "\"Invalid username or password or Invalid on-premise username or password.\""
            }
            50053 => "\"Account is locked\"",
            _ => "\"Correct password\"",
        });
        b.push_str(",\"authenticationStepRequirement\":\"Primary authentication\"}");
        if s.mfa && ok {
            b.push_str(",{\"authenticationStepDateTime\":\"");
            w_iso(b, s.t);
            b.push_str("Z\",\"authenticationMethod\":\"Mobile app notification\",\"authenticationMethodDetail\":null,\"succeeded\":true,\"authenticationStepResultDetail\":\"MFA successfully completed\",\"authenticationStepRequirement\":\"Multifactor authentication\"}");
        }
    } else {
        b.push_str("{\"authenticationStepDateTime\":\"");
        w_iso(b, s.t);
        b.push_str("Z\",\"authenticationMethod\":\"Previously satisfied\",\"authenticationMethodDetail\":null,\"succeeded\":true,\"authenticationStepResultDetail\":\"First factor requirement satisfied by claim in the token\",\"authenticationStepRequirement\":\"Primary authentication\"}");
    }
    b.push_str("]}");
}
