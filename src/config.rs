//! The optional configuration file (`--config uala.toml`): the tenant's domains and egress,
//! sign-in thresholds, and severity overrides. Command-line flags add to it.
//!
//! ```toml
//! internal_domains = ["contoso.com"]
//! allow_ip = ["198.51.100.0/24"]          # corporate egress, never anomalous
//! [signin]
//! spray_accounts = 5                      # distinct accounts one address fails against
//! spray_window_minutes = 30
//! brute_force_failures = 5
//! shared_ip_accounts = 5                  # colleagues before an address is office egress
//! min_baseline = 3                        # successful sign-ins before novelty counts
//! travel_kmh = 900
//! travel_min_km = 500
//! mfa_denials = 3
//! [severity]
//! "inbox_rule.keyword-filter" = "medium"  # force a rule's severity
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::analysis::AnalysisOptions;
use crate::analyzers::signin::SigninOptions;
use crate::finding::Severity;
use crate::infra::InfraOptions;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub internal_domains: Vec<String>,
    #[serde(default)]
    pub allow_ip: Vec<String>,
    pub tenant: Option<String>,
    #[serde(default)]
    pub signin: SigninConfig,
    #[serde(default)]
    pub infrastructure: InfraConfig,
    /// Rule id → severity, replacing what the rule decides.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigninConfig {
    pub spray_accounts: Option<usize>,
    pub spray_window_minutes: Option<i64>,
    pub brute_force_failures: Option<usize>,
    pub shared_ip_accounts: Option<usize>,
    pub min_baseline: Option<usize>,
    pub travel_kmh: Option<f64>,
    pub travel_min_km: Option<f64>,
    pub mfa_denials: Option<usize>,
}

/// Thresholds of the shared-egress learning (docs/rules.md, "Tenant infrastructure").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfraConfig {
    pub min_accounts: Option<usize>,
    pub min_share: Option<f64>,
    pub min_days: Option<usize>,
    pub network_min_addresses: Option<usize>,
    pub burst_quarantine_hours: Option<i64>,
    pub burst_accounts: Option<usize>,
    pub burst_failure_ratio: Option<f64>,
}

/// A configuration file that cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        for cidr in &config.allow_ip {
            parse_net(cidr).map_err(|message| ConfigError::Invalid {
                path: path.display().to_string(),
                message: format!("allow_ip {cidr:?}: {message}"),
            })?;
        }
        Ok(config)
    }

    /// The shared-egress thresholds, defaults where the file is silent. The sign-in section's
    /// older `shared_ip_accounts` sets the accounts threshold when this section does not.
    pub fn infra_options(&self) -> InfraOptions {
        let d = InfraOptions::default();
        let c = &self.infrastructure;
        InfraOptions {
            min_accounts: c
                .min_accounts
                .or(self.signin.shared_ip_accounts)
                .unwrap_or(d.min_accounts),
            min_share: c.min_share.unwrap_or(d.min_share),
            min_days: c.min_days.unwrap_or(d.min_days),
            network_min_addresses: c.network_min_addresses.unwrap_or(d.network_min_addresses),
            burst_quarantine: c
                .burst_quarantine_hours
                .map_or(d.burst_quarantine, chrono::Duration::hours),
            burst_accounts: c.burst_accounts.unwrap_or(d.burst_accounts),
            burst_failure_ratio: c.burst_failure_ratio.unwrap_or(d.burst_failure_ratio),
            ..d
        }
    }

    /// The sign-in thresholds, defaults where the file is silent.
    pub fn signin_options(&self) -> SigninOptions {
        let d = SigninOptions::default();
        let s = &self.signin;
        SigninOptions {
            spray_accounts: s.spray_accounts.unwrap_or(d.spray_accounts),
            spray_window: s
                .spray_window_minutes
                .map_or(d.spray_window, chrono::Duration::minutes),
            brute_force_failures: s.brute_force_failures.unwrap_or(d.brute_force_failures),
            min_baseline: s.min_baseline.unwrap_or(d.min_baseline),
            travel_kmh: s.travel_kmh.unwrap_or(d.travel_kmh),
            travel_min_km: s.travel_min_km.unwrap_or(d.travel_min_km),
            mfa_denials: s.mfa_denials.unwrap_or(d.mfa_denials),
            allow: self
                .allow_ip
                .iter()
                .filter_map(|c| parse_net(c).ok())
                .collect(),
            since: None,
        }
    }
}

/// What the analysis flags of `analyze` and `batch` ask for (`cli::AnalysisFlags` without clap):
/// nothing is loaded until [`AnalysisSettings::options`].
#[derive(Debug, Clone, Default)]
pub struct AnalysisSettings {
    /// Findings at or above it give exit code 1 (`batch`: that tenant fails).
    pub fail_on: Option<Severity>,
    /// Extra rules folder (same id replaces a built-in rule).
    pub rules: Option<PathBuf>,
    /// The configuration file.
    pub config: Option<PathBuf>,
    /// MaxMind or DB-IP databases.
    pub geoip: Vec<PathBuf>,
    /// Known corporate egress.
    pub allow_ip: Vec<ipnet::IpNet>,
    /// Start of the evaluated period; earlier events are baseline only.
    pub since: Option<DateTime<Utc>>,
}

impl AnalysisSettings {
    /// The configuration file (or the defaults) and the analysis options these settings and it
    /// give; the tenant name and internal domains are left to the caller.
    pub fn options(&self) -> anyhow::Result<(Config, AnalysisOptions)> {
        let config = match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        let mut signin = config.signin_options();
        signin.allow.extend(self.allow_ip.iter().copied());
        signin.since = self.since;
        let options = AnalysisOptions {
            analyzers: crate::analyzers::Options {
                signin,
                ..Default::default()
            },
            infra: config.infra_options(),
            severity_overrides: config.severity.clone(),
            geoip: if self.geoip.is_empty() {
                None
            } else {
                Some(std::sync::Arc::new(crate::geoip::GeoIp::open(&self.geoip)?))
            },
            ..Default::default()
        };
        Ok((config, options))
    }
}

/// A CIDR, or a single address.
pub fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    s.trim()
        .parse::<ipnet::IpNet>()
        .or_else(|_| s.trim().parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|e| format!("not a CIDR or address: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_file_and_rejects_mistakes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uala.toml");
        std::fs::write(
            &path,
            "internal_domains = [\"contoso.com\"]\nallow_ip = [\"198.51.100.0/24\", \"192.0.2.7\"]\n[signin]\nspray_accounts = 8\n[severity]\n\"inbox_rule.keyword-filter\" = \"medium\"\n",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        let options = config.signin_options();
        assert_eq!(options.spray_accounts, 8);
        assert_eq!(options.allow.len(), 2);
        assert_eq!(
            config.severity["inbox_rule.keyword-filter"],
            Severity::Medium
        );
        std::fs::write(&path, "allow_ip = [\"not-an-address\"]\n").unwrap();
        assert!(Config::load(&path).is_err());
        std::fs::write(&path, "unknown_key = 1\n").unwrap();
        assert!(Config::load(&path).is_err());
    }
}
