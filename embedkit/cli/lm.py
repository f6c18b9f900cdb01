"""`embedkit lm ...`: train a recurrent language model, score a file, generate, complete, diagnose gradients.

Options default to ``None`` and only override :class:`~embedkit.models.config.LMConfig`,
:class:`~embedkit.training.config.TrainerConfig` (LM defaults: ``embedkit.training.config.LM_TRAINER``) and
:class:`~embedkit.models.config.GenerateConfig`, the one home of each default; the help reads the defaults
from them. Torch is imported inside the commands, so ``embedkit --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from embedkit.cli import text_options as opts
from embedkit.cli.options import ENCODING, THREADS, choice_help, config_table, default_help, switch_help
from embedkit.models.config import CELL_TYPES, INITS, LEVELS, GenerateConfig, LMConfig
from embedkit.text.config import PreprocessConfig
from embedkit.training.config import CLIP_MODES, CLIPPING_GAIN, DEVICES, LM_TRAINER, OPTIMIZERS, DiagnoseConfig

_LM = LMConfig()
_GEN = GenerateConfig()
_DIAG = DiagnoseConfig()

app = typer.Typer(help="Recurrent language models: train, perplexity, generate, complete, diagnose.",
                  no_args_is_help=True)


def _echo(text: str) -> None:
    typer.echo(text)


def _note(message: str) -> None:
    typer.echo(message, err=True)


def _cutoffs(text: str | None) -> tuple[int, ...] | None:
    """``--softmax-cutoffs 1000,4000`` as a tuple; a malformed list is a one-line :class:`ConfigError`."""
    if text is None:
        return None
    from embedkit.errors import ConfigError

    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"--softmax-cutoffs takes comma-separated whole numbers, got '{text}'") from None


@app.command("train", no_args_is_help=True)
@opts.with_text_flags
def train(
    train_file: Path = typer.Argument(..., help=(
        "Token file: one document a line, tokens separated by spaces; or raw text, one document a line, when a "
        "preprocessing flag is given or the --embeddings record their preprocessing.")),
    output: Path = typer.Option(..., "--output", "-o", help="Model folder to write."),
    valid: Path | None = typer.Option(None, "--valid", help=(
        "Validation file, in TRAIN_FILE's form (early stopping, perplexity).")),
    config_file: Path | None = typer.Option(None, "--config", help=(
        "TOML file with an \\[lm] table, as in a pipeline file (flags win over it).")),
    level: str | None = typer.Option(None, "--level", help=choice_help("Units", LEVELS, _LM, "level")),
    subword: str | None = typer.Option(None, "--subword", help="Subword model JSON (for --level subword)."),
    cell: str | None = typer.Option(None, "--cell", help=choice_help("Recurrent cell", CELL_TYPES, _LM, "cell")),
    layers: int | None = typer.Option(None, "--layers", help=default_help("Stacked recurrent layers.", _LM,
                                                                          "layers")),
    hidden: int | None = typer.Option(None, "--hidden", help=default_help("Hidden units per layer.", _LM, "hidden")),
    emb_dim: int | None = typer.Option(None, "--emb-dim", help=default_help(
        "Embedding size; with --embeddings, the vectors' size unless given.", _LM, "emb_dim")),
    dropout: float | None = typer.Option(None, "--dropout", help=default_help(
        "Dropout between layers and on the output.", _LM, "dropout")),
    emb_dropout: float | None = typer.Option(None, "--emb-dropout", help=default_help(
        "Dropout on embeddings.", _LM, "emb_dropout", shown="--dropout")),
    variational: bool | None = typer.Option(None, "--variational/--no-variational", help=switch_help(
        "One mask for all time steps in the embedding and output dropout (between layers torch's fused "
        "module draws a new mask each step; see --recurrent-dropout for the state).",
        _LM, "variational", "--variational", "--no-variational")),
    recurrent_dropout: float | None = typer.Option(None, "--recurrent-dropout", help=default_help(
        "Dropout on h_(t-1) inside W h_(t-1), one mask for all steps (Gal & Ghahramani); 0 = off.", _LM,
        "recurrent_dropout")),
    init: str | None = typer.Option(None, "--init", help=choice_help(
        "Recurrent weights (orthogonal: SVD)", INITS, _LM, "init")),
    forget_bias: float | None = typer.Option(None, "--forget-bias", help=default_help(
        "LSTM forget-gate bias with --init orthogonal.", _LM, "forget_bias")),
    tie: bool | None = typer.Option(None, "--tie/--no-tie", help=switch_help(
        "Tie output and embedding weights.", _LM, "tie_weights", "--tie", "--no-tie")),
    softmax_cutoffs: str | None = typer.Option(None, "--softmax-cutoffs", help=(
        "Adaptive softmax: comma-separated vocabulary ranks where clusters start, e.g. 1000,4000 (default: full "
        "softmax).")),
    embeddings: Path | None = typer.Option(
        None, "--embeddings", help="Word vectors folder to start from; when they record their preprocessing "
                                   "(preprocess.toml) and TRAIN_FILE has no sidecar, the text goes through it "
                                   "here (the preprocessing flags override it)."),
    freeze: bool | None = typer.Option(None, "--freeze/--fine-tune", help=switch_help(
        "Keep given embeddings fixed.", _LM, "freeze_embeddings", "--freeze", "--fine-tune")),
    bptt: int | None = typer.Option(None, "--bptt", help=default_help("Truncated BPTT window.", _LM, "bptt")),
    batch_size: int | None = typer.Option(None, "--batch-size", help=default_help("Parallel streams.", _LM,
                                                                                  "batch_size")),
    min_count: int | None = typer.Option(None, "--min-count", help=default_help("Rarer units become <unk>.", _LM,
                                                                                "min_count")),
    max_vocab: int | None = typer.Option(None, "--max-vocab", help=default_help(
        "At most this many units.", _LM, "max_vocab", shown="no limit")),
    epochs: int | None = typer.Option(None, "--epochs", help=default_help("Training epochs.", LM_TRAINER, "epochs")),
    optimizer: str | None = typer.Option(None, "--optimizer", help=choice_help("Optimizer", OPTIMIZERS, LM_TRAINER,
                                                                                "optimizer")),
    lr: float | None = typer.Option(None, "--lr", help=default_help("Learning rate.", LM_TRAINER, "lr")),
    weight_decay: float | None = typer.Option(None, "--weight-decay", help=default_help(
        "Weight decay.", LM_TRAINER, "weight_decay")),
    clip: float | None = typer.Option(None, "--clip", help=default_help(
        "Gradient clipping threshold; 0 = no clipping.", LM_TRAINER, "clip")),
    clip_mode: str | None = typer.Option(None, "--clip-mode", help=choice_help(
        "Clip by global L2 norm, by value, or not", CLIP_MODES, LM_TRAINER, "clip_mode")),
    patience: int | None = typer.Option(None, "--patience", help=default_help(
        "Epochs without improvement before stopping.", LM_TRAINER, "patience", shown="never stop early")),
    seed: int | None = typer.Option(None, "--seed", help=default_help("Random seed.", LM_TRAINER, "seed")),
    device: str | None = typer.Option(None, "--device", help=choice_help("Device", DEVICES, LM_TRAINER, "device")),
    average: float | None = typer.Option(None, "--average", help=default_help(
        "Validate and keep a moving average of the weights with this decay per step, e.g. 0.999.", LM_TRAINER,
        "average", shown="off")),
    checkpoint_every: int | None = typer.Option(None, "--checkpoint-every", help=default_help(
        "Also checkpoint every N steps.", LM_TRAINER, "checkpoint_every", shown="at epoch ends only")),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUTPUT/checkpoint (an error without one)."),
    sample: str = typer.Option("the", "--sample-prompt", help="Prompt of the sample printed at the end."),
    text_flags: dict[str, Any] | None = None,
    encoding: str = ENCODING,
    threads: int | None = THREADS,
) -> None:
    """Train a language model on a token file or on raw text; print validation perplexity and a sample.

    With a preprocessing flag, or word vectors that record their preprocessing, TRAIN_FILE and ``--valid``
    are raw text that goes through that preprocessing here (the flags over the vectors', or over the token
    file's sidecar); the model folder records it as ``preprocess.toml`` and ``generate``, ``complete`` and
    ``perplexity`` apply it to prompts and files. Without either, TRAIN_FILE is a token file and its
    sidecar, if any, is the record.

    Under ``torchrun --nproc_per_node N -m embedkit lm train ...`` the N processes train data-parallel, each
    on its own slice of the token stream; rank 0 writes the model folder and prints. OUTPUT must be new,
    empty or an embedkit model folder; it is replaced in one step when training ends (on Ctrl-C by the
    run's checkpoint, for ``--resume``). The same data, options, ``--seed`` and ``--threads`` give the same
    weights.
    """
    from embedkit.config import replace_config
    from embedkit.embeddings import Embeddings
    from embedkit.models.threads import set_threads
    from embedkit.run.stage_lm import STAGE_KEYS, read_table
    from embedkit.text.provenance import sidecar_path
    from embedkit.training import distributed
    from embedkit.training.folders import check_training_output, model_folder
    from embedkit.training.lm import prepare, read_token_files, train_language_model

    set_threads(threads)
    check_training_output(output, resume)
    table = config_table(config_file, "lm", STAGE_KEYS, "lm train", old_tables=("trainer",))
    base, base_trainer, _, emb_dim_given = read_table(table)
    vectors = Embeddings.load(embeddings) if embeddings is not None else None
    if vectors is not None and emb_dim is None and not emb_dim_given:
        emb_dim = vectors.dim  # before the config is checked: tied weights compare it with hidden
    config = replace_config(base, level=level, subword_model=subword, cell=cell, layers=layers, hidden=hidden,
                            emb_dim=emb_dim, dropout=dropout, emb_dropout=emb_dropout, variational=variational,
                            recurrent_dropout=recurrent_dropout, init=init, forget_bias=forget_bias,
                            tie_weights=tie, softmax_cutoffs=_cutoffs(softmax_cutoffs), freeze_embeddings=freeze,
                            bptt=bptt, batch_size=batch_size,
                            min_count=min_count, max_vocab=max_vocab)
    trainer = replace_config(base_trainer, epochs=epochs, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
                             clip=None if clip == 0 else clip, clip_mode="none" if clip == 0 else clip_mode,
                             patience=patience, seed=seed, device=device, average=average,
                             checkpoint_every=checkpoint_every)
    text = _text_preprocess(train_file, vectors, text_flags or {})
    data = read_token_files(train_file, valid, config, encoding=encoding, text=text)
    if text is not None and sidecar_path(train_file).is_file():
        _note(f"note: {train_file} is a token file already ({sidecar_path(train_file).name}); "
              "the preprocessing flags run over its tokens again")
    prepared = prepare(data, config, vectors, seed=trainer.seed)
    bundle = prepared.bundle
    try:
        distributed.setup(trainer.device)
        with model_folder(output, resume) as out:
            train_language_model(prepared, trainer, out, resume=resume)
            main = distributed.is_main()
            if main:
                bundle.save(out)
            distributed.barrier()
    finally:
        distributed.cleanup()
    if not main:
        return
    results = bundle.results
    config = bundle.config
    _echo(f"trained {config.cell} x{config.layers} ({config.hidden} units) on {results['train_tokens']:,} tokens, "
          f"vocabulary {results['vocab_size']:,}, {results['epochs']} epochs, {results['seconds']:.1f}s")
    if "valid_perplexity" in results:
        _echo(f"valid perplexity {results['valid_perplexity']:.2f}")
    from embedkit.errors import InputError
    from embedkit.models.generate import generate

    try:
        words = generate(bundle, sample, GenerateConfig(seed=trainer.seed))
        _echo(f"sample: {bundle.units.join(bundle.units.from_text(sample) + words)}")
    except InputError:
        pass
    _echo(f"model written to {output}")


def _text_preprocess(train_file: Path, vectors: Any, flags: dict[str, Any]) -> PreprocessConfig | None:
    """The preprocessing ``lm train`` runs on raw training text, or ``None`` to read a token file as it is.

    The start is what the input records: the training file's sidecar, else the word vectors' own
    ``preprocess.toml``; the flags given go over it. With no flag a token file with a sidecar, or input that
    records nothing, is read as a token file (as before raw-text training).
    """
    from embedkit.text.provenance import read_sidecar, start_preprocess

    sidecar = read_sidecar(train_file)
    recorded = sidecar if sidecar is not None else getattr(vectors, "preprocess", None)
    flagged = any(value is not None for value in flags.values())
    if not flagged and (sidecar is not None or recorded is None):
        return None
    return opts.text_config(start_preprocess(PreprocessConfig(), recorded), flags)


@app.command("perplexity", no_args_is_help=True)
def perplexity(
    model_dir: Path = typer.Argument(..., help="Model folder written by `embedkit lm train`."),
    token_file: Path = typer.Argument(..., help=(
        "File to score, in the training file's form: a token file, or raw text for a model trained on raw text "
        "(it goes through the model's preprocessing).")),
    encoding: str = ENCODING,
    threads: int | None = THREADS,
) -> None:
    """Print the perplexity of a file under the model."""
    from embedkit.models.language_model import LMBundle
    from embedkit.models.threads import set_threads
    from embedkit.training.lm import file_perplexity

    set_threads(threads)
    result = file_perplexity(LMBundle.load(model_dir), token_file, encoding)
    _echo(f"tokens: {result['tokens']:,} incl. <eos>, {result['unknown']:,} unknown; "
          f"{result['nll']:.4f} nats/token")
    _echo(f"perplexity {result['perplexity']:.2f}")


@app.command("generate", no_args_is_help=True)
def generate_cmd(
    model_dir: Path = typer.Argument(..., help="Model folder."),
    prompt: str = typer.Option("", "--prompt", "-p", help="Text to continue (preprocessed like the training data)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help=default_help("Length limit.", _GEN,
                                                                                  "max_tokens")),
    min_tokens: int | None = typer.Option(None, "--min-tokens", help=default_help("No <eos> before this many.", _GEN,
                                                                                  "min_tokens")),
    temperature: float | None = typer.Option(None, "--temperature", help=default_help("0 = greedy.", _GEN,
                                                                                      "temperature")),
    top_k: int | None = typer.Option(None, "--top-k", help=default_help(
        "Sample among the k most likely units.", _GEN, "top_k", shown="all")),
    top_p: float | None = typer.Option(None, "--top-p", help=default_help("Nucleus sampling mass.", _GEN, "top_p")),
    greedy: bool = typer.Option(False, "--greedy", help="Always take the most likely unit."),
    seed: int | None = typer.Option(None, "--seed", help="Seed, for a repeatable sample."),
    samples: int = typer.Option(1, "--samples", "-n", help="How many samples (with --beam: the n best)."),
    beam: int | None = typer.Option(None, "--beam", help="Beam search of this width instead of sampling "
                                                          "(1 = greedy); prints each line's log-probability."),
    threads: int | None = THREADS,
) -> None:
    """Continue a prompt; prints the prompt and its continuation, one sample a line."""
    from embedkit.config import check_positive, replace_config
    from embedkit.models.generate import beam_search, generate
    from embedkit.models.language_model import LMBundle
    from embedkit.models.threads import set_threads

    check_positive("--samples", samples)
    config = replace_config(_GEN, max_tokens=max_tokens, min_tokens=min_tokens,
                            temperature=0.0 if greedy else temperature, top_k=top_k, top_p=top_p, seed=seed,
                            beam=beam)
    set_threads(threads)
    bundle = LMBundle.load(model_dir)
    units = bundle.units.from_text(prompt)
    if config.beam is not None:
        for hypothesis in beam_search(bundle, prompt, config.beam, config.max_tokens, config.min_tokens)[:samples]:
            _echo(f"{hypothesis.log_prob:.3f}\t{bundle.units.join(units + hypothesis.units)}")
        return
    for i in range(samples):
        run = replace_config(config, seed=None if config.seed is None else config.seed + i)
        _echo(bundle.units.join(units + generate(bundle, prompt, run)))


@app.command("complete", no_args_is_help=True)
def complete_cmd(
    model_dir: Path = typer.Argument(..., help="Model folder."),
    prompt: str = typer.Argument(..., help="Text whose next word to predict, or whose last word to finish."),
    k: int = typer.Option(5, "-k", "--top", help="How many candidates."),
    partial: bool | None = typer.Option(
        None, "--partial/--next",
        help="Finish the prompt's last word ('shares of the comp' -> company), or predict the next word. "
             "Default: finish it when the prompt does not end in a space and it is not a whole word."),
    threads: int | None = THREADS,
) -> None:
    """Print the k most likely next units, or completions of a partly typed word, with their probabilities
    (for a partial word, renormalised over the words that start with it)."""
    from embedkit.models.generate import complete
    from embedkit.models.language_model import LMBundle
    from embedkit.models.threads import set_threads

    set_threads(threads)
    for unit, prob in complete(LMBundle.load(model_dir), prompt, k, partial=partial):
        _echo(f"{prob:.4f}\t{unit}")


@app.command("diagnose")
def diagnose(
    output: Path = typer.Option(Path("gradients.png"), "--output", "-o", help="PNG to write."),
    steps: int | None = typer.Option(None, "--steps", help=default_help("Sequence length.", _DIAG, "steps")),
    hidden: int | None = typer.Option(None, "--hidden", help=default_help("Hidden units of each cell.", _DIAG,
                                                                          "hidden")),
    input_size: int | None = typer.Option(None, "--input-size", help=default_help("Input dimension.", _DIAG,
                                                                                  "input_size")),
    cells: str | None = typer.Option(None, "--cells", help=(
        f"Cells to compare, comma-separated: {', '.join(CELL_TYPES)} (default: {','.join(_DIAG.cells)}).")),
    seed: int | None = typer.Option(None, "--seed", help=default_help("Seed of weights and data.", _DIAG, "seed")),
    init: bool | None = typer.Option(None, "--init/--torch-init", help=switch_help(
        "Orthogonal init and forget bias 1.", _DIAG, "init", "--init", "--torch-init")),
    gain: float | None = typer.Option(None, "--gain", help="Recurrent matrices = gain x orthogonal: above 1 the "
                                                           "gradient explodes, below 1 it vanishes."),
    input_scale: float | None = typer.Option(None, "--input-scale", help=default_help(
        "Std of the inputs (small keeps tanh linear).", _DIAG, "input_scale")),
    clip: float | None = typer.Option(None, "--clip", help=default_help(
        f"Threshold of the clipping comparison: the RNN's gradient at --gain (else {CLIPPING_GAIN:g}) clipped by "
        "norm vs by value.", _DIAG, "clip")),
    threads: int | None = THREADS,
) -> None:
    """Norm of dL/dh_k for each step k back from the loss, for RNN, LSTM and GRU (vanishing or, with --gain > 1,
    exploding gradients), and the RNN's exploded gradient clipped by norm and by value. A pipeline's
    \\[diagnose] table takes the same options."""
    from embedkit.config import replace_config
    from embedkit.models.threads import set_threads
    from embedkit.training.diagnostics import diagnose as run_diagnosis
    from embedkit.training.diagnostics import format_clipping, format_table, plot_gradient_norms

    config = replace_config(_DIAG, steps=steps, hidden=hidden, input_size=input_size, seed=seed, init=init,
                            gain=gain, input_scale=input_scale, clip=clip,
                            cells=None if cells is None else tuple(c.strip() for c in cells.split(",")))
    set_threads(threads)
    found = run_diagnosis(config)
    plot_gradient_norms(found.norms, output, found.title)
    _echo(format_table(found.norms))
    _echo(f"\nthe RNN's weight gradient (recurrent gain {config.clipping_gain:g}) clipped by norm keeps its "
          "direction, by value turns it:")
    _echo(format_clipping(found.clipping, config.clip))
    _echo(f"plot written to {output}")
