// Builtin family "sets": not written yet.
export {};
