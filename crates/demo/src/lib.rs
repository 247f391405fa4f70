//! The demo county and the benchmark datasets, kept out of the production service: a realistic,
//! deterministic 桃江县 ([`county`]) with its 2022 year ([`history`]) and problem list
//! ([`problems`]), written through the service's use cases; and a synthetic province
//! ([`province`]) and timed runs ([`bench`]) for the figures in `BENCHMARKS.md`.

pub mod bench;
pub mod county;
pub mod everyday;
pub mod history;
pub mod pipeline;
pub mod problems;
pub mod province;
pub mod seed;

pub use county::{DemoAccount, DemoAccounts, load};

/// A demo project as the later steps need it.
pub(crate) struct DemoProject {
    pub id: keyproj_domain::ids::ProjectId,
    pub stage: String,
    pub started_2022: bool,
    pub total: keyproj_domain::Money,
    /// What it was created with (the 2022 year corrects one total).
    pub input: keyproj_service::projects::ProjectInput,
}
