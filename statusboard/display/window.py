"""A desktop window that looks like the HAT: round LEDs on a dark board, rotated and dimmed the same way.

It reuses the real geometry (layout, rotation, brightness) and replaces only the output step. Tk runs in a
thread of its own; show() hands frames over through a queue. Hovering a LED tells its target, state, detail
and the age of its observation; closing the window stops the board. Each lit LED carries its state's letter
(L turns them off and on), with a key to the letters under the board. The window is never larger than its
screen: the LEDs shrink to fit its height, the legend scrolls (its header says how many rows it holds), its
details end with an ellipsis where they would not fit (the full text on hover), and the window can be resized.
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
from statusboard.display.board import Driver
from statusboard.display.geometry import physical_shape, to_physical
from statusboard.display.legendtext import columns, fit, key_of, line
from statusboard.errors import DisplayError
from statusboard.vocabulary import RGB, STALE

T = TypeVar("T")
__all__ = ["WindowDisplay", "fit", "led_colour", "hex_colour", "shown_colour"]
CELL = 44          # pixels per LED at most
LED = 0.68         # LED diameter, a share of its cell
BOARD = "#161616"
OFF_LED = "#101010"   # an unlit LED: darker than the board, in a ring, so a lit one never looks like it
RING = "#3a3a3a"
STALE_FILL = (78, 78, 78)   # a stale LED: grey, ringed in its last colour (never that colour, never unlit)
LIT_FLOOR = 0.07   # relative luminance of the dimmest lit LED: over 2:1 against an unlit one (0.005)
LIT_KNEE = 0.15    # lit LEDs dimmer than this are lifted toward it (keeping their order), brighter ones not
POLL_MS = 40
MARGIN = 48        # pixels kept free beside the window on the screen
CHROME = 150       # pixels of the screen's height for the title bar, the key, the hover line and padding
LEGEND = 360       # pixels of the screen's width kept for the legend beside the board
LETTER_LED = 14    # the smallest LED (pixels) a letter fits in


def led_colour(rgb: RGB, brightness: float) -> RGB:
    """The colour a LED is drawn in: what the HAT shows at this brightness, as a screen shows it."""
    return light.seen(rgb, brightness)


def shown_colour(rgb: RGB, brightness: float) -> RGB:
    """The fill of a lit LED on the screen: what the HAT shows, dim ones lifted so no lit LED reads as unlit."""
    return light.lifted(led_colour(rgb, brightness), LIT_FLOOR, LIT_KNEE)


def hex_colour(rgb: RGB) -> str:
    """#rrggbb."""
    return "#%02x%02x%02x" % rgb


