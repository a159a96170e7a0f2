//! Autopilot profiles of a customer (Partner Center's configuration policies): the pages'
//! data and the form that creates one. Every read asks Partner Center, which holds the
//! profiles; the dashboard keeps none, only an audit row for each change it made.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Redirect;

use super::audit::{self, Actor, Event};
use super::auth::SignedIn;
use super::caller::{caller, open_customer, Caller};
use super::display_time;
use super::form_fields::{every, field, Fields};
use super::operations::refusals;
use super::path_ids::Ids;
use super::refusal::Refusal;
use super::AppState;
use crate::model::audit::AuditAction;
use crate::model::done::Done;
use crate::model::profiles::{
    NewProfileView, OobeSetting, ProfileRow, ProfileView, ProfilesView, ONLY_ADMIN_AGENTS,
    PROFILE_NAME_MAX_CHARS,
};
use crate::model::{AppError, CustomerRow, ProfileOption};
use crate::partner_center::{
    ConfigurationPolicy, CustomerId, ErrorKind, NewPolicy, PartnerCenterError, PolicyCategory,
    PolicySetting, RequestId, NO_RELATIONSHIP_CODE,
};
use crate::urls;

/// The server side of `/customers/{customerId}/profiles`: any signed-in user who may open the
/// customer sees its profiles (a Sales agent too; Partner Center refuses them only writes).
pub async fn list(id: CustomerId) -> Result<ProfilesView, AppError> {
    let (caller, customer, policies) = with_policies(&id).await?;
    Ok(ProfilesView {
        customer,
        profiles: rows(policies),
        read_only: read_only(&caller),
    })
}

/// Who asks, the customer they opened, and its profiles as Partner Center lists them now.
async fn with_policies(
    id: &CustomerId,
) -> Result<(Caller, CustomerRow, Vec<ConfigurationPolicy>), AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, id).await?;
    let policies = caller
        .state
        .partner_center
        .policies(&caller.ctx, id)
        .await
        .map_err(|e| AppError::from(e).about(&customer))?;
    Ok((caller, customer, policies))
}

/// The server side of `/customers/{customerId}/profiles/new`.
pub async fn new_profile(id: CustomerId) -> Result<NewProfileView, AppError> {
    let caller = caller().await?;
    let customer = open_customer(&caller, &id).await?;
    Ok(NewProfileView {
        customer,
        read_only: read_only(&caller),
    })
}

/// The server side of a profile's change form and deletion page: the profile as it is now,
/// told apart from any other of the same name.
pub async fn one(id: CustomerId, profile_id: String) -> Result<ProfileView, AppError> {
    let (caller, customer, policies) = with_policies(&id).await?;
    let profile = rows(policies)
        .into_iter()
        .find(|row| row.id.eq_ignore_ascii_case(&profile_id))
        .ok_or_else(no_such_profile)?;
    Ok(ProfileView {
        customer,
        profile,
        read_only: read_only(&caller),
    })
}

fn no_such_profile() -> AppError {
    AppError::NotFound {
        what: "This profile".into(),
    }
}

/// Why this sign-in may not write profiles (create, change, apply), once Partner Center said
/// so; `None` until then.
pub(crate) fn read_only(caller: &Caller) -> Option<String> {
    let refusals = &caller.state.profile_write_refusals;
    refusals
        .refused(&caller.user.sign_in_id)
        .then(|| ONLY_ADMIN_AGENTS.to_string())
}

/// `POST /customers/{customerId}/profiles`: `name`, `description` and a `setting` field for
/// each ticked setting. A name another profile of the customer has (without regard to case)
/// is refused before anything is sent: staff choose profiles by name, and a lost answer
/// sent again cannot make a second profile of the same name.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids(id): Ids<CustomerId>,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let profile = profile_from_form(&fields)?;
    let (caller, customer, existing) = writable(state, signed_in, &id).await?;
    let client = &caller.state.partner_center;
    refuse_taken_name(&existing, &profile.name, None, &customer.name)?;
    let answer = client
        .create_policy(&caller.ctx, &id, &profile, RequestId::new())
        .await;
    let said = (AuditAction::ProfileCreated, Done::ProfileCreated);
    written(&caller, &id, answer.map(|_| ()), said, &profile).await
}

