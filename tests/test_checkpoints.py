"""Checkpoints: the shipped Shakespeare models (the chapters' 512-unit LSTM and the pages'
256-unit one), save/load round trips, and clear errors."""
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from utils import seed_everything
from utils.checkpoints import checksum as checkpoint_checksum
from utils.checkpoints import load_checkpoint, round_weights, save_checkpoint
from utils.data import TextWindows, Vocab, load_shakespeare, split_contiguous
from utils.models import CharLM
from utils.training import evaluate

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "checkpoints" / "shakespeare_lstm.pt"
VOCAB = Vocab(list("abcdef"))


PAGE_MODEL = ROOT / "checkpoints" / "shakespeare_lstm_256.pt"   # the model the pages run


@pytest.fixture(scope="module", params=[SHIPPED, PAGE_MODEL], ids=lambda p: p.stem)
def shipped(request):
    return load_checkpoint(request.param)


def validation_windows(ckpt):
    """The validation split exactly as scripts/train_shakespeare_checkpoint.py made it."""
    _, val_text = split_contiguous(load_shakespeare(), ckpt.settings["val_fraction"])
    return TextWindows(ckpt.vocab.encode(val_text), ckpt.settings["seq_len"])


# --- the shipped checkpoint -------------------------------------------------------------------------
def test_shipped_checkpoint_is_small_and_documented(shipped):
    assert SHIPPED.stat().st_size < 4_000_000 and PAGE_MODEL.stat().st_size < 1_000_000
    for key in ("cell", "hidden_size", "embedding_dim", "num_layers", "seq_len", "batch_size",
                "steps", "lr", "clip_norm", "val_fraction"):
        assert key in shipped.settings, key
    assert shipped.model.hidden_size == shipped.settings["hidden_size"]
    assert shipped.model.cell_kind == shipped.settings["cell"]
    assert isinstance(shipped.seed, int) and shipped.torch_version
    assert len(shipped.vocab) == shipped.model.vocab_size
    assert 0.5 < shipped.val_loss < 2.0            # nats per character: well below the bigram
    assert not shipped.model.training


def test_shipped_checkpoint_reproduces_its_recorded_validation_slice_loss(shipped):
    windows = validation_windows(shipped)
    measured = evaluate(shipped.model, windows.all_batches(max_windows=shipped.extra["val_slice_windows"]))
    assert measured == pytest.approx(shipped.extra["val_slice_loss"], abs=2e-3)


@pytest.mark.slow
def test_shipped_checkpoint_reproduces_its_recorded_validation_loss(shipped):
    measured = evaluate(shipped.model, validation_windows(shipped).all_batches())
    assert measured == pytest.approx(shipped.val_loss, abs=2e-3)


def test_shipped_checkpoint_samples_shakespeare_like_text(shipped):
    from utils.sampling import sample
    # trained on windows of the text, never on <BOS>: sampled from the prompt alone
    text = sample(shipped.model, shipped.vocab, prompt="ROMEO:\n", bos=False, max_len=300,
                  temperature=0.7, stop_at_eos=False, generator=torch.Generator().manual_seed(0))[0]
    words = text.split()
    assert len(words) > 30
    common = {"the", "and", "i", "to", "of", "my", "you", "a", "that", "is", "in", "not"}
    assert sum(w.lower().strip(",.;:!?") in common for w in words) / len(words) > 0.1


def test_shipped_checkpoint_predicts_better_from_a_line_break_than_from_bos(shipped):
    """The model never saw <BOS> (its windows start anywhere in the text): the first letter of
    a speech is far likelier after a line break, a character every window has seen."""
    import re
    _, val_text = split_contiguous(load_shakespeare(), shipped.settings["val_fraction"])
    ids = torch.tensor(shipped.vocab.encode(val_text))
    firsts = ids[[m.end() for m in re.finditer(r"\n\n", val_text)]]
    with torch.no_grad():
        losses = []
        for start in (shipped.vocab.bos_id, shipped.vocab.stoi["\n"]):
            logits, _ = shipped.model.step(torch.tensor([start]))
            losses.append(float(-torch.log_softmax(logits[0], -1)[firsts].mean()))
    after_bos, after_newline = losses
    assert after_bos > after_newline + 1.0


