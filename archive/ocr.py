"""OCR of scanned pages and image attachments: rapidocr (PP-OCR models shipped in its wheel).

May touch: a temporary folder of its own and a child process; nothing in DIR.

Why a child process: OCR is seconds a page and an engine can hang or run out of memory on
a hostile image, so `ocr_pages` starts `python -m archive.ocr` in its own session with a
time limit and kills its whole process group at the limit; the load goes on with the
reason. The child renders the pages (pypdfium2 for PDFs, Pillow for images), straightens a
skewed or sideways page, finds the table's ruling lines (OpenCV morphology) and writes
every text box with its confidence. What it writes is the OCR result stored as a WARC
conversion record (OCR_CONTENT_TYPE); parsers.ocr_document turns it into a Document.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from archive.convert import Derived, run_limited
from parsers.ocr_document import OCR_CONTENT_TYPE, PAGE_DPI

DPI = PAGE_DPI  # pages are rendered at the page shape's own resolution
TIME_LIMIT = 60 * 10  # seconds for one file (one page is ~6 s on one core)
SECONDS_PER_PAGE = 60
# A box below this text score is dropped as noise; between it and parsers' DOUBTFUL_SCORE it
# is kept and its numbers flagged.
MIN_SCORE = 0.3
SPECK_PIXELS = 4  # at DPI; a 7-point full stop is larger
# Ink correlation of x and y below which a lone '1' is a '/': measured -0.94..-0.83 for '/',
# +0.15..+0.57 for '1' on the sample scans.
SLASH_SLANT = -0.6


def engine_version() -> str:
    from importlib.metadata import version

    try:
        return f"rapidocr {version('rapidocr')} (onnxruntime {version('onnxruntime')})"
    except Exception:  # noqa: BLE001 - not installed: the reason says so when it is used
        return "rapidocr (not installed)"


def ocr_pages(data: bytes, kind: str, pages: list[int] | None = None, time_limit: float | None = None,
              threads: int = 1) -> Derived:
    """OCR `pages` (0-based; None = all) of a PDF or image payload in a child process."""
    tool = engine_version()
    started = time.monotonic()
    count = len(pages) if pages else 1
    limit = time_limit or min(TIME_LIMIT, 30 + SECONDS_PER_PAGE * count)
    with tempfile.TemporaryDirectory(prefix="ogi-ocr-") as folder:
        source = Path(folder) / ("input.pdf" if kind == "pdf" else "input.img")
        source.write_bytes(data)
        output = Path(folder) / "ocr.json"
        command = [sys.executable, "-m", "archive.ocr", str(source), str(output), "--kind", kind,
                   "--threads", str(threads)]
        if pages is not None:
            command += ["--pages", ",".join(str(page) for page in pages)]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONWARNINGS": "ignore"}
        outcome = run_limited(command, limit, env=env)
        seconds = time.monotonic() - started
        if outcome.reason:
            return Derived(None, f"{tool}: {outcome.reason}", seconds, tool, OCR_CONTENT_TYPE)
        if not output.exists():
            return Derived(None, f"{tool}: wrote no result", seconds, tool, OCR_CONTENT_TYPE)
        return Derived(output.read_bytes(), None, seconds, tool, OCR_CONTENT_TYPE)


# --- the child process -----------------------------------------------------------------


def _page_images(path: Path, kind: str, pages: list[int] | None):
    """(page number, RGB numpy array) for each page asked for."""
    import numpy
    from PIL import Image, ImageSequence

    if kind == "pdf":
        import pypdfium2

        pdf = pypdfium2.PdfDocument(str(path))
        try:
            for number in pages if pages is not None else range(len(pdf)):
                image = pdf[number].render(scale=DPI / 72).to_pil().convert("RGB")
                yield number, numpy.asarray(image)
        finally:
            pdf.close()
        return
    with Image.open(path) as image:
        for number, frame in enumerate(ImageSequence.Iterator(image)):
            if pages is None or number in pages:
                yield number, numpy.asarray(_at_dpi(frame.convert("RGB"), image.info.get("dpi")))


def _at_dpi(image, dpi):
    """An image page scaled to DPI, as a PDF page is rendered: the specks, strokes and rule
    lengths below are measured at DPI. Without a stated resolution the page is taken for A4
    (8.27 inches across its shorter side)."""
    from PIL import Image

    stated = float(dpi[0]) if dpi and dpi[0] and float(dpi[0]) > 50 else min(image.size) / 8.27
    if stated >= DPI * 0.95:
        return image
    factor = DPI / stated
    return image.resize((round(image.width * factor), round(image.height * factor)), Image.LANCZOS)


def _skew_degrees(gray) -> float:
    """The page's skew from its long near-horizontal strokes (table rules, text lines)."""
    import cv2
    import numpy

    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    width = gray.shape[1]
    lines = cv2.HoughLinesP(binary, 1, numpy.pi / 1800, threshold=200, minLineLength=width // 4, maxLineGap=10)
    if lines is None:
        return 0.0
    angles = [numpy.degrees(numpy.arctan2(y2 - y1, x2 - x1)) for x1, y1, x2, y2 in lines.reshape(-1, 4)]
    angles = [angle for angle in angles if abs(angle) < 10]
    return float(numpy.median(angles)) if angles else 0.0


def _despeckled(image):
    """The page without specks: dark blobs of at most SPECK_PIXELS (a scanner's dust reads
    as a '.' beside a digit: measured on the sample scans). A printed full stop is larger."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] <= SPECK_PIXELS
    small[0] = False  # the background
    clean = image.copy()
    clean[small[labels]] = 255
    return clean


def _straighten(image):
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    angle = _skew_degrees(gray)
    if abs(angle) < 0.05:
        return image, 0.0
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderValue=(255, 255, 255)), angle


def _rule_mask(image, shortest: int = 60):
    """The ruling lines' pixels, by opening the inverted page with long thin kernels (text
    strokes are too short to survive): one mask each for horizontal and vertical rules.
    A vertical rule is found down to a 60th of the page (one table row); what is erased
    before OCR must be longer (a 25th), or the long stroke of a title's 中 goes with it."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    height, width = gray.shape
    masks = {}
    for name, kernel in (("h", (max(40, width // 25), 1)), ("v", (1, max(40, height // shortest)))):
        element = cv2.getStructuringElement(cv2.MORPH_RECT, kernel)
        opened = cv2.morphologyEx(binary, cv2.MORPH_OPEN, element)
        masks[name] = cv2.dilate(opened, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    return masks


def _rules(masks: dict) -> dict:
    """Ruling lines as segments: horizontal [x0, y, x1] and vertical [x, y0, y1]."""
    import cv2

    found: dict[str, list] = {"h": [], "v": []}
    for name, mask in masks.items():
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            found[name].append([int(x), int(y + h // 2), int(x + w)] if name == "h"
                               else [int(x + w // 2), int(y), int(y + h)])
    return found


def _erased(image):
    """The page with its rules painted white: text touching a cell's border is then found
    (measured: the detector misses short header words like 尚未 beside a rule)."""
    masks = _rule_mask(image, shortest=25)
    clean = image.copy()
    clean[(masks["h"] | masks["v"]) > 0] = 255
    return clean


def _words(engine, image) -> list[dict]:
    result = engine(image)
    if result.boxes is None:
        return []
    return [{"box": [[round(float(x), 1), round(float(y), 1)] for x, y in box], "text": text,
             "score": round(float(score), 4)}
            for box, text, score in zip(result.boxes, result.txts, result.scores)]


def _slant(image, box) -> float | None:
    """How the ink in a box leans: the correlation of its pixels' x and y (-1 for '/')."""
    import cv2
    import numpy

    xs, ys = [point[0] for point in box], [point[1] for point in box]
    crop = image[max(int(min(ys)), 0):int(max(ys)) + 1, max(int(min(xs)), 0):int(max(xs)) + 1]
    if crop.size == 0:
        return None
    ink = numpy.argwhere(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) < 128)
    if len(ink) < 5 or ink[:, 1].std() == 0 or ink[:, 0].std() == 0:
        return 0.0
    return float(numpy.corrcoef(ink[:, 1], ink[:, 0])[0, 1])


def _slashes(image, words: list[dict]) -> list[dict]:
    """The recognizer reads the '/' a report prints for zero as '1' (measured: 150 of 150 on
    the sample scans, scores 0.7-1.0). A lone '1' whose ink leans like '/' is one: its text
    is set to '/' and what the engine read kept as `read_as`."""
    for word in words:
        if word["text"] in ("1", "l", "I", "|") and (_slant(image, word["box"]) or 0.0) < SLASH_SLANT:
            word["read_as"], word["text"] = word["text"], "/"
    return words


def _sideways(image) -> bool:
    """Text lines run up the page: it was scanned on its side. Smearing the ink along each
    axis joins a line's characters into one long blob along the lines' direction only."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]

    def long_blobs(kernel: tuple[int, int], along: int) -> int:
        smeared = cv2.dilate(binary, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        stats = cv2.connectedComponentsWithStats(smeared, connectivity=8)[2][1:]
        width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
        return int(((width > 8 * height) if along == 0 else (height > 8 * width)).sum())

    return long_blobs((1, 15), 1) > 2 * max(long_blobs((15, 1), 0), 1)


def _score(words: list[dict]) -> float:
    return sum(word["score"] * len(word["text"]) for word in words)


def _ocr_page(engine, image) -> dict:
    import numpy

    image = _despeckled(image)
    turns = (1, 3) if _sideways(image) else (0,)
    read = []
    for turn in turns:  # a sideways page: both ways round, the better read wins
        straight, skew = _straighten(numpy.rot90(image, turn).copy() if turn else image)
        clean = _erased(straight)
        words = _slashes(clean, _words(engine, clean))
        read.append((_score(words), turn * 90, straight, skew, words))
    _, rotated, image, skew, words = max(read, key=lambda item: item[0])
    masks = _rule_mask(image)
    height, width = image.shape[:2]
    return {"width": width, "height": height, "rotated": rotated, "deskewed_degrees": round(skew, 3),
            "rules": _rules(masks), "words": words}


def main(argv: list[str] | None = None) -> int:
    import argparse
    import logging

    parser = argparse.ArgumentParser(prog="python -m archive.ocr")
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--kind", default="image")
    parser.add_argument("--pages", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "error", "Global.text_score": MIN_SCORE,
                              "Global.use_cls": False,  # sideways pages are turned here, by score
                              "EngineConfig.onnxruntime.intra_op_num_threads": args.threads,
                              "EngineConfig.onnxruntime.inter_op_num_threads": 1})
    pages = [int(page) for page in args.pages.split(",")] if args.pages else None
    result = {"content_type": OCR_CONTENT_TYPE, "engine": engine_version(), "dpi": DPI, "pages": []}
    for number, image in _page_images(Path(args.source), args.kind, pages):
        result["pages"].append({"page": number, **_ocr_page(engine, image)})
    Path(args.output).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
