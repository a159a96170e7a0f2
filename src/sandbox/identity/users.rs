//! The sandbox's demo users: one per situation the dashboard must handle.

use uuid::Uuid;

/// The Partner Center role a user holds in the partner tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerRole {
    /// May manage devices, batches and Autopilot profiles.
    AdminAgent,
    /// May manage devices and batches, not profiles.
    SalesAgent,
}

/// A user who can sign in to the sandbox's Entra ID.
#[derive(Clone, Copy, Debug)]
pub struct DemoUser {
    pub oid: Uuid,
    pub upn: &'static str,
    pub name: &'static str,
    pub role: Option<PartnerRole>,
    /// Whether the sign-in satisfies MFA (`mfa` in the token's `amr`).
    pub mfa: bool,
    /// What this user is for, shown on the sign-in page and printed at start.
    pub purpose: &'static str,
}

pub const DEMO_USERS: [DemoUser; 5] = [
    DemoUser {
        oid: Uuid::from_u128(0x7d0c1a52_3b8e_4f61_a2c9_1e5b7d3f9a01),
        upn: "admin@sandbox-partner.onmicrosoft.com",
        name: "Avery Admin",
        role: Some(PartnerRole::AdminAgent),
        mfa: true,
        purpose: "Admin agent, signs in with MFA: can do everything",
    },
    DemoUser {
        oid: Uuid::from_u128(0x7d0c1a52_3b8e_4f61_a2c9_1e5b7d3f9a02),
        upn: "sales@sandbox-partner.onmicrosoft.com",
        name: "Sam Sales",
        role: Some(PartnerRole::SalesAgent),
        mfa: true,
        purpose: "Sales agent, signs in with MFA: devices and batches, no profiles",
    },
    DemoUser {
        oid: Uuid::from_u128(0x7d0c1a52_3b8e_4f61_a2c9_1e5b7d3f9a03),
        upn: "nomfa@sandbox-partner.onmicrosoft.com",
        name: "Noel No-MFA",
        role: Some(PartnerRole::AdminAgent),
        mfa: false,
        purpose: "Admin agent without MFA: Partner Center answers 401 with code 900421",
    },
    DemoUser {
        oid: Uuid::from_u128(0x7d0c1a52_3b8e_4f61_a2c9_1e5b7d3f9a04),
        upn: "norole@sandbox-partner.onmicrosoft.com",
        name: "Robin No-Role",
        role: None,
        mfa: true,
        purpose: "No Partner Center role: Partner Center answers 403",
    },
    DemoUser {
        oid: Uuid::from_u128(0x7d0c1a52_3b8e_4f61_a2c9_1e5b7d3f9a05),
        upn: "avery.admin@sandbox-partner.onmicrosoft.com",
        name: "Avery Admin",
        role: Some(PartnerRole::AdminAgent),
        mfa: true,
        purpose: "Another person with the first admin's name: users are told apart by tenant and object id",
    },
];

/// Finds a demo user by UPN, ignoring case as Entra ID does.
pub fn by_upn(upn: &str) -> Option<&'static DemoUser> {
    DEMO_USERS
        .iter()
        .find(|user| user.upn.eq_ignore_ascii_case(upn.trim()))
}

/// Finds a demo user by object id.
pub fn by_oid(oid: Uuid) -> Option<&'static DemoUser> {
    DEMO_USERS.iter().find(|user| user.oid == oid)
}
