//! `--html`: one self-contained HTML file for counsel (design.md section 6).
//!
//! Everything shown is computed into plain view structs ([`Page::build`], in `html/view.rs`) and
//! printed by the askama template `templates/report.html`, which escapes every value: the
//! template uses no `safe` filter, so no log-derived string (rule names, subjects, user agents,
//! file names) can reach the page as markup. The page carries a strict Content-Security-Policy,
//! loads nothing, runs no script, and draws its activity charts as inline SVG built from numbers.
//!
//! The parts: `view` (the page and its tables), `narrative` (the case summary in plain words),
//! `custody` (inputs and remarks), `timeline` and `chart` (events and the SVG activity chart),
//! `format` (how times, counts and values are worded).

mod chart;
mod custody;
mod format;
mod narrative;
mod timeline;
mod view;

use askama::Template;

use super::{Display, Report, Reporter};
pub use format::thousands;
pub use narrative::{Case, Sentence};
pub use view::{Plan, PlanStep};

/// Renders the report as one HTML page, times in `display.tz`.
pub struct HtmlReporter {
    pub display: Display,
}

impl Reporter for HtmlReporter {
    fn name(&self) -> &'static str {
        "html"
    }

    fn render(&self, report: &Report<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let page = Page::build(report, &self.display);
        let html = page
            .render()
            .map_err(|e| std::io::Error::other(format!("HTML template: {e}")))?;
        out.write_all(html.as_bytes())
    }
}

/// Everything the page prints. The case summary and the remediation checklist are public, so
/// that tests can check what the page says by meaning.
///
/// The template's `<meta http-equiv="Content-Security-Policy">` lets nothing load and no script
/// run; only the inline stylesheet and `data:` images are allowed.
#[derive(Template)]
#[template(path = "report.html", whitespace = "minimize")]
pub struct Page {
    title: String,
    tool: String,
    version: String,
    generated: String,
    generated_utc: String,
    tz: String,
    /// How many accounts were compromised, and how many more look suspicious.
    pub headline: String,
    overview: Vec<Sentence>,
    /// The story of each compromised account.
    pub cases: Vec<Case>,
    /// A sentence on each suspicious account, and one on the clean accounts with findings.
    pub others: Vec<Sentence>,
    severity_counts: Vec<(String, usize)>,
    scope: view::Scope,
    inputs: Vec<custody::InputRow>,
    diagnostics: Vec<custody::DiagRow>,
    diagnostics_summary: String,
    accounts: Vec<view::AccountRow>,
    findings: Vec<view::FindingRow>,
    timelines: Vec<timeline::AccountTimeline>,
    other_timeline: Vec<timeline::TimelineRow>,
    /// The remediation checklist of each account that has one.
    pub plans: Vec<Plan>,
    limitations: Vec<String>,
}
