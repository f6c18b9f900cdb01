"""`embedkit preprocess`: text in, one document (or sentence) a line of tokens out."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from embedkit.cli.progress import err_console, rate_progress
from embedkit.config import config_from_dict, load_toml, replace_config
from embedkit.errors import ConfigError
from embedkit.text.config import PreprocessConfig


def preprocess(
    inputs: list[str] = typer.Argument(..., help="Files, folders (searched by --glob), .gz files, or - for stdin."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output file (stdout when omitted or -)."),
    config_file: Path | None = typer.Option(None, "--config", help="TOML file with a \\[preprocess] table."),
    lang: str | None = typer.Option(None, "--lang", help="en, ru, or auto (per token by script)."),
    lemmatize: bool | None = typer.Option(None, "--lemmatize/--no-lemmatize", help="Lemmas (pymorphy3, lemminflect)."),
    lemma_context: bool | None = typer.Option(
        None, "--lemma-context/--no-lemma-context",
        help=f"Russian lemmas of ambiguous words chosen from the words around them "
             f"(default {str(PreprocessConfig.lemma_context).lower()})."),
    pos_tags: bool | None = typer.Option(
        None, "--pos-tags/--no-pos-tags", help="Russian lemmas as lemma_UPOS, RusVectores-style (кошка_NOUN)."),
    stem: bool | None = typer.Option(None, "--stem/--no-stem", help="Snowball stems."),
    stopwords: bool | None = typer.Option(None, "--stopwords/--no-stopwords", help="Drop stop words."),
    stopwords_file: str | None = typer.Option(None, "--stopwords-file", help="Extra stop words, one a line."),
    remove_negation: bool | None = typer.Option(
        None, "--remove-negation/--keep-negation", help="Also drop negations (не, ни, not) as stop words."),
    tokenizer: str | None = typer.Option(None, "--tokenizer", help="regex (default), razdel, or nltk."),
    keep_punct: bool | None = typer.Option(None, "--keep-punct/--drop-punct", help="Keep punctuation tokens."),
    lowercase: bool | None = typer.Option(None, "--lowercase/--keep-case", help="Lower-case the text."),
    yo_to_e: bool | None = typer.Option(None, "--yo/--keep-yo", help="Replace ё with е."),
    mask_urls: bool | None = typer.Option(None, "--mask-urls/--keep-urls", help="URLs become <url>."),
    mask_emails: bool | None = typer.Option(None, "--mask-emails/--keep-emails", help="E-mails become <email>."),
    mask_numbers: bool | None = typer.Option(None, "--mask-numbers/--keep-numbers", help="Numbers become <num>."),
    min_length: int | None = typer.Option(None, "--min-length", help="Drop tokens shorter than this."),
    sentences: bool | None = typer.Option(None, "--sentences/--documents", help="One sentence a line."),
    unit: str | None = typer.Option(None, "--unit", help="Input documents: line (one a line) or file."),
    output_format: str | None = typer.Option(None, "--format", help="text (space-separated) or jsonl."),
    encoding: str | None = typer.Option(None, "--encoding", help="Input encoding, e.g. cp1251."),
    glob: str | None = typer.Option(
        None, "--glob", help="Pattern for files inside folders (default: every file with a text suffix)."),
    workers: int | None = typer.Option(None, "--workers", "-j", help="Worker processes (order is kept)."),
    executor: str = typer.Option("local", "--executor", help="local (processes here) or dask."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (default: a LocalCluster)."),
) -> None:
    """Normalise, tokenise, drop stop words, lemmatise or stem; stream text to a token file."""
    from embedkit.text.pipeline import preprocess_files

    base = PreprocessConfig()
    if config_file is not None:
        base = config_from_dict(PreprocessConfig, load_toml(config_file).get("preprocess", {}), "preprocess")
    config = replace_config(
        base, lang=lang, lemmatize=lemmatize, lemma_context=lemma_context, pos_tags=pos_tags, stem=stem,
        stopwords=stopwords, stopwords_file=stopwords_file,
        remove_negation=remove_negation, tokenizer=tokenizer, keep_punct=keep_punct, lowercase=lowercase,
        yo_to_e=yo_to_e, mask_urls=mask_urls, mask_emails=mask_emails, mask_numbers=mask_numbers,
        min_length=min_length, sentences=sentences, unit=unit, output_format=output_format,
        encoding=encoding, glob=glob, workers=workers,
    )
    if executor not in ("local", "dask"):
        raise ConfigError(f"unknown executor '{executor}' (choose from local, dask)")
    with contextlib.ExitStack() as stack:
        client = None
        if executor == "dask":
            from embedkit.text.dask_executor import dask_client

            client = stack.enter_context(dask_client(scheduler, config.workers))
        advance = stack.enter_context(rate_progress("preprocess"))
        summary = preprocess_files(inputs, output, config, progress=advance, dask_client=client)
    target = "stdout" if output is None or str(output) == "-" else str(output)
    err_console.print(
        f"{summary.documents:,} documents, {summary.tokens:,} tokens, {summary.types:,} types "
        f"in {summary.seconds:.2f}s ({summary.tokens_per_second:,.0f} tokens/s) -> {target}"
    )
