//! How the images and the compose file run a service.

/// The user and group every service container runs as (distroless `nonroot`).
pub const USER: &str = "65532:65532";

/// The one writable path of a service's read-only root filesystem.
pub const WRITABLE_PATH: &str = "/tmp";
