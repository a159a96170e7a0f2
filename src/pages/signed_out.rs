//! The two pages someone who is not signed in may see: after signing out, and after a sign-in
//! that did not work (what went wrong is at the top, carried by the redirect that led here).

use leptos::prelude::*;
use leptos_meta::Title;

/// `/signed-out`, where "Sign out" leads.
#[component]
pub fn SignedOutPage() -> impl IntoView {
    view! {
        <Title text="Signed out"/>
        <h1>"You signed out"</h1>
        <p>"Your session and its Microsoft tokens were removed from this dashboard."</p>
        <p><a class="button" href="/auth/login">"Sign in again"</a></p>
    }
}

/// `/sign-in/problem`, where a sign-in that did not work leads.
#[component]
pub fn SignInProblemPage() -> impl IntoView {
    view! {
        <Title text="Not signed in"/>
        <h1>"You are not signed in"</h1>
        <p>"Sign in with your work account at the partner to use the dashboard."</p>
        <p><a class="button" href="/auth/login">"Sign in"</a></p>
    }
}
