//! Enumerations with a stable wire name and a Vietnamese and English label.

/// One value of a labelled enumeration, for clients that show labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumLabel {
    pub enum_name: &'static str,
    pub value: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
}

/// An enum stored in the database by its wire name (every `labelled_enum!`).
/// Reading one back goes through `error::stored_enum`, the one place that
/// turns an unknown stored name into an error.
pub trait StoredEnum: Sized + Copy {
    /// The enum's name, for error details.
    const ENUM_NAME: &'static str;
    /// The value a stored name stands for; `None` for anything else.
    fn from_stored(s: &str) -> Option<Self>;
}

/// Declares an enum whose values are stored and sent as SCREAMING_SNAKE_CASE
/// names and carry a Vietnamese and an English label.
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => ($wire:literal, $vi:literal, $en:literal), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The stored and transmitted name.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $wire, )+ }
            }

            /// Parses a stored name; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $( $wire => Some($name::$variant), )+ _ => None }
            }

            pub fn label_vi(self) -> &'static str {
                match self { $( $name::$variant => $vi, )+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $( $name::$variant => $en, )+ }
            }

            /// All values with their labels.
            pub fn labels() -> Vec<$crate::domain::EnumLabel> {
                Self::ALL
                    .iter()
                    .map(|v| $crate::domain::EnumLabel {
                        enum_name: stringify!($name),
                        value: v.as_str(),
                        vi: v.label_vi(),
                        en: v.label_en(),
                    })
                    .collect()
            }
        }

        impl $crate::domain::StoredEnum for $name {
            const ENUM_NAME: &'static str = stringify!($name);
            fn from_stored(s: &str) -> Option<Self> {
                $name::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown {} value {s:?}", stringify!($name)))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
