//! The few HTML pages of the sandbox's Entra ID: choose a user, an error, signed out.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::users::DEMO_USERS;
use crate::html::escape;

/// The sign-in page: one link per demo user. Each link repeats the authorize request with
/// `login_hint`, so it works without JavaScript and without a form post.
pub fn choose_user(params: &HashMap<String, String>, note: Option<&str>) -> Response {
    let link_with = |extra: (&str, &str)| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let mut keys: Vec<&String> = params.keys().collect();
        keys.sort();
        for key in keys {
            if key != "login_hint" && key != "sandbox_action" {
                query.append_pair(key, &params[key]);
            }
        }
        query.append_pair(extra.0, extra.1);
        format!("?{}", query.finish())
    };
    let mut items = String::new();
    for user in DEMO_USERS.iter() {
        items.push_str(&format!(
            "<li><a class=\"user\" href=\"{href}\"><strong>{name}</strong><span>{upn}</span><small>{purpose}</small></a></li>",
            href = escape(&link_with(("login_hint", user.upn))),
            name = escape(user.name),
            upn = escape(user.upn),
            purpose = escape(user.purpose),
        ));
    }
    let note = note
        .map(|text| format!("<p class=\"note\" role=\"alert\">{}</p>", escape(text)))
        .unwrap_or_default();
    let cancel = escape(&link_with(("sandbox_action", "cancel")));
    page(
        StatusCode::OK,
        "Sign in",
        &format!(
            "<h1>Sign in to the sandbox partner tenant</h1>{note}\
             <p>This is the built-in sandbox standing in for Microsoft Entra ID. Pick a demo user:</p>\
             <ul class=\"users\">{items}</ul>\
             <p><a href=\"{cancel}\">Cancel sign-in</a></p>"
        ),
    )
}

/// An error the sandbox cannot send back to the app (unknown client, bad redirect URI).
pub fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign-in error",
        &format!(
            "<h1>Sorry, but we're having trouble signing you in.</h1><p role=\"alert\">{}</p>",
            escape(message)
        ),
    )
}

/// The end-session endpoint's page.
pub fn signed_out(return_to: Option<&str>) -> Response {
    let back = return_to
        .filter(|uri| uri.starts_with("http://") || uri.starts_with("https://"))
        .map(|uri| {
            format!(
                "<p><a href=\"{}\">Return to the application</a></p>",
                escape(uri)
            )
        })
        .unwrap_or_default();
    page(
        StatusCode::OK,
        "Signed out",
        &format!("<h1>You signed out of the sandbox tenant.</h1>{back}"),
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\">\
         <title>{title} · Sandbox Entra ID</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}}\
         .users{{list-style:none;padding:0}}.users li{{margin:.5rem 0}}\
         a.user{{display:grid;padding:.75rem 1rem;border:1px solid #8a8886;border-radius:4px;text-decoration:none;color:inherit}}\
         a.user:hover,a.user:focus{{background:#f3f2f1;outline:2px solid #0f6cbd}}\
         a.user span{{color:#605e5c}}a.user small{{color:#605e5c}}.note{{color:#a4262c}}\
         </style></head><body><main>{body}</main></body></html>",
        title = escape(title),
    );
    (status, Html(html)).into_response()
}
