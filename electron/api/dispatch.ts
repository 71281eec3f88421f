// The single entry point both transports call: checks the method name and validates the
// arguments against the contract before any handler runs, and never throws.
import { ApiArgs, type ApiMethod, type ApiResponse } from '../../core/api/contract';
import { formatZodError } from '../../core/document/validate';
import { type Handlers, toApiError } from './handlers';

export type Dispatch = (method: unknown, args: unknown) => Promise<ApiResponse<unknown>>;

const isMethod = (m: unknown): m is ApiMethod => typeof m === 'string' && Object.hasOwn(ApiArgs, m);

export function createDispatch(handlers: Handlers, log: (msg: string) => void = () => {}): Dispatch {
  return async (method, args) => {
    if (!isMethod(method)) {
      return { ok: false, error: { code: 'bad-request', message: `Unknown method ${JSON.stringify(String(method)).slice(0, 80)}` } };
    }
    const parsed = ApiArgs[method].safeParse(args);
    if (!parsed.success) {
      return { ok: false, error: { code: 'bad-request', message: `${method}: ${formatZodError(parsed.error).message}` } };
    }
    try {
      const handler = handlers[method] as (a: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (e) {
      const err = toApiError(e);
      if (err.code === 'internal') log(`${method} failed: ${(e as Error)?.stack ?? e}`);
      return { ok: false, error: { code: err.code, message: err.message } };
    }
  };
}
