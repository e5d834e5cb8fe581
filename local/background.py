"""The with-statement for anything that runs in the background between start() and stop()."""

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class BackgroundService(ABC):
    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
