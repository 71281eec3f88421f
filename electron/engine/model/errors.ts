export type ModelErrorCode = 'missing-file' | 'truncated' | 'checksum' | 'bad-header' | 'shape' | 'missing-tensor' | 'bad-config';

/** A model folder problem, in words a user can act on. */
export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}
