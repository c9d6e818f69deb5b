"""A tiny random-weights BERT saved as a local model directory, to exercise the transformers path offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

CORPUS = (
    "Das ist großartig, danke für den Artikel. Wann kommt die DATEV-Schnittstelle?",
    "This update broke everything and support never answered. Is there an export?",
    "Die E-Rechnung kommt, XRechnung und ZUGFeRD werden Pflicht. Cloud ERP, Preise, Datenschutz.",
    "Pricing, security, ransomware, backups, APIs, webhooks, AI assistants in finance.",
)


def build_tiny_bert(
    path: Path, labels: Sequence[str], seed: int = 0, hidden: int = 32, layers: int = 2
) -> Path:
    """Train a WordPiece tokenizer on CORPUS and save a BertForSequenceClassification with `labels`."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        list(CORPUS) * 4, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials)
    )
    from tokenizers.processors import TemplateProcessing

    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=128,
    )
    fast.save_pretrained(path)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=128,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    torch.manual_seed(seed)
    BertForSequenceClassification(config).eval().save_pretrained(path)
    return path
