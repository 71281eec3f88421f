// One Content-Security-Policy for the renderer in both shells. Images come from blob: URLs the
// renderer makes from asset bytes; nothing loads from the network.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // HarfBuzz (the text shaper) is WebAssembly; compiling it needs wasm-unsafe-eval, not eval.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "font-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
