//! What every handler is given.

use keyproj_service::App;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Set cookies `Secure` (and `__Host-`) when served over HTTPS.
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy: bool,
}
