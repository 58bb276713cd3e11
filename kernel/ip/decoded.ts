// The shape every kernel/ip decoder returns (every decoder returns { value, next }, CONTRIBUTING.md).

/** A decoded value and the offset just past what was consumed. */
export interface Decoded<T> {
  value: T;
  next: number;
}
