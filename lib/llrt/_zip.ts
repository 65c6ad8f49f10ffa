/**
 * Reads one file out of a zip archive (stored or deflated entries), enough for the LLRT
 * release zips without a system `unzip`.
 *
 * @module
 */

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

/**
 * Extracts the entry named `name` (the path inside the archive).
 *
 * @param zip The whole archive.
 * @param name Entry path, e.g. `llrt` or `bootstrap`.
 * @returns The entry's bytes.
 * @throws {TypeError} When the bytes are not a zip archive or the entry is missing.
 * @throws {RangeError} When the entry uses a compression method other than stored or deflate.
 */
export async function extractZipEntry(zip: Uint8Array, name: string): Promise<Uint8Array> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new TypeError(`Cannot read zip: no end-of-central-directory record`);
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const names: string[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new TypeError(`Cannot read zip: bad central directory entry at byte ${at}`);
    }
    const method = view.getUint16(at + 10, true);
    const compressedSize = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const entryName = decoder.decode(zip.subarray(at + 46, at + 46 + nameLength));
    names.push(entryName);
    if (entryName === name) {
      if (view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) {
        throw new TypeError(`Cannot read zip: bad local header for "${name}"`);
      }
      const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) +
        view.getUint16(localOffset + 28, true);
      const data = zip.slice(dataStart, dataStart + compressedSize);
      if (method === 0) return data;
      if (method !== 8) {
        throw new RangeError(`Cannot read zip entry "${name}": compression method ${method}`);
      }
      const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new TypeError(`Cannot find "${name}" in zip (entries: ${names.join(", ") || "none"})`);
}
