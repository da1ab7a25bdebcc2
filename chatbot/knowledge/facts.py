"""Facts about one product, read from its own description: the sentence that answers
"how heavy is it?", "how long does the battery last?", "is it dishwasher safe?".

A sentence answers when it carries what such an answer looks like (a weight, a number of
hours, a capacity…; :data:`.lexicon.FACT_ASPECTS`) or the shopper's own content words.
The answer quotes it as written: the assistant never rounds, converts or guesses.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexicon import ASPECTS, COLOURS, FACT_ASPECTS
from .text import cjk_runs, latin_words, stem

# A full stop ends a sentence only before a space or the end ("2.4 kg" is one number).
_SENTENCE_END = re.compile(r"(?<=[.!?])(?=\s|$)\s*|(?<=[。！？；;])\s*")
# Aspects of the older word lists whose answer is a description sentence too.
_WORD_ASPECTS = ("size", "material", "colour")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


@lru_cache(maxsize=32)
def _cue(aspect: str) -> re.Pattern[str]:
    return re.compile(FACT_ASPECTS[aspect][2], re.I)


def _aspect_words(aspect: str) -> list[str]:
    if aspect in FACT_ASPECTS:
        en, zh, _ = FACT_ASPECTS[aspect]
        return [*en, *zh]
    en, zh = ASPECTS.get(aspect, ((), ()))
    words = [*en, *zh]
    if aspect == "colour":
        for variants in COLOURS.values():
            words.extend(variants)
    return words


def _mentions(sentence: str, words: list[str]) -> bool:
    lowered = sentence.lower()
    tokens = set(latin_words(lowered))
    stems = {stem(t) for t in tokens}
    return any((w in tokens or stem(w) in stems) if w.isascii() else (w in lowered) for w in words)


def content_words(question: str, name: str) -> set[str]:
    """The question's own words that are not the product's name (English stems, Chinese
    two-character pieces): "is it *dishwasher safe*?"."""
    name_words = {stem(w) for w in latin_words(name)}
    found = {stem(w) for w in latin_words(question) if len(w) > 3} - name_words
    for run in cjk_runs(question):
        found.update(run[i : i + 2] for i in range(len(run) - 1) if run[i : i + 2] not in name)
    return found


def answering_sentences(description: str, aspects: tuple[str, ...], question: str, name: str) -> list[str]:
    """The description's sentences that answer ``aspects`` (best first, one per aspect
    when the aspects differ), or [] when the description does not say."""
    own = content_words(question, name)
    chosen: list[str] = []
    for aspect in aspects:
        best, best_score = "", 0.0
        for sentence in sentences(description):
            score = 0.0
            if aspect in FACT_ASPECTS and _cue(aspect).search(sentence):
                score += 2
            if _mentions(sentence, _aspect_words(aspect)):
                score += 1
            lowered = sentence.lower()
            score += 0.5 * sum(1 for w in own if (w in lowered if not w.isascii() else w in _stems(lowered)))
            if score > best_score:
                best, best_score = sentence, score
        if best and best_score >= 1 and best not in chosen:
            chosen.append(best)
    return chosen


def _stems(lowered: str) -> set[str]:
    return {stem(w) for w in latin_words(lowered)}


def asked_aspects(fact_aspects: tuple[str, ...], word_aspects: tuple[str, ...]) -> tuple[str, ...]:
    """Every aspect a description sentence can answer, fact aspects first."""
    return tuple(dict.fromkeys([*fact_aspects, *(a for a in word_aspects if a in _WORD_ASPECTS)]))


def sentence_with_words(description: str, words: list[str], name: str) -> str:
    """The description's sentence that holds most of the shopper's words, those not in the
    product's name counting most ("is the tracker *waterproof*?" -> "Waterproof to IP67.");
    "" unless it holds a word beyond the name and, but for one, every word is in the name
    or in it (the question is about this product and this sentence)."""
    lowered_name = name.lower()
    name_stems = {stem(w) for w in latin_words(lowered_name)}

    def where(word: str, lowered: str, stems: set[str]) -> tuple[bool, bool]:
        if word.isascii():
            return stem(word) in stems, stem(word) in name_stems
        # One Chinese character ("用", "克") is in too many sentences to tell.
        return len(word) > 1 and word in lowered, word in lowered_name

    best, best_score, best_covered = "", 0, 0
    for sentence in sentences(description):
        lowered = sentence.lower()
        stems = _stems(lowered)
        score = covered = 0
        for word in words:
            found, in_name = where(word, lowered, stems)
            score += 3 if found and not in_name else 1 if found else 0
            covered += found or in_name
        if score > best_score:
            best, best_score, best_covered = sentence, score, covered
    if best_score < 3 or best_covered < max(2, len(words) - 1):
        return ""
    return best


def sentence_mentioning(description: str, words: list[str]) -> str:
    """The first sentence of the description that holds one of ``words`` ("do they have
    a *hood*?"), or ""."""
    for sentence in sentences(description):
        lowered = sentence.lower()
        stems = _stems(lowered)
        if any((stem(w) in stems) if w.isascii() else (len(w) > 1 and w in lowered) for w in words):
            return sentence
    return ""
