// Builtin family "types": not written yet.
export {};
