//! A customer's Autopilot profiles, as partner staff see them: each setting in words (never
//! Partner Center's wire names), how many devices have it, and profiles that share a name told
//! apart. Over real HTTP, JavaScript off; on SQLite and PostgreSQL.

mod common;

use common::uploads::{post_form, CONTOSO, NORTHWIND};
use common::*;

#[tokio::test]
async fn a_customers_profiles_say_what_the_person_at_a_new_device_will_see() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;

    let batches = browser
        .page(&format!("/customers/{CONTOSO}/batches"), 200)
        .await;
    assert!(
        batches.contains(&format!("href=\"/customers/{CONTOSO}/profiles\"")),
        "the customer's page leads to its profiles: {batches}"
    );
    let page = browser
        .page(&format!("/customers/{CONTOSO}/profiles"), 200)
        .await;
    assert!(page.contains("Standard user OOBE"), "{page}");
    assert!(page.contains("Shared kiosk"), "{page}");
    assert!(page.contains("Skip privacy settings"), "{page}");
    assert!(page.contains("User is not a local administrator"), "{page}");
    assert!(page.contains("Skip the license terms"), "{page}");
    assert!(
        page.contains("They do not see the Windows license agreement"),
        "each setting says what the person will or will not see: {page}"
    );
    let shown = without_scripts(&page);
    for wire in [
        "skip_eula",
        "skip_express_settings",
        "oobe_user_not_local_admin",
        "o_o_b_e",
    ] {
        let at = shown.find(wire);
        let context = at.map(|at| &shown[at.saturating_sub(300)..(at + 100).min(shown.len())]);
        assert!(
            at.is_none(),
            "no wire name ({wire}) on the page: {context:?}"
        );
    }
    assert!(
        page.contains("devices have it") || page.contains("device has it"),
        "{page}"
    );

    let none = browser
        .page(&format!("/customers/{NORTHWIND}/profiles"), 200)
        .await;
    assert!(
        none.contains("This customer has no Autopilot profiles yet."),
        "{none}"
    );
}

/// The page as a person reads it: without the scripts, whose hydration data carries the
/// settings under their wire names.
fn without_scripts(page: &str) -> String {
    let mut shown = String::new();
    let mut rest = page;
    while let Some(start) = rest.find("<script") {
        shown.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</script>")
            .map_or("", |end| &rest[start + end + "</script>".len()..]);
    }
    shown.push_str(rest);
    shown
}

#[tokio::test]
async fn a_sales_agent_sees_the_profiles_too() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(SALES, "/customers").await;
    let page = browser
        .page(&format!("/customers/{CONTOSO}/profiles"), 200)
        .await;
    assert!(page.contains("Shared kiosk"), "{page}");
}

#[tokio::test]
async fn an_admin_agent_creates_a_profile_whose_name_no_other_profile_has() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let profiles = format!("/customers/{CONTOSO}/profiles");
    let form = browser.page(&format!("{profiles}/new"), 200).await;
    assert!(form.contains("Skip the license terms"), "{form}");
    assert!(
        form.contains("name=\"setting\" value=\"skip_eula\""),
        "{form}"
    );
    assert!(
        form.contains(&format!("<a href=\"{profiles}\">Autopilot profiles")),
        "the trail leads back to the profiles: {form}"
    );

    let created = post_form(
        &browser,
        &profiles,
        &[
            ("name", "  Field laptops "),
            ("description", "For the sales team's laptops"),
            ("setting", "skip_eula"),
            ("setting", "oobe_user_not_local_admin"),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(
        location(&created),
        format!("{profiles}?done=profile-created")
    );
    let page = browser.page(&location(&created), 200).await;
    assert!(
        page.contains("The profile was created in Partner Center."),
        "{page}"
    );
    assert!(page.contains("Field laptops"), "{page}");
    assert!(
        page.contains("For the sales team&#39;s laptops")
            || page.contains("For the sales team's laptops"),
        "{page}"
    );

    // Another name only by case: refused before anything is sent.
    let again = post_form(&browser, &profiles, &[("name", "FIELD LAPTOPS")]).await;
    assert_eq!(again.status(), 409);
    let said = again.text().await.unwrap();
    assert!(
        said.contains("already has a profile named “Field laptops”"),
        "{said}"
    );
    let page = browser.page(&profiles, 200).await;
    assert_eq!(
        page.matches("aria-label=\"Field laptops\"").count(),
        1,
        "one profile of that name: {page}"
    );

    let nameless = post_form(&browser, &profiles, &[("name", "  ")]).await;
    assert_eq!(nameless.status(), 422);
    assert!(nameless
        .text()
        .await
        .unwrap()
        .contains("Give the profile a name."));
    let unknown = post_form(
        &browser,
        &profiles,
        &[("name", "Odd"), ("setting", "skip_everything")],
    )
    .await;
    assert_eq!(unknown.status(), 422);

    let audit = browser.page("/audit", 200).await;
    assert!(audit.contains("Profile created"), "{audit}");
    assert!(
        audit.contains(
            "“Field laptops”: Skip the license terms, User is not a local administrator."
        ),
        "{audit}"
    );
}

#[tokio::test]
async fn a_sales_agent_refused_a_profile_write_is_told_why_and_offered_no_button_after() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(SALES, "/customers").await;
    let profiles = format!("/customers/{CONTOSO}/profiles");
    // The dashboard cannot know the role before Partner Center says.
    let page = browser.page(&profiles, 200).await;
    assert!(page.contains("New profile"), "{page}");

    let refused = post_form(&browser, &profiles, &[("name", "Sales try")]).await;
    assert_eq!(refused.status(), 403);
    let said = refused.text().await.unwrap();
    assert!(
        said.contains("Only Admin agents can create, change and apply"),
        "{said}"
    );
    assert!(said.contains("Request id"), "{said}");

    let page = browser.page(&profiles, 200).await;
    assert!(page.contains("Only Admin agents can create"), "{page}");
    assert!(
        !page.contains("New profile"),
        "no button that can only fail: {page}"
    );
    let form = browser.page(&format!("{profiles}/new"), 200).await;
    assert!(!form.contains("Create the profile"), "{form}");
    let admin = Browser::new(&app);
    admin.sign_in(ADMIN, "/customers").await;
    let kiosk = change_form_of(&admin.page(&profiles, 200).await, "Shared kiosk");
    let kiosk = kiosk.trim_end_matches("/edit");
    let refused = browser.post(&format!("{kiosk}/delete")).await;
    assert_eq!(refused.status(), 403, "read-only once refused");
    assert!(admin
        .page(&profiles, 200)
        .await
        .contains("aria-label=\"Shared kiosk\""));
    assert!(!page.contains("Sales try"), "{page}");
}

