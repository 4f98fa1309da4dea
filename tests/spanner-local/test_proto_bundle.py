"""Proto bundles and proto-typed columns (GoogleSQL), through the official client."""

from __future__ import annotations

import uuid

import pytest
from google.api_core import exceptions
from google.cloud.spanner_v1 import KeySet, param_types
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

BUNDLE = "CREATE PROTO BUNDLE (music.SingerInfo, music.Genre,)"
TABLE = (
    "CREATE TABLE singers (id INT64 NOT NULL, info music.SingerInfo, genre music.Genre, "
    "infos ARRAY<music.SingerInfo>) PRIMARY KEY (id)"
)


def _descriptors() -> bytes:
    """A FileDescriptorSet with message music.SingerInfo (nested enum) and enum music.Genre."""
    fds = descriptor_pb2.FileDescriptorSet()
    f = fds.file.add(name="music.proto", package="music", syntax="proto2")
    msg = f.message_type.add(name="SingerInfo")
    msg.field.add(
        name="nationality",
        number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
    )
    nested = msg.enum_type.add(name="Kind")
    nested.value.add(name="SOLO", number=0)
    genre = f.enum_type.add(name="Genre")
    for number, name in enumerate(["POP", "JAZZ", "FOLK", "ROCK"]):
        genre.value.add(name=name, number=number)
    return fds.SerializeToString()


def _create(target, ddl, descriptors=None):
    db = target.instance.database(
        "t" + uuid.uuid4().hex[:20], ddl_statements=ddl, proto_descriptors=descriptors
    )
    return db


def test_bundle_and_proto_columns(target):
    db = _create(target, [BUNDLE, TABLE, "CREATE INDEX ByGenre ON singers(genre)"], _descriptors())
    db.create().result(60)
    try:
        db.reload()
        assert db.proto_descriptors == _descriptors()
        ddl = db.ddl_statements
        assert any("PROTO BUNDLE" in s and "music.Genre" in s for s in ddl)
        table = next(s for s in ddl if s.startswith("CREATE TABLE singers"))
        assert "info music.SingerInfo" in table
        assert "infos ARRAY<music.SingerInfo>" in table
    finally:
        db.drop()


def test_bundle_needs_defined_types(target):
    db = _create(target, ["CREATE PROTO BUNDLE (music.Nope)"], _descriptors())
    with pytest.raises(exceptions.GoogleAPICallError):
        db.create().result(60)


def test_column_type_must_be_in_the_bundle(target):
    # defined by the descriptors, but not bundled
    ddl = [BUNDLE, TABLE.replace("music.Genre", "music.SingerInfo.Kind")]
    db = _create(target, ddl, _descriptors())
    with pytest.raises(exceptions.GoogleAPICallError, match=r"SingerInfo\.Kind"):
        db.create().result(60)


def test_bundle_type_in_use_cannot_be_removed(target):
    db = _create(target, [BUNDLE, TABLE], _descriptors())
    db.create().result(60)
    try:
        with pytest.raises(exceptions.GoogleAPICallError):
            db.update_ddl(["ALTER PROTO BUNDLE DELETE (music.Genre)"]).result(60)
        db.update_ddl(["ALTER TABLE singers DROP COLUMN genre"]).result(60)
        db.update_ddl(["ALTER PROTO BUNDLE DELETE (music.Genre)"]).result(60)
        db.reload()
        bundle = next(s for s in db.ddl_statements if "PROTO BUNDLE" in s)
        assert "music.Genre" not in bundle
    finally:
        db.drop()


def test_proto_message_column_cannot_be_a_key(target):
    db = _create(
        target,
        [BUNDLE, "CREATE TABLE k (info music.SingerInfo) PRIMARY KEY (info)"],
        _descriptors(),
    )
    with pytest.raises(exceptions.GoogleAPICallError):
        db.create().result(60)


def test_proto_values_round_trip(target):
    pool = descriptor_pool.DescriptorPool()
    fds = descriptor_pb2.FileDescriptorSet.FromString(_descriptors())
    for f in fds.file:
        pool.Add(f)
    info_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("music.SingerInfo"))
    info = info_cls(nationality="Country1")
    db = _create(target, [BUNDLE, TABLE], _descriptors())
    db.create().result(60)
    try:
        with db.batch() as b:
            b.insert("singers", ["id", "info", "genre", "infos"], [(1, info, 3, [info, None])])
        with db.snapshot(multi_use=True) as s:
            rows = list(
                s.read("singers", ["info", "genre"], KeySet(all_=True), column_info={"info": info})
            )
            assert rows == [[info, 3]]
            results = s.execute_sql("SELECT info, genre FROM singers")
            rows = list(results)
            assert [f.type_.proto_type_fqn for f in results.fields] == [
                "music.SingerInfo",
                "music.Genre",
            ]
            results = s.execute_sql(
                "SELECT @v AS v",
                params={"v": info},
                param_types={"v": param_types.ProtoMessage(info)},
                column_info={"v": info},
            )
            assert list(results) == [[info]]
        with pytest.raises(exceptions.FailedPrecondition, match="Invalid value for column genre"):
            with db.batch() as b:
                b.insert("singers", ["id", "genre"], [(2, "ROCK?")])
    finally:
        db.drop()
