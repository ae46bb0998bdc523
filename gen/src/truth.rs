//! Ground truth written beside the export (`truth.json`): the tenant, its infrastructure,
//! every user's traits, the planted victims with their windows, touched accounts, the
//! benign look-alikes, record counts and bytes per file, and trait proportions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::attacks::{Touched, Victim};
use crate::infra::InfraTruth;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FileTruth {
    pub records: u64,
    pub bytes: u64,
}

#[derive(Serialize)]
pub struct Span {
    pub start: String,
    pub end: String,
}

#[derive(Serialize)]
pub struct TenantTruth {
    pub name: String,
    pub domain: String,
    pub onmicrosoft: String,
    pub organization_id: String,
}

#[derive(Serialize)]
pub struct UserTruth {
    pub upn: String,
    pub country: String,
    pub traits: Vec<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub victim: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub touched: bool,
}

#[derive(Serialize)]
pub struct ScenarioTruth {
    pub seed: u64,
    pub users: usize,
    pub days: u32,
    pub start: String,
    pub signin_days: u32,
    pub activity: f64,
    pub target_bytes: Option<u64>,
    pub private_attacker: bool,
    pub ual_only: bool,
}

#[derive(Serialize)]
pub struct ForwardTruth {
    pub user: String,
    pub to: String,
    /// `inbox_rule` or `mailbox` (Set-Mailbox).
    pub how: &'static str,
    pub set_by: String,
    pub external: bool,
}

#[derive(Serialize)]
pub struct BenignTruth {
    pub forwards: Vec<ForwardTruth>,
    pub rules_in_dump: usize,
    pub rules_removed_by_owner: usize,
    pub admins: Vec<String>,
    pub marketing: Vec<String>,
    pub service_mailboxes: Vec<String>,
    pub shared_mailboxes: Vec<String>,
    pub service_principals: Vec<String>,
    pub system_actors: Vec<String>,
    pub noise: String,
}

/// What `generate` returns and writes to `truth.json`.
#[derive(Serialize)]
pub struct Truth {
    pub generator: String,
    pub scenario: ScenarioTruth,
    pub tenant: TenantTruth,
    pub period: Span,
    pub signin_coverage: Span,
    pub message_trace_coverage: Span,
    pub infrastructure: InfraTruth,
    pub victims: Vec<Victim>,
    pub touched: Vec<Touched>,
    pub benign: BenignTruth,
    pub users: Vec<UserTruth>,
    pub files: BTreeMap<String, FileTruth>,
    /// Fraction of people (service and shared mailboxes excluded) with each trait.
    pub proportions: BTreeMap<String, f64>,
}

impl Truth {
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|f| f.bytes).sum()
    }
}