/// `POST /customers/{customerId}/profiles/{profileId}`: the change form, with the `version`
/// it was opened at. The profile is read again first; when it changed since (someone else's
/// change), nothing is sent and the person is shown both versions (Partner Center has no
/// conditional update, so this narrows the window, it does not close it). Otherwise the whole
/// profile goes back with `PUT`, as the API demands, its id and category unchanged.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((id, profile_id)): Ids<(CustomerId, String)>,
    axum::Form(fields): Fields,
) -> Result<Redirect, Refusal> {
    let wanted = profile_from_form(&fields)?;
    let opened_at = field(&fields, "version").unwrap_or_default();
    let (caller, customer, existing) = writable(state, signed_in, &id).await?;
    let client = &caller.state.partner_center;
    let current = named(&existing, &profile_id).ok_or_else(no_such_profile)?;
    if version_of(current) != opened_at {
        let theirs = in_words(
            current.name.as_deref().unwrap_or_default(),
            &current.policy_settings,
        );
        let changed = display_time(current.last_modified_date).unwrap_or_default();
        let message = format!(
            "Someone changed this profile after you opened the form ({changed}), so your \
             change was not sent. It is now {theirs} Yours was {} Open the form again to \
             start from what it is now.",
            in_words(&wanted.name, &wanted.policy_settings)
        );
        return Err(Refusal::new(StatusCode::CONFLICT, message));
    }
    refuse_taken_name(
        &existing,
        &wanted.name,
        current.id.as_deref(),
        &customer.name,
    )?;
    let mut changed = current.clone();
    changed.name = Some(wanted.name.clone());
    changed.description = wanted.description.clone();
    changed.policy_settings = wanted.policy_settings.clone();
    let answer = client
        .update_policy(&caller.ctx, &id, &changed, RequestId::new())
        .await;
    let said = (AuditAction::ProfileChanged, Done::ProfileChanged);
    written(&caller, &id, answer.map(|_| ()), said, &wanted).await
}

/// A profile created or changed: refused in words when Partner Center said no; otherwise the
/// audit row (the profile in words) and the way back to the list ([`done`]).
async fn written(
    caller: &Caller,
    customer: &CustomerId,
    answer: Result<(), PartnerCenterError>,
    said: (AuditAction, Done),
    profile: &NewPolicy,
) -> Result<Redirect, Refusal> {
    answer.map_err(|error| refused(caller, error))?;
    tracing::info!(customer = %customer, action = said.0.as_str(), "profile written");
    let detail = in_words(&profile.name, &profile.policy_settings);
    Ok(done(caller, customer, said, detail).await)
}

/// `POST /customers/{customerId}/profiles/{profileId}/delete`, from its confirmation page. A
/// profile already gone (deleted by someone else meanwhile) is what was asked for.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Ids((id, profile_id)): Ids<(CustomerId, String)>,
) -> Result<Redirect, Refusal> {
    let (caller, customer, existing) = writable(state, signed_in, &id).await?;
    let client = &caller.state.partner_center;
    let Some(current) = named(&existing, &profile_id) else {
        let list = urls::profiles(&customer.id);
        return Ok(Redirect::to(&urls::with_done(&list, Done::ProfileDeleted)));
    };
    match client
        .delete_policy(&caller.ctx, &id, &profile_id, RequestId::new())
        .await
    {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => return Err(refused(&caller, error)),
    }
    tracing::info!(customer = %id, profile = %profile_id, "profile deleted");
    let devices = current
        .devices_assigned_count
        .map(|n| format!(" {n} device(s) had it."))
        .unwrap_or_default();
    let detail = format!(
        "“{}”.{devices}",
        current.name.as_deref().unwrap_or_default()
    );
    Ok(done(
        &caller,
        &id,
        (AuditAction::ProfileDeleted, Done::ProfileDeleted),
        detail,
    )
    .await)
}

/// Refuses `name` when another profile of the customer than `except` has it, without regard
/// to case: staff choose profiles by name.
fn refuse_taken_name(
    existing: &[ConfigurationPolicy],
    name: &str,
    except: Option<&str>,
    customer: &str,
) -> Result<(), Refusal> {
    let taken = existing
        .iter()
        .filter(|p| except.is_none() || p.id.as_deref() != except)
        .filter_map(|p| p.name.as_deref())
        .find(|other| other.to_lowercase() == name.to_lowercase());
    match taken {
        Some(taken) => Err(Refusal::new(
            StatusCode::CONFLICT,
            format!(
                "{customer} already has a profile named “{taken}”. Staff choose profiles by \
                 name: give this one another name."
            ),
        )),
        None => Ok(()),
    }
}

