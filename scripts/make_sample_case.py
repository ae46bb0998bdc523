#!/usr/bin/env python3
"""Generate the fictional `contoso-bec` sample tenant export used by uala's tests.

Run with no arguments from anywhere:

    python3 scripts/make_sample_case.py

It deletes and rewrites ``testdata/contoso-bec/`` and writes the ground truth to
``testdata/contoso-bec.truth.json`` (outside the case folder, so uala never reads it as
evidence). Only the Python standard library is used. Every "random" value (GUIDs, PUIDs,
token ids, message ids, minutes of the day) comes from ``random.Random(42)`` and the code has
no dependence on the clock, the locale or hash order, so the output is byte-identical on
every run.

Everything is fictional: tenant Contoso (contoso.com, contoso.onmicrosoft.com), external
parties on ``.example`` domains, IP addresses from the documentation ranges 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32, ASNs from the documentation range
64496-64511.

Files (formats per shared/docs/input-formats.md)
------------------------------------------------
ual/Audit_2025-02-01_2025-03-05.csv             Purview portal export, current 8-column layout (2.2.2)
ual/Search-UnifiedAuditLog_megan.csv            Search-UnifiedAuditLog | Export-Csv (2.2.3); overlaps
                                                the Purview file by 3 records (same Id, same AuditData)
signins/InteractiveSignIns_2025-02-01_2025-03-05.json     Entra "Download JSON" (3.3), one array
signins/NonInteractiveSignIns_2025-02-01_2025-03-05.csv   Entra "Download CSV" (3.4), header quirks
mailbox/InboxRules_megan.bowen.txt              Get-InboxRule -IncludeHidden | Format-List, UTF-16LE (4.3)
mailbox/InboxRules_all.json                     Get-InboxRule | ConvertTo-Json for the other users (4.5)
mailbox/Mailboxes.csv                           Hawk-style Get-Mailbox forwarding export (5.2)
messagetrace/MessageTrace_2025-02-24_2025-03-05.csv       Get-MessageTraceV2 | Export-Csv (6.1)
sentitems/megan.bowen_SentItems.json            Graph Sent Items listing (7.2)
entra/AuditLogs_2025-03-01_2025-03-05.json      Graph directoryAudit array (8.1)

Scenario (all times UTC)
------------------------
Baseline 2025-02-01 .. 2025-03-03: 13 users sign in on weekdays from the Seattle office egress
198.51.100.10 (AS64500) or, on their home day, from home IPs in the Seattle area (AS64496), with
normal Edge / Outlook user agents. Weekly MailItemsAccessed (Sync), SharePoint FileAccessed, normal
mail (Send audit + message trace + Sent Items). Benign users:
  * alex.wilber travels: London on the weekend of 02-01/02-02 (the first records of his history),
    Seattle from 02-03, Seattle (home) 02-20 08:00, London 02-21 07:00 .. 02-26, Seattle again
    02-27. Every hop is physically plausible.
  * diego.siciliani sends a weekly newsletter (Tuesday 18:00) to the same 150 external
    subscribers: Send records every week, message-trace rows for 02-25 and 03-04.
  * lynne.robbins creates two benign rules from the office: "Forward to assistant" (calendar
    items to alex.wilber, internal) and "Invoices" (subject "invoice" -> folder "Invoices").
  * NT AUTHORITY\\SYSTEM noise: Set-Mailbox DisplayName / AuditLogAgeLimit 180 days,
    Add-MailboxPermission on the DiscoverySearchMailbox, Set-AdminAuditLogConfig.
Attack on 2025-03-04 (victim megan.bowen, finance, at a conference in New York):
  08:50  megan signs in from New York (192.0.2.50) on her iPhone.
  09:40-09:55  password spray from 203.0.113.140 (Frankfurt, AS64501, python-requests/2.31.0)
         against 10 accounts: UserLoginFailed in the UAL + failed interactive sign-ins (50126).
  09:51-09:54  three MFA denials (500121) for megan from 203.0.113.77 (Lagos, AS64510).
  09:56  success for megan from the spray IP 203.0.113.140 (python-requests, single factor).
  09:57  success for megan from 203.0.113.77 (Chrome, MFA approved) -> impossible travel from NY.
  10:05  megan consents to "Mail Archiver Pro" (Mail.ReadWrite Mail.Send offline_access).
  10:10  "User registered security info" (new Authenticator app) + UAL "Update user.".
  10:15  New-InboxRule "." (invoice;payment;wire -> RSS Feeds, mark read, stop) from
         203.0.113.77:50412; present in the Format-List dump.
  10:19  non-interactive sign-in from 2001:db8:4f::17; 10:20 New-InboxRule "Sync" from
         [2001:db8:4f::17]:61234 forwarding to payments.collector@protonmail.example and deleting;
         NOT in the dump and never removed (hidden rule).
  10:25  UpdateInboxRules AddMailboxRule with empty RuleName/RuleProvider and a forward action.
  10:31  Set-Mailbox ForwardingSmtpAddress smtp:megan.bowen.backup@fabrikam.example,
         DeliverToMailboxAndForward False (also visible in Mailboxes.csv).
  10:40-11:00  MailItemsAccessed Bind (~300 items) from 203.0.113.77 and from 198.51.100.23, an
         IP that appears in no sign-in at all (token replay, Client=REST).
  10:48  an inbound invoice mail is auto-forwarded by the hidden rule to protonmail.example.
  11:03  Send "RE: Updated remittance details" to ap@fabrikam.example (OWA, 203.0.113.77),
         11:06 HardDelete of it from \\Sent Items -> not in the Sent Items listing.
  11:20  "Authenticated SMTP" sign-in from 203.0.113.77; 11:21 trace shows megan ->
         finance@northwind.example "Urgent: wire transfer - new bank details" with no Send record
         and no Sent Items copy.
  11:30  Set-MailboxMessageConfiguration: signature with a new phone number.
  11:45  patti.fernandez (on leave that day, last seen in Seattle 03-03) signs in from 203.0.113.77
         (shares the attacker IP; nothing else).
  13:30  mailbox and inbox-rule dumps collected (before containment).
  14:00  containment by it.admin@contoso.com from the office: Reset user password.,
         Update StsRefreshTokenValidFrom Timestamp., Set-Mailbox ForwardingSmtpAddress "",
         Remove-InboxRule ".". Later attacker token refreshes fail (50133 / 50173).

The ground truth (verdicts, suspect window, attacker IPs, rules that must / must not fire,
and the exact record count written to every file) is in testdata/contoso-bec.truth.json.
"""

import base64
import datetime as dt
import json
import random
import shutil
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "testdata" / "contoso-bec"
TRUTH = ROOT / "testdata" / "contoso-bec.truth.json"

rng = random.Random(42)

# --------------------------------------------------------------------------------------------
# identifiers and time helpers
# --------------------------------------------------------------------------------------------


def gid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def exo_id():
    """GUID in the shape of Exchange audit record ids (last group starts with 08dd5)."""
    g = gid()
    return g[:24] + "08dd5" + g[29:]


def req_id():
    """GUID in the shape of Entra request ids (ending in 00)."""
    g = gid()
    return g[:34] + "00"


def hexs(n, upper=True):
    s = "".join(rng.choice("0123456789abcdef") for _ in range(n))
    return s.upper() if upper else s


def b64u(nbytes):
    raw = bytes(rng.getrandbits(8) for _ in range(nbytes))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64(nbytes):
    raw = bytes(rng.getrandbits(8) for _ in range(nbytes))
    return base64.b64encode(raw).decode()


def T(s):
    """'2025-03-04 10:15:30' -> aware UTC datetime."""
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)


