//! Field helpers that see every record: timestamps (both day/month orders), client addresses,
//! list splitting, recipient strings, PowerShell parameter strings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uala::ingest::time::{DateOrder, parse_timestamp};
use uala::ingest::{fields, ip};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let s: &str = &text;
    let _ = parse_timestamp(s, DateOrder::Mdy);
    let _ = parse_timestamp(s, DateOrder::Dmy);
    let addr = ip::parse_client_addr(s);
    assert!(!(addr.ip.is_some() && addr.host.is_some()));
    let _ = fields::split_list(s);
    let _ = fields::recipient_addresses(s);
    let _ = fields::powershell_parameters(s);
});
