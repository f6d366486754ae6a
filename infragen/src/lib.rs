//! infragen library.
