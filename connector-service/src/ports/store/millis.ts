/** Epoch milliseconds: every time the store takes is passed in by the caller. */
export type Millis = number;
