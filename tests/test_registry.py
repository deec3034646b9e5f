import pytest
import torch

from wavediff.registry.store import Registry, RegistryError
from wavediff.registry.tables import DataRun, GenerationRun, TrainRun


def test_track_ends_every_row(tmp_path):
    reg = Registry(f"sqlite:///{tmp_path}/r.db")
    with reg.track(TrainRun, model_name="a") as ok_id:
        pass
    with pytest.raises(RuntimeError), reg.track(TrainRun, model_name="b") as bad_id:
        raise RuntimeError("boom")
    with pytest.raises(KeyboardInterrupt), reg.track(TrainRun, model_name="c") as int_id:
        raise KeyboardInterrupt
    got = {r.id: (r.status, r.error) for r in reg.all(TrainRun)}
    assert got[ok_id] == ("finished", None)
    assert got[bad_id] == ("failed", "RuntimeError: boom")
    assert got[int_id][0] == "interrupted"
    assert all(r.finished_at is not None and r.pid and r.host for r in reg.all(TrainRun))


def test_sqlite_uses_wal_and_relative_paths_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    reg = Registry("sqlite:///sub/dir/w.db")
    assert (tmp_path / "sub" / "dir" / "w.db").is_file()
    with reg.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    row_id = reg.create(DataRun, source="mjd", params={"lam": 1.0}, config={"a": 1})
    assert len(reg.get(DataRun, row_id).config_hash) == 64


def test_not_a_database_is_one_line_and_untouched(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 10)
    before = bogus.read_bytes()
    with pytest.raises(RegistryError, match="cannot open"):
        Registry(f"sqlite:///{bogus}")
    assert bogus.read_bytes() == before


def test_ema_weights_are_checkpointed_and_used_for_sampling(tmp_path):
    from wavediff.models.diffusion import DiffusionModule
    from wavediff.sampling.generate import generate
    from wavediff.transforms.representation import WaveletRepresentation

    rep = WaveletRepresentation(window_size=32, num_scales=8)
    net = {"block_out_channels": [8, 16], "down_block_types": ["DownBlock2D"] * 2,
           "up_block_types": ["UpBlock2D"] * 2, "layers_per_block": 1, "norm_num_groups": 4}
    module = DiffusionModule(net=net, noise_scheduler={"num_train_timesteps": 20, "clip_sample": False},
                             optimizer={"_target_": "torch.optim.AdamW", "lr": 1e-3}, representation=rep)
    module.ema_net.update_parameters(module.net)
    with torch.no_grad():
        for p in module.net.parameters():
            p.add_(1.0)  # raw weights move on; the EMA copy must not
    state = module.state_dict()
    key = next(k for k in state if k.startswith("net.") and k.endswith("weight"))
    assert not torch.equal(state[key], state["ema_net.module." + key[len("net."):]])
    sampler = {"name": "ddim", "scheduler": "diffusers.DDIMScheduler", "steps": 2}
    before = generate(module, 2, sampler, seed=0).returns
    with torch.no_grad():
        for p in module.net.parameters():
            p.mul_(3.0)
    assert torch.equal(generate(module, 2, sampler, seed=0).returns, before)
    rebuilt = DiffusionModule(**{k: v for k, v in module.hparams.items()})
    rebuilt.load_state_dict(state)
    assert torch.equal(generate(rebuilt, 2, sampler, seed=0).returns, before)


WRITER = """
import sys
from wavediff.registry.store import Registry
from wavediff.registry.tables import GenerationRun, TrainRun
reg = Registry(sys.argv[1])
for i in range(int(sys.argv[2])):
    run = reg.create(TrainRun, model_name=f"w{sys.argv[3]}", config={"i": i})
    reg.update(TrainRun, run, epochs_completed=i)
    reg.create(GenerationRun, train_run_id=run, status="finished")
"""


def test_four_concurrent_writer_processes_lose_no_row(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/stress.db"
    Registry(url)  # create the schema once, as a first run would
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, "100", str(k)], stderr=subprocess.PIPE, text=True)
             for k in range(4)]  # more than the cores: writers interleave
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    assert not any("locked" in e for e in errors)
    reg = Registry(url)
    runs = reg.all(TrainRun)
    assert len(runs) == 400 and len(reg.all(GenerationRun)) == 400
    assert sorted(r.epochs_completed for r in runs if r.model_name == "w3") == list(range(100))


def test_registry_with_the_first_schema_is_upgraded_without_losing_rows(tmp_path):
    from sqlalchemy import create_engine, inspect, text

    from wavediff.registry.migrate import head_revision, upgrade

    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_engine(url)
    upgrade(engine, "0001")  # a registry written by the first version
    with engine.begin() as conn:
        conn.execute(text("insert into train_runs (status, created_at, epochs_completed, global_step, model_name)"
                          " values ('finished', '2026-01-01 00:00:00', 3, 30, 'old')"))
    assert "heartbeat_at" not in {c["name"] for c in inspect(engine).get_columns("train_runs")}
    engine.dispose()
    reg = Registry(url)
    (row,) = reg.all(TrainRun)
    assert (row.model_name, row.epochs_completed, row.heartbeat_at) == ("old", 3, None)
    with reg.engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == head_revision()
    reg.update(TrainRun, row.id, heartbeat_at=row.created_at)


def test_registry_from_before_migrations_is_stamped_then_upgraded(tmp_path):
    from sqlalchemy import create_engine, text

    from wavediff.registry.migrate import head_revision, upgrade

    url = f"sqlite:///{tmp_path}/pre.db"
    engine = create_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("drop table alembic_version"))  # tables made by create_all, no version
        conn.execute(text("insert into data_runs (status, created_at, source) values ('finished', '2026-01-01', 'mjd')"))
    engine.dispose()
    reg = Registry(url)
    assert [r.source for r in reg.all(DataRun)] == ["mjd"]
    with reg.engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == head_revision()


def test_gc_uses_heartbeats_for_other_hosts(tmp_path):
    from datetime import timedelta

    from wavediff.registry.queries import dead_runs
    from wavediff.registry.tables import utcnow

    reg = Registry(f"sqlite:///{tmp_path}/hb.db")
    silent = reg.create(TrainRun, status="running", host="elsewhere", pid=1, heartbeat_at=utcnow() - timedelta(hours=2))
    fresh = reg.create(TrainRun, status="running", host="elsewhere", pid=1)
    assert dead_runs(reg) == []  # another host's pid cannot be checked
    assert dead_runs(reg, stale_after=timedelta(minutes=30)) == [("train", silent)]
    assert fresh != silent


def test_migrations_build_exactly_the_orm_schema(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from wavediff.registry.tables import Base

    reg = Registry(f"sqlite:///{tmp_path}/m.db")
    with reg.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff  # a change to tables.py needs a migration


def test_outputs_folder_moves_with_its_registry(tmp_path):
    from wavediff.registry.tables import GenerationRun

    a = tmp_path / "a"
    a.mkdir()
    (a / "img.png").write_bytes(b"png")
    reg = Registry(f"sqlite:///{a}/w.db")
    row_id = reg.create(GenerationRun, png_path=str(a / "img.png"), npz_path=str(tmp_path / "elsewhere.npz"))
    stored = reg.get(GenerationRun, row_id)
    assert stored.png_path == "img.png" and stored.npz_path == str(tmp_path / "elsewhere.npz")
    reg.engine.dispose()
    moved = tmp_path / "b"
    a.rename(moved)
    again = Registry(f"sqlite:///{moved}/w.db")
    assert again.resolve_path(again.get(GenerationRun, row_id).png_path).read_bytes() == b"png"