def ual_time(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def iso_z(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def purview_date(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".0000000Z "


def en_us(t):
    h = t.hour % 12 or 12
    ampm = "AM" if t.hour < 12 else "PM"
    return f"{t.month}/{t.day}/{t.year} {h}:{t.minute:02d}:{t.second:02d} {ampm}"


def at(day, hh, mm, ss=None):
    if ss is None:
        ss = rng.randrange(60)
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=dt.timezone.utc)


def plus(t, minutes=0, seconds=0):
    return t + dt.timedelta(minutes=minutes, seconds=seconds)


# --------------------------------------------------------------------------------------------
# tenant, users, places, apps
# --------------------------------------------------------------------------------------------

ORG_ID = "5b7e2f1c-8a34-4d0e-9c6b-1f2a3d4e5f60"
ONMS = "contoso.onmicrosoft.com"
MSFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # owner tenant of first-party apps
EXO_PATH = "NAMPR10A004.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/" + ONMS
SERVERS = ["BY5PR10MB4212 (15.20.8466.020)", "SA1PR10MB5633 (15.20.8466.020)",
           "CH0PR10MB7001 (15.20.8489.011)", "MN2PR10MB4077 (15.20.8489.011)"]
OWA_APP = "00000002-0000-0ff1-ce00-000000000000"
EXO_PS_APP = "fb78d390-0c51-40cd-8e17-fdbfab77341b"
OUTLOOK_REST_APP = "9199bf20-a13f-4107-85dc-02114787ef48"
DISCOVERY_MBX = "DiscoverySearchMailbox{D919BA05-46A6-415f-80AD-7E09334BB852}"
SYSTEM_MBX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
SYSTEM_ACTOR = "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)"
EXDN = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

OFFICE = "198.51.100.10"
REPLAY = "198.51.100.23"
NYC = "192.0.2.50"
LONDON = "192.0.2.200"
SPRAY = "203.0.113.140"
ATK = "203.0.113.77"
ATK6 = "2001:db8:4f::17"

# ip -> (city, state, country, lat, lon, asn)
LOC = {
    OFFICE: ("Seattle", "Washington", "US", 47.61, -122.33, 64500),
    "192.0.2.101": ("Redmond", "Washington", "US", 47.67, -122.12, 64496),
    "192.0.2.102": ("Bellevue", "Washington", "US", 47.61, -122.2, 64496),
    "192.0.2.103": ("Kirkland", "Washington", "US", 47.68, -122.21, 64496),
    "192.0.2.104": ("Seattle", "Washington", "US", 47.66, -122.31, 64496),
    "192.0.2.105": ("Renton", "Washington", "US", 47.48, -122.22, 64496),
    NYC: ("New York", "New York", "US", 40.71, -74.01, 64497),
    LONDON: ("London", "England", "GB", 51.51, -0.13, 64498),
    SPRAY: ("Frankfurt am Main", "Hessen", "DE", 50.11, 8.68, 64501),
    ATK: ("Lagos", "Lagos", "NG", 6.45, 3.39, 64510),
    ATK6: ("Lagos", "Lagos", "NG", 6.45, 3.39, 64510),
}

UA_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/133.0.0.0 Safari/537.36 Edg/133.0.0.0")
UA_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148")
UA_WAM = "Windows-AzureAD-Authentication-Provider/1.0"
UA_ATK = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/122.0.0.0 Safari/537.36")
UA_SPRAY = "python-requests/2.31.0"

APP_OFFICEHOME = ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome")
APP_OFFICE = ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office")
APP_OWA = ("9199bf20-a13f-4107-85dc-02114787ef48", "One Outlook Web")
APP_OUTLOOK_MOBILE = ("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile")
APP_EXO = ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online")
RES_EXO = ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online")
RES_GRAPH = ("00000003-0000-0000-c000-000000000000", "Microsoft Graph")
RES_OFFICEHOME = ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome")
RES_SPO = ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online")
GRAPH_SP_ID = gid()

MAP_APP_ID = gid()       # "Mail Archiver Pro" application (client) id
MAP_SP_ID = gid()        # its service principal object id in Contoso
MAP_NAME = "Mail Archiver Pro"

# (alias, display name, department, home ip, home weekday (0=Mon) or None)
USER_ROWS = [
    ("megan.bowen", "Megan Bowen", "Finance", "192.0.2.101", 4),
    ("patti.fernandez", "Patti Fernandez", "Finance", "192.0.2.102", 4),
    ("alex.wilber", "Alex Wilber", "Sales", "192.0.2.104", 4),
    ("diego.siciliani", "Diego Siciliani", "Marketing", None, None),
    ("lynne.robbins", "Lynne Robbins", "Operations", None, None),
    ("it.admin", "IT Admin", "IT", None, None),
    ("adele.vance", "Adele Vance", "Retail", None, None),
    ("joni.sherman", "Joni Sherman", "Legal", "192.0.2.103", 4),
    ("lee.gu", "Lee Gu", "Engineering", "192.0.2.105", 2),
    ("nestor.wilke", "Nestor Wilke", "Operations", None, None),
    ("grady.archie", "Grady Archie", "Engineering", None, None),
    ("isaiah.langer", "Isaiah Langer", "Sales", None, None),
    ("miriam.graham", "Miriam Graham", "Marketing", None, None),
]

USERS = {}
for alias, name, dept, home, home_day in USER_ROWS:
    USERS[alias] = {
        "alias": alias,
        "upn": alias + "@contoso.com",
        "name": name,
        "dept": dept,
        "home": home,
        "home_day": home_day,
        "oid": gid(),
        "puid": "10032004" + hexs(8),
        "sid": "S-1-5-21-%d-%d-%d-%d" % (rng.randrange(10**9, 4 * 10**9), rng.randrange(10**9, 4 * 10**9),
                                          rng.randrange(10**9, 4 * 10**9), rng.randrange(1000, 99999)),
        "mbx": gid(),
        "exdn_cn": hexs(32, upper=False) + "-" + alias,
        "laptop": {"deviceId": gid(), "displayName": "CONTOSO-LT-%03d" % rng.randrange(100, 999),
                   "operatingSystem": "Windows10", "browser": "Edge 133.0.0", "isCompliant": True,
                   "isManaged": True, "trustType": "Azure AD joined"},
    }
MEGAN = USERS["megan.bowen"]
MEGAN["iphone"] = {"deviceId": gid(), "displayName": "iPhone", "operatingSystem": "Ios 18.3.1",
                   "browser": "", "isCompliant": True, "isManaged": True, "trustType": "Azure AD registered"}
PATTI = USERS["patti.fernandez"]
ADMIN = USERS["it.admin"]
ALEX = USERS["alex.wilber"]
DIEGO = USERS["diego.siciliani"]
LYNNE = USERS["lynne.robbins"]

DEV_NONE = {"deviceId": "", "displayName": "", "operatingSystem": "Windows10", "browser": "Chrome 122.0.0",
            "isCompliant": False, "isManaged": False, "trustType": ""}
DEV_SPRAY = {"deviceId": "", "displayName": "", "operatingSystem": "", "browser": "Python Requests 2.31",
             "isCompliant": False, "isManaged": False, "trustType": ""}
DEV_SMTP = {"deviceId": "", "displayName": "", "operatingSystem": "", "browser": "",
            "isCompliant": False, "isManaged": False, "trustType": ""}

# --------------------------------------------------------------------------------------------
# record sinks
# --------------------------------------------------------------------------------------------

PURVIEW = []        # AuditData dicts
SUAL = []           # AuditData dicts (megan's mailbox items of 03-04 + overlap)
SIGNIN_I = []       # Graph signIn dicts (interactive)
SIGNIN_N = []       # Graph signIn dicts (non-interactive), written as portal CSV
TRACE = []          # message dicts (one per message, expanded per recipient on output)
SENT_ITEMS = []     # Graph message dicts
ENTRA_AUDIT = []    # directoryAudit dicts

SESSION_BY_SIGNIN = {}


def ual_json(ad):
    # The UAL serialiser escapes every '/' as '\/' (Exchange and AAD records alike).
    return json.dumps(ad, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")


# --------------------------------------------------------------------------------------------
# sign-ins (Graph signIn objects; the non-interactive ones are rendered to the portal CSV)
# --------------------------------------------------------------------------------------------


def signin(t, user, ip, app, resource, ua, client_app, interactive, device, error=0,
           reason="Other.", details=None, auth_req="singleFactorAuthentication", session=None,
           incoming="none", protocol="none", risk=None, auth_steps=None, ca="notApplied",
           mfa_claim=False, sink=None):
    city, state, cc, lat, lon, asn = LOC[ip]
    rlevel, rstate, revents = risk or ("none", "none", [])
    sid = session or gid()
    rec = {
        "id": req_id(),
        "createdDateTime": iso_z(t),
        "userDisplayName": user["name"],
        "userPrincipalName": user["upn"],
        "userId": user["oid"],
        "appId": app[0],
        "appDisplayName": app[1],
        "ipAddress": ip,
        "ipAddressFromResourceProvider": None,
        "clientAppUsed": client_app,
        "userAgent": ua,
        "correlationId": gid(),
        "conditionalAccessStatus": ca,
        "originalRequestId": "",
        "isInteractive": interactive,
        "tokenIssuerName": "",
        "tokenIssuerType": "AzureAD",
        "clientCredentialType": "none",
        "processingTimeInMilliseconds": rng.randrange(60, 400),
        "riskDetail": "none",
        "riskLevelAggregated": rlevel,
        "riskLevelDuringSignIn": rlevel,
        "riskState": rstate,
        "riskEventTypes": list(revents),
        "riskEventTypes_v2": list(revents),
        "resourceDisplayName": resource[1],
        "resourceId": resource[0],
        "resourceTenantId": ORG_ID,
        "homeTenantId": ORG_ID,
        "homeTenantName": "",
        "authenticationMethodsUsed": [],
        "authenticationRequirement": auth_req,
        "signInIdentifier": "",
        "signInIdentifierType": None,
        "servicePrincipalName": "",
        "signInEventTypes": ["interactiveUser" if interactive else "nonInteractiveUser"],
        "servicePrincipalId": "",
        "userType": "member",
        "flaggedForReview": False,
        "isTenantRestricted": False,
        "autonomousSystemNumber": asn,
        "crossTenantAccessType": "none",
        "uniqueTokenIdentifier": b64u(16),
        "incomingTokenType": incoming,
        "authenticationProtocol": protocol,
        "resourceServicePrincipalId": gid(),
        "sessionId": sid,
        "status": {"errorCode": error, "failureReason": reason, "additionalDetails": details},
        "deviceDetail": dict(device),
        "location": {"city": city, "state": state, "countryOrRegion": cc,
                     "geoCoordinates": {"altitude": None, "latitude": lat, "longitude": lon}},
        "appliedConditionalAccessPolicies": [],
        "authenticationProcessingDetails": [{"key": "Legacy TLS (TLS 1.0, 1.1, 3DES)", "value": "False"},
                                            {"key": "Is CAE Token", "value": "False"}],
        "networkLocationDetails": [],
        "authenticationDetails": auth_steps or [],
        "_mfa_claim": mfa_claim,
    }
    if sink is None:
        sink = SIGNIN_I if interactive else SIGNIN_N
    sink.append(rec)
    return rec


def step(t, method, ok, detail, req="primaryAuthentication", method_detail=""):
    return {"authenticationStepDateTime": iso_z(t), "authenticationMethod": method,
            "authenticationMethodDetail": method_detail, "succeeded": ok,
            "authenticationStepResultDetail": detail, "authenticationStepRequirement": req}


def ual_sts(si, operation="UserLoggedIn", request_type="OAuth2:Authorize", logon_error=None):
    """UAL AzureActiveDirectoryStsLogon record mirroring a sign-in."""
    err = si["status"]["errorCode"]
    dev = si["deviceDetail"]
    ad = {
        "CreationTime": si["createdDateTime"][:-1],
        "Id": req_id(),
        "Operation": operation,
        "OrganizationId": ORG_ID,
        "RecordType": 15,
        "ResultStatus": "Success" if err == 0 else "Failed",
        "UserKey": si["userId"],
        "UserType": 0,
        "Version": 1,
        "Workload": "AzureActiveDirectory",
        "ClientIP": si["ipAddress"],
        "ObjectId": si["resourceId"],
        "UserId": si["userPrincipalName"],
        "AzureActiveDirectoryEventType": 1,
        "ExtendedProperties": [
            {"Name": "ResultStatusDetail", "Value": "Success" if err == 0 else "UserError"},
            {"Name": "UserAgent", "Value": si["userAgent"]},
            {"Name": "UserAuthenticationMethod", "Value": "1"},
            {"Name": "RequestType", "Value": request_type},
        ],
        "ModifiedProperties": [],
        "Actor": [{"ID": si["userId"], "Type": 0}, {"ID": si["userPrincipalName"], "Type": 5}],
        "ActorContextId": ORG_ID,
        "ActorIpAddress": si["ipAddress"],
        "InterSystemsId": si["correlationId"],
        "IntraSystemId": None,
        "SupportTicketId": "",
        "Target": [{"ID": si["resourceId"], "Type": 0}],
        "TargetContextId": ORG_ID,
        "ApplicationId": si["appId"],
        "DeviceProperties": [
            {"Name": "OS", "Value": dev["operatingSystem"] or "Unknown"},
            {"Name": "BrowserType", "Value": (dev["browser"].split(" ")[0] or "Other")},
            {"Name": "IsCompliantAndManaged", "Value": "True" if dev["isCompliant"] else "False"},
            {"Name": "SessionId", "Value": si["sessionId"]},
        ],
        "ErrorNumber": str(err),
    }
    ad["IntraSystemId"] = ad["Id"]
    if logon_error:
        ad["LogonError"] = logon_error
    PURVIEW.append(ad)
    return ad


def app_ctx(si):
    return {"AADSessionId": si["sessionId"], "IssuedAtTime": si["createdDateTime"][:-1],
            "UniqueTokenId": si["uniqueTokenIdentifier"]}


# --------------------------------------------------------------------------------------------
# Exchange mailbox / admin / SharePoint records
# --------------------------------------------------------------------------------------------

FOLDER_IDS = {}


def folder_id(user, path):
    key = (user["alias"], path)
    if key not in FOLDER_IDS:
        FOLDER_IDS[key] = "LgAAAAD" + b64(40).replace("/", "_").replace("+", "-")[:46] + "AQ"
    return FOLDER_IDS[key]


def item_id():
    return "RgAAAAD" + b64(66).replace("/", "_").replace("+", "-")[:84] + "AAAJ"


def mailbox_base(t, user, op, rtype, ip, port, client_info, si=None, app_id="", actor=None):
    actor = actor or user
    ad = {
        "CreationTime": ual_time(t),
        "Id": exo_id(),
        "Operation": op,
        "OrganizationId": ORG_ID,
        "RecordType": rtype,
        "ResultStatus": "Succeeded",
        "UserKey": actor["puid"],
        "UserType": 0,
        "Version": 1,
        "Workload": "Exchange",
        "ClientIP": (f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}") if port else ip,
        "UserId": actor["upn"],
        "AppId": app_id,
        "ClientAppId": app_id,
        "ClientIPAddress": ip,
        "ClientInfoString": client_info,
        "ExternalAccess": False,
        "InternalLogonType": 0,
        "LogonType": 0,
        "LogonUserSid": actor["sid"],
        "MailboxGuid": user["mbx"],
        "MailboxOwnerSid": user["sid"],
        "MailboxOwnerUPN": user["upn"],
        "OrganizationName": ONMS,
        "OriginatingServer": rng.choice(SERVERS) + "\r\n",
        "SessionId": gid(),
    }
    if si is not None:
        ad["AppAccessContext"] = app_ctx(si)
    return ad


def admin_base(t, actor, op, ip, port, params, object_id, si=None, app_id=OWA_APP, user_type=0):
    ad = {"CreationTime": ual_time(t), "Id": exo_id(), "Operation": op, "OrganizationId": ORG_ID,
          "RecordType": 1, "ResultStatus": "True", "UserKey": actor["puid"], "UserType": user_type,
          "Version": 1, "Workload": "Exchange", "ClientIP": (f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"),
          "ObjectId": object_id, "UserId": actor["upn"], "AppId": app_id, "ClientAppId": "",
          "ExternalAccess": False, "OrganizationName": ONMS, "OriginatingServer": rng.choice(SERVERS),
          "Parameters": params, "SessionId": gid()}
    if si is not None:
        ad["AppAccessContext"] = app_ctx(si)
    return ad


def system_record(t, op, object_id, params, user_type=3):
    return {"AppAccessContext": {}, "CreationTime": ual_time(t), "Id": exo_id(), "Operation": op,
            "OrganizationId": ORG_ID, "RecordType": 1, "ResultStatus": "True", "UserKey": SYSTEM_ACTOR,
            "UserType": user_type, "Version": 1, "Workload": "Exchange", "ObjectId": object_id,
            "UserId": SYSTEM_ACTOR, "AppId": "", "AppPoolName": "MSExchangeServiceHost", "ClientAppId": "",
            "CorrelationID": "", "ExternalAccess": True, "OrganizationName": ONMS,
            "OriginatingServer": rng.choice(SERVERS), "Parameters": params, "RequestId": gid()}


def mail_items_accessed(t, user, ip, client_info, access, folders, si=None, app_id="", port=None,
                        sink=None):
    ad = mailbox_base(t, user, "MailItemsAccessed", 50, ip, port, client_info, si=si, app_id=app_id)
    count = sum(len(f.get("FolderItems", [])) for f in folders) if access == "Bind" else len(folders)
    ad["OperationCount"] = max(count, 1)
    ad["OperationProperties"] = [{"Name": "MailAccessType", "Value": access},
                                 {"Name": "IsThrottled", "Value": "False"}]
    ad["Folders"] = folders
    (PURVIEW if sink is None else sink).append(ad)
    return ad


def sharepoint_access(t, user, ip, site, folder, filename):
    ext = filename.rsplit(".", 1)[1]
    site_url = f"https://contoso.sharepoint.com/sites/{site}/"
    rel = f"Shared Documents/{folder}"
    ad = {"AppAccessContext": {"AADSessionId": gid(), "CorrelationId": gid(), "UniqueTokenId": b64u(16)},
          "CreationTime": ual_time(t), "Id": gid(), "Operation": "FileAccessed", "OrganizationId": ORG_ID,
          "RecordType": 6, "UserKey": "i:0h.f|membership|" + user["puid"].lower() + "@live.com",
          "UserType": 0, "Version": 1, "Workload": "SharePoint", "ClientIP": ip,
          "ObjectId": site_url + rel + "/" + filename, "UserId": user["upn"], "ApplicationId": APP_OFFICEHOME[0],
          "CorrelationId": gid(), "EventSource": "SharePoint", "ItemType": "File", "ListId": gid(),
          "ListItemUniqueId": gid(), "Site": gid(), "UserAgent": UA_EDGE, "WebId": gid(),
          "HighPriorityMediaProcessing": False, "SourceFileExtension": ext, "SiteUrl": site_url,
          "SourceFileName": filename, "SourceRelativeUrl": rel}
    PURVIEW.append(ad)


# --------------------------------------------------------------------------------------------
# mail (Send audit + message trace + Sent Items listing)
# --------------------------------------------------------------------------------------------

MX = {"fabrikam.example": "192.0.2.25", "northwind.example": "192.0.2.26",
      "protonmail.example": "192.0.2.27", "tailspin.example": "192.0.2.28",
      "litware.example": "192.0.2.29"}
INBOUND_SERVERS = ["192.0.2.61", "192.0.2.62", "192.0.2.63", "192.0.2.64", "192.0.2.65"]
TRACE_START = T("2025-02-24 00:00:00")
TRACE_END = T("2025-03-05 00:00:00")
NAM_SERVERS = ["BY5PR10MB4212", "SA1PR10MB5633", "CH0PR10MB7001", "MN2PR10MB4077", "DM6PR10MB3981"]


def outlook_msgid():
    s = rng.choice(NAM_SERVERS)
    return f"<{s}{hexs(24)}@{s}.namprd10.prod.outlook.com>"


def external_msgid(t, domain):
    return f"<{t.strftime('%Y%m%d%H%M%S')}.{hexs(6)}@mail.{domain}>"


def mx_for(addr):
    d = addr.split("@")[1]
    if d not in MX:
        MX[d] = "192.0.2.%d" % (30 + len(MX) % 20)
    return MX[d]


def is_internal(addr):
    return addr.endswith("@contoso.com")


def trace_message(t, sender, recipients, subject, size, msgid, from_ip="", statuses=None):
    """One message; expanded to one trace row per recipient on output."""
    if not (TRACE_START <= t < TRACE_END):
        return
    rows = []
    for i, (addr, _name) in enumerate(recipients):
        status = (statuses or {}).get(addr, "Delivered")
        to_ip = "" if is_internal(addr) else mx_for(addr)
        rows.append((addr, status, to_ip))
    TRACE.append({"t": t, "sender": sender, "rows": rows, "subject": subject, "size": size,
                  "msgid": msgid, "from_ip": from_ip, "trace_id": gid()})


def send_mail(t, user, recipients, subject, ip, client="outlook", si=None, sink=None, body="",
              attachments=None, in_listing=True, statuses=None, cc=None):
    """Send audit record + trace rows (+ Sent Items entry for megan)."""
    msgid = outlook_msgid()
    size = rng.randrange(18000, 90000) + (len(recipients) * 60)
    if client == "outlook":
        info, port, app = "Client=MSExchangeRPC", None, ""
        folder = "\\Sent Items"
    elif client == "iphone":
        info, port, app = "Client=OutlookService;Outlook-iOS/2.0;", None, APP_OUTLOOK_MOBILE[0]
        folder = "\\Drafts"
    else:  # owa
        info, port, app = "Client=OWA;Action=ViaProxy", rng.randrange(49152, 65535), OWA_APP
        folder = "\\Drafts"
    ad = mailbox_base(t, user, "Send", 2, ip, port, info, si=si, app_id=app)
    if client == "outlook":
        ad["ClientProcessName"] = "OUTLOOK.EXE"
        ad["ClientVersion"] = "16.0.18129.20158"
    item = {"Id": item_id(), "InternetMessageId": msgid,
            "ParentFolder": {"Id": folder_id(user, folder), "Path": folder},
            "SizeInBytes": size, "Subject": subject}
    if attachments:
        item["Attachments"] = attachments
    ad["Item"] = item
    ad["SaveToSentItems"] = True
    ad["recipientCount"] = len(recipients)
    ad["recipientList"] = [{"Address": a, "Name": n} for a, n in recipients]
    (PURVIEW if sink is None else sink).append(ad)
    trace_message(plus(t, seconds=rng.randrange(1, 4)), user["upn"], recipients, subject,
                  size + rng.randrange(2000, 6000), msgid, statuses=statuses)
    if user is MEGAN and in_listing:
        sent_item(t, user, recipients, subject, msgid, body, bool(attachments))
    return ad, msgid, item


def sent_item(t, user, recipients, subject, msgid, body, has_att):
    conv = "AAQkADI5" + b64u(30)
    rec = {
        "@odata.etag": 'W/"CQAAABYAAAD' + b64(12) + '"',
        "id": "AAMkADI5ZjE3MGM3LTk2NGUtNGE0Zi1iNDNhLTg3OWE3NGNiNzFlMgBGAAAAAAB" + b64u(60) + "AAA=",
        "createdDateTime": iso_z(plus(t, seconds=-1)),
        "lastModifiedDateTime": iso_z(plus(t, seconds=2)),
        "changeKey": "CQAAABYAAAD" + b64(12),
        "categories": [],
        "receivedDateTime": iso_z(t),
        "sentDateTime": iso_z(t),
        "hasAttachments": has_att,
        "internetMessageId": msgid,
        "subject": subject,
        "bodyPreview": body[:255],
        "importance": "normal",
        "parentFolderId": "AAMkADI5ZjE3MGM3LTk2NGUtNGE0Zi1iNDNhLTg3OWE3NGNiNzFlMgAuAAAAAAB9iQ1U3vfvRKmAAQAAAEJAAA=",
        "conversationId": conv,
        "conversationIndex": b64(22),
        "isDeliveryReceiptRequested": False,
        "isReadReceiptRequested": False,
        "isRead": True,
        "isDraft": False,
        "webLink": "https://outlook.office365.com/owa/?ItemID=" + b64u(40) + "&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": "focused",
        "body": {"contentType": "html",
                 "content": "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>"
                            "<body><div>" + body + "</div></body></html>"},
        "sender": {"emailAddress": {"name": user["name"], "address": user["upn"]}},
        "from": {"emailAddress": {"name": user["name"], "address": user["upn"]}},
        "toRecipients": [{"emailAddress": {"name": n, "address": a}} for a, n in recipients],
        "ccRecipients": [],
        "bccRecipients": [],
        "replyTo": [],
        "flag": {"flagStatus": "notFlagged"},
    }
    SENT_ITEMS.append(rec)


def inbound_mail(t, sender, sender_name, user, subject):
    domain = sender.split("@")[1]
    msgid = external_msgid(t, domain)
    size = rng.randrange(9000, 120000)
    TRACE.append({"t": t, "sender": sender, "rows": [(user["upn"], "Delivered", "")], "subject": subject,
                  "size": size, "msgid": msgid, "from_ip": rng.choice(INBOUND_SERVERS), "trace_id": gid()})
    return msgid, size


# --------------------------------------------------------------------------------------------
# baseline generation
# --------------------------------------------------------------------------------------------

FIRST_DAY = dt.date(2025, 2, 1)
ATTACK_DAY = dt.date(2025, 3, 4)
LONDON_DAYS = {dt.date(2025, 2, 21), dt.date(2025, 2, 24), dt.date(2025, 2, 25), dt.date(2025, 2, 26)}

DAY_IP = {}        # (alias, date) -> ip used that day
DAY_TIME = {}      # (alias, date) -> first sign-in time
DAY_SI = {}        # (alias, date) -> sign-in record


def days():
    d = FIRST_DAY
    while d <= ATTACK_DAY:
        yield d
        d += dt.timedelta(days=1)


def baseline_signin(user, day, ip, t, interactive):
    dev = user["laptop"]
    if user is MEGAN and ip == MEGAN["home"]:
        si = signin(t, user, ip, APP_OUTLOOK_MOBILE, RES_EXO, UA_IPHONE, "Mobile Apps and Desktop clients",
                    interactive, MEGAN["iphone"], auth_req="multiFactorAuthentication",
                    incoming="none" if interactive else "refreshToken", ca="success", mfa_claim=True,
                    auth_steps=[step(t, "Previously satisfied", True, "MFA requirement satisfied by claim in the token",
                                     req="secondaryAuthentication")] if interactive else [])
    elif interactive:
        si = signin(t, user, ip, APP_OFFICEHOME, RES_OFFICEHOME, UA_EDGE, "Browser", True, dev,
                    auth_req="multiFactorAuthentication", incoming="primaryRefreshToken", ca="success",
                    mfa_claim=True,
                    auth_steps=[step(t, "Previously satisfied", True, "MFA requirement satisfied by claim in the token",
                                     req="secondaryAuthentication")])
    else:
        si = signin(t, user, ip, APP_OFFICE, RES_EXO, UA_WAM, "Mobile Apps and Desktop clients", False, dev,
                    incoming="refreshToken", ca="success")
    if interactive:
        ual_sts(si)
    return si


def generate_baseline():
    for day in days():
        wd = day.weekday()
        for alias, user in USERS.items():
            if day == ATTACK_DAY and user is MEGAN:
                continue  # megan's attack-day sign-ins are written explicitly
            if day == ATTACK_DAY and user is PATTI:
                continue  # patti is on leave on 03-04: her only sign-in that day is the attacker's
            ip = OFFICE
            t = None
            if user is ALEX and day in (dt.date(2025, 2, 1), dt.date(2025, 2, 2)):
                ip, t = LONDON, at(day, 9 + (day.day - 1), rng.randrange(0, 40))
            elif wd >= 5:
                continue
            elif user is ALEX and day == dt.date(2025, 2, 20):
                ip, t = ALEX["home"], at(day, 8, 0, 14)
            elif user is ALEX and day in LONDON_DAYS:
                ip = LONDON
                t = at(day, 7, 0, 37) if day == dt.date(2025, 2, 21) else at(day, 8, rng.randrange(0, 50))
            elif user["home_day"] == wd:
                ip = user["home"]
            elif user is ADMIN and day == ATTACK_DAY:
                t = at(day, 13, 41, 52)  # called in early for the incident
            if t is None:
                t = plus(at(day, 15, 45), minutes=rng.randrange(0, 100))
            interactive = wd in (0, 3) or ip != OFFICE or (user is ADMIN and day == ATTACK_DAY)
            si = baseline_signin(user, day, ip, t, interactive)
            DAY_IP[(alias, day)] = ip
            DAY_TIME[(alias, day)] = t
            DAY_SI[(alias, day)] = si
            # weekly Outlook/iPhone folder sync
            if wd == 2 or (user is ALEX and day == dt.date(2025, 2, 26)):
                mt = plus(t, minutes=rng.randrange(3, 30))
                if user is MEGAN and ip == MEGAN["home"]:
                    info = "Client=OutlookService;Outlook-iOS/2.0;"
                else:
                    info = "Client=MSExchangeRPC"
                folders = [{"Id": folder_id(user, "\\Inbox"), "Path": "\\Inbox"}]
                mail_items_accessed(mt, user, ip, info, "Sync", folders, si=si)


def generate_sharepoint():
    picks = [("lynne.robbins", "2025-02-05", "Operations", "Vendors", "Vendor list 2025.xlsx"),
             ("patti.fernandez", "2025-02-06", "Finance", "Budget", "Budget FY25 Q2.xlsx"),
             ("adele.vance", "2025-02-11", "Retail", "Stores", "Store rota February.docx"),
             ("megan.bowen", "2025-02-13", "Finance", "Close", "Month-end close checklist.docx"),
             ("grady.archie", "2025-02-18", "Engineering", "Specs", "Drone X2 spec.pdf"),
             ("nestor.wilke", "2025-02-19", "Operations", "Logistics", "Carrier rates.xlsx"),
             ("joni.sherman", "2025-02-25", "Legal", "Contracts", "NDA template.docx"),
             ("isaiah.langer", "2025-02-27", "Sales", "Pipeline", "Q1 pipeline.xlsx"),
             ("megan.bowen", "2025-03-03", "Finance", "Close", "February close pack.xlsx"),
             ("miriam.graham", "2025-03-03", "Marketing", "Campaigns", "Spring campaign brief.pptx")]
    for alias, d, site, folder, fname in picks:
        day = dt.date.fromisoformat(d)
        user = USERS[alias]
        t = plus(DAY_TIME[(alias, day)], minutes=rng.randrange(20, 200))
        sharepoint_access(t, user, DAY_IP[(alias, day)], site, folder, fname)


MEGAN_CONTACTS = [
    ("ap@fabrikam.example", "Fabrikam Accounts Payable"),
    ("finance@northwind.example", "Northwind Finance"),
    ("patti.fernandez@contoso.com", "Patti Fernandez"),
    ("lynne.robbins@contoso.com", "Lynne Robbins"),
    ("controller@tailspin.example", "Tailspin Controller"),
    ("isaiah.langer@contoso.com", "Isaiah Langer"),
]
MEGAN_SUBJECTS = [
    ("Month-end close checklist", "Hi, attached is the checklist for this month's close. Please tick off your items by Friday."),
    ("Q1 budget review", "Can we move the Q1 budget review to Thursday afternoon? I have a clash on Wednesday."),
    ("Re: Vendor onboarding form", "Thanks, the form looks complete. I've passed it to procurement for the next step."),
    ("Re: Lunch Thursday", "Sounds good, see you at 12:30 in the lobby."),
    ("Statement reconciliation February", "Please find our reconciliation for February below. Let me know if anything looks off."),
    ("Re: March forecast", "I've updated the forecast tab with the latest numbers from sales."),
    ("Conference travel next week", "I'll be in New York from Monday evening through Wednesday for the finance summit."),
    ("Re: Audit PBC list", "We'll have the remaining PBC items uploaded to the portal by end of day."),
]


def generate_baseline_mail():
    # megan: normal mail 02-17 .. 03-03 (Send audit + trace from 02-24 + Sent Items listing)
    d = dt.date(2025, 2, 17)
    k = 0
    while d <= dt.date(2025, 3, 3):
        if d.weekday() < 5:
            for _ in range(2 if d.weekday() in (1, 3) else 1):
                subj, body = MEGAN_SUBJECTS[k % len(MEGAN_SUBJECTS)]
                rcpt = [MEGAN_CONTACTS[(k * 5 + 1) % len(MEGAN_CONTACTS)]]
                if k % 4 == 0:
                    rcpt.append(MEGAN_CONTACTS[(k * 5 + 2) % len(MEGAN_CONTACTS)])
                ip = DAY_IP[("megan.bowen", d)]
                t = plus(DAY_TIME[("megan.bowen", d)], minutes=rng.randrange(40, 380))
                if d == dt.date(2025, 3, 3):
                    t = plus(DAY_TIME[("megan.bowen", d)], minutes=rng.randrange(30, 90))
                client = "iphone" if ip == MEGAN["home"] else "outlook"
                att = "Close checklist.xlsx (48211b)" if "checklist" in subj else None
                send_mail(t, MEGAN, rcpt, subj, ip, client=client, si=DAY_SI[("megan.bowen", d)], body=body,
                          attachments=att)
                k += 1
        d += dt.timedelta(days=1)

    # other users: a few normal messages, all with Send audit records
    others = [
        ("patti.fernandez", "2025-02-24", [("megan.bowen@contoso.com", "Megan Bowen")], "Re: Q1 budget review"),
        ("patti.fernandez", "2025-02-26", [("controller@tailspin.example", "Tailspin Controller")], "Tailspin statement query"),
        ("alex.wilber", "2025-02-24", [("buyer@litware.example", "Litware Buying")], "Meeting notes from London"),
        ("alex.wilber", "2025-02-25", [("buyer@litware.example", "Litware Buying")], "Re: Meeting notes from London"),
        ("alex.wilber", "2025-02-28", [("isaiah.langer@contoso.com", "Isaiah Langer")], "Back in Seattle - catch up?"),
        ("lynne.robbins", "2025-02-27", [("nestor.wilke@contoso.com", "Nestor Wilke")], "Warehouse schedule"),
        ("joni.sherman", "2025-03-03", [("legal@northwind.example", "Northwind Legal")], "Signed NDA"),
        ("it.admin", "2025-02-25", [("grady.archie@contoso.com", "Grady Archie")], "Laptop refresh"),
        ("diego.siciliani", "2025-02-27", [("miriam.graham@contoso.com", "Miriam Graham")], "Newsletter stats"),
        ("isaiah.langer", "2025-03-04", [("buyer@litware.example", "Litware Buying")], "Quote 2291"),
    ]
    for alias, d, rcpt, subj in others:
        day = dt.date.fromisoformat(d)
        u = USERS[alias]
        ip = DAY_IP[(alias, day)]
        t = plus(DAY_TIME[(alias, day)], minutes=rng.randrange(30, 300))
        send_mail(t, u, rcpt, subj, ip, client="outlook", si=DAY_SI[(alias, day)])

    # diego: weekly newsletter to the same 150 external subscribers (Tuesday 18:00)
    first = ["ana", "ben", "carla", "dev", "elif", "femi", "gus", "hana", "ivan", "jia", "kofi", "lena",
             "mateo", "nina", "omar"]
    last = ["ames", "brook", "chen", "diaz", "ek", "ford", "gray", "hale", "ito", "jones"]
    domains = ["tailspin.example", "wingtip.example", "litware.example", "adatum.example", "woodgrove.example",
               "proseware.example", "lucerne.example", "margie.example", "wideworld.example", "alpineski.example",
               "blueyonder.example", "coho.example", "fourthcoffee.example", "humongous.example", "relecloud.example"]
    subscribers = []
    i = 0
    for f in first:
        for la in last:
            subscribers.append((f"{f}.{la}@{domains[i % len(domains)]}", f"{f.title()} {la.title()}"))
            i += 1
    bounced = {subscribers[17][0]: "Failed", subscribers[88][0]: "Failed"}
    issues = ["New spring collection", "Behind the scenes at the Seattle studio", "Customer story: Litware",
              "Product care tips", "Spring sale preview"]
    for n, d in enumerate(["2025-02-04", "2025-02-11", "2025-02-18", "2025-02-25", "2025-03-04"]):
        day = dt.date.fromisoformat(d)
        t = at(day, 18, 0, rng.randrange(5, 50))
        ip = DAY_IP[("diego.siciliani", day)]
        send_mail(t, DIEGO, subscribers, f"Contoso Weekly #{n + 6}: {issues[n]}", ip, client="outlook",
                  si=DAY_SI[("diego.siciliani", day)], statuses=bounced)

    # inbound mail
    senders = [("billing@fabrikam.example", "Fabrikam Billing"), ("news@northwind.example", "Northwind Traders News"),
               ("support@litware.example", "Litware Support"), ("events@tailspin.example", "Tailspin Events"),
               ("hr@adatum.example", "Adatum HR"), ("ap@fabrikam.example", "Fabrikam Accounts Payable")]
    subjects = ["Your monthly statement is ready", "Northwind Traders news - March", "Ticket 48812 updated",
                "Invitation: supplier day", "Reference request", "Remittance advice 0225"]
    d = dt.date(2025, 2, 24)
    j = 0
    while d <= dt.date(2025, 3, 3):
        if d.weekday() < 5:
            for _ in range(3):
                alias = list(USERS)[(j * 7) % len(USERS)]
                s_addr, s_name = senders[j % len(senders)]
                t = at(d, 14 + (j % 8), rng.randrange(60))
                inbound_mail(t, s_addr, s_name, USERS[alias], subjects[j % len(subjects)])
                j += 1
        d += dt.timedelta(days=1)
    # the thread the attacker later replies to
    inbound_mail(T("2025-03-03 18:12:40"), "ap@fabrikam.example", "Fabrikam Accounts Payable", MEGAN,
                 "Updated remittance details")


def generate_lynne_rules():
    day = dt.date(2025, 2, 10)
    t = plus(DAY_TIME[("lynne.robbins", day)], minutes=35)
    path = f"{EXO_PATH}/{LYNNE['oid']}\\"
    ad = admin_base(t, LYNNE, "New-InboxRule", OFFICE, rng.randrange(49152, 65535),
                    [{"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"}, {"Name": "Force", "Value": "False"},
                     {"Name": "MessageTypeMatches", "Value": "Calendaring"},
                     {"Name": "ForwardTo", "Value": "alex.wilber@contoso.com"},
                     {"Name": "Name", "Value": "Forward to assistant"},
                     {"Name": "StopProcessingRules", "Value": "False"}],
                    path + "Forward to assistant", si=DAY_SI[("lynne.robbins", day)])
    PURVIEW.append(ad)
    day = dt.date(2025, 2, 12)
    t = plus(DAY_TIME[("lynne.robbins", day)], minutes=50)
    ad = admin_base(t, LYNNE, "New-InboxRule", OFFICE, rng.randrange(49152, 65535),
                    [{"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"}, {"Name": "Force", "Value": "False"},
                     {"Name": "SubjectContainsWords", "Value": "invoice"},
                     {"Name": "MoveToFolder", "Value": "Invoices"},
                     {"Name": "Name", "Value": "Invoices"},
                     {"Name": "StopProcessingRules", "Value": "True"}],
                    path + "Invoices", si=DAY_SI[("lynne.robbins", day)])
    PURVIEW.append(ad)


def generate_system_noise():
    PURVIEW.append(system_record(T("2025-02-03 04:12:09"), "Set-AdminAuditLogConfig",
                                 ONMS + "\\Admin Audit Log Settings",
                                 [{"Name": "DomainController", "Value": ""},
                                  {"Name": "Identity", "Value": EXO_PATH},
                                  {"Name": "AdminAuditLogEnabled", "Value": "True"}]))
    obj = f"{EXO_PATH}/{DISCOVERY_MBX}"
    PURVIEW.append(system_record(T("2025-02-03 04:12:14"), "Add-MailboxPermission", obj,
                                 [{"Name": "DomainController", "Value": ""}, {"Name": "Identity", "Value": obj},
                                  {"Name": "User", "Value": EXO_PATH + "/Discovery Management"},
                                  {"Name": "AccessRights", "Value": "FullAccess"}]))
    PURVIEW.append(system_record(T("2025-02-03 04:12:15"), "Set-Mailbox", obj,
                                 [{"Name": "DomainController", "Value": ""}, {"Name": "Identity", "Value": obj},
                                  {"Name": "DisplayName", "Value": "Discovery Search Mailbox"}]))
    obj = f"{EXO_PATH}/{SYSTEM_MBX}"
    PURVIEW.append(system_record(T("2025-02-03 04:12:20"), "Set-Mailbox", obj,
                                 [{"Name": "DomainController", "Value": ""}, {"Name": "Identity", "Value": obj},
                                  {"Name": "DisplayName", "Value": "Microsoft Exchange"}]))
    m = USERS["miriam.graham"]
    obj = f"{EXO_PATH}/{m['oid']}"
    PURVIEW.append(system_record(T("2025-02-14 02:40:51"), "Set-Mailbox", obj,
                                 [{"Name": "DomainController", "Value": ""}, {"Name": "Identity", "Value": obj},
                                  {"Name": "AuditLogAgeLimit", "Value": "180.00:00:00"}]))
    PURVIEW.append(system_record(T("2025-02-27 03:05:33"), "Set-Mailbox", obj,
                                 [{"Name": "DomainController", "Value": ""}, {"Name": "Identity", "Value": obj},
                                  {"Name": "IgnoreDehydratedFlag", "Value": "True"},
                                  {"Name": "AuditEnabled", "Value": "True"}]))


# --------------------------------------------------------------------------------------------
# the attack day
# --------------------------------------------------------------------------------------------

SPRAY_TARGETS = ["adele.vance", "grady.archie", "isaiah.langer", "it.admin", "joni.sherman", "lee.gu",
                 "miriam.graham", "nestor.wilke", "patti.fernandez", "megan.bowen"]
MEGAN_RULE_ID = None
JUNK_RULE_ID = 721857812023476225
NEWSLETTER_RULE_ID = None
ATTACK = {}


def big_rule_id():
    return (1 << 63) + rng.getrandbits(62)


def generate_attack():
    global MEGAN_RULE_ID, NEWSLETTER_RULE_ID
    day = ATTACK_DAY
    ny = signin(T("2025-03-04 08:50:23"), MEGAN, NYC, APP_OUTLOOK_MOBILE, RES_EXO, UA_IPHONE,
                "Mobile Apps and Desktop clients", True, MEGAN["iphone"], auth_req="multiFactorAuthentication",
                ca="success", mfa_claim=True,
                auth_steps=[step(T("2025-03-04 08:50:23"), "Previously satisfied", True,
                                 "MFA requirement satisfied by claim in the token", req="secondaryAuthentication")])
    ual_sts(ny)
    mail_items_accessed(T("2025-03-04 08:52:10"), MEGAN, NYC, "Client=OutlookService;Outlook-iOS/2.0;", "Sync",
                        [{"Id": folder_id(MEGAN, "\\Inbox"), "Path": "\\Inbox"}], si=ny,
                        app_id=APP_OUTLOOK_MOBILE[0], sink=SUAL)

    # password spray, 09:40 - 09:55, two passes over 10 accounts
    spray_times = []
    t = T("2025-03-04 09:40:07")
    for rnd in range(2):
        for alias in SPRAY_TARGETS:
            if alias == "megan.bowen" and rnd == 1:
                continue
            spray_times.append((t, alias))
            t = plus(t, seconds=rng.randrange(38, 52))
    for t, alias in spray_times:
        if alias == "megan.bowen":
            t = T("2025-03-04 09:50:12")
        si = signin(t, USERS[alias], SPRAY, APP_OFFICE, RES_GRAPH, UA_SPRAY, "Mobile Apps and Desktop clients",
                    True, DEV_SPRAY, error=50126,
                    reason="Invalid username or password or Invalid on-premise username or password.",
                    protocol="ropc",
                    auth_steps=[step(t, "Password", False, "Invalid username or password or Invalid on-premise username or password.")])
        ual_sts(si, operation="UserLoginFailed", request_type="OAuth2:Token", logon_error="InvalidUserNameOrPassword")
        if alias == "megan.bowen":
            ATTACK["first_indicator"] = t

    # MFA fatigue from the phishing infrastructure
    for ts in ("2025-03-04 09:51:05", "2025-03-04 09:52:40", "2025-03-04 09:54:10"):
        t = T(ts)
        si = signin(t, MEGAN, ATK, APP_OWA, RES_EXO, UA_ATK, "Browser", True, DEV_NONE, error=500121,
                    reason="Authentication failed during strong authentication request.",
                    details="MFA denied; user declined the authentication", auth_req="multiFactorAuthentication",
                    ca="failure",
                    auth_steps=[step(t, "Password", True, "Correct password"),
                                step(t, "Mobile app notification", False, "MFA denied; user declined the authentication",
                                     req="secondaryAuthentication")])
        ual_sts(si, operation="UserLoginFailed", request_type="SAS:ProcessAuth", logon_error="AuthenticationFailedSasError")

    # success from the spray IP, then from the attacker browser (MFA approved)
    t = T("2025-03-04 09:56:30")
    s140 = signin(t, MEGAN, SPRAY, APP_OFFICE, RES_GRAPH, UA_SPRAY, "Mobile Apps and Desktop clients", True,
                  DEV_SPRAY, protocol="ropc", risk=("high", "atRisk", ["passwordSpray"]),
                  auth_steps=[step(t, "Password", True, "Correct password")])
    ual_sts(s140, request_type="OAuth2:Token")
    t = T("2025-03-04 09:57:41")
    s77 = signin(t, MEGAN, ATK, APP_OWA, RES_EXO, UA_ATK, "Browser", True, DEV_NONE,
                 auth_req="multiFactorAuthentication", risk=("medium", "atRisk", ["unfamiliarFeatures"]),
                 ca="success",
                 auth_steps=[step(t, "Password", True, "Correct password"),
                             step(t, "Mobile app notification", True, "MFA successfully completed",
                                  req="secondaryAuthentication")])
    s77["authenticationMethodsUsed"] = ["Password", "Mobile app notification"]
    ual_sts(s77)
    ATTACK["s77"] = s77

    # attacker token refreshes (non-interactive), incl. the IPv6 one before the "Sync" rule
    for ts, ip in (("2025-03-04 10:02:15", ATK), ("2025-03-04 10:19:40", ATK6), ("2025-03-04 10:38:02", ATK),
                   ("2025-03-04 11:02:51", ATK), ("2025-03-04 11:41:30", ATK), ("2025-03-04 12:26:09", ATK),
                   ("2025-03-04 13:12:44", ATK)):
        signin(T(ts), MEGAN, ip, APP_OWA, RES_EXO, UA_ATK, "Browser", False, DEV_NONE, session=s77["sessionId"],
               incoming="refreshToken", auth_req="multiFactorAuthentication", risk=("medium", "atRisk", []),
               mfa_claim=True)

    # 10:05 consent to "Mail Archiver Pro"
    t = T("2025-03-04 10:05:12")
    perms = (f"[] => [[Id: {b64u(32)}, ClientId: {MAP_SP_ID}, PrincipalId: {MEGAN['oid']}, "
             f"ResourceId: {GRAPH_SP_ID}, ConsentType: Principal, Scope: Mail.ReadWrite Mail.Send offline_access, "
             f"CreatedDateTime: , LastModifiedDateTime ]]; ")
    consent = {
        "CreationTime": ual_time(t), "Id": gid(), "Operation": "Consent to application.", "OrganizationId": ORG_ID,
        "RecordType": 8, "ResultStatus": "Success", "UserKey": MEGAN["puid"] + "@contoso.com", "UserType": 0,
        "Version": 1, "Workload": "AzureActiveDirectory", "ObjectId": MAP_SP_ID, "UserId": MEGAN["upn"],
        "AzureActiveDirectoryEventType": 1,
        "ExtendedProperties": [
            {"Name": "additionalDetails", "Value": json.dumps({"User-Agent": UA_ATK, "AppId": MAP_APP_ID},
                                                                separators=(",", ":"))},
            {"Name": "extendedAuditEventCategory", "Value": "ServicePrincipal"}],
        "ModifiedProperties": [
            {"Name": "ConsentContext.IsAdminConsent", "NewValue": "False", "OldValue": ""},
            {"Name": "ConsentContext.IsAppOnly", "NewValue": "False", "OldValue": ""},
            {"Name": "ConsentContext.OnBehalfOfAll", "NewValue": "False", "OldValue": ""},
            {"Name": "ConsentContext.Tags", "NewValue": "WindowsAzureActiveDirectoryIntegratedApp", "OldValue": ""},
            {"Name": "ConsentAction.Permissions", "NewValue": perms, "OldValue": ""},
            {"Name": "TargetId.ServicePrincipalNames", "NewValue": MAP_APP_ID, "OldValue": ""}],
        "Actor": [{"ID": MEGAN["upn"], "Type": 5}, {"ID": MEGAN["puid"], "Type": 3},
                  {"ID": "User_" + MEGAN["oid"], "Type": 2}, {"ID": MEGAN["oid"], "Type": 2}, {"ID": "User", "Type": 2}],
        "ActorContextId": ORG_ID, "InterSystemsId": gid(), "IntraSystemId": gid(), "SupportTicketId": "",
        "Target": [{"ID": "ServicePrincipal_" + MAP_SP_ID, "Type": 2}, {"ID": MAP_SP_ID, "Type": 2},
                   {"ID": "ServicePrincipal", "Type": 2}, {"ID": MAP_NAME, "Type": 1}, {"ID": MAP_APP_ID, "Type": 2}],
        "TargetContextId": ORG_ID}
    PURVIEW.append(consent)
    corr = gid()
    entra_audit(t, "Consent to application", "ApplicationManagement", "Core Directory", "Assign",
                user_actor(MEGAN, ATK),
                [{"id": MAP_SP_ID, "displayName": MAP_NAME, "type": "ServicePrincipal", "userPrincipalName": None,
                  "groupType": None,
                  "modifiedProperties": [
                      mp("ConsentContext.IsAdminConsent", None, '"False"'),
                      mp("ConsentContext.IsAppOnly", None, '"False"'),
                      mp("ConsentContext.OnBehalfOfAll", None, '"False"'),
                      mp("ConsentContext.Tags", None, '"WindowsAzureActiveDirectoryIntegratedApp"'),
                      mp("ConsentAction.Permissions", None, json.dumps(perms)),
                      mp("TargetId.ServicePrincipalNames", None, json.dumps(MAP_APP_ID))]}],
                [{"key": "User-Agent", "value": UA_ATK}, {"key": "AppId", "value": MAP_APP_ID}], corr=corr)
    entra_audit(plus(t, seconds=0), "Add delegated permission grant", "ApplicationManagement", "Core Directory",
                "Assign", user_actor(MEGAN, ATK),
                [{"id": GRAPH_SP_ID, "displayName": None, "type": "ServicePrincipal", "userPrincipalName": None,
                  "groupType": None,
                  "modifiedProperties": [mp("DelegatedPermissionGrant.Scope", None, '" Mail.ReadWrite Mail.Send offline_access"'),
                                         mp("DelegatedPermissionGrant.ConsentType", None, '"Principal"'),
                                         mp("ServicePrincipal.ObjectID", None, json.dumps(MAP_SP_ID))]}],
                [{"key": "User-Agent", "value": UA_ATK}], corr=corr)

    # 10:10 new authenticator app
    t = T("2025-03-04 10:10:28")
    entra_audit(t, "User registered security info", "UserManagement", "Authentication Methods", "Add",
                user_actor(MEGAN, ATK),
                [{"id": MEGAN["oid"], "displayName": MEGAN["name"], "type": "User", "userPrincipalName": MEGAN["upn"],
                  "groupType": None, "modifiedProperties": []}],
                [{"key": "TransactionId", "value": gid()}, {"key": "AuthenticationMethodType", "value": "AppNotificationOnly"},
                 {"key": "AuthenticationMethod", "value": "Authenticator App with Notification"}],
                reason="User registered Authenticator App with Notification", id_prefix="Authentication Methods")
    old_dev = {"DeviceName": "iPhone 15", "DeviceToken": "apns2-" + hexs(64, upper=False), "DeviceTag": "SoftwareTokenActivated",
               "PhoneAppVersion": "6.8.21", "OathTokenTimeDrift": 0, "DeviceId": "00000000-0000-0000-0000-000000000000",
               "Id": gid(), "TimeInterval": 0, "AuthenticationType": 3, "NotificationType": 2,
               "LastAuthenticatedTimestamp": "2025-03-04T08:50:21.5531009Z", "AuthenticatorFlavor": "Authenticator",
               "HashFunction": None, "TenantDeviceId": None, "SecuredPartitionId": 20012, "SecuredKeyId": 7}
    new_dev = dict(old_dev, DeviceName="SM-A546B", DeviceToken=b64u(16) + ":APA91b" + b64u(90),
                   PhoneAppVersion="6.2502.1022", Id=gid(), NotificationType=4,
                   LastAuthenticatedTimestamp="2025-03-04T10:10:30.1180377Z")
    old_v = json.dumps([old_dev], separators=(",", ":"))
    new_v = json.dumps([old_dev, new_dev], separators=(",", ":"))
    t2 = T("2025-03-04 10:10:31")
    PURVIEW.append({
        "CreationTime": ual_time(t2), "Id": gid(), "Operation": "Update user.", "OrganizationId": ORG_ID, "RecordType": 8,
        "ResultStatus": "Success", "UserKey": MEGAN["puid"] + "@contoso.com", "UserType": 0, "Version": 1,
        "Workload": "AzureActiveDirectory", "ObjectId": MEGAN["upn"], "UserId": MEGAN["upn"],
        "AzureActiveDirectoryEventType": 1,
        "ExtendedProperties": [{"Name": "additionalDetails",
                                "Value": json.dumps({"UserType": "Member", "User-Agent": UA_ATK}, separators=(",", ":"))},
                               {"Name": "extendedAuditEventCategory", "Value": "User"}],
        "ModifiedProperties": [{"Name": "StrongAuthenticationPhoneAppDetail", "NewValue": new_v, "OldValue": old_v},
                               {"Name": "Included Updated Properties", "NewValue": "StrongAuthenticationPhoneAppDetail",
                                "OldValue": ""},
                               {"Name": "TargetId.UserType", "NewValue": "Member", "OldValue": ""}],
        "Actor": [{"ID": MEGAN["upn"], "Type": 5}, {"ID": MEGAN["puid"], "Type": 3},
                  {"ID": "User_" + MEGAN["oid"], "Type": 2}, {"ID": MEGAN["oid"], "Type": 2}, {"ID": "User", "Type": 2}],
        "ActorContextId": ORG_ID, "InterSystemsId": gid(), "IntraSystemId": gid(), "SupportTicketId": "",
        "Target": [{"ID": "User_" + MEGAN["oid"], "Type": 2}, {"ID": MEGAN["oid"], "Type": 2}, {"ID": "User", "Type": 2},
                   {"ID": MEGAN["upn"], "Type": 5}, {"ID": MEGAN["puid"], "Type": 3}],
        "TargetContextId": ORG_ID})
    entra_audit(t2, "Update user", "UserManagement", "Core Directory", "Update",
                app_actor("Azure MFA StrongAuthenticationService", "25239c08-d7e3-4d24-9b41-0715c646274b"),
                [{"id": MEGAN["oid"], "displayName": None, "type": "User", "userPrincipalName": MEGAN["upn"],
                  "groupType": None,
                  "modifiedProperties": [mp("StrongAuthenticationPhoneAppDetail", old_v, new_v),
                                         mp("Included Updated Properties", None, '"StrongAuthenticationPhoneAppDetail"'),
                                         mp("TargetId.UserType", None, '"Member"')]}],
                [{"key": "UserType", "value": "Member"}])

    # 10:15 New-InboxRule "." (present in the dump)
    mpath = f"{EXO_PATH}/{MEGAN['oid']}\\"
    dot = admin_base(T("2025-03-04 10:15:30"), MEGAN, "New-InboxRule", ATK, 50412,
                     [{"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"}, {"Name": "Force", "Value": "False"},
                      {"Name": "SubjectOrBodyContainsWords", "Value": "invoice;payment;wire"},
                      {"Name": "MoveToFolder", "Value": "RSS Feeds"}, {"Name": "Name", "Value": "."},
                      {"Name": "MarkAsRead", "Value": "True"}, {"Name": "StopProcessingRules", "Value": "True"}],
                     mpath + ".", si=s77)
    PURVIEW.append(dot)
    MEGAN_RULE_ID = big_rule_id()
    NEWSLETTER_RULE_ID = big_rule_id()

    # 10:20 New-InboxRule "Sync" from IPv6 (hidden later, never removed)
    sync = admin_base(T("2025-03-04 10:20:04"), MEGAN, "New-InboxRule", ATK6, 61234,
                      [{"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"}, {"Name": "Force", "Value": "False"},
                       {"Name": "ForwardTo", "Value": "payments.collector@protonmail.example"},
                       {"Name": "DeleteMessage", "Value": "True"}, {"Name": "Name", "Value": "Sync"},
                       {"Name": "StopProcessingRules", "Value": "False"}],
                      mpath + "Sync", si=s77)
    PURVIEW.append(sync)

    # 10:25 UpdateInboxRules with empty name and provider (MAPI)
    t = T("2025-03-04 10:25:47")
    upd = mailbox_base(t, MEGAN, "UpdateInboxRules", 2, ATK, 50433, "Client=MSExchangeRPC", si=s77)
    upd["ClientProcessName"] = "MFCMAPI.exe"
    upd["ClientVersion"] = "21.2.21207.0"
    actions = json.dumps([{"ActionType": "Forward", "ActionFlavor": 0, "ActionFlags": 0,
                           "Recipients": [{"DisplayName": "payments.collector@protonmail.example",
                                           "SmtpAddress": "payments.collector@protonmail.example",
                                           "AddressType": "SMTP"}]}], separators=(",", ":"))
    upd["OperationProperties"] = [{"Name": "RuleOperation", "Value": "AddMailboxRule"},
                                  {"Name": "RuleId", "Value": "0"},
                                  {"Name": "RuleState", "Value": "Enabled"},
                                  {"Name": "RuleCondition", "Value": "{}"},
                                  {"Name": "RuleName", "Value": ""},
                                  {"Name": "RuleProvider", "Value": ""},
                                  {"Name": "RuleActions", "Value": actions}]
    upd["Item"] = {"Id": item_id(), "ParentFolder": {"Id": folder_id(MEGAN, "\\Inbox"), "Name": "Inbox", "Path": "\\Inbox"}}
    SUAL.append(upd)

    # 10:31 mailbox forwarding
    fwd = admin_base(T("2025-03-04 10:31:12"), MEGAN, "Set-Mailbox", ATK, 50502,
                     [{"Name": "Identity", "Value": f"{EXO_PATH}/{MEGAN['oid']}"},
                      {"Name": "ForwardingSmtpAddress", "Value": "smtp:megan.bowen.backup@fabrikam.example"},
                      {"Name": "DeliverToMailboxAndForward", "Value": "False"}],
                     MEGAN["oid"], si=s77)
    PURVIEW.append(fwd)
    ATTACK["overlap"] = [dot, sync, fwd]

    # 10:40-11:00 MailItemsAccessed Bind from the attacker browser and from the replay IP
    sent_ids = [m["internetMessageId"] for m in SENT_ITEMS]
    plan = [("2025-03-04 10:40:12", ATK, "\\Inbox", 45), ("2025-03-04 10:43:55", ATK, "\\Inbox", 40),
            ("2025-03-04 10:46:30", ATK, "\\Sent Items", 35), ("2025-03-04 10:49:02", REPLAY, "\\Inbox", 50),
            ("2025-03-04 10:51:40", REPLAY, "\\Archive", 40), ("2025-03-04 10:54:18", ATK, "\\Inbox", 38),
            ("2025-03-04 10:57:05", REPLAY, "\\Sent Items", 30), ("2025-03-04 10:59:50", ATK, "\\Inbox", 25)]
    ext_domains = ["fabrikam.example", "northwind.example", "tailspin.example", "litware.example", "adatum.example"]
    for ts, ip, path, n in plan:
        t = T(ts)
        items = []
        for k in range(n):
            if path == "\\Sent Items" and k < len(sent_ids):
                mid = sent_ids[k]
            elif k % 3 == 0:
                mid = outlook_msgid()
            else:
                d0 = plus(t, minutes=-rng.randrange(60, 60 * 24 * 60))
                mid = external_msgid(d0, ext_domains[k % len(ext_domains)])
            items.append({"InternetMessageId": mid, "SizeInBytes": rng.randrange(6000, 250000)})
        folders = [{"Id": folder_id(MEGAN, path), "Path": path, "FolderItems": items}]
        if ip == ATK:
            mail_items_accessed(t, MEGAN, ATK, "Client=OWA;Action=ViaProxy", "Bind", folders, si=s77,
                                app_id=OUTLOOK_REST_APP, port=rng.randrange(49152, 65535), sink=SUAL)
        else:
            ad = mail_items_accessed(t, MEGAN, REPLAY, "Client=REST;Client=RESTSystem;;", "Bind", folders, si=s77,
                                     app_id=MAP_APP_ID, sink=SUAL)
            ad["ClientIP"] = REPLAY

    # 10:48 inbound invoice mail, auto-forwarded by the hidden "Sync" rule
    t = T("2025-03-04 10:48:20")
    inbound_mail(t, "billing@fabrikam.example", "Fabrikam Billing", MEGAN, "Invoice INV-20931 - payment due")
    trace_message(plus(t, seconds=2), MEGAN["upn"], [("payments.collector@protonmail.example", "")],
                  "FW: Invoice INV-20931 - payment due", 61733, outlook_msgid())

    # 11:03 fraud reply from OWA, 11:06 hard-deleted from Sent Items
    t = T("2025-03-04 11:03:45")
    _, msgid, item = send_mail(t, MEGAN, [("ap@fabrikam.example", "Fabrikam Accounts Payable")],
                               "RE: Updated remittance details", ATK, client="owa", si=s77, sink=SUAL,
                               attachments="remittance.pdf (120433b)", in_listing=False)
    ATTACK["fraud_msgid"] = msgid
    hd = mailbox_base(T("2025-03-04 11:06:02"), MEGAN, "HardDelete", 3, ATK, rng.randrange(49152, 65535),
                      "Client=OWA;Action=ViaProxy", si=s77, app_id=OUTLOOK_REST_APP)
    hd["CrossMailboxOperation"] = False
    hd["Folder"] = {"Id": folder_id(MEGAN, "\\Sent Items"), "Path": "\\Sent Items"}
    hd["AffectedItems"] = [{"Id": item["Id"], "InternetMessageId": msgid,
                            "ParentFolder": {"Id": folder_id(MEGAN, "\\Sent Items"), "Path": "\\Sent Items"},
                            "Subject": "RE: Updated remittance details"}]
    SUAL.append(hd)

    # 11:20 legacy SMTP AUTH sign-in, 11:21 mail with no Send record and no Sent Items copy
    t = T("2025-03-04 11:20:33")
    smtp = signin(t, MEGAN, ATK, APP_EXO, RES_EXO, "", "Authenticated SMTP", True, DEV_SMTP,
                  risk=("medium", "atRisk", ["unfamiliarFeatures"]),
                  auth_steps=[step(t, "Password", True, "Correct password")])
    ATTACK["smtp"] = smtp
    t = T("2025-03-04 11:21:07")
    smtp_id = f"<{int(t.timestamp() * 100)}.{rng.randrange(1000, 9999)}.{rng.getrandbits(60)}@WIN-7Q2K9LM3>"
    trace_message(t, MEGAN["upn"], [("finance@northwind.example", "Northwind Finance")],
                  "Urgent: wire transfer - new bank details", 14882, smtp_id, from_ip=ATK)
    ATTACK["smtp_msgid"] = smtp_id

    # 11:30 signature change
    sig_old = ('<div style="font-family:Calibri,sans-serif;font-size:11pt">Megan Bowen<br>Finance Manager | Contoso'
               '<br>Tel: +1 425 555 0143</div>')
    sig_new = ('<div style="font-family:Calibri,sans-serif;font-size:11pt">Megan Bowen<br>Finance Manager | Contoso'
               '<br>Tel: +1 646 555 0198 (direct, travelling)<br>Please call this number to confirm any change of '
               'bank details.</div>')
    ATTACK["sig_old"] = sig_old
    PURVIEW.append(admin_base(T("2025-03-04 11:30:18"), MEGAN, "Set-MailboxMessageConfiguration", ATK, 50619,
                              [{"Name": "Identity", "Value": f"{EXO_PATH}/{MEGAN['oid']}"},
                               {"Name": "SignatureHtml", "Value": sig_new},
                               {"Name": "AutoAddSignature", "Value": "True"},
                               {"Name": "AutoAddSignatureOnReply", "Value": "True"}],
                              MEGAN["oid"], si=s77))

    # 11:33 the attacker shares the Inbox with everyone in the tenant (Default = Reviewer), a way
    # back in after a password reset; 11:36 tries to switch off auditing of the mailbox, which a
    # regular user may not do: the audit log keeps the failed attempt.
    PURVIEW.append(admin_base(T("2025-03-04 11:33:02"), MEGAN, "Add-MailboxFolderPermission", ATK, 50633,
                              [{"Name": "Identity", "Value": f"{MEGAN['upn']}:\\Inbox"},
                               {"Name": "User", "Value": "Default"},
                               {"Name": "AccessRights", "Value": "Reviewer"}],
                              f"{MEGAN['upn']}:\\Inbox", si=s77))
    tamper = admin_base(T("2025-03-04 11:36:40"), MEGAN, "Set-Mailbox", ATK, 50641,
                        [{"Name": "Identity", "Value": MEGAN["upn"]},
                         {"Name": "AuditEnabled", "Value": "False"}],
                        f"{EXO_PATH}/{MEGAN['oid']}", si=s77)
    tamper["ResultStatus"] = "False"
    PURVIEW.append(tamper)

    # megan's phone keeps syncing from New York (interleaved with the attacker)
    nyn = signin(T("2025-03-04 12:01:17"), MEGAN, NYC, APP_OUTLOOK_MOBILE, RES_EXO, UA_IPHONE,
                 "Mobile Apps and Desktop clients", False, MEGAN["iphone"], incoming="refreshToken",
                 auth_req="multiFactorAuthentication", ca="success", mfa_claim=True, session=ny["sessionId"])
    mail_items_accessed(T("2025-03-04 12:01:40"), MEGAN, NYC, "Client=OutlookService;Outlook-iOS/2.0;", "Sync",
                        [{"Id": folder_id(MEGAN, "\\Inbox"), "Path": "\\Inbox"}], si=nyn,
                        app_id=APP_OUTLOOK_MOBILE[0], sink=SUAL)

    # 11:45 patti from the attacker IP
    t = T("2025-03-04 11:45:09")
    pat = signin(t, PATTI, ATK, APP_OWA, RES_EXO, UA_ATK, "Browser", True, DEV_NONE,
                 auth_req="multiFactorAuthentication", risk=("low", "atRisk", ["unfamiliarFeatures"]), ca="success",
                 auth_steps=[step(t, "Password", True, "Correct password"),
                             step(t, "Mobile app notification", True, "MFA successfully completed",
                                  req="secondaryAuthentication")])
    ual_sts(pat)
    ATTACK["patti"] = pat

    # 14:00 containment by it.admin from the office
    t = T("2025-03-04 14:00:05")
    ATTACK["containment"] = t
    PURVIEW.append(aad_admin(t, "Reset user password.", ADMIN, MEGAN, [],
                             {"UserType": "Member", "User-Agent": UA_EDGE}))
    entra_audit(t, "Reset user password", "UserManagement", "Core Directory", "Update",
                user_actor(ADMIN, OFFICE),
                [{"id": MEGAN["oid"], "displayName": None, "type": "User", "userPrincipalName": MEGAN["upn"],
                  "groupType": None, "modifiedProperties": []}],
                [{"key": "User-Agent", "value": UA_EDGE}])
    t = T("2025-03-04 14:00:40")
    sts_mp = [{"Name": "StsRefreshTokensValidFrom", "NewValue": '[\r\n  "2025-03-04T14:00:40Z"\r\n]',
               "OldValue": '[\r\n  "2024-11-18T16:02:11Z"\r\n]'},
              {"Name": "Included Updated Properties", "NewValue": "StsRefreshTokensValidFrom", "OldValue": ""}]
    PURVIEW.append(aad_admin(t, "Update StsRefreshTokenValidFrom Timestamp.", ADMIN, MEGAN, sts_mp,
                             {"UserType": "Member", "User-Agent": UA_EDGE}))
    entra_audit(t, "Update StsRefreshTokenValidFrom Timestamp", "UserManagement", "Core Directory", "Update",
                user_actor(ADMIN, OFFICE),
                [{"id": MEGAN["oid"], "displayName": None, "type": "User", "userPrincipalName": MEGAN["upn"],
                  "groupType": None,
                  "modifiedProperties": [mp("StsRefreshTokensValidFrom", '["2024-11-18T16:02:11Z"]',
                                            '["2025-03-04T14:00:40Z"]'),
                                         mp("Included Updated Properties", None, '"StsRefreshTokensValidFrom"')]}],
                [{"key": "User-Agent", "value": UA_EDGE}])
    PURVIEW.append(admin_base(T("2025-03-04 14:02:19"), ADMIN, "Set-Mailbox", OFFICE, 52311,
                              [{"Name": "Identity", "Value": MEGAN["upn"]},
                               {"Name": "ForwardingSmtpAddress", "Value": ""}],
                              MEGAN["oid"], app_id=EXO_PS_APP, user_type=2))
    PURVIEW.append(admin_base(T("2025-03-04 14:03:02"), ADMIN, "Remove-InboxRule", OFFICE, 52311,
                              [{"Name": "Identity", "Value": f"megan.bowen\\{MEGAN_RULE_ID}"},
                               {"Name": "Confirm", "Value": "False"}],
                              mpath + ".", app_id=EXO_PS_APP, user_type=2))

    # after revocation: attacker refresh tokens fail, megan signs in again from New York
    signin(T("2025-03-04 14:15:26"), MEGAN, ATK, APP_OWA, RES_EXO, UA_ATK, "Browser", False, DEV_NONE,
           error=50133, reason="Session is invalid due to expiration or recent password change.",
           session=s77["sessionId"], incoming="refreshToken", risk=("medium", "atRisk", []))
    signin(T("2025-03-04 14:47:03"), MEGAN, ATK, APP_OWA, RES_EXO, UA_ATK, "Browser", False, DEV_NONE,
           error=50173, reason="The provided grant has expired due to it being revoked, a fresh auth token is needed.",
           session=s77["sessionId"], incoming="refreshToken", risk=("medium", "atRisk", []))
    t = T("2025-03-04 14:35:48")
    back = signin(t, MEGAN, NYC, APP_OUTLOOK_MOBILE, RES_EXO, UA_IPHONE, "Mobile Apps and Desktop clients", True,
                  MEGAN["iphone"], auth_req="multiFactorAuthentication", ca="success",
                  auth_steps=[step(t, "Password", True, "Correct password"),
                              step(t, "Mobile app notification", True, "MFA successfully completed",
                                   req="secondaryAuthentication")])
    ual_sts(back)
    mail_items_accessed(T("2025-03-04 14:37:15"), MEGAN, NYC, "Client=OutlookService;Outlook-iOS/2.0;", "Sync",
                        [{"Id": folder_id(MEGAN, "\\Inbox"), "Path": "\\Inbox"}], si=back,
                        app_id=APP_OUTLOOK_MOBILE[0], sink=SUAL)

    # the overlap: the Search-UnifiedAuditLog export also returned megan's own admin records
    for ad in ATTACK["overlap"]:
        SUAL.append(ad)


def aad_admin(t, op, actor, target, modified, details):
    return {"CreationTime": ual_time(t), "Id": gid(), "Operation": op, "OrganizationId": ORG_ID, "RecordType": 8,
            "ResultStatus": "Success", "UserKey": actor["puid"] + "@contoso.com", "UserType": 0, "Version": 1,
            "Workload": "AzureActiveDirectory", "ObjectId": target["upn"], "UserId": actor["upn"],
            "AzureActiveDirectoryEventType": 1,
            "ExtendedProperties": [{"Name": "additionalDetails", "Value": json.dumps(details, separators=(",", ":"))},
                                   {"Name": "extendedAuditEventCategory", "Value": "User"}],
            "ModifiedProperties": modified,
            "Actor": [{"ID": actor["upn"], "Type": 5}, {"ID": actor["puid"], "Type": 3},
                      {"ID": "User_" + actor["oid"], "Type": 2}, {"ID": actor["oid"], "Type": 2},
                      {"ID": "User", "Type": 2}],
            "ActorContextId": ORG_ID, "InterSystemsId": gid(), "IntraSystemId": gid(), "SupportTicketId": "",
            "Target": [{"ID": "User_" + target["oid"], "Type": 2}, {"ID": target["oid"], "Type": 2},
                       {"ID": "User", "Type": 2}, {"ID": target["upn"], "Type": 5}, {"ID": target["puid"], "Type": 3}],
            "TargetContextId": ORG_ID}


# --------------------------------------------------------------------------------------------
# Entra directory audit
# --------------------------------------------------------------------------------------------


def mp(name, old, new):
    return {"displayName": name, "oldValue": old, "newValue": new}


def user_actor(user, ip):
    return {"app": None, "user": {"id": user["oid"], "displayName": None, "userPrincipalName": user["upn"],
                                  "ipAddress": ip, "userType": None, "homeTenantId": None, "homeTenantName": None}}


def app_actor(name, spid):
    return {"user": None, "app": {"appId": None, "displayName": name, "servicePrincipalId": spid,
                                  "servicePrincipalName": None}}


def entra_audit(t, activity, category, service, optype, initiated, targets, details, reason="", corr=None,
                id_prefix="Directory"):
    corr = corr or gid()
    frac = "%07d" % rng.randrange(10**7)
    ENTRA_AUDIT.append({
        "id": f"{id_prefix}_{corr}_{hexs(5)}_{rng.randrange(10**6, 10**9)}",
        "category": category,
        "correlationId": corr,
        "result": "success",
        "resultReason": reason,
        "activityDisplayName": activity,
        "activityDateTime": t.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac + "Z" if service == "Core Directory" else "Z"),
        "loggedByService": service,
        "operationType": optype,
        "initiatedBy": initiated,
        "targetResources": targets,
        "additionalDetails": details,
    })


def generate_entra_noise():
    grp = gid()
    entra_audit(T("2025-03-03 17:12:40"), "Add member to group", "GroupManagement", "Core Directory", "Assign",
                user_actor(ADMIN, OFFICE),
                [{"id": USERS["miriam.graham"]["oid"], "displayName": None, "type": "User",
                  "userPrincipalName": USERS["miriam.graham"]["upn"], "groupType": None,
                  "modifiedProperties": [mp("Group.ObjectID", None, json.dumps(grp)),
                                         mp("Group.DisplayName", None, '"Marketing Team"')]},
                 {"id": grp, "displayName": None, "type": "Group", "userPrincipalName": None, "groupType": "unifiedGroups",
                  "modifiedProperties": []}],
                [{"key": "User-Agent", "value": UA_EDGE}])
    entra_audit(T("2025-03-03 17:13:02"), "Update group", "GroupManagement", "Core Directory", "Update",
                user_actor(ADMIN, OFFICE),
                [{"id": grp, "displayName": "Marketing Team", "type": "Group", "userPrincipalName": None,
                  "groupType": "unifiedGroups",
                  "modifiedProperties": [mp("Description", '["Marketing"]', '["Marketing team and agencies"]'),
                                         mp("Included Updated Properties", None, '"Description"')]}],
                [{"key": "User-Agent", "value": UA_EDGE}])
    entra_audit(T("2025-03-01 02:14:55"), "Update device", "Device", "Core Directory", "Update",
                app_actor("Device Registration Service", "a7d5c5b9-0a0c-4d3c-9c6c-0e7f0b2a6e11"),
                [{"id": gid(), "displayName": USERS["lee.gu"]["laptop"]["displayName"], "type": "Device",
                  "userPrincipalName": None, "groupType": None,
                  "modifiedProperties": [mp("ApproximateLastLogonTimestamp", '["2025-02-14T17:02:31Z"]',
                                            '["2025-03-01T02:14:55Z"]'),
                                         mp("Included Updated Properties", None, '"ApproximateLastLogonTimestamp"')]}],
                [])


# --------------------------------------------------------------------------------------------
# inbox rules (Format-List text and ConvertTo-Json)
# --------------------------------------------------------------------------------------------

RULE_PROPS = ["RunspaceId", "Description", "Enabled", "Identity", "InError", "ErrorType", "Name", "Priority",
              "RuleIdentity", "SupportedByTask", "Legacy", "BodyContainsWords", "ExceptIfBodyContainsWords",
              "FlaggedForAction", "ExceptIfFlaggedForAction", "FromAddressContainsWords",
              "ExceptIfFromAddressContainsWords", "From", "ExceptIfFrom", "HasAttachment", "ExceptIfHasAttachment",
              "HasClassification", "ExceptIfHasClassification", "HeaderContainsWords", "ExceptIfHeaderContainsWords",
              "MessageTypeMatches", "ExceptIfMessageTypeMatches", "MyNameInCcBox", "ExceptIfMyNameInCcBox",
              "MyNameInToBox", "ExceptIfMyNameInToBox", "MyNameInToOrCcBox", "ExceptIfMyNameInToOrCcBox",
              "MyNameNotInToBox", "ExceptIfMyNameNotInToBox", "ReceivedAfterDate", "ExceptIfReceivedAfterDate",
              "ReceivedBeforeDate", "ExceptIfReceivedBeforeDate", "RecipientAddressContainsWords",
              "ExceptIfRecipientAddressContainsWords", "SentOnlyToMe", "ExceptIfSentOnlyToMe", "SentTo",
              "ExceptIfSentTo", "SubjectContainsWords", "ExceptIfSubjectContainsWords", "SubjectOrBodyContainsWords",
              "ExceptIfSubjectOrBodyContainsWords", "WithImportance", "ExceptIfWithImportance",
              "WithinSizeRangeMaximum", "ExceptIfWithinSizeRangeMaximum", "WithinSizeRangeMinimum",
              "ExceptIfWithinSizeRangeMinimum", "WithSensitivity", "ExceptIfWithSensitivity", "ApplyCategory",
              "ApplySystemCategory", "CopyToFolder", "DeleteMessage", "DeleteSystemCategory", "ForwardAsAttachmentTo",
              "ForwardTo", "MarkAsRead", "MarkImportance", "MoveToFolder", "PinMessage", "RedirectTo",
              "SendTextMessageNotificationTo", "SoftDeleteMessage", "StopProcessingRules", "MailboxOwnerId",
              "IsValid", "ObjectState"]
WORD_LISTS = {"BodyContainsWords", "ExceptIfBodyContainsWords", "FromAddressContainsWords",
              "ExceptIfFromAddressContainsWords", "HeaderContainsWords", "ExceptIfHeaderContainsWords",
              "RecipientAddressContainsWords", "ExceptIfRecipientAddressContainsWords", "SubjectContainsWords",
              "ExceptIfSubjectContainsWords", "SubjectOrBodyContainsWords", "ExceptIfSubjectOrBodyContainsWords",
              "ApplyCategory", "ApplySystemCategory", "DeleteSystemCategory", "SendTextMessageNotificationTo"}
BOOLS = {"HasAttachment", "ExceptIfHasAttachment", "MyNameInCcBox", "ExceptIfMyNameInCcBox", "MyNameInToBox",
         "ExceptIfMyNameInToBox", "MyNameInToOrCcBox", "ExceptIfMyNameInToOrCcBox", "MyNameNotInToBox",
         "ExceptIfMyNameNotInToBox", "SentOnlyToMe", "ExceptIfSentOnlyToMe", "DeleteMessage", "MarkAsRead",
         "PinMessage", "SoftDeleteMessage", "StopProcessingRules"}


def inbox_rule(runspace, owner, name, priority, rule_id, description, enabled=True, supported=True, **props):
    r = {}
    for p in RULE_PROPS:
        if p in WORD_LISTS:
            r[p] = []
        elif p in BOOLS:
            r[p] = False
        else:
            r[p] = None
    r.update({"RunspaceId": runspace, "Description": description, "Enabled": enabled,
              "Identity": f"{owner}\\{rule_id}", "InError": False, "ErrorType": "None", "Name": name,
              "Priority": priority, "RuleIdentity": rule_id, "SupportedByTask": supported,
              "MailboxOwnerId": owner, "IsValid": True, "ObjectState": "Unchanged"})
    r.update(props)
    return r


def ex_recipient(user):
    return f'"{user["name"]}" [EX:{EXDN}{user["exdn_cn"]}]'


def fl_value(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, list):
        shown = v[:4]
        return "{" + ", ".join(shown) + ("..." if len(v) > 4 else "") + "}"
    return str(v)


def wrap(line, width):
    """PowerShell list view word-wraps each value line at the column width."""
    if len(line) <= width:
        return [line]
    out, cur = [], ""
    for word in line.split(" "):
        cand = word if not cur else cur + " " + word
        if len(cand) <= width:
            cur = cand
        else:
            if cur:
                out.append(cur)
            while len(word) > width:
                out.append(word[:width])
                word = word[width:]
            cur = word
    out.append(cur)
    return out


def format_list(rules, width=120):
    label = max(len(p) for p in RULE_PROPS)
    col = label + 3
    vwidth = width - col - 1
    blocks = []
    for r in rules:
        lines = []
        for p in RULE_PROPS:
            text = fl_value(r[p])
            head = p.ljust(label) + " :"
            if text == "":
                lines.append(head)
                continue
            pieces = []
            for sub in text.split("\r\n"):
                pieces.extend(wrap(sub, vwidth))
            lines.append(head + " " + pieces[0])
            for piece in pieces[1:]:
                lines.append(" " * col + piece)
        blocks.append(lines)
    out = ["", ""]
    for i, b in enumerate(blocks):
        if i:
            out.append("")
        out.extend(b)
    out.extend(["", "", ""])
    return "\r\n".join(out)


def generate_inbox_rules():
    rs = gid()
    owner = "megan.bowen"
    megan_rules = [
        inbox_rule(rs, owner, "Junk E-mail Rule", 0, JUNK_RULE_ID, "", supported=False),
        inbox_rule(rs, owner, ".", 1, MEGAN_RULE_ID,
                   "If the message:\r\n\tthe message includes specific words in the subject or body 'invoice' or "
                   "'payment' or 'wire'\r\nTake the following actions:\r\n\tmove the message to folder 'RSS Feeds'\r\n"
                   "\t and mark the message as read\r\n\t and stop processing more rules on this message\r\n",
                   SubjectOrBodyContainsWords=["invoice", "payment", "wire"], MoveToFolder=owner + ":\\RSS Feeds",
                   MarkAsRead=True, StopProcessingRules=True),
        inbox_rule(rs, owner, "Newsletters", 2, NEWSLETTER_RULE_ID,
                   "If the message:\r\n\tthe message was received from 'Northwind Traders News'\r\n"
                   "Take the following actions:\r\n\tmove the message to folder 'Newsletters'\r\n"
                   "\t and stop processing more rules on this message\r\n",
                   From=['"Northwind Traders News" [SMTP:news@northwind.example]'],
                   MoveToFolder=owner + ":\\Newsletters", StopProcessingRules=True),
    ]
    text = format_list(megan_rules)
    (CASE / "mailbox").mkdir(parents=True, exist_ok=True)
    (CASE / "mailbox" / "InboxRules_megan.bowen.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))

    rs2 = gid()
    others = [
        inbox_rule(rs2, "lynne.robbins", "Forward to assistant", 0, big_rule_id(),
                   "If the message:\r\n\tis of the message type 'Calendaring'\r\nTake the following actions:\r\n"
                   "\tforward the message to 'Alex Wilber'\r\n",
                   MessageTypeMatches="Calendaring", ForwardTo=[ex_recipient(ALEX)]),
        inbox_rule(rs2, "lynne.robbins", "Invoices", 1, big_rule_id(),
                   "If the message:\r\n\tthe message includes specific words in the subject 'invoice'\r\n"
                   "Take the following actions:\r\n\tmove the message to folder 'Invoices'\r\n"
                   "\t and stop processing more rules on this message\r\n",
                   SubjectContainsWords=["invoice"], MoveToFolder="lynne.robbins:\\Invoices", StopProcessingRules=True),
        inbox_rule(rs2, "joni.sherman", "Northwind legal", 0, big_rule_id(),
                   "If the message:\r\n\tthe message was received from 'Northwind Legal'\r\n"
                   "Take the following actions:\r\n\tmove the message to folder 'Contracts'\r\n",
                   From=['"Northwind Legal" [SMTP:legal@northwind.example]'], MoveToFolder="joni.sherman:\\Contracts"),
        inbox_rule(rs2, "it.admin", "Monitoring alerts", 0, big_rule_id(),
                   "If the message:\r\n\tthe message was received from 'Contoso Monitoring'\r\n"
                   "Take the following actions:\r\n\tmove the message to folder 'Alerts'\r\n"
                   "\t and stop processing more rules on this message\r\n",
                   From=['"Contoso Monitoring" [SMTP:monitoring@contoso.com]'], MoveToFolder="it.admin:\\Alerts",
                   StopProcessingRules=True),
        inbox_rule(rs2, "alex.wilber", "Travel", 0, big_rule_id(),
                   "If the message:\r\n\tthe message was received from 'Contoso Travel Desk'\r\n"
                   "Take the following actions:\r\n\tmove the message to folder 'Travel'\r\n",
                   From=[ex_recipient({"name": "Contoso Travel Desk", "exdn_cn": hexs(32, upper=False) + "-travel"})],
                   MoveToFolder="alex.wilber:\\Travel"),
    ]
    text = json.dumps(others, indent=2, ensure_ascii=False).replace("\n", "\r\n")
    (CASE / "mailbox" / "InboxRules_all.json").write_bytes(text.encode("utf-8"))
    return len(megan_rules), len(others)


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------


def q(v):
    return '"' + str(v).replace('"', '""') + '"'


def q_min(v):
    s = str(v)
    if any(c in s for c in ',"\r\n'):
        return q(s)
    return s


def write_purview(path, records):
    lines = ["RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames"]
    for ad in records:
        t = dt.datetime.strptime(ad["CreationTime"], "%Y-%m-%dT%H:%M:%S")
        lines.append(",".join([ad["Id"], q(purview_date(t)), str(ad["RecordType"]), q_min(ad["Operation"]),
                               q_min(ad["UserId"]), q(ual_json(ad)), "", ""]))
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return len(records)


RECORD_TYPE_NAMES = {1: "ExchangeAdmin", 2: "ExchangeItem", 3: "ExchangeItemGroup", 6: "SharePointFileOperation",
                     8: "AzureActiveDirectory", 15: "AzureActiveDirectoryStsLogon", 50: "ExchangeItemAggregated"}


def write_sual(path, records):
    runspace = gid()
    header = ["RunspaceId", "RecordType", "CreationDate", "UserIds", "Operations", "AuditData", "ResultIndex",
              "ResultCount", "Identity", "IsValid", "ObjectState"]
    lines = [",".join(q(h) for h in header)]
    for i, ad in enumerate(records, 1):
        t = dt.datetime.strptime(ad["CreationTime"], "%Y-%m-%dT%H:%M:%S")
        row = [runspace, RECORD_TYPE_NAMES[ad["RecordType"]], en_us(t), ad["UserId"], ad["Operation"], ual_json(ad),
               str(i), str(len(records)), ad["Id"], "True", "Unchanged"]
        lines.append(",".join(q(v) for v in row))
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return len(records)


def public_signin(si):
    return {k: v for k, v in si.items() if not k.startswith("_")}


def write_signins_json(path, records):
    body = "[" + ",\n".join(json.dumps(public_signin(r), separators=(",", ":"), ensure_ascii=False)
                            for r in records) + "]"
    path.write_bytes(body.encode("utf-8"))
    return len(records)


SIGNIN_CSV_HEADER = ["Date (UTC)", "Request ID", "User agent", "Correlation ID", "User ID", "User", "Username",
                     "User type", "Cross tenant access type", "Incoming token type", "Authentication Protocol",
                     "Unique token identifier", "Original transfer method", "Client credential type",
                     "Token Protection - Sign In Session", "Token Protection - Sign In Session StatusCode",
                     "Application", "Application ID ", "App owner tenant ID", "Resource", "Resource ID ",
                     "Resource tenant ID", "Resource owner tenant ID", "Home tenant ID", "Home tenant name",
                     "IP address", "Location", "Status", "Sign-in error code", "Failure reason", "Client app",
                     "Device ID", "Browser", "Operating System", "Compliant", "Managed", "Join Type",
                     "Multifactor authentication result", "Multifactor authentication auth method",
                     "Multifactor authentication auth detail", "Authentication requirement", "Sign-in identifier",
                     "Session ID", "IP address (seen by resource)", "Through Global Secure Access",
                     "Global Secure Access IP address", "Autonomous system  number", "Flagged for review",
                     "Token issuer type", "Incoming token type", "Token issuer name", "Latency",
                     "Conditional Access", "Managed Identity type", "Associated Resource Id", "Federated Token Id",
                     "Federated Token Issuer"]
TOKEN_DISPLAY = {"none": "None", "refreshToken": "Refresh token", "primaryRefreshToken": "Primary refresh token"}
AUTHREQ_DISPLAY = {"singleFactorAuthentication": "Single-factor authentication",
                   "multiFactorAuthentication": "Multifactor authentication"}
CA_DISPLAY = {"notApplied": "Not Applied", "success": "Success", "failure": "Failure"}


def signin_csv_row(si):
    loc = si["location"]
    dev = si["deviceDetail"]
    ok = si["status"]["errorCode"] == 0
    return [si["createdDateTime"], si["id"], si["userAgent"], si["correlationId"], si["userId"],
            si["userDisplayName"], si["userPrincipalName"], si["userType"], si["crossTenantAccessType"],
            si["incomingTokenType"], si["authenticationProtocol"], si["uniqueTokenIdentifier"], "none", "none",
            "unbound", "", si["appDisplayName"], si["appId"], MSFT_TENANT, si["resourceDisplayName"],
            si["resourceId"], ORG_ID, MSFT_TENANT, ORG_ID, "", si["ipAddress"],
            f"{loc['city']}, {loc['state']}, {loc['countryOrRegion']}", "Success" if ok else "Failure",
            "" if ok else str(si["status"]["errorCode"]), si["status"]["failureReason"], si["clientAppUsed"],
            dev["deviceId"], dev["browser"], dev["operatingSystem"], "true" if dev["isCompliant"] else "false",
            "true" if dev["isManaged"] else "false", dev["trustType"],
            "MFA requirement satisfied by claim in the token" if si["_mfa_claim"] else "", "", "",
            AUTHREQ_DISPLAY[si["authenticationRequirement"]], "", si["sessionId"], "", "false", "",
            str(si["autonomousSystemNumber"]), "false", "Microsoft Entra ID", TOKEN_DISPLAY[si["incomingTokenType"]],
            "", str(si["processingTimeInMilliseconds"]), CA_DISPLAY[si["conditionalAccessStatus"]], "None", "", "", ""]


def write_signins_csv(path, records):
    lines = [",".join(q(h) for h in SIGNIN_CSV_HEADER)]
    for si in records:
        lines.append(",".join(q(v) for v in signin_csv_row(si)))
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return len(records)


def write_trace(path):
    header = ["Organization", "MessageId", "Received", "SenderAddress", "RecipientAddress", "Subject", "Status",
              "ToIP", "FromIP", "Size", "MessageTraceId", "StartDate", "EndDate", "Index"]
    lines = [",".join(q(h) for h in header)]
    msgs = sorted(TRACE, key=lambda m: (m["t"], m["msgid"]), reverse=True)
    idx = 0
    for m in msgs:
        for addr, status, to_ip in m["rows"]:
            row = [ONMS, m["msgid"], en_us(m["t"]), m["sender"], addr, m["subject"], status, to_ip, m["from_ip"],
                   str(m["size"]), m["trace_id"], "2/24/2025 12:00:00 AM", "3/5/2025 11:59:59 PM", str(idx)]
            lines.append(",".join(q(v) for v in row))
            idx += 1
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return idx


def write_mailboxes(path):
    header = ["DisplayName", "UserPrincipalName", "PrimarySMTPAddress", "ForwardingSMTPAddress", "ForwardingAddress",
              "DeliverToMailboxAndForward", "WhenChangedUTC"]
    lines = [",".join(q(h) for h in header)]
    n = 0
    for alias, u in USERS.items():
        if u is MEGAN:
            fwd, changed = "smtp:megan.bowen.backup@fabrikam.example", T("2025-03-04 10:31:12")
        else:
            fwd = ""
            changed = T("2025-01-01 00:00:00") + dt.timedelta(days=rng.randrange(10, 60), seconds=rng.randrange(86400))
        lines.append(",".join(q(v) for v in [u["name"], u["upn"], u["upn"], fwd, "", "False", en_us(changed)]))
        n += 1
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return n


def write_sent_items(path):
    items = sorted(SENT_ITEMS, key=lambda m: m["sentDateTime"], reverse=True)
    for i, m in enumerate(items):
        if i % 3 == 1:
            m["internetMessageId"] = m["internetMessageId"].strip("<>")
    doc = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('megan.bowen%40contoso.com')"
                             "/mailFolders('sentitems')/messages",
           "value": items}
    path.write_bytes(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return len(items)


def write_entra_audit(path):
    recs = sorted(ENTRA_AUDIT, key=lambda r: r["activityDateTime"], reverse=True)
    path.write_bytes(json.dumps(recs, indent=2, ensure_ascii=False).encode("utf-8"))
    return len(recs)


def sort_desc(records):
    return sorted(records, key=lambda ad: (ad["CreationTime"], ad["Id"]), reverse=True)


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def main():
    if CASE.exists():
        shutil.rmtree(CASE)
    for sub in ("ual", "signins", "mailbox", "messagetrace", "sentitems", "entra"):
        (CASE / sub).mkdir(parents=True)

    generate_baseline()
    generate_sharepoint()
    generate_baseline_mail()
    generate_lynne_rules()
    generate_system_noise()
    generate_entra_noise()
    generate_attack()

    counts = {}
    counts["ual/Audit_2025-02-01_2025-03-05.csv"] = write_purview(
        CASE / "ual" / "Audit_2025-02-01_2025-03-05.csv", sort_desc(PURVIEW))
    counts["ual/Search-UnifiedAuditLog_megan.csv"] = write_sual(
        CASE / "ual" / "Search-UnifiedAuditLog_megan.csv", sort_desc(SUAL))
    counts["signins/InteractiveSignIns_2025-02-01_2025-03-05.json"] = write_signins_json(
        CASE / "signins" / "InteractiveSignIns_2025-02-01_2025-03-05.json",
        sorted(SIGNIN_I, key=lambda s: (s["createdDateTime"], s["id"]), reverse=True))
    counts["signins/NonInteractiveSignIns_2025-02-01_2025-03-05.csv"] = write_signins_csv(
        CASE / "signins" / "NonInteractiveSignIns_2025-02-01_2025-03-05.csv",
        sorted(SIGNIN_N, key=lambda s: (s["createdDateTime"], s["id"]), reverse=True))
    n_fl, n_json = generate_inbox_rules()
    counts["mailbox/InboxRules_megan.bowen.txt"] = n_fl
    counts["mailbox/InboxRules_all.json"] = n_json
    counts["mailbox/Mailboxes.csv"] = write_mailboxes(CASE / "mailbox" / "Mailboxes.csv")
    counts["messagetrace/MessageTrace_2025-02-24_2025-03-05.csv"] = write_trace(
        CASE / "messagetrace" / "MessageTrace_2025-02-24_2025-03-05.csv")
    counts["sentitems/megan.bowen_SentItems.json"] = write_sent_items(CASE / "sentitems" / "megan.bowen_SentItems.json")
    counts["entra/AuditLogs_2025-03-01_2025-03-05.json"] = write_entra_audit(
        CASE / "entra" / "AuditLogs_2025-03-01_2025-03-05.json")

    write_truth(counts)


def write_truth(counts):
    megan = "megan.bowen@contoso.com"
    accounts = {}
    for alias, u in USERS.items():
        accounts[u["upn"]] = {"verdict": "clean"}
        if alias in SPRAY_TARGETS and u is not MEGAN and u is not PATTI:
            accounts[u["upn"]]["note"] = "password-spray target from 203.0.113.140: failed attempts only"
    accounts[megan] = {
        "verdict": "compromised",
        "window_start": iso_z(ATTACK["first_indicator"]),
        "window_start_event": "UserLoginFailed / sign-in 50126 from the spray IP 203.0.113.140",
        "window_end": iso_z(ATTACK["containment"]),
        "window_end_event": "Reset user password. by it.admin@contoso.com from 198.51.100.10",
        "attacker_ips": [SPRAY, ATK, ATK6, REPLAY],
        "attacker_user_agents": [UA_SPRAY, UA_ATK],
        "attacker_session_ids": [ATTACK["s77"]["sessionId"]],
    }
    accounts[PATTI["upn"]] = {"verdict": "suspicious", "shared_indicators": [ATK],
                              "note": "successful sign-in from the attacker IP at 11:45; also a spray target"}

    def f(rule, user, note):
        return {"rule": rule, "user": user, "note": note}

    must_fire = [
        f("signin.password-spray", megan, "203.0.113.140 fails (50126 / UserLoginFailed) against 10 accounts 09:40-09:55"),
        f("signin.brute-force-success", megan, "success for megan from the spray IP 203.0.113.140 at 09:56:30"),
        f("signin.mfa-fatigue", megan, "three 500121 MFA denials from 203.0.113.77 at 09:51-09:54, then success 09:57"),
        f("signin.impossible-travel", megan, "New York 08:50 -> Lagos 09:57 (~8,400 km in 67 min)"),
        f("signin.new-country", megan, "first sign-ins from NG (203.0.113.77, 2001:db8:4f::17) and DE (203.0.113.140)"),
        f("signin.new-ip", megan, "203.0.113.77 and 203.0.113.140 never seen in the baseline"),
        f("signin.suspicious-user-agent", megan, "successful sign-in with python-requests/2.31.0"),
        f("signin.legacy-auth", megan, "Authenticated SMTP success from 203.0.113.77 at 11:20"),
        f("signin.risky", megan, "riskLevelDuringSignIn high/medium on the attacker sign-ins"),
        f("signin.unseen-ip-mailbox-access", megan, "MailItemsAccessed from 198.51.100.23, which appears in no sign-in"),
        f("persistence.app-consent", megan, "consent to 'Mail Archiver Pro' (Mail.ReadWrite Mail.Send offline_access)"),
        f("persistence.mfa-method", megan, "'User registered security info' from 203.0.113.77 + 'Update user.' StrongAuthenticationPhoneAppDetail"),
        f("inbox_rule.suspicious-name", megan, "rule named '.'"),
        f("inbox_rule.hiding-folder", megan, "rule '.' moves to RSS Feeds"),
        f("inbox_rule.delete-or-mark-read", megan, "'.' marks read; 'Sync' deletes"),
        f("inbox_rule.keyword-filter", megan, "'.' filters invoice;payment;wire"),
        f("inbox_rule.hidden", megan, "'Sync' (New-InboxRule 10:20) and the nameless UpdateInboxRules rule (10:25) are missing from the Get-InboxRule dump and were never removed"),
        f("forwarding.inbox-rule", megan, "'Sync' ForwardTo payments.collector@protonmail.example with DeleteMessage; UpdateInboxRules forward action"),
        f("forwarding.mailbox-smtp", megan, "Set-Mailbox ForwardingSmtpAddress smtp:megan.bowen.backup@fabrikam.example, DeliverToMailboxAndForward False (UAL 10:31 and Mailboxes.csv)"),
        f("mailbox.items-accessed", megan, "~300 items bound 10:40-11:00 from 203.0.113.77 and 198.51.100.23"),
        f("sent_items.deleted", megan, "'RE: Updated remittance details' sent 11:03, HardDelete 11:06, absent from Sent Items"),
        f("sent_items.missing", megan, "11:21 'Urgent: wire transfer - new bank details' to finance@northwind.example in the trace, no Send record, not in Sent Items (SMTP AUTH); also the 10:48 rule auto-forward to protonmail.example"),
        f("sent_items.scam-subject", megan, "'Urgent: wire transfer - new bank details', 'RE: Updated remittance details'"),
        f("persistence.signature-change", megan, "Set-MailboxMessageConfiguration SignatureHtml with a new phone number from 203.0.113.77"),
        f("mailbox.permission", megan, "Add-MailboxFolderPermission megan:\\Inbox Default Reviewer from 203.0.113.77 at 11:33"),
        f("audit.tampering", megan, "Set-Mailbox AuditEnabled False from 203.0.113.77 at 11:36 (failed: the account lacks the right, the attempt is logged)"),
        f("persistence.password-change", megan, "Reset user password. by it.admin at 14:00 (containment)"),
        f("signin.new-country", PATTI["upn"], "patti signs in from NG (203.0.113.77, the attacker IP) at 11:45"),
    ]
    must_not = [
        {"user": LYNNE["upn"], "note": "benign rules 'Forward to assistant' (calendar items to alex.wilber, internal) and 'Invoices' (subject invoice -> folder Invoices) from the office"},
        {"user": ALEX["upn"], "note": "travel: London 02-01/02-02, Seattle from 02-03, Seattle 02-20 08:00 -> London 02-21 07:00 (plausible), back 02-27"},
        {"user": DIEGO["upn"], "note": "weekly newsletter to the same 150 external recipients every Tuesday, incl. 03-04"},
        {"user": ADMIN["upn"], "note": "containment actions on megan from the office IP are containment, not compromise"},
        {"user": "nt authority\\system (microsoft.exchange.servicehost)", "note": "system Set-Mailbox / Add-MailboxPermission / Set-AdminAuditLogConfig noise (AuditLogAgeLimit 180 days)"},
    ]
    truth = {
        "tenant": "contoso.com",
        "tenant_onmicrosoft": ONMS,
        "organization_id": ORG_ID,
        "generated_by": "scripts/make_sample_case.py",
        "case_folder": "testdata/contoso-bec",
        "accounts": accounts,
        "must_fire": must_fire,
        "must_not_fire_above_low": must_not,
        "records_base": "paths relative to testdata/contoso-bec/ (uala reports them prefixed with contoso-bec/)",
        "records": counts,
        "duplicates": {"ual": len(ATTACK["overlap"]),
                       "note": "New-InboxRule '.', New-InboxRule 'Sync' and Set-Mailbox 10:31 appear in both UAL files with the same Id and AuditData"},
        "message_ids": {"fraud_reply_deleted": ATTACK["fraud_msgid"], "smtp_auth_missing": ATTACK["smtp_msgid"]},
        "hidden_rules": [{"user": megan, "name": "Sync", "forward_to": "payments.collector@protonmail.example"},
                         {"user": megan, "name": "", "source": "UpdateInboxRules AddMailboxRule, empty RuleName/RuleProvider"}],
        "removed_rule": {"user": megan, "name": ".", "rule_identity": str(MEGAN_RULE_ID), "removed_at": "2025-03-04T14:03:02Z"},
    }
    TRUTH.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
