"""Field metadata read from columns, and the pydantic validation built from it."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jimucrm.addons.contacts.models import Contact
from jimucrm.core.metadata import (
    MetadataError,
    Relation,
    field_of,
    fields_of,
    validate,
    validation_model,
)
from jimucrm.core.metadata.search import escape_like
from jimucrm.core.modelviews.listing import list_state


class Base(DeclarativeBase):
    """A metadata of its own: these tables never reach a tenant schema."""


class Stage(enum.Enum):
    NEW = "new"
    WON = "won"


class Deal(Base):
    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80), info={"label": "Title", "search": "prefix"})
    json: Mapped[str] = mapped_column(String(20), default="", info={"label": "Shadowing name"})
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), info={
        "label": "Amount", "filter": True})
    seats: Mapped[int] = mapped_column(Integer, default=1, info={"label": "Seats"})
    views: Mapped[int] = mapped_column(BigInteger, default=0, info={"label": "Views"})
    stage: Mapped[Stage] = mapped_column(Enum(Stage), default=Stage.NEW, info={
        "label": "Stage", "filter": True})
    source: Mapped[str] = mapped_column(String(20), default="web", info={
        "label": "Source", "choices": [("web", "Website"), ("fair", "Trade fair")]})
    closes: Mapped[date | None] = mapped_column(Date, info={"label": "Closes", "sort": True})
    won: Mapped[bool] = mapped_column(Boolean, default=False, info={"label": "Won"})
    notes: Mapped[str] = mapped_column(Text, default="", info={"label": "Notes",
                                                                "help": "Anything"})
    created_at = mapped_column(DateTime(timezone=True), server_default=func.now(),
                               info={"label": "Created", "form": False})
    internal: Mapped[str] = mapped_column(String(10), default="")


def test_fields_are_the_labelled_columns_with_kinds_from_their_types():
    fields = {item.name: item for item in fields_of(Deal)}
    assert list(fields) == ["title", "json", "amount", "seats", "views", "stage", "source",
                            "closes", "won", "notes", "created_at"]
    kinds = {name: item.kind for name, item in fields.items()}
    assert kinds == {"title": "string", "json": "string", "amount": "decimal",
                     "seats": "integer", "views": "integer", "stage": "choice",
                     "source": "choice", "closes": "date", "won": "boolean", "notes": "text",
                     "created_at": "datetime"}
    assert fields["title"].required and fields["title"].max_length == 80
    assert not fields["json"].required and not fields["amount"].required
    assert fields["title"].search == "prefix" and fields["json"].search is None
    assert fields["stage"].choices == (("new", "new"), ("won", "won"))
    assert fields["source"].widget == "select" and fields["won"].widget == "checkbox"
    assert fields["notes"].widget == "textarea" and fields["notes"].help == "Anything"
    assert not fields["notes"].sortable and not fields["notes"].list_default
    assert fields["closes"].sortable and fields["closes"].is_range
    assert fields["amount"].filterable and not fields["title"].filterable
    assert (fields["amount"].max_digits, fields["amount"].decimal_places) == (10, 2)
    assert fields["seats"].maximum == 2**31 - 1 and fields["views"].maximum == 2**63 - 1
    assert not fields["created_at"].in_form


def test_contacts_keep_their_phone_and_email_rules():
    fields = {item.name: item for item in fields_of(Contact)}
    assert fields["phone"].pattern and fields["email"].pattern
    checked = validate("Contact", tuple(fields.values()), {
        "name": "王", "phone": "call me", "email": "no-at-sign"})
    assert set(checked.errors) == {"phone", "email"}
    assert str(checked.errors["phone"]).startswith("Use digits")
    fine = validate("Contact", tuple(fields.values()), {
        "name": " 王 ", "phone": "+86 (10) 1234-5678", "email": "w@example.cn"})
    assert fine.valid and fine.values["name"] == "王" and fine.values["title"] == ""


def test_a_check_runs_after_the_pattern_and_has_its_own_message():
    """``info["check"]``: the ID-card number's check digit, which no pattern can express."""
    fields = {item.name: item for item in fields_of(Contact)}
    item = fields["id_number"]
    assert item.check is not None and item.encrypted and item.search == "exact"
    wrong = validate("Contact", (item,), {"id_number": "110105194912310021"})
    assert str(wrong.errors["id_number"]).startswith("Not a valid resident ID card number")
    assert validate("Contact", (item,), {"id_number": " 11010519491231002X "}).valid
    assert validate("Contact", (item,), {"id_number": ""}).valid  # empty: not checked


