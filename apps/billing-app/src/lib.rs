//! billing-app library.