def ink(fill: RGB) -> str:
    """Black or white letters, whichever stands out more on this fill."""
    return "#000000" if light.contrast(fill, (0, 0, 0)) >= light.contrast(fill, (255, 255, 255)) else "#ffffff"


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
        self.cell = cell = max(16, min(CELL, (root.winfo_screenheight() - CHROME) // height,
                                       (self.screen_width - MARGIN - LEGEND) // width))
        led = round(cell * LED)
        canvas = tkinter.Canvas(root, width=width * cell + 24, height=height * cell + 24, background="#0c0c0c",
                                highlightthickness=0)
        canvas.grid(row=0, column=0, padx=8, pady=8, sticky="n")
        canvas.create_rectangle(4, 4, width * cell + 20, height * cell + 20, fill=BOARD, outline="#303030", width=2)
        self.leds: Dict[Tuple[int, int], int] = {}
        self.letters: Dict[Tuple[int, int], int] = {}
        self.show_letters = led >= LETTER_LED
        font = ("TkDefaultFont", -max(8, round(led * 0.5)), "bold")
        for py in range(height):
            for px in range(width):
                x0, y0 = 12 + px * cell + (cell - led) // 2, 12 + py * cell + (cell - led) // 2
                self.leds[(px, py)] = canvas.create_oval(x0, y0, x0 + led, y0 + led, fill=OFF_LED, outline=RING)
                self.letters[(px, py)] = canvas.create_text(x0 + led / 2, y0 + led / 2, text="", font=font)
        side = tkinter.Frame(root, background="#0c0c0c")
        side.grid(row=0, column=1, padx=8, pady=8, sticky="nw")
        header = tkinter.Label(side, anchor="w", font="TkFixedFont", foreground="#bbbbbb", background="#0c0c0c")
        header.grid(row=0, column=0, columnspan=2, sticky="w")
        line_px = tkinter.font.nametofont("TkFixedFont").metrics("linespace") or 15
        rows = max(3, (height * cell + 24) // line_px - 2)
        legend = tkinter.Text(side, font="TkFixedFont", foreground="#dddddd", background="#0c0c0c", wrap="none",
                              height=rows, width=40, borderwidth=0, highlightthickness=0)
        legend.grid(row=1, column=0, sticky="nw")
        scroll = tkinter.Scrollbar(side, orient="vertical", command=legend.yview)
        legend.configure(yscrollcommand=scroll.set, state="disabled")
        self.rows, self.scroll = rows, scroll
        key = tkinter.Label(root, anchor="w", justify="left", font=("TkDefaultFont", 10), foreground="#dddddd",
                            background="#0c0c0c", wraplength=self.screen_width - MARGIN)
        key.grid(row=1, column=0, columnspan=2, padx=8, sticky="we")
        tip = tkinter.Label(root, anchor="w", justify="left", font=("TkDefaultFont", 10), foreground="#ffffff",
                            background="#0c0c0c", wraplength=self.screen_width - MARGIN)
        tip.grid(row=2, column=0, columnspan=2, padx=8, pady=(0, 8), sticky="we")
        self.root, self.canvas, self.legend, self.tip, self.key, self.header = root, canvas, legend, tip, key, header
        self.char_width = tkinter.font.nametofont("TkFixedFont").measure("0") or 8
        self.board_width = width * cell + 24 + 16
        self._entries: Dict[Tuple[int, int], LegendEntry] = {}
        self._widths = (0, 0)
        self._user_width: Optional[int] = None   # the width the person gave the window, once they resize it
        root.bind("<KeyPress-l>", lambda _: self._toggle_letters())
        root.bind("<KeyPress-L>", lambda _: self._toggle_letters())
        canvas.bind("<Motion>", self._hover)
        root.bind("<Configure>", self._resized)
        root.protocol("WM_DELETE_WINDOW", self._close_clicked)
        self._ready.set()
        root.after(POLL_MS, self._poll)
        root.mainloop()
        # Tk's objects must die in the thread that made them, or Tcl complains (or aborts) at exit.
        self.root = self.canvas = self.legend = self.tip = self.key = self.header = None  # type: ignore[assignment]
        self.scroll = None
        del root, canvas, legend, tip, key, header, scroll, side
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
        for item in self.leds.values():
            self.canvas.itemconfigure(item, fill=OFF_LED, outline=RING, width=1)
        for item in self.letters.values():
            self.canvas.itemconfigure(item, text="")
        at = {(e.x, e.y): e for e in frame.legend}
        for y, row in enumerate(frame.pixels):
            for x, rgb in enumerate(row):
                shown = shown_colour(rgb, frame.brightness)
                place = to_physical(x, y, layout, rotation)
                if shown != (0, 0, 0) and (x, y) in at and at[(x, y)].state == STALE:
                    self.canvas.itemconfigure(self.leds[place], fill=hex_colour(STALE_FILL), outline=hex_colour(shown),
                                              width=3)
                    shown = STALE_FILL
                elif shown != (0, 0, 0):
                    self.canvas.itemconfigure(self.leds[place], fill=hex_colour(shown))
                if (x, y) in at and self.show_letters:
                    back = shown if shown != (0, 0, 0) else (16, 16, 16)
                    self.canvas.itemconfigure(self.letters[place], text=at[(x, y)].letter, fill=ink(back))
        self._entries = {to_physical(e.x, e.y, layout, rotation): e for e in frame.legend}
        self.shown = frame
        self._write_legend()

    def _toggle_letters(self) -> None:
        """L: letters on the LEDs off, or on again."""
        self.show_letters = not self.show_letters
        if self.shown is not None:
            self._draw(self.shown)

    def _write_legend(self) -> None:
        """The legend, scrolling, each detail cut to what fits beside the board in the window (or the screen)
        with an ellipsis; hovering its LED shows it whole. Its header says how many rows it holds."""
        frame = self.shown
        if frame is None:
            return
        room = (self._user_width or self.screen_width - MARGIN) - self.board_width - 16 - 24 - 8
        chars = max(room // self.char_width, 20)
        self._widths = columns(frame.legend, self._widths)
        width, height = frame.shape
        place = len(f"[{width - 1},{height - 1}]")
        # Names give way first (cut with an ellipsis) so that the state is always whole, in its own column.
        name_width = max(6, min(self._widths[0], chars - (2 + place + 1 + 1 + self._widths[1])))
        lines = [line(e, (name_width, self._widths[1]), chars, 0, place) for e in frame.legend]
        count = len(lines)
        more = count > self.rows
        self.header.configure(text=f"{count} target{'s' if count != 1 else ''}"
                                   + (f", {self.rows} shown: scroll for the rest" if more else ""))
        top = self.legend.yview()[0]
        self.legend.configure(state="normal", width=min(chars, max((len(t) for t in lines), default=20)))
        self.legend.delete("1.0", "end")
        self.legend.insert("1.0", "\n".join(lines))
        self.legend.configure(state="disabled")
        self.legend.yview_moveto(top)
        if more:
            self.scroll.grid(row=1, column=1, sticky="ns")
        else:
            self.scroll.grid_remove()
        self.key.configure(text="key to the letters:  " + "   ".join(f"{letter} {state}"
                                                                    for letter, state in key_of(frame.legend)))

    def legend_text(self) -> str:
        """The legend as it is written now (any thread)."""
        return self.in_window(lambda: self.legend.get("1.0", "end-1c"))

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
        px, py = (event.x - 12) // self.cell, (event.y - 12) // self.cell
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


DISPLAY = Driver("window", WindowDisplay)   # a preview: it draws any board
