//! Where sign-ins happened: locations spread from sign-in records to every event of the same
//! address, distances, and the country centres used when a record has no coordinates.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::event::{Event, Location, SourceKind};

fn country_centroids() -> &'static HashMap<String, (f64, f64)> {
    static TABLE: std::sync::OnceLock<HashMap<String, (f64, f64)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../../data/country_centroids.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut parts = l.split('\t');
                let code = parts.next()?.trim().to_string();
                let lat = parts.next()?.trim().parse().ok()?;
                let lon = parts.next()?.trim().parse().ok()?;
                Some((code, (lat, lon)))
            })
            .collect()
    })
}

/// Copies the location of sign-ins to every event from the same address that has none (the UAL
/// carries no geolocation).
pub fn spread_locations(events: &mut [Event]) {
    let mut by_ip: BTreeMap<IpAddr, Location> = BTreeMap::new();
    for e in events.iter().filter(|e| e.source == SourceKind::Signin) {
        if let (Some(ip), Some(loc)) = (e.ip, e.location.as_deref()) {
            let entry = by_ip.entry(ip).or_insert_with(|| loc.clone());
            if entry.lat.is_none() && loc.lat.is_some() {
                *entry = loc.clone();
            }
        }
    }
    for e in events.iter_mut().filter(|e| e.location.is_none()) {
        if let Some(loc) = e.ip.and_then(|ip| by_ip.get(&ip)) {
            e.location = Some(Box::new(loc.clone()));
        }
    }
}

pub(super) fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// A point and how uncertain it is (km): the source's coordinates, else the country's centre.
pub(super) fn point(loc: &Location) -> Option<((f64, f64), f64)> {
    match (loc.lat, loc.lon) {
        (Some(lat), Some(lon)) if !(lat == 0.0 && lon == 0.0) => Some(((lat, lon), 50.0)),
        _ => loc
            .country
            .as_deref()
            .and_then(|c| country_centroids().get(c))
            .map(|p| (*p, 1500.0)),
    }
}

pub(super) fn place(loc: &Location) -> String {
    match (loc.city.as_deref(), loc.country.as_deref()) {
        (Some(city), Some(country)) => format!("{city}, {country}"),
        (None, Some(country)) => country.to_string(),
        (Some(city), None) => city.to_string(),
        (None, None) => "unknown".into(),
    }
}