@pytest.mark.parametrize("info, message", [
    ({"label": "X", "colour": "red"}, "unknown info keys"),
    ({"label": "X", "search": "fuzzy"}, "search must be"),
    ({"label": "X", "widget": "slider"}, "widget must be"),
    ({"label": "X", "pattern": "("}, "pattern: missing"),
])
def test_bad_metadata_stops_start_up(info, message):
    from sqlalchemy import Column, MetaData, Table

    column = Column("x", String(10), info=info)
    Table("bad", MetaData(), Column("id", Integer, primary_key=True), column)
    with pytest.raises(MetadataError, match=message):
        field_of(column)


def test_prefix_search_and_sort_are_refused_where_sql_cannot_do_them():
    from sqlalchemy import Column, MetaData, Table

    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  Column("n", Integer, info={"label": "N", "search": "prefix"}))
    with pytest.raises(MetadataError, match="prefix"):
        field_of(table.c.n)


def _deal_fields():
    return tuple(item for item in fields_of(Deal) if item.in_form)


def test_validation_gives_one_translatable_message_per_field():
    checked = validate("Deal", _deal_fields(), {
        "title": "", "amount": "12345678.999", "seats": "3.5", "views": str(2**70),
        "stage": "lost", "source": "radio", "closes": "31/12/2024", "won": "maybe",
        "notes": "x"})
    assert checked.errors == {
        "title": "This field is required.",
        "amount": "This number is too large.",
        "seats": "Enter a whole number.",
        "views": "This number is too large.",
        "stage": "Choose one of the offered values.",
        "source": "Choose one of the offered values.",
        "closes": "Enter a date as YYYY-MM-DD.",
        "won": "Choose yes or no.",
    }
    assert checked.values["notes"] == "x"  # what was typed, to show again


def test_validation_converts_and_fills_defaults_for_blank_optional_fields():
    checked = validate("Deal", _deal_fields(), {
        "title": "  大单  ", "json": "ok", "amount": "", "seats": "4", "views": "",
        "stage": "won", "source": "fair", "closes": "2024-12-31", "won": True,
        "extra": "ignored"})
    assert checked.valid, checked.errors
    assert checked.values == {
        "title": "大单", "json": "ok", "amount": None, "seats": 4, "views": None,
        "stage": "won", "source": "fair", "closes": date(2024, 12, 31), "won": True,
        "notes": ""}


def test_too_long_text_says_the_limit():
    checked = validate("Deal", _deal_fields(), {"title": "长" * 81})
    assert checked.errors["title"] == "At most ${limit} characters."
    assert checked.errors["title"].mapping == {"limit": 80}


def test_validation_models_are_built_once_per_field_set():
    fields = _deal_fields()
    assert validation_model("Deal", fields) is validation_model("Deal", fields)
    assert validation_model("Deal", fields[:2]) is not validation_model("Deal", fields)
    # Field names are aliases: a field called ``json`` does not shadow pydantic's own.
    assert "json" in validation_model("Deal", fields).model_json_schema(by_alias=True)[
        "properties"]


def test_list_state_keeps_only_what_the_metadata_allows():
    from types import SimpleNamespace

    fields = fields_of(Deal)
    spec = SimpleNamespace(fields=fields)
    state = list_state({
        "q": "  大  ", "sort": "-closes", "f_amount_from": "10", "f_amount_to": "NaN",
        "f_stage": "won", "f_title": "x", "f_source": "fair", "page": "2"}, spec, fields)
    assert state.params() == {"q": "大", "f_amount_from": "10", "f_stage": "won",
                              "sort": "-closes"}
    for sort in ("notes", "internal", "--closes", "closes desc"):
        assert list_state({"sort": sort}, spec, fields).sort is None, sort
    # A field the user may not read is neither filtered nor sorted by.
    readable = tuple(item for item in fields if item.name != "stage")
    assert list_state({"f_stage": "won", "sort": "stage"}, spec, readable).params() == {}


def test_like_metacharacters_are_escaped():
    assert escape_like("50%_\\") == "50\\%\\_\\\\"


