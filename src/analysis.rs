//! The analysis stage: from ingested events to findings and per-account verdicts.
//!
//! identity resolution → tenant domains → data rules (parallel) → analyzers → total order.

use crate::analyzers;
use crate::finding::{self, Finding};
use crate::identity::{self, Directory};
use crate::ingest::Ingested;
use crate::rules::RuleSet;
use crate::tenant::Tenant;

/// Options of the analysis stage.
#[derive(Debug, Clone, Default)]
pub struct AnalysisOptions {
    /// Internal mail domains; inferred from the evidence when empty.
    pub internal_domains: Vec<String>,
    /// Tenant name for the report; inferred when `None`.
    pub tenant: Option<String>,
    pub signin: analyzers::signin::SigninOptions,
    /// Rule id → severity, from the configuration file.
    pub severity_overrides: std::collections::BTreeMap<String, crate::finding::Severity>,
    /// User-supplied GeoIP databases.
    pub geoip: Option<std::sync::Arc<crate::geoip::GeoIp>>,
}

pub use crate::window::{Account, Verdict};

/// Everything the analysis produced.
#[derive(Debug)]
pub struct Analysis {
    pub ingested: Ingested,
    pub tenant_name: Option<String>,
    pub tenant: Tenant,
    pub findings: Vec<Finding>,
    pub accounts: Vec<Account>,
    pub timeline: Vec<crate::timeline::Entry>,
    /// The GeoIP databases used, if any.
    pub geoip: Vec<crate::geoip::DatabaseInfo>,
}

pub fn analyze(mut ingested: Ingested, rules: &RuleSet, options: &AnalysisOptions) -> Analysis {
    let directory = Directory::build(&ingested.events);
    identity::resolve_events(&mut ingested.events, &directory);
    analyzers::signin::spread_locations(&mut ingested.events);
    if let Some(geoip) = &options.geoip {
        geoip.enrich(&mut ingested.events);
    }
    let tenant = Tenant::infer(&ingested.events, &options.internal_domains);
    let tenant_name = options
        .tenant
        .clone()
        .or_else(|| crate::ingest::tenant(&ingested.events));

    let events = &ingested.events;
    let inputs = &ingested.inputs;
    let mut findings = rules.evaluate(events, &tenant, inputs);
    let book = analyzers::inbox_rules::RuleBook::build(events);
    analyzers::inbox_rules::annotate_lifecycle(&mut findings, events, &book);
    findings.extend(analyzers::inbox_rules::hidden_rules(events, &book, inputs));
    findings.extend(analyzers::signin::analyze(events, inputs, &options.signin));
    let mail = analyzers::sent_items::analyze(events, inputs, &tenant, &findings);
    findings.extend(mail);
    let shared = analyzers::forwarding::shared_destinations(&findings, &tenant);
    findings.extend(shared);
    for f in &mut findings {
        if let Some(s) = options.severity_overrides.get(&f.rule) {
            f.severity = *s;
        }
    }
    finding::finalize(&mut findings);
    let mut accounts = crate::window::accounts(&findings, events);
    crate::remediation::plan(&mut accounts, &findings);
    let timeline = crate::timeline::build(events, &findings, &accounts, inputs);
    Analysis {
        ingested,
        tenant_name,
        tenant,
        findings,
        accounts,
        timeline,
        geoip: options.geoip.as_ref().map(|g| g.info()).unwrap_or_default(),
    }
}
