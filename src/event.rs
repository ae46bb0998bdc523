//! The normalized event: one record of evidence, whatever export it came from.
//!
//! Every parser turns its records into [`Event`]s with a small typed core (time, who, what, from
//! where, with what outcome) plus [`Attrs`], the record's remaining fields flattened to
//! `Path.To.Field` keys, so that data rules can address any field without knowing the export
//! format. Name/Value bags (`Parameters`, `ExtendedProperties`, ...) are folded to
//! `Parameters.ForwardTo`-style keys.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The kinds of evidence uala reads (design.md section 1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Unified Audit Log, in any wrapper.
    Ual,
    /// Entra ID sign-in logs.
    Signin,
    /// `Get-InboxRule` dumps and Graph message rules.
    InboxRules,
    /// `Get-Mailbox` forwarding fields.
    Mailbox,
    /// Message trace (Get-MessageTrace, V2, portal reports).
    MessageTrace,
    /// A Sent Items listing (Graph messages).
    SentItems,
    /// Entra directory audit log.
    EntraAudit,
}

impl SourceKind {
    pub const ALL: [SourceKind; 7] = [
        SourceKind::Ual,
        SourceKind::Signin,
        SourceKind::InboxRules,
        SourceKind::Mailbox,
        SourceKind::MessageTrace,
        SourceKind::SentItems,
        SourceKind::EntraAudit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Ual => "ual",
            SourceKind::Signin => "signin",
            SourceKind::InboxRules => "inbox_rules",
            SourceKind::Mailbox => "mailbox",
            SourceKind::MessageTrace => "message_trace",
            SourceKind::SentItems => "sent_items",
            SourceKind::EntraAudit => "entra_audit",
        }
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an event came from: the input's index in the run's input list, the 1-based line where
/// the record starts, and the 1-based record number within that input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Provenance {
    pub input: u32,
    pub line: u64,
    pub record: u64,
}

/// Success or failure of the action, with the source's own code where it gives one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `None` when the source does not say.
    pub success: Option<bool>,
    /// Error code as the source writes it (`50126`, `0`, `InvalidUserNameOrPassword`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Box<str>>,
}

/// Geolocation as carried by the source record itself (sign-ins) or by enrichment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Location {
    /// ISO 3166 alpha-2, upper case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
}

impl Location {
    pub fn is_empty(&self) -> bool {
        self.country.is_none()
            && self.state.is_none()
            && self.city.is_none()
            && self.lat.is_none()
            && self.lon.is_none()
            && self.asn.is_none()
    }
}

/// The client the action came through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Client {
    /// Application id or name (`ApplicationId`, `appDisplayName`, `AppId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Box<str>>,
    /// Exchange `ClientInfoString`, or the sign-in `clientAppUsed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_info: Option<Box<str>>,
    /// Session identifier (`SessionId`, `sessionId`, `AADSessionId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<Box<str>>,
}

/// One normalized record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// UTC. `None` for snapshots with no time of their own (an inbox-rule dump row).
    pub time: Option<DateTime<Utc>>,
    pub source: SourceKind,
    /// The record's own id (UAL `Id`, sign-in `id`), used for de-duplication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<Box<str>>,
    /// Operation or activity name as logged (`New-InboxRule`, `UserLoggedIn`, `Update user.`).
    pub operation: Box<str>,
    /// The account acted upon, lower case (a UPN where one is known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Box<str>>,
    /// The account that acted, lower case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// What the client address field held when it was not an IP (`localhost`, a host name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_host: Option<Box<str>>,
    pub client: Client,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<Location>>,
    /// The object acted upon (`ObjectId`, rule name, message id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Box<str>>,
    pub attrs: Attrs,
    /// A digest of the attributes the field plan dropped (0 when none was), so that two
    /// records still compare equal only when their whole content does (de-duplication).
    #[serde(skip)]
    pub dropped_digest: u64,
    pub prov: Provenance,
}

impl Event {
    pub fn new(source: SourceKind, operation: impl Into<Box<str>>, prov: Provenance) -> Event {
        Event {
            time: None,
            source,
            record_id: None,
            operation: operation.into(),
            user: None,
            actor: None,
            ip: None,
            client_host: None,
            client: Client::default(),
            outcome: Outcome::default(),
            location: None,
            object: None,
            attrs: Attrs::default(),
            dropped_digest: 0,
            prov,
        }
    }

    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.get(key)
    }
}

/// A record's fields as an ordered multimap of flattened keys to text values.
///
/// Keys keep the source's spelling; look-ups are ASCII case-insensitive because producers
/// disagree on case (`ForwardingSMTPAddress` vs `ForwardingSmtpAddress`). A key may repeat
/// (several `ForwardTo` recipients, several accessed message ids).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Attrs(Vec<(Arc<str>, Box<str>)>);

