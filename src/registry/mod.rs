//! Redfish message registries held as data: the Base and TaskEvent
//! registries, each a static table of [`MessageDef`] rows, and typed
//! constructors that turn a row plus its arguments into a
//! [`RedfishMessage`].
//!
//! Callers never spell a MessageId: they call a constructor such as
//! [`base::property_unknown`] or name a row with a typed key such as
//! [`base::Key::PropertyUnknown`]. Each table is written once, in the
//! `message_table!` invocation of its module, which generates the table,
//! the key enum and the constructors together so they cannot drift apart.
//!
//! This module is pure data and string work: it knows nothing of HTTP.

pub mod message;

pub use message::{MESSAGE_ODATA_TYPE, RedfishMessage};

use serde::{Deserialize, Serialize};

/// How serious a message is, as the Redfish `MessageSeverity` values.
///
/// The derived order is the order of seriousness: `Ok < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Normal: `OK`.
    #[serde(rename = "OK")]
    Ok,
    /// A condition requiring attention: `Warning`.
    Warning,
    /// A condition requiring immediate attention: `Critical`.
    Critical,
}

impl Severity {
    /// The more serious of two severities, e.g. to roll up a task's
    /// messages into its `TaskStatus`.
    pub fn worst(a: Severity, b: Severity) -> Severity {
        a.max(b)
    }

    /// The Redfish spelling: `OK`, `Warning` or `Critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "OK",
            Severity::Warning => "Warning",
            Severity::Critical => "Critical",
        }
    }
}

/// One message of a registry, as the registry defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageDef {
    /// The message key, the last segment of the MessageId.
    pub key: &'static str,
    /// The message text with `%1`..`%n` placeholders.
    pub format: &'static str,
    /// The severity the registry assigns.
    pub severity: Severity,
    /// How many arguments the format takes.
    pub args: u8,
    /// The registry's suggested resolution, shown to clients.
    pub resolution: &'static str,
}

/// A message registry: its prefix, version and table of messages.
#[derive(Debug)]
pub struct Registry {
    /// `RegistryPrefix`, e.g. `Base`.
    pub prefix: &'static str,
    /// `RegistryVersion`, e.g. `1.22.1`.
    pub version: &'static str,
    /// Every message this service uses from the registry.
    pub messages: &'static [MessageDef],
}

impl Registry {
    /// The registry's `Id`, prefix and version: `Base.1.22.1`.
    pub fn id(&self) -> String {
        format!("{}.{}", self.prefix, self.version)
    }

    /// The full MessageId of `key` in this registry:
    /// `Base.1.22.1.PropertyUnknown`.
    pub fn message_id(&self, key: &str) -> String {
        format!("{}.{}.{}", self.prefix, self.version, key)
    }

    /// The row for `key`, if this registry has one.
    pub fn find(&self, key: &str) -> Option<&'static MessageDef> {
        self.messages.iter().find(|def| def.key == key)
    }
}

/// Every registry this service carries.
pub static REGISTRIES: [&Registry; 2] = [&base::REGISTRY, &task_event::REGISTRY];

/// Resolves a full MessageId such as `TaskEvent.1.0.5.TaskStarted` to its
/// registry and row. Returns `None` for an unknown prefix, version or key.
pub fn find_message(message_id: &str) -> Option<(&'static Registry, &'static MessageDef)> {
    REGISTRIES.iter().find_map(|registry| {
        let rest = message_id.strip_prefix(registry.prefix)?;
        let rest = rest.strip_prefix('.')?.strip_prefix(registry.version)?;
        let key = rest.strip_prefix('.')?;
        registry.find(key).map(|def| (*registry, def))
    })
}

/// Generates, from one list of rows, a registry's table (`MESSAGES`), its
/// `REGISTRY`, a `Key` enum naming each row and one constructor per row.
///
/// A row reads `Key => fn constructor(arg, ...); Severity, "format",
/// "resolution";` with its `///` docs in front. The number of constructor
/// parameters is the row's argument count.
macro_rules! message_table {
    (
        registry: $prefix:literal, $version:literal;
        $(
            $(#[doc = $doc:literal])*
            $key:ident => fn $func:ident($($arg:ident),*);
                $severity:ident, $format:literal, $resolution:literal;
        )+
    ) => {
        use std::fmt::Display;

        use super::{MessageDef, RedfishMessage, Registry, Severity};

        /// This registry: prefix, version and table.
        pub static REGISTRY: Registry = Registry {
            prefix: $prefix,
            version: $version,
            messages: &MESSAGES,
        };

        /// The message table, one row per [`Key`], in the same order.
        pub static MESSAGES: [MessageDef; Key::ALL.len()] = [$(
            MessageDef {
                key: stringify!($key),
                format: $format,
                severity: Severity::$severity,
                args: <[&str]>::len(&[$(stringify!($arg)),*]) as u8,
                resolution: $resolution,
            },
        )+];

        /// Typed names of this registry's messages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Key {
            $(
                #[doc = concat!("The `", stringify!($key), "` message.")]
                $key,
            )+
        }

        impl Key {
            /// Every key, in table order.
            pub const ALL: &'static [Key] = &[$(Key::$key),+];

            /// This message's row in the table.
            pub fn def(self) -> &'static MessageDef {
                &MESSAGES[self as usize]
            }

            /// This message's full MessageId, e.g. `Base.1.22.1.Success`.
            pub fn message_id(self) -> String {
                REGISTRY.message_id(self.def().key)
            }

            /// Builds the message from already formatted arguments.
            fn build(self, args: Vec<String>) -> RedfishMessage {
                RedfishMessage::from_def(&REGISTRY, self.def(), args)
            }
        }

        $(
            $(#[doc = $doc])*
            pub fn $func($($arg: impl Display),*) -> RedfishMessage {
                Key::$key.build(vec![$($arg.to_string()),*])
            }
        )+

        /// Calls every constructor with arguments drawn from `next`, for
        /// tests: yields the key, the arguments given and the message.
        #[cfg(test)]
        pub(crate) fn build_every(
            next: &mut dyn FnMut() -> String,
        ) -> Vec<(Key, Vec<String>, RedfishMessage)> {
            vec![$(
                {
                    $(let $arg = next();)*
                    let given: Vec<String> = vec![$($arg.clone()),*];
                    (Key::$key, given, $func($($arg),*))
                },
            )+]
        }
    };
}

