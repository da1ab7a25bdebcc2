"""Train the support-intent classifier from the Bitext *build* split.

    python -m chatbot.knowledge.train_intents [CSV] [--check]

Multinomial naive Bayes over word stems and character 3/4-grams inside words (the
n-grams carry it through "shippinh", "reimbvurse", "order732201349959"). Plain Python,
no extra dependency; the counts go to ``support_intents.json`` next to this module and
are loaded by :mod:`chatbot.knowledge.intents`. ``--check`` prints 5-fold accuracy on
the build split; the test split is never read here.

Besides Bitext's intents the model has a ``none`` class: questions about products
(facts, needs, colours) that are no support request at all, written from templates
below over everyday nouns no demo catalog sells. Without it the model had to name a
support intent for "a lamp with a long battery life" and was sure of it (p ≥ 0.9).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
from collections import Counter, defaultdict
from pathlib import Path

from .text import latin_words, stem

DATA_FILE = Path(__file__).with_name("support_intents.json")
# The dataset lives in ../shared beside the project's root (not shipped with the app).
DEFAULT_CSV = Path(__file__).resolve().parents[3] / "shared/datasets/bitext-customer-support/utterances.csv"
ALPHA = 0.3
NONE_CLASS = "none"
_NONE_NOUNS: tuple[str, ...] = (
    "kettle",
    "sofa",
    "bicycle",
    "scarf",
    "wallet",
    "printer",
    "guitar",
    "mattress",
    "blender",
)
_NONE_NOUNS += ("camera", "desk", "helmet", "perfume", "watch", "vase", "rug", "drill", "keyboard")
_NONE_NOUNS += ("stroller", "yoga mat")
_NONE_TEMPLATES = (
    "do you sell {x}s",
    "do you have a {x}",
    "i am looking for a {x}",
    "how heavy is the {x}",
    "how much does the {x} weigh",
    "does the {x} have a long battery life",
    "a {x} with a long battery life",
    "how long does the battery of the {x} last",
    "is the {x} waterproof",
    "what is the {x} made of",
    "how big is the {x}",
    "a {x} that isn't black",
    "a {x} without a cover",
    "is the {x} dishwasher safe",
    "how do i clean the {x}",
    "something for cold hands",
    "a present for my sister, about 40 dollars",
    "show me the cheapest {x}",
    "a {x} under 100",
    "is the {x} available in blue",
    "which {x} is best for travel",
    "can you recommend a {x} for the beach",
    "hello, i need a {x}",
)


def none_rows() -> list[tuple[str, str]]:
    """The ``none`` class: one template per noun in turn, so every template is used and
    the class is about as large as a Bitext intent."""
    return [
        (template.format(x=_NONE_NOUNS[i % len(_NONE_NOUNS)]), NONE_CLASS)
        for i, template in enumerate(_NONE_TEMPLATES * 4)
    ]


def features(text: str) -> list[str]:
    feats: list[str] = []
    for word in latin_words(text):
        if word.isdigit():
            feats.append("w:<num>")
            continue
        term = stem(word)
        feats.append(f"w:{term}")
        padded = f"<{word}>"
        for n in (3, 4):
            feats.extend(f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
    return feats


def train(rows: list[tuple[str, str]]) -> dict[str, object]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    docs: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for text, label in rows:
        feats = features(text)
        counts[label].update(feats)
        docs[label] += 1
        words.update(stem(w) for w in latin_words(text) if not w.isdigit())
    total_features: Counter[str] = Counter()
    for c in counts.values():
        total_features.update(c)
    kept = {f for f, n in total_features.items() if n >= 2}
    return {
        "alpha": ALPHA,
        "classes": sorted(counts),
        "docs": dict(docs),
        "vocabulary_size": len(kept),
        "totals": {label: sum(n for f, n in c.items() if f in kept) for label, c in counts.items()},
        "counts": {label: {f: n for f, n in sorted(c.items()) if f in kept} for label, c in counts.items()},
        "words": sorted(words),
    }


def predict(model: dict, text: str) -> tuple[str, float]:
    """Best class and its posterior probability."""
    alpha = model["alpha"]
    size = model["vocabulary_size"]
    all_docs = sum(model["docs"].values())
    feats = features(text)
    scores = {}
    for label in model["classes"]:
        counts = model["counts"][label]
        denominator = math.log(model["totals"][label] + alpha * size)
        score = math.log(model["docs"][label] / all_docs)
        for f in feats:
            score += math.log(counts.get(f, 0) + alpha) - denominator
        scores[label] = score
    best = max(scores, key=lambda k: scores[k])
    top = scores[best]
    norm = sum(math.exp(s - top) for s in scores.values())
    return best, 1.0 / norm


def load_rows(path: Path, split: str) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [(r["utterance"], r["bitext_intent"]) for r in csv.DictReader(handle) if r["split"] == split]


def cross_validate(rows: list[tuple[str, str]], folds: int = 5) -> float:
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    right = 0
    for k in range(folds):
        held = shuffled[k::folds]
        rest = [r for i, r in enumerate(shuffled) if i % folds != k]
        model = train(rest)
        right += sum(predict(model, text)[0] == label for text, label in held)
    return right / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--check", action="store_true", help="print 5-fold accuracy on the build split")
    args = parser.parse_args()
    rows = load_rows(args.csv, "build") + none_rows()
    if args.check:
        print(f"5-fold accuracy on build: {cross_validate(rows):.3f}")
    model = train(rows)
    DATA_FILE.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {DATA_FILE} ({len(rows)} build rows, {model['vocabulary_size']} features)")


if __name__ == "__main__":
    main()
