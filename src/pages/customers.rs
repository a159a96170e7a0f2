use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::codec::resource;
use crate::api::search_customers;
use crate::components::{loaded::Loaded, pager::Pager};
use crate::model::{CustomerRow, CustomerSearch, SearchField};
use crate::urls;

/// `/customers?q=…&by=name|domain&page=N`: find a customer by the start of its name or domain.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let field = move || SearchField::from_query(query.read().get("by").as_deref());
    let page = move || super::page_number(&query.read());
    let results = resource(
        move || (q(), field(), page()),
        |(q, field, page)| search_customers(q, field, page),
    );
    view! {
        <Title text="Customers"/>
        <h1>"Customers"</h1>
        <form method="get" action="/customers" class="search" role="search" aria-label="Find a customer">
            <label for="q">"Find a customer by the start of its"</label>
            <select id="by" name="by" aria-label="Search in">
                <option value="name" selected=move || field() == SearchField::Name>"company name"</option>
                <option value="domain" selected=move || field() == SearchField::Domain>"domain"</option>
            </select>
            <input id="q" name="q" type="search" maxlength="100" value=q
                placeholder="e.g. Contoso or contoso.onmicrosoft.com"/>
            <button type="submit">"Search"</button>
        </form>
        <Loaded data=results title="Customers" loading="Loading customers…" show=move |search| view! { <Results search q=q() field=field()/> } headed=true/>
    }
}

#[component]
fn Results(search: CustomerSearch, q: String, field: SearchField) -> impl IntoView {
    let heading = if q.is_empty() {
        "All customers".to_string()
    } else {
        let what = match field {
            SearchField::Name => "name",
            SearchField::Domain => "domain",
        };
        format!("Customers whose {what} starts with “{q}”")
    };
    let recent = (!search.recent.is_empty()).then(|| {
        view! {
            <section aria-labelledby="recent">
                <h2 id="recent">"Recently opened"</h2>
                <ul class="recent">
                    {search.recent.into_iter().map(|c| view! { <li><CustomerLink customer=c/></li> }).collect_view()}
                </ul>
            </section>
        }
    });
    let empty = search.items.is_empty();
    let q_for_pager = q.clone();
    view! {
        {recent}
        <section aria-labelledby="results">
            <h2 id="results">{heading}</h2>
            {if empty {
                view! { <p>"No customer matches. Check the spelling, or search by the other field."</p> }.into_any()
            } else {
                view! {
                    <table>
                        <thead><tr><th scope="col">"Company"</th><th scope="col">"Domain"</th></tr></thead>
                        <tbody>
                            {search.items.into_iter().map(|c| {
                                let domain = c.domain.clone();
                                view! { <tr><td class="key"><CustomerLink customer=c/></td><td class="id" data-label="Domain">{domain}</td></tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <Pager page=search.page has_next=search.has_next label="Customer pages"
                href=move |page| urls::customers(&q_for_pager, field, page)/>
        </section>
    }
}

#[component]
fn CustomerLink(customer: CustomerRow) -> impl IntoView {
    view! { <a href=urls::batches(&customer.id)>{customer.name}</a> }
}
