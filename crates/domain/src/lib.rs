//! Pure types and rules of keyproj. No I/O lives here: everything is a value or a
//! function of values, so it can be unit- and property-tested in isolation.

pub mod assessment;
pub mod attachment;
pub mod audit;
pub mod authz;
pub mod briefing;
pub mod colour;
pub mod error;
pub mod evaluation;
pub mod ids;
pub mod keyed;
pub mod money;
pub mod month;
pub mod notification;
pub mod org;
pub mod password;
pub mod pipeline;
pub mod plan;
pub mod problem;
pub mod project;
pub mod region;
pub mod report;
pub mod search;
pub mod session;
pub mod survey;

pub use error::{FieldError, ValidationErrors};
pub use money::Money;
pub use month::ReportMonth;
pub use region::RegionCode;
