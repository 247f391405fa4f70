//! Vocabularies: enums stored by a stable English key and shown by a Chinese label, declared
//! once with [`keyed_enum!`](crate::keyed_enum). Every vocabulary has the same three readers:
//!
//! - `from_key` — the stored key only, for rows read back from the database (strict);
//! - `from_input` — what a person typed or a workbook holds: the key, the label or an alias;
//! - `parse` — `from_input` with a Chinese message at the field when nothing matches.

/// Declares a vocabulary. Each variant names its key, its label and optional aliases:
///
/// ```
/// keyproj_domain::keyed_enum!(
///     /// 项目级别
///     pub enum Level, "项目级别" {
///         Provincial => "provincial", "省重点" | "省级";
///         County => "county", "县重点";
///     }
/// );
/// assert_eq!(Level::from_input("省级"), Some(Level::Provincial));
/// assert_eq!(Level::from_key("省重点"), None);
/// assert_eq!(Level::County.to_string(), "县重点");
/// ```
#[macro_export]
macro_rules! keyed_enum {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident, $what:literal {
            $($(#[$vm:meta])* $variant:ident => $key:literal, $label:literal $(| $alias:literal)*;)+
        }
    ) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        $vis enum $name {
            $($(#[$vm])* #[serde(rename = $key)] $variant),+
        }

        impl $name {
            /// Every value, in the order they are offered.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What the vocabulary names (for messages).
            pub const WHAT: &'static str = $what;

            /// The stable English key it is stored under.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }
            /// The Chinese label.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$($alias),*]),+ }
            }
            /// From a stored key only.
            pub fn from_key(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.key() == s)
            }
            /// From input: the key, the Chinese label or an alias.
            pub fn from_input(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.key() == s || v.label() == s || v.aliases().contains(&s))
            }
            /// From input, with a Chinese message at `field` when nothing matches.
            pub fn parse(field: &str, s: &str) -> Result<$name, $crate::FieldError> {
                if s.trim().is_empty() {
                    return Err($crate::FieldError::new(
                        field,
                        "required",
                        concat!("请选择", $what),
                    ));
                }
                Self::from_input(s).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.label()).collect();
                    $crate::FieldError::new(
                        field,
                        "unknown_value",
                        format!(
                                                        concat!($what, "“{}”无效，可选：{}"),
                            $crate::error::echoed(s),
                            allowed.join("、")
                        ),
                    )
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl $crate::keyed::Keyed for $name {
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn key(self) -> &'static str {
                $name::key(self)
            }
            fn label(self) -> &'static str {
                $name::label(self)
            }
        }
    };
}

/// What every vocabulary offers, for code that works on any of them (a form's options).
pub trait Keyed: Copy + PartialEq + 'static {
    fn all() -> &'static [Self];
    fn key(self) -> &'static str;
    fn label(self) -> &'static str;
}

#[cfg(test)]
mod tests {
    crate::keyed_enum!(
        /// A test vocabulary.
        enum Fruit, "水果" {
            Peach => "peach", "桃" | "桃子";
            Pear => "pear", "梨";
        }
    );

    #[test]
    fn keys_labels_aliases_and_messages() {
        assert_eq!(Fruit::from_key("peach"), Some(Fruit::Peach));
        assert_eq!(Fruit::from_key("桃"), None, "rows hold keys only");
        assert_eq!(Fruit::from_input(" 桃子 "), Some(Fruit::Peach));
        assert_eq!(Fruit::parse("f", "").unwrap_err().message, "请选择水果");
        let e = Fruit::parse("f", "李").unwrap_err();
        assert_eq!(e.message, "水果“李”无效，可选：桃、梨");
        assert_eq!(serde_json::to_string(&Fruit::Pear).unwrap(), "\"pear\"");
        assert_eq!(Fruit::Pear.to_string(), "梨");
        assert_eq!(Fruit::ALL.len(), 2);
        assert_eq!(Fruit::WHAT, "水果");
    }
}
