/**
 * The extension contract's numbers and names (`extensions/contract.json`): ports, limits, the
 * deadline margin, retry bounds and the error types reported to Lambda. The one copy every
 * implementation follows; esbuild inlines it into the bundles.
 *
 * @module
 */
import contract from "../contract.json" with { type: "json" };

/** The contents of `extensions/contract.json`. */
export const CONTRACT: Readonly<typeof contract> = contract;
