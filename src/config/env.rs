//! The environment laid over the config file: `MARKETBOT_<SECTION>__<KEY>` variables, the
//! keys and their types read off the raw structs (a probing deserializer), each variable
//! typed as its key expects and placed in the parsed file with a span past the file's end,
//! so that a problem with it names the variable.

use super::*;

/// Where the environment is read from: the process, or a list or map in tests.
pub trait Env {
    /// Every variable with its value (also empty ones; they are ignored later).
    fn vars(&self) -> Vec<(String, String)>;

    /// The variable's value, if set and not blank.
    fn var(&self, name: &str) -> Option<String> {
        self.vars()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .filter(|v| !v.trim().is_empty())
    }
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    /// Variables whose name is not Unicode are left out (they cannot be config keys); values
    /// that are not are taken lossily.
    fn vars(&self) -> Vec<(String, String)> {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
            .collect()
    }

    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn vars(&self) -> Vec<(String, String)> {
        self.as_slice().vars()
    }
}

impl Env for [(&str, &str)] {
    fn vars(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

impl Env for Vec<(String, String)> {
    fn vars(&self) -> Vec<(String, String)> {
        self.clone()
    }
}

impl<S: std::hash::BuildHasher> Env for std::collections::HashMap<String, String, S> {
    fn vars(&self) -> Vec<(String, String)> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

impl Env for BTreeMap<String, String> {
    fn vars(&self) -> Vec<(String, String)> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Every key the config file accepts, dotted (`telegram.token`); keys of the entries of an
/// array of tables as `quotes[].symbols`. Each is settable as described in the module docs.
pub fn keys() -> Vec<String> {
    fn walk(shape: &Shape, prefix: &str, out: &mut Vec<String>) {
        let Shape::Table(fields) = shape else { return };
        for (name, shape) in fields {
            let key = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            match shape {
                Shape::Table(_) => walk(shape, &key, out),
                Shape::List(item) if matches!(**item, Shape::Table(_)) => {
                    walk(item, &format!("{key}[]"), out)
                }
                _ => out.push(key),
            }
        }
    }
    let mut out = Vec::new();
    walk(schema(), "", &mut out);
    out
}

/// The name of the variable that sets `key` (as [`keys`] writes it; `index` for the `[]`
/// of an array of tables): `MARKETBOT_QUOTES__0__SYMBOLS` for `quotes[].symbols` and 0.
pub fn env_var(key: &str, index: Option<usize>) -> String {
    let path = key
        .split('.')
        .map(|part| match part.strip_suffix("[]") {
            Some(list) => format!(
                "{}{ENV_SEPARATOR}{}",
                list.to_ascii_uppercase(),
                index.unwrap_or(0)
            ),
            None => part.to_ascii_uppercase(),
        })
        .collect::<Vec<_>>()
        .join(ENV_SEPARATOR);
    format!("{ENV_PREFIX}{path}")
}

/// What a key holds, as its raw field declares it.
#[derive(Debug)]
enum Shape {
    /// A table with these keys.
    Table(Vec<(&'static str, Shape)>),
    /// An array of these.
    List(Box<Shape>),
    /// A single value.
    Value(Kind),
    /// Anything else (nothing in the config is).
    Other,
}

/// The kind of a single value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    String,
    Integer,
    Float,
    Boolean,
}

/// The config's keys and their kinds, read once from [`RawConfig`].
fn schema() -> &'static Shape {
    static SCHEMA: OnceLock<Shape> = OnceLock::new();
    SCHEMA.get_or_init(shape::of::<RawConfig>)
}

/// Reading a type's [`Shape`] off its `Deserialize` impl: a deserializer that answers every
/// request with a placeholder of the kind asked for and notes what was asked. Structs list
/// their fields, `Option` and `Spanned` are looked through, sequences are asked for one item.
mod shape {
    use serde::Deserialize;
    use serde::de::value::{BorrowedStrDeserializer, Error};
    use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

    use super::{Kind, Shape};

    /// `toml::Spanned`'s name in the serde data model; its value is the field that counts.
    const SPANNED: &str = "$__serde_spanned_private_Spanned";

    pub(super) fn of<'de, T: Deserialize<'de>>() -> Shape {
        let mut shape = Shape::Other;
        T::deserialize(Probe { out: &mut shape }).expect("the raw config can be probed");
        shape
    }

    struct Probe<'a> {
        out: &'a mut Shape,
    }

    impl Probe<'_> {
        fn value(self, kind: Kind) {
            *self.out = Shape::Value(kind);
        }
    }

    macro_rules! integers {
        ($($method:ident)*) => {$(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.value(Kind::Integer);
                visitor.visit_u8(0)
            }
        )*};
    }

    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(de::Error::custom("a config field of no definite type"))
        }

