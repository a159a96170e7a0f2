//! Deterministic seed data: the same seed gives the same customers, batches and devices.
//!
//! A handful of well-known customers carry the situations the dashboard must show (documented
//! in the README); about 1,250 generated ones make paging past 500 and prefix search real.

use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::world::{Batch, Customer, Device, JobStatus, Policy, World};
use crate::sandbox::config::SeedSize;

/// Contoso: three batches, one of them with 263 devices, and two Autopilot profiles.
pub const CONTOSO: Uuid = Uuid::from_u128(0x8b7c6a1e_0000_4000_8000_000000000001);
/// Fabrikam: its devices are "registered to another organisation" (808) for everyone else.
pub const FABRIKAM: Uuid = Uuid::from_u128(0x8b7c6a1e_0000_4000_8000_000000000002);
/// Tailspin Toys: no reseller relationship, so device operations answer 403.
pub const TAILSPIN: Uuid = Uuid::from_u128(0x8b7c6a1e_0000_4000_8000_000000000003);
/// Northwind Traders: no batches yet.
pub const NORTHWIND: Uuid = Uuid::from_u128(0x8b7c6a1e_0000_4000_8000_000000000004);
/// A customer and batch whose names contain markup, to prove it is shown as text.
pub const MARKUP: Uuid = Uuid::from_u128(0x8b7c6a1e_0000_4000_8000_000000000005);

/// Serial numbers of HP EliteBook 840 G8 devices registered with an organisation that is no
/// customer of this partner: they answer 808 for every customer, and no listing of the
/// partner's shows them (the case where someone outside must release the device).
pub const OUTSIDE_SERIALS: [&str; 3] = ["5CG0UTS1DE", "5CG0UTS2DE", "5CG0UTS3DE"];
/// The organisation that holds them.
pub const OUTSIDE_TENANT: Uuid = Uuid::from_u128(0x0e7c6a1e_0000_4000_8000_00000000f808);

/// Name of Contoso's large batch (with a space, as batch ids may have).
pub const LARGE_BATCH: &str = "Contoso Laptops 2024";
pub const LARGE_BATCH_DEVICES: usize = 263;
/// How many customers the seed creates in all.
pub const CUSTOMER_COUNT: usize = 1250;

const MODELS: [(&str, &str); 5] = [
    ("HP", "HP EliteBook 840 G8 Notebook PC"),
    ("Dell Inc.", "Latitude 7420"),
    ("LENOVO", "21AH00BUGE"),
    ("Microsoft Corporation", "Surface Laptop 5"),
    ("Microsoft Corporation", "Surface Pro 9"),
];

