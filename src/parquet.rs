//! `--parquet DIR`: normalized events and findings as Parquet, hive-partitioned by tenant
//! (`DIR/tenant=<id>/events.parquet`, `DIR/tenant=<id>/findings.parquet`), for cross-tenant
//! questions in DuckDB, polars or Spark (design.md sections 6 and 7; columns in `docs/parquet.md`).
//!
//! Columns and types are a contract: add columns freely, never rename, retype or remove one
//! without bumping the schema name written into each file's key-value metadata
//! (`uala.schema` = `uala.events/1`, `uala.findings/1`).

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use polars::prelude::*;

use crate::analysis::Analysis;
use crate::event::Event;
use crate::finding::Finding;
use crate::ingest::InputSummary;

/// Schema names written into each file's key-value metadata.
pub const EVENTS_SCHEMA: &str = "uala.events/1";
pub const FINDINGS_SCHEMA: &str = "uala.findings/1";

/// Events per row group (and per in-memory batch): bounds the memory of the export whatever
/// the size of the tenant.
const ROWS_PER_GROUP: usize = 128 * 1024;

/// The partition folder of one tenant: `DIR/tenant=<id>`.
pub fn partition_dir(dir: &Path, tenant: &str) -> PathBuf {
    dir.join(format!("tenant={}", partition_value(tenant)))
}

/// The files written for one tenant, in the order they are written.
pub fn partition_files(dir: &Path, tenant: &str) -> [PathBuf; 2] {
    let part = partition_dir(dir, tenant);
    [part.join("events.parquet"), part.join("findings.parquet")]
}

/// A tenant id as a partition value: characters that readers would have to URL-decode (or that
/// are not portable in file names) become `_`.
pub fn partition_value(tenant: &str) -> String {
    let v: String = tenant
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if v.is_empty() || v.chars().all(|c| c == '.') {
        "_".to_string()
    } else {
        v
    }
}

/// Refuses a Parquet folder inside the evidence (evidence is read-only) and, without `force`,
/// existing files of this tenant's partition.
pub fn check_output(
    dir: &Path,
    tenant: &str,
    inputs: &[PathBuf],
    force: bool,
) -> anyhow::Result<()> {
    check_dir_outside(dir, inputs)?;
    if !force {
        for file in partition_files(dir, tenant) {
            if file.exists() {
                anyhow::bail!(crate::error::Error::Output {
                    path: file,
                    reason: "it exists (use --force to overwrite)".into(),
                });
            }
        }
    }
    Ok(())
}