# --- round trips --------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["scratch", "torch"])
def test_round_trip_float32_is_exact(tmp_path, backend):
    seed_everything(0)
    model = CharLM(len(VOCAB), hidden_size=12, cell="gru", num_layers=2, embedding_dim=5,
                   backend=backend)
    settings = {"steps": 3, "lr": 0.01, "note": "tiny"}
    path = save_checkpoint(tmp_path / "sub" / "m.pt", model, VOCAB, settings, seed=7, val_loss=1.25,
                           extra={"val_slice_loss": 1.5})
    ckpt = load_checkpoint(path)
    assert ckpt.vocab.itos == VOCAB.itos and ckpt.settings == settings
    assert ckpt.seed == 7 and ckpt.val_loss == 1.25 and ckpt.extra == {"val_slice_loss": 1.5}
    assert ckpt.torch_version == str(torch.__version__) and ckpt.stored_dtype == "float32"
    assert ckpt.model.backend == backend and ckpt.model.embedding.embedding_dim == 5
    idx = torch.randint(0, len(VOCAB), (3, 9))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(idx)[0], ckpt.model(idx)[0])


def test_round_trip_float16_matches_rounded_weights(tmp_path):
    seed_everything(1)
    model = CharLM(len(VOCAB), hidden_size=16, cell="lstm", embedding_dim=4, backend="torch")
    path = save_checkpoint(tmp_path / "half.pt", model, VOCAB, {}, seed=0, val_loss=2.0,
                           dtype="float16")
    full = tmp_path / "full.pt"
    save_checkpoint(full, model, VOCAB, {}, seed=0, val_loss=2.0)
    assert path.stat().st_size < full.stat().st_size
    ckpt = load_checkpoint(path)
    assert all(p.dtype == torch.float32 for p in ckpt.model.parameters())
    round_weights(model, "float16")
    idx = torch.randint(0, len(VOCAB), (2, 6))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(idx)[0], ckpt.model(idx)[0])


# --- errors ---------------------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*nope.pt"):
        load_checkpoint(tmp_path / "nope.pt")


