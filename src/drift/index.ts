/** Drift monitoring: per-label PSI of recent scores against a reference window (docs/drift.md). */
export { DriftStore } from "./drift-store.js";
export {
  DriftMonitor,
  type DriftAlert,
  type DriftSettings,
  type DriftSnapshot,
} from "./monitor.js";
