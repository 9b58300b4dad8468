/** The part of fs-native-extensions the store uses (the package ships no types). */
declare module 'fs-native-extensions' {
  /** An exclusive advisory lock on the whole file; false when another open file holds it. */
  export function tryLock(fd: number, options?: { shared?: boolean }): boolean;
  export function unlock(fd: number): void;
}