        integers!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
            deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

        fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.value(Kind::Boolean);
            visitor.visit_bool(false)
        }

        fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.deserialize_f64(visitor)
        }

        fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.value(Kind::Float);
            visitor.visit_f64(0.0)
        }

        fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.value(Kind::String);
            visitor.visit_char('x')
        }

        fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.value(Kind::String);
            visitor.visit_str("")
        }

        fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.deserialize_str(visitor)
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_some(self)
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            visitor.visit_newtype_struct(self)
        }

        fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let mut item = Shape::Other;
            let value = visitor.visit_seq(OneItem {
                out: Some(&mut item),
            })?;
            *self.out = Shape::List(Box::new(item));
            Ok(value)
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            let mut shapes = Vec::new();
            let value = visitor.visit_map(Fields {
                fields,
                next: 0,
                shapes: &mut shapes,
            })?;
            *self.out = if name == SPANNED {
                shapes.pop().map_or(Shape::Other, |(_, s)| s)
            } else {
                Shape::Table(shapes)
            };
            Ok(value)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            // TOML writes unit variants as strings.
            self.value(Kind::String);
            let first = variants.first().copied().unwrap_or_default();
            visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(first))
        }

        fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_unit()
        }

        serde::forward_to_deserialize_any! {
            bytes byte_buf unit unit_struct tuple tuple_struct map identifier
        }
    }

    struct OneItem<'a> {
        out: Option<&'a mut Shape>,
    }

    impl<'de> SeqAccess<'de> for OneItem<'_> {
        type Error = Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Error> {
            match self.out.take() {
                Some(out) => seed.deserialize(Probe { out }).map(Some),
                None => Ok(None),
            }
        }
    }

    struct Fields<'a> {
        fields: &'static [&'static str],
        next: usize,
        shapes: &'a mut Vec<(&'static str, Shape)>,
    }

    impl<'de> MapAccess<'de> for Fields<'_> {
        type Error = Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            match self.fields.get(self.next) {
                Some(field) => seed
                    .deserialize(BorrowedStrDeserializer::<Error>::new(field))
                    .map(Some),
                None => Ok(None),
            }
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            let field = self.fields[self.next];
            self.next += 1;
            let mut shape = Shape::Other;
            let value = seed.deserialize(Probe { out: &mut shape })?;
            self.shapes.push((field, shape));
            Ok(value)
        }
    }
}

/// One step of a key's path: a table's key or an entry of an array of tables.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Key(&'static str),
    Index(usize),
}

/// A key set from the environment.
struct Setting {
    /// The variable.
    var: String,
    /// Its value.
    value: String,
    /// The key it sets.
    path: Vec<Step>,
    /// What the key holds: a [`Shape::Value`] or a [`Shape::List`] of one.
    shape: &'static Shape,
    /// Where its value is, in a range of offsets beyond the end of the file's text: problems
    /// there are this variable's.
    span: Range<usize>,
}

impl Setting {
    /// The token and API keys are never shown, not even in a message about them.
    fn is_secret(&self) -> bool {
        matches!(self.path.last(), Some(Step::Key("token" | "api_key")))
    }

