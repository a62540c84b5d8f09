/** The job table's sort: which column, which way. Plain data (the state holds it). */
export const SORT_KEYS = ["age", "id", "topic", "state", "attempts", "duration", "worker"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface SortOrder {
  key: SortKey;
  /** Reversed from the column's natural order (newest first for age, A→Z for text). */
  reversed: boolean;
}

export const DEFAULT_SORT: SortOrder = { key: "age", reversed: false };

/** The next sort column, wrapping around (the `s` key). */
export function nextSortKey(key: SortKey): SortKey {
  const i = SORT_KEYS.indexOf(key);
  return SORT_KEYS[(i + 1) % SORT_KEYS.length] ?? "age";
}
