//! The sandbox's Partner Center data: customers, device batches, devices, Autopilot profiles,
//! upload jobs, and the global device registry that decides 806 versus 808.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub struct Customer {
    pub id: Uuid,
    pub commerce_id: Uuid,
    pub company_name: String,
    pub domain: String,
    pub custom_domains: Vec<String>,
    /// `reseller` for most; anything else refuses device operations (403, code 20002).
    pub relationship: &'static str,
}

pub struct Batch {
    /// Free text chosen at creation; compared case-insensitively.
    pub id: String,
    pub created_by: String,
    pub creation_date: DateTime<Utc>,
    pub devices: Vec<Device>,
    /// Status of the batch's latest job.
    pub status: Option<JobStatus>,
}

#[derive(Clone)]
pub struct Device {
    pub id: Uuid,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub hardware_hash: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub policy: Option<Uuid>,
    pub uploaded: DateTime<Utc>,
}

pub struct Policy {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub settings: Vec<String>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Processing,
    Finished,
    FinishedWithErrors,
}

impl JobStatus {
    pub fn wire(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Processing => "processing",
            JobStatus::Finished => "finished",
            JobStatus::FinishedWithErrors => "finished_with_errors",
        }
    }
}

/// What one device of a job asks for.
#[derive(Clone, Default)]
pub struct DeviceInput {
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub hardware_hash: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    /// Policy updates: the device to change, and the profile to assign (`None` unassigns).
    pub device_id: Option<String>,
    pub policy: Option<Option<String>>,
}

pub struct JobDevice {
    pub input: DeviceInput,
    pub status: JobStatus,
    pub error_code: Option<String>,
    pub error_description: Option<String>,
    pub device_id: Option<Uuid>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Upload,
    PolicyUpdate,
}

pub struct Job {
    pub tracking_id: Uuid,
    pub customer_id: Uuid,
    pub batch_id: Option<String>,
    pub kind: JobKind,
    pub status: JobStatus,
    pub started: Option<DateTime<Utc>>,
    pub completed: Option<DateTime<Utc>>,
    pub devices: Vec<JobDevice>,
    /// Identity keys of the devices this job already handled, for `ZtdDeviceDuplicated`.
    seen: HashSet<DeviceKey>,
}

/// One way Partner Center recognises a device.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum DeviceKey {
    Hash(String),
    /// Serial number, manufacturer and model: exact and case-sensitive, as SMBIOS reports them.
    Tuple(String, String, String),
    ProductKey(String),
}

fn keys_of(
    hash: &Option<String>,
    serial: &Option<String>,
    manufacturer: &Option<String>,
    model: &Option<String>,
    product_key: &Option<String>,
) -> Vec<DeviceKey> {
    let mut keys = Vec::with_capacity(3);
    if let Some(hash) = hash {
        keys.push(DeviceKey::Hash(hash.clone()));
    }
    if let (Some(s), Some(m), Some(mo)) = (serial, manufacturer, model) {
        keys.push(DeviceKey::Tuple(s.clone(), m.clone(), mo.clone()));
    }
    if let Some(pk) = product_key {
        keys.push(DeviceKey::ProductKey(pk.clone()));
    }
    keys
}

impl Device {
    pub fn keys(&self) -> Vec<DeviceKey> {
        keys_of(
            &self.hardware_hash,
            &self.serial_number,
            &self.manufacturer,
            &self.model,
            &self.product_key,
        )
    }
}

impl DeviceInput {
    pub fn keys(&self) -> Vec<DeviceKey> {
        keys_of(
            &self.hardware_hash,
            &self.serial_number,
            &self.manufacturer,
            &self.model,
            &self.product_key,
        )
    }
}

/// A per-device failure: (`errorCode`, `errorDescription`).
pub type DeviceError = (&'static str, &'static str);

pub const INVALID_HASH: DeviceError = ("802", "InvalidZtdHardwareHash");
pub const MISSING_IDENTIFIERS: DeviceError = ("803", "MissingZtdSerialNumberAndProductKey");
pub const ALREADY_ASSIGNED: DeviceError = ("806", "ZtdDeviceAlreadyAssigned");
pub const NOT_REGISTERED: DeviceError = ("807", "ZtdDeviceIsNotRegistered");
pub const OTHER_TENANT: DeviceError = ("808", "ZtdDeviceAssignedToOtherTenant");
pub const PROFILE_NOT_REGISTERED: DeviceError = ("809", "ZtdProfileIsNotRegistered");
pub const PROFILE_OF_OTHER_TENANT: DeviceError = ("810", "ZtdProfileAssignedToOtherTenant");
pub const NOT_FOUND: DeviceError = ("812", "ZtdDeviceNotFound");
/// Microsoft documents the name but no number for this one.
pub const DUPLICATED: DeviceError = ("ZtdDeviceDuplicated", "ZtdDeviceDuplicated");