/// A profile for the audit trail and for a person: its name and its settings in words.
fn in_words(name: &str, settings: &[PolicySetting]) -> String {
    let named: Vec<&str> = settings
        .iter()
        .filter_map(|s| OobeSetting::try_from(s.as_str()).ok())
        .map(OobeSetting::name)
        .collect();
    match named.is_empty() {
        true => format!("“{name}”, with no setting."),
        false => format!("“{name}”: {}.", named.join(", ")),
    }
}

/// What every profile write starts from: the caller, the customer (which they may open) and
/// its profiles as Partner Center has them now; refused at once for a sign-in Partner Center
/// already refused a profile write.
async fn writable(
    state: AppState,
    signed_in: SignedIn,
    id: &CustomerId,
) -> Result<(Caller, CustomerRow, Vec<ConfigurationPolicy>), Refusal> {
    let caller = Caller::new(state, signed_in).await?;
    let customer = open_customer(&caller, id).await?;
    if let Some(why) = read_only(&caller) {
        return Err(Refusal::new(StatusCode::FORBIDDEN, why));
    }
    let existing = caller
        .state
        .partner_center
        .policies(&caller.ctx, id)
        .await?;
    Ok((caller, customer, existing))
}

/// The profile `profile_id` among `existing`.
fn named<'a>(
    existing: &'a [ConfigurationPolicy],
    profile_id: &str,
) -> Option<&'a ConfigurationPolicy> {
    existing.iter().find(|p| {
        p.id.as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(profile_id))
    })
}

/// A profile write done: one audit row for it (`action`, `detail`), then back to the list,
/// which says what was done (`said`).
async fn done(
    caller: &Caller,
    customer: &CustomerId,
    (action, said): (AuditAction, Done),
    detail: String,
) -> Redirect {
    let event = Event {
        action,
        ok: true,
        actor: Actor::from(&caller.user),
        customer_id: Some(*customer),
        operation_id: None,
        detail,
        correlation_id: caller.ctx.correlation_id,
    };
    audit::record(&caller.state, event).await;
    Redirect::to(&urls::with_done(
        &urls::profiles(&customer.to_string()),
        said,
    ))
}

/// A profile write Partner Center refused, in words. Refused for the person's role (not for
/// the customer's relationship, which opening the customer already checked): remembered for
/// this sign-in, so the pages stop offering what can only fail.
fn refused(caller: &Caller, error: PartnerCenterError) -> Refusal {
    if error.kind() == ErrorKind::Forbidden && error.code.as_deref() != Some(NO_RELATIONSHIP_CODE) {
        caller
            .state
            .profile_write_refusals
            .remember(&caller.user.sign_in_id);
        return Refusal::new(
            StatusCode::FORBIDDEN,
            refusals::with_ids(ONLY_ADMIN_AGENTS.into(), &error),
        );
    }
    let message = refusals::in_words(&error, "Send the form again");
    Refusal {
        message,
        ..AppError::from(error).into()
    }
}

