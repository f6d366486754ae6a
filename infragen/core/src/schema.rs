//! JSON Schema of the topology (for editor completion: taplo, Even Better
//! TOML, VS Code), generated from the raw model's types and doc comments.
//!
//! The Markdown reference of the topology is built from it in `reference`.

mod reference;
#[cfg(test)]
mod tests;

pub use crate::parse::keys::json_schema;
pub use reference::{REFERENCE_NOTICE, reference_markdown, split_default};

/// The JSON Schema, pretty-printed, newline-terminated.
pub fn json_schema_string() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).expect("a schema serializes");
    s.push('\n');
    s
}

/// Keys of each table in the order `raw.rs` declares them (the JSON Schema's
/// maps are sorted), keyed by the `$defs` name (`""` for the root).
fn declared_keys(def: &str) -> Option<&'static [&'static str]> {
    use crate::parse::raw::*;
    Some(match def {
        "" | "RawTopology" => field_names::<RawTopology>(),
        "RawProject" => field_names::<RawProject>(),
        "RawNetwork" => field_names::<RawNetwork>(),
        "RawSubnets" => field_names::<RawSubnets>(),
        "RawEdge" => field_names::<RawEdge>(),
        "RawDomain" => field_names::<RawDomain>(),
        "RawAuth" => field_names::<RawAuth>(),
        "RawPasswordPolicy" => field_names::<RawPasswordPolicy>(),
        "RawCluster" => field_names::<RawCluster>(),
        "RawCapacity" => field_names::<RawCapacity>(),
        "RawService" => field_names::<RawService>(),
        "RawScaling" => field_names::<RawScaling>(),
        "RawQueueBacklog" => field_names::<RawQueueBacklog>(),
        "RawDeploy" => field_names::<RawDeploy>(),
        "RawDatabase" => field_names::<RawDatabase>(),
        "RawBroker" => field_names::<RawBroker>(),
        "RawOperations" => field_names::<RawOperations>(),
        "RawAlarms" => field_names::<RawAlarms>(),
        "RawEcr" => field_names::<RawEcr>(),
        "RawSlo" => field_names::<RawSlo>(),
        _ => return None,
    })
}

/// The serialized field names of a struct, in declaration order: serde's
/// derive hands them to `deserialize_struct`, which this deserializer records
/// before giving up.
fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Deserializer, Visitor};
    use std::cell::Cell;

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names recorded")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    struct Probe<'a>(&'a Cell<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0.set(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let names = Cell::new(&[][..]);
    let _ = T::deserialize(Probe(&names));
    names.get()
}
