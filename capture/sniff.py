"""Media types from the first bytes of a file, never from its name.

Only the formats a cadre's phone produces are known: voice memos (wav, mp3, m4a/aac, amr,
ogg/opus, webm, flac) and photos (jpeg, png, webp, heic/heif). Anything else is refused at
intake.
"""
from __future__ import annotations

from typing import Optional

AUDIO_TYPES = (
    "audio/wav", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/amr-wb",
    "audio/3gpp", "audio/ogg", "audio/webm", "audio/flac",
)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")

# ISO base media file brands (bytes 8..12 of an `ftyp` box).
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"isom", b"iso2", b"mp41", b"mp42", b"dash", b"MSNV", b"qt  "}
_3GP_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gs7", b"3g2a"}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_BRANDS = {b"mif1", b"msf1"}

HEAD_BYTES = 64


def _ftyp(data: bytes) -> Optional[str]:
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(data[0:4], "big")
    major = data[8:12]
    # Compatible brands follow the minor version (bytes 12..16) up to the end of the box.
    end = min(len(data), box_size if box_size >= 16 else 16)
    brands = {major} | {data[i:i + 4] for i in range(16, end - 3, 4)}
    if brands & _HEIC_BRANDS:
        return "image/heic"
    if brands & _HEIF_BRANDS:
        return "image/heif"
    if major in _3GP_BRANDS:
        return "audio/3gpp"
    if major in _AUDIO_BRANDS or brands & _AUDIO_BRANDS:
        return "audio/mp4"
    return None


def _skip_id3(data: bytes) -> bytes:
    """An ID3v2 tag may precede an MP3 (or, rarely, FLAC/AAC) stream."""
    if len(data) >= 10 and data[:3] == b"ID3":
        size = 0
        for b in data[6:10]:  # synchsafe integer: 7 bits per byte
            size = (size << 7) | (b & 0x7F)
        footer = 10 if data[5] & 0x10 else 0
        return data[10 + size + footer:]
    return data


def sniff(data: bytes) -> Optional[str]:
    """The media type of `data`, or None when it is not a format we accept."""
    if not data:
        return None
    head = data[:HEAD_BYTES]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:9] == b"#!AMR-WB\n":
        return "audio/amr-wb"
    if head[:6] == b"#!AMR\n":
        return "audio/amr"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"OggS":
        return "audio/ogg"  # Opus or Vorbis inside
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska family
        return "audio/webm" if b"webm" in data[:HEAD_BYTES * 4] else None
    ftyp = _ftyp(data[:HEAD_BYTES * 4])
    if ftyp:
        return ftyp
    body = _skip_id3(data)
    if body is not data:
        if body[:4] == b"fLaC":
            return "audio/flac"
        if len(body) >= 2 and body[0] == 0xFF and body[1] & 0xE0 == 0xE0:
            return "audio/aac" if (body[1] >> 1) & 0x3 == 0 else "audio/mpeg"
        # ID3v2.2-2.4 in front of anything else: an MP3 (the tag may be longer than what was read)
        return "audio/mpeg" if data[3] in (2, 3, 4) else None
    if len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        layer = (head[1] >> 1) & 0x3
        if layer == 0:  # ADTS AAC: sync 0xFFF, layer 00
            return "audio/aac" if head[1] & 0xF0 == 0xF0 else None
        # MPEG audio frame: version 01 is reserved, bitrate 1111 and sample rate 11 are invalid
        version = (head[1] >> 3) & 0x3
        bitrate = head[2] >> 4
        rate = (head[2] >> 2) & 0x3
        if version != 1 and bitrate != 0xF and rate != 0x3:
            return "audio/mpeg"
    return None


def kind_of(media_type: str) -> Optional[str]:
    """`audio` for a voice memo, `pages` for a page photo."""
    if media_type in AUDIO_TYPES:
        return "audio"
    if media_type in IMAGE_TYPES:
        return "pages"
    return None


def sniff_file(path) -> Optional[str]:
    with open(path, "rb") as fh:
        return sniff(fh.read(HEAD_BYTES * 4 + 4096))