/// The address of a listed profile's change form, from its "Change …" link.
fn change_form_of(page: &str, shown_name: &str) -> String {
    let link = page
        .find(&format!(">Change {shown_name}"))
        .unwrap_or_else(|| panic!("a link to change {shown_name}: {page}"));
    let start = page[..link].rfind("href=\"").expect("the link's address") + "href=\"".len();
    page[start..link - 1].to_string()
}

#[tokio::test]
async fn a_profile_is_changed_unless_someone_changed_it_since_the_form_was_opened() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let profiles = format!("/customers/{CONTOSO}/profiles");
    let list = browser.page(&profiles, 200).await;
    let form_address = change_form_of(&list, "Shared kiosk");
    let profile = form_address.trim_end_matches("/edit").to_string();

    let form = browser.page(&form_address, 200).await;
    assert!(form.contains("value=\"Shared kiosk\""), "filled in: {form}");
    assert!(
        form.contains("value=\"skip_eula\" checked"),
        "its settings ticked: {form}"
    );
    let version = {
        let at = form.find("name=\"version\" value=\"").expect("the version") + 22;
        form[at..at + form[at..].find('"').unwrap()].to_string()
    };
    assert!(!version.is_empty(), "{form}");

    // Someone else changes it first.
    let theirs = post_form(
        &browser,
        &profile,
        &[
            ("version", &version),
            ("name", "Shared kiosk (lobby)"),
            ("setting", "skip_eula"),
        ],
    )
    .await;
    assert_eq!(theirs.status(), 303);
    assert_eq!(
        location(&theirs),
        format!("{profiles}?done=profile-changed")
    );

    // The form opened before that change is not sent, and both versions are shown.
    let mine = post_form(
        &browser,
        &profile,
        &[
            ("version", &version),
            ("name", "Front desk kiosk"),
            ("setting", "oobe_user_not_local_admin"),
        ],
    )
    .await;
    assert_eq!(mine.status(), 409);
    let said = mine.text().await.unwrap();
    assert!(
        said.contains("Someone changed this profile after you opened the form"),
        "{said}"
    );
    assert!(
        said.contains("“Shared kiosk (lobby)”: Skip the license terms."),
        "{said}"
    );
    assert!(
        said.contains("“Front desk kiosk”: User is not a local administrator."),
        "{said}"
    );
    let list = browser.page(&profiles, 200).await;
    assert!(list.contains("Shared kiosk (lobby)"), "{list}");
    assert!(!list.contains("Front desk kiosk"), "{list}");

    // Renamed to another profile's name: refused.
    let form = browser.page(&format!("{profile}/edit"), 200).await;
    let at = form.find("name=\"version\" value=\"").expect("the version") + 22;
    let fresh = form[at..at + form[at..].find('"').unwrap()].to_string();
    let taken = post_form(
        &browser,
        &profile,
        &[("version", &fresh), ("name", "standard user oobe")],
    )
    .await;
    assert_eq!(taken.status(), 409);
    assert!(taken
        .text()
        .await
        .unwrap()
        .contains("already has a profile named “Standard user OOBE”"));

    let audit = browser.page("/audit", 200).await;
    assert!(audit.contains("Profile changed"), "{audit}");
}

#[tokio::test]
async fn a_profile_is_deleted_after_a_confirmation_that_says_how_many_devices_have_it() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in(ADMIN, "/customers").await;
    let profiles = format!("/customers/{CONTOSO}/profiles");
    let list = browser.page(&profiles, 200).await;
    let profile = change_form_of(&list, "Shared kiosk")
        .trim_end_matches("/edit")
        .to_string();
    let confirm = browser.page(&format!("{profile}/delete"), 200).await;
    assert!(confirm.contains("Delete “Shared kiosk”?"), "{confirm}");
    assert!(
        confirm.contains("devices have it.") || confirm.contains("device has it."),
        "{confirm}"
    );
    assert!(confirm.contains("is not documented"), "{confirm}");

    let deleted = browser.post(&format!("{profile}/delete")).await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(
        location(&deleted),
        format!("{profiles}?done=profile-deleted")
    );
    let list = browser.page(&location(&deleted), 200).await;
    assert!(
        list.contains("The profile was deleted in Partner Center."),
        "{list}"
    );
    assert!(!list.contains("aria-label=\"Shared kiosk\""), "{list}");
    // Asked again (a second tab): what was asked for holds.
    let again = browser.post(&format!("{profile}/delete")).await;
    assert_eq!(again.status(), 303);

    let audit = browser.page("/audit", 200).await;
    assert!(audit.contains("Profile deleted"), "{audit}");
    assert!(audit.contains("“Shared kiosk”."), "{audit}");
}
