//! Finding the evidence: walking folders, reading files (memory-mapped when large), and opening
//! `.gz` and `.zip` archives in memory with a cap on the decompressed size. Archives are
//! recognised by their magic bytes, not their names. Nothing is ever written.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Bytes of one input: a read-only memory map of an evidence file, or a buffer (small files and
/// archive members).
pub enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// A file found under a PATH argument, not read yet.
#[derive(Debug, Clone)]
pub struct FoundFile {
    pub fs_path: PathBuf,
    /// Report path: relative to the PATH argument, prefixed with that argument's final name.
    pub display: String,
}

/// One input ready to parse: a plain file or one member of an archive.
pub struct Input {
    pub display: String,
    pub bytes: Bytes,
    /// Known for archive members (hashed while expanding); for a plain file `None`, and hashed
    /// while it is parsed.
    pub sha256: Option<String>,
    /// The archive this input came out of, with the archive's own SHA-256.
    pub container: Option<(String, String)>,
}

/// Why an input could not be read at all.
pub struct Unreadable {
    pub display: String,
    pub sha256: Option<String>,
    pub bytes: u64,
    pub reason: String,
}

/// Walks every PATH argument. Files are listed in a stable order (path order within each
/// argument, arguments in the order given). Symbolic links are not followed, so a link cannot
/// lead the walk outside the evidence.
pub fn find_files(paths: &[PathBuf]) -> Result<Vec<FoundFile>> {
    let mut found = Vec::new();
    for root in paths {
        let meta = std::fs::symlink_metadata(root).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound { path: root.clone() },
            _ => Error::Io {
                path: root.clone(),
                source: e,
            },
        })?;
        let root_name = root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| root.to_string_lossy().into_owned());
        if meta.is_file() {
            found.push(FoundFile {
                fs_path: root.clone(),
                display: root_name,
            });
            continue;
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| Error::Io {
                path: e.path().map_or_else(|| root.clone(), Path::to_path_buf),
                source: e.into(),
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let mut display = root_name.clone();
            for part in relative.components() {
                display.push('/');
                display.push_str(&part.as_os_str().to_string_lossy());
            }
            found.push(FoundFile {
                fs_path: entry.path().to_path_buf(),
                display,
            });
        }
    }
    Ok(found)
}

/// Below this size a file is read into memory rather than mapped.
const MAP_THRESHOLD: u64 = 256 * 1024;

/// Reads a found file, and expands it if it is an archive. Each archive member is an input of
/// its own; an unreadable member or file is reported, not fatal.
pub fn open(
    file: &FoundFile,
    max_decompressed: u64,
) -> Vec<std::result::Result<Input, Unreadable>> {
    let bytes = match read_file(&file.fs_path) {
        Ok(b) => b,
        Err(e) => {
            return vec![Err(Unreadable {
                display: file.display.clone(),
                sha256: None,
                bytes: 0,
                reason: format!("cannot read: {e}"),
            })];
        }
    };
    expand(file, bytes, max_decompressed)
}

/// Expands an archive held in memory into its members (a plain file is its own single input).
pub fn expand(
    file: &FoundFile,
    bytes: Bytes,
    max_decompressed: u64,
) -> Vec<std::result::Result<Input, Unreadable>> {
    if bytes.starts_with(b"\x1f\x8b") {
        let sha256 = sha256_hex(&bytes);
        let mut decoder = flate2::read::MultiGzDecoder::new(&bytes[..]);
        return vec![
            read_capped(&mut decoder, max_decompressed)
                .map(|content| Input {
                    display: file.display.clone(),
                    sha256: Some(sha256_hex(&content)),
                    bytes: Bytes::Owned(content),
                    container: Some((file.display.clone(), sha256.clone())),
                })
                .map_err(|reason| Unreadable {
                    display: file.display.clone(),
                    sha256: Some(sha256.clone()),
                    bytes: bytes.len() as u64,
                    reason,
                }),
        ];
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return open_zip(file, &bytes, &sha256_hex(&bytes), max_decompressed);
    }
    vec![Ok(Input {
        display: file.display.clone(),
        bytes,
        sha256: None,
        container: None,
    })]
}

fn open_zip(
    file: &FoundFile,
    bytes: &[u8],
    sha256: &str,
    max_decompressed: u64,
) -> Vec<std::result::Result<Input, Unreadable>> {
    let unreadable = |display: String, reason: String| Unreadable {
        display,
        sha256: Some(sha256.to_string()),
        bytes: bytes.len() as u64,
        reason,
    };
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            return vec![Err(unreadable(
                file.display.clone(),
                format!("unreadable zip: {e}"),
            ))];
        }
    };
    let mut names: Vec<(usize, String)> = (0..archive.len())
        .filter_map(|i| {
            let entry = archive.by_index_raw(i).ok()?;
            (!entry.is_dir()).then(|| (i, String::from_utf8_lossy(entry.name_raw()).into_owned()))
        })
        .collect();
    names.sort_by(|a, b| a.1.cmp(&b.1));
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for (index, name) in names {
        let display = format!("{}/{}", file.display, name.trim_start_matches('/'));
        let result = archive
            .by_index(index)
            .map_err(|e| format!("unreadable zip member: {e}"))
            .and_then(|mut member| {
                read_capped(&mut member, max_decompressed.saturating_sub(total))
            });
        match result {
            Ok(content) => {
                total += content.len() as u64;
                out.push(Ok(Input {
                    display,
                    sha256: Some(sha256_hex(&content)),
                    bytes: Bytes::Owned(content),
                    container: Some((file.display.clone(), sha256.to_string())),
                }));
            }
            Err(reason) => out.push(Err(unreadable(display, reason))),
        }
    }
    out
}