/// Refuses an output folder (existing or not yet) that is, or is inside, one of `inputs`.
pub fn check_dir_outside(dir: &Path, inputs: &[PathBuf]) -> anyhow::Result<()> {
    let target = absolute(dir)?;
    for input in inputs {
        if let Ok(input) = input.canonicalize() {
            if target.starts_with(&input) {
                anyhow::bail!(crate::error::Error::Output {
                    path: dir.to_path_buf(),
                    reason: format!(
                        "it is inside the evidence at {} (evidence is read-only)",
                        input.display()
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The canonical form of a path that may not exist yet: its deepest existing ancestor
/// canonicalized, then the remaining components.
pub fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut out = canonical;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return Ok(path),
        }
    }
}

/// Row counts of one tenant's export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub events: usize,
    pub findings: usize,
}

/// Writes the events and findings of one analysed tenant under `DIR/tenant=<id>/`.
pub fn write_tenant(dir: &Path, tenant: &str, analysis: &Analysis) -> anyhow::Result<Written> {
    let part = partition_dir(dir, tenant);
    std::fs::create_dir_all(&part)
        .with_context(|| format!("cannot create the Parquet folder {}", part.display()))?;
    let [events_path, findings_path] = partition_files(dir, tenant);
    let inputs = &analysis.ingested.inputs;
    let events = &analysis.ingested.events;
    write_file(&events_path, EVENTS_SCHEMA, events.len(), |range| {
        events_frame(tenant, &events[range], inputs)
    })?;
    let findings = &analysis.findings;
    write_file(&findings_path, FINDINGS_SCHEMA, findings.len(), |range| {
        findings_frame(tenant, &findings[range])
    })?;
    Ok(Written {
        events: events.len(),
        findings: findings.len(),
    })
}

/// `analyze --parquet DIR`: the tenant is `--tenant` or the one inferred from the evidence
/// (`unknown` when there is none).
pub fn write_analysis(
    dir: &Path,
    analysis: &Analysis,
    inputs: &[PathBuf],
    force: bool,
) -> anyhow::Result<Written> {
    let tenant = analysis.tenant_name.as_deref().unwrap_or("unknown");
    check_output(dir, tenant, inputs, force)?;
    write_tenant(dir, tenant, analysis)
}

/// Writes `rows` rows, built `ROWS_PER_GROUP` at a time by `frame`, to `path` (through a
/// temporary file renamed into place, so that readers never see half a file).
fn write_file(
    path: &Path,
    schema_name: &str,
    rows: usize,
    frame: impl Fn(std::ops::Range<usize>) -> PolarsResult<DataFrame>,
) -> anyhow::Result<()> {
    let tmp = path.with_extension("parquet.partial");
    let result = (|| -> anyhow::Result<()> {
        let file = File::create(&tmp)?;
        let first = frame(0..rows.min(ROWS_PER_GROUP))?;
        let mut writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .set_parallel(false)
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![
                ("uala.schema".to_string(), schema_name.to_string()),
                (
                    "uala.version".to_string(),
                    env!("CARGO_PKG_VERSION").to_string(),
                ),
            ])))
            .batched(first.schema())?;
        writer.write_batch(&first)?;
        let mut start = ROWS_PER_GROUP;
        while start < rows {
            let end = (start + ROWS_PER_GROUP).min(rows);
            writer.write_batch(&frame(start..end)?)?;
            start = end;
        }
        writer.finish()?;
        Ok(())
    })();
    match result {
        Ok(()) => std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot write the Parquet file {}", path.display())),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.context(format!("cannot write the Parquet file {}", path.display())))
        }
    }
}

fn micros(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_micros())
}

fn datetime_column(name: &str, values: Vec<Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), values.into_iter())
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column()
}

fn string_list_column<'a>(name: &str, rows: impl ExactSizeIterator<Item = Vec<&'a str>>) -> Column {
    let mut builder = ListStringChunkedBuilder::new(name.into(), rows.len(), rows.len() * 2);
    for values in rows {
        builder.append_values_iter(values.into_iter());
    }
    builder.finish().into_column()
}

/// A nullable string column of `f` over `rows`.
fn strings<'a, T>(name: &str, rows: &'a [T], f: &dyn Fn(&'a T) -> Option<&'a str>) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(f).collect::<Vec<Option<&str>>>(),
    )
}

