"""WaveDiff Studio's HTTP API: every route, and what it refuses."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from wavediff.studio.app import StudioSettings, create_app  # noqa: E402

from conftest import ROOT  # noqa: E402

SMOKE = ["experiment=smoke", "callbacks.sampling.every_n_epochs=0"]
LOCAL = "http://127.0.0.1:8000"


def settings(**kwargs) -> StudioSettings:
    return StudioSettings(config_dir=ROOT / "configs", **kwargs)


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(settings(output_root=tmp_path / "outputs")), base_url=LOCAL) as c:
        yield c


def wait_for(client: TestClient, job: int, timeout: float = 180) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = client.get(f"/api/train/{job}").json()
        if not state["running"]:
            return state
        time.sleep(0.5)
    raise AssertionError(f"job {job} still running after {timeout} s")


def test_page_options_and_docs(client):
    assert "WaveDiff Studio" in client.get("/").text
    assert client.get("/static/app.js").status_code == 200
    options = client.get("/api/options").json()
    assert {"mjd", "magnitude_scalogram", "unet_tiny", "ancestral", "cpu"} <= {o for v in options["groups"].values() for o in v}
    assert {p["name"] for p in options["simulators"]["heston"]["params"]} >= {"kappa", "rho"}
    assert client.get("/openapi.json").json()["info"]["title"] == "WaveDiff Studio"


def test_data_generation_preview_and_history(client, tmp_path):
    run = client.post("/api/data", json={"model": "gbm", "days": 0.5, "params": {"sigma": 0.3}}).json()
    assert run["n_rows"] == 720 and client.get(run["csv_url"]).text.startswith("timestamp")
    preview = client.get(f"/api/data/{run['id']}/preview?points=100").json()
    assert 90 <= len(preview["close"]) <= 100 and preview["close"][0] == pytest.approx(100, rel=0.01)
    (row,) = client.get("/api/runs/data").json()
    assert (row["id"], row["status"], row["source"], row["n_rows"]) == (run["id"], "finished", "gbm", 720)
    assert client.get("/api/summary").json()["data"] == {"total": 1, "finished": 1}


@pytest.mark.parametrize("body, message", [
    ({"model": "nope"}, "model 'nope'"),
    ({"model": "mjd", "params": {"bogus": 1}}, "unknown parameter(s) bogus"),
    ({"model": "mjd", "params": {"sigma": -1}}, "sigma"),
    ({"model": "mjd", "days": 0}, "greater than 0"),
])
def test_bad_data_requests_are_422_with_the_reason(client, body, message):
    response = client.post("/api/data", json=body)
    assert response.status_code == 422 and message in str(response.json()["detail"])


@pytest.mark.parametrize("override, message", [
    ("nope.key=1", "nope.key"),
    ("trainer.max_epochs=0", "trainer.max_epochs=0: must be an integer >= 1"),
    ("model=unknown_model", "unknown_model"),
    ("hydra.run.dir=/", "set by the Studio"),
    ("paths.output_root=/tmp", "set by the Studio"),
    ("no equals sign", "expected key=value"),
])
def test_bad_training_overrides_are_refused_before_any_process(client, tmp_path, override, message):
    response = client.post("/api/train", json={"overrides": [override]})
    assert response.status_code == 422 and message in response.json()["detail"]
    assert client.get("/api/train").json() == []


@pytest.mark.slow  # a training and a generation process, each from start-up to the end (~35 s)
def test_train_streams_its_log_runs_one_job_at_a_time_and_generates_scenarios(client):
    job = client.post("/api/train", json={"overrides": SMOKE}).json()
    assert client.post("/api/train", json={"overrides": SMOKE}).status_code == 429  # max_concurrent = 1
    with client.stream("GET", f"/api/train/{job['job']}/log") as stream:
        text = "".join(stream.iter_text())
    assert "train run 1 finished" in text and "event: end" in text
    state = wait_for(client, job["job"])
    assert state["exit_code"] == 0 and state["run"]["status"] == "finished"
    # scenarios after the end of the test split, with EDM's churn: the row's price picture is the fan chart
    edm = client.post("/api/generate", json={"train_run_id": 1, "sampler": "edm", "steps": 2, "churn": 1.5, "n": 2,
                                             "history": "test", "horizon": 16})
    assert edm.status_code == 200, edm.text
    gen = edm.json()
    assert gen["status"] == "finished" and gen["n_samples"] == 2 and gen["train_run_id"] == 1
    assert gen["network_evals"] == 3  # Heun: 2 levels, 2 * 2 - 1 = 3 calls
    assert gen["paths_png_path"].endswith("_fan.png")
    for url in ("png_path_url", "paths_png_path_url"):
        assert client.get(gen[url]).headers["content-type"] == "image/png"
    assert client.get(gen["npz_path_url"]).status_code == 200
    assert [g["id"] for g in client.get("/api/runs/generation").json()][0] == gen["id"]


def test_bad_generation_requests_are_refused_before_any_process(client, tmp_path):
    from conftest import run_cli

    trained = run_cli("train", "experiment=smoke", "~callbacks.sampling", "~callbacks.evaluation",
                      f"paths.output_root={tmp_path / 'outputs'}")
    assert trained.code == 0, trained.err
    assert client.post("/api/generate", json={"train_run_id": 1, "sampler": "nope"}).status_code == 422
    lone = client.post("/api/generate", json={"train_run_id": 1, "history": "test"})
    assert lone.status_code == 422 and "history and horizon go together" in lone.json()["detail"]
    assert client.post("/api/generate", json={"train_run_id": 99}).status_code == 422
    assert client.get("/api/runs/generation").json() == []


@pytest.mark.slow  # a training process (~16 s); SIGTERM -> interrupted is also tested for every command
def test_stop_records_the_run_interrupted(client, tmp_path):
    job = client.post("/api/train", json={"overrides": SMOKE + ["trainer.max_epochs=1000",
                                                                "trainer.limit_train_batches=1"]}).json()
    deadline = time.time() + 120
    while client.get(f"/api/train/{job['job']}").json()["run"] is None or \
            client.get(f"/api/train/{job['job']}").json()["run"]["epochs_completed"] < 1:
        assert time.time() < deadline, "training never started"
        time.sleep(0.5)
    client.post(f"/api/train/{job['job']}/stop")
    state = wait_for(client, job["job"], timeout=60)
    assert state["exit_code"] == 143 and state["run"]["status"] == "interrupted"


def test_files_outside_the_outputs_root_are_refused(client, tmp_path):
    (tmp_path / "secret.txt").write_text("no")
    for path in ("/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/wavediff.db-nope"):
        assert client.get(path).status_code == 404
    assert client.get("/api/train/7").status_code == 404
    assert client.get("/api/runs/nope").status_code == 404
    assert client.get("/api/data/5/preview").status_code == 404


# --- security: a web page must not be able to run code through the Studio -------------------

@pytest.mark.parametrize("override, message", [
    ("data._target_=builtins.dict", "_target_"),
    ("model.net._target_=os.system", "_target_"),
    ("model._partial_=true", "_partial_"),
    ("callbacks.sampling._args_=[1]", "_args_"),
    ("model._recursive_=true", "_recursive_"),
    ("data.source={_target_:os.system,command:id}", "_target_"),
    ("data.path=${oc.env:HOME}", "resolvers"),
    ("model.optimizer.lr=${oc.decode:'1e-3'}", "resolvers"),
    ("model=../../etc/passwd", "no such option"),
    ("data=nope", "choose one of basket, bates, csv"),
])
def test_overrides_that_choose_code_are_refused_and_start_nothing(client, override, message):
    response = client.post("/api/train", json={"overrides": [override]})
    assert response.status_code == 422 and message in response.json()["detail"]
    assert client.get("/api/train").json() == []


def test_plain_interpolations_and_group_files_still_validate(tmp_path):
    from wavediff.studio.forms import validate_train_overrides
    cfg = validate_train_overrides(["data=gbm", "model=unet_tiny", "data.source.seed=${seed}"], ROOT / "configs")
    assert cfg["data"]["source"]["seed"] == "${seed}"


@pytest.mark.parametrize("method, path", [("GET", "/"), ("GET", "/openapi.json"), ("GET", "/api/options"),
                                          ("POST", "/api/train"), ("GET", "/files/wavediff.db")])
def test_foreign_host_header_is_400_on_every_route(client, method, path):
    response = client.request(method, path, headers={"Host": "evil.example"}, json={"overrides": SMOKE})
    assert response.status_code == 400 and "evil.example" in response.json()["detail"]
    assert client.get("/api/train").json() == []


def test_cross_origin_post_is_403_and_same_origin_passes(client):
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "http://127.0.0.1.evil.example:8000"},
                    {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/api/data", json={"model": "gbm", "days": 0.1}, headers=headers)
        assert response.status_code == 403, headers
    assert client.get("/api/runs/data").json() == []
    ok = client.post("/api/data", json={"model": "gbm", "days": 0.1}, headers={"Origin": LOCAL})
    assert ok.status_code == 200


def test_non_loopback_bind_needs_a_token(tmp_path):
    from wavediff.studio.security import StudioSecurityError

    with pytest.raises(StudioSecurityError, match="--token"):
        create_app(settings(output_root=tmp_path / "o", host="0.0.0.0"))
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "studio.py"), "--host", "0.0.0.0",
                           "--outputs", str(tmp_path / "o2")], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and proc.stderr.count("\n") == 1 and "error:" in proc.stderr
    assert "--token" in proc.stderr


def test_with_a_token_requests_without_it_are_401(tmp_path):
    app = create_app(settings(output_root=tmp_path / "o", host="0.0.0.0", token="s3cret",
                                    allowed_hosts=("studio.lab",)))
    with TestClient(app, base_url="http://studio.lab:8000") as c:
        assert c.get("/api/options").status_code == 401
        assert c.post("/api/train", json={"overrides": SMOKE}).status_code == 401
        assert c.get("/api/options", headers={"X-WaveDiff-Token": "wrong"}).status_code == 401
        assert c.get("/api/options", headers={"X-WaveDiff-Token": "s3cret"}).status_code == 200
        # the start-up URL sets a cookie and drops the token from the address bar
        first = c.get("/?token=s3cret", follow_redirects=False)
        assert first.status_code == 303 and "token" not in first.headers["location"]
        assert c.get("/api/options").status_code == 200  # cookie from then on


def test_a_data_run_request_refuses_a_missing_run_and_a_second_data_choice(client):
    run = client.post("/api/data", json={"model": "gbm", "days": 1}).json()
    assert client.post("/api/train", json={"data_run_id": 99, "overrides": SMOKE}).status_code == 422
    clash = client.post("/api/train", json={"data_run_id": run["id"], "overrides": ["data=mjd"]})
    assert clash.status_code == 422 and "data_run_id chooses the data" in clash.json()["detail"]


@pytest.mark.slow  # a real training job (~15 s); the Studio's training path stays in the fast suite
def test_a_data_run_trains_with_one_request(client):
    run = client.post("/api/data", json={"model": "gbm", "days": 1}).json()
    job = client.post("/api/train", json={"data_run_id": run["id"], "overrides": SMOKE}).json()
    assert job["overrides"][:2] == ["data=csv", f"data.path={client.app.state.settings.output_root}"
                                    f"/{run['csv_url'].removeprefix('/files/')}"]
    state = wait_for(client, job["job"])
    assert state["exit_code"] == 0 and state["run"]["status"] == "finished"
    (train,) = client.get("/api/runs/train").json()
    data_runs = client.get("/api/runs/data").json()
    assert train["data_run_id"] == max(d["id"] for d in data_runs)  # the training's own record of the CSV
