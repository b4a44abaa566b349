// A run's thinned history of snapshots (what the views were given at an epoch), for the replay timeline.
// Pure and bounded: at most `max` snapshots; when full, every other one is dropped and the stride doubles,
// so the kept ones stay evenly spread over the run. The first and the newest snapshot are always kept.

export const MAX_SNAPSHOTS = 200;

/** An empty history keeping at most `max` (≥ 3) snapshots. */
export function createHistory(max = MAX_SNAPSHOTS) {
  if (!(max >= 3)) throw new Error("a history keeps at least 3 snapshots");
  return { max, stride: 1, seen: 0, kept: [], last: null };
}

/** Record a snapshot ({epoch, ...}); epochs must not decrease. Returns the history. */
export function add(history, snapshot) {
  if (history.seen % history.stride === 0) {
    history.kept.push(snapshot);
    if (history.kept.length > history.max - 1) thin(history); // one place stays for the newest
  }
  history.seen += 1;
  history.last = snapshot;
  return history;
}

/** Drop every other kept snapshot (the first stays) and double the stride. */
function thin(history) {
  history.kept = history.kept.filter((_, i) => i % 2 === 0);
  history.stride *= 2;
}

/** The snapshots in epoch order: the kept ones, then the newest if it was not kept. */
export function snapshots(history) {
  const { kept, last } = history;
  return last && kept[kept.length - 1] !== last ? [...kept, last] : kept.slice();
}

/** Index in `list` (epoch order) of the snapshot shown at `epoch`: the latest at or before it (0 before all). */
export function indexAt(list, epoch) {
  let lo = 0;
  let hi = list.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (list[mid].epoch <= epoch) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The snapshot shown at `epoch` (null for an empty history). */
export function at(history, epoch) {
  const list = snapshots(history);
  const i = indexAt(list, epoch);
  return i < 0 ? null : list[i];
}
