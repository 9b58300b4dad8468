/**
 * Git's own test for "binary": a NUL byte in the first 8,000 bytes. Text scanners skip such files
 * because their matches would be noise and their lines meaningless.
 */
const SNIFF_BYTES = 8000;

export function looksBinary(data: Uint8Array): boolean {
  const end = Math.min(data.length, SNIFF_BYTES);
  for (let i = 0; i < end; i++) if (data[i] === 0) return true;
  return false;
}
