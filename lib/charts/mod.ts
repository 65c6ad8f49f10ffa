/**
 * Charts: plotly figure specs, inline notebook display, standalone HTML, and PNG/SVG export
 * through headless Chromium.
 *
 * @module
 */
export * from "./theme.ts";
export * from "./figures.ts";
export * from "./html.ts";
export * from "./display.ts";
export * from "./chromium.ts";
export * from "./report.ts";