pub fn world(seed: u64, size: SeedSize) -> World {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut world = World::default();
    let epoch = Utc
        .with_ymd_and_hms(2025, 3, 3, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let named: [(Uuid, &str, &str, &[&str], &'static str); 5] = [
        (
            CONTOSO,
            "Contoso Ltd",
            "contoso.onmicrosoft.com",
            &["contoso.com"],
            "reseller",
        ),
        (
            FABRIKAM,
            "Fabrikam, Inc.",
            "fabrikam.onmicrosoft.com",
            &["fabrikam.com"],
            "reseller",
        ),
        (
            TAILSPIN,
            "Tailspin Toys",
            "tailspintoys.onmicrosoft.com",
            &[],
            "advisor",
        ),
        (
            NORTHWIND,
            "Northwind Traders",
            "northwindtraders.onmicrosoft.com",
            &[],
            "reseller",
        ),
        (
            MARKUP,
            "Ampersand & <b>Angle</b> Brackets Ltd",
            "anglebrackets.onmicrosoft.com",
            &[],
            "reseller",
        ),
    ];
    for (id, name, domain, custom, relationship) in named {
        world.add_customer(Customer {
            id,
            commerce_id: random_uuid(&mut rng),
            company_name: name.to_string(),
            domain: domain.to_string(),
            custom_domains: custom.iter().map(|d| d.to_string()).collect(),
            relationship,
        });
    }

    let kiosk_policy = random_uuid(&mut rng);
    world.policies.insert(
        CONTOSO,
        vec![
            Policy {
                id: random_uuid(&mut rng),
                name: "Standard user OOBE".into(),
                description: Some("Skips privacy settings; the user is not a local admin".into()),
                settings: vec![
                    "skip_express_settings".into(),
                    "oobe_user_not_local_admin".into(),
                ],
                created: epoch,
                modified: epoch,
            },
            Policy {
                id: kiosk_policy,
                name: "Shared kiosk".into(),
                description: None,
                settings: vec!["skip_eula".into(), "skip_oem_registration".into()],
                created: epoch,
                modified: epoch,
            },
        ],
    );
    let batch = |rng: &mut ChaCha8Rng, id: &str, count: usize, days: i64, with_hash: bool| {
        let created = epoch + Duration::days(days);
        let devices = (0..count)
            .map(|_| random_device(rng, created, with_hash))
            .collect();
        Batch {
            id: id.to_string(),
            created_by: "sandbox-partner.onmicrosoft.com".into(),
            creation_date: created,
            devices,
            status: Some(JobStatus::Finished),
        }
    };
    let po = batch(&mut rng, "Contoso-PO-4711", 12, 20, true);
    let large = batch(&mut rng, LARGE_BATCH, LARGE_BATCH_DEVICES, 45, true);
    let mut kiosks = batch(&mut rng, "Kiosk refresh", 4, 60, false);
    for device in &mut kiosks.devices {
        device.policy = Some(kiosk_policy);
    }
    world.add_batch(CONTOSO, po);
    world.add_batch(CONTOSO, large);
    world.add_batch(CONTOSO, kiosks);
    let fabrikam = batch(&mut rng, "Fabrikam Surface fleet", 6, 30, true);
    world.add_batch(FABRIKAM, fabrikam);
    let markup = batch(&mut rng, "<script>alert('batch')</script>", 2, 10, true);
    world.add_batch(MARKUP, markup);

    let mut names = std::collections::HashSet::new();
    let mut domains = std::collections::HashSet::new();
    while world.customers.len() < CUSTOMER_COUNT {
        let prefix = PREFIXES.choose(&mut rng).copied().unwrap_or("North");
        let core = CORES.choose(&mut rng).copied().unwrap_or("Systems");
        let suffix = SUFFIXES.choose(&mut rng).copied().unwrap_or("Ltd");
        let name = format!("{prefix} {core} {suffix}");
        if !names.insert(name.clone()) {
            continue;
        }
        let stem = format!("{prefix}{core}").to_lowercase();
        let mut domain = format!("{stem}.onmicrosoft.com");
        let mut n = 2;
        while !domains.insert(domain.clone()) {
            domain = format!("{stem}{n}.onmicrosoft.com");
            n += 1;
        }
        let id = random_uuid(&mut rng);
        let index = world.customers.len();
        world.add_customer(Customer {
            id,
            commerce_id: random_uuid(&mut rng),
            company_name: name,
            domain,
            custom_domains: Vec::new(),
            relationship: "reseller",
        });
        if index % 25 == 0 {
            for b in 0..rng.gen_range(1..=3) {
                let count = rng.gen_range(1..=15);
                let days = rng.gen_range(0..600);
                let batch = batch(
                    &mut rng,
                    &format!("Order {}-{b}", 40000 + index),
                    count,
                    days,
                    true,
                );
                world.add_batch(id, batch);
            }
        }
    }
    if size == SeedSize::Large {
        large_customers(&mut world, seed, epoch);
    }
    // Last, so that the generated customers above stay what they were.
    for serial in OUTSIDE_SERIALS {
        world.register_outside(
            OUTSIDE_TENANT,
            &Device {
                id: Uuid::nil(),
                serial_number: Some(serial.to_string()),
                product_key: None,
                hardware_hash: None,
                manufacturer: Some(MODELS[0].0.to_string()),
                model: Some(MODELS[0].1.to_string()),
                policy: None,
                uploaded: epoch,
            },
        );
    }
    world
}

/// Generated customers given thousands of devices by [`SeedSize::Large`].
pub const LARGE_CUSTOMERS: usize = 20;
/// Devices of each of them: batches of [`LARGE_BATCH_SIZE`].
pub const LARGE_CUSTOMER_DEVICES: usize = 2_500;
const LARGE_BATCH_SIZE: usize = 500;

/// [`SeedSize::Large`]: 20 of the generated customers (every 25th, from the 25th) get 2,500
/// devices each, in batches of 500. Without hashes (Partner Center lists none, and 50,000
/// hashes would hold 270 MB), from a generator of their own, so the small seed's data stays
/// exactly what it is.
fn large_customers(world: &mut World, seed: u64, epoch: DateTime<Utc>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1a46e);
    let chosen: Vec<Uuid> = world
        .customers
        .iter()
        .skip(25)
        .step_by(25)
        .take(LARGE_CUSTOMERS)
        .map(|c| c.id)
        .collect();
    for (n, customer) in chosen.into_iter().enumerate() {
        for b in 0..LARGE_CUSTOMER_DEVICES / LARGE_BATCH_SIZE {
            let created = epoch + Duration::days(rng.gen_range(0..600));
            let devices = (0..LARGE_BATCH_SIZE)
                .map(|_| random_device(&mut rng, created, false))
                .collect();
            world.add_batch(
                customer,
                Batch {
                    id: format!("Rollout {}-{b}", 70_000 + n),
                    created_by: "sandbox-partner.onmicrosoft.com".into(),
                    creation_date: created,
                    devices,
                    status: Some(JobStatus::Finished),
                },
            );
        }
    }
}

fn random_uuid(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

fn random_device(rng: &mut ChaCha8Rng, uploaded: DateTime<Utc>, with_hash: bool) -> Device {
    let (manufacturer, model) = *MODELS.choose(rng).unwrap_or(&MODELS[0]);
    let serial = random_serial(rng, manufacturer);
    let product_key = rng.gen_bool(0.2).then(|| {
        format!(
            "{:013}",
            rng.gen_range(1_000_000_000_000u64..10_000_000_000_000)
        )
    });
    Device {
        id: random_uuid(rng),
        serial_number: Some(serial),
        product_key,
        hardware_hash: with_hash.then(|| hardware_hash(rng)),
        manufacturer: Some(manufacturer.to_string()),
        model: Some(model.to_string()),
        policy: None,
        uploaded,
    }
}

fn random_serial(rng: &mut ChaCha8Rng, manufacturer: &str) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let tail = |rng: &mut ChaCha8Rng, n: usize| -> String {
        (0..n)
            .map(|_| ALNUM[rng.gen_range(0..ALNUM.len())] as char)
            .collect()
    };
    match manufacturer {
        "HP" => format!("5CG{}", tail(rng, 7)),
        "Dell Inc." => tail(rng, 7),
        "LENOVO" => format!("PF{}", tail(rng, 6)),
        _ => format!("0{:011}", rng.gen_range(0u64..100_000_000_000)),
    }
}

/// A realistic "4K" hardware hash: about 4,000 bytes, padded base64 (about 5,400 characters).
pub fn hardware_hash(rng: &mut impl Rng) -> String {
    let len = rng.gen_range(3_900..4_100);
    let mut bytes = vec![0u8; len];
    rng.fill(bytes.as_mut_slice());
    // Real hashes start with a small header; make the start look alike.
    bytes[0] = 0x4f;
    bytes[1] = 0x41;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

const PREFIXES: [&str; 38] = [
    "Alpine",
    "Blue",
    "Bright",
    "Cedar",
    "Coastal",
    "Crimson",
    "Delta",
    "Eagle",
    "Evergreen",
    "Falcon",
    "First",
    "Golden",
    "Granite",
    "Harbor",
    "Highland",
    "Iron",
    "Lakeside",
    "Liberty",
    "Maple",
    "Meridian",
    "Metro",
    "North",
    "Oak",
    "Pacific",
    "Pioneer",
    "Prairie",
    "Quantum",
    "Redwood",
    "River",
    "Silver",
    "Summit",
    "Sun",
    "Union",
    "Valley",
    "Vertex",
    "West",
    "Willow",
    "Zenith",
];
const CORES: [&str; 36] = [
    "Analytics",
    "Bakery",
    "Builders",
    "Capital",
    "Clinic",
    "Consulting",
    "Dental",
    "Design",
    "Electric",
    "Energy",
    "Engineering",
    "Farms",
    "Foods",
    "Freight",
    "Health",
    "Hotels",
    "Insurance",
    "Labs",
    "Legal",
    "Logistics",
    "Manufacturing",
    "Media",
    "Motors",
    "Partners",
    "Pharma",
    "Printing",
    "Properties",
    "Retail",
    "Robotics",
    "Schools",
    "Software",
    "Solutions",
    "Systems",
    "Textiles",
    "Travel",
    "Ventures",
];
const SUFFIXES: [&str; 10] = [
    "Ltd", "Inc.", "GmbH", "LLC", "B.V.", "S.A.", "AG", "Pty Ltd", "plc", "Oy",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_world() {
        let a = world(7, SeedSize::Small);
        let b = world(7, SeedSize::Small);
        assert_eq!(a.customers.len(), CUSTOMER_COUNT);
        let names = |w: &World| {
            w.customers
                .iter()
                .map(|c| (c.id, c.company_name.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_eq!(
            a.batch(CONTOSO, LARGE_BATCH).map(|b| b.devices.len()),
            Some(LARGE_BATCH_DEVICES)
        );
    }

    #[test]
    fn customer_names_and_domains_are_unique() {
        let w = world(1, SeedSize::Small);
        let names: std::collections::HashSet<_> =
            w.customers.iter().map(|c| &c.company_name).collect();
        let domains: std::collections::HashSet<_> = w.customers.iter().map(|c| &c.domain).collect();
        assert_eq!(names.len(), w.customers.len());
        assert_eq!(domains.len(), w.customers.len());
    }

    #[test]
    fn the_large_seed_adds_50_000_devices_and_changes_nothing_else() {
        let small = world(7, SeedSize::Small);
        let large = world(7, SeedSize::Large);
        let devices =
            |w: &World| -> usize { w.batches.values().flatten().map(|b| b.devices.len()).sum() };
        assert_eq!(
            devices(&large) - devices(&small),
            LARGE_CUSTOMERS * LARGE_CUSTOMER_DEVICES
        );
        for (id, batches) in &small.batches {
            let ids = |bs: &[Batch]| bs.iter().map(|b| b.id.clone()).collect::<Vec<_>>();
            let in_large = large.batches_of(*id);
            assert_eq!(ids(batches), ids(&in_large[..batches.len()]));
        }
        let biggest = large
            .customers
            .iter()
            .map(|c| {
                large
                    .batches_of(c.id)
                    .iter()
                    .map(|b| b.devices.len())
                    .sum::<usize>()
            })
            .max();
        assert!(biggest >= Some(LARGE_CUSTOMER_DEVICES));
    }

    #[test]
    fn hashes_look_like_4k_hashes() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let hash = hardware_hash(&mut rng);
        assert!((5_000..5_600).contains(&hash.len()), "{}", hash.len());
        assert!(hash.starts_with("T0"));
    }
}
