"""Normalising and tokenising shop text and shopper messages, in English and Chinese.

English: lower case, words of letters/digits, a light suffix stemmer (plurals, -ing, -ed)
so "jackets" finds "jacket". Chinese has no spaces: jieba cuts words, and character
unigrams/bigrams ("grams") catch what jieba cuts differently in the query and the
catalog ("跑鞋" vs "跑步鞋").
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

# How much of a message the built-in assistant reads: enough for any real question; the
# rest is pasted text that only slows matching down. Not the message size limit (that is
# CHATBOT_MAX_MESSAGE_CHARS, enforced by the message route).
ANALYSED_CHARS = 1000

_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_SPACES = re.compile(r"\s+")

_jieba_lock = threading.Lock()
_jieba_ready = False


def is_cjk_char(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


def clean(text: str, limit: int = ANALYSED_CHARS) -> str:
    """NFKC (full-width digits and punctuation become ASCII, so "１００元" parses), control
    and format characters dropped, whitespace collapsed, cut at ``limit`` on a word
    boundary when one is near."""
    if not text:
        return ""
    # Cutting first keeps a 10,000-character paste cheap; the margin survives NFKC growth.
    text = unicodedata.normalize("NFKC", text[: limit * 2])
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        cut = text.rfind(" ", limit - 40, limit)
        text = text[: cut if cut > 0 else limit].rstrip()
    return text


def detect_language(text: str, fallback: str = "en") -> str:
    """``"zh"`` when the message has Chinese characters, ``"en"`` when it has Latin
    words, else the shop's or conversation's language (emoji, digits, empty)."""
    if has_cjk(text):
        return "zh"
    if re.search(r"[A-Za-z]{2,}", text):
        return "en"
    return "zh" if fallback.lower().startswith("zh") else "en"


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately small stemmer: the same on both sides of the index is what counts,
    not linguistic accuracy."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "i"  # "beanies" and "beanie", "berries" and "berry" all end in "i"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeiouls":
            word = word[:-1]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeiouls":
            word = word[:-1]
    # "reimburse", "reimbursed" and "reimbursing" all end up as "reimburs".
    if len(word) > 4 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


def latin_words(text: str) -> list[str]:
    """Lower-case words, apostrophes folded ("women's" -> "womens")."""
    return [w.replace("'", "").replace("’", "") for w in _LATIN_WORD.findall(text.lower())]


def cjk_runs(text: str) -> list[str]:
    return _CJK_RUN.findall(text)


def ensure_jieba() -> None:
    global _jieba_ready
    if _jieba_ready:
        return
    with _jieba_lock:
        if not _jieba_ready:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_ready = True


@lru_cache(maxsize=8192)
def _cut(run: str, for_search: bool) -> tuple[str, ...]:
    import jieba

    ensure_jieba()
    parts = jieba.lcut_for_search(run) if for_search else jieba.lcut(run)
    return tuple(p for p in parts if p.strip())


def cjk_words(run: str, *, for_search: bool = False) -> list[str]:
    """jieba words of a run of Chinese characters; ``for_search`` adds the shorter words
    inside long ones, which suits the catalog side of the index."""
    if not run:
        return []
    return list(_cut(run, for_search))


def cjk_grams(run: str) -> list[str]:
    """Character unigrams and bigrams: the fallback when jieba cuts two texts apart."""
    grams = list(run)
    grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def chunk_for_streaming(text: str, size: int = 24) -> list[str]:
    """Split a reply into pieces of about ``size`` characters on word boundaries (or
    every few characters in Chinese) so the widget shows it streaming."""
    pieces: list[str] = []
    current = ""
    for token in re.findall(r"\S+\s*|\s+", text):
        if has_cjk(token) and len(token) > size:
            for i in range(0, len(token), size // 3 or 1):
                part = token[i : i + size // 3 or 1]
                if len(current) + len(part) > size and current:
                    pieces.append(current)
                    current = ""
                current += part
            continue
        if current and len(current) + len(token) > size:
            pieces.append(current)
            current = ""
        current += token
    if current:
        pieces.append(current)
    return pieces
