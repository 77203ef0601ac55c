/**
 * Every error densely throws with a `DENSELY_*` code is built here: the codes are one
 * table ({@link ERROR_CODES}) and each kind of error has one constructor function. The
 * messages follow the house form "Expected <what> for <name> but received <value>"
 * where an argument is at fault (STYLE.md §1); docs/guide lists what each code means.
 */

/**
 * The stable `code` of each densely error (and of the one warning, `FALLBACK_JS`).
 * `INTERNAL` is thrown by the native binding (native/binding/args.h) when a length it
 * re-checks is wrong: a bug in densely, never a user error.
 */
export const ERROR_CODES = {
  /** A bad argument: TypeError (wrong kind) or RangeError (wrong value). */
  INVALID_ARGUMENT: 'DENSELY_INVALID_ARGUMENT',
  /** A size limit passed (2^32 − 1 elements, 1,000,000 layers): RangeError. */
  TOO_LARGE: 'DENSELY_TOO_LARGE',
  /** A model file or `toJSON` object that is not a valid network. */
  INVALID_MODEL: 'DENSELY_INVALID_MODEL',
  /** A method called while a `fit` runs on the same network. */
  BUSY: 'DENSELY_BUSY',
  /** A method called after `dispose()`. */
  DISPOSED: 'DENSELY_DISPOSED',
  /** `backend: 'native'` requested and the addon cannot load. */
  NATIVE_UNAVAILABLE: 'DENSELY_NATIVE_UNAVAILABLE',
  /** `fit` stopped: a batch's loss or updated weights became non-finite. */
  NONFINITE_LOSS: 'DENSELY_NONFINITE_LOSS',
  /** The warning of backend 'auto' falling back to js (a `process.emitWarning` code). */
  FALLBACK_JS: 'DENSELY_FALLBACK_JS',
  /** A length the native binding re-checks is wrong (a bug in densely). */
  INTERNAL: 'DENSELY_INTERNAL',
} as const;

/** One of {@link ERROR_CODES}' values. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The error densely throws: a plain `TypeError`/`RangeError`/`Error` with a stable `code`. */
export interface DenselyError extends Error {
  code: string;
}

function withCode<E extends Error>(err: E, code: ErrorCode): E & DenselyError {
  (err as E & DenselyError).code = code;
  return err as E & DenselyError;
}

function expected(what: string, name: string, received: string): string {
  return `Expected ${what} for ${name} but received ${received}`;
}

/** "Expected <what> for <name> but received <received>" as a TypeError (wrong kind) or RangeError (wrong value). */
export function invalid(what: string, name: string, received: string, kind: 'type' | 'range' = 'type'): DenselyError {
  const msg = expected(what, name, received);
  return withCode(kind === 'type' ? new TypeError(msg) : new RangeError(msg), ERROR_CODES.INVALID_ARGUMENT);
}

/** "Expected <what> for <name> but received <received>" as a RangeError with code `DENSELY_TOO_LARGE`: a size limit (name the limit in `what`). */
export function tooLarge(what: string, name: string, received: string): DenselyError {
  return withCode(new RangeError(expected(what, name, received)), ERROR_CODES.TOO_LARGE);
}

/** "Expected <what> for <name> but received <received>" with code `DENSELY_INVALID_MODEL`: a model file or `toJSON` object that is not a valid network. */
export function invalidModel(
  what: string,
  name: string,
  received: string,
  kind: 'type' | 'range' = 'type',
): DenselyError {
  const msg = expected(what, name, received);
  return withCode(kind === 'type' ? new TypeError(msg) : new RangeError(msg), ERROR_CODES.INVALID_MODEL);
}

/**
 * Runs `check` and gives the argument errors it throws (`DENSELY_INVALID_ARGUMENT`,
 * `DENSELY_TOO_LARGE`) the code `DENSELY_INVALID_MODEL`, message unchanged: the checks of
 * the constructor's arguments, applied to what a model file or JSON object declares.
 */
export function asModelError<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    const code = (e as Partial<DenselyError>).code;
    if (code === ERROR_CODES.INVALID_ARGUMENT || code === ERROR_CODES.TOO_LARGE)
      (e as DenselyError).code = ERROR_CODES.INVALID_MODEL;
    throw e;
  }
}

/** The error of a network's `method` while a `fit` runs on it (code `DENSELY_BUSY`). */
export function busyError(method: string): DenselyError {
  return withCode(
    new Error(
      `Network is busy: ${method}() cannot run while a fit() is in progress on the same network; await the fit or abort it with its signal first`,
    ),
    ERROR_CODES.BUSY,
  );
}

/** `DENSELY_BUSY` for a call that would write the weights while a predictAsync() reads them. */
export function predictBusyError(method: string): DenselyError {
  return withCode(
    new Error(
      `Network is busy: ${method}() cannot run while a predictAsync() is in progress on the same network; await it first`,
    ),
    ERROR_CODES.BUSY,
  );
}

/**
 * The error of every method of a network after `dispose()` (code `DENSELY_DISPOSED`).
 * @example disposedError('predict').message
 *   // "Expected a network that has not been disposed for predict() but received a disposed network (…)"
 */
export function disposedError(method: string): DenselyError {
  return withCode(
    new Error(
      `Expected a network that has not been disposed for ${method}() but received a disposed network (dispose() freed its memory; build or load a new one)`,
    ),
    ERROR_CODES.DISPOSED,
  );
}

/** The error of `backend: 'native'` when the addon cannot load (code `DENSELY_NATIVE_UNAVAILABLE`); `message` says why. */
export function nativeUnavailableError(message: string): DenselyError {
  return withCode(new Error(message), ERROR_CODES.NATIVE_UNAVAILABLE);
}

/**
 * The error that stops `fit` when batch `batch` of epoch `epoch` gave a non-finite loss or
 * weights (code `DENSELY_NONFINITE_LOSS`), carrying `epoch`, `batch` and the `history`
 * so far.
 */
export function nonFiniteLossError<H>(
  epoch: number,
  batch: number,
  history: H,
): DenselyError & { epoch: number; batch: number; history: H } {
  const err = withCode(
    new Error(
      `Training stopped: the loss or the updated weights became non-finite at epoch ${epoch}, batch ${batch}; ` +
        'the weights of the last finite step were kept. Lower the learning rate or check the data.',
    ),
    ERROR_CODES.NONFINITE_LOSS,
  ) as DenselyError & { epoch: number; batch: number; history: H };
  err.epoch = epoch;
  err.batch = batch;
  err.history = history;
  return err;
}
