//! Output files, written as records come (bounded memory): the UAL Purview CSV, the Graph
//! sign-in and directory-audit JSON arrays, and the message-trace CSV. Records are routed
//! through the `Emit` trait so that planned (rare) events and streamed (bulk) events share
//! one set of record writers.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::fmt::{csv_min, dq, w_guid, w_iso};

/// Which file a record goes to.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Dest {
    Ual,
    SignInInteractive,
    SignInNonInteractive,
    EntraAudit,
    Trace,
}

pub trait Emit {
    /// `text` is one record: a complete CSV line for `Ual`/`Trace`, one JSON object otherwise.
    fn emit(&mut self, t: i64, dest: Dest, text: &str);
}

/// A planned record kept until the stream reaches its time.
pub struct Rec {
    pub t: i64,
    pub seq: u64,
    pub dest: Dest,
    pub text: String,
}

/// Collects planned records (attacks, admin work, rule changes, ...).
#[derive(Default)]
pub struct Plan {
    pub recs: Vec<Rec>,
    seq: u64,
}

impl Emit for Plan {
    fn emit(&mut self, t: i64, dest: Dest, text: &str) {
        self.seq += 1;
        self.recs.push(Rec {
            t,
            seq: self.seq,
            dest,
            text: text.to_string(),
        });
    }
}

impl Plan {
    /// Sorts by time; returns the records.
    pub fn into_sorted(mut self) -> Vec<Rec> {
        self.recs.sort_by_key(|r| (r.t, r.seq));
        self.recs
    }
}

/// A file with byte and record counters.
pub struct Out {
    pub path: PathBuf,
    w: Option<BufWriter<File>>,
    pub bytes: u64,
    pub records: u64,
    first: bool,
    json_array: bool,
}

impl Out {
    fn create(
        dir: &Path,
        rel: &str,
        header: &str,
        json_array: bool,
        enabled: bool,
    ) -> io::Result<Out> {
        let path = dir.join(rel);
        let w = if enabled {
            if let Some(p) = path.parent() {
                fs::create_dir_all(p)?;
            }
            Some(BufWriter::with_capacity(1 << 20, File::create(&path)?))
        } else {
            None
        };
        let mut o = Out {
            path,
            w,
            bytes: 0,
            records: 0,
            first: true,
            json_array,
        };
        o.put(header.as_bytes())?;
        Ok(o)
    }

    fn put(&mut self, s: &[u8]) -> io::Result<()> {
        self.bytes += s.len() as u64;
        match &mut self.w {
            Some(w) => w.write_all(s),
            None => Ok(()),
        }
    }

    fn record(&mut self, s: &str) -> io::Result<()> {
        if self.json_array {
            let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
            self.put(sep)?;
        }
        self.first = false;
        self.records += 1;
        self.put(s.as_bytes())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.json_array {
            let end: &[u8] = if self.first { b"]\n" } else { b"\n]\n" };
            self.put(end)?;
        }
        if let Some(w) = &mut self.w {
            w.flush()?;
        }
        Ok(())
    }
}

pub const UAL_HEADER: &str = "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\n";
pub const TRACE_HEADER: &str = "\u{feff}\"Organization\",\"MessageId\",\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\",\"Status\",\"ToIP\",\"FromIP\",\"Size\",\"MessageTraceId\",\"StartDate\",\"EndDate\",\"Index\"\r\n";

/// The streamed files of one tenant.
pub struct Sinks {
    pub ual: Out,
    pub si_int: Out,
    pub si_non: Out,
    pub entra: Out,
    pub trace: Out,
}

impl Sinks {
    /// `write = false` counts bytes without touching the disk (size calibration).
    pub fn create(dir: &Path, write: bool, ual_only: bool) -> io::Result<Sinks> {
        let other = write && !ual_only;
        Ok(Sinks {
            ual: Out::create(dir, "ual/audit.csv", UAL_HEADER, false, write)?,
            si_int: Out::create(dir, "signins/interactive.json", "[", true, other)?,
            si_non: Out::create(dir, "signins/noninteractive.json", "[", true, other)?,
            entra: Out::create(dir, "entra/audit.json", "[", true, other)?,
            trace: Out::create(dir, "messagetrace/trace.csv", TRACE_HEADER, false, other)?,
        })
    }

    pub fn total_bytes(&self) -> u64 {
        self.ual.bytes + self.si_int.bytes + self.si_non.bytes + self.entra.bytes + self.trace.bytes
    }

    pub fn finish(&mut self) -> io::Result<()> {
        for o in [
            &mut self.ual,
            &mut self.si_int,
            &mut self.si_non,
            &mut self.entra,
            &mut self.trace,
        ] {
            o.finish()?;
        }
        Ok(())
    }

    pub fn all(&self) -> [&Out; 5] {
        [
            &self.ual,
            &self.si_int,
            &self.si_non,
            &self.entra,
            &self.trace,
        ]
    }

    fn out(&mut self, d: Dest) -> &mut Out {
        match d {
            Dest::Ual => &mut self.ual,
            Dest::SignInInteractive => &mut self.si_int,
            Dest::SignInNonInteractive => &mut self.si_non,
            Dest::EntraAudit => &mut self.entra,
            Dest::Trace => &mut self.trace,
        }
    }
}

/// The first write error is kept and reported at the end (the stream itself cannot fail).
pub struct Stream {
    pub sinks: Sinks,
    pub err: Option<io::Error>,
}

impl Emit for Stream {
    fn emit(&mut self, _t: i64, dest: Dest, text: &str) {
        if self.err.is_some() {
            return;
        }
        if let Err(e) = self.sinks.out(dest).record(text) {
            self.err = Some(e);
        }
    }
}

/// Frames one UAL record as a Purview CSV row (8 columns, CRLF).
#[allow(clippy::too_many_arguments)]
pub fn ual_row(b: &mut String, id: u128, t: i64, rt: u8, op: &str, user: &str, audit_data: &str) {
    b.clear();
    w_guid(b, id);
    b.push_str(",\"");
    w_iso(b, t);
    b.push_str(".0000000Z \",");
    b.push_str(&rt.to_string());
    b.push(',');
    csv_min(b, op);
    b.push(',');
    csv_min(b, user);
    b.push_str(",\"");
    dq(b, audit_data);
    b.push_str("\",,\r\n");
}

/// Writes a small CSV file at once (inbox rules, mailboxes).
pub fn write_small(dir: &Path, rel: &str, text: &str) -> io::Result<(u64, PathBuf)> {
    let path = dir.join(rel);
    if let Some(p) = path.parent() {
        fs::create_dir_all(p)?;
    }
    fs::write(&path, text)?;
    Ok((text.len() as u64, path))
}
