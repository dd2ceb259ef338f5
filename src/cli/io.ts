import Table from 'cli-table3';
import type { Env } from './credentials.js';

/** A stream the CLI writes to; `isTTY` decides whether progress bars draw. */
export interface OutputStream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

/** The process around one CLI run: injected so tests run the CLI in-process. */
export interface CliIo {
  env: Env;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: OutputStream;
  stderr: OutputStream;
}

export type Format = 'text' | 'json';

/** Prints a command's answer: JSON (`--format json`, for scripts) or the text form. */
export class Printer {
  constructor(
    private readonly io: CliIo,
    readonly format: Format,
  ) {}

  /** The command's result: `json` as JSON on stdout, or the text `text()` builds. */
  result(json: unknown, text: () => string): void {
    if (this.format === 'json') this.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    else this.io.stdout.write(ensureNewline(text()));
  }

  /** A remark for people (progress steps, hints): stderr, so stdout stays parseable. */
  note(message: string): void {
    this.io.stderr.write(ensureNewline(message));
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** A plain table (no colours, no borders) in the style of `charmcraft status`. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({
    head,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '',
      right: '', 'right-mid': '', middle: '',
    },
  });
  t.push(...rows.map((row) => row.map(String)));
  // cli-table3 pads the last column too; trailing spaces only get in the way of diffs and greps.
  return t.toString().split('\n').map((line) => line.trimEnd()).join('\n');
}

/** "-" for nothing, so table cells are never empty. */
export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}
