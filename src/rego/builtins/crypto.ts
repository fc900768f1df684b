// Builtin family "crypto": not written yet.
export {};
