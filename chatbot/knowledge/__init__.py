"""What the built-in assistant knows and how it reads a shopper's words.

One job per module: ``text`` (normalising and tokenising English and Chinese),
``index`` (BM25 search over a shop's products and FAQ, cached per catalog version),
``prices`` (price limits and "cheapest first"), ``lexicon`` (words that signal colours,
product aspects and support topics), ``intents`` (what the shopper wants),
``phrases`` (reply wording in each language). ``train_intents`` rebuilds the data file
of the support-intent classifier from the Bitext build split.
"""
