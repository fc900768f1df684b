// Builtin family "arrays": not written yet.
export {};
