"""Type stubs of the native module (python/src/fwmc_module.cpp). Use the fwmc package's functions instead."""
from typing import Any, Callable, Mapping, Optional, Sequence

__version__: str

def run(config_path: str = "", config_text: str = "", overrides: Sequence[str] = ..., out: str = "",
        force: bool = False, data: Optional[Mapping[str, Any]] = None,
        progress: Optional[Callable[[dict], None]] = None, handle_sigint: bool = False, resume: str = "",
        dry_run: bool = False) -> str: ...
def theory(config_path: str = "", config_text: str = "", overrides: Sequence[str] = ..., out: str = "",
           force: bool = False, data: Optional[Mapping[str, Any]] = None, handle_sigint: bool = False) -> str: ...
def oracle(config_path: str = "", config_text: str = "", overrides: Sequence[str] = ..., out: str = "",
           force: bool = False, data: Optional[Mapping[str, Any]] = None, handle_sigint: bool = False,
           draws: int = 0) -> str: ...
def sweep(config_path: str = "", config_text: str = "", overrides: Sequence[str] = ..., out: str = "",
          force: bool = False, data: Optional[Mapping[str, Any]] = None,
          progress: Optional[Callable[[dict], None]] = None, handle_sigint: bool = False,
          widths: Sequence[int] = ..., repeats: int = 1, pattern: str = "") -> str: ...
def version_text() -> str: ...
def blas_core_correction() -> list[str]: ...
