"""End-to-end: the Studio in headless Chromium (Debian's, driven by Playwright). `make test-slow`
installs both; screenshots of each panel go to outputs/studio-screens/."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time

import pytest

from conftest import ROOT, free_port, run_cli

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENS = ROOT / "outputs" / "studio-screens"


@pytest.fixture
def studio(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "studio.py"), "--port", str(port),
                             "--outputs", str(tmp_path / "outputs")], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError(f"studio did not start: {proc.stdout.read()}")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def test_data_train_generate_in_a_real_browser(studio, tmp_path):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    SCREENS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(studio)

        # Data: simulate a small MJD set, see its row and the preview plot.
        page.fill("input[name=days]", "1")
        page.click("#data-submit")
        page.wait_for_selector("#data-status:has-text('data run 1')")
        page.wait_for_selector("#data-runs td:has-text('finished')")
        assert page.locator("#data-preview polyline").count() == 1
        page.screenshot(path=str(SCREENS / "data.png"), full_page=True)

        # Train: a bad override shows the server's reason, then a tiny run streams its log.
        page.click("button.tab[data-panel=train]")
        page.fill("textarea[name=extra]", "trainer.max_epochs=0")
        page.click("#train-submit")
        page.wait_for_selector("#error:has-text('trainer.max_epochs=0: must be an integer')")
        page.fill("textarea[name=extra]", "experiment=smoke\ncallbacks.sampling.every_n_epochs=0")
        page.click("#train-submit")
        page.wait_for_selector("#train-status[data-status=finished]", timeout=180_000)
        assert "train run 1 finished" in page.inner_text("#train-log")
        page.screenshot(path=str(SCREENS / "train.png"), full_page=True)

        # Generate: pick the run, sample, and find the new image in the gallery and the lightbox.
        page.click("button.tab[data-panel=generate]")
        page.wait_for_selector("#gen-run option[value='1']", state="attached")
        page.select_option("#gen-sampler", "ddim")
        page.fill("input[name=steps]", "2")
        page.fill("input[name=n]", "2")
        page.click("#gen-submit")
        page.wait_for_selector("#gen-status:has-text('generation')", timeout=120_000)
        page.wait_for_selector("#gallery figure img")
        assert page.locator("#gallery figure").count() >= 2  # the end-of-fit sampling + this one
        page.click("#gen-latest img >> nth=0")
        assert page.locator("#lightbox").is_visible()
        page.screenshot(path=str(SCREENS / "generate.png"), full_page=True)
        page.click("#lightbox")

        # History: counts and the training row.
        page.click("button.tab[data-panel=history]")
        page.wait_for_selector("#summary:has-text('train: 1')")
        page.wait_for_selector("#history-table td:has-text('unet_tiny')")
        page.screenshot(path=str(SCREENS / "history.png"), full_page=True)

        # A second run, an evaluation report and a benchmark table, made by the commands themselves.
        root = f"paths.output_root={tmp_path / 'outputs'}"
        for argv in (("train", "experiment=smoke", "callbacks.sampling.every_n_epochs=0", root),
                     ("evaluate", "run=1", "n=8", "sampler=ddim", "sampler.steps=4", "baselines=[garch_t,bootstrap]",
                      "verdict_draws=4", root),
                     ("benchmark", "--quick", "suite.generators=[garch_t,bootstrap,simulator]", root)):
            ran = run_cli(*argv)
            assert ran.code == 0, ran.err[-2000:]

        # History side by side: tick both training runs.
        page.click("button.tab[data-panel=data]")
        page.click("button.tab[data-panel=history]")
        page.wait_for_selector("#summary:has-text('train: 2')")
        page.check("input[aria-label='compare run 1']")
        page.check("input[aria-label='compare run 2']")
        page.wait_for_selector("#compare-table th:has-text('run 2')")
        assert page.locator("#compare-table tr").count() > 4

        # Reports: the benchmark table and the evaluation with its verdicts and plots.
        page.click("button.tab[data-panel=reports]")
        page.wait_for_selector("#benchmark-table td.best")
        assert page.locator("#benchmark-table tr").count() == 2  # header, mjd
        page.wait_for_selector("#report-table td:has-text('.')")
        page.wait_for_selector("#report-verdicts td.verdict")
        page.wait_for_selector("#report-plots img")
        assert "garch_t" in page.inner_text("#report-table")
        page.screenshot(path=str(SCREENS / "reports.png"), full_page=True)
        browser.close()
    for name in ("data", "train", "generate", "history", "reports"):
        assert (SCREENS / f"{name}.png").stat().st_size > 10_000