thread_local! {
    /// Attribute names repeat in every record of an export; each thread shares one copy of each.
    static KEYS: RefCell<HashMap<Box<str>, Option<Arc<str>>, Fnv>> = RefCell::new(HashMap::default());
}

/// Fields no detection, timeline or report reads, and that would otherwise be most of the memory
/// of a large export: store ids of folders and items (base64, ~150 bytes each, several per
/// MailItemsAccessed record), internal correlation ids, server names, Conditional Access policy
/// dumps. The record itself stays available in its input at its line. (`None` in `KEYS` marks
/// a name that is not kept.)
fn is_kept(key: &str) -> bool {
    const DROPPED: &[&str] = &[
        "OriginatingServer",
        "Version",
        "OrganizationId",
        "InterSystemsId",
        "IntraSystemId",
        "SupportTicketId",
        "ActorContextId",
        "TargetContextId",
        "MailboxOwnerSid",
        "MailboxOwnerMasterAccountSid",
        "LogonUserSid",
        "ClientRequestId",
        "TokenObjectId",
        "TokenTenantId",
        "AppAccessContext.IssuedAtTime",
        "AppAccessContext.TokenIssuedAtTime",
        "AppAccessContext.CorrelationId",
        "AppAccessContext.APIId",
    ];
    const DROPPED_PREFIXES: &[&str] = &[
        "appliedConditionalAccessPolicies.",
        "ConditionalAccessPolicies.",
        "authenticationProcessingDetails.",
        "AuthenticationProcessingDetails.",
        "authenticationDetails.",
        "AuthenticationDetails.",
        "networkLocationDetails.",
        "sessionLifetimePolicies.",
        "authenticationRequirementPolicies.",
        "appliedEventListeners.",
        "privateLinkDetails.",
        "tokenProtectionStatusDetails.",
    ];
    if DROPPED.contains(&key) || DROPPED_PREFIXES.iter().any(|p| key.starts_with(p)) {
        return false;
    }
    // Store ids of folders and items (`Folders.FolderItems.Id`, `Item.ParentFolder.Id`); the
    // Internet message ids are what joins mail across sources.
    if let Some((parent, last)) = key.rsplit_once('.') {
        if last == "Id" || last == "ImmutableId" {
            const STORE: &[&str] = &[
                "Folders",
                "FolderItems",
                "AffectedItems",
                "Item",
                "ParentFolder",
                "DestFolder",
                "Folder",
            ];
            return !parent.split('.').any(|seg| STORE.contains(&seg));
        }
    }
    true
}

/// FNV-1a: attribute names are short and not attacker-sized in number (the table is bounded), so
/// a simple hash beats SipHash here; the interner was a tenth of ingest time with SipHash.
#[derive(Default, Clone, Copy)]
pub struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Fnv = std::hash::BuildHasherDefault<FnvHasher>;

/// Bound on the names interned per thread: attacker-chosen parameter names cannot grow it
/// without limit; past it, names are simply allocated.
const MAX_INTERNED_KEYS: usize = 65_536;

fn intern(key: &str) -> Option<Arc<str>> {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some(k) = keys.get(key) {
            return k.clone();
        }
        let k: Option<Arc<str>> = is_kept(key).then(|| Arc::from(key));
        if keys.len() < MAX_INTERNED_KEYS {
            keys.insert(key.into(), k.clone());
        }
        k
    })
}

impl Attrs {
    pub fn push(&mut self, key: impl AsRef<str>, value: impl Into<Box<str>>) {
        if let Some(key) = intern(key.as_ref()) {
            self.0.push((key, value.into()));
        }
    }

    /// The first value under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| &**v)
    }

    /// Every value under `key`, in record order.
    pub fn get_all<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| &**v)
    }

    /// Replaces values for which `f` returns a new one.
    pub fn map_values(&mut self, mut f: impl FnMut(&str, &str) -> Option<String>) {
        for (k, v) in &mut self.0 {
            if let Some(new) = f(k, v) {
                *v = new.into_boxed_str();
            }
        }
    }

    /// Keeps the attributes whose key and value `keep` accepts, and gives back the room of the
    /// others (events live until the end of the run).
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
        self.0.shrink_to_fit();
    }

    /// Orders the attributes by name, keeping the order of repeated names: one canonical order
    /// whichever way a record was read.
    pub fn sort_by_key(&mut self) {
        self.0.sort_by(|a, b| a.0.cmp(&b.0));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
