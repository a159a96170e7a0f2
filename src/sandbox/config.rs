//! What the sandbox can be told at start. Faults can also be changed at run time through
//! `/_sandbox/faults` (see [`super::admin`]).

use std::net::SocketAddr;
use std::time::Duration;

use uuid::Uuid;

use super::faults::FaultSettings;

/// The partner tenant the sandbox simulates (the tenant the demo users belong to).
pub const PARTNER_TENANT_ID: Uuid = Uuid::from_u128(0x5a9d1f3e_0c2b_4e7a_9b1d_7c4e2f6a8b10);
/// The partner tenant's primary domain; also accepted as the tenant segment of identity URLs.
pub const PARTNER_DOMAIN: &str = "sandbox-partner.onmicrosoft.com";
/// The client id of the app registration the sandbox knows by default.
pub const DEFAULT_CLIENT_ID: Uuid = Uuid::from_u128(0x0b5e2c4d_6f70_4a1b_8c9d_e0f1a2b3c4d5);
/// Its client secret. The sandbox is a local simulator; this value protects nothing.
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-client-secret";
/// Where the dashboard listens by default.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:3000/auth/callback";

/// An app registration: who may ask for codes and tokens, and where codes may be sent.
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: String,
    /// Redirect URIs compared byte for byte, as Entra ID does.
    pub redirect_uris: Vec<String>,
}

impl Default for RegisteredClient {
    fn default() -> Self {
        RegisteredClient {
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            redirect_uris: vec![DEFAULT_REDIRECT_URI.to_string()],
        }
    }
}

/// How long a simulated upload job spends in each state.
#[derive(Clone, Copy, Debug)]
pub struct JobTiming {
    /// Time in `queued` before processing starts.
    pub queued: Duration,
    /// Time in `processing`; devices are processed in slices spread over it, so progress moves.
    pub processing: Duration,
}

impl Default for JobTiming {
    fn default() -> Self {
        JobTiming {
            queued: Duration::from_millis(1000),
            processing: Duration::from_millis(2000),
        }
    }
}

/// Start-up settings of the sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Host name used in every URL the sandbox hands out (issuer, Location, links).
    /// `localhost` by default, so that it is a different site from the dashboard on `127.0.0.1`.
    pub public_host: String,
    pub partner_tenant_id: Uuid,
    pub clients: Vec<RegisteredClient>,
    /// Lifetime of access and id tokens. Short values make refresh testable.
    pub access_token_lifetime: Duration,
    /// Lifetime of an authorization code (Entra ID: about 10 minutes).
    pub code_lifetime: Duration,
    pub jobs: JobTiming,
    /// Faults active from the start.
    pub faults: FaultSettings,
    /// Prefix JSON response bodies with a UTF-8 BOM, as some Partner Center responses are.
    pub emit_bom: bool,
    /// Seed of the deterministic seed data and of the fault dice.
    pub seed: u64,
    /// How much seed data: small for tests and `make run`, large for the device index's
    /// benchmark and tests.
    pub size: SeedSize,
}

/// How much data the sandbox seeds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeedSize {
    /// The well-known customers and about 1,250 generated ones with a few devices each.
    #[default]
    Small,
    /// The same, and 20 of the generated customers with 2,500 devices each (50,000 more, in
    /// batches of 500, without hashes), so that reading a whole partner takes real paging.
    Large,
}

impl std::str::FromStr for SeedSize {
    type Err = String;

    fn from_str(text: &str) -> Result<SeedSize, String> {
        match text {
            "small" => Ok(SeedSize::Small),
            "large" => Ok(SeedSize::Large),
            other => Err(format!("expected small or large, not {other:?}")),
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_host: "localhost".to_string(),
            partner_tenant_id: PARTNER_TENANT_ID,
            clients: vec![RegisteredClient::default()],
            access_token_lifetime: Duration::from_secs(3600),
            code_lifetime: Duration::from_secs(600),
            jobs: JobTiming::default(),
            faults: FaultSettings::default(),
            emit_bom: true,
            seed: 2026,
            size: SeedSize::Small,
        }
    }
}
