//! Optional offline geolocation from user-supplied MaxMind or DB-IP `.mmdb` files (`--geoip`):
//! country, city and coordinates from a City database, the autonomous system from an ASN
//! database. Locations the sign-in records carry themselves always win; the databases only fill
//! what is missing. Which databases were used (type, build date, SHA-256) goes in the report.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Event, Location};
use crate::ingest::discover::sha256_hex;

/// A database that cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum GeoIpError {
    #[error("cannot read GeoIP database {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a MaxMind DB file: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// What the report says about each database used.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseInfo {
    pub path: String,
    pub database_type: String,
    pub build_date: Option<DateTime<Utc>>,
    pub sha256: String,
}

struct Database {
    info: DatabaseInfo,
    reader: maxminddb::Reader<Vec<u8>>,
}

/// The databases given on the command line.
pub struct GeoIp {
    databases: Vec<Database>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.databases.iter().map(|d| &d.info))
            .finish()
    }
}

#[derive(Deserialize, Default)]
struct CityRecord<'a> {
    #[serde(borrow, default)]
    country: Option<Country<'a>>,
    #[serde(borrow, default)]
    city: Option<City<'a>>,
    #[serde(default)]
    location: Option<Coordinates>,
    #[serde(default)]
    autonomous_system_number: Option<u32>,
}

#[derive(Deserialize)]
struct Country<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct City<'a> {
    #[serde(borrow, default)]
    names: Option<std::collections::BTreeMap<&'a str, &'a str>>,
}

#[derive(Deserialize)]
struct Coordinates {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl GeoIp {
    pub fn open(paths: &[PathBuf]) -> Result<GeoIp, GeoIpError> {
        let mut databases = Vec::new();
        for path in paths {
            let bytes = std::fs::read(path).map_err(|source| GeoIpError::Io {
                path: path.clone(),
                source,
            })?;
            let sha256 = sha256_hex(&bytes);
            let reader =
                maxminddb::Reader::from_source(bytes).map_err(|e| GeoIpError::Invalid {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            let info = DatabaseInfo {
                path: display(path),
                database_type: reader.metadata().database_type.clone(),
                build_date: DateTime::from_timestamp(reader.metadata().build_epoch as i64, 0),
                sha256,
            };
            databases.push(Database { info, reader });
        }
        Ok(GeoIp { databases })
    }

    pub fn info(&self) -> Vec<DatabaseInfo> {
        self.databases.iter().map(|d| d.info.clone()).collect()
    }

    /// What the databases know about one address (`None` when nothing).
    pub fn locate(&self, ip: IpAddr) -> Option<Location> {
        let mut loc = Location::default();
        for db in &self.databases {
            // An IPv6 address in an IPv4-only database is simply not there.
            let Ok(result) = db.reader.lookup(ip) else {
                continue;
            };
            let Ok(Some(record)) = result.decode::<CityRecord<'_>>() else {
                continue;
            };
            if loc.country.is_none() {
                loc.country = record
                    .country
                    .and_then(|c| c.iso_code)
                    .map(|c| c.to_ascii_uppercase().into());
            }
            if loc.city.is_none() {
                loc.city = record
                    .city
                    .and_then(|c| c.names)
                    .and_then(|n| n.get("en").copied())
                    .map(Into::into);
            }
            if let Some(c) = record.location {
                if loc.lat.is_none() && loc.lon.is_none() {
                    loc.lat = c.latitude;
                    loc.lon = c.longitude;
                }
            }
            if loc.asn.is_none() {
                loc.asn = record.autonomous_system_number;
            }
        }
        (!loc.is_empty()).then_some(loc)
    }

    /// Fills missing location parts of every event from the databases (one look-up per address).
    pub fn enrich(&self, events: &mut [Event]) {
        let mut cache: HashMap<IpAddr, Option<Location>> = HashMap::new();
        for e in events.iter_mut() {
            let Some(ip) = e.ip else { continue };
            let found = cache.entry(ip).or_insert_with(|| self.locate(ip));
            let Some(found) = found else { continue };
            let loc = e.location.get_or_insert_with(Default::default);
            if loc.country.is_none() {
                loc.country = found.country.clone();
                // A city from the database only goes with its own country.
                if loc.city.is_none() {
                    loc.city = found.city.clone();
                }
                if loc.lat.is_none() {
                    loc.lat = found.lat;
                    loc.lon = found.lon;
                }
            }
            if loc.asn.is_none() {
                loc.asn = found.asn;
            }
        }
    }
}

fn display(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
