//! api-gateway-app library.