/// The events table (`docs/parquet.md`).
pub fn events_frame<'a>(
    tenant: &str,
    events: &'a [Event],
    inputs: &'a [InputSummary],
) -> PolarsResult<DataFrame> {
    let str_col = |name: &str, f: &dyn Fn(&'a Event) -> Option<&'a str>| strings(name, events, f);
    let ips: Vec<Option<String>> = events
        .iter()
        .map(|e| e.ip.map(|ip| ip.to_string()))
        .collect();
    let columns = vec![
        datetime_column("time", events.iter().map(|e| micros(e.time)).collect()),
        Column::new("tenant".into(), vec![tenant; events.len()]),
        Column::new(
            "source".into(),
            events.iter().map(|e| e.source.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "operation".into(),
            events.iter().map(|e| &*e.operation).collect::<Vec<_>>(),
        ),
        str_col("user", &|e| e.user.as_deref()),
        str_col("actor", &|e| e.actor.as_deref()),
        Column::new("ip".into(), ips),
        str_col("country", &|e| {
            e.location.as_ref().and_then(|l| l.country.as_deref())
        }),
        str_col("city", &|e| {
            e.location.as_ref().and_then(|l| l.city.as_deref())
        }),
        str_col("user_agent", &|e| e.client.user_agent.as_deref()),
        str_col("client_app", &|e| e.client.app.as_deref()),
        str_col("client_info", &|e| e.client.client_info.as_deref()),
        str_col("session", &|e| e.client.session.as_deref()),
        Column::new(
            "success".into(),
            events.iter().map(|e| e.outcome.success).collect::<Vec<_>>(),
        ),
        str_col("code", &|e| e.outcome.code.as_deref()),
        str_col("object", &|e| e.object.as_deref()),
        str_col("record_id", &|e| e.record_id.as_deref()),
        str_col("input", &|e| {
            inputs.get(e.prov.input as usize).map(|i| i.path.as_str())
        }),
        Column::new(
            "line".into(),
            events
                .iter()
                .map(|e| e.prov.line as i64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "record".into(),
            events
                .iter()
                .map(|e| e.prov.record as i64)
                .collect::<Vec<_>>(),
        ),
    ];
    DataFrame::new(events.len(), columns)
}

/// The findings table (`docs/parquet.md`).
pub fn findings_frame<'a>(tenant: &str, findings: &'a [Finding]) -> PolarsResult<DataFrame> {
    let str_col =
        |name: &str, f: &dyn Fn(&'a Finding) -> Option<&'a str>| strings(name, findings, f);
    let ips: Vec<Vec<String>> = findings
        .iter()
        .map(|f| f.indicators.ips.iter().map(|ip| ip.to_string()).collect())
        .collect();
    let fields: Vec<String> = findings
        .iter()
        .map(|f| serde_json::to_string(&f.fields).unwrap_or_else(|_| "{}".into()))
        .collect();
    let columns = vec![
        str_col("id", &|f| Some(&f.id)),
        Column::new("tenant".into(), vec![tenant; findings.len()]),
        str_col("rule", &|f| Some(&f.rule)),
        str_col("severity", &|f| Some(f.severity.as_str())),
        str_col("title", &|f| Some(&f.title)),
        str_col("user", &|f| f.user.as_deref()),
        str_col("actor", &|f| f.actor.as_deref()),
        datetime_column("time", findings.iter().map(|f| micros(f.time)).collect()),
        str_col("summary", &|f| Some(&f.summary)),
        string_list_column(
            "attack",
            findings
                .iter()
                .map(|f| f.attack.iter().map(String::as_str).collect()),
        ),
        string_list_column(
            "ips",
            ips.iter().map(|v| v.iter().map(String::as_str).collect()),
        ),
        str_col("input", &|f| f.evidence.first().map(|e| e.input.as_str())),
        Column::new(
            "line".into(),
            findings
                .iter()
                .map(|f| f.evidence.first().map(|e| e.line as i64))
                .collect::<Vec<_>>(),
        ),
        str_col("record", &|f| {
            f.evidence.first().and_then(|e| e.record.as_deref())
        }),
        Column::new("fields".into(), fields),
    ];
    DataFrame::new(findings.len(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_are_portable() {
        assert_eq!(
            partition_value("contoso.onmicrosoft.com"),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(partition_value("a b/c=d"), "a_b_c_d");
        assert_eq!(partition_value(".."), "_");
        assert_eq!(partition_value(""), "_");
    }

    #[test]
    fn empty_tables_keep_their_types() {
        let events = events_frame("t", &[], &[]).unwrap();
        assert_eq!(events.height(), 0);
        assert_eq!(
            events.column("time").unwrap().dtype(),
            &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        );
        let findings = findings_frame("t", &[]).unwrap();
        assert_eq!(
            findings.column("attack").unwrap().dtype(),
            &DataType::List(Box::new(DataType::String))
        );
    }
}