/// Reads at most `cap` bytes; one byte more means the content is larger than allowed, which is
/// an error rather than a silent truncation (a zip bomb, or a cap to raise).
fn read_capped(reader: &mut impl Read, cap: u64) -> std::result::Result<Vec<u8>, String> {
    let mut content = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut content)
        .map_err(|e| format!("cannot decompress: {e}"))?;
    if content.len() as u64 > cap {
        return Err(format!(
            "decompressed content exceeds the cap of {cap} bytes (--max-decompressed); not read"
        ));
    }
    Ok(content)
}

fn read_file(path: &Path) -> std::io::Result<Bytes> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len < MAP_THRESHOLD {
        let mut buf = Vec::with_capacity(len as usize);
        (&file).read_to_end(&mut buf)?;
        return Ok(Bytes::Owned(buf));
    }
    // SAFETY: the map is read-only and evidence files are not modified while uala runs; if
    // another process truncated one anyway, reads past the new end would fault, which is the
    // documented risk of memory-mapping and is accepted for read-only evidence.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(Bytes::Mapped(map))
}

/// The SHA-256 of an input. A memory-mapped file is hashed a slice at a time, and each slice's
/// pages are given back once hashed: the hash runs far ahead of the parse, and would otherwise
/// keep the whole file resident (the parse faults its pages back in from the page cache and
/// gives them back behind itself).
pub fn sha256_of(bytes: &Bytes) -> String {
    let Bytes::Mapped(map) = bytes else {
        return sha256_hex(bytes);
    };
    const SLICE: usize = 8 << 20;
    let mut hasher = Sha256::new();
    let mut at = 0;
    while at < map.len() {
        let end = (at + SLICE).min(map.len());
        hasher.update(&map[at..end]);
        give_back(map, at..end);
        at = end;
    }
    hex(&hasher.finalize())
}

/// `madvise(MADV_DONTNEED)` on a range of a read-only private file map: the pages leave the
/// process's memory and are read again from the page cache if touched.
pub(crate) fn give_back(map: &memmap2::Mmap, range: std::ops::Range<usize>) {
    // SAFETY: the map is read-only and private, so no change can be lost, and no slice of it
    // is invalidated: a page given back reads the same bytes from the file when next touched.
    let _ = unsafe {
        map.unchecked_advise_range(
            memmap2::UncheckedAdvice::DontNeed,
            range.start,
            range.end - range.start,
        )
    };
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write;
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_mapped_file_hashes_slice_by_slice_to_the_same_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let data: Vec<u8> = (0..(9u32 << 20) + 123).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let bytes = read_file(&path).unwrap();
        assert!(matches!(bytes, Bytes::Mapped(_)));
        assert_eq!(sha256_of(&bytes), sha256_hex(&data));
        // The pages given back read the same afterwards.
        assert_eq!(&bytes[..], &data[..]);
        assert_eq!(sha256_of(&Bytes::Owned(data.clone())), sha256_hex(&data));
    }

    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_zip_members_with_caps() {
        let dir = tempfile::tempdir().unwrap();
        let gz_path = dir.path().join("a.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"A,B\n1,2\n").unwrap();
        std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();

        let zip_path = dir.path().join("export.zip");
        let mut zw = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        zw.start_file("ual/b.json", opts).unwrap();
        zw.write_all(b"[]").unwrap();
        zw.start_file("big.txt", opts).unwrap();
        zw.write_all(&vec![b'a'; 10_000]).unwrap();
        zw.finish().unwrap();

        let files = find_files(&[dir.path().to_path_buf()]).unwrap();
        let root = dir
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert_eq!(
            files.iter().map(|f| f.display.clone()).collect::<Vec<_>>(),
            vec![format!("{root}/a.csv.gz"), format!("{root}/export.zip")]
        );
        let gz_inputs = open(&files[0], 1 << 20);
        let gz_input = gz_inputs[0].as_ref().ok().unwrap();
        assert_eq!(&gz_input.bytes[..], b"A,B\n1,2\n");
        assert!(gz_input.container.is_some());

        let members = open(&files[1], 5_000);
        assert_eq!(members.len(), 2);
        let big = members[0].as_ref().err().unwrap();
        assert!(big.display.ends_with("export.zip/big.txt"));
        assert!(big.reason.contains("exceeds the cap"));
        assert!(
            members[1]
                .as_ref()
                .ok()
                .unwrap()
                .display
                .ends_with("export.zip/ual/b.json")
        );
    }
}
