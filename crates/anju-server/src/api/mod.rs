//! The JSON API's handlers: each takes the request apart (the caller, the
//! path, the query, the body), asks the permission table and the service's
//! operations, and writes the answer. The routes are in `lib.rs`, the
//! OpenAPI document from the handlers' annotations.

pub(crate) mod audit;
pub(crate) mod exports;
pub(crate) mod imports;
pub(crate) mod projects;
pub(crate) mod publications;
pub(crate) mod security;
pub(crate) mod supervision;
pub(crate) mod targets;
pub(crate) mod users;
pub(crate) mod values;
pub(crate) mod work;

/// Schemas of fields that take a list or, as a form sends it, one text: a
/// list of `item`, a text, or null (left out).
pub(crate) mod either {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    use utoipa::openapi::{Ref, RefOr};

    fn list_or_text(item: RefOr<Schema>, text: &str) -> Schema {
        Schema::OneOf(
            OneOfBuilder::new()
                .item(ArrayBuilder::new().items(item))
                .item(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some(text)),
                )
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .build(),
        )
    }

    fn number_or_text(null: bool) -> Schema {
        let mut one = OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("数字的文字,精确保存")),
            );
        if null {
            one = one.item(ObjectBuilder::new().schema_type(Type::Null));
        }
        Schema::OneOf(one.build())
    }

    /// A number, as a JSON number or its text (kept exactly).
    pub(crate) fn number() -> Schema {
        number_or_text(false)
    }

    /// A number or its text, or null (left out).
    pub(crate) fn number_or_null() -> Schema {
        number_or_text(true)
    }

    /// Units: a list of names, or one text separated by 、 , ;.
    pub(crate) fn units() -> Schema {
        list_or_text(
            ObjectBuilder::new().schema_type(Type::String).into(),
            "单位名称,用“、”或逗号分隔",
        )
    }

    /// A work item's milestones: a list, or lines "内容 日期".
    pub(crate) fn milestones() -> Schema {
        list_or_text(
            Ref::from_schema_name("WorkMilestoneIn").into(),
            "每行一个“节点内容 2027-06-30”",
        )
    }

    /// A project type's phases: a list, or lines "阶段 天数".
    pub(crate) fn phases() -> Schema {
        list_or_text(
            Ref::from_schema_name("PhaseIo").into(),
            "每行一个“阶段 天数”",
        )
    }
}
