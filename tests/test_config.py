"""Settings as flaskr keeps them: documented defaults, the deployment's instance file and environment, and a test
config given to the factory that replaces both; one compiled copy of the catalogues per process, not per app."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile

import pytest

from web import config as config_module
from web import create_app, i18n

from .conftest import ROOT

TEST_CONFIG = {"SECRET_KEY": "test-secret", "TESTING": True}


@pytest.fixture
def made_apps():
    """Apps a test builds; their database engines are closed afterwards."""
    apps = []
    yield apps
    for app in apps:
        app.extensions["lawflow.sql"].dispose()


def _other_value(default):
    """A value of the default's type that differs from it, as an environment variable would spell it."""
    if isinstance(default, bool):
        return ("false" if default else "true"), not default
    if isinstance(default, (int, float)):
        return str(default + 7), type(default)(default + 7)
    return default + "-changed", default + "-changed"


def test_every_documented_setting_is_read_from_its_environment_variable(monkeypatch):
    expected = {}
    for key, default in config_module.DEFAULTS.items():
        raw, value = _other_value(default)
        monkeypatch.setenv(f"LAWFLOW_{key}", raw)
        expected[key] = value
    monkeypatch.setenv("LAWFLOW_CONFIG_FILE", "/nonexistent/lawflow.json")
    loaded = config_module.load()
    assert {key: loaded[key] for key in expected} == expected


def test_the_policy_role_and_portal_limits_come_from_the_environment(tmp_path, monkeypatch, made_apps):
    monkeypatch.setenv("LAWFLOW_CONFIG_FILE", str(tmp_path / "absent.json"))
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/lawflow.sqlite")
    monkeypatch.setenv("LAWFLOW_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LAWFLOW_POLICY_ROLE", "policy_admin")
    monkeypatch.setenv("LAWFLOW_PORTAL_SUBMISSIONS_PER_HOUR", "2")
    monkeypatch.setenv("LAWFLOW_PORTAL_CHECKS_PER_10_MINUTES", "3")
    app = create_app()
    made_apps.append(app)
    assert app.config["POLICY_ROLE"] == "policy_admin"
    from web.rate_limits import per
    with app.app_context():          # the portal's limits read the settings when a request is checked
        assert (per("PORTAL_SUBMISSIONS_PER_HOUR", "hour")(), per("PORTAL_CHECKS_PER_10_MINUTES", "10 minutes")()) \
            == ("2 per hour", "3 per 10 minutes")


def test_a_test_config_replaces_the_instance_file_and_the_environment(tmp_path, monkeypatch, made_apps):
    instance = tmp_path / "lawflow.json"
    instance.write_text(json.dumps({"PROXY_HOPS": 3, "POLICY_ROLE": "from-file"}), encoding="utf-8")
    monkeypatch.setenv("LAWFLOW_CONFIG_FILE", str(instance))
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/from-environment.sqlite")
    monkeypatch.setenv("LAWFLOW_SECRET_KEY", "e" * 40)
    monkeypatch.setenv("LAWFLOW_LOGIN_MAX_FAILURES", "99")
    deployed = create_app()         # the same file and environment do change a deployment's settings
    made_apps.append(deployed)
    assert (deployed.config["PROXY_HOPS"], deployed.config["POLICY_ROLE"]) == (3, "from-file")
    assert deployed.config["LOGIN_MAX_FAILURES"] == 99 and deployed.config["SECRET_KEY"] == "e" * 40
    url = f"sqlite:///{tmp_path}/from-test.sqlite"
    tested = create_app({**TEST_CONFIG, "DATABASE_URL": url, "LOGIN_MAX_FAILURES": 7})
    made_apps.append(tested)
    assert tested.config["DATABASE_URL"] == url and tested.config["LOGIN_MAX_FAILURES"] == 7
    assert tested.config["SECRET_KEY"] == "test-secret"
    assert (tested.config["PROXY_HOPS"], tested.config["POLICY_ROLE"]) == (0, "policy")


def test_the_readme_names_every_setting_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.MULTILINE)
    assert sorted(named) == sorted(config_module.DEFAULTS) and len(named) == len(set(named))


def test_many_apps_share_one_compiled_catalogue_folder(tmp_path, monkeypatch, made_apps):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(i18n, "_compiled", {}, raising=False)      # as in a process that built no app yet
    for n in range(5):
        made_apps.append(create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path}/db{n}.sqlite"}))
    folders = list((tmp_path / "tmp").iterdir())
    assert len(folders) == 1 and (folders[0] / "en/LC_MESSAGES/messages.mo").is_file()
    assert {app.config["BABEL_TRANSLATION_DIRECTORIES"] for app in made_apps} == {str(folders[0])}


def test_a_process_removes_its_compiled_catalogues_when_it_exits(tmp_path):
    script = ("from web import create_app; app = create_app({'SECRET_KEY': 'test-secret', 'TESTING': True, "
              f"'DATABASE_URL': 'sqlite:///{tmp_path}/lawflow.sqlite'}}); "
              "print(app.config['BABEL_TRANSLATION_DIRECTORIES'])")
    (tmp_path / "tmp").mkdir()
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path / "tmp")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(tmp_path / "tmp"))       # it did compile there
    assert list((tmp_path / "tmp").iterdir()) == []