/// Serial numbers and product keys with this prefix stand for devices whose hardware hash the
/// OEM never reported, so registering them by tuple or product key answers 812.
pub const UNKNOWN_TO_MICROSOFT_PREFIX: &str = "NOTFOUND";

/// Decoded hash sizes the sandbox accepts (a real "4K hash" decodes to about 4 KB).
const HASH_BYTES: std::ops::RangeInclusive<usize> = 100..=16 * 1024;

#[derive(Default)]
pub struct World {
    pub customers: Vec<Customer>,
    customer_index: HashMap<Uuid, usize>,
    pub batches: HashMap<Uuid, Vec<Batch>>,
    pub policies: HashMap<Uuid, Vec<Policy>>,
    pub jobs: HashMap<Uuid, Job>,
    /// Every registered device's keys → the customer it belongs to.
    registry: HashMap<DeviceKey, Uuid>,
}

impl World {
    pub fn add_customer(&mut self, customer: Customer) {
        self.customer_index
            .insert(customer.id, self.customers.len());
        self.customers.push(customer);
    }

    pub fn customer(&self, id: Uuid) -> Option<&Customer> {
        self.customer_index.get(&id).map(|&i| &self.customers[i])
    }

    pub fn batches_of(&self, customer: Uuid) -> &[Batch] {
        self.batches
            .get(&customer)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn batch(&self, customer: Uuid, batch_id: &str) -> Option<&Batch> {
        self.batches_of(customer)
            .iter()
            .find(|batch| batch.id.eq_ignore_ascii_case(batch_id))
    }

    pub fn batch_mut(&mut self, customer: Uuid, batch_id: &str) -> Option<&mut Batch> {
        self.batches
            .get_mut(&customer)?
            .iter_mut()
            .find(|batch| batch.id.eq_ignore_ascii_case(batch_id))
    }

    pub fn add_batch(&mut self, customer: Uuid, batch: Batch) {
        for device in &batch.devices {
            for key in device.keys() {
                self.registry.insert(key, customer);
            }
        }
        self.batches.entry(customer).or_default().push(batch);
    }

    /// Registers a device with an organisation that is not among the partner's customers:
    /// Autopilot knows it (808 for every customer), no batch of the partner lists it.
    pub fn register_outside(&mut self, tenant: Uuid, device: &Device) {
        for key in device.keys() {
            self.registry.insert(key, tenant);
        }
    }

    pub fn policies_of(&self, customer: Uuid) -> &[Policy] {
        self.policies
            .get(&customer)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// How many of the customer's devices have this profile.
    pub fn assigned_count(&self, customer: Uuid, policy: Uuid) -> usize {
        self.batches_of(customer)
            .iter()
            .flat_map(|batch| &batch.devices)
            .filter(|device| device.policy == Some(policy))
            .count()
    }

    /// Removes a device from a batch and from the registry.
    pub fn delete_device(&mut self, customer: Uuid, batch_id: &str, device_id: Uuid) -> bool {
        let Some(batch) = self.batch_mut(customer, batch_id) else {
            return false;
        };
        let Some(position) = batch.devices.iter().position(|d| d.id == device_id) else {
            return false;
        };
        let device = batch.devices.remove(position);
        for key in device.keys() {
            self.registry.remove(&key);
        }
        true
    }

    pub fn new_job(
        &mut self,
        customer_id: Uuid,
        batch_id: Option<String>,
        kind: JobKind,
        inputs: Vec<DeviceInput>,
    ) -> Uuid {
        let tracking_id = Uuid::new_v4();
        let devices = inputs
            .into_iter()
            .map(|input| JobDevice {
                input,
                status: JobStatus::Queued,
                error_code: None,
                error_description: None,
                device_id: None,
            })
            .collect();
        self.jobs.insert(
            tracking_id,
            Job {
                tracking_id,
                customer_id,
                batch_id,
                kind,
                status: JobStatus::Queued,
                started: None,
                completed: None,
                devices,
                seen: HashSet::new(),
            },
        );
        tracking_id
    }

    /// Decides and applies the outcome of devices `range` of a job.
    pub fn process(&mut self, tracking_id: Uuid, range: std::ops::Range<usize>) {
        let Some(mut job) = self.jobs.remove(&tracking_id) else {
            return;
        };
        for index in range {
            let Some(input) = job.devices.get(index).map(|d| d.input.clone()) else {
                break;
            };
            let outcome = match job.kind {
                JobKind::Upload => self.register(&mut job, &input),
                JobKind::PolicyUpdate => self.assign_policy(job.customer_id, &input),
            };
            let device = &mut job.devices[index];
            match outcome {
                Ok(device_id) => {
                    device.status = JobStatus::Finished;
                    device.device_id = Some(device_id);
                }
                Err((code, description)) => {
                    device.status = JobStatus::FinishedWithErrors;
                    device.error_code = Some(code.to_string());
                    device.error_description = Some(description.to_string());
                }
            }
        }
        self.jobs.insert(tracking_id, job);
    }

    fn register(&mut self, job: &mut Job, input: &DeviceInput) -> Result<Uuid, DeviceError> {
        let has_hash = input.hardware_hash.is_some();
        let has_key = input.product_key.is_some();
        let has_serial = input.serial_number.is_some();
        let tuple = has_serial && input.manufacturer.is_some() && input.model.is_some();
        // The six accepted combinations (partner-center-api.md §4.2).
        if !(has_hash || tuple || (has_key && !has_serial)) {
            return Err(MISSING_IDENTIFIERS);
        }
        if let Some(hash) = &input.hardware_hash {
            let decoded = base64::engine::general_purpose::STANDARD.decode(hash);
            if !decoded.is_ok_and(|bytes| HASH_BYTES.contains(&bytes.len())) {
                return Err(INVALID_HASH);
            }
        }
        let keys = input.keys();
        if keys.iter().any(|key| job.seen.contains(key)) {
            return Err(DUPLICATED);
        }
        job.seen.extend(keys.iter().cloned());
        if let Some(owner) = keys.iter().find_map(|key| self.registry.get(key)) {
            return Err(if *owner == job.customer_id {
                ALREADY_ASSIGNED
            } else {
                OTHER_TENANT
            });
        }
        let unknown = |value: &Option<String>| {
            value
                .as_deref()
                .is_some_and(|v| v.starts_with(UNKNOWN_TO_MICROSOFT_PREFIX))
        };
        if !has_hash && (unknown(&input.serial_number) || unknown(&input.product_key)) {
            return Err(NOT_FOUND);
        }
        let device = Device {
            id: Uuid::new_v4(),
            serial_number: input.serial_number.clone(),
            product_key: input.product_key.clone(),
            hardware_hash: input.hardware_hash.clone(),
            manufacturer: input.manufacturer.clone(),
            model: input.model.clone(),
            policy: None,
            uploaded: Utc::now(),
        };
        let id = device.id;
        let customer = job.customer_id;
        let batch_id = job.batch_id.clone().unwrap_or_default();
        let batch = self
            .batch_mut(customer, &batch_id)
            .ok_or(("StorageError", "StorageError"))?;
        batch.devices.push(device);
        for key in keys {
            self.registry.insert(key, customer);
        }
        Ok(id)
    }

    fn assign_policy(&mut self, customer: Uuid, input: &DeviceInput) -> Result<Uuid, DeviceError> {
        let policy = match input.policy.clone().flatten() {
            None => None,
            Some(text) => {
                let id = Uuid::parse_str(&text).map_err(|_| PROFILE_NOT_REGISTERED)?;
                if !self.policies_of(customer).iter().any(|p| p.id == id) {
                    let elsewhere = self.policies.values().flatten().any(|p| p.id == id);
                    return Err(match elsewhere {
                        true => PROFILE_OF_OTHER_TENANT,
                        false => PROFILE_NOT_REGISTERED,
                    });
                }
                Some(id)
            }
        };
        let device_id = input
            .device_id
            .as_deref()
            .and_then(|text| Uuid::parse_str(text).ok())
            .ok_or(NOT_REGISTERED)?;
        let device = self
            .batches
            .get_mut(&customer)
            .into_iter()
            .flatten()
            .flat_map(|batch| batch.devices.iter_mut())
            .find(|device| device.id == device_id)
            .ok_or(NOT_REGISTERED)?;
        device.policy = policy;
        Ok(device_id)
    }
}
