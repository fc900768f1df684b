// Builtin family "aggregates": not written yet.
export {};
