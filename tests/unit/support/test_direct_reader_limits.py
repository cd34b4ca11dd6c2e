"""Direct reads (``wirestream sql``/``query`` with no sink running) carry the read API's
limits. Its own module: chdb keeps a session's ``readonly`` once set, so the limits must be
the first settings this database's session sees."""

from __future__ import annotations

from tests.support.chdb_reader import chdb_reader  # noqa: F401 - the fixture


def test_direct_reads_have_the_read_apis_limits(chdb_reader):  # noqa: F811
    """`wirestream sql` with no sink running reads chdb in its own process: an endless
    ``system.numbers`` used to grow until the kernel killed the command. Now the configured
    limits stop it with a line saying which limit and how to go on."""
    import pytest

    from wirestream.reader import DirectReader, QueryError
    from wirestream.sql_guard import ReadLimits

    reader, db, _ = chdb_reader
    limited = DirectReader(reader._client, db, limits=ReadLimits(max_result_rows=1000))
    with pytest.raises(QueryError, match="reads are limited to 30 s, 1024 MiB of memory and 1000 rows"):
        limited.query("SELECT number FROM system.numbers")
    assert limited.query("SELECT count() AS n FROM numbers(10)") == (["n"], [[10]])
    assert DirectReader(reader._client, db, write=True, limits=ReadLimits())._settings == {}  # --write


def test_open_reader_uses_the_configured_limits(tmp_path, monkeypatch):
    from wirecore.settings import Settings
    from wirestream import reader as reader_mod

    (tmp_path / "chdb").mkdir()
    s = Settings(data_dir=tmp_path, api_max_result_rows=7, _env_file=None)
    monkeypatch.setattr(reader_mod, "open_client", lambda dsn: type("C", (), {"database": None})())
    direct = reader_mod.open_reader(s)
    assert direct._settings["max_result_rows"] == 7 and direct._settings["readonly"] == 1
