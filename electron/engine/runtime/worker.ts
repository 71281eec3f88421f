/**
 * The engine process (built as out/main/engine-worker.js, started by host.ts with
 * child_process.fork): runs generation jobs with onnxruntime-node outside the app's process, one
 * at a time, and honours cancel messages. A separate process, not a worker thread, because a
 * native failure (or stopping a thread inside onnxruntime) aborts the whole process it runs in.
 *
 * Text checks (OCR, about a second an image) run here too, so the app's main process never
 * blocks on them. They start at once, beside a running generation job, rather than waiting in the
 * job queue: a check is short next to a job, and its result is wanted while the next job (say the
 * next seed of a retry) is already running. The OCR model loads on the first check only.
 */
import { createGenerator } from '../pipeline/index.js';
import { CancelledError } from '../types.js';
import type { FromWorker, ToWorker, WorkerConfig } from './messages.js';

const send = process.send?.bind(process);
if (!send) throw new Error('engine-worker must be started with an IPC channel (child_process.fork)');
const config = JSON.parse(process.env.POSTER_ENGINE_CONFIG ?? '{}') as WorkerConfig;
const generator = createGenerator({
  threads: config.threads,
  cacheDir: config.cacheDir,
  precision: config.precision,
  int4BlockSize: config.int4BlockSize,
  providers: config.providers,
  ramBudgetBytes: config.ramBudgetBytes,
});
const running = new Map<string, AbortController>();

const post = (msg: FromWorker): void => {
  send(msg);
};

process.on('disconnect', () => process.exit(0));

process.on('message', async (msg: ToWorker) => {
  if (msg.type === 'cancel') {
    running.get(msg.id)?.abort();
    return;
  }
  if (msg.type === 'textCheck') {
    try {
      const { checkPaintedText } = await import('../text-check/index.js');
      post({ type: 'textChecked', id: msg.id, result: await checkPaintedText(msg.png, msg.expected) });
    } catch (err) {
      post({ type: 'error', id: msg.id, message: `The text check failed: ${(err as Error)?.message ?? String(err)}`, cancelled: false });
    }
    return;
  }
  const abort = new AbortController();
  running.set(msg.id, abort);
  try {
    const image = await generator.generate(msg.params, {
      signal: abort.signal,
      onProgress: (progress) => post({ type: 'progress', id: msg.id, progress }),
    });
    post({ type: 'done', id: msg.id, image });
  } catch (err) {
    post({
      type: 'error',
      id: msg.id,
      message: (err as Error)?.message ?? String(err),
      cancelled: err instanceof CancelledError || abort.signal.aborted,
    });
  } finally {
    running.delete(msg.id);
  }
});
