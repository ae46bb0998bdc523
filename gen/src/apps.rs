//! Client applications, resources and user agents that appear in sign-ins and mailbox
//! records (Microsoft first-party application ids are public, documented values).

pub struct App {
    pub id: &'static str,
    pub name: &'static str,
    pub res_id: &'static str,
    pub res_name: &'static str,
    pub client_app: &'static str,
    pub browser: bool,
}

const EXO: &str = "00000002-0000-0ff1-ce00-000000000000";
const EXO_NAME: &str = "Office 365 Exchange Online";
pub const GRAPH: &str = "00000003-0000-0000-c000-000000000000";
const MODERN: &str = "Mobile Apps and Desktop clients";

const fn app(
    id: &'static str,
    name: &'static str,
    res_id: &'static str,
    res_name: &'static str,
    client_app: &'static str,
    browser: bool,
) -> App {
    App {
        id,
        name,
        res_id,
        res_name,
        client_app,
        browser,
    }
}

pub static OFFICE: App = app(
    "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    "Microsoft Office",
    EXO,
    EXO_NAME,
    MODERN,
    false,
);
pub static OFFICE_HOME: App = app(
    "4765445b-32c6-49b0-83e6-1d93765276ca",
    "OfficeHome",
    GRAPH,
    "Microsoft Graph",
    "Browser",
    true,
);
pub static OWA: App = app(
    "9199bf20-a13f-4107-85dc-02114787ef48",
    "One Outlook Web",
    EXO,
    EXO_NAME,
    "Browser",
    true,
);
pub static TEAMS: App = app(
    "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
    "Microsoft Teams",
    "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
    "Microsoft Teams Services",
    MODERN,
    false,
);
pub static OUTLOOK_MOBILE: App = app(
    "27922004-5251-4030-b22d-91ecd9a37ea4",
    "Outlook Mobile",
    EXO,
    EXO_NAME,
    MODERN,
    false,
);
pub static ONEDRIVE: App = app(
    "ab9b8c07-8f02-4f72-87fa-80105867a763",
    "OneDrive SyncEngine",
    "00000003-0000-0ff1-ce00-000000000000",
    "Office 365 SharePoint Online",
    MODERN,
    false,
);
pub static BROKER: App = app(
    "29d9ed98-a469-4536-ade2-f981bc1d605e",
    "Microsoft Authentication Broker",
    "01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9",
    "Device Registration Service",
    MODERN,
    false,
);
pub static SMTP: App = app(EXO, EXO_NAME, EXO, EXO_NAME, "Authenticated SMTP", false);
pub static MY_SIGNINS: App = app(
    "19db86c3-b2b9-44cc-b339-36da233a3be2",
    "My Signins",
    GRAPH,
    "Microsoft Graph",
    "Browser",
    true,
);
pub static AZURE_PORTAL: App = app(
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
    "Azure Portal",
    "797f4846-ba00-4fd7-ba43-dac1f8f63013",
    "Windows Azure Service Management API",
    "Browser",
    true,
);
pub static EXCHANGE_ADMIN: App = app(
    "497effe9-df71-4043-a8bb-14cf78c4b63b",
    "Exchange Admin Center",
    EXO,
    EXO_NAME,
    "Browser",
    true,
);

/// Apps a desktop session signs in to, with weights.
pub static DESK_APPS: &[(&App, u32)] = &[
    (&OFFICE, 40),
    (&OFFICE_HOME, 15),
    (&OWA, 15),
    (&TEAMS, 20),
    (&ONEDRIVE, 10),
];

/// Web user agents; `{v}` is the Chromium major version.
pub fn desktop_ua(mac: bool, chrome: u32) -> String {
    if mac {
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15".to_string()
    } else {
        format!(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36 Edg/{chrome}.0.0.0"
        )
    }
}

pub fn native_ua(mac: bool) -> &'static str {
    if mac {
        "Microsoft Office/16.0 (Macintosh; Mac OS X 14.6; Microsoft Outlook 16.89)"
    } else {
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)"
    }
}

pub fn phone_ua(ios: bool) -> &'static str {
    if ios {
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
    } else {
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36"
    }
}

pub fn outlook_mobile_cis(ios: bool) -> &'static str {
    if ios {
        "Client=OutlookService;Outlook-iOS/2.0;"
    } else {
        "Client=OutlookService;Outlook-Android/2.0;"
    }
}

pub fn os_name(mac: bool) -> &'static str {
    if mac { "MacOs" } else { "Windows10" }
}

pub fn phone_os(ios: bool) -> &'static str {
    if ios { "Ios" } else { "Android" }
}

/// Attack-kit user agents.
pub const TOOL_UAS: &[&str] = &["axios/1.7.7", "python-requests/2.32.3", "axios/1.6.8"];
pub const LEGACY_UA: &str = "BAV2ROPC";

pub const SYSTEM_ID: &str = "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)";
pub const EXO_APP: &str = EXO;
