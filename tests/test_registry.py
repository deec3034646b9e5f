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


def test_eight_concurrent_writer_processes_lose_no_row(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/stress.db"
    Registry(url)  # create the schema once, as a first run would
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, "100", str(k)], stderr=subprocess.PIPE, text=True)
             for k in range(8)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    assert not any("locked" in e for e in errors)
    reg = Registry(url)
    runs = reg.all(TrainRun)
    assert len(runs) == 800 and len(reg.all(GenerationRun)) == 800
    assert sorted(r.epochs_completed for r in runs if r.model_name == "w3") == list(range(100))