def test_corrupt_or_foreign_files(tmp_path):
    model = CharLM(len(VOCAB), hidden_size=4)
    good = save_checkpoint(tmp_path / "good.pt", model, VOCAB, {}, seed=0, val_loss=1.0)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:500])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint at all")
    for path in (truncated, garbage):
        with pytest.raises(ValueError, match="not a readable checkpoint"):
            load_checkpoint(path)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="not a course checkpoint"):
        load_checkpoint(foreign)
    torch.save(model.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(ValueError, match="not a course checkpoint"):
        load_checkpoint(tmp_path / "bare.pt")


def test_loading_never_runs_code(tmp_path):
    """A pickle that would call a function on load is refused (weights_only=True)."""
    class Exploit:
        def __reduce__(self):
            return (print, ("this must never run",))
    path = tmp_path / "exploit.pt"
    with path.open("wb") as fh:
        pickle.dump(Exploit(), fh, protocol=2)
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_damaged_record(tmp_path):
    model = CharLM(len(VOCAB), hidden_size=4)
    path = save_checkpoint(tmp_path / "m.pt", model, VOCAB, {}, seed=0, val_loss=1.0)
    record = torch.load(path, weights_only=True)
    del record["vocab"]
    torch.save(record, path)
    with pytest.raises(ValueError, match="damaged.*vocab"):
        load_checkpoint(path)
    record = torch.load(save_checkpoint(path, model, VOCAB, {}, seed=0, val_loss=1.0), weights_only=True)
    record["config"]["hidden_size"] = 5
    torch.save(record, path)
    with pytest.raises(ValueError, match="do not fit the recorded model shape"):
        load_checkpoint(path)


def test_save_rejects_bad_arguments(tmp_path):
    model = CharLM(len(VOCAB), hidden_size=4)
    with pytest.raises(ValueError, match="predicts 10 tokens but the vocabulary has 7"):
        save_checkpoint(tmp_path / "m.pt", model, Vocab(list("abc")), {}, seed=0, val_loss=1.0)
    with pytest.raises(TypeError, match="model must be a utils.models.CharLM"):
        save_checkpoint(tmp_path / "m.pt", torch.nn.Linear(2, 2), VOCAB, {}, seed=0, val_loss=1.0)
    with pytest.raises(TypeError, match="settings must be a dict"):
        save_checkpoint(tmp_path / "m.pt", model, VOCAB, [("lr", 1)], seed=0, val_loss=1.0)
    with pytest.raises(ValueError, match="val_loss must be a finite number"):
        save_checkpoint(tmp_path / "m.pt", model, VOCAB, {}, seed=0, val_loss=math.nan)
    with pytest.raises(ValueError, match="dtype must be one of"):
        save_checkpoint(tmp_path / "m.pt", model, VOCAB, {}, seed=0, val_loss=1.0, dtype="int8")
    with pytest.raises(TypeError, match="seed must be an integer"):
        save_checkpoint(tmp_path / "m.pt", model, VOCAB, {}, seed="0", val_loss=1.0)


# --- saving refuses what loading would refuse; loading verifies the record -------------------------
@pytest.mark.parametrize("settings, complaint", [
    ({"lr": np.float64(3e-3)}, r"settings\['lr'\].*float64.*\.item\(\)"),
    ({"corpus": Path("data.txt")}, r"settings\['corpus'\].*str\(\.\.\.\)"),
    ({"sizes": [64, np.int64(2)]}, r"settings\['sizes'\]\[1\]"),
    ({1: "a"}, "keys must be strings"),
])
def test_save_refuses_settings_a_checkpoint_cannot_hold(tmp_path, settings, complaint):
    model = CharLM(len(VOCAB), hidden_size=4)
    with pytest.raises(TypeError, match=complaint):
        save_checkpoint(tmp_path / "m.pt", model, VOCAB, settings, seed=0, val_loss=1.0)
    with pytest.raises(TypeError, match="extra"):
        save_checkpoint(tmp_path / "m.pt", model, VOCAB, {}, seed=0, val_loss=1.0, extra=settings
                        if not isinstance(next(iter(settings)), int) else [1])


def test_save_refuses_settings_that_contradict_the_model(tmp_path):
    model = CharLM(len(VOCAB), hidden_size=4, cell="gru")
    with pytest.raises(ValueError, match="hidden_size=8 but the model has 4.*cell='lstm'"):
        save_checkpoint(tmp_path / "m.pt", model, VOCAB, {"hidden_size": 8, "cell": "lstm"},
                        seed=0, val_loss=1.0)


def test_save_refuses_non_finite_weights(tmp_path):
    model = CharLM(len(VOCAB), hidden_size=4)
    with torch.no_grad():
        model.head.weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite weights in \\['head.weight'\\]"):
        save_checkpoint(tmp_path / "m.pt", model, VOCAB, {}, seed=0, val_loss=1.0)


def _tampered(tmp_path, change):
    model = CharLM(len(VOCAB), hidden_size=4)
    path = save_checkpoint(tmp_path / "m.pt", model, VOCAB, {"hidden_size": 4}, seed=0, val_loss=1.0)
    record = torch.load(path, weights_only=True)
    change(record)
    torch.save(record, path)
    return path


@pytest.mark.parametrize("change", [
    lambda r: r["vocab"].reverse(),                                   # a reordered vocabulary
    lambda r: r["state_dict"]["head.bias"].add_(1e-3),               # changed weights
    lambda r: r["state_dict"]["head.bias"].fill_(float("nan")),      # NaN weights
], ids=["reordered vocabulary", "changed weights", "NaN weights"])
def test_load_refuses_a_record_that_does_not_match_its_checksum(tmp_path, change):
    with pytest.raises(ValueError, match="do not match the checksum"):
        load_checkpoint(_tampered(tmp_path, change))


def test_load_refuses_nan_weights_and_contradicting_settings_even_with_a_valid_checksum(tmp_path):
    def nan_weights(r):
        r["state_dict"]["head.bias"].fill_(float("nan"))
        r["checksum"] = checkpoint_checksum(r["state_dict"], r["vocab"])
    with pytest.raises(ValueError, match="NaN or infinite weights"):
        load_checkpoint(_tampered(tmp_path, nan_weights))
    with pytest.raises(ValueError, match="settings contradict the model's shape: hidden_size=9"):
        load_checkpoint(_tampered(tmp_path, lambda r: r["settings"].update(hidden_size=9)))


def test_the_shipped_checkpoint_carries_a_valid_checksum():
    record = torch.load(SHIPPED, weights_only=True)
    assert record["version"] == 2
    assert record["checksum"] == checkpoint_checksum(record["state_dict"], record["vocab"])
