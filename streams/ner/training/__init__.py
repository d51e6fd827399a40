"""Training the NER models (``make train-ner``): never imported by the worker.

- :mod:`.train`: one language's model from ``../shared/train``, exported to the runtime format;
- :mod:`.data`: where each language's training and dev files are;
- :mod:`.conll`: reading CoNLL files and scoring spans;
- :mod:`.lexicon`: the word lists and tables a model ships with, built from packaged data.
"""
