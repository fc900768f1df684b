// Builtin family "casts": not written yet.
export {};
