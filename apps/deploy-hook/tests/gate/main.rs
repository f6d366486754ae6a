//! The smoke gate's handler against the real inventory-app (in-process, on
//! its own database of the local PostgreSQL) and against endpoints that
//! fail the ways a bad revision does: an error status, a closed port, a
//! listener that never answers. One test binary, a module per concern.

mod helpers;
mod malformed;
mod passes_a_good_revision;
mod refuses_a_bad_revision;
