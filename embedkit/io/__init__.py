"""Files in and out: reading text (:mod:`.reading`), writing atomically (:mod:`.atomic`), model folders and
their JSON (:mod:`.model_files`). Every name is importable from ``embedkit.io`` itself."""

from embedkit.io.atomic import atomic_dir, atomic_write, remove_stale_parts
from embedkit.io.model_files import (
    check_format,
    check_model_dir,
    check_output_folder,
    dump_json,
    folder_kind,
    is_model_dir,
    missing_header,
    read_json,
    replace_model_dir,
    write_json,
)
from embedkit.io.reading import (
    DEFAULT_GLOB,
    MAX_OPTION_FILE,
    PIECE_CHARS,
    STDIN,
    TEXT_SUFFIXES,
    check_text,
    iter_documents,
    iter_line_pieces,
    iter_lines,
    iter_token_lists,
    iter_token_pieces,
    open_binary,
    read_option_file,
    require_file,
    resolve_data_path,
    resolve_inputs,
    suggest_encoding,
)

__all__ = [
    "DEFAULT_GLOB", "MAX_OPTION_FILE", "PIECE_CHARS", "STDIN", "TEXT_SUFFIXES", "atomic_dir", "atomic_write",
    "check_format", "check_model_dir", "check_output_folder", "check_text", "dump_json", "folder_kind",
    "is_model_dir", "iter_documents", "iter_line_pieces", "iter_lines", "iter_token_lists", "iter_token_pieces",
    "missing_header", "open_binary", "read_json", "read_option_file", "remove_stale_parts", "replace_model_dir",
    "require_file", "resolve_data_path", "resolve_inputs", "suggest_encoding", "write_json",
]
