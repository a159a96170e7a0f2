//! View pieces shared by several pages.

pub mod act_on_chosen;
pub mod carried_choice;
pub mod crumbs;
pub mod done_notice;
pub mod error_notice;
pub mod loaded;
pub mod local_time;
pub mod pager;
pub mod poll;
pub mod profile_choice;
pub mod refused_notice;
pub mod take_focus;
pub mod tick_links;