    /// The value as the TOML value the key expects. A value that is not of the kind is left
    /// a string, so deserializing reports the mismatch (at this variable).
    fn to_toml(&self) -> Spanned<DeValue<'_>> {
        let value = match self.shape {
            Shape::List(item) => {
                let kind = match **item {
                    Shape::Value(kind) => kind,
                    _ => Kind::String,
                };
                let text = self.value.trim();
                let items: Option<Vec<DeValue<'_>>> = if text.starts_with('[') {
                    // A TOML array (`[]`, `["a,b", "c"]`) also works.
                    match DeValue::parse(text).map(Spanned::into_inner) {
                        Ok(DeValue::Array(items)) => {
                            Some(items.iter().map(|i| i.get_ref().clone()).collect())
                        }
                        _ => None,
                    }
                } else {
                    Some(
                        text.split(',')
                            .map(str::trim)
                            .filter(|i| !i.is_empty())
                            .map(|i| scalar(kind, i))
                            .collect(),
                    )
                };
                match items {
                    Some(items) => {
                        let mut array = DeArray::new();
                        for item in items {
                            array.push(Spanned::new(self.span.clone(), item));
                        }
                        DeValue::Array(array)
                    }
                    None => DeValue::String(Cow::Borrowed(&self.value)),
                }
            }
            Shape::Value(kind) => scalar(*kind, &self.value),
            _ => DeValue::String(Cow::Borrowed(&self.value)),
        };
        Spanned::new(self.span.clone(), value)
    }
}

/// `text` as a TOML value of `kind`, or as a string when it is not one.
fn scalar(kind: Kind, text: &str) -> DeValue<'_> {
    let trimmed = text.trim();
    let parsed = match kind {
        Kind::String => None,
        Kind::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Some(DeValue::Boolean(true)),
            "false" => Some(DeValue::Boolean(false)),
            _ => None,
        },
        Kind::Integer | Kind::Float => DeValue::parse(trimmed)
            .ok()
            .map(Spanned::into_inner)
            .filter(|v| v.is_integer() || (kind == Kind::Float && v.is_float())),
    };
    parsed.unwrap_or(DeValue::String(Cow::Borrowed(text)))
}

/// The variables that set config keys, and the problems with the ones that name none.
pub(super) struct Overlay {
    settings: Vec<Setting>,
    pub(super) problems: Vec<Problem>,
    /// Where the file's text ends: spans beyond are settings'.
    file_len: usize,
}

