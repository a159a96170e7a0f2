//! HTML escaping for what is written by hand outside Leptos' views (both targets): the rows of
//! the batch list, written straight into one buffer because they were measured to be the
//! page's cost (`pages::batches`), and the sandbox's own sign-in page. Every page of the
//! dashboard itself is a Leptos view, also what a refused form or a failed sign-in shows.

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// [`escape`], appending to `out`: for HTML built up in one buffer.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}
