//! The topology model, its validation, the per-module views and the Terraform renderer. No AWS SDK here.
