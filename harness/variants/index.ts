/** Robustness variants of flows and the checks that define passing them. */
export * from './variants.js';
export * from './observers.js';
