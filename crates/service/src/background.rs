//! The background loop of `keyproj serve`. Each task is isolated: one that fails is logged and
//! tried again at the next tick; the others run regardless.

use crate::App;
use chrono::{NaiveDate, Timelike};

/// The background loop of `keyproj serve`: supervision once a day from 08:00 local time (the
/// first instance to claim the day); every 15 seconds webhook deliveries, import jobs whose
/// instance fell silent marked failed, and stale login-failure counts forgotten.
pub fn spawn(app: App) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        // the day this instance last saw claimed (by itself or another): no need to ask again
        let mut settled: Option<NaiveDate> = None;
        loop {
            tick.tick().await;
            let local_hour = (app.clock.now() + chrono::Duration::hours(8)).hour();
            let today = app.local_today();
            if local_hour >= 8 && settled != Some(today) {
                match crate::problems::supervision::run_daily(&app, &app.cfg.default_region).await {
                    Ok(_) => settled = Some(today),
                    Err(e) => tracing::error!(error = %e.chain(), "supervision run failed"),
                }
            }
            if let Err(e) = crate::notifications::deliver_due(&app).await {
                tracing::error!(error = %e.chain(), "webhook delivery failed");
            }
            if let Err(e) = crate::import::fail_abandoned(&app, false).await {
                tracing::error!(error = %e.chain(), "marking abandoned import jobs failed");
            }
            if let Err(e) = crate::account::sessions::forget_old_failures(&app).await {
                tracing::error!(error = %e.chain(), "purging login failure counts");
            }
            if let Err(e) = crate::admin::audit::record_anchor(&app).await {
                tracing::error!(error = %e.chain(), "recording the audit anchor");
            }
        }
    });
}
