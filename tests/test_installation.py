"""`minxin doctor` checks the installation: a decoder per accepted upload format, the models, the
tools the tests need; it names what is missing and what to install."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from capture.sniff import AUDIO_TYPES
from ops import installation
from webapp.cli import cli


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "inst"))
    for k in ("MINXIN_DATABASE_URL", "MINXIN_DATA_DIR", "MINXIN_QUEUE"):
        monkeypatch.delenv(k, raising=False)
    return tmp_path / "inst"


def test_every_accepted_audio_type_has_a_decoder_to_check():
    assert set(installation.DECODERS) == set(AUDIO_TYPES)


def test_a_missing_decoder_is_named_with_its_format_and_what_to_install():
    have = installation.available_decoders() - {"amrnb", "libopencore_amrnb"}
    checks = {c.name: c for c in installation.decoder_checks(have)}
    assert not checks["audio/amr"].ok and not checks["audio/3gpp"].ok
    assert checks["audio/amr-wb"].ok and checks["audio/mpeg"].ok
    line = checks["audio/amr"].line()
    assert "audio/amr" in line and "amrnb" in line and "requirements.lock" in line


def test_doctor_fails_naming_the_format_when_a_decoder_is_missing(instance, monkeypatch):
    have = installation.available_decoders() - {"opus", "libopus"}
    monkeypatch.setattr(installation, "available_decoders", lambda: have)
    result = CliRunner().invoke(cli, ["doctor", "--no-models"])
    assert result.exit_code == 3, result.output
    assert "[缺失] 音频解码 (audio): audio/ogg" in result.output
    assert "[缺失] 音频解码 (audio): audio/webm" in result.output
    assert "安装 (install): make setup" in result.output
    assert "[ok  ] 音频解码 (audio): audio/amr" in result.output


def test_doctor_on_an_installation_without_an_instance_yet(instance):
    result = CliRunner().invoke(cli, ["doctor", "--no-models"])
    assert result.exit_code == 0, result.output
    assert "缺失" not in result.output
    assert "minxin init" in result.output


@pytest.mark.slow
def test_this_installation_is_complete_with_its_models_loaded(tmp_path):
    """What `make setup` installs passes every check, the four models loaded for real."""
    checks = installation.check_installation(models=True)
    assert [c.line() for c in checks if not c.ok] == []
    assert sum(c.group.startswith("模型") for c in checks) == 4
