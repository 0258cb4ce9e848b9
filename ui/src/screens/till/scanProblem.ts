// What the till says after a scan it could not use: the code, in the error
// style, with an error tone, and (for whoever may manage the catalog) the
// offer to add it as a product. Its own store, so the scan functions in
// state.ts and the views share it without importing each other.

import { createStore } from "solid-js/store";
import { onSignOut } from "../../session";

interface ScanProblemState {
  /** The code that matched nothing (null: no problem to show). */
  unknownCode: string | null;
  /** The quantity typed before it (`3*`), so the new product goes in with it. */
  quantity: number;
  /** Increments per problem so a repeated code still re-announces. */
  seq: number;
  /** The "Add this product" dialog is open for `unknownCode`. */
  adding: boolean;
}

const initial = (): ScanProblemState => ({ unknownCode: null, quantity: 1, seq: 0, adding: false });
export const [scanProblem, setScanProblem] = createStore<ScanProblemState>(initial());

onSignOut(() => setScanProblem(initial()));

export function showUnknownCode(code: string, quantity: number): void {
  setScanProblem({ unknownCode: code, quantity, seq: scanProblem.seq + 1, adding: false });
  errorTone();
}

export function clearScanProblem(): void {
  if (scanProblem.unknownCode !== null || scanProblem.adding) setScanProblem({ unknownCode: null, quantity: 1, adding: false });
}

let audio: AudioContext | null = null;

/**
 * Two short low beeps: what a cashier hears as "that did not go in" without
 * looking up (no sound file; WebAudio). Silent where there is no audio.
 */
export function errorTone(): void {
  try {
    const Ctor = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
    if (!Ctor) return;
    audio ??= new Ctor();
    const ctx = audio;
    const start = ctx.currentTime;
    for (const offset of [0, 0.18]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = 220;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.12);
    }
  } catch {
    // No sound is still an error shown on screen.
  }
}
