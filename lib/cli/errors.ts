/**
 * Errors the `densely` command reports as one line on stderr.
 *
 * A {@link CliError} is an expected failure (bad data, unreadable model, bad option):
 * `main` prints `densely: <message>` and exits with `exitCode` (1 runtime, 2 usage).
 * Anything else that reaches `main` is a bug and is reported as an internal error.
 */

/** Exit status: success. */
export const EXIT_OK = 0;
/** Exit status: the command ran but failed (bad data, unreadable file, training failure). */
export const EXIT_RUNTIME = 1;
/** Exit status: the command line itself is wrong (unknown option, bad option value). */
export const EXIT_USAGE = 2;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_RUNTIME) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A usage error (exit status 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** Quotes a value for a message, shortened so one line stays one line. */
export function quote(value: string, max = 40): string {
  const flat = value.replace(/[\r\n\t]/g, ' ');
  const shown = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return JSON.stringify(shown);
}

/** "`file` line N, column "name"" — the location prefix of every data error. */
export function at(file: string, line: number, column?: string): string {
  return column === undefined ? `${file} line ${line}` : `${file} line ${line}, column ${quote(column)}`;
}

/** The message of any thrown value, on one line. */
export function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}
