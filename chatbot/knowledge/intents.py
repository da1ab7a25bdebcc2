"""What the shopper is asking for, before any product is looked up.

Greetings, thanks, product aspects, references back ("how much is it?") and order
numbers come from the word lists in :mod:`.lexicon`. Support topics (order status,
cancelling, refunds, shipping, payment, contact, hand-off, complaints) combine those word
lists (with typo tolerance) and a naive Bayes classifier trained on the Bitext build split
(:mod:`.train_intents`): the words decide *whether* the message is a support question,
the classifier decides *which* one when the words alone are ambiguous.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA

from .lexicon import (
    ASPECTS,
    COLOURS,
    EN_PLURAL_REFERENCES,
    EN_REFERENCES,
    EN_SHOPPING_CUES,
    EN_STOPWORDS,
    FACT_ASPECTS,
    GREETINGS_EN,
    GREETINGS_ZH,
    POLITE_FILLER_EN,
    SMALLTALK_EN,
    SMALLTALK_ZH,
    SUPPORT_TOPICS,
    ZH_PLURAL_REFERENCES,
    ZH_REFERENCES,
    ZH_SHOPPING_CUES,
)
from .text import cjk_runs, has_cjk, latin_words, stem
from .train_intents import DATA_FILE, predict

# Bitext intents -> the assistant's support topics.
BITEXT_TOPICS = {
    "track_order": "order_status",
    "cancel_order": "cancel",
    "contact_human_agent": "handoff",
    "complaint": "complaint",
    "contact_customer_service": "contact",
    "delivery_period": "shipping",
    "delivery_options": "shipping",
    "check_payment_methods": "payment",
    "check_refund_policy": "refund",
    "get_refund": "refund",
}
# When words point at several topics, the first wins: a person asked for beats a policy.
TOPIC_PRIORITY = (
    "handoff",
    "complaint",
    "cancel",
    "refund",
    "order_status",
    "shipping",
    "payment",
    "warranty",
    "size_guide",
    "contact",
)
FAQ_TOPICS = frozenset({"shipping", "payment", "refund", "contact", "warranty", "size_guide"})

_ORDER_NUMBER = re.compile(r"(?<![A-Za-z0-9$¥€£.-])#?([A-Za-z]{0,6}-?\d{3,}[A-Za-z0-9-]*)(?![A-Za-z0-9.])")
# "BL 20417", "# NW 10042": a shop's letter prefix written apart from its digits. Only in
# capitals ("under 200" is a price, "size 10" a size) and with at least four digits.
# After the word "order" any case will do ("has order iw 55012 shipped?").
_ORDER_WORD_NUMBER = re.compile(
    r"(?:\border\b|订单|单号)\s*(?:number|no\.?|#)?\s*#?([A-Za-z]{1,5})[\s_]+(\d{4,})\b", re.I
)
_SPACED_ORDER_NUMBER = re.compile(r"(?<![A-Za-z0-9$¥€£.-])#?\s?([A-Z]{1,5})[\s_]+(\d{4,})(?![A-Za-z0-9.])")
_EMOJI_OR_SYMBOL = re.compile(r"^[\W_]*$", re.UNICODE)
_OFF_TOPIC_EN = frozenset(
    {
        "weather",
        "joke",
        "poem",
        "president",
        "politic",
        "politics",
        "election",
        "recipe",
        "homework",
        "bitcoin",
        "crypto",
        "movie",
        "song",
        "lyrics",
        "football",
        "capital",
        "translate",
        "meaning",
        "life",
        "python",
        "javascript",
        "code",
        "essay",
        "password",
        "prompt",
        "instructions",
        "dan",
        "jailbreak",
        "horoscope",
    }
)
_OFF_TOPIC_ZH = (
    "天气",
    "笑话",
    "写诗",
    "作诗",
    "新闻",
    "总统",
    "政治",
    "股票",
    "彩票",
    "菜谱",
    "作业",
    "翻译",
    "密码",
    "提示词",
    "系统提示",
)
_SUPPORT_PHRASES_EN: tuple[tuple[str, str], ...] = (
    ("money back", "refund"),
    ("customer service", "contact"),
    ("customer support", "contact"),
    ("customer care", "contact"),
    ("real person", "handoff"),
    ("live agent", "handoff"),
    ("live person", "handoff"),
    ("talk to a", "handoff"),
    ("speak to a", "handoff"),
    ("speak with a", "handoff"),
    ("talk with a", "handoff"),
    ("where is my", "order_status"),
    ("where's my", "order_status"),
    ("my order", "order_status"),
    ("my purchase", "order_status"),
    ("my package", "order_status"),
    ("my parcel", "order_status"),
    ("order status", "order_status"),
    ("my orders", "order_status"),
    ("all orders", "order_status"),
    ("how long", "shipping"),
    ("how soon", "shipping"),
    ("when will", "shipping"),
    ("ship to", "shipping"),
    ("deliver to", "shipping"),
    ("pay with", "payment"),
    ("pay by", "payment"),
    ("send it back", "refund"),
    ("send them back", "refund"),
    ("send back", "refund"),
    ("sent back", "refund"),
    ("take it back", "refund"),
)
# "can you send bottled ink to France?": sending something to a named place asks about
# destinations, whatever the thing is.
_TO_A_PLACE = re.compile(r"\b(?:send|ship|deliver|post|mail)\b[^.?!]{0,40}?\bto\s+[A-Z][a-z]+")


@dataclass(frozen=True)
class SupportGuess:
    topic: str | None = None
    strong: bool = False  # a word that only a support question uses, or a certain model
    probability: float = 0.0  # the classifier's confidence in ``topic``, 0 without it


@lru_cache(maxsize=1)
def _model() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _lexicon_words() -> tuple[dict[str, tuple[str, bool]], frozenset[str]]:
    """stem -> (topic, strong) for every English support word, and the words the
    classifier has seen (typo matching is only tried on words outside them)."""
    words: dict[str, tuple[str, bool]] = {}
    for topic in reversed(TOPIC_PRIORITY):
        strong, weak, _ = SUPPORT_TOPICS[topic]
        for w in weak:
            words[stem(w)] = words[w] = (topic, False)
        for w in strong:
            words[stem(w)] = words[w] = (topic, True)
    # Real words only: the Bitext vocabulary is full of typos we want to catch.
    known = frozenset(stem(w) for w in EN_STOPWORDS) | frozenset(EN_STOPWORDS)
    return words, known


def classify_support(text: str) -> tuple[str, float]:
    """The Bitext topic the classifier finds most likely, with its probability."""
    best, probability = predict(_model(), _split_runs(text))
    return BITEXT_TOPICS.get(best, best), probability


def _split_runs(text: str) -> str:
    """ "order732201349959" -> "order 732201349959"."""
    return re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", text)


def _typo_match(word: str, lexicon: dict[str, tuple[str, bool]]) -> tuple[str, bool] | None:
    if len(word) == 4:
        # Short words only by swapped letters ("shpi"): one wrong letter makes another word.
        return next(
            (hit for cand, hit in lexicon.items() if len(cand) == 4 and sorted(cand) == sorted(word)), None
        )
    limit = 1 if len(word) <= 7 else 2
    for candidate, hit in lexicon.items():
        close_length = len(candidate) >= 5 and abs(len(candidate) - len(word)) <= limit
        if close_length and OSA.distance(word, candidate, score_cutoff=limit) <= limit:
            return hit
        if len(candidate) >= 5 and word.startswith(candidate) and len(word) > len(candidate) + 2:
            return hit  # run-on words: "uudeliver", "shippingto"
        if len(candidate) >= 6 and candidate in word:
            return hit
    return None


def support_guess(
    text: str, product_words: frozenset[str] = frozenset(), known_words: frozenset[str] = frozenset()
) -> SupportGuess:
    """Is this a support question (orders, policies, a person), and about what?

    ``product_words`` are the stems of the shop's product texts: a support word the
    catalog itself uses ("phone" in a phone-case shop, "support" in "arch support")
    counts only as a weak hint. ``known_words`` (catalog and FAQ) are never read as
    typos of support words ("ball" is not "call")."""
    lowered = text.lower()
    found: dict[str, bool] = {}

    def note(topic: str, strong: bool) -> None:
        found[topic] = found.get(topic, False) or strong

    if has_cjk(lowered):
        for topic in TOPIC_PRIORITY:
            if any(word in lowered for word in SUPPORT_TOPICS[topic][2]):
                note(topic, True)
    lexicon, known = _lexicon_words()
    for raw in latin_words(_split_runs(lowered)):
        if raw.isdigit():
            continue
        term = stem(raw)
        hit = lexicon.get(raw) or lexicon.get(term)
        if hit is None and len(raw) >= 4 and term not in known and term not in known_words:
            hit = _typo_match(raw, lexicon)
        if hit is not None:
            note(hit[0], hit[1] and term not in product_words)
    for phrase, topic in _SUPPORT_PHRASES_EN:
        if phrase in lowered:
            note(topic, topic != "shipping" or phrase.endswith(" to"))
    if _TO_A_PLACE.search(text):
        note("shipping", True)
    if not found:
        return SupportGuess()
    latin = re.search(r"[a-z]{2,}", lowered) is not None
    if latin:
        model_topic, probability = classify_support(lowered)
        if model_topic == "none":
            # "None of these": a product question that happens to hold a support word
            # ("a lamp with a long battery life"). Only a word that a support question
            # alone uses still makes it one.
            found = {topic: True for topic, strong in found.items() if strong}
            if not found:
                return SupportGuess()
        # Naive Bayes is sure of itself on anything; it picks the topic, the words say
        # how sure we are that this is a support question at all.
        elif model_topic in found:
            return SupportGuess(model_topic, found[model_topic], probability)
        # A person is called in only when the shopper asks for one or complains in their
        # own words, never on the model's say-so alone.
        elif probability >= 0.9 and not any(found.values()) and model_topic not in ("handoff", "complaint"):
            return SupportGuess(model_topic, False, probability)
    for strong_only in (True, False):
        for topic in TOPIC_PRIORITY:
            if topic in found and (found[topic] or not strong_only):
                return SupportGuess(topic, found[topic], 0.0)
    return SupportGuess()


def _words_and_runs(text: str) -> tuple[list[str], list[str]]:
    return latin_words(text.lower()), cjk_runs(text)


def is_only_symbols(text: str) -> bool:
    """Emoji, punctuation or nothing: no word to answer."""
    return bool(_EMOJI_OR_SYMBOL.match(text))


def _only(words: list[str], runs: list[str], en: frozenset[str], zh: tuple[str, ...]) -> bool:
    """Every word is one of ``en``/``zh`` or polite filler, and at least one of them is."""
    hit = False
    for w in words:
        if w in en or stem(w) in en:
            hit = True
        elif w not in POLITE_FILLER_EN:
            return False
    for run in runs:
        rest = run
        for phrase in sorted(zh, key=len, reverse=True):
            if phrase in rest:
                hit = True
                rest = rest.replace(phrase, "")
        rest = re.sub("[啊呀哦哈嘛吧呢了的你您们好啦哟嗯在吗]", "", rest)
        if rest:
            return False
    return hit


# "Hi, I'm Jo", "hello, Maria here", "你好，我是小林": who is greeting is no question.
_INTRODUCTION = re.compile(
    r"\b(?:i'?m|i am|my name is|my name's|this is)\s+[a-z]+\b|\b[a-z]+\s+here\b"
    r"|我(?:是|叫)[\u4e00-\u9fff]{1,3}?(?=[，,。.!！\s]|$)",
    re.I,
)


def is_greeting(text: str) -> bool:
    words, runs = _words_and_runs(_INTRODUCTION.sub(" ", text))
    return _only(words, runs, GREETINGS_EN, GREETINGS_ZH)


def is_smalltalk(text: str) -> bool:
    words, runs = _words_and_runs(text)
    return _only(words, runs, SMALLTALK_EN | GREETINGS_EN, SMALLTALK_ZH + GREETINGS_ZH) and not is_greeting(
        text
    )


def aspects(text: str) -> tuple[str, ...]:
    """Which facts about a product the shopper asks for (price, stock, size…)."""
    lowered = text.lower()
    stems = {stem(w) for w in latin_words(lowered)} | set(latin_words(lowered))
    found = []
    for aspect, (en, zh) in ASPECTS.items():
        if any(stem(w) in stems or w in stems for w in en) or any(w in lowered for w in zh):
            found.append(aspect)
    if re.search(r"\bhow much\b|\bwhat(?:'s| is) the price\b", lowered) and "price" not in found:
        found.insert(0, "price")
    if re.search(r"\bin[- ]stock\b|\bsold out\b", lowered) and "stock" not in found:
        found.append("stock")
    return tuple(found)


def refers_back(text: str) -> int | None:
    """The position of the earlier product the shopper points at ("it" -> 0, "the second
    one" -> 1), or ``None`` when they do not point back."""
    lowered = text.lower()
    if re.search(r"\b(?:second|2nd)\b|第二", lowered):
        return 1
    if re.search(r"\b(?:third|3rd)\b|第三", lowered):
        return 2
    words = set(latin_words(lowered))
    if words & EN_REFERENCES or any(ref in lowered for ref in ZH_REFERENCES):
        return 0
    return None


def has_shopping_cue(text: str) -> bool:
    lowered = text.lower()
    cues = set(latin_words(lowered)) & EN_SHOPPING_CUES
    if cues == {"have"} and re.search(r"\b(?:you|u|ya|y'all)\b", lowered) is None:
        # "what nib does the pen have?" asks about a product; "do you have…?" shops.
        cues = set()
    return bool(cues) or any(c in lowered for c in ZH_SHOPPING_CUES)


def is_off_topic(text: str) -> bool:
    lowered = text.lower()
    stems = {stem(w) for w in latin_words(lowered)}
    return bool(stems & _OFF_TOPIC_EN) or any(w in lowered for w in _OFF_TOPIC_ZH)


def order_number(text: str) -> str | None:
    """An order number written in the message ("#1042", "NW-10023", "NW10023", "NW 10023",
    "order 00123842"). Spaced forms come back with a dash ("NW-10023")."""
    spaced = _SPACED_ORDER_NUMBER.search(text) or _ORDER_WORD_NUMBER.search(text)
    if spaced:
        return f"{spaced.group(1)}-{spaced.group(2)}"
    for match in _ORDER_NUMBER.finditer(text):
        token = match.group(1)
        tail = text[match.end() : match.end() + 3]
        if re.match(r"\s*(?:元|块|刀|dollars?|usd|bucks?)", tail, re.I):
            continue  # "100元" is a price
        if sum(ch.isdigit() for ch in token) >= 3:
            return token
    return None


def has_lettered_order_number(text: str) -> bool:
    """The message holds a number in a shop's order form: letters then digits ("NW-10031",
    "#BL20417"), which a bare figure ("20000毫安") is not."""
    number = order_number(text)
    return bool(number and re.match(r"[A-Za-z]{1,6}-?\d{3,}", number) and not re.match(r"^\d", number))


_EN_QUESTION = re.compile(
    r"\?\s*$|^(?:is|are|does|do|did|can|could|will|would|what|what's|how|which|has|have)\b", re.I
)
_ZH_QUESTION = re.compile(r"[吗么？?]\s*$|多少|几|多久|多大|多重|多长|什么|怎么|哪|是否|能不能")


def is_question(text: str) -> bool:
    """Worded as a question ("is it…?", "how many…", "…吗", "几片")."""
    return bool(_EN_QUESTION.search(text.strip()) or _ZH_QUESTION.search(text))


def plural_reference(text: str) -> bool:
    """The shopper points back at several earlier products ("how much are they?")."""
    lowered = text.lower()
    return bool(set(latin_words(lowered)) & EN_PLURAL_REFERENCES) or any(
        ref in lowered for ref in ZH_PLURAL_REFERENCES
    )


def fact_aspects(text: str) -> tuple[str, ...]:
    """Facts about one product the shopper asks for beyond price and stock: weight,
    battery, capacity, care, set-up, dimensions (:data:`.lexicon.FACT_ASPECTS`)."""
    lowered = text.lower()
    words = latin_words(lowered)
    stems = {stem(w) for w in words} | set(words)
    found = []
    for aspect, (en, zh, _) in FACT_ASPECTS.items():
        if any(w in stems or stem(w) in stems for w in en) or any(w in lowered for w in zh):
            found.append(aspect)
    # "the last one" is not a battery question; "how long does it last" is.
    only_last = stems & {"battery", "batteri", "charge", "charg", "rechargeable", "runtime"} == set()
    if (
        "battery" in found
        and only_last
        and not re.search(r"\bhow long\b|\blasts\b|[续航电池久]|公里|多远", lowered)
    ):
        found.remove("battery")
    return tuple(found)


@dataclass(frozen=True)
class Exclusion:
    """What the shopper does not want: colours ("not black", "不要红色的") and other
    words ("without a hood"), with the message minus those phrases (to search)."""

    colours: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()
    rest: str = ""


_COLOUR_WORDS = {word: name for name, words in COLOURS.items() for word in words}
_EN_NEGATION = re.compile(
    r"\b(?:not|isn'?t|aren'?t|no|without|except|minus|but not|other than|anything but|nothing)"
    r"\s+(?:in\s+|a\s+|an\s+|the\s+|any\s+|with\s+a\s+|with\s+)?([a-z]+(?:\s+or\s+[a-z]+)?)",
    re.I,
)
_ZH_NEGATION = re.compile(
    r"(?:不要|不想要|不是|除了|别|不带)([\u4e00-\u9fff]{1,4}?)(?:色的|色|的|之外|以外|款|吗|$)"
)
# "不要太贵的", "不要那么大的": a degree, not a thing to leave out.
_ZH_NOT_A_THING = ("太", "很", "那么", "这么", "特别", "非常", "多", "了")
_EN_NOT_EXCLUDABLE = frozenset(
    {"more", "less", "than", "longer", "too", "sure", "problem", "worries", "need"}
)


def exclusions(text: str) -> Exclusion:
    colours: set[str] = set()
    words: list[str] = []
    rest = text
    for match in _EN_NEGATION.finditer(text):
        for word in re.split(r"\s+or\s+", match.group(1).lower()):
            if word in _EN_NOT_EXCLUDABLE or (word in EN_STOPWORDS and word not in _COLOUR_WORDS):
                continue
            if word in _COLOUR_WORDS:
                colours.add(_COLOUR_WORDS[word])
            else:
                words.append(stem(word))
            rest = rest.replace(match.group(0), " ")
    for match in _ZH_NEGATION.finditer(text):
        phrase = match.group(1)
        named = {name for word, name in _COLOUR_WORDS.items() if not word.isascii() and word in phrase}
        thing = re.sub("^[带有含]", "", phrase)
        if named:
            colours |= named
            rest = rest.replace(match.group(0), " ")
        elif len(thing) >= 2 and not thing.startswith(_ZH_NOT_A_THING):
            # "不要带兜帽的外套": a feature ruled out, as "without a hood".
            words.append(thing)
            rest = rest.replace(match.group(0), " ")
    return Exclusion(frozenset(colours), tuple(words), rest)