impl Overlay {
    /// The config variables of `env`: `MARKETBOT_…__…` and the aliases. Blank ones are
    /// ignored, as if unset.
    pub(super) fn read(file: &SourceFile, env: &dyn Env) -> Overlay {
        let mut vars: Vec<(String, String)> = env
            .vars()
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        vars.sort();
        let mut problems = Vec::new();
        // By key; a later variable for the same key wins.
        let mut chosen: BTreeMap<Vec<Step>, (String, String, &'static Shape)> = BTreeMap::new();
        for (alias, target) in ALIASES {
            if let Some((_, value)) = vars.iter().find(|(name, _)| name == alias)
                && let Ok((path, shape)) = resolve(target)
            {
                chosen.insert(path, (alias.to_string(), value.clone(), shape));
            }
        }
        for (name, value) in vars {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if !rest.contains(ENV_SEPARATOR) {
                // MARKETBOT_CONFIG, MARKETBOT_LOG, the aliases, …: not config keys.
                continue;
            }
            match resolve(rest) {
                Ok((path, shape)) => {
                    chosen.insert(path, (name, value, shape));
                }
                // The value is not shown: it could be a mistyped token.
                Err((message, hint)) => problems.push(Problem {
                    hint,
                    ..Problem::whole_file(&file.path, format!("{name}: {message}"))
                }),
            }
        }
        let file_len = file.text.len();
        let mut at = file_len + 1;
        let settings = chosen
            .into_iter()
            .map(|(path, (var, value, shape))| {
                let end = at + value.len().max(1);
                let span = at..end;
                at = end + 1;
                Setting {
                    var,
                    value,
                    path,
                    shape,
                    span,
                }
            })
            .collect();
        Overlay {
            settings,
            problems,
            file_len,
        }
    }

    /// The file with the settings laid over it, deserialized.
    pub(super) fn raw(&self, file: &SourceFile, problems: &mut Vec<Problem>) -> Option<RawConfig> {
        let mut root = match DeTable::parse(&file.text) {
            Ok(root) => root,
            Err(e) => {
                problems.push(Problem::from_toml(file, &e));
                return None;
            }
        };
        for setting in &self.settings {
            if let Err(message) = place(root.get_mut(), &setting.path, setting.to_toml()) {
                problems.push(Problem::whole_file(
                    &file.path,
                    format!("{}: {message}", setting.var),
                ));
            }
        }
        super::structure::read(file, root, problems)
    }

    /// The setting whose value is at `span`, if it is one's.
    fn setting_at(&self, span: &Range<usize>) -> Option<&Setting> {
        if span.start <= self.file_len {
            return None;
        }
        self.settings
            .iter()
            .find(|s| s.span.start <= span.start && span.start <= s.span.end)
    }

    /// A problem with a value from the environment names its variable (and no line of the
    /// file); the token is never shown.
    pub(super) fn locate(&self, problem: Problem) -> Problem {
        let mut problem = match problem.span.as_ref().and_then(|s| self.setting_at(s)) {
            Some(setting) => {
                let what = if setting.is_secret() {
                    setting.var.clone()
                } else {
                    format!("{} = `{}`", setting.var, setting.value)
                };
                Problem {
                    hint: problem.hint,
                    ..Problem::whole_file(&problem.path, format!("{what}: {}", problem.message))
                }
            }
            None => problem,
        };
        for secret in self.settings.iter().filter(|s| s.is_secret()) {
            let token = secret.value.trim();
            if !token.is_empty() {
                problem.message = problem.message.replace(token, "<token>");
                problem.hint = problem.hint.map(|h| h.replace(token, "<token>"));
            }
        }
        problem
    }

    /// Whether `value` came from the environment.
    pub(super) fn is_env<T>(&self, value: &Spanned<T>) -> bool {
        self.setting_at(&value.span()).is_some()
    }

    /// What to call where `value` came from: its variable, or `key` in the file.
    pub(super) fn source<T>(&self, value: &Spanned<T>, key: &str) -> String {
        self.setting_at(&value.span())
            .map_or_else(|| key.to_string(), |s| s.var.clone())
    }
}

/// Why a variable names no key (a message), and a hint.
type NoKey = (String, Option<String>);

/// The key of variable `rest` (its name without [`ENV_PREFIX`]) and what the key holds; or
/// why it names no key, and a hint.
fn resolve(rest: &str) -> Result<(Vec<Step>, &'static Shape), NoKey> {
    let mut shape = schema();
    let mut path = Vec::new();
    // What was understood so far, as a key and as a variable (for messages).
    let mut key = String::new();
    let mut var = ENV_PREFIX.to_string();
    for part in rest.split(ENV_SEPARATOR) {
        match shape {
            Shape::Table(fields) => {
                let Some((name, inner)) = fields
                    .iter()
                    .find(|(name, _)| name.to_ascii_uppercase() == part)
                else {
                    let known: Vec<String> =
                        fields.iter().map(|(n, _)| n.to_ascii_uppercase()).collect();
                    let message = if part.is_empty() {
                        format!("not a config key: an empty part between `{ENV_SEPARATOR}`s")
                    } else if key.is_empty() {
                        format!(
                            "not a config key: there is no `{}`",
                            part.to_ascii_lowercase()
                        )
                    } else {
                        format!(
                            "not a config key: `{key}` has no `{}`",
                            part.to_ascii_lowercase()
                        )
                    };
                    let hint = crate::problem::closest(part, &known)
                        .map(|c| format!("did you mean {var}{c}?"));
                    return Err((message, hint));
                };
                path.push(Step::Key(name));
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(name);
                var.push_str(part);
                shape = inner;
            }
            Shape::List(item) if matches!(**item, Shape::Table(_)) => {
                let Ok(index) = part.parse::<usize>() else {
                    return Err((
                        format!(
                            "`{key}` is a list of tables: an entry's index (0, 1, …) comes next, not `{part}`"
                        ),
                        Some(format!("e.g. {var}0{ENV_SEPARATOR}…")),
                    ));
                };
                path.push(Step::Index(index));
                key.push_str(&format!("[{index}]"));
                var.push_str(part);
                shape = item;
            }
            _ => {
                return Err((
                    format!("not a config key: `{key}` is a single value"),
                    Some(format!(
                        "did you mean {}?",
                        var.trim_end_matches(ENV_SEPARATOR)
                    )),
                ));
            }
        }
        var.push_str(ENV_SEPARATOR);
    }
    let var = var.trim_end_matches(ENV_SEPARATOR);
    match shape {
        Shape::Value(_) => Ok((path, shape)),
        Shape::List(item) if matches!(**item, Shape::Value(_)) => Ok((path, shape)),
        Shape::Table(fields) => Err((
            format!("`{key}` is a table: set its keys one by one"),
            fields
                .first()
                .map(|(n, _)| format!("e.g. {var}{ENV_SEPARATOR}{}", n.to_ascii_uppercase())),
        )),
        Shape::List(item) => Err((
            format!("`{key}` is a list of tables: set the keys of its entries one by one"),
            match &**item {
                Shape::Table(fields) => fields.first().map(|(n, _)| {
                    format!(
                        "e.g. {var}{ENV_SEPARATOR}0{ENV_SEPARATOR}{}",
                        n.to_ascii_uppercase()
                    )
                }),
                _ => None,
            },
        )),
        Shape::Other => Err((format!("`{key}` cannot be set from the environment"), None)),
    }
}

/// Sets the key at `path` of `table` to `value`, making the tables on the way. An entry of
/// an array of tables is addressed by its index; the index one past the last entry adds one
/// (variables are applied in order of their keys, so `…__3__…` after `…__2__…` works).
fn place<'a>(
    table: &mut DeTable<'a>,
    path: &[Step],
    value: Spanned<DeValue<'a>>,
) -> Result<(), String> {
    let Some((Step::Key(key), rest)) = path.split_first() else {
        return Err("not a key".into());
    };
    let span = value.span();
    let name = Spanned::new(span.clone(), Cow::Borrowed(*key));
    let Some(next) = rest.first() else {
        table.insert(name, value);
        return Ok(());
    };
    let slot = table.entry(name).or_insert_with(|| {
        Spanned::new(
            span.clone(),
            match next {
                Step::Index(_) => DeValue::Array(DeArray::new()),
                Step::Key(_) => DeValue::Table(DeTable::new()),
            },
        )
    });
    match (slot.get_mut(), next) {
        (DeValue::Table(inner), Step::Key(_)) => place(inner, rest, value),
        (DeValue::Array(entries), Step::Index(index)) => {
            let len = entries.len();
            if *index == len {
                entries.push(Spanned::new(span, DeValue::Table(DeTable::new())));
            } else if *index > len {
                return Err(format!(
                    "there {} {len} `[[{key}]]` {}: the next one to add is {len}",
                    if len == 1 { "is" } else { "are" },
                    if len == 1 { "entry" } else { "entries" },
                ));
            }
            match entries.get_mut(*index).map(Spanned::get_mut) {
                Some(DeValue::Table(inner)) => place(inner, &rest[1..], value),
                _ => Err(format!("`{key}` in the file is not a list of tables")),
            }
        }
        (_, Step::Key(_)) => Err(format!("`{key}` in the file is not a table")),
        (_, Step::Index(_)) => Err(format!("`{key}` in the file is not a list of tables")),
    }
}
