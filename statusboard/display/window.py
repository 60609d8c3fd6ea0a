"""A desktop window that looks like the HAT: round LEDs on a dark board, rotated and dimmed the same way.

It reuses the real geometry (layout, rotation, brightness) and replaces only the output step. Tk runs in a
thread of its own; show() hands frames over through a queue. Hovering a LED tells its target, state, detail
and the age of its observation; closing the window stops the board. The window is never wider than its
screen: the legend's details end with an ellipsis where they would not fit (the full text on hover), and
the window can be resized.
"""

from __future__ import annotations

import gc
import os
import queue
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from statusboard.display import light
from statusboard.display.base import Frame, LegendEntry
from statusboard.display.geometry import physical_shape, to_physical
from statusboard.errors import DisplayError
from statusboard.vocabulary import RGB

T = TypeVar("T")
CELL = 44          # pixels per LED
LED = 30           # LED diameter
BOARD = "#161616"
OFF_LED = "#202020"   # an unlit LED: darker than any lit one, dim grey (unknown) included
POLL_MS = 40
MARGIN = 48        # pixels kept free beside the window on the screen
MIN_DETAIL = 12    # characters of detail shown however narrow the window


def led_colour(rgb: RGB, brightness: float) -> RGB:
    """The colour a LED is drawn in: what the HAT shows at this brightness, as a screen shows it."""
    return light.seen(rgb, brightness)


def hex_colour(rgb: RGB) -> str:
    """#rrggbb."""
    return "#%02x%02x%02x" % rgb


def fit(text: str, chars: int) -> str:
    """Text cut to at most `chars` characters, ending with an ellipsis when cut."""
    return text if len(text) <= chars else text[:max(chars - 1, 0)] + "…"


