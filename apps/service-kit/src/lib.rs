//! Shared building blocks of the services.