def test_prefix_search_is_the_expression_its_index_holds():
    """``lower(name) LIKE 'term%'``, the expression of ``prefix_index``: what an index on
    it serves (``ILIKE`` can use no B-tree index)."""
    from sqlalchemy import Column, Integer, MetaData, String, Table
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from jimucrm.core.metadata.search import prefix_index, starts_with

    table = Table("people", MetaData(), Column("id", Integer, primary_key=True),
                  Column("name", String(50)))
    dialect = postgresql.dialect()
    condition = starts_with(table.c.name, "Wang_%").compile(dialect=dialect)
    assert str(condition).startswith("lower(people.name) LIKE ")
    assert list(condition.params.values()) == ["wang\\_\\%%"]
    index = prefix_index("ix_people_name_prefix", table.c.name)
    assert str(CreateIndex(index).compile(dialect=dialect)) == \
        "CREATE INDEX ix_people_name_prefix ON people (lower(name) text_pattern_ops)"


# -- relations --------------------------------------------------------------------------
class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), info={"label": "Team"})
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), info={
        "label": "Team", "relation": {"label": "name", "active": "is_active"}, "filter": True})
    # The target table's name is read from the foreign key's text: it may be mapped later.
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), info={
        "label": "Agent", "relation": {"label": "display_name", "order": "display_name"},
        "form": False})


def test_a_relation_is_an_id_with_its_target_and_label():
    team, agent = fields_of(Ticket)
    assert team.relation == Relation(table="teams", key="id", label="name", active="is_active")
    assert (team.kind, team.widget, team.required, team.sortable) == ("integer", "select",
                                                                      False, False)
    # Filtered by one value, not by a range like other integers.
    assert team.filterable and not team.is_range
    assert list_state({"f_team_id": "7", "f_team_id_from": "1"}, None,
                      (team,)).params() == {"f_team_id": "7"}
    assert agent.relation.table == "agents" and agent.relation.order == "display_name"
    assert agent.required and not agent.in_form


def test_a_relation_id_is_validated_as_a_whole_number():
    team, _agent = fields_of(Ticket)
    assert validate("Ticket", (team,), {"team_id": "12"}).values == {"team_id": 12}
    assert validate("Ticket", (team,), {"team_id": ""}).values == {"team_id": None}
    assert validate("Ticket", (team,), {"team_id": "x"}).errors["team_id"] == \
        "Enter a whole number."


@pytest.mark.parametrize("relation, column_type, message", [
    ({"label": "name", "colour": "red"}, Integer, "relation must be"),
    ({"active": "is_active"}, Integer, "relation must be"),
    ("name", Integer, "relation must be"),
    ({"label": "name"}, String(10), "integer foreign key"),
])
def test_bad_relations_stop_start_up(relation, column_type, message):
    from sqlalchemy import Column, MetaData, Table

    column = Column("team_id", column_type, ForeignKey("teams.id"),
                    info={"label": "Team", "relation": relation})
    Table("bad", MetaData(), Column("id", Integer, primary_key=True), column)
    with pytest.raises(MetadataError, match=message):
        field_of(column)


def test_a_relation_needs_a_foreign_key():
    from sqlalchemy import Column, MetaData, Table

    column = Column("team_id", Integer, info={"label": "Team", "relation": {"label": "name"}})
    Table("bad", MetaData(), Column("id", Integer, primary_key=True), column)
    with pytest.raises(MetadataError, match="exactly one foreign key"):
        field_of(column)


def test_the_target_model_is_found_by_its_table():
    from jimucrm.core.modelviews.relations import target_model

    team, agent = fields_of(Ticket)
    assert target_model(Ticket, team) is Team
    with pytest.raises(LookupError, match="agents"):
        target_model(Ticket, agent)


def test_openapi_describes_a_relation_as_an_integer_naming_its_target():
    from jimucrm.core.api.openapi import field_schema

    team, _agent = fields_of(Ticket)
    schema = field_schema(team, lambda text: getattr(text, "interpolate", text.__str__)())
    assert schema["type"] == "integer" and schema["minimum"] == 1 and schema["nullable"]
    assert schema["x-jimu-relation"] == {"table": "teams", "key": "id", "label": "name"}
    assert "teams" in schema["description"]