class WindowDisplay:
    """The board in a Tk window; raises DisplayError with one clear line where there is no screen."""

    def __init__(self, settings: Any, title: str = "statusboard", **_: Any) -> None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            raise DisplayError("no screen here ($DISPLAY is not set): use --display terminal")
        self.settings = settings
        self.shape: Tuple[int, int] = settings.shape
        self.title = title
        self.on_close: Optional[Callable[[], None]] = None
        self.shown: Optional[Frame] = None
        # Only the Tk thread touches Tk: frames, calls and the close request reach it through this queue.
        self._inbox: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._ready = threading.Event()
        self._error: Optional[str] = None
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._tk_main, name="window", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error:
            raise DisplayError(self._error)

    # --- the Tk thread -------------------------------------------------------------------------
    def _tk_main(self) -> None:
        try:
            import tkinter
            import tkinter.font
        except ImportError:
            self._error = "Tk is not installed (apt install python3-tk): use --display terminal"
            self._ready.set()
            return
        try:
            root = tkinter.Tk()
        except tkinter.TclError as exc:
            self._error = f"cannot open a window ({exc}): use --display terminal"
            self._ready.set()
            return
        root.title(self.title)
        root.configure(background="#0c0c0c")
        root.resizable(True, True)
        self.screen_width = root.winfo_screenwidth()
        root.maxsize(self.screen_width, root.winfo_screenheight())
        root.columnconfigure(1, weight=1)
        width, height = physical_shape(self.settings.layout)
        canvas = tkinter.Canvas(root, width=width * CELL + 24, height=height * CELL + 24, background="#0c0c0c",
                                highlightthickness=0)
        canvas.grid(row=0, column=0, padx=8, pady=8, sticky="n")
        canvas.create_rectangle(4, 4, width * CELL + 20, height * CELL + 20, fill=BOARD, outline="#303030", width=2)
        self.leds: Dict[Tuple[int, int], int] = {}
        for py in range(height):
            for px in range(width):
                x0, y0 = 12 + px * CELL + (CELL - LED) // 2, 12 + py * CELL + (CELL - LED) // 2
                self.leds[(px, py)] = canvas.create_oval(x0, y0, x0 + LED, y0 + LED, fill=OFF_LED, outline="#000000")
        legend = tkinter.Label(root, justify="left", anchor="nw", font="TkFixedFont", foreground="#dddddd",
                               background="#0c0c0c")
        legend.grid(row=0, column=1, padx=8, pady=8, sticky="nw")
        tip = tkinter.Label(root, anchor="w", justify="left", font=("TkDefaultFont", 10), foreground="#ffffff",
                            background="#0c0c0c", wraplength=self.screen_width - MARGIN)
        tip.grid(row=1, column=0, columnspan=2, padx=8, pady=(0, 8), sticky="we")
        self.root, self.canvas, self.legend, self.tip = root, canvas, legend, tip
        self.char_width = tkinter.font.nametofont("TkFixedFont").measure("0") or 8
        self.board_width = width * CELL + 24 + 16
        self._entries: Dict[Tuple[int, int], LegendEntry] = {}
        self._user_width: Optional[int] = None   # the width the person gave the window, once they resize it
        canvas.bind("<Motion>", self._hover)
        root.bind("<Configure>", self._resized)
        root.protocol("WM_DELETE_WINDOW", self._close_clicked)
        self._ready.set()
        root.after(POLL_MS, self._poll)
        root.mainloop()
        # Tk's objects must die in the thread that made them, or Tcl complains (or aborts) at exit.
        self.root = self.canvas = self.legend = self.tip = None  # type: ignore[assignment]
        del root, canvas, legend, tip
        gc.collect()
        self._closed.set()

    def _poll(self) -> None:
        frame = None
        try:
            while True:
                got = self._inbox.get_nowait()
                if got is None:
                    self.root.destroy()
                    return
                if isinstance(got, Frame):
                    frame = got
                else:
                    got()
        except queue.Empty:
            pass
        if frame is not None:
            self._draw(frame)
        self.root.after(POLL_MS, self._poll)

    def _draw(self, frame: Frame) -> None:
        layout, rotation = self.settings.layout, self.settings.rotation
        for (px, py), item in self.leds.items():
            self.canvas.itemconfigure(item, fill=OFF_LED)
        for y, row in enumerate(frame.pixels):
            for x, rgb in enumerate(row):
                shown = led_colour(rgb, frame.brightness)
                if shown != (0, 0, 0):
                    self.canvas.itemconfigure(self.leds[to_physical(x, y, layout, rotation)], fill=hex_colour(shown))
        self._entries = {to_physical(e.x, e.y, layout, rotation): e for e in frame.legend}
        self.shown = frame
        self._write_legend()

    def _write_legend(self) -> None:
        """The legend, each detail cut to what fits beside the board in the window (or the screen) with an
        ellipsis; hovering its LED shows it whole."""
        frame = self.shown
        if frame is None:
            return
        room = (self._user_width or self.screen_width - MARGIN) - self.board_width - 16
        chars = max(room // self.char_width, 0)
        lines = []
        for e in frame.legend:
            head = f"[{e.x},{e.y}] {e.name:<14} {e.state:<12} "
            lines.append(head + fit(e.detail, max(chars - len(head), MIN_DETAIL)))
        self.legend.configure(text="\n".join(lines))

    def _resized(self, event: Any) -> None:
        """A window given a width other than the one it asks for (a person resized it): fit the legend to it."""
        if event.widget is not self.root:
            return
        chosen = event.width if event.width != self.root.winfo_reqwidth() else None
        if chosen == self._user_width:
            return
        self._user_width = chosen
        self.tip.configure(wraplength=max((chosen or self.screen_width - MARGIN) - 16, 100))
        self._write_legend()

    def _hover(self, event: Any) -> None:
        px, py = (event.x - 12) // CELL, (event.y - 12) // CELL
        entry = self._entries.get((px, py))
        if entry is None:
            self.tip.configure(text="")
            return
        age = "never checked"
        if entry.checked_at is not None:
            age = f"checked {max(0.0, time.time() - entry.checked_at):.0f} s ago"
        self.tip.configure(text=f"{entry.name}: {entry.state}: {entry.detail} ({age})")   # the whole detail

    def _close_clicked(self) -> None:
        if self.on_close is not None:
            self.on_close()
        else:
            self.root.destroy()

    # --- the display interface (any thread) ---------------------------------------------------------
    def show(self, frame: Frame) -> None:
        """Hand the frame to the window."""
        if not self._closed.is_set():
            self._inbox.put(frame)

    def listen(self, on_close: Callable[[], None], on_button: Callable[[str], None]) -> None:
        """Closing the window stops the board (it has no buttons)."""
        self.on_close = on_close

    def close(self) -> None:
        """Close the window (the LEDs of a window need no turning off)."""
        if not self._closed.is_set():
            self._inbox.put(None)
            self._closed.wait(5)

    def in_window(self, call: Callable[[], T]) -> T:
        """Run call in the window's own thread (the only one that may touch Tk) and return its result."""
        box: List[T] = []
        done = threading.Event()
        self._inbox.put(lambda: (box.append(call()), done.set()))
        if not done.wait(5):
            raise DisplayError("the window did not answer")
        return box[0]

    def led_colours(self) -> List[List[str]]:
        """The fill of every LED as the canvas shows it now, [py][px]."""
        width, height = physical_shape(self.settings.layout)

        def read() -> List[List[str]]:
            result = [[""] * width for _ in range(height)]
            for (px, py), item in self.leds.items():
                result[py][px] = self.canvas.itemcget(item, "fill")
            return result
        return self.in_window(read)
