// The shape every kernel/ip decoder returns (STYLE: decoders return { value, next }).

/** A decoded value and the offset just past what was consumed. */
export interface Decoded<T> {
  value: T;
  next: number;
}
