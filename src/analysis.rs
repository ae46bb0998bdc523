//! The analysis stage: from ingested events to findings and per-account verdicts.
//!
//! identity resolution → tenant domains → data rules (parallel) → analyzers → catalogue
//! metadata → total order → verdicts, remediation, timeline.

use crate::analyzers::{self, Analyzer, Context};
use crate::finding::{self, Finding};
use crate::identity::{self, Directory};
use crate::infra::Infrastructure;
use crate::infra::known::Known;
use crate::ingest::Ingested;
use crate::rules::Catalogue;
use crate::tenant::Tenant;

/// Options of the analysis stage.
#[derive(Debug, Clone, Default)]
pub struct AnalysisOptions {
    /// Internal mail domains; inferred from the evidence when empty.
    pub internal_domains: Vec<String>,
    /// Tenant name for the report; inferred when `None`.
    pub tenant: Option<String>,
    pub analyzers: analyzers::Options,
    /// Thresholds of the shared-egress learning.
    pub infra: crate::infra::InfraOptions,
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
    /// The tenant's and Microsoft's addresses.
    pub infra: Infrastructure,
    pub findings: Vec<Finding>,
    pub accounts: Vec<Account>,
    pub timeline: Vec<crate::timeline::Entry>,
    /// The GeoIP databases used, if any.
    pub geoip: Vec<crate::geoip::DatabaseInfo>,
}

pub fn analyze(
    mut ingested: Ingested,
    catalogue: &Catalogue,
    options: &AnalysisOptions,
) -> Analysis {
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
    let infra = Infrastructure::learn(
        &ingested.events,
        &options.analyzers.signin.allow,
        &options.infra,
    );
    let known = Known::build(&ingested.events);
    let findings = findings(&ingested, catalogue, &tenant, &infra, &known, options);
    let events = &ingested.events;
    let mut accounts = crate::window::accounts(&findings, events, &infra, &known);
    crate::remediation::plan(&mut accounts, &findings, catalogue);
    let timeline = crate::timeline::build(events, &findings, &accounts, &ingested.inputs);
    Analysis {
        ingested,
        tenant_name,
        tenant,
        infra,
        findings,
        accounts,
        timeline,
        geoip: options.geoip.as_ref().map(|g| g.info()).unwrap_or_default(),
    }
}

/// Every finding of the data rules and the analyzers, described by the catalogue, in the
/// report's total order and numbered.
fn findings(
    ingested: &Ingested,
    catalogue: &Catalogue,
    tenant: &Tenant,
    infra: &Infrastructure,
    known: &Known,
    options: &AnalysisOptions,
) -> Vec<Finding> {
    let cx = Context {
        events: &ingested.events,
        inputs: &ingested.inputs,
        tenant,
        infra,
        known,
        options: &options.analyzers,
    };
    let mut findings = catalogue.evaluate(cx.events, tenant, cx.inputs);
    for analyzer in analyzers::all() {
        analyzer.annotate(&cx, &mut findings);
        let new = analyzer.run(&cx, &findings);
        debug_assert!(
            new.iter()
                .all(|f| analyzer.rules().contains(&f.rule.as_str())),
            "analyzer {} made a rule id it does not declare",
            analyzer.name()
        );
        findings.extend(new);
    }
    let unknown = catalogue.describe(&mut findings);
    debug_assert!(
        unknown.is_empty(),
        "rule ids not in the catalogue: {unknown:?}"
    );
    for f in &mut findings {
        if let Some(s) = options.severity_overrides.get(&f.rule) {
            f.severity = *s;
        }
    }
    finding::finalize(&mut findings);
    findings
}

/// Checks that the analyzers and the catalogue agree: every rule id an analyzer declares has an
/// entry naming that analyzer, and every analyzer entry names a declaring analyzer. Returns one
/// line per disagreement.
pub fn check_catalogue(catalogue: &Catalogue) -> Vec<String> {
    let mut problems = Vec::new();
    let analyzers: &[&dyn Analyzer] = analyzers::all();
    for a in analyzers {
        for id in a.rules() {
            match catalogue.get(id) {
                None => problems.push(format!(
                    "{}: analyzer {} makes it, but it has no catalogue entry",
                    id,
                    a.name()
                )),
                Some(r) if r.spec.analyzer.as_deref() != Some(a.name()) => problems.push(format!(
                    "{id}: made by analyzer {}, but its entry names {:?}",
                    a.name(),
                    r.spec.analyzer
                )),
                Some(_) => {}
            }
        }
    }
    for rule in &catalogue.rules {
        if let Some(name) = rule.spec.analyzer.as_deref() {
            let declared = analyzers
                .iter()
                .any(|a| a.name() == name && a.rules().contains(&rule.spec.id.as_str()));
            if !declared {
                problems.push(format!(
                    "{}: its entry names analyzer {name}, which does not make it",
                    rule.spec.id
                ));
            }
        }
    }
    problems
}

pub use selftest::self_test;

mod selftest;
