//! Moments in the viewer's time zone.
//!
//! The server writes every moment in UTC, labelled ("2025-04-17 09:00 UTC",
//! `server::display_time`): it cannot know the viewer's zone. Once the page has hydrated,
//! the browser rewrites those shown through [`LocalTime`] (the lists' and the job's; a
//! moment inside a sentence stays in UTC) in its own zone ("2025-04-17 11:00 UTC+2").
//! Doing it while rendering would make the hydrated text differ from the server's (a
//! hydration mismatch), so it is an effect, which runs only in the browser and only after
//! hydration. Without JavaScript the page stays in UTC, which its label says.

use leptos::prelude::*;

/// `2025-04-17 09:00 UTC` (what the server writes) as `2025-04-17T09:00Z`, for `<time
/// datetime>` and for the browser's date parser; `None` for anything else.
pub fn iso_of(utc: &str) -> Option<String> {
    let (date, time) = utc.strip_suffix(" UTC")?.split_once(' ')?;
    let shaped = date.len() == 10 && time.len() == 5;
    let digits = date
        .chars()
        .chain(time.chars())
        .all(|c| c.is_ascii_digit() || c == '-' || c == ':');
    (shaped && digits).then(|| format!("{date}T{time}Z"))
}

/// The zone's label for an offset east of UTC, in minutes: `UTC`, `UTC+2`, `UTC−5`,
/// `UTC+5:30`.
pub fn zone_label(east_minutes: i32) -> String {
    let sign = if east_minutes < 0 { '−' } else { '+' };
    let (hours, minutes) = (east_minutes.abs() / 60, east_minutes.abs() % 60);
    match (hours, minutes) {
        (0, 0) => "UTC".to_string(),
        (h, 0) => format!("UTC{sign}{h}"),
        (h, m) => format!("UTC{sign}{h}:{m:02}"),
    }
}

/// The moment in the browser's zone, as the server's form is written; `None` when `utc`
/// is not the server's form.
#[cfg(feature = "hydrate")]
pub fn in_local_zone(utc: &str) -> Option<String> {
    let iso = iso_of(utc)?;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&iso));
    if date.get_time().is_nan() {
        return None;
    }
    // getTimezoneOffset is minutes *west* of UTC.
    let east = -(date.get_timezone_offset() as i32);
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        zone_label(east)
    ))
}

/// A moment the server wrote in UTC, in the viewer's zone once hydrated; the UTC text stays
/// as its tooltip.
#[component]
pub fn LocalTime(#[prop(into)] utc: Option<String>) -> impl IntoView {
    let utc = utc.unwrap_or_default();
    let shown = RwSignal::new(utc.clone());
    #[cfg(feature = "hydrate")]
    {
        let utc = utc.clone();
        Effect::new(move |_| {
            if let Some(local) = in_local_zone(&utc) {
                shown.set(local);
            }
        });
    }
    let datetime = iso_of(&utc);
    view! { <time datetime=datetime title=utc>{move || shown.get()}</time> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_form_reads_as_iso() {
        assert_eq!(
            iso_of("2025-04-17 09:00 UTC").as_deref(),
            Some("2025-04-17T09:00Z")
        );
        assert_eq!(
            iso_of("2025-04-17 09:00:05 UTC"),
            None,
            "the pages write no seconds"
        );
        assert_eq!(iso_of("2025-04-17 09:00"), None);
        assert_eq!(iso_of("<b>oops</b> UTC"), None);
        assert_eq!(iso_of(""), None);
    }

    #[test]
    fn zones_are_labelled_by_their_offset() {
        assert_eq!(zone_label(0), "UTC");
        assert_eq!(zone_label(120), "UTC+2");
        assert_eq!(zone_label(-300), "UTC−5");
        assert_eq!(zone_label(330), "UTC+5:30");
        assert_eq!(zone_label(-570), "UTC−9:30");
    }
}
