//! View pieces shared by several pages.

pub mod crumbs;
pub mod error_notice;
pub mod pager;
