/**
 * Lambda's wire facts (API bases, routes, headers, events, error types, limits) and how Lambda
 * judges Extensions API requests, shared by the sandbox, the contract suite and the JavaScript
 * extension.
 *
 * @module
 */
export * from "./wire.ts";
export * from "./requests.ts";