/// The form's profile: a name (required, trimmed, at most [`PROFILE_NAME_MAX_CHARS`]), a
/// description (optional), the ticked settings (none ticked: no setting).
fn profile_from_form(fields: &[(String, String)]) -> Result<NewPolicy, Refusal> {
    let refuse = |message: String| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message);
    let name = field(fields, "name").unwrap_or_default().trim().to_string();
    if name.is_empty() {
        return Err(refuse("Give the profile a name.".into()));
    }
    if name.chars().count() > PROFILE_NAME_MAX_CHARS {
        return Err(refuse(format!(
            "A profile name may have at most {PROFILE_NAME_MAX_CHARS} characters."
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(refuse("A profile name is one line of text.".into()));
    }
    let description = field(fields, "description")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let mut settings = Vec::new();
    for word in every(fields, "setting") {
        let setting = OobeSetting::try_from(word)
            .map_err(|_| refuse(format!("“{word}” is not a profile setting.")))?;
        let wire = PolicySetting::ALL
            .iter()
            .copied()
            .find(|known| known.as_str() == setting.as_str());
        if let Some(wire) = wire.filter(|wire| !settings.contains(wire)) {
            settings.push(wire);
        }
    }
    if settings.is_empty() {
        settings.push(PolicySetting::None);
    }
    Ok(NewPolicy {
        name,
        category: PolicyCategory::Oobe,
        description,
        policy_settings: settings,
    })
}

/// The profiles as the pages list them: by name without regard to case, then by creation;
/// profiles that share a name each say what tells them apart.
/// The customer's profiles as a person chooses among them, by name and told apart.
pub(crate) fn options(policies: Vec<ConfigurationPolicy>) -> Vec<ProfileOption> {
    rows(policies)
        .into_iter()
        .map(|row| ProfileOption {
            label: match row.told_apart {
                Some(apart) => format!("{} ({apart})", row.name),
                None => row.name,
            },
            id: row.id,
        })
        .collect()
}

fn rows(policies: Vec<ConfigurationPolicy>) -> Vec<ProfileRow> {
    let mut rows: Vec<ProfileRow> = policies.into_iter().map(row).collect();
    rows.sort_by(|a, b| {
        (a.name.to_lowercase(), &a.created, &a.id).cmp(&(b.name.to_lowercase(), &b.created, &b.id))
    });
    let mut sharing: HashMap<String, usize> = HashMap::new();
    for row in &rows {
        *sharing.entry(row.name.to_lowercase()).or_default() += 1;
    }
    for row in &mut rows {
        if sharing[&row.name.to_lowercase()] > 1 {
            // The id is what Partner Center tells them apart by; its first group is enough
            // for a person to match, and the creation time says which is which.
            let short = row.id.split('-').next().unwrap_or(&row.id).to_string();
            row.told_apart = Some(match &row.created {
                Some(created) => format!("created {created}, id {short}"),
                None => format!("id {short}"),
            });
        }
    }
    rows
}

/// What a change form carries to know the profile was not changed since it was opened.
fn version_of(policy: &ConfigurationPolicy) -> String {
    policy
        .last_modified_date
        .map(|at| at.to_rfc3339())
        .unwrap_or_default()
}

fn row(policy: ConfigurationPolicy) -> ProfileRow {
    let version = version_of(&policy);
    let mut settings = Vec::new();
    let mut unknown_settings = 0;
    for setting in &policy.policy_settings {
        match OobeSetting::try_from(setting.as_str()) {
            Ok(known) if !settings.contains(&known) => settings.push(known),
            Ok(_) => {}
            // `none` is the empty set: no setting.
            Err(_) if *setting == PolicySetting::None => {}
            Err(_) => unknown_settings += 1,
        }
    }
    ProfileRow {
        id: policy.id.unwrap_or_default(),
        name: policy.name.unwrap_or_default(),
        told_apart: None,
        description: policy.description.filter(|d| !d.trim().is_empty()),
        settings,
        unknown_settings,
        devices_assigned: policy.devices_assigned_count,
        created: display_time(policy.created_date),
        changed: display_time(policy.last_modified_date),
        version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner_center::PolicyCategory;

    fn policy(id: &str, name: &str, settings: Vec<PolicySetting>) -> ConfigurationPolicy {
        ConfigurationPolicy {
            id: Some(id.into()),
            name: Some(name.into()),
            category: PolicyCategory::Oobe,
            description: None,
            devices_assigned_count: Some(2),
            policy_settings: settings,
            created_date: None,
            last_modified_date: None,
        }
    }

    #[test]
    fn profiles_that_share_a_name_are_told_apart_and_settings_read_as_words() {
        let rows = rows(vec![
            policy("bbbb1111-0000", "Kiosk", vec![PolicySetting::SkipEula]),
            policy("aaaa2222-0000", "Standard", vec![PolicySetting::None]),
            policy(
                "cccc3333-0000",
                "kiosk",
                vec![PolicySetting::SkipEula, PolicySetting::Unknown],
            ),
        ]);
        let names: Vec<String> = rows.iter().map(ProfileRow::shown_name).collect();
        assert_eq!(
            names,
            ["Kiosk (id bbbb1111)", "kiosk (id cccc3333)", "Standard"]
        );
        assert_eq!(rows[0].settings, [OobeSetting::SkipEula]);
        assert_eq!(rows[1].unknown_settings, 1);
        assert!(rows[2].settings.is_empty(), "`none` is no setting");
    }
}
