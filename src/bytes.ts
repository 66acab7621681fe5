/**
 * The ArrayBuffer holding exactly a view's bytes: the view's own buffer when
 * the view spans all of it (no copy), else a copy (a Buffer too: one from
 * Node's shared 8 KiB pool is copied, never handed out whole). dcmjs reads and writes
 * whole ArrayBuffers, and dicomweb-client sends them; the views handed to
 * them are usually whole already (sharp's output, dcmjs' own output, a
 * received instance), and a needless 2–10 MB copy per study is garbage the
 * service then carries until V8 collects it (docs/benchmarks.md, "Soak").
 */
export function exactArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength
  )
    return bytes.buffer;
  // Not bytes.slice(): on a Node Buffer that is a view of the same memory.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
