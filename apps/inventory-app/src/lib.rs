//! inventory-app library.
