import type { Io } from "./io.js";

// A watcher draws whenever something changes. A reader slower than the changes (`fleet ps
// -w -o json | slow-consumer`, a stopped pager, ssh over a slow link) would make Node
// queue every frame in memory, without bound, and hand the reader a backlog of the past.
// While stdout is behind, only the newest frame is kept, and drawn once the reader has
// caught up: at most one frame waits in memory, and what the reader sees next is now.

/** `draw`, holding back all but the newest frame while stdout's reader is behind. */
export function latestFrameWhileBehind<A extends unknown[]>(
  draw: (...frame: A) => void | Promise<void>,
  io: Pick<Io, "stdoutBlocked" | "onStdoutDrain">,
): { draw: (...frame: A) => Promise<void>; stop: () => void } {
  let newest: A | null = null;
  let stopWaiting: (() => void) | null = null;
  const drawNewest = async (): Promise<void> => {
    stopWaiting = null;
    const frame = newest;
    newest = null;
    if (frame !== null) await held(...frame);
  };
  const held = async (...frame: A): Promise<void> => {
    if (io.stdoutBlocked?.() === true && io.onStdoutDrain !== undefined) {
      newest = frame;
      stopWaiting ??= io.onStdoutDrain(() => void drawNewest());
      return;
    }
    await draw(...frame);
  };
  return {
    draw: held,
    stop: () => {
      stopWaiting?.();
      stopWaiting = null;
      newest = null;
    },
  };
}