pub mod base;
pub mod task_event;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_worst_orders_ok_warning_critical() {
        use Severity::*;
        assert_eq!(Severity::worst(Ok, Warning), Warning);
        assert_eq!(Severity::worst(Critical, Warning), Critical);
        assert_eq!(Severity::worst(Ok, Ok), Ok);
        assert!(Ok < Warning && Warning < Critical);
    }

    #[test]
    fn severity_serializes_as_redfish_spelling() {
        for sev in [Severity::Ok, Severity::Warning, Severity::Critical] {
            let json = serde_json::to_value(sev).ok();
            assert_eq!(json, Some(serde_json::Value::from(sev.as_str())));
        }
    }

    #[test]
    fn registry_ids_carry_prefix_and_version() {
        assert_eq!(base::REGISTRY.id(), "Base.1.22.1");
        assert_eq!(task_event::REGISTRY.id(), "TaskEvent.1.0.5");
        assert_eq!(
            base::Key::PropertyUnknown.message_id(),
            "Base.1.22.1.PropertyUnknown"
        );
    }

    #[test]
    fn find_message_resolves_full_ids_only() {
        let found = find_message("TaskEvent.1.0.5.TaskStarted");
        assert_eq!(
            found.map(|(r, d)| (r.prefix, d.key)),
            Some(("TaskEvent", "TaskStarted"))
        );
        assert!(find_message("Base.1.22.1.Success").is_some());
        assert!(find_message("Base.1.21.0.Success").is_none());
        assert!(find_message("Base.1.22.1.NoSuchKey").is_none());
        assert!(find_message("Base.1.22.1").is_none());
    }

    #[test]
    fn every_format_uses_exactly_its_declared_arguments() {
        for registry in REGISTRIES {
            for def in registry.messages {
                let count = message::placeholder_count(def.format);
                assert_eq!(count, usize::from(def.args), "{}", def.key);
                for n in 1..=count {
                    let marker = format!("%{n}");
                    assert_eq!(
                        def.format.matches(&marker).count(),
                        1,
                        "{} {marker}",
                        def.key
                    );
                }
            }
        }
    }

    /// A tiny deterministic generator (xorshift) of awkward argument text.
    struct Args(u64);

    impl Args {
        fn next(&mut self) -> String {
            const PIECES: [&str; 9] = ["a", "Name", "%1", "%", "'", "é", "42", " ", "#/X"];
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            let len = (self.0 % 5) as usize;
            (0..len)
                .map(|i| PIECES[((self.0 >> (8 * i)) % PIECES.len() as u64) as usize])
                .collect()
        }
    }

    fn check_whole(registry: &Registry, def: &MessageDef, given: &[String], msg: &RedfishMessage) {
        assert_eq!(msg.message_id, registry.message_id(def.key));
        assert!(msg.message_id.starts_with(&format!("{}.", registry.id())));
        assert_eq!(msg.message_args, given, "{}", def.key);
        assert_eq!(usize::from(def.args), given.len(), "{}", def.key);
        assert_eq!(msg.severity, def.severity);
        assert_eq!(msg.resolution, def.resolution);
        assert!(msg.related_properties.is_empty());

        // Each placeholder is used once, so lengths add up exactly.
        let markers: usize = (1..=given.len()).map(|n| format!("%{n}").len()).sum();
        let arg_len: usize = given.iter().map(String::len).sum();
        assert_eq!(
            msg.message.len(),
            def.format.len() - markers + arg_len,
            "{}",
            def.key
        );
        assert!(given.iter().all(|arg| msg.message.contains(arg.as_str())));
        let head = def.format.split('%').next().unwrap_or_default();
        assert!(msg.message.starts_with(head) && msg.message.ends_with('.'));
        if given.iter().all(|arg| !arg.contains('%')) {
            assert!(!msg.message.contains('%'), "{}", msg.message);
        }
    }

    #[test]
    fn every_constructor_yields_a_whole_message() {
        let mut args = Args(0x9E37_79B9_7F4A_7C15);
        for _ in 0..200 {
            let mut next = || args.next();
            for (key, given, msg) in base::build_every(&mut next) {
                check_whole(&base::REGISTRY, key.def(), &given, &msg);
            }
            for (key, given, msg) in task_event::build_every(&mut next) {
                check_whole(&task_event::REGISTRY, key.def(), &given, &msg);
            }
        }
    }

    #[test]
    fn tables_hold_the_expected_messages() {
        assert_eq!(base::MESSAGES.len(), 53);
        assert_eq!(task_event::MESSAGES.len(), 9);
        assert_eq!(base::Key::ALL.len(), base::MESSAGES.len());
    }

    #[test]
    fn keys_match_table_rows_and_are_unique() {
        for registry in REGISTRIES {
            let mut keys: Vec<&str> = registry.messages.iter().map(|d| d.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), registry.messages.len(), "{}", registry.prefix);
        }
        for key in base::Key::ALL {
            assert_eq!(format!("{key:?}"), key.def().key);
        }
        for key in task_event::Key::ALL {
            assert_eq!(format!("{key:?}"), key.def().key);
        }
    }
}
